package client

import (
	"context"
	"fmt"

	"github.com/licet/licet"
)

var (
	_ licet.OfflineActivationService = (*Client)(nil)
	_ licet.MAKRequestService        = (*Client)(nil)
)

// ActivateOffline implements licet.OfflineActivationService (operator or tenant token).
func (c *Client) ActivateOffline(ctx context.Context, r licet.OfflineRequest) (*licet.Confirmation, error) {
	var out licet.Confirmation
	return &out, c.Do(ctx, "POST", Path("activations", "offline"), r, &out)
}

// ActivateProxy implements licet.OfflineActivationService (a public route: the MAK is the
// credential).
func (c *Client) ActivateProxy(ctx context.Context, r licet.ProxyRequest) (*licet.ProxyActivation, error) {
	var out licet.ProxyActivation
	return &out, c.Do(ctx, "POST", Path("activations", "proxy"), r, &out)
}

// SubmitMAKRequest implements licet.MAKRequestService.
func (c *Client) SubmitMAKRequest(ctx context.Context, r licet.MAKRequest) (*licet.MAKRequest, error) {
	var out licet.MAKRequest
	return &out, c.Do(ctx, "POST", Path("mak-requests"), r, &out)
}

// MAKRequests implements licet.MAKRequestService.
func (c *Client) MAKRequests(ctx context.Context, status string) ([]licet.MAKRequest, error) {
	var out struct{ Requests []licet.MAKRequest }
	return out.Requests, c.Do(ctx, "GET", WithQuery(Path("mak-requests"), "status", status), nil, &out)
}

// MAKRequest implements licet.MAKRequestService.
func (c *Client) MAKRequest(ctx context.Context, id int64) (*licet.MAKRequest, error) {
	var out licet.MAKRequest
	return &out, c.Do(ctx, "GET", Path("mak-requests", fmt.Sprint(id)), nil, &out)
}

// ApproveMAKRequest implements licet.MAKRequestService.
func (c *Client) ApproveMAKRequest(ctx context.Context, id int64, a licet.MAKApproval) (*licet.MAKRequest, error) {
	var out licet.MAKRequest
	return &out, c.Do(ctx, "POST", Path("mak-requests", fmt.Sprint(id), "approve"), a, &out)
}

// RejectMAKRequest implements licet.MAKRequestService.
func (c *Client) RejectMAKRequest(ctx context.Context, id int64, reason string) (*licet.MAKRequest, error) {
	var out licet.MAKRequest
	return &out, c.Do(ctx, "POST", Path("mak-requests", fmt.Sprint(id), "reject"), map[string]string{"reason": reason}, &out)
}
