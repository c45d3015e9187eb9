package ldaptest

import (
	"os"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestMachineBinds: the shipped schema loads, the server answers, and a machine account binds
// with its password and not with another.
func TestMachineBinds(t *testing.T) {
	s := Shared(t)
	dn := s.AddMachine(t, "pc-1", "pc-1-secret")
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(dn, "pc-1-secret"); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := c.Bind(dn, "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("bind with a wrong password: %v, want invalid credentials", err)
	}
}
