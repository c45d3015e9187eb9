// Package fleet is the machine inventory: one row per machine and product of a tenant, with the
// method that activated it, its key or KMS host, first and last contact, and its license state
// with the time that state changes next. The activation worker records central activations in
// its own transaction; KMS hosts and agents report the rest.
package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/machinelist"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Entry is one machine to record.
type Entry struct {
	TenantID   int64 // with KeyID set and TenantID 0, the key's tenant
	MachineID  string
	ProductID  int64
	Method     string // licet.Method*
	KeyID      int64  // 0: none
	HostID     string
	Hostname   string
	State      string // licet.State*
	StateUntil int64  // ms; 0: no change ahead
	Seen       int64  // ms
}

// upsert inserts a machine or updates it when this contact is not older than the one recorded.
// An agent's report never replaces the method, key or host that activated the machine.
const upsert = ` ON CONFLICT (tenant_id, machine_id, product_id) DO UPDATE SET
	method = CASE WHEN excluded.method = 'agent' THEN machines.method ELSE excluded.method END,
	key_id = COALESCE(excluded.key_id, machines.key_id),
	host_id = CASE WHEN excluded.method = 'agent' THEN machines.host_id ELSE excluded.host_id END,
	hostname = CASE WHEN excluded.hostname = '' THEN machines.hostname ELSE excluded.hostname END,
	state = excluded.state, state_until = excluded.state_until, last_seen_at = excluded.last_seen_at
	WHERE excluded.last_seen_at >= machines.last_seen_at`

// insertColumns opens the statement RecordAll runs.
const insertColumns = `INSERT INTO machines (tenant_id, machine_id, product_id, method, key_id, host_id, hostname, state, state_until, first_seen_at, last_seen_at) `

// Service reads the inventory and records agent and KMS host reports (licet.InventoryService,
// licet.KMSReportService).
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

var (
	_ licet.InventoryService = (*Service)(nil)
	_ licet.KMSReportService = (*Service)(nil)
)

// DefaultStale is how long a machine may stay silent before it shows as stale.
const DefaultStale = 30 * 24 * time.Hour

const machineColumns = `m.id, t.slug, m.machine_id, m.hostname, p.slug, m.method, COALESCE(m.key_id, 0), COALESCE(k.key_tail, ''),
	m.host_id, m.state, m.state_until, m.first_seen_at, m.last_seen_at
	FROM machines m JOIN tenants t ON t.id = m.tenant_id JOIN products p ON p.id = m.product_id
	LEFT JOIN product_keys k ON k.id = m.key_id`

func scanMachine(staleBefore int64) func(store.Scanner) (licet.InventoryMachine, error) {
	return func(r store.Scanner) (licet.InventoryMachine, error) {
		var m licet.InventoryMachine
		var until, first, last int64
		err := r.Scan(&m.ID, &m.Tenant, &m.MachineID, &m.Hostname, &m.Product, &m.Method, &m.KeyID, &m.KeyTail,
			&m.HostID, &m.State, &until, &first, &last)
		m.StateUntil = store.NullTime(sql.NullInt64{Int64: until, Valid: true})
		m.FirstSeen, m.LastSeen, m.Stale = store.Time(first), store.Time(last), last < staleBefore
		return m, err
	}
}

// readable returns EForbidden for roles that may not read the inventory.
func readable(ctx context.Context) error {
	a := licet.ActorFrom(ctx)
	if !a.IsOperator() && a.Role != licet.RoleTenant {
		return licet.Errorf(licet.EForbidden, "only the operator and tenant admins may read the machine inventory")
	}
	return nil
}

// Machines implements licet.InventoryService.
func (s *Service) Machines(ctx context.Context, f licet.MachineFilter) ([]licet.InventoryMachine, error) {
	if err := readable(ctx); err != nil {
		return nil, err
	}
	if err := machinelist.CheckFilter(f); err != nil {
		return nil, err
	}
	var err error
	if f.Limit, err = licet.PageLimit(f.Limit, licet.DefaultMachineLimit, licet.MaxMachineLimit); err != nil {
		return nil, err
	}
	stale := f.Stale
	if stale == 0 {
		stale = DefaultStale
	}
	staleBefore := store.Millis(s.Now().Add(-stale))
	var out []licet.InventoryMachine
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		q := `SELECT ` + machineColumns + ` WHERE 1=1`
		var args []any
		tenantID, every, err := tenancy.Scope(ctx, tx, f.Tenant)
		if err != nil {
			return err
		}
		if !every {
			q += ` AND m.tenant_id = ?`
			args = append(args, tenantID)
		}
		for _, c := range []struct{ col, v string }{{"m.state", f.State}, {"p.slug", f.Product}, {"m.method", f.Method}} {
			if c.v != "" {
				q += ` AND ` + c.col + ` = ?`
				args = append(args, c.v)
			}
		}
		if f.Stale > 0 {
			q += ` AND m.last_seen_at < ?`
			args = append(args, staleBefore)
		}
		q += ` ORDER BY t.slug, m.machine_id, p.slug LIMIT ?`
		out, err = store.Collect(ctx, tx, scanMachine(staleBefore), q, append(args, f.Limit)...)
		return err
	})
	return out, err
}

// Machine implements licet.InventoryService.
func (s *Service) Machine(ctx context.Context, id int64) (*licet.InventoryMachine, error) {
	if err := readable(ctx); err != nil {
		return nil, err
	}
	var m licet.InventoryMachine
	var tenantID int64
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT tenant_id FROM machines WHERE id = ?`, id).Scan(&tenantID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !licet.ActorFrom(ctx).CanSeeTenant(tenantID)) {
			return licet.Errorf(licet.ENotFound, "machine %d not found: see `licet machines list`", id)
		}
		if err != nil {
			return err
		}
		m, err = scanMachine(store.Millis(s.Now().Add(-DefaultStale)))(tx.QueryRow(ctx, `SELECT `+machineColumns+` WHERE m.id = ?`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// MachineCounts implements licet.InventoryService.
func (s *Service) MachineCounts(ctx context.Context, tenant string) ([]licet.MachineCount, error) {
	if err := readable(ctx); err != nil {
		return nil, err
	}
	var out []licet.MachineCount
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		t, err := tenancy.Lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		out, err = store.Collect(ctx, tx, func(r store.Scanner) (licet.MachineCount, error) {
			var c licet.MachineCount
			return c, r.Scan(&c.State, &c.Method, &c.Machines)
		}, `SELECT state, method, count(*) FROM machines WHERE tenant_id = ? GROUP BY state, method ORDER BY state, method`, t.ID)
		return err
	})
	return out, err
}

// day is the start of t's day in UTC, in milliseconds.
func day(t time.Time) int64 { return store.Millis(t.UTC().Truncate(24 * time.Hour)) }

// HistoryRetention is how long the daily counts are kept.
const HistoryRetention = 400 * 24 * time.Hour

// Snapshot records today's count of machines by state for every tenant, for the state-over-time
// chart, and forgets the counts older than HistoryRetention. It is idempotent within a day: the
// last snapshot of the day stands.
func (s *Service) Snapshot(ctx context.Context) error {
	today := day(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM machine_state_days WHERE day = ? OR day < ?`, today, today-HistoryRetention.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO machine_state_days (tenant_id, day, state, machines)
			SELECT tenant_id, ?, state, count(*) FROM machines GROUP BY tenant_id, state`, today)
		return err
	})
}

// StateHistory implements licet.InventoryService.
func (s *Service) StateHistory(ctx context.Context, tenant string, days int) ([]licet.StateDay, error) {
	if err := readable(ctx); err != nil {
		return nil, err
	}
	if days <= 0 || days > 366 {
		days = 30
	}
	since := day(s.Now()) - int64(days-1)*24*time.Hour.Milliseconds()
	var out []licet.StateDay
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		t, err := tenancy.Lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		out, err = store.Collect(ctx, tx, func(r store.Scanner) (licet.StateDay, error) {
			var d licet.StateDay
			var at int64
			err := r.Scan(&at, &d.State, &d.Machines)
			d.Day = store.Time(at)
			return d, err
		}, `SELECT day, state, machines FROM machine_state_days WHERE tenant_id = ? AND day >= ? ORDER BY day, state`, t.ID, since)
		return err
	})
	return out, err
}

// printable returns EInvalid unless v is 1 to max printable characters without spaces.
func printable(field, v string, max int) error {
	if v == "" || len(v) > max {
		return licet.Errorf(licet.EInvalid, "%s is required (at most %d characters)", field, max).With("field", field)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return licet.Errorf(licet.EInvalid, "%s holds %q: use printable characters without spaces", field, r).With("field", field)
		}
	}
	return nil
}

// recordColumns are the columns of the rows RecordAll writes, as a table named src.
func recordColumns(src string) string {
	return src + `(tenant_id, machine_id, product_id, method, key_id, host_id, hostname, state, state_until, seen)`
}

// recordSet records the rows of the table src, of recordColumns, that each dialect builds in a
// WITH clause before it: the tenant is the entry's, or else its key's (entries of a key of no
// tenant record nothing).
func recordSet(src string) string {
	return insertColumns + `SELECT COALESCE(NULLIF(u.tenant_id, 0), k.tenant_id), u.machine_id, u.product_id, u.method, NULLIF(u.key_id, 0),
	u.host_id, u.hostname, u.state, u.state_until, u.seen, u.seen
	FROM ` + src + ` u LEFT JOIN product_keys k ON k.id = u.key_id
	WHERE COALESCE(NULLIF(u.tenant_id, 0), k.tenant_id) IS NOT NULL` + upsert
}

// recordChunk bounds the rows of one SQLite statement: 10 variables a row stays far below
// SQLite's limit of 32,766 variables, and few distinct statement texts are prepared.
const recordChunk = 128

// sqlRecordValues is recordSet over n rows of VALUES, for SQLite.
func sqlRecordValues(n int) string {
	row := `(` + store.Placeholders(10) + `)`
	return `WITH ` + recordColumns("u") + ` AS (VALUES ` + strings.TrimSuffix(strings.Repeat(row+`, `, n), `, `) + `) ` + recordSet("u")
}

// RecordCTE returns, for PostgreSQL, the WITH items that record entries as RecordAll does
// (named name and name_rows; the first is a data-modifying CTE returning one row per machine
// written) with their arrays bound from $first on, and those arguments: a statement that writes
// other rows as well records the inventory in the same round trip.
func RecordCTE(name string, first int, entries []Entry) (string, []any) {
	var (
		tenants, products, keys, until, seen        []int64
		machines, methods, hosts, hostnames, states []string
	)
	for _, e := range latest(entries) {
		tenants, machines, products, methods, keys = append(tenants, e.TenantID), append(machines, e.MachineID), append(products, e.ProductID), append(methods, e.Method), append(keys, e.KeyID)
		hosts, hostnames, states, until, seen = append(hosts, e.HostID), append(hostnames, e.Hostname), append(states, e.State), append(until, e.StateUntil), append(seen, e.Seen)
	}
	types := []string{"bigint", "text", "bigint", "text", "bigint", "text", "text", "text", "bigint", "bigint"}
	params := make([]string, len(types))
	for i, t := range types {
		params[i] = fmt.Sprintf("$%d::%s[]", first+i, t)
	}
	rows := name + "_rows"
	cte := recordColumns(rows) + ` AS (SELECT * FROM unnest(` + strings.Join(params, ", ") + `)), ` +
		name + ` AS (` + recordSet(rows) + ` RETURNING 1)`
	return cte, []any{tenants, machines, products, methods, keys, hosts, hostnames, states, until, seen}
}

// latest keeps, of entries naming the same tenant (or key), machine and product, the latest
// contact (of equal contacts, the last), as one statement per entry would write.
func latest(entries []Entry) []Entry {
	type ref struct {
		tenant, key int64
		machine     string
		product     int64
	}
	last := make(map[ref]int, len(entries))
	for i, e := range entries {
		r := ref{e.TenantID, e.KeyID, e.MachineID, e.ProductID}
		if j, ok := last[r]; !ok || e.Seen >= entries[j].Seen {
			last[r] = i
		}
	}
	unique := make([]Entry, 0, len(last))
	for i, e := range entries {
		if last[ref{e.TenantID, e.KeyID, e.MachineID, e.ProductID}] == i {
			unique = append(unique, e)
		}
	}
	return unique
}

// RecordAll writes entries in tx set-based: on PostgreSQL in one statement over arrays whatever
// their number (RecordCTE), on SQLite in one multi-row statement per recordChunk entries; the
// reports of KMS hosts and agents keep a constant number of round trips so. Of entries naming
// the same tenant (or key), machine and product the latest contact is written (latest); two
// keys of one tenant naming the same machine and product in one call make the PostgreSQL
// statement fail, and the caller's transaction with it (SQLite writes the later one).
func RecordAll(ctx context.Context, tx *store.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if tx.Dialect() == store.Postgres {
		cte, args := RecordCTE("recorded", 1, entries)
		_, err := tx.Exec(ctx, `WITH `+cte+` SELECT count(*) FROM recorded`, args...)
		return err
	}
	for chunk := range slices.Chunk(latest(entries), recordChunk) {
		args := make([]any, 0, 10*len(chunk))
		for _, e := range chunk {
			args = append(args, e.TenantID, e.MachineID, e.ProductID, e.Method, e.KeyID, e.HostID, e.Hostname, e.State, e.StateUntil, e.Seen)
		}
		if _, err := tx.Exec(ctx, sqlRecordValues(len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}
