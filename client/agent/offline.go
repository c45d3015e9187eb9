package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// OfflineState is an offline or proxy activation: the confirmation ID installed for the
// machine's installation ID, and the hardware the machine had then (the installation ID does
// not carry the hardware hash, so tolerance is judged against it).
type OfflineState struct {
	Method         string    `json:"method"` // offline or proxy
	InstallationID string    `json:"installation_id"`
	ConfirmationID string    `json:"confirmation_id"`
	Hardware       string    `json:"hardware,omitempty"`
	ConfirmedAt    time.Time `json:"confirmed_at"`
}

// installationID computes the installation ID of the installed key, its product and machine m.
func installationID(s State, m licet.Machine) (keys.InstallationID, error) {
	if s.Key == "" {
		return keys.InstallationID{}, licet.Errorf(licet.EInvalid, "no product key is installed: run `licet client install-key KEY --product P` first")
	}
	k, err := keys.Parse(s.Key)
	if err != nil {
		return keys.InstallationID{}, corrupt(stateFile, "the installed key is malformed")
	}
	switch k.Type {
	case keys.MAK, keys.Retail:
	default:
		return keys.InstallationID{}, licet.Errorf(licet.CodeKeyTypeNotActivatable, "the installed key is a %s key: only MAK and retail keys activate offline; install a MAK (`licet client install-key`)", k.Type)
	}
	return keys.NewInstallationID(k, keys.ProductNumber(s.Product), keys.MachineFingerprint(m.ID)), nil
}

// InstallationID returns this machine's installation ID for the installed MAK or retail key
// (slmgr /dti), with what a proxy machines file needs: the machine id, host name and product.
func (a *Agent) InstallationID() (licet.ProxyMachine, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return licet.ProxyMachine{}, err
	}
	m := a.machine()
	iid, err := installationID(s, m)
	if err != nil {
		return licet.ProxyMachine{}, err
	}
	return licet.ProxyMachine{InstallationID: iid.String(), Machine: m.ID, Hostname: m.Hostname, Product: s.Product}, nil
}

// Confirm installs a confirmation ID (slmgr /atp) after verifying it offline: against the
// pinned operator key (pin is pinned when none is; it must match one that is) and this
// machine's installation ID. method is "offline" or "proxy". The machine is then Licensed.
func (a *Agent) Confirm(cid string, pin ed25519.PublicKey, method string) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	m := a.machine()
	iid, err := installationID(s, m)
	if err != nil {
		return nil, err
	}
	if len(cid) > 512 {
		return nil, licet.Errorf(licet.EInvalid, "confirmation ID: longer than 512 characters").With("field", "confirmationId")
	}
	c, err := keys.ParseConfirmationID(cid)
	if err != nil {
		return nil, keys.Problem("confirmationId", err)
	}
	if s.OperatorKey == "" && pin == nil {
		return nil, licet.Errorf(licet.EInvalid, "no operator key is pinned on this machine: give the operator's public key with --pubkey (`licet pubkey` prints it on a connected machine)").With("field", "pubkey")
	}
	if _, err := a.pinned(context.Background(), &s, nil, pin); err != nil {
		return nil, err
	}
	pub, err := confirmationKey(s, c)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(pub, iid); err != nil {
		return nil, licet.Errorf(licet.CodeForeignConfirmation, "this confirmation ID was not issued for this machine's installation ID %s (another machine's or another key's, or signed by another operator key): ask for a confirmation ID for this installation ID", iid).
			With("installationId", iid.String())
	}
	now := a.now()
	s.Ticket, s.ActivatedAt, s.OutOfToleranceSince = "", now, nil
	s.Offline = &OfflineState{Method: method, InstallationID: iid.String(), ConfirmationID: c.String(), Hardware: m.Hardware, ConfirmedAt: now}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// verifyOffline checks the installed confirmation ID against the pinned key and the machine's
// installation ID now (another machine, key or product gives another), and describes it as a
// ticket that does not expire.
func (a *Agent) verifyOffline(s State, m licet.Machine) (ticket.Ticket, error) {
	iid, err := installationID(s, m)
	if err != nil {
		return ticket.Ticket{}, err
	}
	c, err := keys.ParseStoredConfirmationID(s.Offline.ConfirmationID)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("the stored confirmation ID is malformed: %v", err)
	}
	pub, err := confirmationKey(s, c)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if err := c.Verify(pub, iid); err != nil {
		return ticket.Ticket{}, errors.New("the confirmation ID does not belong to this machine's installation ID")
	}
	return ticket.Ticket{Version: ticket.Version, Kind: ticket.KindActivation, SigningKey: uint32(c.SigningKey), Serial: strconv.FormatUint(uint64(c.Serial), 10), Product: s.Product,
		Group: s.KeyGroup, Machine: m.ID, Hardware: s.Offline.Hardware, Method: s.Offline.Method, Issuer: "operator", IssuedAt: c.Issued()}, nil
}

// confirmationKey returns the trusted operator key that signed a confirmation ID (the key id
// it carries), or why none may verify it: a retired key, or one the machine does not know yet.
func confirmationKey(s State, c keys.ConfirmationID) (ed25519.PublicKey, error) {
	trusted, err := trust(s)
	if err != nil {
		return nil, err
	}
	pub, err := trusted.Lookup(uint32(c.SigningKey))
	if errors.Is(err, ticket.ErrUnknownKey) {
		return nil, licet.Errorf(licet.CodeForeignConfirmation, "this confirmation ID was signed by operator key %d, which this machine does not know yet: give it the operator's key set (`licet client refresh-keys`, or on an air-gapped machine `licet client refresh-keys --key-set-file FILE` with the answer of the service's GET /v1/signing-key) and confirm again", c.SigningKey)
	}
	if err != nil {
		return nil, licet.Errorf(licet.CodeSigningKeyRetired, "this confirmation ID was %v", err)
	}
	return pub, nil
}
