// Package bindtest runs a real BIND 9 name server for tests: named in the foreground, in a
// temporary directory, on a loopback port, serving one zone that accepts dynamic updates signed
// with one TSIG key.
package bindtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/licet/licet/internal/testproc"
)

// Server is a running named.
type Server struct {
	Addr    string // 127.0.0.1:PORT
	Zone    string // corp.example
	KeyName string // the TSIG key's name, kms-update
	Secret  string // its secret, base64
}

// Start runs named until the test ends. Without named it skips the test, or fails it when
// CI=true (CI must run these tests).
func Start(t testing.TB) *Server {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("named is not installed (apt-get install bind9): %v", err)
		}
		t.Skipf("named is not installed (apt-get install bind9): %v", err)
	}
	dir := t.TempDir()
	s := &Server{Zone: "corp.example", KeyName: "kms-update", Secret: base64.StdEncoding.EncodeToString([]byte("licet-test-secret-0123456789abcd"))}
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port %[2]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
key "%[3]s" { algorithm hmac-sha256; secret "%[4]s"; };
zone "%[5]s" { type primary; file "%[1]s/zone.db"; allow-update { key "%[3]s"; }; };
`, dir, port, s.KeyName, s.Secret, s.Zone)
	zone := "$TTL 300\n@ IN SOA ns." + s.Zone + ". admin." + s.Zone + ". 1 3600 600 86400 300\n@ IN NS ns." + s.Zone + ".\nns IN A 127.0.0.1\n"
	for name, content := range map[string]string{"named.conf": conf, "zone.db": zone} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	program, err := testproc.Unconfined(named, dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(program, "-g", "-c", filepath.Join(dir, "named.conf"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	testproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for !s.answers() {
		if time.Now().After(deadline) {
			t.Fatalf("named did not answer on %s within 15 s:\n%s", s.Addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling for readiness, not waiting for time to pass
	}
	return s
}

func (s *Server) answers() bool {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(s.Zone), dns.TypeSOA)
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	in, _, err := c.Exchange(q, s.Addr)
	return err == nil && in.Rcode == dns.RcodeSuccess && len(in.Answer) > 0
}

// SRV returns the SRV records of name (absolute) as "target:port".
func (s *Server) SRV(t testing.TB, name string) []string {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeSRV)
	in, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, s.Addr)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	var out []string
	for _, rr := range in.Answer {
		if r, ok := rr.(*dns.SRV); ok {
			out = append(out, r.Target+":"+strconv.Itoa(int(r.Port)))
		}
	}
	return out
}
