package client

import (
	"context"
	"fmt"

	"github.com/licet/licet"
)

var _ licet.KMSHostService = (*Client)(nil)

// ActivateHost implements licet.KMSHostService: online activation of a KMS host.
func (c *Client) ActivateHost(ctx context.Context, req licet.KMSHostRequest) (*licet.KMSHostCertificate, error) {
	var out licet.KMSHostCertificate
	return &out, c.Do(ctx, "POST", Path("kms", "hosts"), req, &out)
}

// ApproveHost implements licet.KMSHostService: answers an air-gapped host's request.
func (c *Client) ApproveHost(ctx context.Context, req licet.KMSHostRequest) (*licet.KMSHostCertificate, error) {
	var out licet.KMSHostCertificate
	return &out, c.Do(ctx, "POST", Path("kms", "approvals"), req, &out)
}

// SetHostLimit implements licet.KMSHostService.
func (c *Client) SetHostLimit(ctx context.Context, keyID int64, limit int) error {
	return c.Do(ctx, "PUT", Path("kms", "keys", fmt.Sprint(keyID), "host-limit"), map[string]int{"limit": limit}, nil)
}
