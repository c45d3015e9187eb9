package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/ticket"
)

// trust returns the operator keys the agent trusts: the pinned key, and the keys of the stored
// key set, which chains to it (see ticket.VerifyKeySet). Nothing is trusted before a key is
// pinned.
func trust(s State) (ticket.KeySet, error) {
	pin, err := client.ParsePublicKey(s.OperatorKey)
	if err != nil {
		return ticket.KeySet{}, errors.New("no valid operator key is pinned")
	}
	if s.KeySet == "" {
		return ticket.Pinned(pin), nil
	}
	set, _, err := ticket.VerifyKeySet(ticket.Pinned(pin), s.KeySet)
	if err != nil {
		return ticket.KeySet{}, fmt.Errorf("the stored operator key set does not chain to the pinned key: %v", err)
	}
	return set, nil
}

// learnKeySet stores a signed key set that chains to the keys s trusts, unless the stored one is
// newer. Keys the agent knows as retired stay retired.
func learnKeySet(s *State, signed string) error {
	if signed == "" || s.OperatorKey == "" {
		return nil
	}
	have, err := trust(*s)
	if err != nil {
		return err
	}
	if _, issued, err := ticket.VerifyKeySet(have, signed); err != nil {
		return fmt.Errorf("the operator key set does not chain to the key pinned on this machine: %v", err)
	} else if s.KeySet != "" {
		pin, _ := client.ParsePublicKey(s.OperatorKey)
		if _, stored, err := ticket.VerifyKeySet(ticket.Pinned(pin), s.KeySet); err == nil && stored.After(issued) {
			return nil
		}
		if !retirementsKept(have, signed) {
			return errors.New("the operator key set would undo a key retirement this machine knows")
		}
	}
	s.KeySet = signed
	return nil
}

// retirementsKept reports whether a key set still marks retired every key have knows retired
// (a set without a retirement would bring a retired key back once stored on its own).
func retirementsKept(have ticket.KeySet, signed string) bool {
	var unretired ticket.KeySet
	for _, k := range have.Keys {
		k.State, k.RetiredAt = ticket.KeyVerifying, nil
		unretired.Keys = append(unretired.Keys, k)
	}
	next, _, err := ticket.VerifyKeySet(unretired, signed)
	if err != nil {
		return false
	}
	for _, k := range have.Keys {
		if k.State != ticket.KeyRetired {
			continue
		}
		if _, err := next.Lookup(k.ID); !errors.Is(err, ticket.ErrRetired) {
			return false
		}
	}
	return true
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
		if payload, _, ok := strings.Cut(t.Chain, "."); ok {
			if raw, err := base64.RawURLEncoding.DecodeString(payload); err == nil {
				var cert ticket.Ticket
				if json.Unmarshal(raw, &cert) == nil {
					return max(cert.SigningKey, 1)
				}
			}
		}
	}
	return max(t.SigningKey, 1)
}
