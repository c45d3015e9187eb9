package kmscentral_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/kmscentral/centraltest"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

var operator = licet.WithActor(context.Background(), licet.System)

func service(t testing.TB, db *store.DB) (*kmscentral.Service, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &kmscentral.Service{DB: db, Key: priv, Now: func() time.Time { return now }}, pub
}

func hostRequest(t testing.TB, key keys.Key, id string) licet.KMSHostRequest {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return licet.KMSHostRequest{Key: key.String(), HostID: id, HostKey: pub, Hostname: id + ".corp.example"}
}

func TestHostLimitAndReactivation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, opPub := service(t, db)
		centraltest.Tenant(t, db, "contoso")
		is := centraltest.Service(t, db)
		is.Group(10, "suite-2024")
		is.Group(11, "suite-2026", 10)
		is.Product("suite-pro-2026", "client", 11)
		is.Product("suite-server-2024", "server", 10)
		key, keyID := is.HostKey("contoso", 11)

		var first licet.KMSHostRequest
		for i := 1; i <= 6; i++ {
			req := hostRequest(t, key, fmt.Sprintf("host-%d", i))
			if i == 1 {
				first = req
			}
			got, err := svc.ActivateHost(ctx, req)
			if err != nil {
				t.Fatalf("host %d: %v", i, err)
			}
			if got.HostsUsed != i || got.HostLimit != 6 || got.Reactivation {
				t.Fatalf("host %d: used %d of %d (reactivation %v), want %d of 6, new", i, got.HostsUsed, got.HostLimit, got.Reactivation, i)
			}
		}
		_, err := svc.ActivateHost(ctx, hostRequest(t, key, "host-7"))
		if licet.ErrorCode(err) != licet.CodeKMSHostLimit {
			t.Fatalf("7th host: %v, want %s", err, licet.CodeKMSHostLimit)
		}
		for _, want := range []string{"6 of its 6 hosts", "host-7", "re-activate", fmt.Sprintf("licet kms host-limit %d", keyID)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("7th host error %q does not say %q", err, want)
			}
		}

		// The same host re-activating uses no more, even with a new host key.
		again := hostRequest(t, key, "host-1")
		got, err := svc.ActivateHost(ctx, again)
		if err != nil {
			t.Fatalf("re-activation of host-1: %v", err)
		}
		if !got.Reactivation || got.HostsUsed != 6 {
			t.Fatalf("re-activation: reactivation %v, used %d; want true, 6", got.Reactivation, got.HostsUsed)
		}
		cert, err := ticket.Parse(opPub, got.Certificate)
		if err != nil {
			t.Fatalf("certificate does not verify with the operator's key: %v", err)
		}
		if cert.Kind != ticket.KindHostCertificate || cert.Machine != "host-1" || !slices.Equal(cert.HostKey, again.HostKey) || cert.Tenant != "contoso" {
			t.Errorf("certificate = %+v, want kind kms-host for host-1 with its new key, tenant contoso", cert)
		}
		if slices.Equal(cert.HostKey, first.HostKey) {
			t.Error("certificate carries the old host key")
		}
		if !slices.Equal(cert.Covers, []uint16{11, 10}) {
			t.Errorf("covers = %v, want [11 10] (own group first, then covered)", cert.Covers)
		}
		if cert.ExpiresAt == nil || !cert.ExpiresAt.Equal(now.Add(licet.KMSHostCertificateValidity)) {
			t.Errorf("expires = %v, want issue + %v", cert.ExpiresAt, licet.KMSHostCertificateValidity)
		}
		var slugs []string
		for _, p := range got.Products {
			slugs = append(slugs, p.Slug+"/"+string(p.Kind))
		}
		if !slices.Equal(slugs, []string{"suite-pro-2026/client", "suite-server-2024/server"}) {
			t.Errorf("products = %v", slugs)
		}

		// The operator raises the limit: the 7th host gets in.
		if err := svc.SetHostLimit(operator, keyID, 7); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.ActivateHost(ctx, hostRequest(t, key, "host-7")); err != nil || got.HostsUsed != 7 || got.HostLimit != 7 {
			t.Fatalf("7th host after raising the limit: %+v, %v", got, err)
		}
		var rows, used, limit int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT used, activation_limit FROM product_keys WHERE id = ?`, keyID).Scan(&used, &limit); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT count(*) FROM kms_hosts WHERE key_id = ?`, keyID).Scan(&rows)
		}); err != nil || rows != 7 || used != 7 || limit != 7 {
			t.Fatalf("kms_hosts rows = %d, key used %d of %d (%v); want 7 hosts, 7 of 7: the key page shows the hosts", rows, used, limit, err)
		}
		// The limit cannot go below the hosts already activated.
		if err := svc.SetHostLimit(operator, keyID, 6); licet.ErrorCode(err) != licet.EConflict {
			t.Fatalf("lowering the limit below 7 hosts: %v, want conflict", err)
		}
	})
}

func TestBadRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _ := service(t, db)
		contoso := centraltest.Tenant(t, db, "contoso")
		fabrikam := centraltest.Tenant(t, db, "fabrikam")
		is := centraltest.Service(t, db)
		is.Group(11, "suite-2026")
		key, _ := is.HostKey("contoso", 11)
		blocked, blockedID := is.HostKey("contoso", 11)
		is.Block(blockedID)
		mak, _ := is.Key("contoso", 11, keys.MAK)
		unknown, _ := keys.New(keys.KMSHost, 11, nil)
		good := hostRequest(t, key, "host-1")
		hash := func(k keys.Key) string { s := sha256.Sum256([]byte(k.String())); return hex.EncodeToString(s[:]) }
		asTenant := func(id int64, slug string) context.Context {
			return licet.WithActor(ctx, licet.Actor{Role: licet.RoleTenant, TenantID: id, Tenant: slug})
		}
		approval := good
		approval.Key, approval.KeyHash = "", hash(key)
		with := func(f func(r *licet.KMSHostRequest)) licet.KMSHostRequest { r := good; f(&r); return r }
		tests := []struct {
			name    string
			approve bool
			ctx     context.Context
			req     licet.KMSHostRequest
			want    string
		}{
			{"malformed key", false, ctx, with(func(r *licet.KMSHostRequest) { r.Key = "BCDFG-HJKMP" }), licet.EInvalid},
			{"mak key", false, ctx, with(func(r *licet.KMSHostRequest) { r.Key = mak.String() }), licet.EInvalid},
			{"unknown key", false, ctx, with(func(r *licet.KMSHostRequest) { r.Key = unknown.String() }), licet.CodeInvalidProductKey},
			{"blocked key", false, ctx, with(func(r *licet.KMSHostRequest) { r.Key = blocked.String() }), licet.CodeInvalidProductKey},
			{"bad host id", false, ctx, with(func(r *licet.KMSHostRequest) { r.HostID = "../etc" }), licet.EInvalid},
			{"short host key", false, ctx, with(func(r *licet.KMSHostRequest) { r.HostKey = r.HostKey[:8] }), licet.EInvalid},
			{"control in hostname", false, ctx, with(func(r *licet.KMSHostRequest) { r.Hostname = "a\x00b" }), licet.EInvalid},
			{"online with hash", false, ctx, with(func(r *licet.KMSHostRequest) { r.KeyHash = hash(key) }), licet.EInvalid},
			{"approval carrying the key", true, operator, good, licet.EInvalid},
			{"approval bad hash", true, operator, with(func(r *licet.KMSHostRequest) { r.Key, r.KeyHash = "", "ABC" }), licet.EInvalid},
			{"approval by other tenant", true, asTenant(fabrikam, "fabrikam"), approval, licet.ENotFound},
			{"approval by partner", true, licet.WithActor(ctx, licet.Actor{Role: licet.RolePartner, Partner: "p"}), approval, licet.EForbidden},
			{"approval by owner", true, asTenant(contoso, "contoso"), approval, ""},
			{"approval by operator", true, operator, approval, ""},
		}
		refusals := map[string]string{} // the message of each refusal of a key, by test name
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				if tt.approve {
					_, err = svc.ApproveHost(tt.ctx, tt.req)
				} else {
					_, err = svc.ActivateHost(tt.ctx, tt.req)
				}
				if got := licet.ErrorCode(err); got != tt.want {
					t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
				}
				if tt.want == licet.CodeInvalidProductKey {
					refusals[tt.name] = licet.ErrorMessage(err)
				}
			})
		}
		// Online activation tells an unknown key from a blocked one by nothing.
		if len(refusals) != 2 || refusals["unknown key"] != refusals["blocked key"] {
			t.Errorf("online refusals of unknown and blocked keys differ: %q", refusals)
		}
		if err := svc.SetHostLimit(asTenant(contoso, "contoso"), 1, 9); licet.ErrorCode(err) != licet.EForbidden {
			t.Errorf("tenant setting a host limit: %v, want forbidden", err)
		}
		if err := svc.SetHostLimit(operator, 1, 0); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("limit 0: %v, want invalid", err)
		}
		if err := svc.SetHostLimit(operator, 9999, 3); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("unknown key: %v, want not found", err)
		}
	})
}

// TestConcurrentHostsNeverExceedLimit activates 24 distinct hosts at once on one key through two
// database handles (two server processes): exactly 6 succeed, on both databases.
func TestConcurrentHostsNeverExceedLimit(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, _, dsn string) {
		ctx := context.Background()
		var dbs [2]*store.DB
		for i := range dbs {
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx, func() int64 { return now.UnixMilli() }); err != nil {
				t.Fatal(err)
			}
			dbs[i] = db
		}
		centraltest.Tenant(t, dbs[0], "contoso")
		is := centraltest.Service(t, dbs[0])
		is.Group(11, "suite-2026")
		key, keyID := is.HostKey("contoso", 11)
		_, priv, _ := ed25519.GenerateKey(nil)
		svcs := [2]*kmscentral.Service{
			{DB: dbs[0], Key: priv, Now: func() time.Time { return now }},
			{DB: dbs[1], Key: priv, Now: func() time.Time { return now }},
		}
		const hosts = 24
		var wg sync.WaitGroup
		errs := make([]error, hosts)
		for i := range hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := hostRequest(t, key, fmt.Sprintf("host-%02d", i))
				if i%3 == 0 { // directories share the limit with hosts
					req = licet.KMSHostRequest{Key: key.String(), HostID: fmt.Sprintf("dir-%02d", i), Kind: licet.KMSKindDirectory, Directory: fmt.Sprintf("d%02d.example", i)}
				}
				_, errs[i] = svcs[i%2].ActivateHost(ctx, req)
			}()
		}
		wg.Wait()
		okCount, refused := 0, 0
		for i, err := range errs {
			switch licet.ErrorCode(err) {
			case "":
				okCount++
			case licet.CodeKMSHostLimit:
				refused++
			default:
				t.Errorf("host %d: unexpected error %v", i, err)
			}
		}
		var rows int
		if err := dbs[1].Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM kms_hosts WHERE key_id = ?`, keyID).Scan(&rows)
		}); err != nil {
			t.Fatal(err)
		}
		if okCount != 6 || refused != hosts-6 || rows != 6 {
			t.Fatalf("activated %d, refused %d, rows %d; want 6, %d, 6", okCount, refused, rows, hosts-6)
		}
	})
}
