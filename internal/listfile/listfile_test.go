package listfile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

func TestNormalizeUPN(t *testing.T) {
	tests := []struct {
		in, want string
		bad      string // fragment of the error
	}{
		{in: " Adele.Vance@Contoso.com ", want: "adele.vance@contoso.com"},
		{in: "o'brien+test@sub.contoso.co.uk", want: "o'brien+test@sub.contoso.co.uk"},
		{in: "", bad: "empty"},
		{in: "adele", bad: "exactly one @"},
		{in: "a@b@c.com", bad: "exactly one @"},
		{in: "@contoso.com", bad: "1 to 64"},
		{in: ".adele@contoso.com", bad: "dot"},
		{in: "ad..ele@contoso.com", bad: "dot"},
		{in: "ad ele@contoso.com", bad: "only letters"},
		{in: "adele@contoso", bad: "needs a dot"},
		{in: "adele@-contoso.com", bad: "labels"},
		{in: "adele@con_toso.com", bad: "only letters"},
		{in: strings.Repeat("a", 60) + "@" + strings.Repeat("b", 60) + ".com", bad: "113"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := listfile.NormalizeUPN(tt.in)
			if tt.bad != "" {
				if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("NormalizeUPN(%q) = %q, %v; want an invalid error saying %q", tt.in, got, err, tt.bad)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeUPN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		csv        bool
		upns       []string
		lines      []int  // line of each entry
		duplicates []int  // lines
		invalid    []int  // lines
		err        string // whole-file error
		check      func(t *testing.T, l *listfile.List)
	}{
		{name: "plain list with comments and blank lines", in: "#Example of text file:\n\nUser1@Domain.com\r\nuser2@domain.com\n",
			upns: []string{"user1@domain.com", "user2@domain.com"}, lines: []int{3, 4}},
		{name: "duplicates and garbage", in: "a@x.com\nnot a upn\nA@x.com\nb@x.com\n<<<>>>\n",
			upns: []string{"a@x.com", "b@x.com"}, lines: []int{1, 4}, duplicates: []int{3}, invalid: []int{2, 5}},
		{name: "csv with UserPrincipalName", in: "DisplayName,UserPrincipalName,UsageLocation,Kind,OnPremisesPSTN\n\"Vance, Adele\",adele@contoso.com,fr,person,no\nRoom,room@contoso.com,,room,yes\n",
			csv: true, upns: []string{"adele@contoso.com", "room@contoso.com"}, lines: []int{2, 3},
			check: func(t *testing.T, l *listfile.List) {
				a, r := l.Entries[0], l.Entries[1]
				if a.DisplayName != "Vance, Adele" || a.UsageLocation != "FR" || r.Kind != "room" || !r.OnPremisesPSTN {
					t.Errorf("entries = %+v", l.Entries)
				}
			}},
		{name: "csv with upn column alone", in: "upn\na@x.com\n", csv: true, upns: []string{"a@x.com"}, lines: []int{2}},
		{name: "csv with bad fields", in: "upn,usage_location,kind,onprem_pstn\na@x.com,XX,,\nb@x.com,US,robot,\nc@x.com,US,,maybe\nd@x.com,US\n\"e@x.com\n",
			csv: true, upns: []string{"d@x.com"}, lines: []int{5}, invalid: []int{2, 3, 4, 6}},
		{name: "csv without a upn column", in: "name,mail\nAdele,adele@contoso.com\n", err: "no upn or UserPrincipalName column"},
		{name: "not text: NUL", in: "a@x.com\n\x00\x01", err: "not text"},
		{name: "not text: bad UTF-8", in: "a@x.com\n\xff\xfe", err: "not text"},
		{name: "byte order mark", in: "\xef\xbb\xbfa@x.com\n", upns: []string{"a@x.com"}, lines: []int{1}},
		{name: "empty", in: "", upns: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := listfile.ParseList([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.CSV != tt.csv {
				t.Errorf("CSV = %v, want %v", l.CSV, tt.csv)
			}
			if got := l.UPNs(); !slices.Equal(got, tt.upns) && len(got)+len(tt.upns) > 0 {
				t.Errorf("UPNs = %v, want %v", got, tt.upns)
			}
			var lines, dups, bad []int
			for _, e := range l.Entries {
				lines = append(lines, e.Line)
			}
			for _, d := range l.Duplicates {
				dups = append(dups, d.Line)
			}
			for _, e := range l.Invalid {
				bad = append(bad, e.Line)
				if e.Reason == "" {
					t.Errorf("line %d is invalid without a reason", e.Line)
				}
			}
			if !slices.Equal(lines, tt.lines) || !slices.Equal(dups, tt.duplicates) || !slices.Equal(bad, tt.invalid) {
				t.Errorf("lines %v, duplicates %v, invalid %v; want %v, %v, %v", lines, dups, bad, tt.lines, tt.duplicates, tt.invalid)
			}
			if tt.check != nil {
				tt.check(t, l)
			}
		})
	}
}

// FuzzParseList checks that any input is either refused with EInvalid or parsed into entries
// with valid, distinct UPNs and line numbers within the input.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"a@x.com\nb@x.com\n", "upn,kind\na@x.com,room\n", "UserPrincipalName\n\"a@x.com\"\n", "#c\n\n a@x.com \r\n", "x,y\n1,2", "\x00", "a@x.com\na@x.com"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := listfile.ParseList(data)
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		seen := map[string]bool{}
		for _, e := range l.Entries {
			if norm, err := listfile.NormalizeUPN(e.UPN); err != nil || norm != e.UPN {
				t.Fatalf("entry %+v has an invalid or unnormalised UPN (%v)", e, err)
			}
			if seen[e.UPN] {
				t.Fatalf("UPN %s listed twice", e.UPN)
			}
			seen[e.UPN] = true
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("line %d out of 1..%d", e.Line, lines)
			}
		}
		for _, d := range l.Duplicates {
			if !seen[d.UPN] || d.First >= d.Line {
				t.Fatalf("duplicate %+v does not follow its first line", d)
			}
		}
	})
}

// FuzzNormalizeUPN checks that a normalised UPN is stable and within the limits.
func FuzzNormalizeUPN(f *testing.F) {
	for _, s := range []string{"a@x.com", "A.B@Sub.X.org", "", "@", "a@b", "ä@x.com", "a@x..com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := listfile.NormalizeUPN(s)
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if len(u) > listfile.MaxUPN || strings.Count(u, "@") != 1 || u != strings.ToLower(u) {
			t.Fatalf("NormalizeUPN(%q) = %q breaks the limits", s, u)
		}
		if again, err := listfile.NormalizeUPN(u); err != nil || again != u {
			t.Fatalf("NormalizeUPN is not stable on %q: %q, %v", u, again, err)
		}
	})
}
