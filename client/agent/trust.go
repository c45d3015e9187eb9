package agent

import (
	"context"
	"errors"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/ticket"
)

// trust returns the operator keys the agent trusts: the pinned key, and the keys of the stored
// key set, which chains to it (see ticket.Trusted). Nothing is trusted before a key is pinned.
func trust(s State) (ticket.KeySet, error) {
	pin, err := client.ParsePublicKey(s.OperatorKey)
	if err != nil {
		return ticket.KeySet{}, errors.New("no valid operator key is pinned")
	}
	return ticket.Trusted(pin, s.KeySet)
}

// learnKeySet stores a signed key set in s as ticket.Learn decides.
func learnKeySet(s *State, signed string) error {
	if signed == "" || s.OperatorKey == "" {
		return nil
	}
	pin, err := client.ParsePublicKey(s.OperatorKey)
	if err != nil {
		return err
	}
	s.KeySet, err = ticket.Learn(pin, s.KeySet, signed)
	return err
}

// RefreshKeys asks the server for the operator's key set and stores it when it chains to the
// pinned key, so that tickets of a rotated key verify and those of a retired key are refused.
func (a *Agent) RefreshKeys(ctx context.Context, c *client.Client) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if s.OperatorKey == "" {
		return nil, licet.Errorf(licet.EInvalid, "no operator key is pinned on this machine yet: activate first")
	}
	pk, err := c.PublishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	return a.storeKeySet(s, pk.KeySet)
}

// LearnKeySet stores a key set given by hand — the keySet of the service's GET /v1/signing-key,
// carried to an air-gapped machine — when it chains to the pinned key.
func (a *Agent) LearnKeySet(signed string) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if s.OperatorKey == "" {
		return nil, licet.Errorf(licet.EInvalid, "no operator key is pinned on this machine yet: give --pubkey first")
	}
	return a.storeKeySet(s, signed)
}

func (a *Agent) storeKeySet(s State, signed string) (*Status, error) {
	if signed == "" {
		return nil, licet.Errorf(licet.EInvalid, "the server published no key set (it predates key rotation)")
	}
	if err := learnKeySet(&s, signed); err != nil {
		return nil, licet.Errorf(licet.EInvalid, "%v", err)
	}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// signingKeyOf returns the operator key a verified ticket is under: its own kid, or that of the
// host certificate in its chain (key 1 when none is named).
func signingKeyOf(t ticket.Ticket) uint32 {
	if t.Chain != "" {
		if cert, err := ticket.Unverified(t.Chain); err == nil {
			return max(cert.SigningKey, 1)
		}
	}
	return max(t.SigningKey, 1)
}
