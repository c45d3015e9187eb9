package keyring_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/signing/keyring"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func fileKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func TestRotateAndRetire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), licet.System)
		file := fileKey(t)
		now := start
		k, err := keyring.OpenKeyring(ctx, db, file, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.OpenKeyring(ctx, db, file, func() time.Time { return now }); err != nil {
			t.Fatalf("opening again: %v", err)
		}
		if active, _ := k.Active(ctx); active.ID != 1 || !active.Private.Equal(file) {
			t.Fatalf("first key: %d, want 1 = the key file", active.ID)
		}
		if _, err := keyring.OpenKeyring(ctx, db, fileKey(t), time.Now); err == nil {
			t.Fatal("another key file opened the keys")
		}

		tenant := licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleTenant, TenantID: 1})
		if _, err := k.RotateSigningKey(tenant); licet.ErrorCode(err) != licet.EForbidden {
			t.Fatalf("a tenant rotates: %v", err)
		}
		now = now.Add(time.Hour)
		k2, err := k.RotateSigningKey(ctx)
		if err != nil || k2.ID != 2 || k2.EndorsedBy != 1 || k2.State != licet.SigningKeyActive {
			t.Fatalf("rotate: %+v, %v", k2, err)
		}
		signed, err := k.SignTicket(ctx, ticket.Ticket{Kind: ticket.KindActivation, Machine: "m", IssuedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		_, set, err := k.KeySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		learned, _, err := ticket.VerifyKeySet(ticket.Pinned(file.Public().(ed25519.PublicKey)), set)
		if err != nil {
			t.Fatalf("the key set does not chain to the key file: %v", err)
		}
		if tk, err := ticket.CheckWith(learned, signed, "m", now); err != nil || tk.SigningKey != 2 {
			t.Fatalf("a ticket after rotation: kid %d, %v; want 2", tk.SigningKey, err)
		}

		for _, tt := range []struct {
			id   uint32
			code string
		}{{2, licet.CodeSigningKeyActive}, {7, licet.ENotFound}} {
			if _, err := k.RetireSigningKey(ctx, tt.id, false); licet.ErrorCode(err) != tt.code {
				t.Errorf("retire %d: %v, want %s", tt.id, err, tt.code)
			}
		}
		r, err := k.RetireSigningKey(ctx, 1, false)
		if err != nil || r.State != licet.SigningKeyRetired || !r.RetiredAt.Equal(now) {
			t.Fatalf("retire 1: %+v, %v", r, err)
		}
		if _, err := k.RetireSigningKey(ctx, 1, false); licet.ErrorCode(err) != licet.EConflict {
			t.Fatalf("retire 1 again: %v", err)
		}
		pubs, err := keyring.PublicKeys(ctx, db)
		if err != nil || len(pubs) != 2 || pubs[0].State != ticket.KeyRetired || !ed25519.PublicKey(pubs[0].PublicKey).Equal(file.Public()) {
			t.Fatalf("PublicKeys: %+v, %v", pubs, err)
		}
	})
}

// TestConcurrentRotations rotates from several goroutines: every rotation takes the next id and
// exactly one key stays active.
func TestConcurrentRotations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := licet.WithActor(context.Background(), licet.System)
		k, err := keyring.OpenKeyring(ctx, db, fileKey(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := k.RotateSigningKey(ctx)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("rotation: %v", err)
			}
		}
		keys, err := k.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for i, key := range keys {
			if key.ID != uint32(i+1) || (i > 0 && key.EndorsedBy == 0) {
				t.Fatalf("key %d: %+v", i+1, key)
			}
			if key.State == licet.SigningKeyActive {
				active++
			}
		}
		if len(keys) != n+1 || active != 1 {
			t.Fatalf("%d keys with %d active, want %d and 1", len(keys), active, n+1)
		}
		_, set, err := k.KeySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first, _ := base64.StdEncoding.DecodeString(keys[0].PublicKey)
		if _, _, err := ticket.VerifyKeySet(ticket.Pinned(first), set); err != nil {
			t.Fatalf("the chain of %d rotations: %v", n, err)
		}
	})
}
