package activation_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/hardware"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/tenancy"
	"github.com/licet/licet/ticket"
)

func fixedNow() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func operator() context.Context {
	return licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleOperator, TokenID: 1})
}

// fixture is a database with a tenant, a product group with a product, an agreement and a MAK.
type fixture struct {
	svc     *activation.Service
	db      *store.DB
	pub     ed25519.PublicKey
	mak     *licet.ProductKey
	product string
}

func newService(t testing.TB, db *store.DB) (*activation.Service, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := activation.New(db, fixedNow, priv, activation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return svc, pub
}

func setup(t testing.TB, db *store.DB, limit int64) *fixture {
	t.Helper()
	ctx := operator()
	svc, pub := newService(t, db)
	tenants := &tenancy.Service{DB: db, Now: fixedNow}
	for _, slug := range []string{"contoso", "fabrikam"} {
		if _, err := tenants.CreateTenant(ctx, licet.Tenant{Slug: slug, Name: slug}); err != nil {
			t.Fatal(err)
		}
	}
	noErr(t)(svc.CreateProductGroup(ctx, licet.ProductGroup{ID: 110, Slug: "desktop-10", Name: "Desktop 10"}))
	noErr(t)(svc.CreateProductGroup(ctx, licet.ProductGroup{ID: 111, Slug: "desktop-11", Name: "Desktop 11", Covers: []uint16{110}}))
	noErr(t)(svc.CreateProduct(ctx, licet.Product{Slug: "desktop-11", Name: "Contoso Desktop 11", Kind: "client", Group: 111}))
	noErr(t)(svc.CreateProduct(ctx, licet.Product{Slug: "desktop-10", Name: "Contoso Desktop 10", Kind: "client", Group: 110}))
	noErr(t)(svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", LicensingID: "C-1", Program: "open-license", Quantity: 25}))
	noErr(t)(svc.CreateAgreement(ctx, licet.Agreement{Tenant: "fabrikam", LicensingID: "F-1", Program: "enterprise", Level: "B", Quantity: 10}))
	mak, err := svc.IssueKey(ctx, licet.KeyRequest{Agreement: "C-1", Group: "desktop-11", Type: "mak", Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, pub: pub, mak: mak, product: "desktop-11"}
}

// noErr fails the test on an error and drops the value.
func noErr(t testing.TB) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func machine(i int) licet.Machine {
	return licet.Machine{ID: fmt.Sprintf("machine-%03d", i), Hardware: hw(i, 0), Hostname: fmt.Sprintf("pc%d", i)}
}

// hw returns a hardware hash of machine i with the first changed components replaced.
func hw(i, changed int) string {
	v := map[string]string{}
	for n, c := range hardware.Components {
		v[c] = fmt.Sprintf("%s-%d", c, i)
		if n < changed {
			v[c] += "-new"
		}
	}
	return hardware.Hash(v)
}

func (f *fixture) activate(m licet.Machine) (*licet.Activation, error) {
	return f.svc.Activate(context.Background(), licet.ActivationRequest{Key: f.mak.Key, Product: f.product, Machine: m})
}

func TestDefaultMAKLimit(t *testing.T) {
	tests := []struct {
		name     string
		program  string
		level    string
		quantity int64
		want     int64
	}{
		{"open license 1", "open-license", "", 1, 50},
		{"open license 25", "open-license", "", 25, 50},
		{"open license 26", "open-license", "", 26, 100},
		{"open value 100", "open-value", "", 100, 200},
		{"open license unknown quantity", "open-license", "", 0, 50},
		{"select A", "select", "A", 0, 500},
		{"enterprise B", "enterprise", "B", 3000, 1000},
		{"campus C", "campus", "C", 0, 2500},
		{"spla D", "spla", "D", 0, 5000},
		{"huge open", "open-value", "", 10_000_000, 20_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := activation.DefaultMAKLimit(tt.program, tt.level, tt.quantity); got != tt.want {
				t.Fatalf("DefaultMAKLimit(%s, %s, %d) = %d, want %d", tt.program, tt.level, tt.quantity, got, tt.want)
			}
		})
	}
}

func TestIssueAndShowKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 0)
		ctx := operator()
		if f.mak.Limit != 50 || f.mak.Remaining != 50 || f.mak.Tenant != "contoso" || f.mak.Group != 111 {
			t.Fatalf("MAK = %+v, want limit 50 remaining 50 for contoso group 111", f.mak)
		}
		k, err := keys.Parse(f.mak.Key)
		if err != nil || k.Type != keys.MAK || k.Group != 111 {
			t.Fatalf("issued key %q parses to %+v, %v", f.mak.Key, k, err)
		}
		// A database dump holds neither the key nor anything that reveals it without the signing key.
		var enc, tail, hash string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT key_enc, key_tail, key_hash FROM product_keys WHERE id = ?`, f.mak.ID).Scan(&enc, &tail, &hash)
		}); err != nil {
			t.Fatal(err)
		}
		if enc == f.mak.Key || tail != f.mak.Key[24:] || hash != k.Hash() {
			t.Fatalf("stored enc=%q tail=%q hash=%q; want encrypted key, last 5 characters, SHA-256", enc, tail, hash)
		}
		host := must[*licet.ProductKey](t)(f.svc.IssueKey(ctx, licet.KeyRequest{Agreement: "F-1", Group: "111", Type: "kms-host"}))
		if host.Limit != activation.KMSHostLimit {
			t.Errorf("kms-host limit = %d, want %d", host.Limit, activation.KMSHostLimit)
		}
		// A kms-host key's limit counts hosts: it stays within the host limit's range.
		if _, err := f.svc.ExtendKey(ctx, host.ID, licet.MaxKMSHostLimit); licet.ErrorCode(err) != licet.CodeExtensionLimitExceeded {
			t.Errorf("extending a kms-host key past %d hosts: %v, want %s", licet.MaxKMSHostLimit, err, licet.CodeExtensionLimitExceeded)
		}
		fab := must[*licet.ProductKey](t)(f.svc.IssueKey(ctx, licet.KeyRequest{Agreement: "F-1", Group: "111", Type: "mak"}))
		if fab.Limit != 1000 {
			t.Errorf("enterprise B MAK limit = %d, want 1000", fab.Limit)
		}
		got := must[*licet.ProductKey](t)(f.svc.LookupKey(ctx, f.mak.Key))
		if got.ID != f.mak.ID || got.Key != f.mak.Key {
			t.Fatalf("LookupKey = %+v, want key %d", got, f.mak.ID)
		}
		// A tenant admin sees its keys only.
		contoso := licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleTenant, TenantID: 1, Tenant: "contoso"})
		ks := must[[]licet.ProductKey](t)(f.svc.Keys(contoso, ""))
		if len(ks) != 1 || ks[0].ID != f.mak.ID {
			t.Fatalf("contoso sees %d keys, want only its MAK", len(ks))
		}
		for name, err := range map[string]error{
			"key of another tenant": second(f.svc.Key(contoso, host.ID)),
			"lookup another's key":  second(f.svc.LookupKey(contoso, fab.Key)),
			"list another tenant":   second(f.svc.Keys(contoso, "fabrikam")),
			"another's agreement":   second(f.svc.Agreement(contoso, "F-1")),
		} {
			if licet.ErrorCode(err) != licet.ENotFound {
				t.Errorf("%s: %v, want NotFound", name, err)
			}
		}
		if _, err := f.svc.IssueKey(contoso, licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "mak"}); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("tenant issues a key: %v, want forbidden", err)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func TestIssueKeyValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 0)
		tests := []struct {
			name string
			in   licet.KeyRequest
			want string
		}{
			{"kms-client", licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "kms-client"}, licet.EInvalid},
			{"unknown type", licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "gold"}, licet.EInvalid},
			{"unknown agreement", licet.KeyRequest{Agreement: "X", Group: "111", Type: "mak"}, licet.ENotFound},
			{"unknown group", licet.KeyRequest{Agreement: "C-1", Group: "999", Type: "mak"}, licet.ENotFound},
			{"negative limit", licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "mak", Limit: -1}, licet.EInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := f.svc.IssueKey(operator(), tt.in); licet.ErrorCode(err) != tt.want {
					t.Fatalf("IssueKey(%+v): %v, want %s", tt.in, err, tt.want)
				}
			})
		}
	})
}

func TestCatalogValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 0)
		ctx := operator()
		groups := must[[]licet.ProductGroup](t)(f.svc.ProductGroups(ctx))
		if len(groups) != 2 || fmt.Sprint(groups[1].Covers) != "[110 111]" {
			t.Fatalf("groups = %+v, want desktop-11 covering 110 and 111", groups)
		}
		g := must[*licet.ProductGroup](t)(f.svc.CreateProductGroup(ctx, licet.ProductGroup{ID: 112, Slug: "desktop-12", Name: "D12", Covers: []uint16{111}}))
		if fmt.Sprint(g.Covers) != "[110 111 112]" {
			t.Fatalf("desktop-12 covers %v, want the closure [110 111 112]", g.Covers)
		}
		tests := []struct {
			name string
			err  error
			want string
		}{
			{"group zero", second(f.svc.CreateProductGroup(ctx, licet.ProductGroup{Slug: "z", Name: "z"})), licet.EInvalid},
			{"group taken", second(f.svc.CreateProductGroup(ctx, licet.ProductGroup{ID: 110, Slug: "other", Name: "z"})), licet.EConflict},
			{"covers unknown", second(f.svc.CreateProductGroup(ctx, licet.ProductGroup{ID: 5, Slug: "five", Name: "z", Covers: []uint16{77}})), licet.ENotFound},
			{"bad kind", second(f.svc.CreateProduct(ctx, licet.Product{Slug: "p", Name: "p", Kind: "phone", Group: 110})), licet.EInvalid},
			{"bad pool", second(f.svc.CreateProduct(ctx, licet.Product{Slug: "p", Name: "p", Kind: "client", Pool: "x", Group: 110})), licet.EInvalid},
			{"no group", second(f.svc.CreateProduct(ctx, licet.Product{Slug: "p", Name: "p", Kind: "client"})), licet.EInvalid},
			{"product taken", second(f.svc.CreateProduct(ctx, licet.Product{Slug: "desktop-11", Name: "p", Kind: "client", Group: 110})), licet.EConflict},
			{"bad program", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", Program: "gold", Quantity: 10})), licet.EInvalid},
			{"level needed", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", Program: "select", Quantity: 10})), licet.EInvalid},
			{"bad level", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", Program: "select", Level: "E", Quantity: 10})), licet.EInvalid},
			{"unknown tenant", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "nobody", Program: "open-value", Quantity: 10})), licet.ENotFound},
			{"unknown parent", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", Program: "open-value", Parent: "nope", Quantity: 10})), licet.ENotFound},
			{"licensing id taken", second(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", LicensingID: "C-1", Program: "open-value", Quantity: 10})), licet.EConflict},
		}
		for _, tt := range tests {
			if licet.ErrorCode(tt.err) != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, tt.err, tt.want)
			}
		}
		child := must[*licet.Agreement](t)(f.svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", Program: "open-value", Parent: "F-1", Quantity: 10}))
		if child.Parent != "F-1" || len(child.LicensingID) != 8 {
			t.Fatalf("affiliate agreement = %+v, want parent F-1 and a generated 8-digit licensing ID", child)
		}
		p := must[[]licet.Product](t)(f.svc.Products(ctx))
		if len(p) != 2 || p[0].Pool != "systems" {
			t.Fatalf("products = %+v", p)
		}
		gv := must[[]licet.GVLK](t)(f.svc.GVLKs(ctx))
		k, err := keys.Parse(gv[0].Key)
		if err != nil || k.Type != keys.KMSClient || k.Group != gv[0].Group {
			t.Fatalf("GVLK %+v parses to %+v, %v; want a kms-client key of its group", gv[0], k, err)
		}
	})
}

func TestActivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 2)
		ctx := operator()
		a, err := f.activate(machine(1))
		if err != nil || !a.Consumed {
			t.Fatalf("first activation: %+v, %v; want consumed", a, err)
		}
		tk, err := ticket.Check(f.pub, a.Ticket, "machine-001", fixedNow())
		if err != nil || tk.KeyID != f.mak.ID || tk.Product != "desktop-11" || tk.Group != 111 || tk.Tenant != "contoso" || tk.Method != "online" || tk.ExpiresAt != nil {
			t.Fatalf("ticket %+v, %v; want key %d, product desktop-11, no expiry", tk, err, f.mak.ID)
		}
		if _, err := ticket.Check(f.pub, a.Ticket, "machine-002", fixedNow()); err == nil {
			t.Fatal("ticket accepted for another machine")
		}
		small := machine(1)
		small.Hardware = hw(1, 3)
		if a, err := f.activate(small); err != nil || a.Consumed {
			t.Fatalf("same machine, hardware within tolerance: %+v, %v; want a ticket, nothing consumed", a, err)
		}
		if a, err := f.activate(machine(2)); err != nil || !a.Consumed {
			t.Fatalf("second machine: %+v, %v", a, err)
		}
		_, err = f.activate(machine(3))
		le := licet.AsError(err)
		if le.Code != licet.CodeActivationLimitExceeded || le.Details["limit"] != int64(2) {
			t.Fatalf("third machine: %v (%+v), want ActivationLimitExceeded with limit 2", err, le.Details)
		}
		big := machine(2)
		big.Hardware = hw(2, 4)
		if _, err := f.activate(big); licet.ErrorCode(err) != licet.CodeActivationLimitExceeded {
			t.Fatalf("machine 2 with hardware out of tolerance on a full key: %v, want ActivationLimitExceeded", err)
		}
		k := must[*licet.ProductKey](t)(f.svc.ExtendKey(ctx, f.mak.ID, 1))
		if k.Limit != 3 || k.Remaining != 1 {
			t.Fatalf("after extend by 1: %+v, want limit 3 remaining 1", k)
		}
		if a, err := f.activate(big); err != nil || !a.Consumed {
			t.Fatalf("machine 2, hardware out of tolerance, after extension: %+v, %v; want consumed", a, err)
		}
		if a, err := f.activate(big); err != nil || a.Consumed {
			t.Fatalf("machine 2 again with its new hardware: %+v, %v; want nothing consumed", a, err)
		}
		k = must[*licet.ProductKey](t)(f.svc.Key(ctx, f.mak.ID))
		if k.Used != 3 || k.Remaining != 0 {
			t.Fatalf("key after activations: used %d remaining %d, want 3 and 0", k.Used, k.Remaining)
		}
		entries, err := (&audit.Service{DB: db}).Audit(ctx, licet.AuditFilter{Action: "key.extend"})
		if err != nil || len(entries) != 1 || entries[0].Before != "2" || entries[0].After != "3" {
			t.Fatalf("audit of key.extend = %+v, %v; want one entry 2 → 3", entries, err)
		}
	})
}

func TestActivateRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		ctx := operator()
		blocked := must[*licet.ProductKey](t)(f.svc.IssueKey(ctx, licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "mak"}))
		must[*licet.ProductKey](t)(f.svc.BlockKey(ctx, blocked.ID, true))
		setupKey := must[*licet.ProductKey](t)(f.svc.IssueKey(ctx, licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "setup"}))
		host := must[*licet.ProductKey](t)(f.svc.IssueKey(ctx, licet.KeyRequest{Agreement: "C-1", Group: "111", Type: "kms-host"}))
		unknown, _ := keys.New(keys.MAK, 111, nil)
		gvlk := must[[]licet.GVLK](t)(f.svc.GVLKs(ctx))[0].Key
		m := machine(1)
		tests := []struct {
			name    string
			key     string
			product string
			machine licet.Machine
			want    string
		}{
			{"malformed key", "BCDFG-HJKMP", "desktop-11", m, licet.EInvalid},
			{"mistyped key", mistype(f.mak.Key), "desktop-11", m, licet.EInvalid},
			{"unknown key", unknown.String(), "desktop-11", m, licet.CodeInvalidProductKey},
			{"blocked key", blocked.Key, "desktop-11", m, licet.CodeInvalidProductKey},
			{"setup key", setupKey.Key, "desktop-11", m, licet.CodeKeyTypeNotActivatable},
			{"kms host key", host.Key, "desktop-11", m, licet.CodeKeyTypeNotActivatable},
			{"gvlk", gvlk, "desktop-11", m, licet.CodeKeyTypeNotActivatable},
			{"wrong product", f.mak.Key, "desktop-10", m, licet.CodeProductMismatch},
			{"unknown product", f.mak.Key, "nope", m, licet.ENotFound},
			{"no product", f.mak.Key, "", m, licet.EInvalid},
			{"no machine id", f.mak.Key, "desktop-11", licet.Machine{}, licet.EInvalid},
			{"control character", f.mak.Key, "desktop-11", licet.Machine{ID: "a\x00b"}, licet.EInvalid},
			{"bad hardware", f.mak.Key, "desktop-11", licet.Machine{ID: "m", Hardware: "v1:zz"}, licet.EInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.Activate(context.Background(), licet.ActivationRequest{Key: tt.key, Product: tt.product, Machine: tt.machine})
				if got := licet.ErrorCode(err); got != tt.want {
					t.Fatalf("Activate: %v (%s), want %s", err, got, tt.want)
				}
			})
		}
		// An unknown key and a blocked key get the same answer, word for word.
		_, errUnknown := f.svc.Activate(context.Background(), licet.ActivationRequest{Key: unknown.String(), Product: "desktop-11", Machine: m})
		_, errBlocked := f.svc.Activate(context.Background(), licet.ActivationRequest{Key: blocked.Key, Product: "desktop-11", Machine: m})
		if errUnknown.Error() != errBlocked.Error() || len(licet.AsError(errBlocked).Details) != 0 {
			t.Errorf("unknown key: %q, blocked key: %q; want the same answer without details", errUnknown, errBlocked)
		}
		for _, id := range []int64{f.mak.ID, blocked.ID} {
			if k := must[*licet.ProductKey](t)(f.svc.Key(ctx, id)); k.Used != 0 {
				t.Errorf("key %d: used %d after refusals, want 0", id, k.Used)
			}
		}
	})
}

// TestActivateConcurrent is the proof that a MAK never activates more machines than its limit:
// 200 distinct machines at once on a limit of 50 give exactly 50 tickets; the same 50 again get
// tickets and consume nothing.
func TestActivateConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 50)
		var mu sync.Mutex
		var winners []licet.Machine
		var wg sync.WaitGroup
		codes := map[string]int{}
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.activate(machine(i))
				mu.Lock()
				defer mu.Unlock()
				codes[licet.ErrorCode(err)]++
				if err == nil {
					winners = append(winners, machine(i))
				}
			}()
		}
		wg.Wait()
		if codes[""] != 50 || codes[licet.CodeActivationLimitExceeded] != 150 {
			t.Fatalf("outcomes %v, want 50 tickets and 150 ActivationLimitExceeded", codes)
		}
		for _, m := range winners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a, err := f.activate(m); err != nil || a.Consumed {
					t.Errorf("%s again: %+v, %v; want a ticket without consuming", m.ID, a, err)
				}
			}()
		}
		wg.Wait()
		k := must[*licet.ProductKey](t)(f.svc.Key(operator(), f.mak.ID))
		if k.Used != 50 || k.Remaining != 0 {
			t.Fatalf("key: used %d remaining %d, want 50 and 0", k.Used, k.Remaining)
		}
	})
}

// mistype changes one character of a key to another symbol of the alphabet: always detected
// (swapping whole groups is not, about once in 571 keys).
func mistype(key string) string {
	b := []byte(key)
	i := strings.IndexByte(keys.Alphabet, b[7])
	b[7] = keys.Alphabet[(i+1)%len(keys.Alphabet)]
	return string(b)
}
