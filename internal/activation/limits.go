package activation

import (
	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
)

// KMSHostLimit is how many KMS hosts one host key activates unless the operator raises it.
const KMSHostLimit = licet.DefaultKMSHostLimit

// levelLimits are the MAK activations per pricing level for the programs priced by level.
// KMS is the preferred method in those organisations, so the MAK covers a part of the
// machines a level usually counts.
var levelLimits = map[string]int64{"A": 500, "B": 1_000, "C": 2_500, "D": 5_000}

// levelPrograms are priced by level (A–D); the others by the number of licenses.
var levelPrograms = map[string]bool{"select": true, "select-plus": true, "enterprise": true, "campus": true, "school": true, "spla": true}

// DefaultMAKLimit returns the activations a new MAK gets under an agreement:
//
//   - open-license, open-value: twice the licensed quantity, at least 50, rounded up to a
//     multiple of 50 (1–25 licenses give 50 activations, 26–50 give 100, 51–75 give 150, …);
//   - select, select-plus, enterprise, campus, school, spla: by pricing level: A 500, B 1,000,
//     C 2,500, D 5,000.
func DefaultMAKLimit(program, level string, quantity int64) int64 {
	if levelPrograms[program] {
		return levelLimits[level]
	}
	n := 2 * quantity
	if n < 50 {
		n = 50
	}
	n = (n + 49) / 50 * 50
	return min(n, licet.MaxKeyLimit)
}

// defaultLimit returns the limit a key of type t gets when none is asked for.
func defaultLimit(t keys.Type, a licet.Agreement) int64 {
	switch t {
	case keys.MAK:
		return DefaultMAKLimit(a.Program, a.Level, a.Quantity)
	case keys.Retail:
		return 1
	case keys.KMSHost:
		return KMSHostLimit
	}
	return 0
}
