package licet

import "context"

// Role says what a token may do.
type Role string

// Roles of tokens.
const (
	RoleOperator Role = "operator" // the vendor running licet: sees and changes everything
	RoleTenant   Role = "tenant"   // a customer's IT admin: sees and changes only its tenant
	RolePartner  Role = "partner"  // a reseller or OEM: submits and reads only its own requests
	RoleSystem   Role = "system"   // licet itself (first start, demo data): operator rights
)

// Actor is who makes a request: the role and scope of the token presented.
type Actor struct {
	TokenID  int64  `json:"tokenId"`
	Role     Role   `json:"role"`
	TenantID int64  `json:"tenantId,omitempty"` // set for RoleTenant
	Tenant   string `json:"tenant,omitempty"`   // the tenant's slug, for RoleTenant
	Partner  string `json:"partner,omitempty"`  // set for RolePartner
}

// IsOperator reports whether the actor is the operator.
func (a Actor) IsOperator() bool { return a.Role == RoleOperator || a.Role == RoleSystem }

// CanSeeTenant reports whether the actor may read the tenant with this id.
func (a Actor) CanSeeTenant(tenantID int64) bool {
	return a.IsOperator() || (a.Role == RoleTenant && a.TenantID == tenantID)
}

// String names the actor for the audit log, without any secret.
func (a Actor) String() string {
	switch a.Role {
	case RoleOperator:
		return "operator"
	case RoleTenant:
		return "tenant:" + a.Tenant
	case RolePartner:
		return "partner:" + a.Partner
	}
	return "system"
}

// System is the actor of changes licet makes itself (first start, demo data).
var System = Actor{Role: RoleSystem}

type actorKey struct{}

// WithActor returns a context carrying the actor of the request.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of the request, or System when none was set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}
