// Package listfile reads the lists of users an administrator gives licet (a UPN per line, or CSV
// with a UPN column), checks user principal names, and writes the per-user report of a bulk
// assignment. It is pure: the CLI and the console use it without linking the store.
package listfile

import (
	"strings"

	"github.com/licet/licet"
)

// MaxUPN is the longest user principal name accepted (Graph's limit).
const MaxUPN = 113

// NormalizeUPN returns the UPN in the form stored (trimmed, lower case) or an EInvalid error that
// says what is wrong with it.
func NormalizeUPN(s string) (string, error) {
	upn := strings.ToLower(strings.TrimSpace(s))
	bad := func(why string) (string, error) {
		return "", licet.Errorf(licet.EInvalid, "%q is not a user principal name: %s (expected name@domain.tld)", Clip(s), why).With("field", "userPrincipalName")
	}
	if upn == "" {
		return bad("it is empty")
	}
	if len(upn) > MaxUPN {
		return bad("it is longer than 113 characters")
	}
	local, domain, ok := strings.Cut(upn, "@")
	if !ok || strings.Contains(domain, "@") {
		return bad("it needs exactly one @")
	}
	if local == "" || len(local) > 64 {
		return bad("the part before @ must have 1 to 64 characters")
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return bad("the part before @ may not start or end with a dot or hold two dots in a row")
	}
	for _, r := range local {
		if !isAlnum(r) && !strings.ContainsRune(".-_'!#^~+", r) {
			return bad("the part before @ may hold only letters, digits and . - _ ' ! # ^ ~ +")
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("the domain needs a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("the domain's labels must have 1 to 63 letters, digits or hyphens, not at either end")
		}
		for _, r := range l {
			if !isAlnum(r) && r != '-' {
				return bad("the domain may hold only letters, digits, hyphens and dots")
			}
		}
	}
	return upn, nil
}

func isAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
}

// Clip shortens text quoted in an error message.
func Clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
