// Package hardware computes and compares hardware hashes: a short digest of each of several
// components of a machine, so that a machine whose hardware changed a little keeps its
// activation and one whose hardware changed a lot (most likely another machine) does not.
//
// A hash is written "v1:" followed by one 8-hex-digit digest per component, in the order of
// Components, separated by dots. Two hashes are within tolerance when at most half of the
// components differ (3 of 6); a change of more than half of them is out of tolerance.
package hardware

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Components names the parts of a machine that go into a hash, in order.
var Components = []string{"board", "cpu", "memory", "disk", "network", "os"}

// prefix starts every hash of this format.
const prefix = "v1:"

// digestLen is the number of hex digits per component.
const digestLen = 8

// Len is the length of a hash in characters.
var Len = len(prefix) + len(Components)*digestLen + len(Components) - 1

// Hash returns the hardware hash of component values given by name (see Components). A missing
// or empty value gives a digest of its own, so a component that cannot be read counts as one
// that changed when it could be read before.
func Hash(values map[string]string) string {
	parts := make([]string, len(Components))
	for i, name := range Components {
		sum := sha256.Sum256([]byte("licet-hw:" + name + ":" + values[name]))
		parts[i] = hex.EncodeToString(sum[:digestLen/2])
	}
	return prefix + strings.Join(parts, ".")
}

// Parse checks that s is a hardware hash and returns its component digests.
func Parse(s string) ([]string, error) {
	if len(s) != Len || !strings.HasPrefix(s, prefix) {
		return nil, fmt.Errorf("hardware hash must be %q followed by %d groups of %d hex digits separated by dots (%d characters)", prefix, len(Components), digestLen, Len)
	}
	parts := strings.Split(s[len(prefix):], ".")
	if len(parts) != len(Components) {
		return nil, fmt.Errorf("hardware hash has %d groups, want %d", len(parts), len(Components))
	}
	for i, p := range parts {
		if len(p) != digestLen {
			return nil, fmt.Errorf("hardware hash group %d has %d digits, want %d", i+1, len(p), digestLen)
		}
		for _, c := range p {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return nil, fmt.Errorf("hardware hash group %d holds %q, not a lowercase hex digit", i+1, c)
			}
		}
	}
	return parts, nil
}

// Changed returns the names of the components that differ between two hashes. It returns an
// error when either is malformed.
func Changed(a, b string) ([]string, error) {
	pa, err := Parse(a)
	if err != nil {
		return nil, err
	}
	pb, err := Parse(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range pa {
		if pa[i] != pb[i] {
			out = append(out, Components[i])
		}
	}
	return out, nil
}

// Within reports whether the hardware hash now is within tolerance of the hash then: at most
// half of the components changed. An empty hash on either side (a machine that sent none) is
// within tolerance, and so is a malformed one never stored; only the machine id counts then.
func Within(then, now string) bool {
	if then == "" || now == "" {
		return true
	}
	changed, err := Changed(then, now)
	if err != nil {
		return then == now
	}
	return len(changed)*2 <= len(Components)
}
