package ldaptest

import (
	"crypto/tls"
	"crypto/x509"
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

// TestClientCertificate: over LDAPS and over StartTLS, a client certificate binds with SASL
// EXTERNAL as its machine account, verified against the test CA.
func TestClientCertificate(t *testing.T) {
	s := Shared(t)
	dn := s.AddMachine(t, "pc-cert", "unused")
	certFile, keyFile := s.ClientCert(t, "pc-cert")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pemCA, _ := os.ReadFile(s.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	tc := &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"}
	for _, startTLS := range []bool{false, true} {
		url := s.TLSURL
		if startTLS {
			url = s.URL
		}
		c, err := ldap.DialURL(url, ldap.DialWithTLSConfig(tc))
		if err != nil {
			t.Fatal(err)
		}
		if startTLS {
			if err := c.StartTLS(tc); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.ExternalBind(); err != nil {
			t.Fatalf("SASL EXTERNAL (StartTLS %v): %v", startTLS, err)
		}
		who, err := c.WhoAmI(nil)
		if err != nil || who.AuthzID != "dn:"+dn {
			t.Fatalf("bound as %+v, %v; want dn:%s", who, err, dn)
		}
		c.Close()
	}
}
