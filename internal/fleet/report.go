package fleet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Bounds of one report: a sender splits a larger table into several reports.
const (
	MaxReportMachines = 1000
	MaxReportBytes    = 512 << 10
)

// ParseReport decodes and checks a report: strict JSON, at most MaxReportMachines machines, each
// with a machine id, a product, a known state and a contact time.
func ParseReport(body []byte) (licet.MachineReport, error) {
	var r licet.MachineReport
	if len(body) > MaxReportBytes {
		return r, licet.Errorf(licet.ETooLarge, "a report is at most %d bytes: send the machines in several reports", MaxReportBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, licet.Errorf(licet.EInvalid, "the report is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return r, licet.Errorf(licet.EInvalid, "the report holds more than one JSON value")
	}
	return r, CheckReport(r)
}

// CheckReport checks a decoded report.
func CheckReport(r licet.MachineReport) error {
	if len(r.Machines) > MaxReportMachines {
		return licet.Errorf(licet.ETooLarge, "a report holds at most %d machines, not %d: send several reports", MaxReportMachines, len(r.Machines)).With("limit", MaxReportMachines)
	}
	if len(r.Batch) > 64 {
		return licet.Errorf(licet.EInvalid, "batch is longer than 64 characters").With("field", "batch")
	}
	for i, m := range r.Machines {
		if err := printable("machines[].machineId", m.MachineID, 128); err != nil {
			return err.(*licet.Error).With("index", i)
		}
		if err := printable("machines[].product", m.Product, 63); err != nil {
			return err.(*licet.Error).With("index", i)
		}
		if len(m.Hostname) > 253 || strings.IndexFunc(m.Hostname, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return licet.Errorf(licet.EInvalid, "machines[%d].hostname must be at most 253 printable characters", i).With("index", i)
		}
		if !slices.Contains(licet.MachineStates, m.State) {
			return licet.Errorf(licet.EInvalid, "machines[%d].state %q is unknown: use one of %v", i, m.State, licet.MachineStates).With("index", i)
		}
		if m.LastSeen.IsZero() {
			return licet.Errorf(licet.EInvalid, "machines[%d].lastSeen is required", i).With("index", i)
		}
	}
	return nil
}

// record writes the machines of a report for a tenant; machines of products the central service
// does not know are skipped. It returns how many it wrote and the kind of each known product of
// the report.
func (s *Service) record(ctx context.Context, tx *store.Tx, tenantID int64, method, hostID string, ms []licet.ReportedMachine) (int, map[string]licet.ProductKind, error) {
	type product struct {
		id   int64
		kind licet.ProductKind
	}
	products := map[string]product{}
	entries := make([]Entry, 0, len(ms))
	for _, m := range ms {
		p, ok := products[m.Product]
		if !ok {
			err := tx.QueryRow(ctx, `SELECT id, kind FROM products WHERE slug = ?`, m.Product).Scan(&p.id, &p.kind)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, nil, err
			}
			products[m.Product] = p
		}
		if p.id == 0 {
			continue
		}
		var until int64
		if m.StateUntil != nil {
			until = store.Millis(*m.StateUntil)
		}
		entries = append(entries, Entry{TenantID: tenantID, MachineID: m.MachineID, ProductID: p.id, Method: method, HostID: hostID,
			Hostname: m.Hostname, State: m.State, StateUntil: until, Seen: store.Millis(m.LastSeen)})
	}
	if err := RecordAll(ctx, tx, entries); err != nil {
		return 0, nil, err
	}
	kinds := map[string]licet.ProductKind{}
	for slug, p := range products {
		if p.id != 0 {
			kinds[slug] = p.kind
		}
	}
	return len(entries), kinds, nil
}

// ReportMachines implements licet.InventoryService: a machine's agent reports its own state
// with a tenant token (or the operator's, naming the tenant).
func (s *Service) ReportMachines(ctx context.Context, r licet.MachineReport) (*licet.ReportResult, error) {
	a := licet.ActorFrom(ctx)
	if !a.IsOperator() && a.Role != licet.RoleTenant {
		return nil, licet.Errorf(licet.EForbidden, "only the operator and tenant tokens may report machines")
	}
	if err := CheckReport(r); err != nil {
		return nil, err
	}
	if r.Tenant == "" {
		r.Tenant = a.Tenant
	}
	var n int
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := tenancy.Lookup(ctx, tx, r.Tenant)
		if err != nil {
			return err
		}
		n, _, err = s.record(ctx, tx, t.ID, licet.MethodAgent, "", r.Machines)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &licet.ReportResult{Recorded: n}, nil
}

// ReportKMSClients implements licet.KMSReportService. The signature is the host's Ed25519
// signature (standard base64) over the body, with the key the host was certified with; the
// clients are recorded for the tenant of the host's kms-host key. Recording is idempotent: a
// report sent twice, or older than what is recorded, changes nothing.
func (s *Service) ReportKMSClients(ctx context.Context, body []byte, signature string) (*licet.ReportResult, error) {
	r, err := ParseReport(body)
	if err != nil {
		return nil, err
	}
	if !licet.ValidKMSHostID(r.HostID) {
		return nil, licet.Errorf(licet.EInvalid, "hostId %q is invalid", r.HostID).With("field", "hostId")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, licet.Errorf(licet.CodeReportSignatureInvalid, "the report's signature is missing or malformed: send the host's Ed25519 signature of the body, base64, in the Licet-Signature header")
	}
	var n int
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		hosts, err := store.Pairs[string, int64](ctx, tx, `SELECT h.host_key, k.tenant_id FROM kms_hosts h JOIN product_keys k ON k.id = h.key_id WHERE h.host_id = ? AND k.tenant_id IS NOT NULL ORDER BY h.last_activated_at DESC`, r.HostID)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			hostKey, tenant := h.A, h.B
			pub, err := base64.StdEncoding.DecodeString(hostKey)
			if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, body, sig) {
				continue
			}
			var kinds map[string]licet.ProductKind
			if n, kinds, err = s.record(ctx, tx, tenant, licet.MethodKMS, r.HostID, r.Machines); err != nil {
				return err
			}
			return countEvents(ctx, tx, tenant, r.HostID, s.Now(), kinds)
		}
		return licet.Errorf(licet.CodeReportSignatureInvalid, "the report is not signed by a certified KMS host %s: activate the host first (`licet kms activate`), and sign with its host key", r.HostID)
	})
	if err != nil {
		return nil, err
	}
	return &licet.ReportResult{Recorded: n}, nil
}
