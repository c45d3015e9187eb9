// Package tlsreload serves a TLS certificate that can be replaced on disk while the server runs:
// each handshake checks whether the certificate or key file changed (a stat of each) and loads
// the new pair; a reload can also be forced (SIGHUP). Connections already open keep the
// certificate they were made with, so nothing is dropped. A pair that fails to load (a renewal
// half written) leaves the previous certificate in service and is logged once.
package tlsreload

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Certificate is a certificate and key file pair kept loaded.
type Certificate struct {
	certFile, keyFile string
	log               *slog.Logger

	mu   sync.Mutex
	cert *tls.Certificate
	seen [2]os.FileInfo // the files as last loaded or last tried; nil when missing
}

// same reports whether a and b are one version of a file: the same file, size and modification
// time.
func same(a, b os.FileInfo) bool {
	return a != nil && b != nil && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

// Load loads the pair; it fails when the files do not hold a matching certificate and key.
func Load(certFile, keyFile string, log *slog.Logger) (*Certificate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload loads the pair now, whether or not the files changed.
func (c *Certificate) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load(c.stamps())
}

func (c *Certificate) stamps() [2]os.FileInfo {
	var out [2]os.FileInfo
	for i, f := range []string{c.certFile, c.keyFile} {
		if st, err := os.Stat(f); err == nil {
			out[i] = st
		}
	}
	return out
}

// load reads the files; on failure the previous certificate stays.
func (c *Certificate) load(now [2]os.FileInfo) error {
	c.seen = now
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	old := c.cert
	c.cert = &pair
	if old != nil {
		c.log.Info("TLS certificate reloaded", "cert", c.certFile, "expires", c.expiresLocked())
	}
	return nil
}

// GetCertificate is tls.Config.GetCertificate: the current pair, reloaded first when a file
// changed since it was last read.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.stamps()
	if !same(now[0], c.seen[0]) || !same(now[1], c.seen[1]) {
		if err := c.load(now); err != nil {
			c.log.Warn("TLS certificate changed on disk but cannot be loaded; serving the previous one", "err", err)
		}
	}
	return c.cert, nil
}

// Expires returns when the certificate in service expires.
func (c *Certificate) Expires() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expiresLocked()
}

// expiresLocked is Expires with c.mu held: the leaf that tls.LoadX509KeyPair parsed.
func (c *Certificate) expiresLocked() time.Time {
	if c.cert == nil || c.cert.Leaf == nil {
		return time.Time{}
	}
	return c.cert.Leaf.NotAfter
}

// Config returns a server TLS configuration serving c.
func (c *Certificate) Config() *tls.Config {
	return &tls.Config{GetCertificate: c.GetCertificate, MinVersion: tls.VersionTLS12}
}
