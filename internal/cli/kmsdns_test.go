package cli_test

import (
	"context"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/bindtest"
	"github.com/licet/licet/internal/cli"
	"github.com/licet/licet/internal/server/servertest"
)

// freePort returns a loopback TCP port nobody listens on now (the SRV record names the port, so
// the host cannot listen on port 0).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestKMSHostsShareDNS runs two KMS hosts of one machine (one --dns-target, ports A and B)
// against a real BIND 9: both records stay; SIGTERM stops one, which removes its own record
// only; a wrong TSIG secret is refused naming BADSIG and the server asked; unpublish removes
// the other record.
func TestKMSHostsShareDNS(t *testing.T) {
	ns := bindtest.Start(t)
	s := servertest.Start(t, servertest.Options{})
	hostKey, _, _ := kmsKeys(t, s, "contoso-desktop-11")
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "kms-update.key", `key "`+ns.KeyName+`" { algorithm hmac-sha256; secret "`+ns.Secret+`"; };`+"\n")
	dnsFlags := []string{"--dns-server", ns.Addr, "--dns-domain", ns.Zone, "--dns-target", "kms.corp.example", "--dns-tsig-file", keyFile}
	const name = "_licet-kms._tcp.corp.example."
	ports := []int{freePort(t), freePort(t)}
	want := func(ps ...int) []string {
		var out []string
		for _, p := range ps {
			out = append(out, "kms.corp.example.:"+strconv.Itoa(p))
		}
		slices.Sort(out)
		return out
	}
	records := func() []string { r := ns.SRV(t, name); slices.Sort(r); return r }
	waitFor := func(wantRecords []string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !slices.Equal(records(), wantRecords) {
			if time.Now().After(deadline) {
				t.Fatalf("SRV records %v, want %v", records(), wantRecords)
			}
			time.Sleep(20 * time.Millisecond) // polling the server, not waiting for time to pass
		}
	}

	// Host A stops on SIGTERM, as `licet` does (signal.NotifyContext in main).
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stopSignals()
	doneA := make(chan int, 1)
	var outA syncBuffer
	for i, port := range ports {
		hostDir := filepath.Join(dir, "kms-"+strconv.Itoa(i))
		if code, _, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", hostKey, "--state-dir", hostDir); code != 0 {
			t.Fatalf("kms activate: %s", errText)
		}
		args := append([]string{"kms", "serve", "--state-dir", hostDir, "--addr", "127.0.0.1:" + strconv.Itoa(port)}, dnsFlags...)
		if i == 0 {
			go func() {
				doneA <- cli.Run(sigCtx, args, func(string) string { return "" }, strings.NewReader(""), &outA, &outA)
			}()
		} else {
			Listen(t, args...)
		}
	}
	waitFor(want(ports[0], ports[1])) // both records stay
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-doneA:
		if code != 0 {
			t.Fatalf("host A exited %d:\n%s", code, outA.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("host A did not stop on SIGTERM:\n%s", outA.String())
	}
	if got := records(); !slices.Equal(got, want(ports[1])) {
		t.Fatalf("after SIGTERM on host A: %v, want host B's only (%v)\n%s", got, want(ports[1]), outA.String())
	}
	if !strings.Contains(outA.String(), "removed the SRV record") {
		t.Errorf("host A did not log the removal:\n%s", outA.String())
	}

	// A wrong secret: BIND answers NOTAUTH with TSIG error BADSIG.
	wrong := writeFile(t, dir, "wrong.key", ns.KeyName+":"+"d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="+"\n")
	unpublish := []string{"kms", "unpublish", "--addr", "127.0.0.1:" + strconv.Itoa(ports[1]), "--dns-server", ns.Addr, "--dns-domain", ns.Zone, "--dns-target", "kms.corp.example"}
	code, _, errText := Run(t, nil, append(unpublish, "--dns-tsig-file", wrong)...)
	if code != 1 || !strings.Contains(errText, "BADSIG") || !strings.Contains(errText, "DNS server "+ns.Addr) || !strings.Contains(errText, "--dns-tsig-file") {
		t.Fatalf("wrong TSIG secret: exit %d, %q; want BADSIG, the server asked and the fix", code, errText)
	}
	if got := records(); !slices.Equal(got, want(ports[1])) {
		t.Fatalf("a refused removal changed the records: %v", got)
	}
	code, out, errText := Run(t, nil, append(unpublish, "--dns-tsig-file", keyFile)...)
	if code != 0 || !strings.Contains(out, "removed 1 record(s) of kms.corp.example port "+strconv.Itoa(ports[1])) {
		t.Fatalf("unpublish: exit %d, %s %s", code, out, errText)
	}
	if got := records(); len(got) != 0 {
		t.Fatalf("after unpublish: %v, want none", got)
	}
}
