package licet

import "strings"

// Closed sets (roles, user and product kinds, statuses, outcomes) are typed strings. The ones
// callers send implement encoding.TextUnmarshaler, so that a value outside the set is refused
// where the request is decoded, with an EInvalid naming the field and the values allowed; an
// absent or empty value stays empty and takes the service's default.

// parseClosed returns s as one of values, "" for "", or an EInvalid naming field and the values.
func parseClosed[T ~string](field, s string, values []T) (T, error) {
	if s == "" {
		return "", nil
	}
	for _, v := range values {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return "", Errorf(EInvalid, "%s %q is unknown: use one of %s", field, s, strings.Join(names, ", ")).With("field", field)
}

// Roles lists the roles a token may have.
var Roles = []Role{RoleOperator, RoleTenant, RolePartner, RoleSystem}

// UnmarshalText accepts one of Roles.
func (r *Role) UnmarshalText(b []byte) (err error) {
	*r, err = parseClosed("role", string(b), Roles)
	return err
}

// UserKind says what a user object is.
type UserKind string

// User kinds.
const (
	UserPerson UserKind = "person"
	UserRoom   UserKind = "room" // a room system: licensed as a user object
)

// UserKinds lists the user kinds.
var UserKinds = []UserKind{UserPerson, UserRoom}

// UnmarshalText accepts one of UserKinds.
func (k *UserKind) UnmarshalText(b []byte) (err error) {
	*k, err = parseClosed("kind", string(b), UserKinds)
	return err
}

// ProductKind is the kind of a product; a KMS host's thresholds depend on it.
type ProductKind string

// Product kinds.
const (
	ProductClient      ProductKind = "client"
	ProductServer      ProductKind = "server"
	ProductApplication ProductKind = "application"
)

// ProductKinds lists the product kinds.
var ProductKinds = []ProductKind{ProductClient, ProductServer, ProductApplication}

// UnmarshalText accepts one of ProductKinds.
func (k *ProductKind) UnmarshalText(b []byte) (err error) {
	*k, err = parseClosed("kind", string(b), ProductKinds)
	return err
}

// Check returns nil for one of ProductKinds or "", and EInvalid naming the kinds otherwise (a
// kind set in Go rather than decoded).
func (k ProductKind) Check() error {
	_, err := parseClosed("kind", string(k), ProductKinds)
	return err
}

// SubscriptionStatus is what the units of a subscription count as (Graph's prepaidUnits).
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionEnabled   SubscriptionStatus = "enabled"
	SubscriptionWarning   SubscriptionStatus = "warning"
	SubscriptionSuspended SubscriptionStatus = "suspended"
	SubscriptionLockedOut SubscriptionStatus = "lockedout"
)

// SubscriptionStatuses lists the statuses a subscription may have.
var SubscriptionStatuses = []SubscriptionStatus{SubscriptionEnabled, SubscriptionWarning, SubscriptionSuspended, SubscriptionLockedOut}

// UnmarshalText accepts one of SubscriptionStatuses.
func (s *SubscriptionStatus) UnmarshalText(b []byte) (err error) {
	*s, err = parseClosed("status", string(b), SubscriptionStatuses)
	return err
}

// Check returns nil for one of SubscriptionStatuses or "", and EInvalid naming them otherwise.
func (s SubscriptionStatus) Check() error {
	_, err := parseClosed("status", string(s), SubscriptionStatuses)
	return err
}
