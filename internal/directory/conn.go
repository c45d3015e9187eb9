package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
)

// Config says how to reach and bind to a directory server.
type Config struct {
	URL      string // ldap://HOST[:PORT] or ldaps://HOST[:PORT]
	StartTLS bool   // upgrade an ldap:// connection with StartTLS
	CAFile   string // PEM CA certificates that verify the server (the system's when empty)
	// A client certificate binds with SASL EXTERNAL over LDAPS or StartTLS; otherwise BindDN
	// and Password bind (simple bind).
	CertFile, KeyFile string
	BindDN            string
	Password          string
	Timeout           time.Duration // connect and per request; 10 s when zero
	// DNSServer (host[:port]) resolves the server's name; the system resolver when empty.
	DNSServer string
}

// Conn is a bound connection to a directory server.
type Conn struct {
	*ldap.Conn
	URL string
}

// CheckURL checks an LDAP URL: ldap:// or ldaps://, a host, no path.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Hostname() == "" || strings.Trim(u.Path, "/") != "" {
		return licet.Errorf(licet.EInvalid, "directory URL %q: write ldap://HOST[:PORT] or ldaps://HOST[:PORT]", raw).With("field", "ldap")
	}
	return nil
}

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

func (c Config) tlsConfig(host string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, licet.Errorf(licet.EInvalid, "--ldap-ca: %v", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, licet.Errorf(licet.EInvalid, "--ldap-ca %s holds no PEM certificate", c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, licet.Errorf(licet.EInvalid, "--client-cert/--client-key: %v", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Dial connects to the directory server and binds. A server that does not answer is
// CodeDirectoryUnavailable; a refused bind (wrong credentials, not a member, certificate
// refused) is CodeDirectoryBindFailed, naming the server, the identity and LDAP's result.
func Dial(ctx context.Context, c Config) (*Conn, error) {
	if err := CheckURL(c.URL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.URL)
	tc, err := c.tlsConfig(u.Hostname())
	if err != nil {
		return nil, err
	}
	if c.CertFile != "" && u.Scheme != "ldaps" && !c.StartTLS {
		return nil, licet.Errorf(licet.EInvalid, "a client certificate binds over TLS: use an ldaps:// URL or --start-tls")
	}
	d := &net.Dialer{Timeout: c.timeout(), Resolver: kmsclient.Resolver(c.DNSServer)}
	lc, err := ldap.DialURL(c.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(tc))
	var verr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return nil, licet.Errorf(CodeUnavailable, "directory server %s: cannot resolve %s %s: %s", c.URL, dnsErr.Name, kmsclient.AskedOf(c.DNSServer), dnsErr.Err)
	case errors.As(err, &verr):
		return nil, licet.Errorf(licet.CodeDirectoryBindFailed, "directory server %s: its TLS certificate does not verify: %v. Way out: give the CA that issued it with --ldap-ca", c.URL, verr.Err)
	case err != nil:
		return nil, licet.Errorf(CodeUnavailable, "directory server %s does not answer: %v", c.URL, rootCause(err))
	}
	lc.SetTimeout(c.timeout())
	conn := &Conn{Conn: lc, URL: c.URL}
	if c.StartTLS {
		if err := lc.StartTLS(tc); err != nil {
			lc.Close()
			if errors.As(err, &verr) {
				err = verr.Err
			}
			return nil, licet.Errorf(licet.CodeDirectoryBindFailed, "StartTLS with directory server %s failed: %v. Way out: give the CA that issued its certificate with --ldap-ca, and check that the server offers StartTLS", c.URL, rootCause(err))
		}
	}
	if ctx.Err() != nil {
		lc.Close()
		return nil, ctx.Err()
	}
	switch {
	case c.CertFile != "":
		err = lc.ExternalBind()
		if err != nil {
			lc.Close()
			return nil, licet.Errorf(licet.CodeDirectoryBindFailed, "bind to directory %s with the client certificate %s failed: %s. Way out: check that the directory maps the certificate to this machine's account and trusts its issuer", c.URL, c.CertFile, ldapReason(err))
		}
	case c.BindDN == "" || c.Password == "":
		lc.Close()
		return nil, licet.Errorf(licet.EInvalid, "binding to directory %s needs --bind-dn and --password-file, or --client-cert and --client-key", c.URL)
	default:
		if err := lc.Bind(c.BindDN, c.Password); err != nil {
			lc.Close()
			return nil, licet.Errorf(licet.CodeDirectoryBindFailed, "bind to directory %s as %s failed: %s. Way out: check --bind-dn and --password-file; a machine that left the directory cannot bind and activates through a KMS host instead", c.URL, c.BindDN, ldapReason(err)).With("dn", c.BindDN)
		}
	}
	return conn, nil
}

// CodeUnavailable is the code of a directory server that does not answer.
const CodeUnavailable = licet.CodeDirectoryUnavailable

// ldapReason says why an LDAP operation failed: the result's name and code.
func ldapReason(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) {
		name := ldap.LDAPResultCodeMap[le.ResultCode]
		msg := ""
		if le.Err != nil {
			if m := strings.TrimSpace(strings.TrimPrefix(le.Err.Error(), "ldap: ")); m != "" {
				msg = ": " + m
			}
		}
		return fmt.Sprintf("%s (LDAP result %d)%s", name, le.ResultCode, msg)
	}
	return err.Error()
}

func rootCause(err error) error {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		return le.Err
	}
	return err
}

// ReadPassword reads a bind password from a file (--password-file): the file's first line.
func ReadPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", licet.Errorf(licet.EInvalid, "cannot read the password file (--password-file): %v", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimRight(pw, "\r")
	if pw == "" {
		return "", licet.Errorf(licet.EInvalid, "the password file %s is empty (--password-file)", path)
	}
	return pw, nil
}

// CheckBase checks that the base DN exists and can be read.
func (c *Conn) CheckBase(base string) error {
	_, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
	if err != nil {
		return c.failed("read --base "+base, err)
	}
	return nil
}

// Publish writes the object, replacing the object of the same key written before.
func (c *Conn) Publish(o Object) error {
	add := ldap.NewAddRequest(o.DN, nil)
	add.Attribute("objectClass", []string{ObjectClass})
	for _, a := range o.attributes() {
		add.Attribute(a.Type, a.Vals)
	}
	err := c.Add(add)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		mod := ldap.NewModifyRequest(o.DN, nil)
		for _, a := range o.attributes() {
			mod.Replace(a.Type, a.Vals)
		}
		if o.Tenant == "" {
			mod.Replace(attrTenant, nil)
		}
		err = c.Modify(mod)
	}
	if err != nil {
		return c.failed("write the activation object "+o.DN, err)
	}
	return nil
}

// failed names an LDAP operation that failed and the likely way out.
func (c *Conn) failed(what string, err error) error {
	way := ""
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultObjectClassViolation), ldap.IsErrorWithCode(err, ldap.LDAPResultUndefinedAttributeType):
		way = ". Way out: load licet's schema into the directory first (`licet directory schema`, docs/directory.md)"
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights):
		way = ". Way out: bind as an account that may write under the base DN"
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		way = ". Way out: check --base (it must exist)"
	}
	return licet.Errorf(licet.EUnavailable, "directory %s: cannot %s: %s%s", c.URL, what, ldapReason(err), way)
}

// List returns the activation objects under base (every naming context when base is empty).
func (c *Conn) List(base string) ([]Object, error) {
	return c.search(base, "(objectClass="+ObjectClass+")")
}

// Find returns the activation objects under base that name the product group.
func (c *Conn) Find(base string, group uint16) ([]Object, error) {
	return c.search(base, fmt.Sprintf("(&(objectClass=%s)(%s=%d))", ObjectClass, attrGroup, group))
}

// Get returns the object at dn.
func (c *Conn) Get(dn string) (Object, error) {
	r, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass="+ObjectClass+")", objectAttrs, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || (err == nil && len(r.Entries) == 0) {
		return Object{}, licet.Errorf(licet.CodeActivationObjectNotFound, "directory %s holds no activation object %s", c.URL, dn)
	}
	if err != nil {
		return Object{}, c.failed("read "+dn, err)
	}
	return FromEntry(r.Entries[0])
}

// Remove deletes the object at dn.
func (c *Conn) Remove(dn string) error {
	if _, err := c.Get(dn); err != nil {
		return err
	}
	if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
		return c.failed("remove "+dn, err)
	}
	return nil
}

// maxObjects bounds the objects one search returns.
const maxObjects = 1000

func (c *Conn) search(base, filter string) ([]Object, error) {
	bases := []string{base}
	if base == "" {
		var err error
		if bases, err = c.namingContexts(); err != nil {
			return nil, err
		}
	}
	var out []Object
	for _, b := range bases {
		r, err := c.Search(ldap.NewSearchRequest(b, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, maxObjects, 0, false, filter, objectAttrs, nil))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			continue
		}
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return nil, c.failed("search "+b, err)
		}
		for _, e := range r.Entries {
			o, err := FromEntry(e)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// namingContexts reads the directory's naming contexts from its root DSE.
func (c *Conn) namingContexts() ([]string, error) {
	r, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil || len(r.Entries) == 0 {
		return nil, licet.Errorf(licet.EUnavailable, "directory %s does not tell its naming contexts: give the base DN with --ldap-base", c.URL)
	}
	return r.Entries[0].GetAttributeValues("namingContexts"), nil
}

// Discover finds directory servers through the _ldap._tcp SRV records of domain, asked of
// dnsServer (the system resolver when empty), in RFC 2782 order. Port 636 is LDAPS.
func Discover(ctx context.Context, domain, dnsServer string, timeout time.Duration) ([]string, error) {
	if domain == "" {
		domain = kmsclient.SearchDomain()
	}
	if domain == "" {
		return nil, licet.Errorf(licet.EInvalid, "no domain to look for _ldap._tcp SRV records in: give --ldap URL or --dns-domain")
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hosts, err := kmsclient.Lookup(ctx, dnsServer, "ldap", domain)
	if err != nil {
		return nil, licet.Errorf(CodeUnavailable, "no directory server found: %v", err)
	}
	if len(hosts) == 0 {
		return nil, licet.Errorf(CodeUnavailable, "no directory server found: no _ldap._tcp SRV records in %s (asked %s); give --ldap URL", domain, kmsclient.AskedOf(dnsServer))
	}
	var urls []string
	for _, h := range kmsclient.Order(hosts, nil) {
		scheme := "ldap"
		if h.Port == 636 {
			scheme = "ldaps"
		}
		urls = append(urls, scheme+"://"+net.JoinHostPort(strings.TrimSuffix(h.Target, "."), strconv.Itoa(int(h.Port))))
	}
	return urls, nil
}
