package server_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// countEvents counts contoso's events by type (subscription.fullyAssigned by type and SKU).
func countEvents(t *testing.T, s *servertest.Server) map[string]int {
	t.Helper()
	es, err := s.Operator.Events(context.Background(), licet.EventFilter{Tenant: "contoso", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range es {
		key := e.Type
		if e.Type == licet.EventSubscriptionFull {
			var p struct {
				SKU string `json:"skuPartNumber"`
			}
			if err := json.Unmarshal(e.Object, &p); err != nil {
				t.Fatal(err)
			}
			key += " " + p.SKU
		}
		n[key]++
	}
	return n
}

// TestEventsOfChanges: the seat, credit and KMS changes the events list names each write their
// event once, in the transaction of the change (or, for certificates, on the periodic sweep).
func TestEventsOfChanges(t *testing.T) {
	servertest.EachClocked(t, servertest.Options{}, func(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
		ctx := context.Background()
		op := s.Operator
		base := countEvents(t, s)

		// Every enabled unit of ENTERPRISEPACK assigned.
		subs, err := op.Subscriptions(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		skus, err := op.SubscribedSKUs(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		consumed := map[string]int{}
		for _, k := range skus {
			consumed[k.SKU] = k.Consumed
		}
		byName := map[string]licet.Subscription{}
		for _, sub := range subs {
			byName[sub.SKU] = sub
		}
		room := consumed["ENTERPRISEPACK"] + 1
		if _, err := op.UpdateSubscription(ctx, "contoso", byName["ENTERPRISEPACK"].ID, licet.SubscriptionUpdate{Quantity: &room}); err != nil {
			t.Fatal(err)
		}
		if _, err := op.CreateUser(ctx, "contoso", licet.User{UPN: "new.hire@contoso.com", DisplayName: "New Hire"}); err != nil {
			t.Fatal(err)
		}
		if _, err := op.AssignLicense(ctx, "contoso", "new.hire@contoso.com", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}}}); err != nil {
			t.Fatal(err)
		}
		// A subscription expiring (warning), then suspended; the same status again writes nothing.
		for _, st := range []licet.SubscriptionStatus{licet.SubscriptionWarning, licet.SubscriptionWarning, licet.SubscriptionSuspended} {
			if _, err := op.UpdateSubscription(ctx, "contoso", byName["MCOMEETADV"].ID, licet.SubscriptionUpdate{Status: st}); err != nil {
				t.Fatal(err)
			}
		}
		// A group license that leaves members in error: more members than Calling Plan units.
		users, err := op.Users(ctx, "contoso", licet.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var everyone []string
		for _, u := range users {
			if u.Kind != licet.UserRoom {
				everyone = append(everyone, u.UPN)
			}
		}
		if _, err := op.AddMembers(ctx, "contoso", "Sales", everyone); err != nil {
			t.Fatal(err)
		}
		if res, err := op.AssignGroupLicense(ctx, "contoso", "Sales", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}}); err != nil || res.Errors == 0 {
			t.Fatalf("group license: %+v, %v; want members in error", res, err)
		}
		// Credits: without auto-recharge, a charge over the balance is refused.
		if _, err := op.SetAutoRecharge(ctx, "contoso", licet.AutoRecharge{Enabled: false}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // refused twice, reported once
			if _, err := op.Charge(ctx, "contoso", licet.CreditAmount{Amount: 10_000_000_000, Reason: "calls"}); licet.ErrorCode(err) != licet.CodeInsufficientFunds {
				t.Fatalf("charge: %v; want %s", err, licet.CodeInsufficientFunds)
			}
		}
		got := countEvents(t, s)
		for typ, want := range map[string]int{
			licet.EventSubscriptionFull + " ENTERPRISEPACK": 1, licet.EventSubscriptionFull + " MCOPSTN1": 1, licet.EventSubscriptionSuspend: 1, licet.EventSubscriptionExpiring: 1,
			licet.EventGroupMembersInError: 1, licet.EventCreditsLow: 1,
		} {
			if got[typ]-base[typ] != want {
				t.Errorf("%s: %d new events; want %d (all: %v)", typ, got[typ]-base[typ], want, got)
			}
		}

		// A KMS host certificate: expiring 30 days before its end, expired after; each once. (The
		// events above are pruned by the sweep meanwhile: they are older than 90 days.)
		if _, err := op.ActivateHost(ctx, demoHostRequest(t, s)); err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{licet.KMSHostCertificateValidity - 29*24*time.Hour, 0, 30 * 24 * time.Hour, time.Hour} {
			clk.Add(d)
			if err := s.App.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got = countEvents(t, s)
		if got[licet.EventKMSCertExpiring] != 1 || got[licet.EventKMSCertExpired] != 1 {
			t.Errorf("certificate events %v; want one expiring and one expired", got)
		}
	})
}

// demoHostRequest is a KMS host activation with the demo's kms-host key.
func demoHostRequest(t *testing.T, s *servertest.Server) licet.KMSHostRequest {
	t.Helper()
	ks, err := s.Operator.Keys(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	for _, k := range ks {
		if k.Type == "kms-host" {
			return licet.KMSHostRequest{Key: k.Key, HostID: "kms-events", HostKey: pub, Hostname: "kms.contoso.example"}
		}
	}
	t.Fatal("the demo has no kms-host key")
	return licet.KMSHostRequest{}
}
