package kms

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/ticket"
)

// Status is what `licet kms status` shows: the host, its certificate, the count of each pool
// against the thresholds, the request counters and the clients seen most recently.
type Status struct {
	HostID    string     `json:"hostId"`
	Activated bool       `json:"activated"`
	Tenant    string     `json:"tenant,omitempty"`
	Group     uint16     `json:"group,omitempty"`
	Covers    []uint16   `json:"covers,omitempty"`
	ExpiresAt *time.Time `json:"certificateExpiresAt,omitempty"`
	// SigningKey is the id of the operator key that signed the certificate.
	SigningKey uint32 `json:"signingKey,omitempty"`
	// CertificateExpired is true once the certificate has expired; CertificateError says why
	// the host cannot serve with its certificate (expired, or refused).
	CertificateExpired bool   `json:"certificateExpired"`
	CertificateError   string `json:"certificateError,omitempty"`
	// OperatorKeys are the operator keys the host trusts; Renewal is its certificate renewal.
	OperatorKeys []ticket.OperatorKey `json:"operatorKeys,omitempty"`
	Renewal      *Renewal             `json:"renewal,omitempty"`
	Products     []licet.KMSProduct   `json:"products"`
	Config       StatusConfig         `json:"config"`
	Pools        []PoolStatus         `json:"pools"`
	Requests     RequestCounts        `json:"requests"`
	Clients      []ClientStatus       `json:"clients"`
	ClientTotal  int                  `json:"clientRows"` // rows in the client table
}

// StatusConfig is the configuration the host last started with.
type StatusConfig struct {
	RenewInterval   string                `json:"renewInterval"`
	RetryInterval   string                `json:"retryInterval"`
	Thresholds      Thresholds            `json:"thresholds"`
	GroupThresholds map[uint16]Thresholds `json:"groupThresholds,omitempty"`
	MaxTracked      int                   `json:"maxTracked"`
}

// PoolStatus is one pool's count and the thresholds that apply to it.
type PoolStatus struct {
	Pool       string                    `json:"pool"`
	Count      int                       `json:"count"`
	Thresholds map[licet.ProductKind]int `json:"thresholds"` // by product kind
}

// RequestCounts are the host's request counters since it was first started.
type RequestCounts struct {
	Total   int64            `json:"total"`
	Failed  int64            `json:"failed"`
	ByState map[string]int64 `json:"byLicenseState"`
}

// ClientStatus is one line of the client table.
type ClientStatus struct {
	MachineID     string     `json:"machineId"`
	Hostname      string     `json:"hostname,omitempty"`
	Product       string     `json:"product"`
	Pool          string     `json:"pool"`
	State         string     `json:"licenseState"`
	Activated     bool       `json:"activated"`
	LastSeen      time.Time  `json:"lastSeen"`
	LastRenewalAt *time.Time `json:"lastRenewalAt,omitempty"`
}

// ReadStatus reads a host's status from its state directory (the host may be running). It lists
// the limit clients seen most recently.
func ReadStatus(ctx context.Context, stateDir string, now time.Time, limit int) (*Status, error) {
	if _, err := os.Stat(filepath.Join(stateDir, StateFile)); err != nil {
		return nil, licet.Errorf(licet.ENotFound, "no KMS host state in %s: give the host's --state-dir", stateDir)
	}
	st, err := openState(ctx, stateDir)
	if err != nil {
		return nil, err
	}
	defer st.close()
	s := &Status{Products: []licet.KMSProduct{}, Clients: []ClientStatus{}}
	if s.HostID, err = st.get(ctx, "host_id"); err != nil {
		return nil, err
	}
	if raw, _ := st.get(ctx, "config"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &s.Config)
	}
	if s.Config.Thresholds == (Thresholds{}) {
		s.Config.Thresholds = DefaultThresholds
	}
	if signed, _ := st.get(ctx, "certificate"); signed != "" {
		trusted, err := st.trust(ctx)
		if err != nil {
			s.CertificateError = err.Error()
		}
		t, err := ticket.ParseWith(trusted, signed)
		switch {
		case err == nil:
			s.Activated, s.Tenant, s.Group, s.Covers, s.ExpiresAt, s.SigningKey = true, t.Tenant, t.Group, t.Covers, t.ExpiresAt, max(t.SigningKey, 1)
			if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
				s.CertificateExpired = true
				s.CertificateError = fmt.Sprintf("the host certificate expired on %s: the host refuses every client; re-activate it with licet kms activate --key KMS-HOST-KEY (free for the same host)", t.ExpiresAt.Format(time.DateOnly))
			}
		case s.CertificateError == "":
			s.CertificateError = "the installed certificate is refused: " + err.Error()
		}
		if keys, err := st.trust(ctx); err == nil {
			s.OperatorKeys = keys.Keys
		}
		s.Renewal, _ = st.renewal(ctx)
		if raw, _ := st.get(ctx, "products"); raw != "" {
			_ = json.Unmarshal([]byte(raw), &s.Products)
		}
	}
	t := s.Config.Thresholds
	for _, p := range []PoolStatus{
		{Pool: kmsclient.PoolSystems, Thresholds: map[licet.ProductKind]int{licet.ProductClient: t.Client, licet.ProductServer: t.Server}},
		{Pool: kmsclient.PoolApplications, Thresholds: map[licet.ProductKind]int{licet.ProductApplication: t.Application}},
	} {
		if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE pool = ? AND last_seen > ?`, p.Pool, now.Add(-Window).UnixMilli()).Scan(&p.Count); err != nil {
			return nil, err
		}
		s.Pools = append(s.Pools, p)
	}
	counters, err := st.counters(ctx)
	if err != nil {
		return nil, err
	}
	s.Requests = RequestCounts{Total: counters[counterTotal], Failed: counters[counterFailed], ByState: map[string]int64{}}
	for _, state := range kmsclient.States {
		s.Requests.ByState[state] = counters[counterState+state]
	}
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM clients`).Scan(&s.ClientTotal); err != nil {
		return nil, err
	}
	rows, err := st.db.QueryContext(ctx, `SELECT machine_id, hostname, product, pool, state, activated, last_seen, last_activated FROM clients ORDER BY last_seen DESC, machine_id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c ClientStatus
		var seen, renewed int64
		if err := rows.Scan(&c.MachineID, &c.Hostname, &c.Product, &c.Pool, &c.State, &c.Activated, &seen, &renewed); err != nil {
			return nil, err
		}
		c.LastSeen = time.UnixMilli(seen).UTC()
		if renewed > 0 {
			r := time.UnixMilli(renewed).UTC()
			c.LastRenewalAt = &r
		}
		s.Clients = append(s.Clients, c)
	}
	return s, rows.Err()
}
