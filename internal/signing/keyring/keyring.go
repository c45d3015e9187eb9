// Package keyring keeps the operator's signing keys of a central service in its database: key 1
// is the signing key file's, rotation adds keys endorsed by the one before, retirement refuses
// what a key signed. Private keys are sealed under a key derived from the signing key file, so
// every replica started with the file signs with the active key.
package keyring

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/ticket"
)

// sealPurpose is the HKDF purpose of the key that seals signing keys in the database.
const sealPurpose = "licet signing keys"

// RefreshEvery is how long a process signs with the key set it loaded before reading it again,
// so that a replica picks up a rotation made by another within this time.
const RefreshEvery = 10 * time.Second

// Keyring is the operator's signing keys of a central service: kept in the database (private
// keys sealed under a key derived from the signing key file), shared by every replica started
// with that file, re-read every RefreshEvery. Every signature of the operator goes through it,
// and it stamps the id of the key that signed.
type Keyring struct {
	db     *store.DB
	now    func() time.Time
	sealer *signing.Sealer

	mu        sync.Mutex // guards snap
	snap      *snapshot
	reloading sync.Mutex // held by the one caller reloading a stale snapshot
}

// snapshot is the key set as last read.
type snapshot struct {
	keys   []ticket.OperatorKey
	active signing.Key
	set    string // the key set, signed by the active key
	loaded time.Time
}

var _ licet.SigningKeyService = (*Keyring)(nil)

// OpenKeyring opens the keys of db. file is the key of the signing key file: on a database
// without keys yet it becomes key 1; it always seals and unseals the keys.
func OpenKeyring(ctx context.Context, db *store.DB, file ed25519.PrivateKey, now func() time.Time) (*Keyring, error) {
	if now == nil {
		now = time.Now
	}
	sealer, err := signing.NewSealer(file, sealPurpose)
	if err != nil {
		return nil, err
	}
	k := &Keyring{db: db, now: now, sealer: sealer}
	pub := file.Public().(ed25519.PublicKey)
	err = db.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM signing_keys`).Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO signing_keys (id, public_key, sealed_key, state, created_at) VALUES (1, ?, ?, 'active', ?) ON CONFLICT DO NOTHING`,
			base64.StdEncoding.EncodeToString(pub), k.sealer.Seal(string(file.Seed())), store.Millis(now()))
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := k.load(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// row is a signing_keys row.
type row struct {
	key    ticket.OperatorKey
	sealed string
}

const rowColumns = `id, public_key, sealed_key, state, endorsed_by, endorsement, created_at, retired_at`

func scanRow(r store.Scanner) (row, error) {
	var out row
	var pub, endorsement string
	var endorsedBy, retired sql.NullInt64
	var created int64
	if err := r.Scan(&out.key.ID, &pub, &out.sealed, &out.key.State, &endorsedBy, &endorsement, &created, &retired); err != nil {
		return out, err
	}
	out.key.PublicKey, _ = base64.StdEncoding.DecodeString(pub)
	out.key.Endorsement, _ = base64.StdEncoding.DecodeString(endorsement)
	out.key.EndorsedBy = uint32(endorsedBy.Int64)
	out.key.CreatedAt = store.Time(created)
	out.key.RetiredAt = store.NullTime(retired)
	return out, nil
}

func readRows(ctx context.Context, tx *store.Tx) ([]row, error) {
	return store.Collect(ctx, tx, scanRow, `SELECT `+rowColumns+` FROM signing_keys ORDER BY id`)
}

// unseal opens a row's private key.
func (k *Keyring) unseal(r row) (ed25519.PrivateKey, error) {
	seed, err := k.sealer.Open(r.sealed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, licet.Errorf(licet.EInvalid, "signing key %d does not open with this signing key file: start every replica with the same --signing-key file", r.key.ID)
	}
	priv := ed25519.NewKeyFromSeed([]byte(seed))
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(r.key.PublicKey)) {
		return nil, licet.Errorf(licet.EInvalid, "signing key %d in the database does not match its public key", r.key.ID)
	}
	return priv, nil
}

// load reads the keys and signs the key set with the active one.
func (k *Keyring) load(ctx context.Context) (*snapshot, error) {
	var rows []row
	if err := k.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = readRows(ctx, tx)
		return err
	}); err != nil {
		return nil, err
	}
	now := k.now()
	s := &snapshot{loaded: now}
	for _, r := range rows {
		s.keys = append(s.keys, r.key)
		if r.key.State == ticket.KeyActive {
			priv, err := k.unseal(r)
			if err != nil {
				return nil, err
			}
			s.active = signing.Key{ID: r.key.ID, Private: priv}
		}
	}
	if s.active.Private == nil {
		return nil, licet.Errorf(licet.EInternal, "the database holds no active signing key")
	}
	var err error
	if s.set, err = ticket.SignKeySet(s.active.Private, s.active.ID, s.keys, now); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.snap = s
	k.mu.Unlock()
	return s, nil
}

// current returns the loaded snapshot, read again when it is older than RefreshEvery. One
// caller reloads; the others keep signing with the snapshot they have meanwhile, as does
// everyone when the reload fails.
func (k *Keyring) current(ctx context.Context) (*snapshot, error) {
	k.mu.Lock()
	s := k.snap
	k.mu.Unlock()
	now := k.now()
	if s != nil && now.Sub(s.loaded) < RefreshEvery && !now.Before(s.loaded) {
		return s, nil
	}
	if s != nil && !k.reloading.TryLock() {
		return s, nil
	}
	if s == nil {
		k.reloading.Lock()
	}
	defer k.reloading.Unlock()
	fresh, err := k.load(ctx)
	if err != nil && s != nil {
		return s, nil // the keys signed a moment ago still sign; the next call tries again
	}
	return fresh, err
}

// Reload reads the keys again now (after a rotation by this process, or in tests).
func (k *Keyring) Reload(ctx context.Context) error {
	_, err := k.load(ctx)
	return err
}

// Active returns the key that signs now.
func (k *Keyring) Active(ctx context.Context) (signing.Key, error) {
	s, err := k.current(ctx)
	if err != nil {
		return signing.Key{}, err
	}
	return s.active, nil
}

// SignTicket signs t with the active key, stamping its id in the ticket: the one way the
// operator signs tickets (activations, host certificates, directory objects).
func (k *Keyring) SignTicket(ctx context.Context, t ticket.Ticket) (string, error) {
	key, err := k.Active(ctx)
	if err != nil {
		return "", err
	}
	return key.SignTicket(t)
}

// KeySet returns the operator's keys and the signed key set a machine learns them from.
func (k *Keyring) KeySet(ctx context.Context) (ticket.KeySet, string, error) {
	s, err := k.current(ctx)
	if err != nil {
		return ticket.KeySet{}, "", err
	}
	return ticket.KeySet{Keys: s.keys}, s.set, nil
}

// SigningKeys implements licet.SigningKeyService.
func (k *Keyring) SigningKeys(ctx context.Context) ([]licet.SigningKey, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return nil, licet.Errorf(licet.EForbidden, "only the operator may list the signing keys")
	}
	var out []licet.SigningKey
	err := k.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := readRows(ctx, tx)
		if err != nil {
			return err
		}
		hosts, err := hostsByKey(ctx, tx, k.now())
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, describe(r.key, hosts[r.key.ID]))
		}
		return nil
	})
	return out, err
}

// hostsByKey counts the KMS hosts whose unexpired certificate each key signed.
func hostsByKey(ctx context.Context, tx *store.Tx, now time.Time) (map[uint32]int, error) {
	pairs, err := store.Pairs[uint32, int](ctx, tx, `SELECT signing_key, count(*) FROM kms_hosts WHERE certificate_expires_at IS NULL OR certificate_expires_at > ? GROUP BY signing_key`, store.Millis(now))
	out := map[uint32]int{}
	for _, p := range pairs {
		key, hosts := p.A, p.B
		out[key] = hosts
	}
	return out, err
}

func describe(k ticket.OperatorKey, hosts int) licet.SigningKey {
	return licet.SigningKey{ID: k.ID, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey), State: k.State,
		CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, EndorsedBy: k.EndorsedBy, KMSHosts: hosts}
}

// RotateSigningKey implements licet.SigningKeyService.
func (k *Keyring) RotateSigningKey(ctx context.Context) (*licet.SigningKey, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return nil, licet.Errorf(licet.EForbidden, "only the operator may rotate the signing key")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	now := k.now()
	var out ticket.OperatorKey
	err = k.db.Write(ctx, func(tx *store.Tx) error {
		// Rotations queue on key 1's row (it always exists), so that each one sees the key the
		// one before made active, across server processes.
		var first uint32
		if err := tx.QueryRow(ctx, `SELECT id FROM signing_keys WHERE id = 1`+tx.ForUpdate()).Scan(&first); err != nil {
			return err
		}
		old, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowColumns+` FROM signing_keys WHERE state = 'active'`+tx.ForUpdate()))
		if err != nil {
			return err
		}
		oldPriv, err := k.unseal(old)
		if err != nil {
			return err
		}
		var last uint32
		if err := tx.QueryRow(ctx, `SELECT max(id) FROM signing_keys`).Scan(&last); err != nil {
			return err
		}
		out = ticket.OperatorKey{ID: last + 1, PublicKey: pub, State: ticket.KeyActive, CreatedAt: store.Time(store.Millis(now)), EndorsedBy: old.key.ID}
		out.Endorsement = ticket.Endorse(oldPriv, out.ID, pub)
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'verifying' WHERE id = ?`, old.key.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (id, public_key, sealed_key, state, endorsed_by, endorsement, created_at) VALUES (?, ?, ?, 'active', ?, ?, ?)`,
			out.ID, base64.StdEncoding.EncodeToString(pub), k.sealer.Seal(string(priv.Seed())), old.key.ID,
			base64.StdEncoding.EncodeToString(out.Endorsement), store.Millis(now)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "signing-key.rotate", Object: fmt.Sprintf("signing-key:%d", out.ID),
			Before: fmt.Sprintf("active key %d", old.key.ID), After: fmt.Sprintf("active key %d", out.ID),
			Details: "public_key=" + base64.StdEncoding.EncodeToString(pub)})
	})
	if err != nil {
		return nil, err
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	d := describe(out, 0)
	return &d, nil
}

// RetireSigningKey implements licet.SigningKeyService.
func (k *Keyring) RetireSigningKey(ctx context.Context, id uint32, force bool) (*licet.SigningKey, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return nil, licet.Errorf(licet.EForbidden, "only the operator may retire a signing key")
	}
	now := k.now()
	var out licet.SigningKey
	err := k.db.Write(ctx, func(tx *store.Tx) error {
		r, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowColumns+` FROM signing_keys WHERE id = ?`+tx.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return licet.Errorf(licet.ENotFound, "signing key %d not found: `licet signing-key list` shows the keys", id)
		}
		if err != nil {
			return err
		}
		switch r.key.State {
		case ticket.KeyActive:
			return licet.Errorf(licet.CodeSigningKeyActive, "signing key %d is the active key and cannot be retired: run `licet signing-key rotate` first, wait until machines and KMS hosts have renewed under the new key, then retire %d", id, id)
		case ticket.KeyRetired:
			return licet.Errorf(licet.EConflict, "signing key %d was already retired on %s", id, r.key.RetiredAt.Format(time.DateOnly))
		}
		hosts, err := hostsByKey(ctx, tx, now)
		if err != nil {
			return err
		}
		if n := hosts[id]; n > 0 && !force {
			return licet.Errorf(licet.CodeSigningKeyInUse, "%d KMS hosts still hold certificates signed by key %d: their clients would lose activation. Way out: wait until the hosts renew (they do within the hour after a rotation; `licet signing-key list` counts them), or retire anyway with --force", n, id).
				With("kmsHosts", n)
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ? WHERE id = ?`, store.Millis(now), id); err != nil {
			return err
		}
		at := store.Time(store.Millis(now))
		before := r.key.State
		r.key.State, r.key.RetiredAt = ticket.KeyRetired, &at
		out = describe(r.key, hosts[id])
		details := ""
		if force {
			details = fmt.Sprintf("forced with %d KMS hosts under the key", hosts[id])
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "signing-key.retire", Object: fmt.Sprintf("signing-key:%d", id),
			Before: before, After: ticket.KeyRetired, Details: details})
	})
	if err != nil {
		return nil, err
	}
	return &out, k.Reload(ctx)
}

// PublicKeys lists the public keys the database knows, oldest first, with their states: the
// signing keys of a database with key rotation, or else the one key its settings record. It
// reads the database only, needing no key file (backup and restore compare keys with it).
func PublicKeys(ctx context.Context, db *store.DB) ([]ticket.OperatorKey, error) {
	var out []ticket.OperatorKey
	err := db.Read(ctx, func(tx *store.Tx) error {
		rows, err := readRows(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, r.key)
		}
		if len(out) > 0 {
			return nil
		}
		var recorded string
		err = tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'signing_public_key'`).Scan(&recorded)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		pub, err := base64.StdEncoding.DecodeString(recorded)
		if err != nil {
			return fmt.Errorf("the recorded signing key is malformed: %w", err)
		}
		out = append(out, ticket.OperatorKey{ID: 1, PublicKey: pub, State: ticket.KeyActive})
		return nil
	})
	return out, err
}
