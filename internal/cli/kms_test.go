package cli_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet/internal/kmscentral/centraltest"
	"github.com/licet/licet/internal/server/servertest"
)

// TestKMSHostActivation activates hosts through the command line against a whole service: six
// hosts on one key, the 7th refused, a re-activation free, the air-gapped path, the rate limit.
func TestKMSHostActivation(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		is := centraltest.NewIssuer(t, context.Background(), s.Operator)
		is.Group(20, "suite-2026")
		is.Product("suite-pro", "client", 20)
		key, _ := is.HostKey("contoso", 20)
		dir := t.TempDir()
		state := func(i int) string { return filepath.Join(dir, fmt.Sprint("host", i)) }
		for i := 1; i <= 6; i++ {
			code, out, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", key.String(), "--state-dir", state(i))
			if code != 0 || !strings.Contains(out, "activated") || !strings.Contains(out, fmt.Sprintf("%d of its 6 hosts", i)) {
				t.Fatalf("host %d: exit %d, out %q, err %q", i, code, out, errText)
			}
		}
		code, _, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", key.String(), "--state-dir", state(7))
		if code != 1 || !strings.Contains(errText, "6 of its 6 hosts") || !strings.Contains(errText, "[KMSHostLimitExceeded]") || !strings.Contains(errText, "re-activate") {
			t.Fatalf("7th host: exit %d, err %q; want 1 and the limit named with the way out", code, errText)
		}
		code, out, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", key.String(), "--state-dir", state(1))
		if code != 0 || !strings.Contains(out, "re-activated") || !strings.Contains(out, "6 of its 6 hosts") {
			t.Fatalf("re-activation: exit %d, out %q, err %q", code, out, errText)
		}

		// Air-gapped: a second key, request file → approval by the tenant admin → response file.
		key2, _ := is.HostKey("contoso", 20)
		req, resp := filepath.Join(dir, "req.json"), filepath.Join(dir, "resp.json")
		if code, out, errText := Run(t, nil, "kms", "activate", "--key", key2.String(), "--request-file", req, "--state-dir", state(8)); code != 0 || !strings.Contains(out, "kms approve") {
			t.Fatalf("request file: exit %d, out %q, err %q", code, out, errText)
		}
		code, out, errText = Run(t, nil, "--server", s.URL, "--token", s.Token, "token", "create", "--tenant", "contoso", "--json")
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errText)
		}
		tenantToken := between(out, `"secret": "`, `"`)
		if code, out, errText := Run(t, nil, "--server", s.URL, "--token", tenantToken, "kms", "approve", req, "--out", resp); code != 0 || !strings.Contains(out, "approved host") {
			t.Fatalf("approve: exit %d, out %q, err %q", code, out, errText)
		}
		if code, out, errText := Run(t, nil, "kms", "activate", "--response-file", resp, "--state-dir", state(8)); code != 0 || !strings.Contains(out, "activated") {
			t.Fatalf("install response: exit %d, out %q, err %q", code, out, errText)
		}
		// The response installed on another host is refused as foreign.
		if code, _, errText := Run(t, nil, "kms", "activate", "--response-file", resp, "--state-dir", state(2)); code != 1 || !strings.Contains(errText, "foreign certificate") {
			t.Fatalf("response on another host: exit %d, err %q", code, errText)
		}
		code, out, _ = Run(t, nil, "kms", "status", "--state-dir", state(8))
		if code != 0 || !strings.Contains(out, "group 20, covers [20]") || !strings.Contains(out, "systems") {
			t.Fatalf("status: exit %d, out %q", code, out)
		}

		// The public route is rate limited per source address: 8 online calls so far, burst 10.
		var limited string
		for range 4 {
			_, _, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", key.String(), "--state-dir", state(1))
			if strings.Contains(errText, "[RateLimited]") {
				limited = errText
				break
			}
		}
		if !strings.Contains(limited, "retry in") {
			t.Fatalf("no rate limit after more than 10 activations from one address (last: %q)", limited)
		}
	})
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}
