package ticket_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/ticket"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func keypair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestSignCheck(t *testing.T) {
	pub, priv := keypair(t)
	exp := now.Add(180 * 24 * time.Hour)
	signed, err := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindActivation, Machine: "m1", KeyID: 7, IssuedAt: now, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ticket.Check(pub, signed, "m1", now); err != nil {
		t.Fatalf("valid ticket rejected: %v", err)
	}
	otherPub, _ := keypair(t)
	tests := []struct {
		name    string
		pub     ed25519.PublicKey
		signed  string
		machine string
		at      time.Time
		want    error
	}{
		{"other machine", pub, signed, "m2", now, ticket.ErrMachine},
		{"expired", pub, signed, "m1", exp, ticket.ErrExpired},
		{"other key", otherPub, signed, "m1", now, ticket.ErrSignature},
		{"no signature", pub, strings.Split(signed, ".")[0], "m1", now, ticket.ErrMalformed},
		{"garbage", pub, "!!!.???", "m1", now, ticket.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ticket.Check(tt.pub, tt.signed, tt.machine, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Check: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestAnyAlteredByteRejected alters every byte of a signed ticket in turn.
func TestAnyAlteredByteRejected(t *testing.T) {
	pub, priv := keypair(t)
	signed, err := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindActivation, Machine: "m1", IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(signed); i++ {
		b := []byte(signed)
		b[i] ^= 0x01
		if _, err := ticket.Check(pub, string(b), "m1", now); err == nil {
			t.Fatalf("ticket altered at byte %d (%q) accepted", i, signed[i])
		}
	}
}

func TestKMSChain(t *testing.T) {
	opPub, opPriv := keypair(t)
	hostPub, hostPriv := keypair(t)
	certExp := now.Add(365 * 24 * time.Hour)
	cert, err := ticket.Sign(opPriv, ticket.Ticket{Kind: ticket.KindHostCertificate, Machine: "host-1", HostKey: hostPub, Covers: []uint16{3, 4}, IssuedAt: now, ExpiresAt: &certExp})
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(180 * 24 * time.Hour)
	issue := func(priv ed25519.PrivateKey, group uint16, issuer string) string {
		s, err := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindKMSActivation, Machine: "c1", Group: group, Issuer: issuer, IssuedAt: now, ExpiresAt: &exp, Chain: cert})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := ticket.Check(opPub, issue(hostPriv, 4, "host-1"), "c1", now); err != nil {
		t.Fatalf("chained ticket rejected: %v", err)
	}
	_, rogue := keypair(t)
	for name, s := range map[string]string{
		"uncovered group": issue(hostPriv, 9, "host-1"),
		"other issuer":    issue(hostPriv, 4, "host-2"),
		"rogue host key":  issue(rogue, 4, "host-1"),
	} {
		if _, err := ticket.Check(opPub, s, "c1", now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A KMS ticket signed directly by the operator (no host) is refused too.
	direct, _ := ticket.Sign(opPriv, ticket.Ticket{Kind: ticket.KindKMSActivation, Machine: "c1", IssuedAt: now})
	if _, err := ticket.Check(opPub, direct, "c1", now); !errors.Is(err, ticket.ErrChain) {
		t.Errorf("operator-signed KMS ticket: %v, want ErrChain", err)
	}
}

func FuzzParse(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, _ := ticket.Sign(priv, ticket.Ticket{Kind: ticket.KindActivation, Machine: "m", IssuedAt: now})
	f.Add(s)
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = ticket.Check(pub, in, "m", now)
	})
}
