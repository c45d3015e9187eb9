package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/store"
)

func checkGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "/\x00") {
		return "", licet.Errorf(licet.EInvalid, "group name %q is invalid: use 1 to 256 characters, without /", clip(name)).With("field", "name")
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
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
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
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		out = nil
		t, err := lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT g.id, g.name, g.description, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)
			FROM user_groups g WHERE g.tenant_id = ? ORDER BY g.name`, t.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g licet.Group
			var created int64
			if err := rows.Scan(&g.ID, &g.Name, &g.Description, &created, &g.Members); err != nil {
				return err
			}
			g.CreatedAt = store.Time(created)
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}

// groupByName reads a group of the tenant with its members' UPNs.
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
	rows, err := tx.Query(ctx, `SELECT u.upn FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.upn`, g.ID)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	g.MemberUPNs = []string{}
	for rows.Next() {
		var upn string
		if err := rows.Scan(&upn); err != nil {
			return g, err
		}
		g.MemberUPNs = append(g.MemberUPNs, upn)
	}
	g.Members = len(g.MemberUPNs)
	return g, rows.Err()
}

// Group returns a group with its members.
func (s *Service) Group(ctx context.Context, tenant, name string) (*licet.Group, error) {
	var g licet.Group
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		t, err := lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		g, err = groupByName(ctx, tx, t, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// AddMembers adds users to a group; all of them or, when one does not exist, none.
func (s *Service) AddMembers(ctx context.Context, tenant, group string, upns []string) (*licet.Group, error) {
	if len(upns) == 0 || len(upns) > MaxBatch {
		return nil, licet.Errorf(licet.EInvalid, "give 1 to %d users to add", MaxBatch)
	}
	var g licet.Group
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		if g, err = groupByName(ctx, tx, t, group); err != nil {
			return err
		}
		var added []string
		for _, upn := range upns {
			u, err := userByUPN(ctx, tx, t, upn)
			if err != nil {
				return err
			}
			n, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING`, g.ID, u.ID, now)
			if err != nil {
				return err
			}
			if n > 0 {
				added = append(added, u.UPN)
			}
		}
		if len(added) > 0 {
			if err := audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "group.add", Object: "group:" + g.Name,
				After: fmt.Sprintf("%d members added", len(added)), Details: strings.Join(added, " ")}); err != nil {
				return err
			}
		}
		g, err = groupByName(ctx, tx, t, group)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// RemoveMember removes a user from a group.
func (s *Service) RemoveMember(ctx context.Context, tenant, group, upn string) error {
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := lookup(ctx, tx, tenant)
		if err != nil {
			return err
		}
		g, err := groupByName(ctx, tx, t, group)
		if err != nil {
			return err
		}
		u, err := userByUPN(ctx, tx, t, upn)
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, g.ID, u.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return licet.Errorf(licet.ENotFound, "%s is not a member of group %q", u.UPN, g.Name)
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "group.remove", Object: "group:" + g.Name, Before: u.UPN})
	})
}
