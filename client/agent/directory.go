package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/directory"
	"github.com/licet/licet/ticket"
)

// DirectoryState is what the agent keeps about directory-based activation, under "directory" in
// state.json. The settings survive key changes; the record of the last contact belongs to Key.
// The password itself is never stored: PasswordFile is read at each contact.
type DirectoryState struct {
	URL          string `json:"url,omitempty"`  // --ldap; found through _ldap._tcp SRV records when empty
	Base         string `json:"base,omitempty"` // --ldap-base; the naming contexts when empty
	BindDN       string `json:"bindDn,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty"`
	CertFile     string `json:"clientCert,omitempty"`
	KeyFile      string `json:"clientKey,omitempty"`
	CAFile       string `json:"ldapCa,omitempty"`
	StartTLS     bool   `json:"startTls,omitempty"`
	Tenant       string `json:"tenant,omitempty"` // the tenant the object must name; any when empty

	Key         string    `json:"key,omitempty"`    // the key the fields below are about
	Active      bool      `json:"active,omitempty"` // the machine is activated through the directory
	Server      string    `json:"server,omitempty"` // the directory URL that answered last
	ObjectDN    string    `json:"objectDn,omitempty"`
	Object      string    `json:"object,omitempty"` // the verified object's signed text
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	LastContact time.Time `json:"lastContact,omitzero"` // the last successful read of the object
	NextContact time.Time `json:"nextContact,omitzero"` // renewal or retry
	LastError   string    `json:"lastError,omitempty"`
}

// DirectorySettings change how the agent binds to the directory; nil fields are left as they
// are, "" clears.
type DirectorySettings struct {
	URL, Base, BindDN, PasswordFile, CertFile, KeyFile, CAFile, Tenant *string
	StartTLS                                                           *bool
}

// DirectoryStatus is what `licet client status` shows about directory-based activation.
type DirectoryStatus struct {
	Directory   string     `json:"directory"` // the URL given, or how it is found
	Server      string     `json:"server,omitempty"`
	Name        string     `json:"name,omitempty"` // the directory's name in the object
	ObjectDN    string     `json:"objectDn,omitempty"`
	Active      bool       `json:"active"`
	LastContact *time.Time `json:"lastContact,omitempty"`
	ValidUntil  *time.Time `json:"validUntil,omitempty"`
	NextContact *time.Time `json:"nextContact,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
}

// Activation methods Status names.
const (
	MethodDirectory = "directory"
	MethodKMS       = "kms"
)

// configured reports whether the agent has credentials to bind to a directory with.
func (d *DirectoryState) configured() bool {
	return d != nil && (d.BindDN != "" || d.CertFile != "")
}

// directory returns the directory record of s, whose contact fields are reset when they belong
// to another key.
func (s *State) directory() *DirectoryState {
	if s.Directory == nil {
		s.Directory = &DirectoryState{}
	}
	if d := s.Directory; d.Key != s.Key {
		*d = DirectoryState{URL: d.URL, Base: d.Base, BindDN: d.BindDN, PasswordFile: d.PasswordFile, CertFile: d.CertFile,
			KeyFile: d.KeyFile, CAFile: d.CAFile, StartTLS: d.StartTLS, Tenant: d.Tenant, Key: s.Key}
	}
	return s.Directory
}

// ConfigureDirectory changes how the agent finds and binds to the directory.
func (a *Agent) ConfigureDirectory(c DirectorySettings) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	d := s.directory()
	if c.URL != nil && *c.URL != "" {
		if err := directory.CheckURL(*c.URL); err != nil {
			return nil, err
		}
	}
	for _, p := range []struct {
		dst *string
		src *string
	}{{&d.URL, c.URL}, {&d.Base, c.Base}, {&d.BindDN, c.BindDN}, {&d.PasswordFile, c.PasswordFile}, {&d.CertFile, c.CertFile},
		{&d.KeyFile, c.KeyFile}, {&d.CAFile, c.CAFile}, {&d.Tenant, c.Tenant}} {
		if p.src != nil {
			*p.dst = strings.TrimSpace(*p.src)
		}
	}
	if c.StartTLS != nil {
		d.StartTLS = *c.StartTLS
	}
	if (d.CertFile == "") != (d.KeyFile == "") {
		return nil, licet.Errorf(licet.EInvalid, "--client-cert and --client-key go together")
	}
	if d.BindDN != "" && d.PasswordFile == "" && d.CertFile == "" {
		return nil, licet.Errorf(licet.EInvalid, "--bind-dn needs --password-file (the machine account's password, read at each contact)")
	}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// config is how to bind, with the password read from its file.
func (d *DirectoryState) config(url, dnsServer string, timeout time.Duration) (directory.Config, error) {
	c := directory.Config{URL: url, StartTLS: d.StartTLS, CAFile: d.CAFile, CertFile: d.CertFile, KeyFile: d.KeyFile, BindDN: d.BindDN,
		Timeout: timeout, DNSServer: dnsServer}
	if d.CertFile == "" {
		var err error
		if c.Password, err = directory.ReadPassword(d.PasswordFile); err != nil {
			return c, err
		}
	}
	return c, nil
}

// where says how the directory is found.
func (d *DirectoryState) where(k *KMSState) string {
	if d.URL != "" {
		return d.URL
	}
	domain := k.Domain
	if domain == "" {
		domain = "the search domain"
	}
	return "_ldap._tcp SRV records in " + domain
}

// contactDirectory binds to the directory, reads the activation object of the installed key's
// product group and verifies it offline; on success the machine is Licensed through the
// directory for Validity from now, and renews after RenewEvery. s is changed, not saved.
func (a *Agent) contactDirectory(ctx context.Context, s *State, op ed25519.PublicKey, now time.Time) error {
	d, k := s.directory(), s.kms()
	d.LastAttempt = now
	err := a.readDirectory(ctx, s, d, k, op, now)
	if err != nil {
		d.LastError, d.NextContact = err.Error(), now.Add(k.retry())
		return err
	}
	d.Active, d.LastContact, d.NextContact, d.LastError = true, now, now.Add(directory.RenewEvery), ""
	return nil
}

func (a *Agent) readDirectory(ctx context.Context, s *State, d *DirectoryState, k *KMSState, op ed25519.PublicKey, now time.Time) error {
	urls := []string{d.URL}
	if d.URL == "" {
		var err error
		if urls, err = directory.Discover(ctx, k.Domain, k.DNSServer, a.KMS.Timeout); err != nil {
			return err
		}
	}
	var errs []error
	for _, u := range urls {
		cfg, err := d.config(u, k.DNSServer, a.KMS.Timeout)
		if err != nil {
			return err
		}
		c, err := directory.Dial(ctx, cfg)
		if err != nil {
			errs = append(errs, err)
			if licet.ErrorCode(err) == directory.CodeUnavailable {
				continue // another server of the directory may answer
			}
			break
		}
		err = a.readObject(c, s, d, op, now)
		c.Close()
		return err
	}
	return errors.Join(errs...)
}

// readObject finds and verifies the object; the first that verifies wins.
func (a *Agent) readObject(c *directory.Conn, s *State, d *DirectoryState, op ed25519.PublicKey, now time.Time) error {
	objs, err := c.Find(d.Base, s.KeyGroup)
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return licet.Errorf(licet.CodeActivationObjectNotFound, "directory %s holds no activation object for product group %d (it was removed, or never written): the directory's administrator runs `licet directory activate`", c.URL, s.KeyGroup)
	}
	var errs []error
	for _, o := range objs {
		key := op
		if key == nil { // trust on first use: the operator key the object names
			if b, err := client.ParsePublicKey(o.OperatorKey); err == nil {
				key = b
			}
		}
		if key == nil {
			errs = append(errs, licet.Errorf(licet.CodeActivationObjectInvalid, "activation object %s names no operator key: pin it with --pubkey (from `licet pubkey`)", o.DN))
			continue
		}
		// The keys this machine trusts: the pinned one, those it learnt, and those the object's
		// key set (signed, chained to the pinned key) adds, as a KMS host passes them on.
		trial := *s
		if trial.OperatorKey == "" {
			trial.OperatorKey = base64.StdEncoding.EncodeToString(key)
		}
		if err := learnKeySet(&trial, o.KeySet); err != nil {
			errs = append(errs, licet.Errorf(licet.CodeActivationObjectInvalid, "activation object %s: its key set (licetKeySet) does not chain to the pinned operator key: %v", o.DN, err))
			continue
		}
		keys, err := trust(trial)
		if err == nil {
			_, err = o.Verify(directory.Check{Keys: keys, Group: s.KeyGroup, Tenant: d.Tenant, Now: now})
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.OperatorKey, s.KeySet = trial.OperatorKey, trial.KeySet
		d.Server, d.ObjectDN, d.Object = c.URL, o.DN, o.Signed()
		return nil
	}
	return errors.Join(errs...)
}

// directoryStatus computes the state of a machine activated through the directory: Licensed
// until Validity after the last contact (or the object's expiry, if sooner), then the
// additional grace period, then Notification.
func (a *Agent) directoryStatus(st *Status, s State, now time.Time) *Status {
	d := s.Directory
	st.Method = MethodDirectory
	keys, err := trust(s)
	if err != nil {
		return st.grace(InitialGrace, s.FirstInstalledAt, now, err.Error())
	}
	data, sig, _ := strings.Cut(d.Object, ".")
	o := directory.Object{DN: d.ObjectDN, Data: data, Signature: sig}
	t, err := o.Verify(directory.Check{Keys: keys, Group: s.KeyGroup, Tenant: d.Tenant, Now: d.LastContact})
	if err != nil {
		st.TicketError = err.Error()
		var retired *ticket.RetiredError
		if _, perr := ticket.ParseWith(keys, d.Object); errors.As(perr, &retired) {
			// As a ticket of a retired key: 30 days of additional grace from the retirement, for
			// the directory's administrator to write the object again (the next renewal reads it).
			return st.grace(AdditionalGrace, retired.RetiredAt, now, "the stored directory activation was rejected: "+err.Error())
		}
		return st.grace(InitialGrace, s.FirstInstalledAt, now, "the stored directory activation was rejected: "+err.Error())
	}
	st.Ticket, st.Directory.Name = &t, t.Directory
	until := d.LastContact.Add(directory.Validity)
	if t.ExpiresAt.Before(until) {
		until = *t.ExpiresAt
	}
	st.Directory.ValidUntil = &until
	if now.Before(until) {
		return st.set(Licensed, nil, "")
	}
	return st.grace(AdditionalGrace, until, now, fmt.Sprintf("the directory activation ended on %s (no successful renewal since %s)", until.Format(time.DateOnly), d.LastContact.Format(time.DateOnly)))
}

// directoryView describes the directory side of s for Status; nil when no directory is set up.
func directoryView(s State) *DirectoryStatus {
	if !s.isKMS() || !s.Directory.configured() {
		return nil
	}
	d, k := s.directory(), s.kms()
	v := &DirectoryStatus{Directory: d.where(k), Server: d.Server, ObjectDN: d.ObjectDN, Active: d.Active, LastError: d.LastError}
	if !d.LastContact.IsZero() {
		v.LastContact = &d.LastContact
	}
	if !d.NextContact.IsZero() {
		v.NextContact = &d.NextContact
	}
	return v
}

// contact activates or renews a kms-client key: through the directory first when one is set up,
// then, when that fails, through a KMS host. A machine activated through the directory stays
// Licensed until its validity ends even when both fail. a's clock is fixed for the attempt.
func (a *Agent) contact(ctx context.Context, pin ed25519.PublicKey) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if !s.isKMS() || !s.Directory.configured() {
		return a.contactKMS(ctx, pin)
	}
	if _, err := a.Status(); err != nil { // first: it may save what it notices
		return nil, err
	}
	if s, err = Load(a.Dir); err != nil {
		return nil, err
	}
	op, err := a.operatorKey(s, pin)
	if err != nil {
		return nil, err
	}
	now := a.now()
	derr := a.contactDirectory(ctx, &s, op, now)
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	if derr == nil {
		return a.Status()
	}
	// Fall back to a KMS host; the status is read again once the directory's record is saved.
	_, kerr := a.contactKMS(ctx, pin)
	after, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	d := after.directory()
	if kerr == nil && after.KMS != nil {
		if after.KMS.Activated {
			d.Active = false // a KMS host activated the machine: it no longer depends on the directory
		}
		d.NextContact = after.KMS.NextContact
	} else if after.KMS != nil && after.KMS.NextContact.Before(d.NextContact) {
		d.NextContact = after.KMS.NextContact
	}
	if err := Save(a.Dir, after); err != nil {
		return nil, err
	}
	if kerr != nil {
		return nil, licet.Errorf(licet.ErrorCode(derr), "%s. Fallback to a KMS host failed too: %s", licet.ErrorMessage(derr), licet.ErrorMessage(kerr))
	}
	return a.Status()
}
