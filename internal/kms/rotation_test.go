package kms_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/kms"
	"github.com/licet/licet/ticket"
)

// TestInstallAfterRotation: a host that trusts key 1 installs a certificate signed by key 2
// when the key set that comes with it chains key 2 to key 1, refuses it without one, and will
// not open with a certificate of a key its key set says is retired.
func TestInstallAfterRotation(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	spec := kms.SelfSpec{Group: 7, Now: at, Products: []licet.KMSProduct{{Slug: "p", Kind: "client", Group: 7}}}
	pub1, priv1, err := kms.SelfCertify(ctx, dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	pub2, priv2, _ := ed25519.GenerateKey(nil)
	k1 := ticket.OperatorKey{ID: 1, PublicKey: pub1, State: ticket.KeyVerifying, CreatedAt: at}
	k2 := ticket.OperatorKey{ID: 2, PublicKey: pub2, State: ticket.KeyActive, CreatedAt: at, EndorsedBy: 1, Endorsement: ticket.Endorse(priv1, 2, pub2)}
	spec2 := spec
	spec2.SigningKey = 2
	c, err := kms.SelfCertificate(ctx, dir, priv2, spec2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kms.Install(ctx, dir, c, nil, at); err == nil || !strings.Contains(err.Error(), "foreign certificate") {
		t.Fatalf("a key-2 certificate without a key set: %v, want foreign", err)
	}
	if c.KeySet, err = ticket.SignKeySet(priv2, 2, []ticket.OperatorKey{k1, k2}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := kms.Install(ctx, dir, c, nil, at); err != nil {
		t.Fatalf("a key-2 certificate with a key set chaining to key 1: %v", err)
	}
	h, err := kms.Open(ctx, kms.Config{StateDir: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	h.Close()

	// Back to a key-1 certificate, then key 1 retired in the key set: the host will not open.
	c1, err := kms.SelfCertificate(ctx, dir, priv1, spec)
	if err != nil {
		t.Fatal(err)
	}
	retiredAt := at.Add(time.Hour)
	r1 := k1
	r1.State, r1.RetiredAt = ticket.KeyRetired, &retiredAt
	if c1.KeySet, err = ticket.SignKeySet(priv2, 2, []ticket.OperatorKey{r1, k2}, retiredAt); err != nil {
		t.Fatal(err)
	}
	c1.OperatorKey = pub1
	if _, err := kms.Install(ctx, dir, c1, nil, at); err == nil || !strings.Contains(err.Error(), "retired on 2026-11-02") {
		t.Fatalf("installing a certificate of a retired key: %v, want a refusal naming the retirement", err)
	}
}
