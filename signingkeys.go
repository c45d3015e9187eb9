package licet

import (
	"context"
	"time"
)

// Error codes of signing-key rotation.
const (
	// CodeSigningKeyActive: the active signing key cannot be retired; rotate first.
	CodeSigningKeyActive = "SigningKeyActive"
	// CodeSigningKeyInUse: KMS hosts still hold unexpired certificates under the key.
	CodeSigningKeyInUse = "SigningKeyInUse"
	// CodeSigningKeyRetired: what the key signed is refused because the operator retired it.
	CodeSigningKeyRetired = "SigningKeyRetired"
)

// States of a signing key.
const (
	SigningKeyActive    = "active"    // signs new tickets, confirmation IDs and host certificates
	SigningKeyVerifying = "verifying" // a previous key: still verifies what it signed
	SigningKeyRetired   = "retired"   // what it signed is refused
)

// SigningKey is one of the operator's signing keys.
type SigningKey struct {
	ID         uint32     `json:"id"`
	PublicKey  string     `json:"publicKey"` // standard base64 of the Ed25519 public key
	State      string     `json:"state"`     // active, verifying or retired
	CreatedAt  time.Time  `json:"createdAt"`
	RetiredAt  *time.Time `json:"retiredAt,omitempty"`
	EndorsedBy uint32     `json:"endorsedBy,omitempty"` // the key that was active when this one was made
	// KMSHosts counts the KMS hosts whose current, unexpired certificate this key signed.
	KMSHosts int `json:"kmsHosts"`
}

// SigningKeyService rotates and retires the operator's signing keys.
type SigningKeyService interface {
	// SigningKeys lists the keys, oldest first. Operator only. Errors: EForbidden.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// RotateSigningKey makes a new active key, endorsed by the one active before, which keeps
	// verifying what it signed. Operator only. Errors: EForbidden.
	RotateSigningKey(ctx context.Context) (*SigningKey, error)
	// RetireSigningKey retires a previous key: what it signed is refused from then on. force
	// retires it even while KMS hosts hold certificates under it. Operator only. Errors:
	// ENotFound, EForbidden, EConflict (already retired), CodeSigningKeyActive,
	// CodeSigningKeyInUse.
	RetireSigningKey(ctx context.Context, id uint32, force bool) (*SigningKey, error)
}
