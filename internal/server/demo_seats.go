package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/seats"
	"github.com/licet/licet/internal/store"
)

// demoSeats gives the demo tenant contoso subscriptions, a dozen users, a group and some
// licenses, so that `licet skus --tenant contoso` shows real numbers. It does nothing when
// contoso has subscriptions already, or when no catalog is loaded.
func demoSeats(ctx context.Context, db *store.DB, cat *catalog.Catalog, now func() time.Time) error {
	if cat == nil {
		return nil
	}
	svc := &seats.Service{DB: db, Catalog: func() *catalog.Catalog { return cat }, Now: now}
	d := catalogs.M365Demo
	subs, err := svc.Subscriptions(ctx, "contoso")
	if err != nil || len(subs) > 0 {
		return err
	}
	for _, s := range []licet.Subscription{
		{SKU: d.Suite, Quantity: 25}, {SKU: d.PhoneSystem, Quantity: 10}, {SKU: d.CallingPlan, Quantity: 5},
		{SKU: d.Conferencing, Quantity: 10}, {SKU: d.Credits},
	} {
		if _, err := svc.BuySubscription(ctx, "contoso", s); err != nil {
			return fmt.Errorf("buy %s: %w", s.SKU, err)
		}
	}
	names := []string{"Adele Vance", "Alex Wilber", "Diego Siciliani", "Grady Archie", "Isaiah Langer", "Johanna Lorenz",
		"Lee Gu", "Lidia Holloway", "Lynne Robbins", "Megan Bowen", "Miriam Graham", "Nestor Wilke"}
	var users []licet.User
	for _, n := range names {
		users = append(users, licet.User{UPN: strings.ToLower(strings.ReplaceAll(n, " ", ".")) + "@contoso.com", DisplayName: n})
	}
	users[11].OnPremisesPSTN = true // Nestor is a hybrid user: Phone System only
	users = append(users, licet.User{UPN: "room.boardroom@contoso.com", DisplayName: "Boardroom", Kind: licet.UserRoom})
	if _, err := svc.ImportUsers(ctx, "contoso", users); err != nil {
		return err
	}
	if _, err := svc.CreateGroup(ctx, "contoso", licet.Group{Name: "Sales", Description: "the sales team"}); err != nil {
		return err
	}
	if _, err := svc.AddMembers(ctx, "contoso", "Sales", []string{users[0].UPN, users[1].UPN, users[2].UPN, users[9].UPN}); err != nil {
		return err
	}
	upns := func(us []licet.User) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.UPN
		}
		return out
	}
	for _, b := range []licet.BatchAssignment{
		{Users: upns(users), LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: d.Suite}}}},
		{Users: upns(users[:4]), LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: d.PhoneSystem}, {SKU: d.CallingPlan}, {SKU: d.Credits}}}},
		{Users: []string{users[11].UPN, users[12].UPN}, LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: d.PhoneSystem}}}},
		{Users: upns(users[4:9]), LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: d.Conferencing}}}},
	} {
		res, err := svc.AssignBatch(ctx, "contoso", b)
		if err != nil {
			return err
		}
		for _, r := range res.Results {
			if r.Error != nil {
				return fmt.Errorf("assign %s: %w", r.UPN, r.Error)
			}
		}
	}
	return nil
}

// demoTelephony gives contoso a licensed group (whose members already hold some of its SKUs
// directly, to show that a user consumes one unit per SKU whatever its sources), a few phone
// numbers (one assigned) and a Communications Credits balance with auto-recharge. It does
// nothing when contoso has signed up for credits already, when contoso does not exist, or when
// no catalog is loaded.
func demoTelephony(ctx context.Context, db *store.DB, cat *catalog.Catalog, now func() time.Time) error {
	if cat == nil {
		return nil
	}
	svc := &seats.Service{DB: db, Catalog: func() *catalog.Catalog { return cat }, Now: now}
	d := catalogs.M365Demo
	if _, err := svc.Credits(ctx, "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		return err
	}
	_, err := svc.CreateGroup(ctx, "contoso", licet.Group{Name: "Meeting hosts", Description: "people who host meetings with dial-in"})
	switch licet.ErrorCode(err) {
	case "", licet.EConflict:
	case licet.ENotFound:
		return nil // no contoso
	default:
		return err
	}
	hosts := []string{"isaiah.langer@contoso.com", "johanna.lorenz@contoso.com", "lidia.holloway@contoso.com", "lynne.robbins@contoso.com"}
	if _, err := svc.AddMembers(ctx, "contoso", "Meeting hosts", hosts); err != nil {
		return err
	}
	res, err := svc.AssignGroupLicense(ctx, "contoso", "Meeting hosts", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: d.Suite}, {SKU: d.Conferencing}}})
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("group Meeting hosts: %d members in error", res.Errors)
	}
	if _, err := svc.AddNumbers(ctx, "contoso", "US", []string{"+14255550100", "+14255550101", "+14255550102"}); err != nil && licet.ErrorCode(err) != licet.EConflict {
		return err
	}
	if _, err := svc.AssignNumber(ctx, "contoso", "+14255550100", "adele.vance@contoso.com"); err != nil && licet.ErrorCode(err) != licet.EConflict {
		return err
	}
	if _, err := svc.SignUpCredits(ctx, "contoso"); err != nil {
		return err
	}
	if _, err := svc.AddFunds(ctx, "contoso", licet.CreditAmount{Amount: 100_00, Reason: "demo funds"}); err != nil {
		return err
	}
	if _, err := svc.SetAutoRecharge(ctx, "contoso", licet.AutoRecharge{Enabled: true, Threshold: 10_00, Amount: 50_00}); err != nil {
		return err
	}
	_, err = svc.Charge(ctx, "contoso", licet.CreditAmount{Amount: 12_34, Reason: "dial-out minutes (demo)"})
	return err
}
