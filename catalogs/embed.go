// Package catalogs holds the example SKU catalogs shipped with licet, embedded in the binary.
package catalogs

import "embed"

// FS holds every catalog file of this directory.
//
//go:embed *.yaml
var FS embed.FS

// M365TeamsFile is the file name of the Skype for Business / Microsoft Teams catalog.
const M365TeamsFile = "m365-teams.yaml"

// M365Teams returns the Skype for Business / Microsoft Teams add-on licensing catalog.
func M365Teams() []byte {
	data, err := FS.ReadFile(M365TeamsFile)
	if err != nil {
		panic("catalogs: " + err.Error()) // embedded at build time; cannot happen
	}
	return data
}
