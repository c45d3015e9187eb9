package activation_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

func validRequest() licet.MAKRequest {
	return licet.MAKRequest{
		Company: "Northwind Traders", ContactName: "Ana Trujillo", ContactEmail: "ana@northwind.example",
		ContactPhone: "+44 20 7946 0958", Systems: 12, DeploymentDate: "2026-12-01", Group: "desktop-11",
	}
}

func TestCheckMAKRequest(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*licet.MAKRequest)
		field string // "" when valid
	}{
		{"valid", func(*licet.MAKRequest) {}, ""},
		{"valid with a TAM", func(r *licet.MAKRequest) { r.TAMName, r.TAMEmail = "Tom", "tom@example.com" }, ""},
		{"phone with parentheses and dots", func(r *licet.MAKRequest) { r.ContactPhone = "+1 (425) 555.0100" }, ""},
		{"company missing", func(r *licet.MAKRequest) { r.Company = "  " }, "company"},
		{"company with a control character", func(r *licet.MAKRequest) { r.Company = "North\x00wind" }, "company"},
		{"company too long", func(r *licet.MAKRequest) { r.Company = strings.Repeat("x", 201) }, "company"},
		{"contact name missing", func(r *licet.MAKRequest) { r.ContactName = "" }, "contactName"},
		{"email missing", func(r *licet.MAKRequest) { r.ContactEmail = "" }, "contactEmail"},
		{"email without domain dot", func(r *licet.MAKRequest) { r.ContactEmail = "ana@localhost" }, "contactEmail"},
		{"email with a display name", func(r *licet.MAKRequest) { r.ContactEmail = "Ana <ana@northwind.example>" }, "contactEmail"},
		{"email not an address", func(r *licet.MAKRequest) { r.ContactEmail = "ana at northwind" }, "contactEmail"},
		{"phone without country code", func(r *licet.MAKRequest) { r.ContactPhone = "020 7946 0958" }, "contactPhone"},
		{"phone too short", func(r *licet.MAKRequest) { r.ContactPhone = "+44 123" }, "contactPhone"},
		{"phone too long", func(r *licet.MAKRequest) { r.ContactPhone = "+44 1234 5678 9012 34" }, "contactPhone"},
		{"phone with letters", func(r *licet.MAKRequest) { r.ContactPhone = "+44 20 CALL NOW" }, "contactPhone"},
		{"zero systems", func(r *licet.MAKRequest) { r.Systems = 0 }, "systems"},
		{"negative systems", func(r *licet.MAKRequest) { r.Systems = -3 }, "systems"},
		{"too many systems", func(r *licet.MAKRequest) { r.Systems = activation.MaxPromotionalSystems + 1 }, "systems"},
		{"date in another format", func(r *licet.MAKRequest) { r.DeploymentDate = "01/12/2026" }, "deploymentDate"},
		{"date that does not exist", func(r *licet.MAKRequest) { r.DeploymentDate = "2026-02-30" }, "deploymentDate"},
		{"date missing", func(r *licet.MAKRequest) { r.DeploymentDate = "" }, "deploymentDate"},
		{"TAM name without email", func(r *licet.MAKRequest) { r.TAMName = "Tom" }, "tamEmail"},
		{"TAM email without name", func(r *licet.MAKRequest) { r.TAMEmail = "tom@example.com" }, "tamEmail"},
		{"TAM email invalid", func(r *licet.MAKRequest) { r.TAMName, r.TAMEmail = "Tom", "tom" }, "tamEmail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.edit(&r)
			err := activation.CheckMAKRequest(&r)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			var le *licet.Error
			if !errors.As(err, &le) || le.Code != licet.EInvalid || le.Details["field"] != tt.field {
				t.Fatalf("error = %v; want invalid naming field %s", err, tt.field)
			}
		})
	}
	r := validRequest()
	if err := activation.CheckMAKRequest(&r); err != nil || r.ContactPhone != "+442079460958" {
		t.Errorf("phone normalised to %q (%v); want +442079460958", r.ContactPhone, err)
	}
}

func TestTenantSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Northwind Traders":      "northwind-traders",
		"  A.Datum, Corp. ":      "a-datum-corp",
		"Ünïcode Ltd":            "n-code-ltd",
		strings.Repeat("ab", 50): strings.Repeat("ab", 31) + "a",
	} {
		if got := activation.TenantSlug(in); got != want {
			t.Errorf("TenantSlug(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMAKRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		oem, other := partner("oem-a"), partner("oem-b")
		r := must[*licet.MAKRequest](t)(f.svc.SubmitMAKRequest(oem, validRequest()))
		if r.Status != licet.MAKRequestPending || r.Partner != "oem-a" || r.ContactPhone != "+442079460958" {
			t.Fatalf("submitted = %+v; want pending, partner oem-a, phone normalised", r)
		}
		mine := must[*licet.MAKRequest](t)(f.svc.SubmitMAKRequest(other, validRequest()))

		// A partner sees its own requests only.
		if _, err := f.svc.MAKRequest(other, r.ID); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("another partner reading the request: %v; want NotFound", err)
		}
		list := must[[]licet.MAKRequest](t)(f.svc.MAKRequests(other, ""))
		if len(list) != 1 || list[0].ID != mine.ID {
			t.Errorf("partner oem-b lists %+v; want only its request %d", list, mine.ID)
		}
		if _, err := f.svc.ApproveMAKRequest(oem, r.ID, licet.MAKApproval{}); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("partner approving: %v; want forbidden", err)
		}
		if _, err := f.svc.MAKRequests(tenantAdmin("contoso", 1), ""); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("tenant admin listing requests: %v; want forbidden", err)
		}
		if _, err := f.svc.SubmitMAKRequest(oem, licet.MAKRequest{Partner: "oem-b"}); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("partner submitting for another partner: %v; want forbidden", err)
		}
		if all := must[[]licet.MAKRequest](t)(f.svc.MAKRequests(operator(), string(licet.MAKRequestPending))); len(all) != 2 {
			t.Errorf("operator lists %d pending requests; want 2", len(all))
		}

		// Approval creates the tenant and a MAK with the number of systems as its limit.
		approved := must[*licet.MAKRequest](t)(f.svc.ApproveMAKRequest(operator(), r.ID, licet.MAKApproval{}))
		if approved.Status != licet.MAKRequestApproved || approved.Tenant != "northwind-traders" || approved.Key == "" {
			t.Fatalf("approved = %+v; want approved, tenant northwind-traders and a key", approved)
		}
		k := must[*licet.ProductKey](t)(f.svc.Key(operator(), approved.KeyID))
		if k.Type != "mak" || k.Limit != 12 || k.Tenant != "northwind-traders" || k.Agreement != "" || k.Group != 111 {
			t.Errorf("key = %+v; want a mak of group 111 with limit 12 for northwind-traders, no agreement", k)
		}
		// The partner reads its approved request with the MAK to give the customer.
		if seen := must[*licet.MAKRequest](t)(f.svc.MAKRequest(oem, r.ID)); seen.Key != approved.Key {
			t.Errorf("partner sees key %q; want %q", seen.Key, approved.Key)
		}
		if _, err := f.svc.ApproveMAKRequest(operator(), r.ID, licet.MAKApproval{}); licet.ErrorCode(err) != licet.EConflict {
			t.Errorf("approving twice: %v; want conflict", err)
		}
		// The promotional MAK activates machines like any MAK.
		if _, err := f.svc.Activate(operator(), licet.ActivationRequest{Key: approved.Key, Product: f.product, Machine: machine(1)}); err != nil {
			t.Errorf("activating with the promotional MAK: %v", err)
		}

		// An existing tenant is reused; a rejection needs a reason and is final.
		if _, err := f.svc.RejectMAKRequest(operator(), mine.ID, " "); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("rejecting without a reason: %v; want invalid", err)
		}
		rejected := must[*licet.MAKRequest](t)(f.svc.RejectMAKRequest(operator(), mine.ID, "no proof of purchase"))
		if rejected.Status != licet.MAKRequestRejected || rejected.Reason != "no proof of purchase" || rejected.KeyID != 0 {
			t.Errorf("rejected = %+v", rejected)
		}
		third := must[*licet.MAKRequest](t)(f.svc.SubmitMAKRequest(oem, validRequest()))
		if _, err := f.svc.ApproveMAKRequest(operator(), third.ID, licet.MAKApproval{Tenant: "contoso", Group: "desktop-10"}); err != nil {
			t.Fatalf("approving into an existing tenant: %v", err)
		}
		var approvals, submits int
		if err := db.Read(operator(), func(tx *store.Tx) error {
			if err := tx.QueryRow(operator(), `SELECT count(*) FROM audit WHERE action = 'makrequest.approve'`).Scan(&approvals); err != nil {
				return err
			}
			return tx.QueryRow(operator(), `SELECT count(*) FROM audit WHERE action = 'makrequest.submit'`).Scan(&submits)
		}); err != nil {
			t.Fatal(err)
		}
		if approvals != 2 || submits != 3 {
			t.Errorf("audit: %d approvals, %d submissions; want 2 and 3", approvals, submits)
		}
	})
}

func TestApproveWithoutGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		req := validRequest()
		req.Group = ""
		r := must[*licet.MAKRequest](t)(f.svc.SubmitMAKRequest(partner("oem"), req))
		if _, err := f.svc.ApproveMAKRequest(operator(), r.ID, licet.MAKApproval{}); licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("approval without a product group: %v; want invalid", err)
		}
		// Nothing was half-applied: no tenant, still pending.
		if _, err := f.svc.Agreements(operator(), "northwind-traders"); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("tenant after a failed approval: %v; want NotFound", err)
		}
		if got := must[*licet.MAKRequest](t)(f.svc.MAKRequest(operator(), r.ID)); got.Status != licet.MAKRequestPending {
			t.Errorf("status %q after a failed approval; want pending", got.Status)
		}
	})
}
