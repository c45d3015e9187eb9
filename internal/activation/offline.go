package activation

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
)

var _ licet.OfflineActivationService = (*Service)(nil)

// maxIDText bounds the text of an installation ID before it is parsed.
const maxIDText = 256

// ParseInstallationID parses an installation ID as typed by a person; errors are EInvalid and
// name the mistyped group.
func ParseInstallationID(s string) (keys.InstallationID, error) {
	if len(s) > maxIDText {
		return keys.InstallationID{}, licet.Errorf(licet.EInvalid, "installation ID: longer than %d characters", maxIDText).With("field", "installationId")
	}
	iid, err := keys.ParseInstallationID(s)
	if err != nil {
		return iid, keys.Problem("installationId", err)
	}
	return iid, nil
}

// OfflineMachineID is the machine id under which an offline or proxy activation is recorded:
// "iid:" and the installation ID's machine fingerprint in hex. The same machine activated again
// from a new installation ID of the same key is recognised and consumes nothing.
func OfflineMachineID(iid keys.InstallationID) string {
	return "iid:" + hex.EncodeToString(iid.MachineFingerprint[:])
}

// offlineKey is what offline activation reads of a key before queueing its activations.
type offlineKey struct {
	id       int64
	hash     string
	typ      keys.Type
	tenantID int64
	blocked  bool
	products []licet.Product // the products of the key's group
}

// product returns the product of the key's group with the installation ID's product number.
func (k offlineKey) product(iid keys.InstallationID) (licet.Product, error) {
	for _, p := range k.products {
		if keys.ProductNumber(p.Slug) == iid.ProductID {
			return p, nil
		}
	}
	return licet.Product{}, licet.Errorf(licet.ENotFound, "the installation ID names product number %d, which is not a product of the key's group: check that the machine installed the key for the right product (`licet product list`)", iid.ProductID).
		With("productNumber", iid.ProductID)
}

// readOfflineKey reads a MAK or retail key by a condition on k and the products of its group;
// found is false for an unknown key.
func (s *Service) readOfflineKey(ctx context.Context, where string, arg any) (k offlineKey, found bool, err error) {
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		var tenantID sql.NullInt64
		var group, blocked int64
		var typ string
		err := tx.QueryRow(ctx, `SELECT k.id, k.key_hash, k.type, k.group_id, k.tenant_id, k.blocked FROM product_keys k WHERE `+where, arg).
			Scan(&k.id, &k.hash, &typ, &group, &tenantID, &blocked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found, k.typ, k.tenantID, k.blocked = true, keys.Type(typ), tenantID.Int64, blocked != 0
		k.products, err = store.Collect(ctx, tx, scanProduct, `SELECT `+productColumns+` FROM products p JOIN product_groups g ON g.id = p.group_id WHERE p.group_id = ? ORDER BY p.slug`, group)
		return err
	})
	return k, found, err
}

// ActivateOffline returns the confirmation ID for an installation ID read over the phone.
func (s *Service) ActivateOffline(ctx context.Context, r licet.OfflineRequest) (*licet.Confirmation, error) {
	actor := licet.ActorFrom(ctx)
	if !actor.IsOperator() && actor.Role != licet.RoleTenant {
		return nil, licet.Errorf(licet.EForbidden, "only the operator and tenant admins may activate offline")
	}
	iid, err := ParseInstallationID(r.InstallationID)
	if err != nil {
		return nil, err
	}
	k, found, err := s.readOfflineKey(ctx, "k.key_fp = ?", KeyFingerprint(iid.KeyFingerprint))
	if err != nil {
		return nil, err
	}
	if !found || k.blocked || !actor.CanSeeTenant(k.tenantID) {
		return nil, invalidKey
	}
	if err := CheckActivatable(k.typ); err != nil {
		return nil, err
	}
	p, err := k.product(iid)
	if err != nil {
		return nil, err
	}
	j := &job{hash: k.hash, product: p, machine: licet.Machine{ID: OfflineMachineID(iid)}, method: "offline", res: make(chan result, 1)}
	res, err := s.submit(ctx, j)
	if err != nil {
		return nil, err
	}
	now := s.nowTime()
	c := confirmed{iid: iid, keyID: res.keyID, machine: j.machine.ID}
	if _, err := s.confirm(ctx, "offline", now, res.keyID, []*confirmed{&c}); err != nil {
		return nil, err
	}
	return &licet.Confirmation{InstallationID: iid.String(), ConfirmationID: c.cid, Product: p.Slug, KeyID: res.keyID, Tenant: res.tenant,
		Serial: c.serial, Consumed: res.consumed, IssuedAt: now}, nil
}

// confirmed is an activated installation ID waiting for its confirmation ID.
type confirmed struct {
	iid     keys.InstallationID
	keyID   int64
	machine string
	serial  uint32
	cid     string
}

// confirm gives every activated installation ID its confirmation serial (the one it had, for a
// replay) and signs its confirmation ID; it returns the activations remaining on the key.
func (s *Service) confirm(ctx context.Context, method string, now time.Time, keyID int64, cs []*confirmed) (remaining int64, err error) {
	key, err := s.signer.Active(ctx)
	if err != nil {
		return 0, err
	}
	ms := store.Millis(now)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			id, err := tx.Insert(ctx, `INSERT INTO confirmations (installation_id, key_id, machine_id, method, created_at, last_issued_at, issued)
				VALUES (?, ?, ?, ?, ?, ?, 1)
				ON CONFLICT (installation_id) DO UPDATE SET last_issued_at = excluded.last_issued_at, issued = confirmations.issued + 1`,
				c.iid.String(), c.keyID, c.machine, method, ms, ms)
			if err != nil {
				return err
			}
			c.serial = uint32(id)
		}
		return tx.QueryRow(ctx, `SELECT activation_limit - used FROM product_keys WHERE id = ?`, keyID).Scan(&remaining)
	})
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		cid, err := key.SignConfirmation(c.iid, now, c.serial)
		if err != nil {
			return 0, err
		}
		c.cid = cid.String()
	}
	return remaining, nil
}

// ActivateProxy activates many machines with one MAK, in the request's order.
func (s *Service) ActivateProxy(ctx context.Context, r licet.ProxyRequest) (*licet.ProxyActivation, error) {
	if len(r.Machines) == 0 || len(r.Machines) > licet.MaxProxyMachines {
		return nil, licet.Errorf(licet.EInvalid, "a proxy request holds 1 to %d machines, not %d: split the machines file", licet.MaxProxyMachines, len(r.Machines)).With("field", "machines")
	}
	k, err := keys.Parse(r.Key)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "%v", err).With("field", "key")
	}
	if err := CheckActivatable(k.Type); err != nil {
		return nil, err
	}
	key, found, err := s.readOfflineKey(ctx, "k.key_hash = ?", k.Hash())
	if err != nil {
		return nil, err
	}
	if !found || key.blocked {
		return nil, invalidKey
	}
	out := &licet.ProxyActivation{KeyID: key.id, Results: make([]licet.ProxyResult, len(r.Machines))}
	var jobs []*job
	var iids []keys.InstallationID
	var at []int // the result index of each job
	for i, m := range r.Machines {
		out.Results[i].ProxyMachine = m
		j, iid, err := proxyJob(key, k, m)
		if err != nil {
			out.Results[i].Error = asError(err)
			continue
		}
		jobs, iids, at = append(jobs, j), append(iids, iid), append(at, i)
	}
	now := s.nowTime()
	var done []*confirmed
	var doneAt []int
	if len(jobs) > 0 {
		head := jobs[0]
		head.then = jobs[1:]
		first, err := s.submit(ctx, head)
		if err != nil && first.err == nil {
			return nil, err // the request never reached the worker, or was cancelled
		}
		for n, j := range jobs {
			res := first
			if n > 0 {
				res = <-j.res
			}
			i := at[n]
			if licet.ErrorCode(res.err) == licet.EInternal {
				return nil, res.err // the transaction failed: nothing of the request was applied
			}
			if res.err != nil {
				out.Results[i].Error = asError(res.err)
				continue
			}
			out.Results[i].Consumed = res.consumed
			out.Product = j.product.Slug
			done = append(done, &confirmed{iid: iids[n], keyID: res.keyID, machine: j.machine.ID})
			doneAt = append(doneAt, i)
		}
	}
	if out.Remaining, err = s.confirm(ctx, "proxy", now, key.id, done); err != nil {
		return nil, err
	}
	for n, c := range done {
		out.Results[doneAt[n]].ConfirmationID = c.cid
	}
	for _, res := range out.Results {
		if res.Error != nil {
			out.Failed++
		} else {
			out.Activated++
		}
	}
	out.IssuedAt = now
	return out, nil
}

// proxyJob checks one machine of a proxy request and makes its activation job.
func proxyJob(key offlineKey, k keys.Key, m licet.ProxyMachine) (*job, keys.InstallationID, error) {
	iid, err := ParseInstallationID(m.InstallationID)
	if err != nil {
		return nil, iid, err
	}
	if iid.KeyFingerprint != k.Fingerprint() {
		return nil, iid, licet.Errorf(licet.CodeInstallationKeyMismatch, "this installation ID was made for another product key: install the MAK of this request on the machine (`licet client install-key`) and collect its installation ID again")
	}
	p, err := key.product(iid)
	if err != nil {
		return nil, iid, err
	}
	machine := licet.Machine{ID: OfflineMachineID(iid), Hostname: m.Hostname}
	if err := CheckMachine(machine); err != nil {
		return nil, iid, err
	}
	return &job{hash: key.hash, product: p, machine: machine, method: "proxy", res: make(chan result, 1)}, iid, nil
}

// asError returns err as a *licet.Error for a per-machine result; other errors are internal.
func asError(err error) *licet.Error {
	var le *licet.Error
	if errors.As(err, &le) {
		return le
	}
	return licet.Errorf(licet.EInternal, "internal error")
}
