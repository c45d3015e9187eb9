// Package buildinfo tells which licet this is: its version, the commit it was built from and when.
// The values come from the Go build information (module version, VCS stamping) unless the release
// build sets them with -ldflags "-X github.com/licet/licet/internal/buildinfo.Version=…" (and
// Commit, Date).
package buildinfo

import (
	"cmp"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by -ldflags -X at release time; empty in an ordinary build.
var (
	Version string
	Commit  string
	Date    string
)

// Info is what `licet version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build's Info: -ldflags values first, then the Go build information, then
// "devel" and "unknown".
func Get() Info {
	info := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(info, bi)
	}
	info.Version = cmp.Or(Version, info.Version, "devel")
	info.Commit = cmp.Or(Commit, info.Commit, "unknown")
	info.BuildDate = cmp.Or(Date, info.BuildDate, "unknown")
	// git describe --dirty marks a build from a modified checkout.
	info.Modified = info.Modified || strings.HasSuffix(Version, "-dirty")
	return info
}

// fromBuildInfo reads the module version and the VCS settings the go command stamps.
func fromBuildInfo(info Info, bi *debug.BuildInfo) Info {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.BuildDate = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}
