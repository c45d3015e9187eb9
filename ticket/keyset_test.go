package ticket_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/ticket"
)

// rotation returns three keys, each endorsed by the one before, the first retired when retire.
func rotation(t *testing.T, retire bool) ([]ed25519.PrivateKey, []ticket.OperatorKey) {
	t.Helper()
	var privs []ed25519.PrivateKey
	var keys []ticket.OperatorKey
	for i := uint32(1); i <= 3; i++ {
		pub, priv := keypair(t)
		k := ticket.OperatorKey{ID: i, PublicKey: pub, State: ticket.KeyVerifying, CreatedAt: now}
		if i > 1 {
			k.EndorsedBy, k.Endorsement = i-1, ticket.Endorse(privs[i-2], i, pub)
		}
		privs, keys = append(privs, priv), append(keys, k)
	}
	keys[2].State = ticket.KeyActive
	if retire {
		at := now.Add(time.Hour)
		keys[0].State, keys[0].RetiredAt = ticket.KeyRetired, &at
	}
	return privs, keys
}

func TestKeySetChainsFromAnOldPin(t *testing.T) {
	privs, keys := rotation(t, false)
	set, err := ticket.SignKeySet(privs[2], 3, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	got, issued, err := ticket.VerifyKeySet(ticket.Pinned(keys[0].PublicKey), set)
	if err != nil {
		t.Fatalf("a machine pinned on key 1 refused the set: %v", err)
	}
	if !issued.Equal(now) || len(got.Keys) != 3 {
		t.Fatalf("got %d keys issued %v", len(got.Keys), issued)
	}
	if a, _ := got.Active(); a.ID != 3 {
		t.Fatalf("active key %d, want 3", a.ID)
	}
	// A ticket under each key verifies with the learned set.
	for i, priv := range privs {
		signed, _ := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindActivation, Machine: "m", SigningKey: uint32(i + 1), IssuedAt: now})
		if _, err := ticket.CheckWith(got, signed, "m", now); err != nil {
			t.Fatalf("ticket of key %d: %v", i+1, err)
		}
	}
	// A machine that pinned the newest key trusts the set too (it is signed by that key).
	if _, _, err := ticket.VerifyKeySet(ticket.Pinned(keys[2].PublicKey), set); err != nil {
		t.Fatalf("pinned on key 3: %v", err)
	}
}

func TestKeySetRefusesWhatDoesNotChain(t *testing.T) {
	privs, keys := rotation(t, false)
	stranger, strangerPriv := keypair(t)
	forged := append([]ticket.OperatorKey(nil), keys...)
	forged[1].Endorsement = ticket.Endorse(strangerPriv, 2, keys[1].PublicKey)
	tests := []struct {
		name    string
		trusted ticket.KeySet
		signed  func() string
	}{
		{"pinned on a foreign key", ticket.Pinned(stranger), func() string { s, _ := ticket.SignKeySet(privs[2], 3, keys, now); return s }},
		{"endorsement by a stranger", ticket.Pinned(keys[0].PublicKey), func() string { s, _ := ticket.SignKeySet(privs[2], 3, forged, now); return s }},
		{"signed by another key than it names", ticket.Pinned(keys[0].PublicKey), func() string { s, _ := ticket.SignKeySet(privs[1], 3, keys, now); return s }},
		{"signer not in the set", ticket.Pinned(keys[0].PublicKey), func() string { s, _ := ticket.SignKeySet(privs[2], 9, keys, now); return s }},
		{"a ticket, not a set", ticket.Pinned(keys[0].PublicKey), func() string {
			s, _ := ticket.Sign(privs[0], ticket.Ticket{Kind: ticket.KindActivation, Machine: "m"})
			return s
		}},
		{"garbage", ticket.Pinned(keys[0].PublicKey), func() string { return "abc.def" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ticket.VerifyKeySet(tt.trusted, tt.signed()); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestRetiredKeyTicketsAreRefusedByName(t *testing.T) {
	privs, keys := rotation(t, true)
	set, _ := ticket.SignKeySet(privs[2], 3, keys, now)
	got, _, err := ticket.VerifyKeySet(ticket.Pinned(keys[0].PublicKey), set)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := ticket.Sign(privs[0], ticket.Ticket{Kind: ticket.KindActivation, Machine: "m", IssuedAt: now}) // no kid: key 1
	_, err = ticket.CheckWith(got, signed, "m", now)
	var re *ticket.RetiredError
	if !errors.As(err, &re) || !errors.Is(err, ticket.ErrRetired) || re.ID != 1 {
		t.Fatalf("got %v, want a retirement of key 1", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "operator key 1") || !strings.Contains(msg, "retired on 2026-11-22") {
		t.Fatalf("message %q does not name the key and the retirement", msg)
	}
	// A later set that forgets the retirement does not undo it.
	keys[0].State, keys[0].RetiredAt = ticket.KeyVerifying, nil
	replay, _ := ticket.SignKeySet(privs[2], 3, keys, now.Add(time.Hour))
	again, _, err := ticket.VerifyKeySet(got, replay)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ticket.CheckWith(again, signed, "m", now); !errors.Is(err, ticket.ErrRetired) {
		t.Fatalf("after a set without the retirement: %v", err)
	}
}

func TestKMSTicketUnderRetiredCertificate(t *testing.T) {
	privs, keys := rotation(t, true)
	hostPub, hostPriv := keypair(t)
	exp := now.Add(365 * 24 * time.Hour)
	cert, _ := ticket.Sign(privs[0], ticket.Ticket{Kind: ticket.KindHostCertificate, Machine: "h", SigningKey: 1, HostKey: hostPub, Covers: []uint16{1}, IssuedAt: now, ExpiresAt: &exp})
	signed, _ := ticket.Sign(hostPriv, ticket.Ticket{Kind: ticket.KindKMSActivation, Machine: "m", Issuer: "h", Group: 1, IssuedAt: now, ExpiresAt: &exp, Chain: cert})
	set := ticket.KeySet{Keys: keys}
	if _, err := ticket.CheckWith(set, signed, "m", now); !errors.Is(err, ticket.ErrRetired) || !errors.Is(err, ticket.ErrChain) {
		t.Fatalf("got %v, want a chain error naming the retirement", err)
	}
	keys[0].State, keys[0].RetiredAt = ticket.KeyVerifying, nil
	if _, err := ticket.CheckWith(ticket.KeySet{Keys: keys}, signed, "m", now); err != nil {
		t.Fatalf("before retirement: %v", err)
	}
}

func TestUnknownKeyID(t *testing.T) {
	privs, keys := rotation(t, false)
	signed, _ := ticket.Sign(privs[2], ticket.Ticket{Kind: ticket.KindActivation, Machine: "m", SigningKey: 3, IssuedAt: now})
	if _, err := ticket.CheckWith(ticket.KeySet{Keys: keys[:1]}, signed, "m", now); !errors.Is(err, ticket.ErrUnknownKey) {
		t.Fatalf("got %v, want ErrUnknownKey", err)
	}
}

func FuzzVerifyKeySet(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	good, _ := ticket.SignKeySet(priv, 1, []ticket.OperatorKey{{ID: 1, PublicKey: pub, State: ticket.KeyActive, CreatedAt: now}}, now)
	f.Add(good)
	f.Add("")
	f.Add("e30.AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		set, _, err := ticket.VerifyKeySet(ticket.Pinned(pub), s)
		if err == nil && !set.Has(pub) {
			t.Fatalf("accepted a set without the pinned key")
		}
	})
}
