package ldaptest

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/licet/licet/internal/tlsreload/tlstest"
)

// certAuthority issues the test directory's server and client certificates.
type certAuthority struct {
	tlstest.Issued
}

func newCA(dir string) (*certAuthority, error) {
	ca, err := tlstest.Issue(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "licet test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil)
	if err != nil {
		return nil, err
	}
	return &certAuthority{ca}, os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM, 0o600)
}

// issued counts the certificates the CA issued; their serial numbers follow the CA's own (1).
var issued atomic.Int64

// issue writes NAME.pem and NAME.key in dir: a server certificate for ip, or a client one whose
// subject is cn=NAME.
func (ca *certAuthority) issue(dir, name, ip string, server bool) error {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1 + issued.Add(1)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP(ip)}
	}
	leaf, err := tlstest.Issue(tmpl, &ca.Issued)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), leaf.CertPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), leaf.KeyPEM, 0o600)
}
