package activation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// defaultPool is the pool of each product kind.
var defaultPool = map[licet.ProductKind]string{licet.ProductClient: "systems", licet.ProductServer: "servers", licet.ProductApplication: "applications"}

// CreateProductGroup creates a product group with the closure of the groups it covers.
func (s *Service) CreateProductGroup(ctx context.Context, g licet.ProductGroup) (*licet.ProductGroup, error) {
	if err := operatorOnly(ctx, "create product groups"); err != nil {
		return nil, err
	}
	g.Name = strings.TrimSpace(g.Name)
	if g.ID == 0 {
		return nil, licet.Errorf(licet.EInvalid, "a product group needs a number from 1 to 65535 (it is encoded in its keys)").With("field", "id")
	}
	if err := tenancy.CheckSlug(g.Slug); err != nil {
		return nil, err
	}
	if err := checkText("name", g.Name, 200); err != nil {
		return nil, err
	}
	now := s.nowTime()
	g.CreatedAt = now
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		covers := map[uint16]bool{g.ID: true}
		for _, c := range g.Covers {
			if c == g.ID {
				continue
			}
			closure, err := groupCovers(ctx, tx, c)
			if err != nil {
				return err
			}
			if len(closure) == 0 {
				return licet.Errorf(licet.ENotFound, "covered product group %d not found (see `licet product group list`)", c).With("group", c)
			}
			for _, id := range closure {
				covers[id] = true
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO product_groups (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, int64(g.ID), g.Slug, g.Name, store.Millis(now))
		if store.IsUnique(err) {
			return licet.Errorf(licet.EConflict, "product group %d or slug %q exists already", g.ID, g.Slug)
		}
		if err != nil {
			return err
		}
		g.Covers = g.Covers[:0]
		for id := range covers {
			g.Covers = append(g.Covers, id)
			if _, err := tx.Exec(ctx, `INSERT INTO product_group_covers (group_id, covered_id) VALUES (?, ?)`, int64(g.ID), int64(id)); err != nil {
				return err
			}
		}
		slices.Sort(g.Covers)
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "product_group.create", Object: fmt.Sprintf("product_group:%d", g.ID), After: g.Slug, Details: fmt.Sprint(g.Covers)})
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// groupCovers returns the groups a group covers (itself included), or nil when it does not exist.
func groupCovers(ctx context.Context, tx *store.Tx, id uint16) ([]uint16, error) {
	return store.Collect(ctx, tx, func(r store.Scanner) (uint16, error) {
		var v int64
		err := r.Scan(&v)
		return uint16(v), err
	}, `SELECT covered_id FROM product_group_covers WHERE group_id = ? ORDER BY covered_id`, int64(id))
}

// ProductGroups lists every product group with what it covers.
func (s *Service) ProductGroups(ctx context.Context) ([]licet.ProductGroup, error) {
	var out []licet.ProductGroup
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.Collect(ctx, tx, func(r store.Scanner) (licet.ProductGroup, error) {
			var g licet.ProductGroup
			var id, created int64
			err := r.Scan(&id, &g.Slug, &g.Name, &created)
			g.ID, g.CreatedAt = uint16(id), store.Time(created)
			return g, err
		}, `SELECT id, slug, name, created_at FROM product_groups ORDER BY id`)
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Covers, err = groupCovers(ctx, tx, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// lookupGroup finds a group by number or slug.
func lookupGroup(ctx context.Context, tx *store.Tx, ref string) (id uint16, slug string, err error) {
	var n int64
	if v, perr := strconv.ParseUint(ref, 10, 16); perr == nil {
		err = tx.QueryRow(ctx, `SELECT id, slug FROM product_groups WHERE id = ?`, int64(v)).Scan(&n, &slug)
	} else {
		err = tx.QueryRow(ctx, `SELECT id, slug FROM product_groups WHERE slug = ?`, ref).Scan(&n, &slug)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", licet.Errorf(licet.ENotFound, "product group %q not found (see `licet product group list`)", ref).With("group", ref)
	}
	return uint16(n), slug, err
}

// CreateProduct creates a product and generates its public kms-client key (GVLK).
func (s *Service) CreateProduct(ctx context.Context, p licet.Product) (*licet.Product, error) {
	if err := operatorOnly(ctx, "create products"); err != nil {
		return nil, err
	}
	p.Name, p.Version = strings.TrimSpace(p.Name), strings.TrimSpace(p.Version)
	if err := tenancy.CheckSlug(p.Slug); err != nil {
		return nil, err
	}
	if err := checkText("name", p.Name, 200); err != nil {
		return nil, err
	}
	if len(p.Version) > 50 {
		return nil, licet.Errorf(licet.EInvalid, "version is longer than 50 characters").With("field", "version")
	}
	if p.Kind == "" {
		return nil, licet.Errorf(licet.EInvalid, "kind is required: client, server or application").With("field", "kind")
	}
	if err := p.Kind.Check(); err != nil {
		return nil, err
	}
	if p.Pool == "" {
		p.Pool = defaultPool[p.Kind]
	}
	if err := oneOf("pool", p.Pool, licet.ProductPools); err != nil {
		return nil, err
	}
	groupRef := p.GroupSlug
	if p.Group != 0 {
		groupRef = strconv.Itoa(int(p.Group))
	}
	if groupRef == "" {
		return nil, licet.Errorf(licet.EInvalid, "a product needs its product group (number or slug)").With("field", "group")
	}
	now := s.nowTime()
	p.CreatedAt = now
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if p.Group, p.GroupSlug, err = lookupGroup(ctx, tx, groupRef); err != nil {
			return err
		}
		gvlk, err := keys.New(keys.KMSClient, p.Group, nil)
		if err != nil {
			return err
		}
		p.GVLK = gvlk.String()
		p.ID, err = tx.Insert(ctx, `INSERT INTO products (slug, name, version, kind, group_id, pool, gvlk, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Slug, p.Name, p.Version, p.Kind, int64(p.Group), p.Pool, p.GVLK, store.Millis(now))
		if store.IsUnique(err) {
			return licet.Errorf(licet.EConflict, "product %q exists already", p.Slug)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "product.create", Object: "product:" + p.Slug, After: fmt.Sprint(p.ID)})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

const productColumns = `p.id, p.slug, p.name, p.version, p.kind, p.group_id, g.slug, p.pool, p.gvlk, p.created_at`

func scanProduct(r store.Scanner) (licet.Product, error) {
	var p licet.Product
	var group, created int64
	err := r.Scan(&p.ID, &p.Slug, &p.Name, &p.Version, &p.Kind, &group, &p.GroupSlug, &p.Pool, &p.GVLK, &created)
	p.Group, p.CreatedAt = uint16(group), store.Time(created)
	return p, err
}

// Products lists every product.
func (s *Service) Products(ctx context.Context) ([]licet.Product, error) {
	var out []licet.Product
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = store.Collect(ctx, tx, scanProduct, `SELECT `+productColumns+` FROM products p JOIN product_groups g ON g.id = p.group_id ORDER BY p.slug`)
		return err
	})
	return out, err
}

// lookupProduct returns the product with the slug.
func lookupProduct(ctx context.Context, tx *store.Tx, slug string) (licet.Product, error) {
	p, err := scanProduct(tx.QueryRow(ctx, `SELECT `+productColumns+` FROM products p JOIN product_groups g ON g.id = p.group_id WHERE p.slug = ?`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return p, licet.Errorf(licet.ENotFound, "product %q not found (see `licet product list`)", slug).With("product", slug)
	}
	return p, err
}

// GVLKs lists the public kms-client key of every product.
func (s *Service) GVLKs(ctx context.Context) ([]licet.GVLK, error) {
	ps, err := s.Products(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]licet.GVLK, 0, len(ps))
	for _, p := range ps {
		out = append(out, licet.GVLK{Product: p.Slug, Name: p.Name, Group: p.Group, Key: p.GVLK})
	}
	return out, nil
}
