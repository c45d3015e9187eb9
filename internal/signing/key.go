package signing

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// Key is an operator signing key ready to sign: its id (the kid tickets carry) and private key.
// Every operator signature goes through its methods, which stamp the id.
type Key struct {
	ID      uint32
	Private ed25519.PrivateKey
}

// SignTicket signs t, stamping the key's id in it.
func (k Key) SignTicket(t ticket.Ticket) (string, error) {
	t.SigningKey = k.ID
	return ticket.Sign(k.Private, t)
}

// SignConfirmation issues a confirmation ID for iid carrying the key's id.
func (k Key) SignConfirmation(iid keys.InstallationID, issued time.Time, serial uint32) (keys.ConfirmationID, error) {
	if k.ID > 0xffff {
		return keys.ConfirmationID{}, licet.Errorf(licet.EInternal, "signing key id %d does not fit a confirmation ID", k.ID)
	}
	return keys.SignConfirmation(k.Private, uint16(k.ID), iid, issued, serial), nil
}

// Source gives the key that signs now: the keyring of a central service, or Fixed.
type Source interface {
	Active(ctx context.Context) (Key, error)
}

// Fixed is a Source of one key (tests, tools without a keyring).
type Fixed Key

// Active returns the key.
func (f Fixed) Active(context.Context) (Key, error) { return Key(f), nil }
