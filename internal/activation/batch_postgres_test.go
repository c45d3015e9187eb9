package activation

import (
	"context"
	"strings"
	"testing"

	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestMachinesLookupPlan: on PostgreSQL a batch looks its machines up by index, whatever the
// size of the activations table when the connection planned the statement: a plan cached while
// the table was empty (a generic plan, as pgx's statement cache gets) must not scan every
// activation once there are millions.
func TestMachinesLookupPlan(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	var plan []string
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `PREPARE machines_lookup(text[], text[]) AS `+postgresMachines); err != nil {
			return err
		}
		var err error
		plan, err = store.Collect(ctx, tx, func(r store.Scanner) (line string, err error) { return line, r.Scan(&line) },
			`EXPLAIN EXECUTE machines_lookup('{a,b}', '{m1,m2}')`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DEALLOCATE machines_lookup`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on activations") || !strings.Contains(text, "Index Scan using activations_key_id_machine_id_key") {
		t.Fatalf("the machines of a batch are not looked up by index:\n%s", text)
	}
}

// TestBatchWriteChecksItself: the write statement, sent together with COMMIT, fails by itself
// when a part changes other rows than decided (here an update of a row that does not exist, and a
// key count that would pass the limit), and changes nothing then.
func TestBatchWriteChecksItself(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	write := func(w batchWrites) error {
		return db.Write(ctx, func(tx *store.Tx) error {
			cte, args := fleet.RecordCTE("recorded", postgresWriteParams+1, nil)
			_, err := tx.Exec(ctx, postgresWriteWith(cte), append(postgresWriteArgs(w), args...)...)
			return err
		})
	}
	if err := write(batchWrites{now: 1}); err != nil {
		t.Fatalf("an empty write: %v", err)
	}
	missing := batchWrites{now: 1, update: []*machineState{{id: 424242, hardware: "x"}}}
	if err := write(missing); err == nil || !strings.Contains(err.Error(), "differ from the rows decided") {
		t.Fatalf("update of a missing row: %v; want the statement to fail on its own count", err)
	}
	over := batchWrites{now: 1, consume: []*keyState{{id: 424242, consumed: 1}}}
	if err := write(over); err == nil || !strings.Contains(err.Error(), "differ from the rows decided") {
		t.Fatalf("count of a missing key: %v; want the statement to fail on its own count", err)
	}
}
