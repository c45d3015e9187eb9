package console

import (
	"fmt"

	"github.com/licet/licet"
)

// Webhooks: a tenant's webhooks with their recent deliveries (status, attempts, the receiver's
// last answer) and a button that redelivers one; and the overview's panel of recent events.

func init() {
	register(&page{ID: "webhooks", Title: "Webhooks", Path: "/webhooks", Scope: perTenant, Nav: 158, Load: loadWebhooks,
		Actions: map[string]handler{"/deliveries/{id}/redeliver": redeliver}})
	registerPanel(&panel{ID: "events", Order: 41, Load: eventsPanel})
}

// deliveriesShown bounds the deliveries listed per webhook.
const deliveriesShown = 20

// webhooksData is the Webhooks page.
type webhooksData struct {
	Webhooks []webhookView
}

// webhookView is a webhook with its recent deliveries.
type webhookView struct {
	licet.Webhook
	Deliveries []licet.WebhookDelivery
}

func loadWebhooks(s *Server, c *reqCtx) (any, error) {
	if s.Webhooks == nil {
		return nil, licet.Errorf(licet.EUnavailable, "webhooks are not configured")
	}
	ws, err := s.Webhooks.Webhooks(c.ctx())
	if err != nil {
		return nil, err
	}
	var d webhooksData
	for _, w := range ws {
		if w.Tenant != c.tenant.Slug {
			continue
		}
		ds, err := s.Webhooks.Deliveries(c.ctx(), w.ID, deliveriesShown)
		if err != nil {
			return nil, err
		}
		d.Webhooks = append(d.Webhooks, webhookView{Webhook: w, Deliveries: ds})
	}
	return d, nil
}

func redeliver(s *Server, c *reqCtx) error {
	id, err := c.pathID("delivery")
	if err != nil {
		return err
	}
	d, err := s.Webhooks.Redeliver(c.ctx(), id)
	if err != nil {
		return err
	}
	return c.redirect("/tenants/"+c.tenant.Slug+"/webhooks",
		fmt.Sprintf("Event %s queued again for webhook %d (delivery %d): it goes out after the ones already waiting.", d.EventID, d.WebhookID, d.ID))
}

// eventsShown is how many events the overview's panel lists.
const eventsShown = 8

// eventsPanelData is the recent events panel.
type eventsPanelData struct {
	Events []licet.Event
}

func eventsPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	if s.Events == nil {
		return nil, nil
	}
	es, err := s.Events.Events(c.ctx(), licet.EventFilter{Tenant: slugOf(t), Limit: eventsShown})
	if err != nil {
		return nil, err
	}
	return eventsPanelData{Events: es}, nil
}
