package seats

import (
	"slices"

	"github.com/licet/licet/internal/catalog"
)

// The catalog features the telephony rules read, so that the plans they need come from the
// catalog rather than from code.
const (
	// NumberFeature: a user may hold a phone number from the tenant's inventory when its plans
	// satisfy an option of this feature that needs no external alternative (Phone System with a
	// Calling Plan, in m365-teams).
	NumberFeature = "pstn-calling-domestic"
	// ConferencingFeature: a user whose plans satisfy an option of this feature on their own
	// (Audio Conferencing, in m365-teams) uses the operator's bridge; an option that needs an
	// external alternative (a third-party provider) says which plans a third party needs.
	ConferencingFeature = "audio-conferencing"
)

// CanHoldNumber reports whether a user with these licenses may hold a phone number.
func CanHoldNumber(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, NumberFeature, cat.EnabledPlans(set), false)
}

// HasBridge reports whether a user with these licenses gets the operator's conference bridge.
func HasBridge(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, ConferencingFeature, cat.EnabledPlans(set), false)
}

// ThirdPartyAllowed reports whether a user with these licenses may use a third-party audio
// conferencing provider.
func ThirdPartyAllowed(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, ConferencingFeature, cat.EnabledPlans(set), true)
}

// satisfied reports whether plans cover the plans of an option of the feature: among the options
// that need an external alternative when external is true, among those that need none otherwise.
func satisfied(cat *catalog.Catalog, feature string, plans []string, external bool) bool {
	f, ok := cat.Feature(feature)
	if !ok {
		return false
	}
	for _, o := range f.SatisfiedBy {
		if (len(o.External) > 0) != external || len(o.Plans) == 0 {
			continue
		}
		if !slices.ContainsFunc(o.Plans, func(p string) bool { return !slices.Contains(plans, p) }) {
			return true
		}
	}
	return false
}

// bridgeChange says whether a move from before to after gives the user the operator's bridge
// (+1), takes it away (-1), or neither (0).
func bridgeChange(cat *catalog.Catalog, before, after []catalog.Assigned) int {
	b, a := HasBridge(cat, before), HasBridge(cat, after)
	switch {
	case a && !b:
		return 1
	case b && !a:
		return -1
	}
	return 0
}
