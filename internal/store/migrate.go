package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/licet/licet"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered SQL file of a dialect.
type migration struct {
	Version int
	Name    string
	SQL     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + string(db.Dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// LatestVersion is the schema version this binary expects.
func (db *DB) LatestVersion() int {
	ms, err := db.migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaVersion returns the version of the schema in the database (0 when empty): the highest
// version below which every migration of this binary is applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	applied, err := db.applied(ctx)
	if err != nil {
		return 0, err
	}
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	v := 0
	for _, m := range ms {
		if !applied[m.Version] {
			break
		}
		v = m.Version
	}
	for version := range applied {
		if version > db.LatestVersion() {
			return version, nil // a newer binary migrated this database
		}
	}
	return v, nil
}

// applied returns the set of migration versions recorded in the database.
func (db *DB) applied(ctx context.Context) (map[int]bool, error) {
	out := map[int]bool{}
	err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return err
			}
			out[v] = true
		}
		return rows.Err()
	})
	return out, err
}

// CheckSchema returns EStaleSchema when the database is older than the binary and EConflict when
// it is newer.
func (db *DB) CheckSchema(ctx context.Context) error {
	have, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	want := db.LatestVersion()
	switch {
	case have < want:
		return licet.Errorf(licet.EStaleSchema, "the database schema is at version %d, this licet needs %d: run `licet migrate` or start with --migrate", have, want).
			With("have", have).With("want", want)
	case have > want:
		return licet.Errorf(licet.EConflict, "the database schema is at version %d, newer than this licet (%d): upgrade licet", have, want)
	}
	return nil
}

// Migrate applies the migrations the database lacks — any version not recorded, not only those
// above the highest one — each in its own transaction, and returns the versions it applied. Several processes migrating at once are safe: a version applied twice
// fails on the version table's key and that transaction rolls back.
func (db *DB) Migrate(ctx context.Context, now func() int64) ([]int, error) {
	have, err := db.applied(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		if have[m.Version] {
			continue
		}
		err := db.Write(ctx, func(tx *Tx) error {
			if db.Dialect == Postgres {
				// Serialise concurrent migrators on one database.
				if _, err := tx.Exec(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			var done int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, now())
			return err
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}
