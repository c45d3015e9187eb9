// Package client is the Go SDK of licet: an HTTP client that implements the service interfaces of
// package licet, so that programs (and the licet command line) use the API as if it were local.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/licet/licet"
)

// Client talks to a licet server.
type Client struct {
	// BaseURL is the server's address, e.g. http://127.0.0.1:8470.
	BaseURL string
	// Token is the bearer token; empty for public routes.
	Token string
	// HTTP is the client used; http.DefaultClient's transport with a 60 s timeout when nil.
	HTTP *http.Client
}

// New returns a client for the server at baseURL with the token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Do sends a request with in as its JSON body (nil for none) and decodes a JSON answer into out
// (nil to drop it). An error answer comes back as a *licet.Error with the server's code.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "bad server address %q: %v", c.BaseURL, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if advice := tlsAdvice(err); advice != "" {
			return licet.Errorf(licet.EUnavailable, "TLS error talking to the licet server at %s: %v (%s)", c.BaseURL, rootCause(err), advice)
		}
		return licet.Errorf(licet.EUnavailable, "cannot reach the licet server at %s: %v (is `licet serve` running? set --server or LICET_SERVER)", c.BaseURL, rootCause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return licet.Errorf(licet.EInternal, "the server's answer is not the expected JSON: %v", err)
	}
	return nil
}

// tlsAdvice returns the way out of a TLS failure, or "" when err is not one.
func tlsAdvice(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var header tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA):
		return "the server's certificate is signed by an authority this machine does not trust: give its CA certificate with --ca FILE or LICET_CA"
	case errors.As(err, &host):
		return "the server's certificate is not valid for this address: use the name the certificate names in --server"
	case errors.As(err, &invalid):
		return "the server's certificate is expired or not valid yet, or not meant for a server: renew it"
	case errors.As(err, &verify):
		return "the server's certificate cannot be verified: give its CA certificate with --ca FILE or LICET_CA"
	case errors.As(err, &header):
		return "the server does not answer TLS: use http:// in --server, or start licet serve with --tls-cert and --tls-key"
	}
	return ""
}

// TrustCA makes the client trust the certificate authorities in the PEM file caFile besides the
// system's, for a server whose certificate a private CA signed.
func (c *Client) TrustCA(caFile string) error {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot read the CA file: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return licet.Errorf(licet.EInvalid, "the CA file %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	c.HTTP.Transport = tr
	return nil
}

func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body struct {
		Error *licet.Error `json:"error"`
	}
	if resp.StatusCode == http.StatusBadRequest && bytes.Contains(data, []byte("HTTP request to an HTTPS server")) {
		return licet.Errorf(licet.EUnavailable, "TLS error: the server at %s answers only HTTPS: use https:// in --server", resp.Request.URL.Host)
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Error == nil || body.Error.Code == "" {
		return licet.Errorf(licet.EInternal, "the server answered %s without a licet error body", resp.Status)
	}
	return body.Error
}

// Path joins escaped path segments under /v1.
func Path(segments ...string) string {
	var b strings.Builder
	b.WriteString("/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// WithQuery appends the non-empty values as a query string.
func WithQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

var (
	_ licet.TenantService = (*Client)(nil)
	_ licet.TokenService  = (*Client)(nil)
	_ licet.AuditService  = (*Client)(nil)
)

// CreateTenant implements licet.TenantService.
func (c *Client) CreateTenant(ctx context.Context, t licet.Tenant) (*licet.Tenant, error) {
	var out licet.Tenant
	return &out, c.Do(ctx, "POST", Path("tenants"), t, &out)
}

// Tenant implements licet.TenantService.
func (c *Client) Tenant(ctx context.Context, slug string) (*licet.Tenant, error) {
	var out licet.Tenant
	return &out, c.Do(ctx, "GET", Path("tenants", slug), nil, &out)
}

// Tenants implements licet.TenantService.
func (c *Client) Tenants(ctx context.Context) ([]licet.Tenant, error) {
	var out struct{ Tenants []licet.Tenant }
	return out.Tenants, c.Do(ctx, "GET", Path("tenants"), nil, &out)
}

// CreateToken implements licet.TokenService.
func (c *Client) CreateToken(ctx context.Context, t licet.Token) (*licet.Token, error) {
	var out licet.Token
	return &out, c.Do(ctx, "POST", Path("tokens"), t, &out)
}

// Tokens implements licet.TokenService.
func (c *Client) Tokens(ctx context.Context) ([]licet.Token, error) {
	var out struct{ Tokens []licet.Token }
	return out.Tokens, c.Do(ctx, "GET", Path("tokens"), nil, &out)
}

// RevokeToken implements licet.TokenService.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.Do(ctx, "DELETE", Path("tokens", fmt.Sprint(id)), nil, nil)
}

// Authenticate implements licet.TokenService: it asks the server who the token is.
func (c *Client) Authenticate(ctx context.Context, secret string) (licet.Actor, error) {
	var a licet.Actor
	cc := *c
	cc.Token = secret
	return a, cc.Do(ctx, "GET", Path("whoami"), nil, &a)
}

// Audit implements licet.AuditService.
func (c *Client) Audit(ctx context.Context, f licet.AuditFilter) ([]licet.AuditEntry, error) {
	var out struct{ Entries []licet.AuditEntry }
	p := WithQuery(Path("audit"), "tenant", f.Tenant, "action", f.Action, "limit", itoa(f.Limit), "before", itoa(int(f.Before)))
	return out.Entries, c.Do(ctx, "GET", p, nil, &out)
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}
