package webhooks

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/licet/licet"
)

// Resolver looks up a host's addresses; net.DefaultResolver in production.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// refused returns the error of a target the rules refuse.
func refused(format string, args ...any) *licet.Error {
	return licet.Errorf(licet.CodeWebhookTargetRefused, format, args...)
}

// CheckURL parses a webhook URL: http or https, a host, no user information, at most 2,000
// characters.
func CheckURL(raw string) (*url.URL, error) {
	if len(raw) > 2000 {
		return nil, licet.Errorf(licet.EInvalid, "url is longer than 2000 characters").With("field", "url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "url is malformed: %v", err).With("field", "url")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, refused("a webhook URL must start with http:// or https://, not %q", u.Scheme+":").With("field", "url")
	}
	if u.Hostname() == "" {
		return nil, licet.Errorf(licet.EInvalid, "url has no host").With("field", "url")
	}
	if u.User != nil {
		return nil, licet.Errorf(licet.EInvalid, "url must not hold a user name or password: the signature authenticates licet to the receiver").With("field", "url")
	}
	return u, nil
}

// Private reports whether an address is one a webhook may not reach unless the operator allows
// it: loopback, private (RFC 1918, RFC 4193), link-local, unspecified, multicast, CGNAT.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || netip.MustParsePrefix("0.0.0.0/8").Contains(a)
}

// resolveTimeout bounds the name lookup of a webhook's host at creation.
const resolveTimeout = 5 * time.Second

// checkTarget resolves the URL's host and refuses it when any address is private and private
// targets are not allowed.
func checkTarget(ctx context.Context, res Resolver, u *url.URL, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		addrs, err = res.LookupNetIP(lctx, "ip", host)
		cancel()
		if err != nil {
			return licet.Errorf(licet.EInvalid, "cannot resolve the webhook host %s: %v", host, err).With("field", "url")
		}
	}
	for _, a := range addrs {
		if Private(a) {
			return refused("the webhook host %s is a private or loopback address (%s): webhooks go to public addresses unless the operator starts `licet serve --webhook-allow-private`", host, a).With("field", "url")
		}
	}
	return nil
}

// dialControl refuses, at connection time, an address that is private when private targets are
// not allowed: the check that holds even when a name resolves differently at delivery.
func dialControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		if Private(ap.Addr()) {
			return refused("refused to connect to %s: a private or loopback address (allow with `licet serve --webhook-allow-private`)", ap.Addr())
		}
		return nil
	}
}

var _ Resolver = net.DefaultResolver
