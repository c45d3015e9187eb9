package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/licet/licet/internal/dnstest"
	"github.com/licet/licet/internal/ldaptest"
	"github.com/licet/licet/internal/server/servertest"
)

// writeFile writes a secret file (0600) in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// kmsKeys returns contoso's kms-host key and the GVLK of a product, from the demo data.
func kmsKeys(t *testing.T, s *servertest.Server, product string) (hostKey, gvlk string, keyID int64) {
	t.Helper()
	admin := []string{"--server", s.URL, "--token", s.Token}
	var ks []struct {
		ID        int64
		Key, Type string
	}
	runJSON(t, &ks, append(admin, "key", "list", "--tenant", "contoso", "--json")...)
	for _, k := range ks {
		if k.Type == "kms-host" {
			hostKey, keyID = k.Key, k.ID
		}
	}
	var gvlks []struct{ Product, Key string }
	runJSON(t, &gvlks, append(admin, "key", "gvlk", "--json")...)
	for _, g := range gvlks {
		if g.Product == product {
			gvlk = g.Key
		}
	}
	if hostKey == "" || gvlk == "" {
		t.Fatalf("demo data lacks a kms-host key or the GVLK of %s", product)
	}
	return hostKey, gvlk, keyID
}

// TestDirectoryActivation runs directory-based activation against a real slapd: the object
// `licet directory activate` writes is what ldapsearch returns; three machines activate through
// the directory with no KMS host running and no threshold; an object altered by one byte with
// ldapmodify is refused naming the signature; a removed object makes the next renewal fail and
// the machine walks to grace after the 180 days (injected clock), or falls back to a KMS host;
// a machine that cannot bind is refused naming the bind and falls back to KMS.
func TestDirectoryActivation(t *testing.T) {
	ld := ldaptest.Shared(t)
	var ahead atomic.Int64 // the service's clock runs this far ahead: a minute refills its KMS rate limit
	s := servertest.Start(t, servertest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	hostKey, gvlk, keyID := kmsKeys(t, s, "contoso-desktop-11")
	dir := t.TempDir()
	adminPW := writeFile(t, dir, "admin.pw", ldaptest.AdminPassword+"\n")
	ldapFlags := []string{"--ldap", ld.URL, "--bind-dn", ldaptest.AdminDN, "--password-file", adminPW, "--base", ldaptest.Base}
	publish := func() string {
		t.Helper()
		code, out, errText := Run(t, nil, append([]string{"--server", s.URL, "directory", "activate", "--key", hostKey}, ldapFlags...)...)
		if code != 0 {
			t.Fatalf("directory activate: exit %d, %s %s", code, out, errText)
		}
		return out
	}
	// A wrong password or a base that does not exist fails before the central service is asked:
	// no host of the key is taken (the first activation below is the key's 1st).
	wrongPW := writeFile(t, dir, "wrong.pw", "nope\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--ldap", ld.URL, "--bind-dn", ldaptest.AdminDN, "--password-file", wrongPW, "--base", ldaptest.Base}, "Invalid Credentials (LDAP result 49)"},
		{[]string{"--ldap", ld.URL, "--bind-dn", ldaptest.AdminDN, "--password-file", adminPW, "--base", "ou=missing," + ldaptest.Base}, "cannot read --base ou=missing"},
	} {
		code, _, errText := Run(t, nil, append([]string{"--server", s.URL, "directory", "activate", "--key", hostKey}, tt.args...)...)
		if code != 1 || !strings.Contains(errText, tt.want) {
			t.Fatalf("directory activate %v: exit %d, %q; want %q", tt.args, code, errText, tt.want)
		}
	}
	out := publish()
	objectDN := "cn=licet-activation-" + itoa(keyID) + "," + ldaptest.Base
	for _, want := range []string{"directory corp.example", "activated: wrote activation object " + objectDN, "the key has activated 1 of its 6 hosts and directories"} {
		if !strings.Contains(out, want) {
			t.Fatalf("directory activate printed %q, want %q", out, want)
		}
	}
	// ldapsearch (OpenLDAP's own client) returns the object.
	search, err := exec.Command("ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", ld.URL, "-D", ldaptest.AdminDN, "-w", ldaptest.AdminPassword,
		"-b", ldaptest.Base, "(objectClass=licetActivationObject)").CombinedOutput()
	if err != nil {
		t.Fatalf("ldapsearch: %v: %s", err, search)
	}
	for _, want := range []string{"dn: " + objectDN, "licetDirectoryName: corp.example", "licetTenant: contoso", "licetActivationSignature: ", "licetProductGroup: "} {
		if !strings.Contains(string(search), want) {
			t.Fatalf("ldapsearch output lacks %q:\n%s", want, search)
		}
	}
	// list (every naming context when no --base) and show.
	adminFlags := ldapFlags[:6]
	if code, out, errText := Run(t, nil, append([]string{"directory", "list"}, adminFlags...)...); code != 0 ||
		!regexp.MustCompile(regexp.QuoteMeta(objectDN)+`\s+corp\.example\s+contoso\s+\d+(,\d+)*\s+`+itoa(keyID)).MatchString(out) {
		t.Fatalf("directory list: exit %d, %s %s", code, out, errText)
	}
	if code, out, errText := Run(t, nil, append([]string{"directory", "show", itoa(keyID)}, ldapFlags...)...); code != 0 || !strings.Contains(out, "signature: the signature verifies") {
		t.Fatalf("directory show: exit %d, %s %s", code, out, errText)
	}

	// The central service lists the directory with the key's hosts.
	code, out, errText := Run(t, nil, "--server", s.URL, "--token", s.Token, "key", "activations", itoa(keyID))
	if code != 0 || !regexp.MustCompile(`dir-[0-9a-f]+\s+corp\.example\s+directory\s+online`).MatchString(out) {
		t.Fatalf("key activations: exit %d, %s %s; want the directory listed", code, out, errText)
	}

	client := func(machine string, args ...string) (int, string, string) {
		t.Helper()
		return Run(t, nil, append([]string{"client", "--state-dir", filepath.Join(dir, machine), "--machine-id", machine}, args...)...)
	}
	join := func(machine string) []string { // the machine's directory account
		pw := machine + "-secret"
		return []string{"--ldap", ld.URL, "--bind-dn", ld.AddMachine(t, machine, pw), "--password-file", writeFile(t, dir, machine+".pw", pw)}
	}
	for _, m := range []string{"pc-1", "pc-2", "pc-3"} {
		if code, _, errText := client(m, "install-key", gvlk, "--product", "contoso-desktop-11"); code != 0 {
			t.Fatalf("%s install-key: %s", m, errText)
		}
		code, out, errText := client(m, append([]string{"activate"}, join(m)...)...)
		if code != 0 || !strings.Contains(out, "through directory corp.example") || !strings.Contains(out, "Licensed (1)") {
			t.Fatalf("%s activate: exit %d, %s %s", m, code, out, errText)
		}
		code, out, _ = client(m, "status")
		if code != 0 || !regexp.MustCompile(`Activated by:\s+directory\n`).MatchString(out) || !regexp.MustCompile(`Directory:\s+corp\.example at `+regexp.QuoteMeta(ld.URL)).MatchString(out) {
			t.Fatalf("%s status: %s", m, out)
		}
	}

	// The environment works as the flags do (LICET_LDAP, LICET_BIND_DN, LICET_PASSWORD_FILE).
	envJoin := join("pc-env")
	client("pc-env", "install-key", gvlk, "--product", "contoso-desktop-11")
	env := map[string]string{"LICET_LDAP": envJoin[1], "LICET_BIND_DN": envJoin[3], "LICET_PASSWORD_FILE": envJoin[5]}
	code, out, errText = Run(t, env, "client", "--state-dir", filepath.Join(dir, "pc-env"), "--machine-id", "pc-env", "activate")
	if code != 0 || !strings.Contains(out, "through directory corp.example") {
		t.Fatalf("activate with LICET_* variables: exit %d, %s %s", code, out, errText)
	}

	// Found through the _ldap._tcp SRV records of the domain, asked of --dns-server, which also
	// resolves the server's name.
	dnsSrv := dnstest.Start(t, nil)
	ldapPort := ld.URL[strings.LastIndex(ld.URL, ":")+1:]
	dnsSrv.Add(t, "_ldap._tcp.corp.example. 60 IN SRV 0 0 "+ldapPort+" dc1.corp.example.", "dc1.corp.example. 60 IN A 127.0.0.1")
	client("pc-srv", "install-key", gvlk, "--product", "contoso-desktop-11")
	srvJoin := join("pc-srv")[2:] // without --ldap
	code, out, errText = client("pc-srv", append([]string{"activate", "--dns-domain", "corp.example", "--dns-server", dnsSrv.Addr}, srvJoin...)...)
	if code != 0 || !strings.Contains(out, "through directory corp.example (ldap://dc1.corp.example:"+ldapPort) {
		t.Fatalf("activation through _ldap._tcp: exit %d, %s %s", code, out, errText)
	}

	// A directory server whose name does not resolve: the DNS server asked is named.
	client("pc-gone", "install-key", gvlk, "--product", "contoso-desktop-11")
	code, _, errText = client("pc-gone", append([]string{"activate", "--ldap", "ldap://gone.corp.example", "--dns-domain", "corp.example", "--dns-server", dnsSrv.Addr}, srvJoin...)...)
	if code != 1 || !strings.Contains(errText, "cannot resolve gone.corp.example at DNS server "+dnsSrv.Addr) || !strings.Contains(errText, "[DirectoryUnavailable]") {
		t.Fatalf("unresolvable directory server: exit %d, %q", code, errText)
	}

	// Air-gapped: a request file, approved on a connected machine, then written to the directory.
	reqFile, respFile := filepath.Join(dir, "dir.req"), filepath.Join(dir, "dir.resp")
	if code, out, errText := Run(t, nil, "directory", "activate", "--key", hostKey, "--base", ldaptest.Base, "--request-file", reqFile); code != 0 || !strings.Contains(out, "licet kms approve") {
		t.Fatalf("directory request file: exit %d, %s %s", code, out, errText)
	}
	if code, out, errText := Run(t, nil, "--server", s.URL, "--token", s.Token, "kms", "approve", reqFile, "--out", respFile); code != 0 || !strings.Contains(out, "approved directory corp.example") {
		t.Fatalf("kms approve: exit %d, %s %s", code, out, errText)
	}
	code, out, errText = Run(t, nil, append([]string{"directory", "activate", "--response-file", respFile}, ldapFlags...)...)
	if code != 0 || !strings.Contains(out, "re-activated: wrote activation object "+objectDN) {
		t.Fatalf("directory response file: exit %d, %s %s", code, out, errText)
	}

	// A client certificate instead of a password: SASL EXTERNAL over LDAPS, and over StartTLS.
	for i, tlsFlags := range [][]string{{"--ldap", ld.TLSURL}, {"--ldap", ld.URL, "--start-tls"}} {
		m := "pc-cert-" + itoa(int64(i))
		ld.AddMachine(t, m, "unused")
		cert, key := ld.ClientCert(t, m)
		client(m, "install-key", gvlk, "--product", "contoso-desktop-11")
		code, out, errText := client(m, append([]string{"activate", "--client-cert", cert, "--client-key", key, "--ldap-ca", ld.CAFile}, tlsFlags...)...)
		if code != 0 || !strings.Contains(out, "through directory corp.example") {
			t.Fatalf("%s activate with a client certificate %v: exit %d, %s %s", m, tlsFlags, code, out, errText)
		}
	}
	// Without --ldap-ca the server's certificate (issued by the test CA) does not verify: named, with the way out.
	client("pc-cert-x", "install-key", gvlk, "--product", "contoso-desktop-11")
	cert, key := ld.ClientCert(t, "pc-cert-x")
	code, _, errText = client("pc-cert-x", "activate", "--ldap", ld.TLSURL, "--client-cert", cert, "--client-key", key)
	if code != 1 || !strings.Contains(errText, "its TLS certificate does not verify") || !strings.Contains(errText, "--ldap-ca") || !strings.Contains(errText, "[DirectoryBindFailed]") {
		t.Fatalf("LDAPS without --ldap-ca: exit %d, %q; want the server's certificate refused", code, errText)
	}

	// One byte of the signature changed with ldapmodify: refused, naming the signature.
	sig := regexp.MustCompile(`licetActivationSignature: (\S+)`).FindStringSubmatch(string(search))[1]
	altered := sig[:10] + string("AB"[map[bool]int{true: 1}[sig[10] == 'A']]) + sig[11:]
	modify := exec.Command("ldapmodify", "-x", "-H", ld.URL, "-D", ldaptest.AdminDN, "-w", ldaptest.AdminPassword)
	modify.Stdin = strings.NewReader("dn: " + objectDN + "\nchangetype: modify\nreplace: licetActivationSignature\nlicetActivationSignature: " + altered + "\n")
	if out, err := modify.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v: %s", err, out)
	}
	client("pc-4", "install-key", gvlk, "--product", "contoso-desktop-11")
	code, _, errText = client("pc-4", append([]string{"activate"}, join("pc-4")...)...)
	if code != 1 || !strings.Contains(errText, "its signature (licetActivationSignature) does not verify") || !strings.Contains(errText, "nothing was activated") {
		t.Fatalf("altered object: exit %d, %q; want refused naming the signature", code, errText)
	}
	if _, out, _ := client("pc-4", "status"); !strings.Contains(out, "Initial grace period (2)") {
		t.Fatalf("pc-4 after the altered object: %s", out)
	}
	publish() // the administrator writes it again

	// Wrong bind credentials: refused naming the bind, no activation.
	client("pc-5", "install-key", gvlk, "--product", "contoso-desktop-11")
	code, _, errText = client("pc-5", "activate", "--ldap", ld.URL, "--bind-dn", ld.AddMachine(t, "pc-5", "right"), "--password-file", writeFile(t, dir, "pc-5.pw", "wrong"))
	if code != 1 || !strings.Contains(errText, "bind to directory "+ld.URL+" as cn=pc-5") || !strings.Contains(errText, "Invalid Credentials (LDAP result 49). Way out: check --bind-dn and --password-file") ||
		!strings.Contains(errText, "Fallback to a KMS host failed too: ") {
		t.Fatalf("wrong password: exit %d, %q; want the bind failure named", code, errText)
	}
	if _, out, _ := client("pc-5", "status"); !strings.Contains(out, "Initial grace period (2)") {
		t.Fatalf("pc-5 after a failed bind: %s", out)
	}

	// The object removed: pc-1's next renewal (7 days on) fails; it stays Licensed until 180
	// days after its last contact, then enters the additional grace period.
	if code, out, errText := Run(t, nil, append([]string{"directory", "remove", itoa(keyID)}, ldapFlags...)...); code != 0 || !strings.Contains(out, "removed activation object "+objectDN) {
		t.Fatalf("directory remove: %d %s %s", code, out, errText)
	}
	_, st, _ := client("pc-1", "status", "--json")
	lastContact := regexp.MustCompile(`"lastContact": "([^"]+)"`).FindStringSubmatch(st)[1]
	day := func(days int) string { return shiftDays(t, lastContact, days) }
	if code, out, _ := client("pc-1", "daemon", "--once", "--now", day(3)); code != 0 || !strings.Contains(out, "waiting: Licensed") {
		t.Fatalf("daemon 3 days after the last contact: exit %d, %s; want waiting for the 7-day renewal", code, out)
	}
	code, out, _ = client("pc-1", "daemon", "--once", "--now", day(8))
	if code != 1 || !strings.Contains(out, "renew: Licensed") || !strings.Contains(out, "holds no activation object for product group") {
		t.Fatalf("renewal after removal: exit %d, %s", code, out)
	}
	if _, out, _ := client("pc-1", "status", "--now", day(179)); !strings.Contains(out, "Licensed (1)") {
		t.Fatalf("day 179 after the last contact: %s", out)
	}
	if _, out, _ := client("pc-1", "status", "--now", day(181)); !strings.Contains(out, "Additional grace period (3)") || !strings.Contains(out, "the directory activation ended") {
		t.Fatalf("day 181 after the last contact: %s", out)
	}

	// With a KMS host published in DNS, pc-2 (object removed) and pc-5 (cannot bind) fall back
	// to it.
	hostDir := filepath.Join(dir, "kms")
	if code, _, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", hostKey, "--state-dir", hostDir); code != 0 {
		t.Fatalf("kms activate: %s", errText)
	}
	dnsSrv.Add(t, "kms.corp.example. 60 IN A 127.0.0.1")
	port := strconv.Itoa(freePort(t))
	Listen(t, "kms", "serve", "--state-dir", hostDir, "--addr", "127.0.0.1:"+port, "--threshold", "client=1",
		"--dns-server", dnsSrv.Addr, "--dns-domain", "corp.example", "--dns-target", "kms.corp.example")
	for deadline := time.Now().Add(20 * time.Second); len(dnsSrv.Records("_licet-kms._tcp.corp.example.", dns.TypeSRV)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the KMS host did not publish its SRV record")
		}
		time.Sleep(10 * time.Millisecond) // polling the server, not waiting for time to pass
	}
	for _, m := range []string{"pc-2", "pc-5"} {
		code, out, errText := client(m, "activate", "--dns-domain", "corp.example", "--dns-server", dnsSrv.Addr)
		if code != 0 || !strings.Contains(out, "through KMS host kms.corp.example:"+port) {
			t.Fatalf("%s fallback to KMS: exit %d, %s %s", m, code, out, errText)
		}
		if _, out, _ := client(m, "status"); !regexp.MustCompile(`Activated by:\s+KMS host`).MatchString(out) || !strings.Contains(out, "Directory error:") {
			t.Fatalf("%s status after the fallback: %s", m, out)
		}
	}

	// The directory and the host are 2 of the key's 6; four more hosts fill it; a 7th,
	// directory or host, gets KMSHostLimitExceeded.
	for i := 3; i <= 6; i++ {
		if code, _, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", hostKey, "--state-dir", filepath.Join(dir, "kms-"+itoa(int64(i)))); code != 0 {
			t.Fatalf("host %d: %s", i, errText)
		}
	}
	ld.AddOU(t, "branch")
	code, _, errText = Run(t, nil, "--server", s.URL, "directory", "activate", "--key", hostKey, "--ldap", ld.URL, "--bind-dn", ldaptest.AdminDN,
		"--password-file", adminPW, "--base", "ou=branch,"+ldaptest.Base, "--name", "branch.corp.example")
	if code != 1 || !strings.Contains(errText, "[KMSHostLimitExceeded]") || !strings.Contains(errText, "6 of its 6 hosts and directories: directory branch.corp.example") {
		t.Fatalf("7th (a directory): exit %d, %q; want KMSHostLimitExceeded", code, errText)
	}
	code, _, errText = Run(t, nil, "--server", s.URL, "kms", "activate", "--key", hostKey, "--state-dir", filepath.Join(dir, "kms-7"))
	if code != 1 || !strings.Contains(errText, "[KMSHostLimitExceeded]") {
		t.Fatalf("7th (a host): exit %d, %q; want KMSHostLimitExceeded", code, errText)
	}
	if code, out, errText := Run(t, nil, append([]string{"--server", s.URL, "directory", "activate", "--key", hostKey}, ldapFlags...)...); code != 0 || !strings.Contains(out, "re-activated") {
		t.Fatalf("the same directory again: exit %d, %s %s; want a free re-activation", code, out, errText)
	}

	// After a rotation of the operator's signing key, the object written again is signed by key 2
	// and carries the key set: pc-3, which pinned key 1, learns key 2 from it and renews.
	ahead.Store(int64(time.Minute))
	if code, out, errText := Run(t, nil, "--server", s.URL, "--token", s.Token, "signing-key", "rotate"); code != 0 || !strings.Contains(out, "signing key 2 is now active") {
		t.Fatalf("rotate: exit %d, %s %s", code, out, errText)
	}
	if code, out, errText := Run(t, nil, append([]string{"--server", s.URL, "directory", "activate", "--key", hostKey}, ldapFlags...)...); code != 0 {
		t.Fatalf("directory activate after the rotation: exit %d, %s %s", code, out, errText)
	}
	rotated, err := exec.Command("ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", ld.URL, "-D", ldaptest.AdminDN, "-w", ldaptest.AdminPassword,
		"-b", objectDN, "-s", "base", "licetKeySet", "licetActivationData").CombinedOutput()
	if err != nil || !strings.Contains(string(rotated), "licetKeySet: ") {
		t.Fatalf("the object after the rotation lacks its key set: %v\n%s", err, rotated)
	}
	_, st3, _ := client("pc-3", "status", "--json")
	pc3Contact := regexp.MustCompile(`"lastContact": "([^"]+)"`).FindStringSubmatch(st3)[1]
	code, out, _ = client("pc-3", "daemon", "--once", "--now", shiftDays(t, pc3Contact, 8))
	if code != 0 || !strings.Contains(out, "renew: Licensed") || strings.Contains(out, "failed") {
		t.Fatalf("pc-3 renewal after the rotation: exit %d, %s", code, out)
	}
	if _, st3, _ = client("pc-3", "status", "--json", "--now", shiftDays(t, pc3Contact, 8)); !strings.Contains(st3, `"kid": 2`) {
		t.Fatalf("pc-3 after the renewal: %s; want the object of key 2", st3)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// shiftDays returns the RFC 3339 time days after t.
func shiftDays(t *testing.T, rfc string, days int) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, rfc)
	if err != nil {
		t.Fatal(err)
	}
	return at.Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)
}
