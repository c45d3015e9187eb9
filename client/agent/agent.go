// Package agent is licet's client agent, the equivalent of slmgr: it installs a product key,
// activates the machine against a licet server, keeps the signed ticket in a state directory,
// verifies it offline against the operator's pinned public key, and tells the license state
// (Unlicensed, Licensed, Initial grace, Additional grace, Notification). Applications that embed
// activation use it directly; `licet client` is a thin command line over it.
package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/hardware"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// LicenseState is the license state of the installed product, numbered as slmgr numbers them.
type LicenseState int

// The license states licet uses.
const (
	Unlicensed      LicenseState = 0 // no key installed
	Licensed        LicenseState = 1 // a valid ticket for this machine and its hardware
	InitialGrace    LicenseState = 2 // a key installed, not activated yet, for 30 days
	AdditionalGrace LicenseState = 3 // the activation expired, the hardware is out of tolerance, or the key that signed it was retired, for 30 days
	Notification    LicenseState = 5 // a grace period ended without activation
)

// GracePeriod is the length of the initial and the additional grace periods.
const GracePeriod = 30 * 24 * time.Hour

// String names the state as slmgr /dli does.
func (s LicenseState) String() string {
	switch s {
	case Unlicensed:
		return "Unlicensed"
	case Licensed:
		return "Licensed"
	case InitialGrace:
		return "Initial grace period"
	case AdditionalGrace:
		return "Additional grace period"
	case Notification:
		return "Notification"
	}
	return "Unknown"
}

// Agent works on one state directory, which holds the license of one product.
type Agent struct {
	Dir string
	// Now is the clock; time.Now when nil. Tests and demos move it to walk through the states.
	Now func() time.Time
	// Machine describes this machine; Identify() when its ID is empty.
	Machine licet.Machine
	// KMS tunes how KMS hosts are asked (kms.go); the zero value is fine.
	KMS KMSOptions
	// Central makes the client the daemon asks the central service with (the server the
	// machine activated against); client.New when nil.
	Central func(server string) (*client.Client, error)
}

// central returns the client for the central service at server.
func (a *Agent) central(server string) (*client.Client, error) {
	if a.Central != nil {
		return a.Central(server)
	}
	return client.New(server, ""), nil
}

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Agent) machine() licet.Machine {
	if a.Machine.ID == "" {
		a.Machine = Identify()
	}
	return a.Machine
}

// Status is the license information of the installed product (slmgr /dli, /dlv).
type Status struct {
	At         time.Time    `json:"at"` // the agent's clock when the status was computed
	State      LicenseState `json:"state"`
	StateText  string       `json:"stateText"`
	Product    string       `json:"product,omitempty"`
	KeyType    string       `json:"keyType,omitempty"`
	PartialKey string       `json:"partialKey,omitempty"` // the key's last 5 characters
	Group      uint16       `json:"group,omitempty"`
	// GraceEnds is when a grace period ends (states 2 and 3).
	GraceEnds *time.Time `json:"graceEnds,omitempty"`
	// Reason says why the machine is in grace or notification.
	Reason string `json:"reason,omitempty"`

	Machine     string `json:"machine"`
	Server      string `json:"server,omitempty"`
	OperatorKey string `json:"operatorKey,omitempty"`
	// OperatorKeys are the operator keys the agent trusts, from the pinned key and the key set.
	OperatorKeys []ticket.OperatorKey `json:"operatorKeys,omitempty"`
	// SigningKey is the operator key under which the machine is activated: the key that signed
	// its ticket or confirmation ID, or its KMS host's certificate.
	SigningKey      uint32         `json:"signingKey,omitempty"`
	InstalledAt     time.Time      `json:"installedAt,omitzero"`
	Ticket          *ticket.Ticket `json:"ticket,omitempty"`      // the verified ticket
	TicketError     string         `json:"ticketError,omitempty"` // why a ticket was rejected
	HardwareChanged []string       `json:"hardwareChanged,omitempty"`
	KMS             *KMSStatus     `json:"kms,omitempty"` // for a kms-client key: the host and its answer
	// Method is how a kms-client key's machine is activated: MethodDirectory or MethodKMS.
	Method    string           `json:"method,omitempty"`
	Directory *DirectoryStatus `json:"directory,omitempty"` // directory-based activation, when set up
}

// InstallKey installs a product key for a product, replacing the key installed before (and its
// activation). The key is checked offline: its check characters and its type (mak, retail or
// kms-client; setup and KMS host keys do not license a machine).
func (a *Agent) InstallKey(key, product string) (*Status, error) {
	k, err := keys.Parse(key)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "%v", err).With("field", "key")
	}
	switch k.Type {
	case keys.Setup:
		return nil, licet.Errorf(licet.CodeKeyTypeNotActivatable, "a setup key unlocks installation only and cannot license a machine: install a MAK, retail or kms-client key")
	case keys.KMSHost:
		return nil, licet.Errorf(licet.CodeKeyTypeNotActivatable, "a KMS host key belongs on a KMS host (`licet kms`), not on a client: install a MAK, retail or kms-client key")
	}
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if product == "" {
		product = s.Product
	}
	if product == "" {
		return nil, licet.Errorf(licet.EInvalid, "name the product the key is for with --product (see `licet product list`)").With("field", "product")
	}
	now := a.now()
	if s.Product != product || s.FirstInstalledAt.IsZero() {
		s.FirstInstalledAt = now
	}
	s.Product, s.Key, s.KeyType, s.KeyGroup, s.InstalledAt = product, k.String(), string(k.Type), k.Group, now
	s.Ticket, s.ActivatedAt, s.OutOfToleranceSince = "", time.Time{}, nil
	s.Offline = nil
	if s.Directory != nil {
		s.Directory.Active = false
	}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// UninstallKey removes the installed key and its activation; the machine is Unlicensed.
func (a *Agent) UninstallKey() error {
	s, err := Load(a.Dir)
	if err != nil {
		return err
	}
	if s.Key == "" {
		return licet.Errorf(licet.ENotFound, "no product key is installed")
	}
	s.Key, s.KeyType, s.KeyGroup, s.InstalledAt = "", "", 0, time.Time{}
	s.Ticket, s.ActivatedAt, s.OutOfToleranceSince = "", time.Time{}, nil
	s.Offline = nil
	if s.Directory != nil {
		s.Directory.Active = false
	}
	return Save(a.Dir, s)
}

// Activate activates the installed MAK or retail key online through c and stores the ticket.
// The operator's public key is pinned on first contact: pin when given, else the server's
// /v1/signing-key (trust on first use); later activations must verify against the pinned key.
func (a *Agent) Activate(ctx context.Context, c *client.Client, pin ed25519.PublicKey) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if s.Key == "" {
		return nil, licet.Errorf(licet.EInvalid, "no product key is installed: run `licet client install-key KEY --product P` first")
	}
	if s.KeyType == string(keys.KMSClient) {
		return nil, licet.Errorf(licet.CodeKeyTypeNotActivatable, "the installed key is a kms-client key (GVLK): it activates against a KMS host on your network, not online; install a MAK or retail key to activate online")
	}
	if _, err := a.pinned(ctx, &s, c, pin); err != nil {
		return nil, err
	}
	if pk, err := c.PublishedKeys(ctx); err == nil {
		if err := learnKeySet(&s, pk.KeySet); err != nil {
			return nil, licet.Errorf(licet.EInvalid, "the server's %v; if the operator really changed its key without rotation, uninstall the key and start again with the new --pubkey", err)
		}
	}
	keys, err := trust(s)
	if err != nil {
		return nil, err
	}
	m := a.machine()
	act, err := c.Activate(ctx, licet.ActivationRequest{Key: s.Key, Product: s.Product, Machine: m})
	if err != nil {
		return nil, err
	}
	now := a.now()
	t, err := ticket.CheckWith(keys, act.Ticket, m.ID, now)
	if err == nil {
		err = a.matches(s, t)
	}
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "the server's ticket was rejected: %v", err)
	}
	s.Server, s.Ticket, s.ActivatedAt, s.OutOfToleranceSince = c.BaseURL, act.Ticket, now, nil
	s.Offline = nil
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// pinned returns the operator key to verify tickets with, pinning it in s on first contact.
func (a *Agent) pinned(ctx context.Context, s *State, c *client.Client, pin ed25519.PublicKey) (ed25519.PublicKey, error) {
	if s.OperatorKey != "" {
		return a.operatorKey(*s, pin)
	}
	if pin == nil {
		var err error
		if pin, err = c.SigningKey(ctx); err != nil {
			return nil, err
		}
	}
	s.OperatorKey = base64.StdEncoding.EncodeToString(pin)
	return pin, nil
}

// matches checks that a verified ticket is for the installed product and key group.
func (a *Agent) matches(s State, t ticket.Ticket) error {
	if t.Kind != ticketKind(s) || t.Product != s.Product || t.Group != s.KeyGroup {
		return errors.New("the ticket is for another product or key")
	}
	return nil
}

// Status computes the license state from the state directory, the machine and the clock.
func (a *Agent) Status() (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	now := a.now()
	m := a.machine()
	st := &Status{At: now, Product: s.Product, KeyType: s.KeyType, Group: s.KeyGroup, Machine: m.ID, Server: s.Server, OperatorKey: s.OperatorKey, InstalledAt: s.InstalledAt}
	st.KMS, st.Directory = kmsStatus(s), directoryView(s)
	if keys, err := trust(s); err == nil {
		st.OperatorKeys = keys.Keys
	}
	if s.Key == "" {
		return st.set(Unlicensed, nil, "no product key is installed"), nil
	}
	st.PartialKey = s.Key[len(s.Key)-5:]
	if d := s.Directory; s.isKMS() && d != nil && d.Active && d.Key == s.Key && st.Directory != nil {
		return a.directoryStatus(st, s, now), nil
	}
	if s.isKMS() && s.Ticket != "" {
		st.Method = MethodKMS
	}
	if s.Ticket == "" && s.Offline == nil {
		return st.grace(InitialGrace, s.FirstInstalledAt, now, "not activated yet"), nil
	}
	t, err := a.verify(s, m, now)
	var retired *ticket.RetiredError
	if errors.As(err, &retired) {
		// The operator retired the key: 30 days of additional grace from the retirement to
		// activate again (the daemon does it before, at the rotation).
		st.TicketError = err.Error()
		return st.grace(AdditionalGrace, retired.RetiredAt, now, "the stored ticket was rejected: "+err.Error()), nil
	}
	if err != nil && !errors.Is(err, ticket.ErrExpired) {
		st.TicketError = err.Error()
		return st.grace(InitialGrace, s.FirstInstalledAt, now, "the stored ticket was rejected: "+err.Error()), nil
	}
	st.Ticket = &t
	st.SigningKey = signingKeyOf(t)
	if err != nil {
		return st.grace(AdditionalGrace, *t.ExpiresAt, now, "the activation expired"), nil
	}
	if hardware.Within(t.Hardware, m.Hardware) {
		if s.OutOfToleranceSince != nil {
			s.OutOfToleranceSince = nil
			if err := Save(a.Dir, s); err != nil {
				return nil, err
			}
		}
		return st.set(Licensed, nil, ""), nil
	}
	st.HardwareChanged, _ = hardware.Changed(t.Hardware, m.Hardware)
	if s.OutOfToleranceSince == nil {
		s.OutOfToleranceSince = &now
		if err := Save(a.Dir, s); err != nil {
			return nil, err
		}
	}
	return st.grace(AdditionalGrace, *s.OutOfToleranceSince, now, "the hardware changed beyond tolerance; activate again"), nil
}

// verify checks the stored ticket offline against the pinned key, this machine and the clock.
func (a *Agent) verify(s State, m licet.Machine, now time.Time) (ticket.Ticket, error) {
	if s.Offline != nil {
		return a.verifyOffline(s, m)
	}
	keys, err := trust(s)
	if err != nil {
		return ticket.Ticket{}, err
	}
	t, err := ticket.CheckWith(keys, s.Ticket, m.ID, now)
	if err != nil {
		return t, err
	}
	return t, a.matches(s, t)
}

func (st *Status) set(state LicenseState, ends *time.Time, reason string) *Status {
	st.State, st.StateText, st.GraceEnds, st.Reason = state, state.String(), ends, reason
	return st
}

// grace sets a grace state that started at from, or Notification once it has run out.
func (st *Status) grace(state LicenseState, from, now time.Time, reason string) *Status {
	ends := from.Add(GracePeriod)
	if !now.Before(ends) {
		return st.set(Notification, nil, "the grace period ended on "+ends.Format(time.DateOnly)+" ("+reason+"); activate now")
	}
	return st.set(state, &ends, reason)
}

// Expiry says until when the product stays licensed or in grace (slmgr /xpr).
func (st *Status) Expiry() string {
	switch st.State {
	case Licensed:
		if st.Ticket != nil && st.Ticket.ExpiresAt != nil {
			return "activation expires " + st.Ticket.ExpiresAt.Format(time.RFC3339)
		}
		return "the machine is permanently activated"
	case InitialGrace, AdditionalGrace:
		return st.StateText + " ends " + st.GraceEnds.Format(time.RFC3339) + "; activate before then"
	case Notification:
		return "the grace period has ended: activate now"
	}
	return "no product key is installed"
}
