package seats

import (
	"slices"
	"strings"

	"github.com/licet/licet/internal/catalog"
)

// CanHoldNumber reports whether a user with these licenses may hold a phone number: their plans
// satisfy an option of the catalog's number feature that needs no external alternative.
func CanHoldNumber(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, cat.Telephony().NumberFeature, cat.EnabledPlans(set), false)
}

// HasBridge reports whether a user with these licenses gets the operator's conference bridge.
func HasBridge(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, cat.Telephony().ConferencingFeature, cat.EnabledPlans(set), false)
}

// ThirdPartyAllowed reports whether a user with these licenses may use a third-party audio
// conferencing provider.
func ThirdPartyAllowed(cat *catalog.Catalog, set []catalog.Assigned) bool {
	return satisfied(cat, cat.Telephony().ConferencingFeature, cat.EnabledPlans(set), true)
}

// wayTo returns the SKUs to assign a user holding set so that their plans satisfy an option of
// the feature (among the options that need an external alternative when external is true): the
// option that needs the fewest SKUs. nil when the catalog has no such option.
func wayTo(cat *catalog.Catalog, feature string, set []catalog.Assigned, external bool) []string {
	opts, _ := planOptions(cat, feature, external)
	have := cat.EnabledPlans(set)
	var best []string // nil until an option is found (SKUsFor answers a non-nil list)
	for _, o := range opts {
		var missing []string
		for _, p := range o.Plans {
			if !slices.Contains(have, p) {
				missing = append(missing, p)
			}
		}
		skus := cat.SKUsFor(missing)
		if skus == nil {
			continue
		}
		if best == nil || len(skus) < len(best) {
			best = skus
		}
	}
	return best
}

// assignHint is the command that assigns skus to a user, or what the catalog lacks.
func assignHint(cat *catalog.Catalog, tenant, upn string, skus []string) string {
	if len(skus) == 0 {
		return "the catalog " + cat.Name + " has no SKUs for it"
	}
	return "licet assign --tenant " + tenant + " --user " + upn + " --add " + strings.Join(skus, ",")
}

// satisfied reports whether plans cover the plans of an option of the feature: among the options
// that need an external alternative when external is true, among those that need none otherwise.
func satisfied(cat *catalog.Catalog, feature string, plans []string, external bool) bool {
	opts, _ := planOptions(cat, feature, external)
	return slices.ContainsFunc(opts, func(o catalog.Option) bool { return catalog.AllIn(o.Plans, plans) })
}

// planOptions lists the options of the catalog's feature that name plans: those that need an
// external alternative when external is true, those that need none otherwise. ok is false when
// the catalog has no such feature.
func planOptions(cat *catalog.Catalog, feature string, external bool) (opts []catalog.Option, ok bool) {
	f, ok := cat.Feature(feature)
	if !ok {
		return nil, false
	}
	for _, o := range f.SatisfiedBy {
		if (len(o.External) > 0) == external && len(o.Plans) > 0 {
			opts = append(opts, o)
		}
	}
	return opts, true
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
