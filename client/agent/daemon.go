package agent

import (
	"context"
	"errors"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/ticket"
)

// Tick actions.
const (
	TickIdle     = "idle"     // nothing is scheduled: no kms-client key is installed
	TickWaiting  = "waiting"  // the next contact is not due yet
	TickActivate = "activate" // first contact with a KMS host
	TickRenew    = "renew"    // renewal of an activated machine
	TickRetry    = "retry"    // retry of a machine not activated (or after a failed attempt)
	TickKeys     = "keys"     // a machine activated online asked its server for the operator's key set
	// TickReactivate: a machine activated online whose ticket was signed by a key other than
	// the active one (a rotation) activated again, for a ticket under the active key; that
	// uses no more of its key's activations.
	TickReactivate = "reactivate"
)

// KeysCheckEvery is how often the daemon of a machine activated online asks its server for the
// operator's key set, so that rotations and retirements reach it.
const KeysCheckEvery = 24 * time.Hour

// TickResult says what a Tick did and when the next one is due.
type TickResult struct {
	Action string    `json:"action"`          // one of the Tick actions
	Status *Status   `json:"status"`          // the license state after the tick
	Next   time.Time `json:"next,omitzero"`   // when the next contact is due; zero when none is scheduled
	Error  string    `json:"error,omitempty"` // why the contact failed
}

// Tick does what is due at now: for a kms-client key, the first activation, a renewal when the
// host's renewal interval has passed, or a retry when its retry interval has (or the default 2
// hours after an attempt no host answered). A machine activated online asks its server for the
// operator's key set once a day (rotations and retirements reach it so). Other keys need nothing. It returns what it did and
// when the next tick is due; err is the failed contact's error (the retry is scheduled anyway).
func (a *Agent) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	at := a.at(now)
	s, err := Load(a.Dir)
	if err != nil {
		return TickResult{}, err
	}
	if s.Key != "" && !s.isKMS() && s.Server != "" && s.Ticket != "" && s.OperatorKey != "" {
		return at.tickKeys(ctx, s, now)
	}
	if s.Key == "" || !s.isKMS() {
		st, err := at.Status()
		return TickResult{Action: TickIdle, Status: st}, err
	}
	k := s.kms()
	last, next, activated := k.LastAttempt, k.NextContact, k.Activated
	if s.Directory.configured() { // the directory is tried first, and its schedule leads
		d := s.directory()
		last, next, activated = d.LastAttempt, d.NextContact, d.Active || k.Activated
	}
	action := TickActivate
	switch {
	case last.IsZero():
	case now.Before(next):
		st, err := at.Status()
		return TickResult{Action: TickWaiting, Status: st, Next: next}, err
	case activated:
		action = TickRenew
	default:
		action = TickRetry
	}
	st, cerr := at.contact(ctx, nil)
	res := TickResult{Action: action, Status: st}
	if after, err := Load(a.Dir); err == nil && after.Directory.configured() {
		res.Next = after.Directory.NextContact
	} else if err == nil && after.KMS != nil {
		res.Next = after.KMS.NextContact
	}
	if cerr != nil {
		res.Error = cerr.Error()
		if res.Status, err = at.Status(); err != nil {
			return res, err
		}
	}
	return res, cerr
}

// tickKeys asks the server of a machine activated online for the key set, once a day, and
// activates again when the machine's ticket is not under the active key, so that retiring the
// old key later costs the machine nothing.
func (a *Agent) tickKeys(ctx context.Context, s State, now time.Time) (TickResult, error) {
	next := s.KeysCheckedAt.Add(KeysCheckEvery)
	if now.Before(next) {
		st, err := a.Status()
		return TickResult{Action: TickWaiting, Status: st, Next: next}, err
	}
	res := TickResult{Action: TickKeys, Next: now.Add(KeysCheckEvery)}
	c, cerr := a.central(s.Server)
	var pk *client.PublishedKeys
	if cerr == nil {
		pk, cerr = c.PublishedKeys(ctx)
	}
	if cerr == nil {
		if cerr = learnKeySet(&s, pk.KeySet); cerr != nil {
			cerr = licet.Errorf(licet.EInvalid, "the server's %v", cerr)
		}
	}
	s.KeysCheckedAt = now
	if err := Save(a.Dir, s); err != nil {
		return res, err
	}
	if cerr == nil && a.underOldKey(s, now) {
		res.Action = TickReactivate
		_, cerr = a.Activate(ctx, c, nil)
	}
	st, err := a.Status()
	res.Status = st
	if err != nil {
		return res, err
	}
	if cerr != nil {
		res.Error = cerr.Error()
	}
	return res, cerr
}

// underOldKey reports whether the machine's ticket was signed by a key other than the active one
// of its key set (or by a retired one).
func (a *Agent) underOldKey(s State, now time.Time) bool {
	keys, err := trust(s)
	if err != nil {
		return false
	}
	active, ok := keys.Active()
	if !ok || active.ID == 0 { // only a pinned key, no key set: nothing to compare with
		return false
	}
	t, err := a.verify(s, a.machine(), now)
	if errors.Is(err, ticket.ErrRetired) {
		return true
	}
	return err == nil && max(t.SigningKey, 1) != active.ID
}

// Daemon calls Tick on schedule until its context ends (`licet client daemon`).
type Daemon struct {
	Agent *Agent
	// Sleep waits d or until ctx ends (returning its error); a timer when nil. Tests pass one
	// that moves their clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Idle is how long to wait when nothing is scheduled, to notice a key installed meanwhile;
	// 1 hour when zero.
	Idle time.Duration
	// Report, when set, is told the result of every tick (for logging).
	Report func(TickResult, error)
}

// minWait keeps a misbehaving schedule from spinning.
const minWait = time.Second

// Run ticks, waits until the next tick is due, and again, until ctx ends; it returns nil then.
// It stops early only when the state directory cannot be read.
func (d *Daemon) Run(ctx context.Context) error {
	sleep := d.Sleep
	if sleep == nil {
		sleep = timerSleep
	}
	idle := d.Idle
	if idle <= 0 {
		idle = time.Hour
	}
	for ctx.Err() == nil {
		res, err := d.Once(ctx)
		if err != nil && res.Status == nil && res.Next.IsZero() {
			if code := licet.ErrorCode(err); code == licet.CodeStateCorrupt || code == licet.CodeStateUnreadable {
				return err
			}
		}
		wait := idle
		if !res.Next.IsZero() {
			wait = res.Next.Sub(d.Agent.now())
		}
		if err := sleep(ctx, max(wait, minWait)); err != nil {
			break
		}
	}
	return nil
}

// Once does what is due at the agent's clock, tells Report, and returns.
func (d *Daemon) Once(ctx context.Context) (TickResult, error) {
	res, err := d.Agent.Tick(ctx, d.Agent.now())
	if d.Report != nil {
		d.Report(res, err)
	}
	return res, err
}

func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
