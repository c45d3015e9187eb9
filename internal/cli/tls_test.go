package cli_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/licet/licet/internal/tlsreload/tlstest"
)

// TestServeTLS: licet serve over TLS sends HSTS; the CLI names a TLS error as one, trusts a
// private CA with --ca, and a certificate replaced on disk is served without a restart.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	first := tlstest.Write(t, dir, "server", 1)
	renewed := tlstest.Write(t, t.TempDir(), "renewed", 2)
	db := filepath.Join(dir, "licet.db")
	base, _ := Serve(t, "--db", db, "--tls-cert", first.CertFile, "--tls-key", first.KeyFile)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("licet serve with TLS listens on %s, want https://", base)
	}
	fetch := func(path string) (*http.Response, string) {
		t.Helper()
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tlstest.Pool(first.Cert, renewed.Cert)}}}
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	get := func() *http.Response {
		t.Helper()
		resp, _ := fetch("/healthz")
		return resp
	}
	expiry := func() int64 {
		t.Helper()
		_, metrics := fetch("/metrics")
		m := regexp.MustCompile(`(?m)^licet_tls_certificate_expiry_timestamp_seconds (\S+)$`).FindStringSubmatch(metrics)
		if m == nil {
			t.Fatalf("/metrics lacks licet_tls_certificate_expiry_timestamp_seconds")
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		return int64(v)
	}
	if got, want := expiry(), first.Cert.NotAfter.Unix(); got != want {
		t.Errorf("TLS expiry metric = %d, want %d", got, want)
	}
	resp := get()
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q, want max-age=…", h)
	}
	env := map[string]string{"LICET_SERVER": base, "LICET_TOKEN_FILE": db + ".token"}
	code, _, stderr := Run(t, env, "tenant", "list")
	if code != 1 || !strings.Contains(stderr, "TLS error") || !strings.Contains(stderr, "--ca") || strings.Contains(stderr, "is `licet serve` running") {
		t.Fatalf("tenant list against an untrusted certificate: exit %d, %q; want 1 naming a TLS error and --ca", code, stderr)
	}
	code, _, stderr = Run(t, env, "tenant", "list", "--ca", first.CertFile)
	if code != 0 {
		t.Fatalf("tenant list --ca: exit %d, %s", code, stderr)
	}
	env["LICET_CA"] = first.CertFile
	if code, _, stderr := Run(t, env, "tenant", "list"); code != 0 {
		t.Fatalf("tenant list with LICET_CA: exit %d, %s", code, stderr)
	}
	code, _, stderr = Run(t, map[string]string{"LICET_SERVER": strings.Replace(base, "https", "http", 1), "LICET_TOKEN": "licet_x"}, "tenant", "list")
	if code != 1 || !strings.Contains(stderr, "TLS") {
		t.Errorf("plain HTTP to a TLS server: exit %d, %q; want 1 naming TLS", code, stderr)
	}

	tlstest.Install(t, renewed, first.CertFile, first.KeyFile)
	if got := get().TLS.PeerCertificates[0].SerialNumber.Int64(); got != 2 {
		t.Errorf("after the certificate was replaced on disk the server presents certificate %d, want 2", got)
	}
	if got, want := expiry(), renewed.Cert.NotAfter.Unix(); got != want {
		t.Errorf("TLS expiry metric after the renewal = %d, want %d", got, want)
	}
}
