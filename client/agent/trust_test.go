package agent

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/licet/licet/ticket"
)

// TestLearnKeySet: a set that chains to the pin is kept; a foreign one is refused; an older one
// is ignored; a newer one that forgets a retirement is refused.
func TestLearnKeySet(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	pub1, priv1, _ := ed25519.GenerateKey(nil)
	pub2, priv2, _ := ed25519.GenerateKey(nil)
	k1 := ticket.OperatorKey{ID: 1, PublicKey: pub1, State: ticket.KeyVerifying, CreatedAt: at}
	k2 := ticket.OperatorKey{ID: 2, PublicKey: pub2, State: ticket.KeyActive, CreatedAt: at, EndorsedBy: 1, Endorsement: ticket.Endorse(priv1, 2, pub2)}
	sign := func(iat time.Time, keys ...ticket.OperatorKey) string {
		s, err := ticket.SignKeySet(priv2, 2, keys, iat)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := State{OperatorKey: base64.StdEncoding.EncodeToString(pub1)}
	rotated := sign(at, k1, k2)
	if err := learnKeySet(&s, rotated); err != nil || s.KeySet != rotated {
		t.Fatalf("a set chaining to the pin: %v", err)
	}
	if keys, err := trust(s); err != nil || len(keys.Keys) != 2 {
		t.Fatalf("trust after learning: %+v, %v", keys, err)
	}

	_, foreignPriv, _ := ed25519.GenerateKey(nil)
	foreign, _ := ticket.SignKeySet(foreignPriv, 2, []ticket.OperatorKey{k1, k2}, at.Add(time.Hour))
	if err := learnKeySet(&s, foreign); err == nil || s.KeySet != rotated {
		t.Fatalf("a foreign set: %v; the stored set changed: %v", err, s.KeySet != rotated)
	}

	retiredAt := at.Add(2 * time.Hour)
	r1 := k1
	r1.State, r1.RetiredAt = ticket.KeyRetired, &retiredAt
	retirement := sign(retiredAt, r1, k2)
	if err := learnKeySet(&s, retirement); err != nil || s.KeySet != retirement {
		t.Fatalf("the retirement: %v", err)
	}
	if err := learnKeySet(&s, rotated); err != nil || s.KeySet != retirement {
		t.Fatalf("an older set replaced the newer: %v", err)
	}
	if err := learnKeySet(&s, sign(retiredAt.Add(time.Hour), k1, k2)); err == nil || s.KeySet != retirement {
		t.Fatalf("a newer set without the retirement: %v", err)
	}
	keys, err := trust(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Lookup(1); !errors.Is(err, ticket.ErrRetired) {
		t.Fatalf("key 1 after all: %v, want retired", err)
	}
}
