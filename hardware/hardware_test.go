package hardware_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/hardware"
)

func values(changed int) map[string]string {
	v := map[string]string{}
	for i, name := range hardware.Components {
		v[name] = "value-" + name
		if i < changed {
			v[name] = "new-" + name
		}
	}
	return v
}

func TestWithin(t *testing.T) {
	base := hardware.Hash(values(0))
	tests := []struct {
		name    string
		changed int
		want    bool
	}{
		{"same", 0, true},
		{"one component", 1, true},
		{"half", 3, true},
		{"more than half", 4, false},
		{"all", 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := hardware.Hash(values(tt.changed))
			if got := hardware.Within(base, now); got != tt.want {
				t.Fatalf("Within with %d changed = %v, want %v", tt.changed, got, tt.want)
			}
			changed, err := hardware.Changed(base, now)
			if err != nil || len(changed) != tt.changed {
				t.Fatalf("Changed = %v, %v; want %d components", changed, err, tt.changed)
			}
		})
	}
	if !hardware.Within("", base) || !hardware.Within(base, "") {
		t.Error("an empty hash must be within tolerance (no baseline)")
	}
}

func TestParse(t *testing.T) {
	good := hardware.Hash(values(0))
	if len(good) != hardware.Len {
		t.Fatalf("len(Hash) = %d, want %d", len(good), hardware.Len)
	}
	if _, err := hardware.Parse(good); err != nil {
		t.Fatalf("Parse(Hash()) = %v", err)
	}
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no prefix", "v2:" + good[3:]},
		{"upper hex", strings.ToUpper(good[:4]) + good[4:]},
		{"missing dot", good[:11] + "0" + good[12:]},
		{"non hex", good[:len(good)-1] + "g"},
		{"too long", good + "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := hardware.Parse(tt.in); err == nil {
				t.Fatalf("Parse(%q) accepted", tt.in)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(hardware.Hash(values(0)))
	f.Add("v1:")
	f.Add("v1:00000000.00000000.00000000.00000000.00000000.0000000.")
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := hardware.Parse(s)
		if err == nil && len(parts) != len(hardware.Components) {
			t.Fatalf("Parse(%q) = %d parts without error", s, len(parts))
		}
		_ = hardware.Within(s, hardware.Hash(values(0)))
	})
}
