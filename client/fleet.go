package client

import (
	"context"
	"fmt"
	"strconv"

	"github.com/licet/licet"
)

var (
	_ licet.EventService   = (*Client)(nil)
	_ licet.WebhookService = (*Client)(nil)
)

// Machines lists the machine inventory (licet.InventoryService).
func (c *Client) Machines(ctx context.Context, f licet.MachineFilter) ([]licet.InventoryMachine, error) {
	var out struct {
		Machines []licet.InventoryMachine `json:"machines"`
	}
	stale := ""
	if f.Stale > 0 {
		stale = f.Stale.String()
	}
	limit := ""
	if f.Limit > 0 {
		limit = strconv.Itoa(f.Limit)
	}
	err := c.Do(ctx, "GET", WithQuery(Path("machines"), "tenant", f.Tenant, "state", f.State, "product", f.Product,
		"method", f.Method, "stale", stale, "limit", limit), nil, &out)
	return out.Machines, err
}

// Machine returns one inventory row.
func (c *Client) Machine(ctx context.Context, id int64) (*licet.InventoryMachine, error) {
	var out licet.InventoryMachine
	return &out, c.Do(ctx, "GET", Path("machines", fmt.Sprint(id)), nil, &out)
}

// ReportMachines sends an agent's report of its machine's state.
func (c *Client) ReportMachines(ctx context.Context, r licet.MachineReport) (*licet.ReportResult, error) {
	var out licet.ReportResult
	return &out, c.Do(ctx, "POST", Path("machines", "reports"), r, &out)
}

// Events implements licet.EventService.
func (c *Client) Events(ctx context.Context, f licet.EventFilter) ([]licet.Event, error) {
	var out struct {
		Events []licet.Event `json:"events"`
	}
	limit := ""
	if f.Limit > 0 {
		limit = strconv.Itoa(f.Limit)
	}
	err := c.Do(ctx, "GET", WithQuery(Path("events"), "tenant", f.Tenant, "type", f.Type, "limit", limit), nil, &out)
	return out.Events, err
}

// AddWebhook implements licet.WebhookService.
func (c *Client) AddWebhook(ctx context.Context, w licet.Webhook) (*licet.Webhook, error) {
	var out licet.Webhook
	return &out, c.Do(ctx, "POST", Path("webhooks"), w, &out)
}

// Webhooks implements licet.WebhookService.
func (c *Client) Webhooks(ctx context.Context) ([]licet.Webhook, error) {
	var out struct {
		Webhooks []licet.Webhook `json:"webhooks"`
	}
	return out.Webhooks, c.Do(ctx, "GET", Path("webhooks"), nil, &out)
}

// RemoveWebhook implements licet.WebhookService.
func (c *Client) RemoveWebhook(ctx context.Context, id int64) error {
	return c.Do(ctx, "DELETE", Path("webhooks", fmt.Sprint(id)), nil, nil)
}

// TestWebhook implements licet.WebhookService.
func (c *Client) TestWebhook(ctx context.Context, id int64) (*licet.WebhookDelivery, error) {
	var out licet.WebhookDelivery
	return &out, c.Do(ctx, "POST", Path("webhooks", fmt.Sprint(id), "test"), nil, &out)
}

// Deliveries implements licet.WebhookService.
func (c *Client) Deliveries(ctx context.Context, id int64, limit int) ([]licet.WebhookDelivery, error) {
	var out struct {
		Deliveries []licet.WebhookDelivery `json:"deliveries"`
	}
	l := ""
	if limit > 0 {
		l = strconv.Itoa(limit)
	}
	return out.Deliveries, c.Do(ctx, "GET", WithQuery(Path("webhooks", fmt.Sprint(id), "deliveries"), "limit", l), nil, &out)
}

// Redeliver implements licet.WebhookService.
func (c *Client) Redeliver(ctx context.Context, deliveryID int64) (*licet.WebhookDelivery, error) {
	var out licet.WebhookDelivery
	return &out, c.Do(ctx, "POST", Path("webhook-deliveries", fmt.Sprint(deliveryID), "redeliver"), nil, &out)
}
