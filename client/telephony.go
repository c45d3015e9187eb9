package client

import (
	"context"
	"strconv"

	"github.com/licet/licet"
)

var (
	_ licet.NumberService = (*Client)(nil)
	_ licet.CreditService = (*Client)(nil)
)

// AddNumbers implements licet.NumberService.
func (c *Client) AddNumbers(ctx context.Context, tenant, country string, numbers []string) ([]licet.PhoneNumber, error) {
	var out struct{ Numbers []licet.PhoneNumber }
	in := struct {
		Country string   `json:"country"`
		Numbers []string `json:"numbers"`
	}{country, numbers}
	return out.Numbers, c.Do(ctx, "POST", Path("tenants", tenant, "numbers"), in, &out)
}

// Numbers implements licet.NumberService.
func (c *Client) Numbers(ctx context.Context, tenant string, f licet.NumberFilter) ([]licet.PhoneNumber, error) {
	var out struct{ Numbers []licet.PhoneNumber }
	free := ""
	if f.Free {
		free = "true"
	}
	return out.Numbers, c.Do(ctx, "GET", WithQuery(Path("tenants", tenant, "numbers"), "country", f.Country, "free", free), nil, &out)
}

// ReleaseNumber implements licet.NumberService.
func (c *Client) ReleaseNumber(ctx context.Context, tenant, number string) error {
	return c.Do(ctx, "DELETE", Path("tenants", tenant, "numbers", number), nil, nil)
}

// AssignNumber implements licet.NumberService.
func (c *Client) AssignNumber(ctx context.Context, tenant, number, upn string) (*licet.PhoneNumber, error) {
	var out licet.PhoneNumber
	in := struct {
		User string `json:"user"`
	}{upn}
	return &out, c.Do(ctx, "PUT", Path("tenants", tenant, "numbers", number, "user"), in, &out)
}

// UnassignNumber implements licet.NumberService.
func (c *Client) UnassignNumber(ctx context.Context, tenant, number string) (*licet.PhoneNumber, error) {
	var out licet.PhoneNumber
	return &out, c.Do(ctx, "DELETE", Path("tenants", tenant, "numbers", number, "user"), nil, &out)
}

// SetConferencingProvider implements licet.NumberService.
func (c *Client) SetConferencingProvider(ctx context.Context, tenant, upn, provider string) (*licet.User, error) {
	var out licet.User
	in := struct {
		Provider string `json:"provider"`
	}{provider}
	return &out, c.Do(ctx, "PUT", Path("tenants", tenant, "users", upn, "conferencingProvider"), in, &out)
}

// SignUpCredits implements licet.CreditService.
func (c *Client) SignUpCredits(ctx context.Context, tenant string) (*licet.CreditAccount, error) {
	var out licet.CreditAccount
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "credits"), struct{}{}, &out)
}

// Credits implements licet.CreditService.
func (c *Client) Credits(ctx context.Context, tenant string) (*licet.CreditAccount, error) {
	var out licet.CreditAccount
	return &out, c.Do(ctx, "GET", Path("tenants", tenant, "credits"), nil, &out)
}

// AddFunds implements licet.CreditService.
func (c *Client) AddFunds(ctx context.Context, tenant string, a licet.CreditAmount) (*licet.CreditAccount, error) {
	var out licet.CreditAccount
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "credits", "funds"), a, &out)
}

// SetAutoRecharge implements licet.CreditService.
func (c *Client) SetAutoRecharge(ctx context.Context, tenant string, r licet.AutoRecharge) (*licet.CreditAccount, error) {
	var out licet.CreditAccount
	return &out, c.Do(ctx, "PUT", Path("tenants", tenant, "credits", "autoRecharge"), r, &out)
}

// Charge implements licet.CreditService.
func (c *Client) Charge(ctx context.Context, tenant string, a licet.CreditAmount) (*licet.ChargeResult, error) {
	var out licet.ChargeResult
	return &out, c.Do(ctx, "POST", Path("tenants", tenant, "credits", "charges"), a, &out)
}

// Ledger implements licet.CreditService.
func (c *Client) Ledger(ctx context.Context, tenant string, before int64, limit int) ([]licet.LedgerEntry, error) {
	var out struct{ Entries []licet.LedgerEntry }
	b := ""
	if before > 0 {
		b = strconv.FormatInt(before, 10)
	}
	return out.Entries, c.Do(ctx, "GET", WithQuery(Path("tenants", tenant, "credits", "ledger"), "before", b, "limit", itoa(limit)), nil, &out)
}
