package activation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

var _ licet.MAKRequestService = (*Service)(nil)

// MaxPromotionalSystems bounds the systems of one promotional MAK request.
const MaxPromotionalSystems = 100_000

// CheckMAKRequest checks and normalises every field of a request (the phone becomes "+" and
// digits). It needs no database.
func CheckMAKRequest(r *licet.MAKRequest) error {
	for _, f := range []struct {
		field string
		v     *string
		max   int
	}{
		{"company", &r.Company, 200}, {"contactName", &r.ContactName, 200}, {"tamName", &r.TAMName, 200},
	} {
		*f.v = strings.TrimSpace(*f.v)
		if err := printable(f.field, *f.v, f.max, false); err != nil {
			return err
		}
		if *f.v == "" && f.field != "tamName" {
			return licet.Errorf(licet.EInvalid, "%s is required", f.field).With("field", f.field)
		}
	}
	if err := checkEmail("contactEmail", &r.ContactEmail, true); err != nil {
		return err
	}
	if err := checkEmail("tamEmail", &r.TAMEmail, false); err != nil {
		return err
	}
	if (r.TAMName == "") != (r.TAMEmail == "") {
		return licet.Errorf(licet.EInvalid, "give both the technical account manager's name and email, or neither").With("field", "tamEmail")
	}
	phone, err := normalisePhone(r.ContactPhone)
	if err != nil {
		return err
	}
	r.ContactPhone = phone
	if r.Systems < 1 || r.Systems > MaxPromotionalSystems {
		return licet.Errorf(licet.EInvalid, "systems must be from 1 to %d, the number of systems deployed", MaxPromotionalSystems).With("field", "systems")
	}
	d, err := time.Parse(time.DateOnly, r.DeploymentDate)
	if err != nil || d.Year() < 2000 || d.Year() > 2199 {
		return licet.Errorf(licet.EInvalid, "deploymentDate %q is not a date: use YYYY-MM-DD (2000 to 2199)", r.DeploymentDate).With("field", "deploymentDate")
	}
	if len(r.Group) > 63 {
		return licet.Errorf(licet.EInvalid, "group is longer than 63 characters").With("field", "group")
	}
	return nil
}

// checkEmail checks an address: a bare address (no display name), at most 254 characters, with
// a dot in its domain.
func checkEmail(field string, v *string, required bool) error {
	*v = strings.TrimSpace(*v)
	if *v == "" {
		if required {
			return licet.Errorf(licet.EInvalid, "%s is required", field).With("field", field)
		}
		return nil
	}
	a, err := mail.ParseAddress(*v)
	_, domain, _ := strings.Cut(*v, "@")
	if err != nil || a.Address != *v || len(*v) > 254 || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return licet.Errorf(licet.EInvalid, "%s %q is not an email address: write it as name@example.com", field, *v).With("field", field)
	}
	return nil
}

// phoneSeparators may appear between the digits of a phone number.
var phoneSeparators = regexp.MustCompile(`[ .\-()/]`)

// normalisePhone accepts an international number: "+", the country code and the number, with
// spaces, dots, dashes, slashes or parentheses between digits; 8 to 15 digits in all (E.164).
func normalisePhone(v string) (string, error) {
	bad := licet.Errorf(licet.EInvalid, "contactPhone %q is not an international phone number: write + and the country code, e.g. +44 20 7946 0958 (8 to 15 digits)", v).With("field", "contactPhone")
	v = strings.TrimSpace(v)
	if len(v) > 32 || !strings.HasPrefix(v, "+") {
		return "", bad
	}
	digits := phoneSeparators.ReplaceAllString(v[1:], "")
	if len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
		return "", bad
	}
	for _, r := range digits {
		if !unicode.IsDigit(r) || r > '9' {
			return "", bad
		}
	}
	return "+" + digits, nil
}

// partnerScope returns the partner whose requests the actor may see ("" for the operator), or
// EForbidden.
func partnerScope(ctx context.Context) (string, error) {
	a := licet.ActorFrom(ctx)
	switch {
	case a.IsOperator():
		return "", nil
	case a.Role == licet.RolePartner && a.Partner != "":
		return a.Partner, nil
	}
	return "", licet.Errorf(licet.EForbidden, "only partners and the operator handle promotional MAK requests")
}

// SubmitMAKRequest records a partner's request.
func (s *Service) SubmitMAKRequest(ctx context.Context, r licet.MAKRequest) (*licet.MAKRequest, error) {
	partner, err := partnerScope(ctx)
	if err != nil {
		return nil, err
	}
	if partner == "" {
		if err := checkText("partner", r.Partner, 100); err != nil {
			return nil, err
		}
		partner = r.Partner
	} else if r.Partner != "" && r.Partner != partner {
		return nil, licet.Errorf(licet.EForbidden, "a partner token submits requests for its own partner %q only", partner)
	}
	if err := CheckMAKRequest(&r); err != nil {
		return nil, err
	}
	now := s.nowTime()
	var id int64
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var group any
		if r.Group != "" {
			g, _, err := lookupGroup(ctx, tx, r.Group)
			if err != nil {
				return err
			}
			group = int64(g)
		}
		id, err = tx.Insert(ctx, `INSERT INTO mak_requests (partner, company, contact_name, contact_email, contact_phone, systems, deployment_date, tam_name, tam_email, group_id, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, partner, r.Company, r.ContactName, r.ContactEmail, r.ContactPhone, r.Systems, r.DeploymentDate,
			r.TAMName, r.TAMEmail, group, licet.MAKRequestPending, store.Millis(now))
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "makrequest.submit", Object: fmt.Sprintf("makrequest:%d", id),
			After: fmt.Sprintf("%s, %d systems", r.Company, r.Systems), Details: "partner " + partner})
	})
	if err != nil {
		return nil, err
	}
	return s.MAKRequest(ctx, id)
}

const makRequestColumns = `r.id, r.partner, r.company, r.contact_name, r.contact_email, r.contact_phone, r.systems, r.deployment_date, r.tam_name, r.tam_email,
	COALESCE(g.slug, ''), r.status, COALESCE(t.slug, ''), COALESCE(r.key_id, 0), COALESCE(k.key_enc, ''), r.reason, r.created_at, r.decided_at, r.tenant_id
	FROM mak_requests r LEFT JOIN product_groups g ON g.id = r.group_id LEFT JOIN tenants t ON t.id = r.tenant_id LEFT JOIN product_keys k ON k.id = r.key_id`

type makRow struct {
	licet.MAKRequest
	sealed   string
	tenantID int64
}

func scanMAKRequest(sc store.Scanner) (makRow, error) {
	var r makRow
	var created int64
	var decided, tenantID sql.NullInt64
	err := sc.Scan(&r.ID, &r.Partner, &r.Company, &r.ContactName, &r.ContactEmail, &r.ContactPhone, &r.Systems, &r.DeploymentDate, &r.TAMName, &r.TAMEmail,
		&r.Group, &r.Status, &r.Tenant, &r.KeyID, &r.sealed, &r.Reason, &created, &decided, &tenantID)
	r.CreatedAt, r.tenantID = store.Time(created), tenantID.Int64
	if decided.Valid {
		t := store.Time(decided.Int64)
		r.DecidedAt = &t
	}
	return r, err
}

// open reveals the request's MAK, if it has one.
func (s *Service) openRequest(r makRow) (licet.MAKRequest, error) {
	if r.sealed != "" {
		key, err := s.sealer.Open(r.sealed)
		if err != nil {
			return r.MAKRequest, fmt.Errorf("mak request %d: %w", r.ID, err)
		}
		r.Key = key
	}
	return r.MAKRequest, nil
}

// MAKRequests lists the requests the caller may see, newest first.
func (s *Service) MAKRequests(ctx context.Context, status string) ([]licet.MAKRequest, error) {
	partner, err := partnerScope(ctx)
	if err != nil {
		return nil, err
	}
	q, args := ` WHERE 1 = 1`, []any{}
	if status != "" {
		if err := oneOf("status", status, []string{string(licet.MAKRequestPending), string(licet.MAKRequestApproved), string(licet.MAKRequestRejected)}); err != nil {
			return nil, err
		}
		q, args = q+` AND r.status = ?`, append(args, status)
	}
	if partner != "" {
		q, args = q+` AND r.partner = ?`, append(args, partner)
	}
	var out []licet.MAKRequest
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := store.Collect(ctx, tx, scanMAKRequest, `SELECT `+makRequestColumns+q+` ORDER BY r.id DESC`, args...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			m, err := s.openRequest(r)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// readMAKRequest reads a request the actor may see; another partner's is not found.
func readMAKRequest(ctx context.Context, tx *store.Tx, id int64) (makRow, error) {
	partner, err := partnerScope(ctx)
	if err != nil {
		return makRow{}, err
	}
	r, err := scanMAKRequest(tx.QueryRow(ctx, `SELECT `+makRequestColumns+` WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && partner != "" && r.Partner != partner) {
		return r, licet.Errorf(licet.ENotFound, "MAK request %d not found (see `licet mak-request list`)", id)
	}
	return r, err
}

// MAKRequest returns one request.
func (s *Service) MAKRequest(ctx context.Context, id int64) (*licet.MAKRequest, error) {
	var out licet.MAKRequest
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		r, err := readMAKRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.openRequest(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// TenantSlug derives a tenant slug from a company name: lowercase letters and digits, other
// characters folded into single dashes, at most 63 characters.
func TenantSlug(company string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(company) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 63 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// ApproveMAKRequest creates the tenant if needed and issues the promotional MAK.
func (s *Service) ApproveMAKRequest(ctx context.Context, id int64, a licet.MAKApproval) (*licet.MAKRequest, error) {
	if err := operatorOnly(ctx, "approve MAK requests"); err != nil {
		return nil, err
	}
	now := s.nowTime()
	err := s.decide(ctx, id, now, func(tx *store.Tx, r makRow) error {
		slug := a.Tenant
		if slug == "" {
			slug = TenantSlug(r.Company)
		}
		if err := tenancy.CheckSlug(slug); err != nil {
			return licet.Errorf(licet.EInvalid, "the tenant slug %q made from the company name is not valid: name the tenant with --tenant", slug).With("field", "tenant")
		}
		group := a.Group
		if group == "" {
			group = r.Group
		}
		if group == "" {
			return licet.Errorf(licet.EInvalid, "the request names no product group: give the product group of the MAK with --product-group (see `licet product group list`)").With("field", "group")
		}
		g, groupSlug, err := lookupGroup(ctx, tx, group)
		if err != nil {
			return err
		}
		t, err := tenancy.Lookup(ctx, tx, slug)
		if licet.ErrorCode(err) == licet.ENotFound {
			t, err = tenancy.Insert(ctx, tx, licet.Tenant{Slug: slug, Name: r.Company}, now)
		}
		if err != nil {
			return err
		}
		k, err := keys.New(keys.MAK, g, nil)
		if err != nil {
			return err
		}
		key, err := s.insertKey(ctx, tx, k, t.ID, t.Slug, 0, "", groupSlug, r.Systems, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE mak_requests SET status = ?, tenant_id = ?, key_id = ?, group_id = ?, decided_at = ? WHERE id = ?`,
			licet.MAKRequestApproved, t.ID, key.ID, int64(g), store.Millis(now), r.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: t.ID, Action: "makrequest.approve", Object: fmt.Sprintf("makrequest:%d", r.ID),
			Before: string(r.Status), After: string(licet.MAKRequestApproved), Details: fmt.Sprintf("key:%d limit %d, partner %s", key.ID, r.Systems, r.Partner)})
	})
	if err != nil {
		return nil, err
	}
	return s.MAKRequest(ctx, id)
}

// RejectMAKRequest rejects a pending request.
func (s *Service) RejectMAKRequest(ctx context.Context, id int64, reason string) (*licet.MAKRequest, error) {
	if err := operatorOnly(ctx, "reject MAK requests"); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, 500); err != nil {
		return nil, err
	}
	if err := printable("reason", reason, 500, false); err != nil {
		return nil, err
	}
	now := s.nowTime()
	err := s.decide(ctx, id, now, func(tx *store.Tx, r makRow) error {
		if _, err := tx.Exec(ctx, `UPDATE mak_requests SET status = ?, reason = ?, decided_at = ? WHERE id = ?`,
			licet.MAKRequestRejected, reason, store.Millis(now), r.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "makrequest.reject", Object: fmt.Sprintf("makrequest:%d", r.ID),
			Before: string(r.Status), After: string(licet.MAKRequestRejected), Details: reason})
	})
	if err != nil {
		return nil, err
	}
	return s.MAKRequest(ctx, id)
}

// decide reads a pending request and applies a decision to it in one transaction; a request
// decided meanwhile (by another operator or process) is a conflict.
func (s *Service) decide(ctx context.Context, id int64, now time.Time, apply func(*store.Tx, makRow) error) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		r, err := readMAKRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != licet.MAKRequestPending {
			return licet.Errorf(licet.EConflict, "MAK request %d was already %s", id, r.Status).With("status", r.Status)
		}
		// Claim the request first: on PostgreSQL a concurrent decision waits here and then
		// finds it decided.
		n, err := tx.Exec(ctx, `UPDATE mak_requests SET decided_at = ? WHERE id = ? AND status = ?`, store.Millis(now), id, licet.MAKRequestPending)
		if err != nil {
			return err
		}
		if n == 0 {
			return licet.Errorf(licet.EConflict, "MAK request %d was decided meanwhile", id)
		}
		return apply(tx, r)
	})
}
