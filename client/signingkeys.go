package client

import (
	"context"
	"fmt"

	"github.com/licet/licet"
)

var _ licet.SigningKeyService = (*Client)(nil)

// PublishedKeys is the answer of GET /v1/signing-key: the active key, and the key set, signed by
// it, from which machines that trust an earlier key learn this one (ticket.VerifyKeySet).
type PublishedKeys struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"publicKey"` // the active key, standard base64
	KeyID     uint32 `json:"keyId"`     // its id
	KeySet    string `json:"keySet"`    // the signed key set
}

// PublishedKeys fetches the active key and the signed key set.
func (c *Client) PublishedKeys(ctx context.Context) (*PublishedKeys, error) {
	var out PublishedKeys
	return &out, c.Do(ctx, "GET", Path("signing-key"), nil, &out)
}

// SigningKeys implements licet.SigningKeyService.
func (c *Client) SigningKeys(ctx context.Context) ([]licet.SigningKey, error) {
	var out struct {
		Keys []licet.SigningKey `json:"keys"`
	}
	return out.Keys, c.Do(ctx, "GET", Path("signing-keys"), nil, &out)
}

// RotateSigningKey implements licet.SigningKeyService.
func (c *Client) RotateSigningKey(ctx context.Context) (*licet.SigningKey, error) {
	var out licet.SigningKey
	return &out, c.Do(ctx, "POST", Path("signing-keys"), struct{}{}, &out)
}

// RetireSigningKey implements licet.SigningKeyService.
func (c *Client) RetireSigningKey(ctx context.Context, id uint32, force bool) (*licet.SigningKey, error) {
	var out licet.SigningKey
	return &out, c.Do(ctx, "POST", Path("signing-keys", fmt.Sprint(id), "retire"), map[string]bool{"force": force}, &out)
}

// RenewHost implements licet.KMSHostService: a KMS host renews its certificate.
func (c *Client) RenewHost(ctx context.Context, r licet.KMSHostRenewal) (*licet.KMSHostCertificate, error) {
	var out licet.KMSHostCertificate
	return &out, c.Do(ctx, "POST", Path("kms", "renewals"), r, &out)
}
