package keys

import (
	"math/big"
	"strings"
	"unicode"
)

// digitsOf writes n in the given base into dst, most significant digit
// first, padding with leading zeros. Digits that do not fit are dropped;
// callers size dst so that this never happens.
func digitsOf(n *big.Int, base int, dst []int) {
	q := new(big.Int).Set(n)
	b := big.NewInt(int64(base))
	r := new(big.Int)
	for i := len(dst) - 1; i >= 0; i-- {
		q.QuoRem(q, b, r)
		dst[i] = int(r.Int64())
	}
}

// numberOf is the inverse of digitsOf.
func numberOf(digits []int, base int) *big.Int {
	n := new(big.Int)
	b := big.NewInt(int64(base))
	d := new(big.Int)
	for _, v := range digits {
		n.Mul(n, b).Add(n, d.SetInt64(int64(v)))
	}
	return n
}

// takeBits removes the low bits of n and returns them. bits is at most 64.
func takeBits(n *big.Int, bits uint) uint64 {
	mask := new(big.Int).Lsh(big.NewInt(1), bits)
	mask.Sub(mask, big.NewInt(1))
	v := new(big.Int).And(n, mask).Uint64()
	n.Rsh(n, bits)
	return v
}

// putBits appends bits low bits of v below the bits already in n.
func putBits(n *big.Int, v uint64, bits uint) {
	n.Lsh(n, bits).Or(n, new(big.Int).SetUint64(v))
}

// dammTable is the quasigroup of order 10 of H. Michael Damm's check digit
// algorithm. It is weakly totally anti-symmetric, so from any start state a
// single wrong digit or a swap of two neighbouring digits changes the
// result.
var dammTable = [10][10]uint8{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// groupCheck returns the Damm value of the digits of a group, starting
// from the group's 1-based position modulo 10 as an implicit leading digit.
// A group with its check digit appended has value 0.
func groupCheck(group int, digits []int) int {
	s := dammTable[0][group%10]
	for _, d := range digits {
		s = dammTable[s][d]
	}
	return int(s)
}

// groupedDecimal describes a decimal ID made of groups of digits, each
// ending in a check digit.
type groupedDecimal struct {
	what      string // "installation ID" or "confirmation ID"
	groups    int
	groupSize int // digits per group including the check digit
}

func (g groupedDecimal) dataDigits() int { return g.groups * (g.groupSize - 1) }

// format writes n as groups of data digits, each followed by its check
// digit, joined by dashes.
func (g groupedDecimal) format(n *big.Int) string {
	data := make([]int, g.dataDigits())
	digitsOf(n, 10, data)
	var b strings.Builder
	b.Grow(g.groups*(g.groupSize+1) - 1)
	per := g.groupSize - 1
	for i := 0; i < g.groups; i++ {
		if i > 0 {
			b.WriteByte('-')
		}
		part := data[i*per : (i+1)*per]
		for _, d := range part {
			b.WriteByte(byte('0' + d))
		}
		b.WriteByte(byte('0' + groupCheck(i+1, part)))
	}
	return b.String()
}

// parse reads the digits of s, accepting spaces, dashes or nothing between
// groups, checks every group's check digit and returns the data digits as
// a number.
func (g groupedDecimal) parse(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	total := g.groups * g.groupSize
	digits := make([]int, 0, total)
	var fields []int // digits per separated field
	inField := false
	pos := 0
	for _, r := range s {
		pos++
		if r == '-' || unicode.IsSpace(r) {
			inField = false
			continue
		}
		if r < '0' || r > '9' {
			return nil, parseErr(g.what, ErrCharacter, "character %q at position %d is not a digit", r, pos)
		}
		if !inField {
			fields = append(fields, 0)
			inField = true
		}
		fields[len(fields)-1]++
		if len(digits) < total {
			digits = append(digits, int(r-'0'))
		}
	}
	found := 0
	for _, f := range fields {
		found += f
	}
	if found != total {
		if len(fields) > 1 {
			if len(fields) != g.groups {
				return nil, parseErr(g.what, ErrLength, "found %d groups, want %d", len(fields), g.groups)
			}
			for i, f := range fields {
				if f != g.groupSize {
					return nil, parseErr(g.what, ErrLength, "group %d has %d digits, want %d", i+1, f, g.groupSize)
				}
			}
		}
		return nil, parseErr(g.what, ErrLength, "found %d digits, want %d (%d groups of %d)", found, total, g.groups, g.groupSize)
	}
	per := g.groupSize - 1
	data := make([]int, 0, g.dataDigits())
	for i := 0; i < g.groups; i++ {
		group := digits[i*g.groupSize : (i+1)*g.groupSize]
		if groupCheck(i+1, group) != 0 {
			return nil, &GroupError{What: g.what, Group: i + 1}
		}
		data = append(data, group[:per]...)
	}
	return numberOf(data, 10), nil
}
