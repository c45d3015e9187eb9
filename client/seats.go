package client

import (
	"context"
	"fmt"

	"github.com/licet/licet"
)

var _ licet.SeatService = (*Client)(nil)

// BuySubscription implements licet.SeatService.
func (c *Client) BuySubscription(ctx context.Context, tenant string, s licet.Subscription) (*licet.Subscription, error) {
	var out licet.Subscription
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "subscriptions"), s, &out)
}

// Subscriptions implements licet.SeatService.
func (c *Client) Subscriptions(ctx context.Context, tenant string) ([]licet.Subscription, error) {
	var out struct{ Subscriptions []licet.Subscription }
	return out.Subscriptions, c.Do(ctx, "GET", Path("tenants", tenant, "subscriptions"), nil, &out)
}

// UpdateSubscription implements licet.SeatService.
func (c *Client) UpdateSubscription(ctx context.Context, tenant string, id int64, u licet.SubscriptionUpdate) (*licet.Subscription, error) {
	var out licet.Subscription
	return &out, c.Do(ctx, "PATCH", Path("tenants", tenant, "subscriptions", fmt.Sprint(id)), u, &out)
}

// SubscribedSKUs implements licet.SeatService.
func (c *Client) SubscribedSKUs(ctx context.Context, tenant string) ([]licet.SubscribedSKU, error) {
	var out struct{ SKUs []licet.SubscribedSKU }
	return out.SKUs, c.Do(ctx, "GET", Path("tenants", tenant, "skus"), nil, &out)
}

// CreateUser implements licet.SeatService.
func (c *Client) CreateUser(ctx context.Context, tenant string, u licet.User) (*licet.User, error) {
	var out licet.User
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "users"), u, &out)
}

// ImportUsers implements licet.SeatService: one request for the whole list.
func (c *Client) ImportUsers(ctx context.Context, tenant string, users []licet.User) ([]licet.ImportResult, error) {
	var out struct{ Results []licet.ImportResult }
	in := struct {
		Users []licet.User `json:"users"`
	}{users}
	return out.Results, c.Do(ctx, "POST", Path("tenants", tenant, "users", "batch"), in, &out)
}

// Users implements licet.SeatService.
func (c *Client) Users(ctx context.Context, tenant string, f licet.UserFilter) ([]licet.User, error) {
	var out struct{ Users []licet.User }
	return out.Users, c.Do(ctx, "GET", WithQuery(Path("tenants", tenant, "users"), "after", f.After, "search", f.Search, "limit", itoa(f.Limit)), nil, &out)
}

// User implements licet.SeatService.
func (c *Client) User(ctx context.Context, tenant, upn string) (*licet.User, error) {
	var out licet.User
	return &out, c.Do(ctx, "GET", Path("tenants", tenant, "users", upn), nil, &out)
}

// AssignLicense implements licet.SeatService.
func (c *Client) AssignLicense(ctx context.Context, tenant, upn string, ch licet.LicenseChange) (*licet.User, error) {
	var out licet.User
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "users", upn, "assignLicense"), ch, &out)
}

// AssignBatch implements licet.SeatService: one request for the whole batch.
func (c *Client) AssignBatch(ctx context.Context, tenant string, b licet.BatchAssignment) (*licet.BatchResult, error) {
	var out licet.BatchResult
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "assignments", "batch"), b, &out)
}

// CreateGroup implements licet.SeatService.
func (c *Client) CreateGroup(ctx context.Context, tenant string, g licet.Group) (*licet.Group, error) {
	var out licet.Group
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "groups"), g, &out)
}

// Groups implements licet.SeatService.
func (c *Client) Groups(ctx context.Context, tenant string) ([]licet.Group, error) {
	var out struct{ Groups []licet.Group }
	return out.Groups, c.Do(ctx, "GET", Path("tenants", tenant, "groups"), nil, &out)
}

// Group implements licet.SeatService.
func (c *Client) Group(ctx context.Context, tenant, name string) (*licet.Group, error) {
	var out licet.Group
	return &out, c.Do(ctx, "GET", Path("tenants", tenant, "groups", name), nil, &out)
}

// AddMembers implements licet.SeatService.
func (c *Client) AddMembers(ctx context.Context, tenant, group string, upns []string) (*licet.Group, error) {
	var out licet.Group
	in := struct {
		Users []string `json:"users"`
	}{upns}
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "groups", group, "members"), in, &out)
}

// RemoveMember implements licet.SeatService.
func (c *Client) RemoveMember(ctx context.Context, tenant, group, upn string) error {
	return c.Do(ctx, "DELETE", Path("tenants", tenant, "groups", group, "members", upn), nil, nil)
}

// AssignGroupLicense implements licet.SeatService.
func (c *Client) AssignGroupLicense(ctx context.Context, tenant, group string, ch licet.LicenseChange) (*licet.GroupLicenseResult, error) {
	var out licet.GroupLicenseResult
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "groups", group, "assignLicense"), ch, &out)
}

// ReprocessGroup implements licet.SeatService.
func (c *Client) ReprocessGroup(ctx context.Context, tenant, group string) (*licet.GroupLicenseResult, error) {
	var out licet.GroupLicenseResult
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "groups", group, "reprocess"), nil, &out)
}
