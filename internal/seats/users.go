package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

// MaxBatch bounds the users of one import or assignment request.
const MaxBatch = 500_000

// checkUser normalises a user for creation; usage location defaults to the tenant's.
func checkUser(u licet.User, t licet.Tenant) (licet.User, error) {
	upn, err := listfile.NormalizeUPN(u.UPN)
	if err != nil {
		return u, err
	}
	u.UPN = upn
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if len(u.DisplayName) > 256 {
		return u, licet.Errorf(licet.EInvalid, "display name of %s is longer than 256 characters", upn).With("field", "displayName")
	}
	if u.Kind == "" {
		u.Kind = licet.UserPerson
	}
	if u.Kind != licet.UserPerson && u.Kind != licet.UserRoom {
		return u, licet.Errorf(licet.EInvalid, "kind %q of %s is neither person nor room", u.Kind, upn).With("field", "kind")
	}
	u.UsageLocation = strings.ToUpper(strings.TrimSpace(u.UsageLocation))
	if u.UsageLocation == "" {
		u.UsageLocation = t.UsageLocation
	}
	if u.UsageLocation != "" {
		if err := licet.CheckCountry("usage location", u.UsageLocation); err != nil {
			return u, err
		}
	}
	return u, nil
}

// CreateUser creates one user.
func (s *Service) CreateUser(ctx context.Context, tenant string, u licet.User) (*licet.User, error) {
	now := s.now()
	err := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if u, err = checkUser(u, t); err != nil {
			return err
		}
		id, err := tx.Insert(ctx, `INSERT INTO users (tenant_id, upn, display_name, usage_location, kind, onprem_pstn, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, u.UPN, u.DisplayName, u.UsageLocation, u.Kind, store.Bool(u.OnPremisesPSTN), now)
		if store.IsUnique(err) {
			return licet.Errorf(licet.EConflict, "user %s already exists in tenant %s", u.UPN, t.Slug).With("userPrincipalName", u.UPN)
		}
		if err != nil {
			return err
		}
		u.ID, u.CreatedAt = id, store.Time(now)
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "user.create", Object: "user:" + u.UPN, After: fmt.Sprint(id)})
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// importRows is how many users one INSERT statement of an import carries.
const importRows = 500

// ImportUsers creates many users in chunks; users that exist already are left as they are.
func (s *Service) ImportUsers(ctx context.Context, tenant string, users []licet.User) ([]licet.ImportResult, error) {
	if len(users) == 0 {
		return nil, licet.Errorf(licet.EInvalid, "no users to import").With("field", "users")
	}
	if len(users) > MaxBatch {
		return nil, licet.Errorf(licet.EInvalid, "%d users in one import is over the limit of %d: split the file", len(users), MaxBatch).With("field", "users")
	}
	var t licet.Tenant
	if err := s.DB.Read(ctx, func(tx *store.Tx) (err error) { t, err = lookup(ctx, tx, tenant); return err }); err != nil {
		return nil, err
	}
	results := make([]licet.ImportResult, len(users))
	users = append([]licet.User(nil), users...) // normalised below; the caller's slice stays as it was
	var valid []int                             // indexes of users to insert
	seen := map[string]int{}
	for i, u := range users {
		results[i].UPN = u.UPN
		cu, err := checkUser(u, t)
		if err != nil {
			results[i].Outcome, results[i].Error = licet.OutcomeFailed, licet.AsError(err)
			continue
		}
		if first, dup := seen[cu.UPN]; dup {
			results[i].Outcome = licet.OutcomeFailed
			results[i].Error = licet.Errorf(licet.EInvalid, "%s is listed twice (first at entry %d)", cu.UPN, first+1)
			continue
		}
		seen[cu.UPN] = i
		users[i], results[i].UPN = cu, cu.UPN
		valid = append(valid, i)
	}
	size := s.chunk()
	err := chunks(valid, size, func(part []int) error {
		now := s.now()
		return s.DB.Write(ctx, func(tx *store.Tx) error {
			if _, err := lookup(ctx, tx, tenant); err != nil {
				return err
			}
			created := map[string]bool{}
			err := chunks(part, importRows, func(rows []int) error {
				args := make([]any, 0, 7*len(rows))
				for _, i := range rows {
					u := users[i]
					args = append(args, t.ID, u.UPN, u.DisplayName, u.UsageLocation, u.Kind, store.Bool(u.OnPremisesPSTN), now)
				}
				q := `INSERT INTO users (tenant_id, upn, display_name, usage_location, kind, onprem_pstn, created_at) VALUES ` +
					strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(rows)), ", ") +
					` ON CONFLICT (tenant_id, upn) DO NOTHING RETURNING upn`
				r, err := tx.Query(ctx, q, args...)
				if err != nil {
					return err
				}
				defer r.Close()
				for r.Next() {
					var upn string
					if err := r.Scan(&upn); err != nil {
						return err
					}
					created[upn] = true
				}
				return r.Err()
			})
			if err != nil {
				return err
			}
			var names []string
			for _, i := range part {
				results[i].Outcome = licet.OutcomeExists
				if created[users[i].UPN] {
					results[i].Outcome = licet.OutcomeCreated
					names = append(names, users[i].UPN)
				}
			}
			if len(names) == 0 {
				return nil
			}
			return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "user.import", Object: "tenant:" + t.Slug,
				After: fmt.Sprintf("%d users created", len(names)), Details: strings.Join(names, " ")})
		})
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (s *Service) chunk() int {
	if s.ChunkSize > 0 {
		return s.ChunkSize
	}
	return DefaultChunk
}

const userColumns = `id, upn, display_name, usage_location, kind, onprem_pstn, created_at, conferencing_provider`

func scanUser(row store.Scanner) (licet.User, error) {
	var u licet.User
	var onprem int
	var created int64
	err := row.Scan(&u.ID, &u.UPN, &u.DisplayName, &u.UsageLocation, &u.Kind, &onprem, &created, &u.ConferencingProvider)
	u.OnPremisesPSTN, u.CreatedAt = onprem == 1, store.Time(created)
	return u, err
}

// maxSearch bounds the search text of Users.
const maxSearch = 256

// Users lists users ordered by UPN, a page at a time; with a search text, only those whose UPN
// or display name contains it (ignoring case).
func (s *Service) Users(ctx context.Context, tenant string, f licet.UserFilter) ([]licet.User, error) {
	var err error
	if f.Limit, err = licet.PageLimit(f.Limit, licet.DefaultUserLimit, licet.MaxUserLimit); err != nil {
		return nil, err
	}
	search := strings.ToLower(strings.TrimSpace(f.Search))
	if len(search) > maxSearch {
		return nil, licet.Errorf(licet.EInvalid, "the search text is longer than %d characters", maxSearch).With("field", "search")
	}
	q, args := `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND upn > ?`, []any{strings.ToLower(f.After)}
	if search != "" {
		pattern := "%" + store.LikeEscape(search) + "%"
		q += ` AND (upn LIKE ? ESCAPE '!' OR LOWER(display_name) LIKE ? ESCAPE '!')`
		args = append(args, pattern, pattern)
	}
	q += ` ORDER BY upn LIMIT ?`
	var out []licet.User
	err = s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		out, err = store.Collect(ctx, tx, scanUser, q, append(append([]any{t.ID}, args...), f.Limit)...)
		return err
	})
	return out, err
}

// userByUPN reads one user of a tenant.
func userByUPN(ctx context.Context, tx *store.Tx, t licet.Tenant, upn string) (licet.User, error) {
	norm, err := listfile.NormalizeUPN(upn)
	if err != nil {
		return licet.User{}, err
	}
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND upn = ?`, t.ID, norm))
	if errors.Is(err, sql.ErrNoRows) {
		return u, licet.Errorf(licet.ENotFound, "user %s not found in tenant %s", norm, t.Slug).With("userPrincipalName", norm)
	}
	return u, err
}

// User returns a user with its licenses (one entry per SKU and source, with its state), each
// service plan's provisioning status, its groups, its phone number and conferencing provider.
func (s *Service) User(ctx context.Context, tenant, upn string) (*licet.User, error) {
	cat := (*catalog.Catalog)(nil)
	if s.Catalog != nil {
		cat = s.Catalog()
	}
	var u licet.User
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if u, err = userByUPN(ctx, tx, t, upn); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT a.sku, a.disabled_plans, COALESCE(g.name, ''), a.state, a.error_code, a.error_message
			FROM assignments a LEFT JOIN user_groups g ON g.id = a.group_id
			WHERE a.user_id = ? ORDER BY a.sku, a.group_id IS NOT NULL, g.name`, u.ID)
		if err != nil {
			return err
		}
		active := map[string]bool{} // SKUs that apply through at least one source
		for rows.Next() {
			var l licet.License
			var disabled, code, msg string
			if err := rows.Scan(&l.SKU, &disabled, &l.AssignedByGroup, &l.State, &code, &msg); err != nil {
				rows.Close()
				return err
			}
			l.DisabledPlans = append([]string{}, splitPlans(disabled)...)
			if code != "" {
				l.Error = &licet.Error{Code: code, Message: msg}
			}
			if l.State == licet.StateActive {
				active[l.SKU] = true
			}
			l.ServicePlans = planStatuses(cat, l)
			u.Licenses = append(u.Licenses, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, l := range u.Licenses {
			if l.State == licet.StateError && active[l.SKU] {
				u.Licenses[i].State = licet.StateActiveWithError
			}
		}
		rows, err = tx.Query(ctx, `SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.name`, u.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return err
			}
			u.Groups = append(u.Groups, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MIN(number), '') FROM phone_numbers WHERE user_id = ?`, u.ID).Scan(&u.PhoneNumber); err != nil {
			return err
		}
		if part := s.creditsSKU(s.loaded()); part != "" && active[part] {
			var out int
			err := tx.QueryRow(ctx, `SELECT out_of_funds FROM credit_accounts WHERE tenant_id = ?`, t.ID).Scan(&out)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			default:
				u.PaidCallingBlocked = out == 1
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// planStatuses lists a license's service plans with their provisioning status, from the catalog:
// Success, Disabled, or Error for every plan of a license in Error.
func planStatuses(cat *catalog.Catalog, l licet.License) []licet.PlanStatus {
	out := []licet.PlanStatus{}
	if cat == nil {
		return out
	}
	states, ok := cat.PlanStates(catalog.Assigned{SKU: l.SKU, DisabledPlans: l.DisabledPlans})
	if !ok {
		return out
	}
	for _, st := range states {
		status := "Success"
		switch {
		case st.Disabled:
			status = "Disabled"
		case l.State != licet.StateActive:
			status = "Error"
		}
		out = append(out, licet.PlanStatus{Plan: st.Plan, Name: st.Name, ProvisioningStatus: status})
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
