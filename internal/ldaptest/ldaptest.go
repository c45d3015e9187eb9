// Package ldaptest runs a real OpenLDAP slapd for tests: on a loopback port, in a temporary
// directory, with a cn=config built by slapadd from Debian's core schema and licet's shipped
// schema. One server serves a whole test package (Shared, stopped by Main).
package ldaptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/licet/licet/internal/directory"
	"github.com/licet/licet/internal/testproc"
)

// The directory's layout.
const (
	Base          = "dc=corp,dc=example"
	AdminDN       = "cn=admin," + Base
	AdminPassword = "admin-secret"
	Computers     = "ou=computers," + Base
)

// Server is a running slapd. It offers StartTLS on URL and LDAPS on TLSURL with a server
// certificate for 127.0.0.1 issued by its own CA (CAFile), and maps a client certificate whose
// subject is cn=NAME to the account cn=NAME,ou=computers (SASL EXTERNAL).
type Server struct {
	URL    string // ldap://127.0.0.1:PORT
	TLSURL string // ldaps://127.0.0.1:PORT
	CAFile string // PEM of the CA that issued the server's and clients' certificates
	Dir    string // its temporary directory
	ca     *certAuthority
	cmd    *exec.Cmd
}

var (
	once    sync.Once
	shared  *Server
	initErr error
)

// Shared returns the package's slapd, started on first use. Without slapd it skips the test,
// or fails it when CI=true (CI must run these tests).
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		if _, err := exec.LookPath(slapd); err != nil && os.Getenv("CI") != "true" {
			t.Skipf("slapd is not installed (apt-get install slapd ldap-utils): %v", initErr)
		}
		t.Fatalf("ldaptest: %v", initErr)
	}
	return shared
}

// Main runs the package's tests and then stops the shared slapd: call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

const slapd = "/usr/sbin/slapd"

func start() (*Server, error) {
	for _, tool := range []string{slapd, "slapadd"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found: install Debian's slapd and ldap-utils", tool)
		}
	}
	dir, err := os.MkdirTemp("", "licet-slapd-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir}
	schema := filepath.Join(dir, "licet.ldif")
	if err := os.WriteFile(schema, directory.Schema, 0o644); err != nil {
		return nil, err
	}
	for _, d := range []string{"slapd.d", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	if s.ca, err = newCA(dir); err != nil {
		return nil, err
	}
	s.CAFile = filepath.Join(dir, "ca.pem")
	if err := s.ca.issue(dir, "server", "127.0.0.1", true); err != nil {
		return nil, err
	}
	config := fmt.Sprintf(configLDIF, dir, schema, Base, dir, AdminDN, AdminPassword, AdminDN, Computers)
	if err := os.WriteFile(filepath.Join(dir, "config.ldif"), []byte(config), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command("slapadd", "-n", "0", "-F", filepath.Join(dir, "slapd.d"), "-l", filepath.Join(dir, "config.ldif")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd of the config (and licet's schema): %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tlsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(port)
	s.TLSURL = "ldaps://127.0.0.1:" + strconv.Itoa(tlsPort)
	var logs bytes.Buffer
	program, err := testproc.Unconfined(slapd, dir)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(program, "-d", "0", "-F", filepath.Join(dir, "slapd.d"), "-h", s.URL+"/ "+s.TLSURL+"/")
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	testproc.DieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%v; slapd said: %s", err, logs.String())
	}
	if err := s.seed(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady waits, at most 10 s, until slapd accepts an admin bind.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := s.Admin()
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd did not start on %s: %v", s.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop ends slapd and removes its directory.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	_ = os.RemoveAll(s.Dir)
}

// Admin returns a connection bound as the directory's administrator.
func (s *Server) Admin() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		return nil, err
	}
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Server) seed() error {
	c, err := s.Admin()
	if err != nil {
		return err
	}
	defer c.Close()
	base := ldap.NewAddRequest(Base, nil)
	base.Attribute("objectClass", []string{"dcObject", "organization"})
	base.Attribute("dc", []string{"corp"})
	base.Attribute("o", []string{"Corp Example"})
	ou := ldap.NewAddRequest(Computers, nil)
	ou.Attribute("objectClass", []string{"organizationalUnit"})
	ou.Attribute("ou", []string{"computers"})
	for _, r := range []*ldap.AddRequest{base, ou} {
		if err := c.Add(r); err != nil {
			return fmt.Errorf("seed %s: %v", r.DN, err)
		}
	}
	return nil
}

// AddOU adds the organizational unit ou=NAME under Base, if it is not there, and returns its DN.
func (s *Server) AddOU(t testing.TB, name string) string {
	t.Helper()
	dn := "ou=" + ldap.EscapeDN(name) + "," + Base
	s.addIfMissing(t, dn, ldap.Attribute{Type: "objectClass", Vals: []string{"organizationalUnit"}}, ldap.Attribute{Type: "ou", Vals: []string{name}})
	return dn
}

// AddMachine adds a computer account cn=NAME,ou=computers that binds with password, and returns
// its DN. An existing account keeps its password.
func (s *Server) AddMachine(t testing.TB, name, password string) string {
	t.Helper()
	dn := "cn=" + ldap.EscapeDN(name) + "," + Computers
	s.addIfMissing(t, dn, ldap.Attribute{Type: "objectClass", Vals: []string{"device", "simpleSecurityObject"}},
		ldap.Attribute{Type: "cn", Vals: []string{name}}, ldap.Attribute{Type: "userPassword", Vals: []string{password}})
	return dn
}

// addIfMissing adds the entry dn with attrs as the administrator; an entry already there is kept
// as it is.
func (s *Server) addIfMissing(t testing.TB, dn string, attrs ...ldap.Attribute) {
	t.Helper()
	c, err := s.Admin()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := ldap.NewAddRequest(dn, nil)
	r.Attributes = attrs
	if err := c.Add(r); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		t.Fatal(err)
	}
}

// configLDIF is the cn=config of the test slapd: the core schema, licet's, one mdb database
// whose entries only bound users read.
const configLDIF = `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: %[1]s/slapd.pid
olcTLSCACertificateFile: %[1]s/ca.pem
olcTLSCertificateFile: %[1]s/server.pem
olcTLSCertificateKeyFile: %[1]s/server.key
olcTLSVerifyClient: try
olcAuthzRegexp: "^cn=([^,]+)$" "cn=$1,%[8]s"

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file://%[2]s

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=Subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: %[3]s
olcDbDirectory: %[4]s/data
olcDbMaxSize: 16777216
olcRootDN: %[5]s
olcRootPW: %[6]s
olcAccess: {0}to attrs=userPassword by anonymous auth by self read by * none
olcAccess: {1}to * by dn.exact="%[7]s" write by users read by * none
`

// ClientCert issues a client certificate for cn=NAME (the account cn=NAME,ou=computers) and
// returns the paths of its PEM certificate and key.
func (s *Server) ClientCert(t testing.TB, name string) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	if err := s.ca.issue(dir, name, "", false); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
}
