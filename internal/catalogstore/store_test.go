package catalogstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/catalogstore/catalogtest"
	"github.com/licet/licet/internal/events"
	"github.com/licet/licet/internal/seats"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/tenancy"
)

var operator = licet.Actor{Role: licet.RoleOperator}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// edit returns the default catalog with the changes.
func edit(t *testing.T, changes ...catalogtest.Change) []byte {
	t.Helper()
	return catalogtest.Edit(t, catalogs.M365Teams(), changes...)
}

func upload(name string, content []byte) licet.CatalogUpload {
	return licet.CatalogUpload{FileName: name, Content: string(content)}
}

// TestApplyAndHistory: the first version is stored once; the same content again stores nothing;
// a changed price is the next version, audited with what changed; history lists newest first.
func TestApplyAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), operator)
		clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		st := &catalogstore.Store{DB: db, Now: func() time.Time { return clock }}
		refreshed := 0
		st.Applied = func(context.Context) { refreshed++ }

		first, err := st.EnsureInitial(ctx, "m365-teams.yaml", catalogs.M365Teams())
		must(t, err)
		again, err := st.EnsureInitial(ctx, "other.yaml", edit(t, catalogtest.SetPrice("ENTERPRISEPACK", 1)))
		must(t, err)
		if !first || again {
			t.Fatalf("EnsureInitial stored %v then %v, want true then false", first, again)
		}
		v, applied, err := st.ApplyCatalog(ctx, upload("m365-teams.yaml", catalogs.M365Teams()))
		must(t, err)
		if applied || v.Version != 1 {
			t.Errorf("the same content again: version %d applied %v, want 1 not applied", v.Version, applied)
		}
		clock = clock.Add(time.Hour)
		v2 := edit(t, catalogtest.SetPrice("ENTERPRISEPACK", 2300))
		v, applied, err = st.ApplyCatalog(ctx, upload("v2.yaml", v2))
		must(t, err)
		if !applied || v.Version != 2 || v.Hash != catalogstore.Hash(v2) || v.CreatedBy != operator.String() || !v.CreatedAt.Equal(clock) {
			t.Errorf("a new price: %+v applied %v", v, applied)
		}
		if refreshed != 2 {
			t.Errorf("Applied called %d times, want 2 (version 1 and 2)", refreshed)
		}
		hist, err := st.CatalogVersions(ctx)
		must(t, err)
		if len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 || hist[1].CreatedBy != licet.System.String() || hist[0].FileName != "v2.yaml" {
			t.Errorf("history: %+v", hist)
		}
		got, err := st.Version(ctx, 2)
		must(t, err)
		if !bytes.Equal(got.Content, v2) {
			t.Error("version 2's content is not what was applied")
		}
		if _, err := st.Version(ctx, 3); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("version 3: %v, want not found", err)
		}
		entries, err := (&audit.Service{DB: db}).Audit(ctx, licet.AuditFilter{Action: "catalog.apply"})
		must(t, err)
		if len(entries) != 2 || entries[0].Object != "catalog:2" || !strings.Contains(entries[0].Details, "sku ENTERPRISEPACK price: 20.00 USD → 23.00 USD") {
			t.Errorf("audit: %+v", entries)
		}
		evs, err := (&events.Service{DB: db}).Events(ctx, licet.EventFilter{Type: licet.EventCatalogApplied})
		must(t, err)
		var applied2 licet.CatalogVersion
		if len(evs) != 2 || json.Unmarshal(evs[0].Object, &applied2) != nil || applied2.Version != 2 || applied2.Hash != catalogstore.Hash(v2) {
			t.Errorf("catalog.applied events %+v; want one per version applied, the newest version 2", evs)
		}
	})
}

// TestApplyRefusesBadInput: only the operator applies; an invalid catalog and one over the size
// bound are refused; nothing is stored.
func TestApplyRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &catalogstore.Store{DB: db, Now: time.Now}
		tenant := licet.WithActor(ctx, licet.Actor{Role: licet.RoleTenant, TenantID: 1})
		if _, _, err := st.ApplyCatalog(tenant, upload("c.yaml", catalogs.M365Teams())); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("a tenant admin: %v, want forbidden", err)
		}
		op := licet.WithActor(ctx, operator)
		_, _, err := st.ApplyCatalog(op, upload("bad.yaml", edit(t, catalogtest.AddPlan("ENTERPRISEPACK", "NOSUCHPLAN"))))
		if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(err.Error(), "bad.yaml:") {
			t.Errorf("an invalid catalog: %v, want invalid with file:line", err)
		}
		big := append(catalogs.M365Teams(), bytes.Repeat([]byte("#"), catalogstore.MaxContent)...)
		if _, _, err := st.ApplyCatalog(op, upload("big.yaml", big)); licet.ErrorCode(err) != licet.ETooLarge {
			t.Errorf("a catalog over the bound: %v, want too large", err)
		}
		if n, err := st.NewestNumber(ctx); err != nil || n != 0 {
			t.Errorf("after refusals: newest version %d (%v), want none", n, err)
		}
	})
}

// TestApplyRefusesRemovingWhatIsHeld: a version is refused, naming each and how many hold it,
// when it drops an SKU bought or assigned (to users or a group), a plan disabled in a license, or
// a plan of a bought or assigned SKU; nothing is stored. Adding an SKU is allowed.
func TestApplyRefusesRemovingWhatIsHeld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), licet.System)
		st := &catalogstore.Store{DB: db, Now: time.Now}
		_, err := st.EnsureInitial(ctx, "m365-teams.yaml", catalogs.M365Teams())
		must(t, err)
		p := &catalogstore.Provider{Store: st}
		must(t, p.Refresh(ctx))
		svc := &seats.Service{DB: db, Catalog: p.Catalog, Now: time.Now}
		_, err = (&tenancy.Service{DB: db, Now: time.Now}).CreateTenant(ctx, licet.Tenant{Slug: "contoso", Name: "Contoso", OrgType: "commercial", Cloud: "global", UsageLocation: "US"})
		must(t, err)
		_, err = (&tenancy.Service{DB: db, Now: time.Now}).CreateTenant(ctx, licet.Tenant{Slug: "charity", Name: "Charity", OrgType: "nonprofit", Cloud: "21vianet", UsageLocation: "CN"})
		must(t, err)
		for _, s := range []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 10}, {SKU: "STANDARDPACK", Quantity: 10}} {
			_, err := svc.BuySubscription(ctx, "contoso", s)
			must(t, err)
		}
		var users []licet.User
		var upns []string
		for i := range 4 {
			users = append(users, licet.User{UPN: fmt.Sprintf("u%d@contoso.com", i)})
			upns = append(upns, users[i].UPN)
		}
		_, err = svc.ImportUsers(ctx, "contoso", users)
		must(t, err)
		assign := func(users []string, add licet.LicenseAdd) {
			res, err := svc.AssignBatch(ctx, "contoso", licet.BatchAssignment{Users: users, LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{add}}})
			must(t, err)
			for _, r := range res.Results {
				if r.Error != nil {
					t.Fatalf("assign %s: %v", r.UPN, r.Error)
				}
			}
		}
		assign(upns[:3], licet.LicenseAdd{SKU: "ENTERPRISEPACK"})
		assign(upns[3:], licet.LicenseAdd{SKU: "STANDARDPACK", DisabledPlans: []string{"EXCHANGE_S_STANDARD"}})
		_, err = svc.CreateGroup(ctx, "contoso", licet.Group{Name: "Sales"})
		must(t, err)
		_, err = svc.AssignGroupLicense(ctx, "contoso", "Sales", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}}})
		must(t, err)

		tests := []struct {
			name    string
			content []byte
			want    []string // every line of the refusal, in order; none: accepted
		}{
			{"without ENTERPRISEPACK", edit(t, catalogtest.RenameSKU("ENTERPRISEPACK", "ENTERPRISEPACKV2")),
				[]string{"SKU ENTERPRISEPACK: bought in 1 subscription(s) of 1 tenant(s), assigned to 3 user(s), assigned to 1 group(s)"}},
			{"a plan removed from an assigned SKU", edit(t, catalogtest.RemovePlan("ENTERPRISEPACK", "EXCHANGE_S_ENTERPRISE")),
				[]string{"service plan EXCHANGE_S_ENTERPRISE of SKU ENTERPRISEPACK: bought in 1 subscription(s) of 1 tenant(s), assigned to 3 user(s), assigned to 1 group(s)"}},
			{"a disabled plan removed", edit(t, catalogtest.RemovePlan("STANDARDPACK", "EXCHANGE_S_STANDARD")),
				[]string{"service plan EXCHANGE_S_STANDARD of SKU STANDARDPACK: bought in 1 subscription(s) of 1 tenant(s), assigned to 1 user(s), disabled in 1 license(s)"}},
			{"the tenant's organisation type and cloud undeclared", edit(t, catalogtest.RemoveListValue("org_types", "nonprofit"), catalogtest.RemoveListValue("clouds", "21vianet")),
				[]string{"organisation type nonprofit: held by 1 tenant(s)", "cloud 21vianet: held by 1 tenant(s)"}},
			{"an organisation type nobody has", edit(t, catalogtest.RemoveListValue("org_types", "edu")), nil},
			{"an SKU nobody holds", edit(t, catalogtest.AddSKU("NEWSKU", "New", "MCOSTANDARD")), nil},
		}
		for _, tt := range tests {
			before, err := st.NewestNumber(ctx)
			must(t, err)
			v, applied, err := st.ApplyCatalog(ctx, upload(tt.name, tt.content))
			if tt.want == nil {
				if err != nil || !applied || v.Version != before+1 {
					t.Errorf("%s: %v (version %d), want a new version", tt.name, err, v.Version)
				}
				continue
			}
			if licet.ErrorCode(err) != licet.CodeCatalogInUse {
				t.Errorf("%s: %v, want CatalogInUse", tt.name, err)
				continue
			}
			prev := -1
			for _, w := range tt.want {
				at := strings.Index(err.Error(), "\n  "+w+"\n")
				switch {
				case at < 0:
					t.Errorf("%s: the refusal lacks %q:\n%s", tt.name, w, err)
				case at < prev:
					t.Errorf("%s: the refusal names %q out of order:\n%s", tt.name, w, err)
				default:
					prev = at
				}
			}
			if uses, _ := licet.AsError(err).Details["inUse"].([]catalogstore.Use); len(uses) != len(tt.want) {
				t.Errorf("%s: details name %d uses, want %d", tt.name, len(uses), len(tt.want))
			}
			if after, _ := st.NewestNumber(ctx); after != before {
				t.Errorf("%s: refused, yet the newest version went from %d to %d", tt.name, before, after)
			}
		}
	})
}

// TestProviderServesNewestLoadable: Refresh serves a newer version, keeps the one it serves when
// a newer one does not load with this binary, and serves the next one that does.
func TestProviderServesNewestLoadable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), operator)
		st := &catalogstore.Store{DB: db, Now: time.Now}
		p := &catalogstore.Provider{Store: st}
		must(t, p.Refresh(ctx))
		if p.Catalog() != nil || p.Current() != nil {
			t.Fatal("a database without versions: the provider serves a catalog")
		}
		_, err := st.EnsureInitial(ctx, "m365-teams.yaml", catalogs.M365Teams())
		must(t, err)
		must(t, p.Refresh(ctx))
		if p.Current() == nil || p.Current().Version.Version != 1 || p.Catalog().Name != "m365-teams" {
			t.Fatalf("after version 1: %+v", p.Current())
		}
		// A version stored by a licet whose loader reads what this one does not.
		must(t, db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO catalog_versions (version, name, hash, content, file_name, created_by, created_at) VALUES (2, 'future', 'x', 'name: [', '', 'operator', 0)`)
			return err
		}))
		must(t, p.Refresh(ctx))
		if p.Current().Version.Version != 1 {
			t.Errorf("a version that does not load: serving %d, want 1 still", p.Current().Version.Version)
		}
		_, _, err = st.ApplyCatalog(ctx, upload("v3.yaml", edit(t, catalogtest.SetPrice("ENTERPRISEPACK", 2100))))
		must(t, err)
		must(t, p.Refresh(ctx))
		if p.Current().Version.Version != 3 {
			t.Errorf("after version 3: serving %d", p.Current().Version.Version)
		}
		var _ func() *catalog.Catalog = p.Catalog // what the services take
	})
}

// TestProviderRunPollsOnTicks: Run refreshes on each tick of the injected ticker and stops with
// its context.
func TestProviderRunPollsOnTicks(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := licet.WithActor(context.Background(), operator)
	st := &catalogstore.Store{DB: db, Now: time.Now}
	_, err := st.EnsureInitial(ctx, "m365-teams.yaml", catalogs.M365Teams())
	must(t, err)
	p := &catalogstore.Provider{Store: st}
	must(t, p.Refresh(ctx))
	_, _, err = st.ApplyCatalog(ctx, upload("v2.yaml", edit(t, catalogtest.SetPrice("ENTERPRISEPACK", 2100))))
	must(t, err)
	if p.Current().Version.Version != 1 {
		t.Fatal("the provider refreshed without a tick")
	}
	tick := make(chan time.Time)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx, tick); close(done) }()
	tick <- time.Now()
	tick <- time.Now() // the first tick's refresh has finished when the second is received
	if p.Current().Version.Version != 2 {
		t.Errorf("after a tick: serving %d, want 2", p.Current().Version.Version)
	}
	cancel()
	<-done
}
