package console

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Licenses: a tenant's SKUs as `licet skus` shows them, its subscriptions, and (operator) the
// forms that buy a subscription or change its quantity. The overview's per-SKU bars are here too.

func init() {
	register(&page{ID: "licenses", Title: "Licenses", Path: "/licenses", Scope: perTenant, Nav: 110,
		Load:    loadLicenses,
		Actions: map[string]handler{"/buy": buySubscription, "/{id}/quantity": setQuantity},
	})
	registerPanel(&panel{ID: "seats", Order: 15, Wide: true, Load: seatsPanel})
}

// licensesData is the licenses page.
type licensesData struct {
	SKUs          []licet.SubscribedSKU
	Bars          []seatBar
	Subscriptions []subscriptionRow
	CanBuy        bool     // the operator: buy and change quantities
	Choices       []string // catalog part numbers, for the buy form
	Terms         []string
}

// subscriptionRow is a subscription with its SKU's name.
type subscriptionRow struct {
	licet.Subscription
	Name string
}

func loadLicenses(s *Server, c *reqCtx) (any, error) {
	skus, err := c.subscribedSKUs(c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	svc, _ := c.seats()
	subs, err := svc.Subscriptions(c.ctx(), c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	d := licensesData{SKUs: skus, Bars: seatBars(nil, skus), CanBuy: c.actor.IsOperator(), Terms: catalog.Terms}
	cat, _ := c.catalog()
	for _, sub := range subs {
		row := subscriptionRow{Subscription: sub, Name: sub.SKU}
		if cat != nil {
			if k, ok := cat.SKU(sub.SKU); ok {
				row.Name = k.Name
			}
		}
		d.Subscriptions = append(d.Subscriptions, row)
	}
	if cat != nil {
		for _, k := range cat.SKUs() {
			d.Choices = append(d.Choices, k.Part)
		}
	}
	return d, nil
}

// operatorOnly refuses a tenant admin: buying and changing quantities is the operator's.
func operatorOnly(c *reqCtx, what string) error {
	if c.actor.IsOperator() {
		return nil
	}
	return licet.Errorf(licet.EForbidden, "only the operator %s: ask your licensing provider; nothing was changed", what)
}

// formInt reads a whole number from the form; a missing or malformed value is EInvalid on the field.
func formInt(c *reqCtx, name, label string) (int, error) {
	v := strings.TrimSpace(c.r.PostForm.Get(name))
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, licet.Errorf(licet.EInvalid, "%s %q is not a whole number of units", label, v).With("field", name)
	}
	return n, nil
}

func buySubscription(s *Server, c *reqCtx) error {
	if err := operatorOnly(c, "buys subscriptions"); err != nil {
		return err
	}
	f := c.r.PostForm
	q, err := formInt(c, "quantity", "quantity")
	if err != nil {
		return c.refuse(err, "quantity")
	}
	svc, err := c.seats()
	if err != nil {
		return err
	}
	sub, err := svc.BuySubscription(c.ctx(), c.tenant.Slug, licet.Subscription{SKU: f.Get("sku"), Quantity: q,
		Term: f.Get("term"), Channel: strings.TrimSpace(f.Get("channel"))})
	if err != nil {
		return c.refuse(err, "")
	}
	return c.redirect(licensesHref(c.tenant), fmt.Sprintf("Bought %d unit(s) of %s (subscription %d).", sub.Quantity, sub.SKU, sub.ID))
}

func setQuantity(s *Server, c *reqCtx) error {
	if err := operatorOnly(c, "changes quantities"); err != nil {
		return err
	}
	id, err := c.pathID("subscription")
	if err != nil {
		return err
	}
	prefix := fmt.Sprintf("Subscription %d: ", id)
	q, err := formInt(c, "units", "quantity")
	if err != nil {
		return c.refuseAbove(err, prefix)
	}
	svc, err := c.seats()
	if err != nil {
		return err
	}
	sub, err := svc.UpdateSubscription(c.ctx(), c.tenant.Slug, id, licet.SubscriptionUpdate{Quantity: &q})
	if err != nil {
		return c.refuseAbove(err, prefix)
	}
	return c.redirect(licensesHref(c.tenant), fmt.Sprintf("Subscription %d of %s now has %d unit(s).", sub.ID, sub.SKU, sub.Quantity))
}

// licensesHref is the licenses page of a tenant.
func licensesHref(t *licet.Tenant) string { return "/tenants/" + url.PathEscape(t.Slug) + "/licenses" }

// maxPanelTenants bounds the tenants whose SKUs the operator's overview adds up.
const maxPanelTenants = 200

// seatsData is the overview's per-SKU panel.
type seatsData struct {
	Bars    []seatBar
	Tenant  *licet.Tenant // nil: across tenants
	Tenants int           // tenants added up
	Holding int           // of those, tenants with subscriptions
	Skipped int           // tenants over maxPanelTenants, not added up
}

func seatsPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	if s.Seats == nil {
		return nil, nil
	}
	d := seatsData{Tenant: t}
	if t != nil {
		skus, err := c.subscribedSKUs(t.Slug)
		if err != nil {
			return nil, err
		}
		d.Bars, d.Tenants = seatBars(nil, skus), 1
		return d, nil
	}
	ts, err := c.tenants()
	if err != nil {
		return nil, err
	}
	for i, tn := range ts {
		if i == maxPanelTenants {
			d.Skipped = len(ts) - i
			break
		}
		skus, err := c.subscribedSKUs(tn.Slug)
		if err != nil {
			return nil, err
		}
		d.Bars = seatBars(d.Bars, skus)
		d.Tenants++
		if len(skus) > 0 {
			d.Holding++
		}
	}
	return d, nil
}
