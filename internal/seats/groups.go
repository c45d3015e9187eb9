package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

func checkGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "/\x00") {
		return "", licet.Errorf(licet.EInvalid, "group name %q is invalid: use 1 to 256 characters, without /", listfile.Clip(name)).With("field", "name")
	}
	return name, nil
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, tenant string, g licet.Group) (*licet.Group, error) {
	name, err := checkGroupName(g.Name)
	if err != nil {
		return nil, err
	}
	g.Name, g.Description = name, strings.TrimSpace(g.Description)
	if len(g.Description) > 1024 {
		return nil, licet.Errorf(licet.EInvalid, "description is longer than 1024 characters").With("field", "description")
	}
	now := s.now()
	err = s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		id, err := tx.Insert(ctx, `INSERT INTO user_groups (tenant_id, name, description, created_at) VALUES (?, ?, ?, ?)`, t.ID, g.Name, g.Description, now)
		if store.IsUnique(err) {
			return licet.Errorf(licet.EConflict, "group %q already exists in tenant %s", g.Name, t.Slug)
		}
		if err != nil {
			return err
		}
		g.ID, g.Members, g.CreatedAt, g.MemberUPNs = id, 0, store.Time(now), nil
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "group.create", Object: "group:" + g.Name, After: fmt.Sprint(id)})
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// Groups lists the tenant's groups by name, with their member counts.
func (s *Service) Groups(ctx context.Context, tenant string) ([]licet.Group, error) {
	var out []licet.Group
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT g.id, g.name, g.description, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id),
			(SELECT count(DISTINCT a.user_id) FROM assignments a WHERE a.group_id = g.id AND a.state = 'Error')
			FROM user_groups g WHERE g.tenant_id = ? ORDER BY g.name`, t.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g licet.Group
			var created int64
			if err := rows.Scan(&g.ID, &g.Name, &g.Description, &created, &g.Members, &g.MemberErrors); err != nil {
				return err
			}
			g.CreatedAt = store.Time(created)
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}

// groupByName reads a group of the tenant with its licenses and its members' UPNs and states.
func groupByName(ctx context.Context, tx *store.Tx, t licet.Tenant, name string) (licet.Group, error) {
	var g licet.Group
	var created int64
	err := tx.QueryRow(ctx, `SELECT id, name, description, created_at FROM user_groups WHERE tenant_id = ? AND name = ?`, t.ID, strings.TrimSpace(name)).
		Scan(&g.ID, &g.Name, &g.Description, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return g, licet.Errorf(licet.ENotFound, "group %q not found in tenant %s (see `licet group list`)", name, t.Slug)
	}
	if err != nil {
		return g, err
	}
	g.CreatedAt = store.Time(created)
	set, err := groupLicenses(ctx, tx, g.ID)
	if err != nil {
		return g, err
	}
	for _, a := range set {
		g.Licenses = append(g.Licenses, licet.LicenseAdd{SKU: a.SKU, DisabledPlans: append([]string{}, a.DisabledPlans...)})
	}
	// One row per member: its state is the state of its rows of the group (they share it).
	rows, err := tx.Query(ctx, `SELECT u.upn, COALESCE(MIN(a.state), ''), COALESCE(MIN(a.error_code), ''), COALESCE(MIN(a.error_message), '')
		FROM group_members m JOIN users u ON u.id = m.user_id LEFT JOIN assignments a ON a.group_id = m.group_id AND a.user_id = m.user_id
		WHERE m.group_id = ? GROUP BY u.upn ORDER BY u.upn`, g.ID)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	g.MemberUPNs, g.MemberStates = []string{}, []licet.MemberState{}
	for rows.Next() {
		var m licet.MemberState
		var code, msg string
		if err := rows.Scan(&m.UPN, &m.State, &code, &msg); err != nil {
			return g, err
		}
		if code != "" {
			m.Error = &licet.Error{Code: code, Message: msg}
			g.MemberErrors++
		}
		g.MemberUPNs = append(g.MemberUPNs, m.UPN)
		g.MemberStates = append(g.MemberStates, m)
	}
	g.Members = len(g.MemberUPNs)
	return g, rows.Err()
}

// Group returns a group with its members.
func (s *Service) Group(ctx context.Context, tenant, name string) (*licet.Group, error) {
	return readTenant(ctx, s, tenant, func(tx *store.Tx, t licet.Tenant) (licet.Group, error) {
		return groupByName(ctx, tx, t, name)
	})
}

// AddMembers adds users to a group, all of them or (when one does not exist) none, and applies
// the group's licenses to the new members: a member they cannot be applied to is in Error.
func (s *Service) AddMembers(ctx context.Context, tenant, group string, upns []string) (*licet.Group, error) {
	if len(upns) == 0 || len(upns) > MaxBatch {
		return nil, licet.Errorf(licet.EInvalid, "give 1 to %d users to add", MaxBatch).With("field", "users")
	}
	cat := (*catalog.Catalog)(nil)
	if s.Catalog != nil {
		cat = s.Catalog()
	}
	var g licet.Group
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		gt, err := s.beginGroup(ctx, tx, cat, tenant, group)
		if err != nil {
			return err
		}
		var added []string
		var ids []int64
		for _, upn := range upns {
			u, err := userByUPN(ctx, tx, gt.t, upn)
			if err != nil {
				return err
			}
			n, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING`, gt.g.ID, u.ID, gt.now)
			if err != nil {
				return err
			}
			if n > 0 {
				added = append(added, u.UPN)
				ids = append(ids, u.ID)
			}
		}
		if len(added) == 0 {
			g = gt.g
			return nil
		}
		if err := audit.Write(ctx, tx, gt.now, audit.Record{TenantID: gt.t.ID, Action: "group.add", Object: "group:" + gt.g.Name,
			After: fmt.Sprintf("%d members added", len(added)), Details: strings.Join(added, " ")}); err != nil {
			return err
		}
		if len(gt.set) == 0 {
			g, err = groupByName(ctx, tx, gt.t, gt.g.Name)
			return err
		}
		if cat == nil {
			return licet.Errorf(licet.EUnavailable, "no SKU catalog is loaded to apply the group's licenses: apply one with licet catalog apply FILE")
		}
		members, err := holdersByID(ctx, tx, ids)
		if err != nil {
			return err
		}
		res, err := gt.apply(ctx, members, "group.license", "")
		if err != nil {
			return err
		}
		g = res.Group
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// RemoveMember removes a user from a group, with the licenses the group gave it.
func (s *Service) RemoveMember(ctx context.Context, tenant, group, upn string) error {
	cat := (*catalog.Catalog)(nil)
	if s.Catalog != nil {
		cat = s.Catalog()
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		gt, err := s.beginGroup(ctx, tx, cat, tenant, group)
		if err != nil {
			return err
		}
		u, err := userByUPN(ctx, tx, gt.t, upn)
		if err != nil {
			return err
		}
		members, err := holdersByID(ctx, tx, []int64{u.ID})
		if err != nil {
			return err
		}
		if len(members[0].Inherited) > 0 && slices.ContainsFunc(members[0].Inherited, func(in Inherited) bool { return in.Group == gt.g.ID }) {
			if cat == nil {
				return licet.Errorf(licet.EUnavailable, "no SKU catalog is loaded to remove the group's licenses: apply one with licet catalog apply FILE")
			}
			gt.set = nil // the member leaves: the group gives it nothing
			if _, err := gt.apply(ctx, members, "group.license", ""); err != nil {
				return err
			}
		}
		n, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, gt.g.ID, u.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return licet.Errorf(licet.ENotFound, "%s is not a member of group %q", u.UPN, gt.g.Name)
		}
		return audit.Write(ctx, tx, gt.now, audit.Record{TenantID: gt.t.ID, Action: "group.remove", Object: "group:" + gt.g.Name, Before: u.UPN})
	})
}
