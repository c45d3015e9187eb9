package fleet_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/events"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/kmscentral/centraltest"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

var operator = licet.WithActor(context.Background(), licet.System)

// signed returns a report body and its signature by key.
func signed(t *testing.T, key ed25519.PrivateKey, r licet.MachineReport) ([]byte, string) {
	t.Helper()
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return body, base64.StdEncoding.EncodeToString(ed25519.Sign(key, body))
}

// TestKMSReports: a certified host's signed report records its clients for the tenant of its
// key; the same report again, or an older one, changes nothing; a report signed by another key
// or naming an unknown host is refused; unknown products are skipped.
func TestKMSReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, opKey, _ := ed25519.GenerateKey(nil)
		centraltest.Tenant(t, db, "contoso")
		is := centraltest.Service(t, db)
		is.Group(11, "suite-2026")
		is.Product("suite-server-2026", "server", 11)
		key, _ := is.HostKey("contoso", 11)
		hostPub, hostKey, _ := ed25519.GenerateKey(nil)
		central := &kmscentral.Service{DB: db, Key: opKey, Now: func() time.Time { return now }}
		if _, err := central.ActivateHost(ctx, licet.KMSHostRequest{Key: key.String(), HostID: "kms-1", HostKey: hostPub, Hostname: "kms-1.corp.example"}); err != nil {
			t.Fatal(err)
		}
		svc := &fleet.Service{DB: db, Now: func() time.Time { return now }}
		until := now.Add(180 * 24 * time.Hour)
		rep := licet.MachineReport{HostID: "kms-1", Batch: "b1", Machines: []licet.ReportedMachine{
			{MachineID: "srv-1", Product: "suite-server-2026", State: licet.StateLicensed, StateUntil: &until, LastSeen: now},
			{MachineID: "srv-2", Product: "suite-server-2026", State: licet.StateInitialGrace, LastSeen: now.Add(-time.Hour)},
			{MachineID: "odd-1", Product: "not-a-product", State: licet.StateLicensed, LastSeen: now},
		}}
		body, sig := signed(t, hostKey, rep)
		for range 2 { // idempotent
			res, err := svc.ReportKMSClients(ctx, body, sig)
			if err != nil || res.Recorded != 2 {
				t.Fatalf("report: %+v, %v; want 2 recorded (the unknown product skipped)", res, err)
			}
		}
		older := rep
		older.Machines = []licet.ReportedMachine{{MachineID: "srv-1", Product: "suite-server-2026", State: licet.StateNotification, LastSeen: now.Add(-48 * time.Hour)}}
		if _, err := report(t, svc, hostKey, older); err != nil {
			t.Fatal(err)
		}
		ms, err := svc.Machines(operator, licet.MachineFilter{Tenant: "contoso"})
		if err != nil || len(ms) != 2 {
			t.Fatalf("machines: %+v, %v; want 2", ms, err)
		}
		if m := ms[0]; m.MachineID != "srv-1" || m.State != licet.StateLicensed || m.Method != licet.MethodKMS || m.HostID != "kms-1" || m.StateUntil == nil || !m.StateUntil.Equal(until) {
			t.Errorf("srv-1: %+v; want Licensed until %s via kms-1 (an older report does not overwrite)", m, until)
		}
		_, otherKey, _ := ed25519.GenerateKey(nil)
		if _, err := report(t, svc, otherKey, rep); licet.ErrorCode(err) != licet.CodeReportSignatureInvalid {
			t.Errorf("report signed by another key: %v; want %s", err, licet.CodeReportSignatureInvalid)
		}
		unknown := rep
		unknown.HostID = "kms-unknown"
		if _, err := report(t, svc, hostKey, unknown); licet.ErrorCode(err) != licet.CodeReportSignatureInvalid {
			t.Errorf("report of an unknown host: %v; want %s", err, licet.CodeReportSignatureInvalid)
		}
		for _, id := range []string{"", "-kms", "kms 1", "kmsé", strings.Repeat("k", 65)} {
			malformed := rep
			malformed.HostID = id
			if _, err := report(t, svc, hostKey, malformed); licet.ErrorCode(err) != licet.EInvalid {
				t.Errorf("report of host id %q: %v; want %s", id, err, licet.EInvalid)
			}
		}
		if _, err := svc.ReportKMSClients(ctx, body, "bm90IGEgc2lnbmF0dXJl"); licet.ErrorCode(err) != licet.CodeReportSignatureInvalid {
			t.Errorf("malformed signature: %v", err)
		}
		// Two servers seen by the host: below the server threshold of 5, reported once a day.
		es, err := (&events.Service{DB: db}).Events(operator, licet.EventFilter{Tenant: "contoso", Type: licet.EventKMSCountBelow})
		if err != nil || len(es) != 1 {
			t.Fatalf("count events %+v, %v; want one (the same day's reports dedupe)", es, err)
		}
		var ce fleet.CountEvent
		if err := json.Unmarshal(es[0].Object, &ce); err != nil || ce != (fleet.CountEvent{HostID: "kms-1", Product: "suite-server-2026", Pool: "systems", Count: 2, Threshold: 5}) {
			t.Errorf("count event %s (%v)", es[0].Object, err)
		}
		// Counts and the daily snapshot.
		counts, err := svc.MachineCounts(operator, "contoso")
		if err != nil || len(counts) != 2 {
			t.Fatalf("counts %+v, %v", counts, err)
		}
		if err := svc.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		days, err := svc.StateHistory(operator, "contoso", 30)
		if err != nil || len(days) != 2 || !days[0].Day.Equal(now.Truncate(24*time.Hour)) {
			t.Fatalf("history %+v, %v; want today's two states", days, err)
		}
	})
}

// report signs a report with key and sends it.
func report(t *testing.T, svc *fleet.Service, key ed25519.PrivateKey, r licet.MachineReport) (*licet.ReportResult, error) {
	body, sig := signed(t, key, r)
	return svc.ReportKMSClients(context.Background(), body, sig)
}

func TestParseReportRejects(t *testing.T) {
	tests := []struct {
		name, body, code string
	}{
		{"not JSON", `{`, licet.EInvalid},
		{"unknown field", `{"machines":[],"extra":1}`, licet.EInvalid},
		{"two values", `{"machines":[]} {}`, licet.EInvalid},
		{"no machine id", `{"machines":[{"product":"p","state":"Licensed","lastSeen":"2026-11-25T00:00:00Z"}]}`, licet.EInvalid},
		{"bad state", `{"machines":[{"machineId":"m","product":"p","state":"Happy","lastSeen":"2026-11-25T00:00:00Z"}]}`, licet.EInvalid},
		{"no contact time", `{"machines":[{"machineId":"m","product":"p","state":"Licensed"}]}`, licet.EInvalid},
		{"NUL in hostname", `{"machines":[{"machineId":"m","hostname":"a\u0000b","product":"p","state":"Licensed","lastSeen":"2026-11-25T00:00:00Z"}]}`, licet.EInvalid},
		{"space in id", `{"machines":[{"machineId":"a b","product":"p","state":"Licensed","lastSeen":"2026-11-25T00:00:00Z"}]}`, licet.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fleet.ParseReport([]byte(tt.body)); licet.ErrorCode(err) != tt.code {
				t.Fatalf("ParseReport(%s) = %v; want %s", tt.body, err, tt.code)
			}
		})
	}
	many := licet.MachineReport{Machines: make([]licet.ReportedMachine, fleet.MaxReportMachines+1)}
	if err := fleet.CheckReport(many); licet.ErrorCode(err) != licet.ETooLarge {
		t.Errorf("%d machines: %v; want TooLarge", len(many.Machines), err)
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"hostId":"kms-1","machines":[{"machineId":"m","product":"p","state":"Licensed","lastSeen":"2026-11-25T00:00:00Z"}]}`))
	f.Add([]byte(`{"machines":[{"machineId":"\u0000"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := fleet.ParseReport(b)
		if err == nil {
			if err := fleet.CheckReport(r); err != nil {
				t.Fatalf("accepted a report CheckReport refuses: %v", err)
			}
		} else if licet.ErrorCode(err) == licet.EInternal {
			t.Fatalf("internal error for outside input: %v", err)
		}
	})
}

// TestRecordAll: one call records more entries than one SQLite statement holds, takes the
// tenant from the key where the entry names none, writes the last of two entries for one
// machine (the later contact where they differ), and an agent's entry keeps the method that activated the machine.
func TestRecordAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenantID := centraltest.Tenant(t, db, "contoso")
		is := centraltest.Service(t, db)
		is.Group(11, "suite-2026")
		is.Product("suite-server-2026", "server", 11)
		_, keyID := is.HostKey("contoso", 11)
		var productID int64
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT id FROM products WHERE slug = ?`, "suite-server-2026").Scan(&productID)
		}); err != nil {
			t.Fatal(err)
		}
		seen := store.Millis(now)
		var entries []fleet.Entry
		for i := range 300 {
			entries = append(entries, fleet.Entry{TenantID: tenantID, MachineID: fmt.Sprintf("m-%d", i), ProductID: productID,
				Method: licet.MethodOnline, Hostname: "first", State: licet.StateLicensed, Seen: seen})
		}
		entries = append(entries,
			fleet.Entry{KeyID: keyID, MachineID: "by-key", ProductID: productID, Method: licet.MethodKMS, State: licet.StateLicensed, Seen: seen},
			fleet.Entry{TenantID: tenantID, MachineID: "m-0", ProductID: productID, Method: licet.MethodOnline, Hostname: "last", State: licet.StateLicensed, Seen: seen},
			fleet.Entry{TenantID: tenantID, MachineID: "m-2", ProductID: productID, Method: licet.MethodOnline, Hostname: "older", State: licet.StateLicensed, Seen: seen - 1})
		write := func(es []fleet.Entry) {
			t.Helper()
			if err := db.Write(ctx, func(tx *store.Tx) error { return fleet.RecordAll(ctx, tx, es) }); err != nil {
				t.Fatal(err)
			}
		}
		write(entries)
		write([]fleet.Entry{{TenantID: tenantID, MachineID: "m-1", ProductID: productID, Method: "agent", Hostname: "agent", State: licet.StateNotification, Seen: seen + 1}})
		ms, err := (&fleet.Service{DB: db, Now: func() time.Time { return now }}).Machines(operator, licet.MachineFilter{Tenant: "contoso", Limit: 1000})
		if err != nil || len(ms) != 301 {
			t.Fatalf("machines: %d, %v; want 301", len(ms), err)
		}
		got := map[string]licet.InventoryMachine{}
		for _, m := range ms {
			got[m.MachineID] = m
		}
		if m := got["m-0"]; m.Hostname != "last" {
			t.Errorf("m-0: hostname %q; want the last entry's", m.Hostname)
		}
		if m := got["m-2"]; m.Hostname != "first" {
			t.Errorf("m-2: hostname %q; want the later contact's, not the older entry's that came after it", m.Hostname)
		}
		if m := got["by-key"]; m.KeyID != keyID || m.Method != licet.MethodKMS {
			t.Errorf("by-key: %+v; want key %d, method kms", m, keyID)
		}
		if m := got["m-1"]; m.Method != licet.MethodOnline || m.Hostname != "agent" || m.State != licet.StateNotification {
			t.Errorf("m-1 after the agent's report: %+v; want method online kept, hostname and state the agent's", m)
		}
	})
}
