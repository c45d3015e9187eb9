// Package tenancy holds tenants (customer organisations) and API tokens: who may call licet and
// what each token may see.
package tenancy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// Service implements licet.TenantService and licet.TokenService.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	// Kinds returns the organisation types and clouds a tenant may have, the default first (the
	// catalog's declarations); nil, or empty lists, mean licet.OrgTypes and licet.Clouds.
	Kinds func() (orgTypes, clouds []string)
}

var (
	_ licet.TenantService = (*Service)(nil)
	_ licet.TokenService  = (*Service)(nil)
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckSlug returns EInvalid when s is not a valid slug.
func CheckSlug(s string) error {
	if !slugRE.MatchString(s) {
		return licet.Errorf(licet.EInvalid, "slug %q is invalid: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit", s).With("field", "slug")
	}
	return nil
}

// CreateTenant creates a tenant; defaults: the first org type and cloud of Kinds (commercial,
// global without a catalog).
func (s *Service) CreateTenant(ctx context.Context, t licet.Tenant) (*licet.Tenant, error) {
	now := s.Now().UTC().Truncate(time.Millisecond)
	err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		t, err = insert(ctx, tx, t, now, s.kinds())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Insert creates a tenant inside tx (checked and audited as CreateTenant does), for services
// that create a tenant as part of a larger change.
func Insert(ctx context.Context, tx *store.Tx, t licet.Tenant, now time.Time) (licet.Tenant, error) {
	return insert(ctx, tx, t, now, kinds{licet.OrgTypes, licet.Clouds})
}

// kinds are the organisation types and clouds a tenant may have, the default first.
type kinds struct{ orgTypes, clouds []string }

func (s *Service) kinds() kinds {
	k := kinds{licet.OrgTypes, licet.Clouds}
	if s.Kinds == nil {
		return k
	}
	o, c := s.Kinds()
	if len(o) > 0 {
		k.orgTypes = o
	}
	if len(c) > 0 {
		k.clouds = c
	}
	return k
}

func insert(ctx context.Context, tx *store.Tx, t licet.Tenant, now time.Time, k kinds) (licet.Tenant, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return t, licet.Errorf(licet.EForbidden, "only the operator may create tenants")
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.OrgType == "" {
		t.OrgType = k.orgTypes[0]
	}
	if t.Cloud == "" {
		t.Cloud = k.clouds[0]
	}
	if err := CheckSlug(t.Slug); err != nil {
		return t, err
	}
	if t.Name == "" || len(t.Name) > 200 {
		return t, licet.Errorf(licet.EInvalid, "name is required (at most 200 characters)").With("field", "name")
	}
	if !slices.Contains(k.orgTypes, t.OrgType) {
		return t, licet.Errorf(licet.EInvalid, "organisation type %q is unknown: use one of %s", t.OrgType, strings.Join(k.orgTypes, ", ")).With("field", "orgType")
	}
	if !slices.Contains(k.clouds, t.Cloud) {
		return t, licet.Errorf(licet.EInvalid, "cloud %q is unknown: use one of %s", t.Cloud, strings.Join(k.clouds, ", ")).With("field", "cloud")
	}
	if t.UsageLocation != "" {
		if err := licet.CheckCountry("usage location", t.UsageLocation); err != nil {
			return t, err
		}
	}
	t.CreatedAt = now
	id, err := tx.Insert(ctx, `INSERT INTO tenants (slug, name, org_type, cloud, usage_location, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Slug, t.Name, t.OrgType, t.Cloud, t.UsageLocation, store.Millis(now))
	if store.IsUnique(err) {
		return t, licet.Errorf(licet.EConflict, "tenant %q already exists", t.Slug)
	}
	if err != nil {
		return t, err
	}
	t.ID = id
	return t, audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: id, Action: "tenant.create", Object: "tenant:" + t.Slug, After: fmt.Sprint(id)})
}

const tenantColumns = `id, slug, name, org_type, cloud, usage_location, created_at`

func scanTenant(row interface{ Scan(...any) error }) (licet.Tenant, error) {
	var t licet.Tenant
	var created int64
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.OrgType, &t.Cloud, &t.UsageLocation, &created)
	t.CreatedAt = store.Time(created)
	return t, err
}

// Tenant returns the tenant with the slug, or ENotFound when it does not exist or the caller may
// not see it (a tenant admin cannot tell another tenant's existence).
func (s *Service) Tenant(ctx context.Context, slug string) (*licet.Tenant, error) {
	var t licet.Tenant
	err := s.DB.Read(ctx, func(tx *store.Tx) (err error) {
		t, err = Lookup(ctx, tx, slug)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Lookup reads the tenant with the slug inside tx, checking that the actor of ctx may see it.
// Every service that takes a tenant slug goes through it.
func Lookup(ctx context.Context, tx *store.Tx, slug string) (licet.Tenant, error) {
	t, err := scanTenant(tx.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = ?`, slug))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !licet.ActorFrom(ctx).CanSeeTenant(t.ID)) {
		return licet.Tenant{}, licet.Errorf(licet.ENotFound, "tenant %q not found", slug).With("tenant", slug)
	}
	return t, err
}

// Scope returns the tenant a read is restricted to: the named tenant (checked with Lookup), or
// the actor's own when it names none and is not the operator; every is true when the operator
// names none (every tenant).
func Scope(ctx context.Context, tx *store.Tx, slug string) (tenantID int64, every bool, err error) {
	if slug != "" {
		t, err := Lookup(ctx, tx, slug)
		return t.ID, false, err
	}
	if a := licet.ActorFrom(ctx); !a.IsOperator() {
		return a.TenantID, false, nil
	}
	return 0, true, nil
}

// Tenants lists the tenants the caller may see.
func (s *Service) Tenants(ctx context.Context) ([]licet.Tenant, error) {
	actor := licet.ActorFrom(ctx)
	var out []licet.Tenant
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY slug`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTenant(rows)
			if err != nil {
				return err
			}
			if actor.CanSeeTenant(t.ID) {
				out = append(out, t)
			}
		}
		return rows.Err()
	})
	return out, err
}

// tokenPrefix starts every token secret, so that secret scanners recognise them.
const tokenPrefix = "licet_"

// HashToken returns the hex SHA-256 of a token secret: the only form stored.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a fresh random token secret.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// CreateToken issues a token and returns it with its secret, shown this once.
func (s *Service) CreateToken(ctx context.Context, t licet.Token) (*licet.Token, error) {
	actor := licet.ActorFrom(ctx)
	if t.Role == "" {
		// Never guessed: a body without a role (or a null body) must not make an operator token.
		return nil, licet.Errorf(licet.EInvalid, "give the token's role: operator, tenant (with tenant) or partner (with partner)").With("field", "role")
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	t.CreatedAt = now
	t.Secret = NewSecret()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		return s.insertToken(ctx, tx, actor, &t, now)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func (s *Service) insertToken(ctx context.Context, tx *store.Tx, actor licet.Actor, t *licet.Token, now time.Time) error {
	var tenantID any
	switch t.Role {
	case licet.RoleOperator:
		if !actor.IsOperator() {
			return licet.Errorf(licet.EForbidden, "only the operator may create operator tokens")
		}
		if t.Tenant != "" || t.Partner != "" {
			return licet.Errorf(licet.EInvalid, "an operator token has no tenant or partner")
		}
	case licet.RoleTenant:
		tenant, err := Lookup(ctx, tx, t.Tenant)
		if err != nil {
			return err
		}
		tenantID = tenant.ID
	case licet.RolePartner:
		if !actor.IsOperator() {
			return licet.Errorf(licet.EForbidden, "only the operator may create partner tokens")
		}
		t.Partner = strings.TrimSpace(t.Partner)
		if t.Partner == "" || len(t.Partner) > 100 {
			return licet.Errorf(licet.EInvalid, "a partner token needs the partner's name (at most 100 characters)").With("field", "partner")
		}
	default:
		return licet.Errorf(licet.EInvalid, "role %q is unknown: use operator, tenant or partner", t.Role).With("field", "role")
	}
	if len(t.Label) > 200 {
		return licet.Errorf(licet.EInvalid, "label is longer than 200 characters").With("field", "label")
	}
	id, err := tx.Insert(ctx, `INSERT INTO tokens (hash, role, tenant_id, partner, label, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		HashToken(t.Secret), string(t.Role), tenantID, t.Partner, t.Label, store.Millis(now))
	if err != nil {
		return err
	}
	t.ID = id
	tid, _ := tenantID.(int64)
	if err := audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: tid, Action: "token.create", Object: fmt.Sprintf("token:%d", id), After: string(t.Role)}); err != nil {
		return err
	}
	_, err = outbox.Emit(ctx, tx, store.Millis(now), outbox.Record{TenantID: tid, Type: licet.EventTokenCreated,
		Object: TokenEvent{TokenID: id, Role: string(t.Role), Tenant: t.Tenant, Partner: t.Partner, Label: t.Label}})
	return err
}

// TokenEvent is the object of the token.created and token.revoked events (never the secret).
type TokenEvent struct {
	TokenID int64  `json:"tokenId"`
	Role    string `json:"role"`
	Tenant  string `json:"tenant,omitempty"`
	Partner string `json:"partner,omitempty"`
	Label   string `json:"label,omitempty"`
}

// Bootstrap creates the first operator token when the database has none, and returns its secret;
// it returns "" when an operator token exists already.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	now := s.Now().UTC().Truncate(time.Millisecond)
	var secret string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE role = 'operator'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		t := licet.Token{Role: licet.RoleOperator, Label: "created on first start", Secret: NewSecret()}
		if err := s.insertToken(licet.WithActor(ctx, licet.System), tx, licet.System, &t, now); err != nil {
			return err
		}
		secret = t.Secret
		return nil
	})
	return secret, err
}

// Tokens lists the tokens the caller may see, without secrets.
func (s *Service) Tokens(ctx context.Context) ([]licet.Token, error) {
	actor := licet.ActorFrom(ctx)
	var out []licet.Token
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT k.id, k.role, COALESCE(t.id, 0), COALESCE(t.slug, ''), k.partner, k.label, k.created_at, k.revoked_at
			FROM tokens k LEFT JOIN tenants t ON t.id = k.tenant_id ORDER BY k.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k licet.Token
			var tenantID, created int64
			var revoked sql.NullInt64
			if err := rows.Scan(&k.ID, &k.Role, &tenantID, &k.Tenant, &k.Partner, &k.Label, &created, &revoked); err != nil {
				return err
			}
			k.CreatedAt, k.RevokedAt = store.Time(created), store.NullTime(revoked)
			if actor.IsOperator() || (actor.Role == licet.RoleTenant && tenantID == actor.TenantID) {
				out = append(out, k)
			}
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken revokes a token; a tenant admin may revoke its own tenant's tokens only.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	actor := licet.ActorFrom(ctx)
	now := s.Now().UTC()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var tenantID sql.NullInt64
		var revoked sql.NullInt64
		ev := TokenEvent{TokenID: id}
		err := tx.QueryRow(ctx, `SELECT k.tenant_id, k.revoked_at, k.role, COALESCE(t.slug, ''), k.partner, k.label FROM tokens k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?`, id).
			Scan(&tenantID, &revoked, &ev.Role, &ev.Tenant, &ev.Partner, &ev.Label)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.IsOperator() && (actor.Role != licet.RoleTenant || tenantID.Int64 != actor.TenantID)) {
			return licet.Errorf(licet.ENotFound, "token %d not found", id)
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			return nil
		}
		if err := keepOneOperator(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ?`, store.Millis(now), id); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: tenantID.Int64, Action: "token.revoke", Object: fmt.Sprintf("token:%d", id)}); err != nil {
			return err
		}
		_, err = outbox.Emit(ctx, tx, store.Millis(now), outbox.Record{TenantID: tenantID.Int64, Type: licet.EventTokenRevoked, Object: ev})
		return err
	})
}

// keepOneOperator refuses to revoke token id when it is the last active operator token: nobody
// could then use the API, and a restart does not create a new one.
func keepOneOperator(ctx context.Context, tx *store.Tx, id int64) error {
	// Lock the active operator tokens, so that two revocations at once cannot both pass.
	active, err := store.Collect(ctx, tx, func(r store.Scanner) (id int64, err error) { return id, r.Scan(&id) },
		`SELECT id FROM tokens WHERE role = 'operator' AND revoked_at IS NULL`+tx.ForUpdate())
	if err != nil {
		return err
	}
	if !slices.Contains(active, id) || len(active) > 1 {
		return nil
	}
	return licet.Errorf(licet.CodeLastOperatorToken,
		"token %d is the last active operator token: revoking it would lock every operator out; create another first (licet token create --operator), then revoke this one (a lost token: licet token recover --db PATH on the server's machine)", id).
		With("tokenId", id)
}

// Recover creates a new operator token without any other token, for an operator locked out; the
// caller has the database itself (the file, or the PostgreSQL DSN). The audit log records it as
// token.recover by the system.
func (s *Service) Recover(ctx context.Context, label string) (*licet.Token, error) {
	if label == "" {
		label = "created by licet token recover"
	}
	t := licet.Token{Role: licet.RoleOperator, Label: label, Secret: NewSecret()}
	now := s.Now().UTC().Truncate(time.Millisecond)
	t.CreatedAt = now
	ctx = licet.WithActor(ctx, licet.System)
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.insertToken(ctx, tx, licet.System, &t, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{Action: "token.recover", Object: fmt.Sprintf("token:%d", t.ID), After: string(t.Role)})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Authenticate returns the actor of a token secret, or EUnauthorized for an unknown or revoked one.
func (s *Service) Authenticate(ctx context.Context, secret string) (licet.Actor, error) {
	unauthorized := licet.Errorf(licet.EUnauthorized, "the token is unknown or revoked: check --token or LICET_TOKEN")
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return licet.Actor{}, unauthorized
	}
	return s.actorWhere(ctx, `k.hash = ?`, HashToken(secret), unauthorized)
}

// ActorByTokenID returns the actor of the token with this id, or EUnauthorized when the token is
// unknown or revoked. The console calls it on every request of a signed-in session, so that
// revoking a token ends the sessions opened with it.
func (s *Service) ActorByTokenID(ctx context.Context, id int64) (licet.Actor, error) {
	return s.actorWhere(ctx, `k.id = ?`, id, licet.Errorf(licet.EUnauthorized, "token %d is unknown or revoked", id))
}

// actorWhere reads the actor of the one token matching cond, or returns unauthorized when there is
// none or it is revoked.
func (s *Service) actorWhere(ctx context.Context, cond string, arg any, unauthorized error) (licet.Actor, error) {
	var a licet.Actor
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var role string
		var revoked sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT k.id, k.role, COALESCE(t.id, 0), COALESCE(t.slug, ''), k.partner, k.revoked_at
			FROM tokens k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE `+cond, arg).
			Scan(&a.TokenID, &role, &a.TenantID, &a.Tenant, &a.Partner, &revoked)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
			return unauthorized
		}
		a.Role = licet.Role(role)
		return err
	})
	return a, err
}
