package tlsreload_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/licet/licet/internal/tlsreload/tlstest"
)

// TestReplacedOnDisk: a certificate replaced on disk is served to the next connection without a
// restart, a connection opened before keeps working, and a broken replacement leaves the
// previous certificate in service.
func TestReplacedOnDisk(t *testing.T) {
	first, second, c := tlstest.Renewal(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", c.Config())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "https://" + ln.Addr().String() + "/"
	pool := tlstest.Pool(first.Cert, second.Cert)

	kept := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if got := serial(t, kept, url); got != 1 {
		t.Fatalf("first connection got certificate %d, want 1", got)
	}
	tlstest.Install(t, second, first.CertFile, first.KeyFile)
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if got := serial(t, fresh, url); got != 2 {
		t.Fatalf("a connection after the files were replaced got certificate %d, want 2", got)
	}
	// The connection made before still works, on its own certificate.
	if got := serial(t, kept, url); got != 1 {
		t.Errorf("the kept-alive connection got certificate %d, want 1 (it must not be dropped)", got)
	}
	// A half-written renewal: the key file does not match. The previous pair stays in service.
	if err := os.WriteFile(first.KeyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if got := serial(t, other, url); got != 2 {
		t.Errorf("after a broken replacement the server presents %d, want the previous 2", got)
	}
	if err := c.Reload(); err == nil {
		t.Errorf("Reload of a broken pair = nil, want an error")
	}
}

func serial(t *testing.T, hc *http.Client, url string) int64 {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
}
