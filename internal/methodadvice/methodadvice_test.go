package methodadvice

import (
	"slices"
	"testing"

	"github.com/licet/licet"
)

func methods(a Advice) []string {
	var out []string
	for _, p := range a.Parts {
		out = append(out, p.Method)
	}
	return out
}

func rules(a Advice) []string {
	var out []string
	for _, r := range a.Reasons {
		out = append(out, r.Rule)
	}
	return out
}

func TestRecommend(t *testing.T) {
	tests := []struct {
		name        string
		env         Environment
		wantMethods []string
		wantRules   []string
	}{
		{"10 clients: below the client threshold, MAK", Environment{Clients: 10},
			[]string{MAK}, []string{"kms-client-threshold", "small-organisation"}},
		{"30 clients and 2 servers: KMS, MAK as fallback", Environment{Clients: 30, Servers: 2},
			[]string{KMS, KMS, MAKProxy}, []string{"kms-threshold-met", "small-organisation"}},
		{"23 clients and 1 server: servers by KMS, clients by MAK", Environment{Clients: 23, Servers: 1},
			[]string{MAK, KMS}, []string{"kms-client-threshold", "kms-threshold-met"}},
		{"4 servers: below the server threshold", Environment{Servers: 4},
			[]string{MAK}, []string{"kms-server-threshold"}},
		{"200 clients, 40 virtual", Environment{Clients: 200, Virtual: 40},
			[]string{KMS}, []string{"virtual-machines", "kms-threshold-met"}},
		{"isolated small network", Environment{Clients: 10, Isolated: true},
			[]string{MAKProxy}, []string{"kms-client-threshold", "isolated-network"}},
		{"isolated big network", Environment{Clients: 100, Isolated: true},
			[]string{KMS, KMSHostOffline}, []string{"kms-threshold-met", "isolated-kms-host"}},
		{"applications at 5", Environment{Applications: 5},
			[]string{KMS, MAKProxy}, []string{"kms-threshold-met"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Recommend(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := methods(a); !slices.Equal(got, tt.wantMethods) {
				t.Errorf("methods = %v, want %v (%s)", got, tt.wantMethods, a.Summary)
			}
			got := rules(a)
			for _, r := range tt.wantRules {
				if !slices.Contains(got, r) {
					t.Errorf("reasons %v lack %q", got, r)
				}
			}
		})
	}
}

func TestRecommendRejects(t *testing.T) {
	for name, env := range map[string]Environment{
		"nothing":          {},
		"negative":         {Clients: -1},
		"too many virtual": {Clients: 2, Virtual: 3},
	} {
		if _, err := Recommend(env); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// TestRecommendDirectory: directory members activate through the directory, with no threshold;
// the others by the usual rules, which members no longer help reach.
func TestRecommendDirectory(t *testing.T) {
	all, err := Recommend(Environment{Clients: 300, Servers: 10, DirectoryMembers: 310})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(methods(all), []string{Directory}) || !slices.Contains(rules(all), "directory-members") || !slices.Contains(rules(all), "directory-fallback") ||
		all.Summary != "directory-based activation for all 310 machines, with a KMS host or a MAK kept as fallback for machines that leave the directory" {
		t.Fatalf("all members: %+v", all)
	}
	// 290 members of 300 clients and 10 servers: 10 clients and 10 servers are left, 20 in all,
	// below the client threshold of 25 but above the server threshold of 5.
	some, err := Recommend(Environment{Clients: 300, Servers: 10, DirectoryMembers: 290})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(methods(some), []string{Directory, MAK, KMS}) || !slices.Contains(rules(some), "kms-client-threshold") {
		t.Fatalf("some members: methods %v rules %v", methods(some), rules(some))
	}
	if some.Parts[0].Count != 290 || some.Parts[1].Count != 10 || some.Parts[2].Count != 10 {
		t.Fatalf("some members: parts %+v", some.Parts)
	}
	isolated, _ := Recommend(Environment{Clients: 40, DirectoryMembers: 40, Isolated: true})
	if !slices.Equal(methods(isolated), []string{Directory, DirectoryOff}) {
		t.Fatalf("isolated members: %v", methods(isolated))
	}
	for _, n := range []int{-1, 311} {
		if _, err := Recommend(Environment{Clients: 300, Servers: 10, DirectoryMembers: n}); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("--directory-members %d: %v, want EInvalid", n, err)
		}
	}
}
