// Package tlstest writes self-signed certificates for 127.0.0.1 for tests of TLS serving.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/tlsreload"
)

// Pair is a certificate and its key, written to files.
type Pair struct {
	CertFile, KeyFile string
	Cert              *x509.Certificate
	CertPEM, KeyPEM   []byte
}

// Issued is a certificate and its private key, parsed and PEM-encoded (PKCS #8 for the key).
type Issued struct {
	Cert            *x509.Certificate
	Key             *ecdsa.PrivateKey
	CertPEM, KeyPEM []byte
}

// Issue makes a P-256 key and a certificate of tmpl for it, signed by parent's key, or
// self-signed when parent is nil.
func Issue(tmpl *x509.Certificate, parent *Issued) (Issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, err
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		return Issued{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Issued{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Cert: cert, Key: key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})}, nil
}

// Write makes a self-signed certificate for 127.0.0.1 and localhost with the serial number (it
// expires that many days from now), and
// writes it to dir/NAME.crt and dir/NAME.key.
func Write(t testing.TB, dir, name string, serial int64) Pair {
	t.Helper()
	iss, err := Issue(&x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "licet test " + name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Duration(serial) * 24 * time.Hour).Truncate(time.Second), // distinct per serial
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{
		CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key"), Cert: iss.Cert,
		CertPEM: iss.CertPEM, KeyPEM: iss.KeyPEM,
	}
	if err := os.WriteFile(p.CertFile, p.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.KeyFile, p.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Renewal writes a certificate (serial 1) to a temporary directory and its renewal (serial 2) to
// another, and loads the first with tlsreload: the start of every reload test.
func Renewal(t testing.TB) (first, renewed Pair, cert *tlsreload.Certificate) {
	t.Helper()
	first = Write(t, t.TempDir(), "server", 1)
	renewed = Write(t, t.TempDir(), "renewed", 2)
	cert, err := tlsreload.Load(first.CertFile, first.KeyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	return first, renewed, cert
}

// Install replaces dst's certificate and key files with p's the way a renewal tool does: write
// beside, then rename over.
func Install(t testing.TB, p Pair, certFile, keyFile string) {
	t.Helper()
	for _, f := range []struct {
		path string
		data []byte
	}{{keyFile, p.KeyPEM}, {certFile, p.CertPEM}} {
		tmp := f.path + ".new"
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
}

// Pool returns a pool trusting the certificates.
func Pool(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}
