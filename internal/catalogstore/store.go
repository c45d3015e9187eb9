// Package catalogstore keeps the versions of the SKU catalog in the database, so that every
// replica serves the same catalog: an operator applies a catalog file as a new version (validated
// by the catalog loader, refused when it removes an SKU or service plan still held), and a
// Provider in each server process serves the newest version, picking a new one up by polling.
package catalogstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// MaxContent bounds a catalog file (the shipped catalog is about 40 KB).
const MaxContent = 2 << 20

// Store reads and writes catalog versions (licet.CatalogService).
type Store struct {
	DB  *store.DB
	Now func() time.Time
	// Applied, when set, is called after a new version is committed (the Provider refreshes, so
	// the replica that applied serves the version at once).
	Applied func(ctx context.Context)
}

var _ licet.CatalogService = (*Store)(nil)

// Version is a stored version with its content.
type Version struct {
	licet.CatalogVersion
	Content []byte
}

// Load loads the version's content with the catalog loader.
func (v *Version) Load() (*catalog.Catalog, error) {
	return catalog.Load(v.loadName(), v.Content)
}

func (v *Version) loadName() string {
	if v.FileName != "" {
		return v.FileName
	}
	return fmt.Sprintf("catalog version %d", v.Version)
}

// Hash returns the hex SHA-256 of a catalog's content, as stored with each version.
func Hash(content []byte) string {
	h := sha256.Sum256(content)
	return hex.EncodeToString(h[:])
}

// ApplyCatalog validates the catalog and stores it as the next version, audited, unless it is
// the newest version already. See licet.CatalogService.
func (s *Store) ApplyCatalog(ctx context.Context, up licet.CatalogUpload) (licet.CatalogVersion, bool, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return licet.CatalogVersion{}, false, licet.Errorf(licet.EForbidden, "only the operator may apply a catalog")
	}
	content := []byte(up.Content)
	if len(content) > MaxContent {
		return licet.CatalogVersion{}, false, licet.Errorf(licet.ETooLarge, "the catalog is %d bytes, over the limit of %d", len(content), MaxContent)
	}
	name := up.FileName
	if name == "" {
		name = "catalog"
	}
	cat, err := catalog.Load(name, content)
	if err != nil {
		return licet.CatalogVersion{}, false, invalid(name, err)
	}
	hash := Hash(content)
	var out licet.CatalogVersion
	applied := false
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		applied = false
		newest, err := newestVersion(ctx, tx)
		if err != nil {
			return err
		}
		if newest != nil && newest.Hash == hash {
			out = newest.CatalogVersion
			return nil
		}
		var old *catalog.Catalog
		if newest != nil {
			old, _ = newest.Load() // a version this binary cannot read any more is not compared plan by plan
		}
		if tx.Dialect() == store.Postgres {
			// Hold off purchases, assignments and new tenants until this version is committed, so that the
			// check below still holds when it is.
			if _, err := tx.Exec(ctx, `LOCK TABLE subscriptions, assignments, group_licenses, tenants IN SHARE MODE`); err != nil {
				return err
			}
		}
		uses, err := inUse(ctx, tx, old, cat)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			return refusal(uses)
		}
		now := s.Now()
		out = licet.CatalogVersion{Version: 1, Name: cat.Name, Hash: hash, FileName: up.FileName,
			CreatedBy: licet.ActorFrom(ctx).String(), CreatedAt: store.Time(store.Millis(now))}
		before := ""
		if newest != nil {
			out.Version = newest.Version + 1
			before = fmt.Sprintf("version %d (%s)", newest.Version, short(newest.Hash))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO catalog_versions (version, name, hash, content, file_name, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			out.Version, out.Name, out.Hash, string(content), out.FileName, out.CreatedBy, store.Millis(now)); err != nil {
			if store.IsUnique(err) {
				return licet.Errorf(licet.EConflict, "another catalog version was applied at the same time: see licet catalog history, then apply again")
			}
			return err
		}
		details := ""
		if newest != nil && old != nil {
			details = Compare(old, cat).Summary()
		}
		applied = true
		if err := audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "catalog.apply", Object: fmt.Sprintf("catalog:%d", out.Version),
			Before: before, After: fmt.Sprintf("version %d (%s) %s", out.Version, short(hash), out.Name), Details: details}); err != nil {
			return err
		}
		// The catalog is the whole service's: the event has no tenant, so the operator's
		// webhooks for every tenant receive it.
		_, err = outbox.Emit(ctx, tx, store.Millis(now), outbox.Record{Type: licet.EventCatalogApplied, Object: out})
		return err
	})
	if err != nil {
		return licet.CatalogVersion{}, false, err
	}
	if applied && s.Applied != nil {
		s.Applied(ctx)
	}
	return out, applied, nil
}

// invalid turns the loader's errors into one EInvalid error that lists them.
func invalid(name string, err error) error {
	verrs, ok := catalog.AsValidationErrors(err)
	if !ok {
		return licet.Errorf(licet.EInvalid, "%s is not a valid catalog: %v", name, err)
	}
	lines := make([]string, 0, len(verrs))
	for i, e := range verrs {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(verrs)-i))
			break
		}
		lines = append(lines, e.Error())
	}
	return licet.Errorf(licet.EInvalid, "%s is not a valid catalog (%d error(s); check it with licet catalog validate):\n%s", name, len(verrs), strings.Join(lines, "\n")).
		With("errors", len(verrs))
}

func short(hash string) string { return hash[:min(12, len(hash))] }

// CatalogVersions lists the versions, newest first.
func (s *Store) CatalogVersions(ctx context.Context) ([]licet.CatalogVersion, error) {
	var out []licet.CatalogVersion
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.Collect(ctx, tx, scanVersion, `SELECT version, name, hash, file_name, created_by, created_at FROM catalog_versions ORDER BY version DESC`)
		return err
	})
	return out, err
}

func scanVersion(r store.Scanner) (licet.CatalogVersion, error) {
	var v licet.CatalogVersion
	var at int64
	err := r.Scan(&v.Version, &v.Name, &v.Hash, &v.FileName, &v.CreatedBy, &at)
	v.CreatedAt = store.Time(at)
	return v, err
}

// Version returns version n with its content; ENotFound when there is none.
func (s *Store) Version(ctx context.Context, n int64) (*Version, error) {
	var out *Version
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = readVersion(ctx, tx, `WHERE version = ?`, n)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && out == nil) {
		return nil, licet.Errorf(licet.ENotFound, "there is no catalog version %d: see licet catalog history", n)
	}
	return out, err
}

// Newest returns the newest version with its content, or nil when none is stored.
func (s *Store) Newest(ctx context.Context) (*Version, error) {
	var out *Version
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = newestVersion(ctx, tx)
		return err
	})
	return out, err
}

// NewestNumber returns the number of the newest version, 0 when none is stored: the cheap query
// each replica polls.
func (s *Store) NewestNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM catalog_versions`).Scan(&n)
	})
	return n, err
}

func newestVersion(ctx context.Context, tx *store.Tx) (*Version, error) {
	return readVersion(ctx, tx, `ORDER BY version DESC LIMIT 1`)
}

// readVersion reads one version with its content; nil when no row matches.
func readVersion(ctx context.Context, tx *store.Tx, where string, args ...any) (*Version, error) {
	var v Version
	var at int64
	var content string
	err := tx.QueryRow(ctx, `SELECT version, name, hash, file_name, created_by, created_at, content FROM catalog_versions `+where, args...).
		Scan(&v.Version, &v.Name, &v.Hash, &v.FileName, &v.CreatedBy, &at, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v.CreatedAt, v.Content = store.Time(at), []byte(content)
	return &v, nil
}

// EnsureInitial stores the catalog as version 1 when the database holds no version yet (a new
// database, or one from before catalogs were stored), as the system actor. It returns whether it
// stored it. Two replicas starting together on a new database store it once.
func (s *Store) EnsureInitial(ctx context.Context, fileName string, content []byte) (bool, error) {
	n, err := s.NewestNumber(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, applied, err := s.ApplyCatalog(licet.WithActor(ctx, licet.System), licet.CatalogUpload{FileName: fileName, Content: string(content)})
	if licet.ErrorCode(err) == licet.EConflict {
		return false, nil // another replica stored its first version meanwhile
	}
	return applied, err
}
