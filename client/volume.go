package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/licet/licet"
)

var (
	_ licet.ProductService    = (*Client)(nil)
	_ licet.AgreementService  = (*Client)(nil)
	_ licet.KeyService        = (*Client)(nil)
	_ licet.ActivationService = (*Client)(nil)
)

// CreateProductGroup implements licet.ProductService.
func (c *Client) CreateProductGroup(ctx context.Context, g licet.ProductGroup) (*licet.ProductGroup, error) {
	var out licet.ProductGroup
	return &out, c.Do(ctx, "POST", Path("product-groups"), g, &out)
}

// ProductGroups implements licet.ProductService.
func (c *Client) ProductGroups(ctx context.Context) ([]licet.ProductGroup, error) {
	var out struct{ Groups []licet.ProductGroup }
	return out.Groups, c.Do(ctx, "GET", Path("product-groups"), nil, &out)
}

// CreateProduct implements licet.ProductService.
func (c *Client) CreateProduct(ctx context.Context, p licet.Product) (*licet.Product, error) {
	var out licet.Product
	return &out, c.Do(ctx, "POST", Path("products"), p, &out)
}

// Products implements licet.ProductService.
func (c *Client) Products(ctx context.Context) ([]licet.Product, error) {
	var out struct{ Products []licet.Product }
	return out.Products, c.Do(ctx, "GET", Path("products"), nil, &out)
}

// GVLKs implements licet.ProductService (a public route: no token needed).
func (c *Client) GVLKs(ctx context.Context) ([]licet.GVLK, error) {
	var out struct{ GVLKs []licet.GVLK }
	return out.GVLKs, c.Do(ctx, "GET", Path("gvlk"), nil, &out)
}

// CreateAgreement implements licet.AgreementService.
func (c *Client) CreateAgreement(ctx context.Context, a licet.Agreement) (*licet.Agreement, error) {
	var out licet.Agreement
	return &out, c.Do(ctx, "POST", Path("agreements"), a, &out)
}

// Agreements implements licet.AgreementService.
func (c *Client) Agreements(ctx context.Context, tenant string) ([]licet.Agreement, error) {
	var out struct{ Agreements []licet.Agreement }
	return out.Agreements, c.Do(ctx, "GET", WithQuery(Path("agreements"), "tenant", tenant), nil, &out)
}

// Agreement implements licet.AgreementService.
func (c *Client) Agreement(ctx context.Context, licensingID string) (*licet.Agreement, error) {
	var out licet.Agreement
	return &out, c.Do(ctx, "GET", Path("agreements", licensingID), nil, &out)
}

// IssueKey implements licet.KeyService.
func (c *Client) IssueKey(ctx context.Context, r licet.KeyRequest) (*licet.ProductKey, error) {
	var out licet.ProductKey
	return &out, c.Do(ctx, "POST", Path("keys"), r, &out)
}

// Keys implements licet.KeyService.
func (c *Client) Keys(ctx context.Context, tenant string) ([]licet.ProductKey, error) {
	var out struct{ Keys []licet.ProductKey }
	return out.Keys, c.Do(ctx, "GET", WithQuery(Path("keys"), "tenant", tenant), nil, &out)
}

// Key implements licet.KeyService.
func (c *Client) Key(ctx context.Context, id int64) (*licet.ProductKey, error) {
	var out licet.ProductKey
	return &out, c.Do(ctx, "GET", Path("keys", fmt.Sprint(id)), nil, &out)
}

// LookupKey implements licet.KeyService; the key travels in the body, never in the URL.
func (c *Client) LookupKey(ctx context.Context, key string) (*licet.ProductKey, error) {
	var out licet.ProductKey
	return &out, c.Do(ctx, "POST", Path("keys", "lookup"), map[string]string{"key": key}, &out)
}

// ExtendKey implements licet.KeyService.
func (c *Client) ExtendKey(ctx context.Context, id int64, n int64) (*licet.ProductKey, error) {
	var out licet.ProductKey
	return &out, c.Do(ctx, "POST", Path("keys", fmt.Sprint(id), "extend"), map[string]int64{"by": n}, &out)
}

// BlockKey implements licet.KeyService.
func (c *Client) BlockKey(ctx context.Context, id int64, blocked bool) (*licet.ProductKey, error) {
	verb := "unblock"
	if blocked {
		verb = "block"
	}
	var out licet.ProductKey
	return &out, c.Do(ctx, "POST", Path("keys", fmt.Sprint(id), verb), struct{}{}, &out)
}

// Activate implements licet.ActivationService (a public route: the key is the credential).
// Verify the ticket with package ticket and the operator's key (SigningKey) before trusting it.
func (c *Client) Activate(ctx context.Context, r licet.ActivationRequest) (*licet.Activation, error) {
	var out licet.Activation
	return &out, c.Do(ctx, "POST", Path("activations"), r, &out)
}

// SigningKey fetches the operator's public key from the server. Pin it: fetching it over an
// untrusted network on every use would let a man in the middle sign its own tickets.
func (c *Client) SigningKey(ctx context.Context) (ed25519.PublicKey, error) {
	k, err := c.PublishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(k.PublicKey)
}

// ParsePublicKey decodes a base64 Ed25519 public key as `licet pubkey` prints it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, licet.Errorf(licet.EInvalid, "the operator's public key must be the base64 of 32 bytes, as `licet pubkey` prints it")
	}
	return ed25519.PublicKey(raw), nil
}

// KeyActivations lists the machines a key activated (a kms-host key's KMS hosts), newest first,
// at most limit, and how many there are in all.
func (c *Client) KeyActivations(ctx context.Context, id int64, limit int) ([]licet.KeyActivation, int, error) {
	var out struct {
		Total       int                   `json:"total"`
		Activations []licet.KeyActivation `json:"activations"`
	}
	err := c.Do(ctx, "GET", WithQuery(Path("keys", fmt.Sprint(id), "activations"), "limit", itoa(limit)), nil, &out)
	return out.Activations, out.Total, err
}
