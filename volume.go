package licet

import (
	"context"
	"time"
)

// Error codes of volume activation. They answer 422 over HTTP: the request was understood and a
// licensing rule refused it.
const (
	// CodeActivationLimitExceeded: the MAK has activated as many machines as its limit allows.
	CodeActivationLimitExceeded = "ActivationLimitExceeded"
	// CodeExtensionLimitExceeded: raising the key's limit would pass the largest limit a key may have.
	CodeExtensionLimitExceeded = "ExtensionLimitExceeded"
	// CodeInvalidProductKey: the key is unknown or blocked (one code for both, on purpose).
	CodeInvalidProductKey = "InvalidProductKey"
	// CodeKeyTypeNotActivatable: the key's type does not activate this way (setup, kms-client, kms-host).
	CodeKeyTypeNotActivatable = "KeyTypeNotActivatable"
	// CodeProductMismatch: the key belongs to another product group than the product.
	CodeProductMismatch = "ProductMismatch"
)

// MaxAgreementQuantity is the most licenses one agreement may count.
const MaxAgreementQuantity = 10_000_000

// MaxKeyLimit is the largest activation limit a key may have; extending a key refuses to go past
// it (CodeExtensionLimitExceeded).
const MaxKeyLimit = 100_000_000

// Product pools: volume keys are issued per agreement per pool.
var ProductPools = []string{"systems", "servers", "applications"}

// Programs of volume agreements.
var Programs = []string{"open-license", "open-value", "select", "select-plus", "enterprise", "campus", "school", "spla"}

// PricingLevels of volume agreements.
var PricingLevels = []string{"A", "B", "C", "D"}

// ProductGroup is a numbered family of products; its number is encoded in every product key.
// Covers lists the groups (itself included) whose products a KMS host key of this group may
// activate: a newer group covers older ones.
type ProductGroup struct {
	ID        uint16    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Covers    []uint16  `json:"covers"`
	CreatedAt time.Time `json:"createdAt"`
}

// Product is something a vendor licenses. GVLK is its public kms-client key.
type Product struct {
	ID        int64       `json:"id"`
	Slug      string      `json:"slug"`
	Name      string      `json:"name"`
	Version   string      `json:"version,omitempty"`
	Kind      ProductKind `json:"kind"`
	Group     uint16      `json:"group"` // product group id
	GroupSlug string      `json:"groupSlug,omitempty"`
	Pool      string      `json:"pool"` // systems | servers | applications; default from the kind
	GVLK      string      `json:"gvlk,omitempty"`
	CreatedAt time.Time   `json:"createdAt"`
}

// Agreement is a tenant's volume agreement, named by its licensing ID.
type Agreement struct {
	ID          int64     `json:"id"`
	Tenant      string    `json:"tenant"`
	LicensingID string    `json:"licensingId"` // generated when empty
	Program     string    `json:"program"`
	Level       string    `json:"level,omitempty"`  // pricing level A–D
	Quantity    int64     `json:"quantity"`         // licenses purchased
	Parent      string    `json:"parent,omitempty"` // licensing ID of the parent agreement (affiliates)
	CreatedAt   time.Time `json:"createdAt"`
}

// KeyRequest asks for a product key to be issued.
type KeyRequest struct {
	Agreement string `json:"agreement"` // licensing ID
	Group     string `json:"group"`     // product group id or slug
	Type      string `json:"type"`      // mak | kms-host | setup | retail
	Limit     int64  `json:"limit,omitempty"`
}

// ProductKey is a key's record on the product key page. Key holds the key itself, shown only to
// the operator and the key's tenant admins.
type ProductKey struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Type      string    `json:"type"`
	Group     uint16    `json:"group"`
	GroupSlug string    `json:"groupSlug"`
	Tenant    string    `json:"tenant,omitempty"`
	Agreement string    `json:"agreement,omitempty"`
	Limit     int64     `json:"limit"`
	Used      int64     `json:"used"`
	Remaining int64     `json:"remaining"`
	Blocked   bool      `json:"blocked"`
	CreatedAt time.Time `json:"createdAt"`
}

// GVLK is a product's public kms-client key.
type GVLK struct {
	Product string `json:"product"`
	Name    string `json:"name"`
	Group   uint16 `json:"group"`
	Key     string `json:"key"`
}

// Machine describes the machine that activates.
type Machine struct {
	ID       string `json:"id"`                 // stable machine id (1–128 printable characters)
	Hardware string `json:"hardware,omitempty"` // hardware hash (package hardware)
	Virtual  bool   `json:"virtual,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

// ActivationRequest is what a machine sends to activate a product with a MAK or a retail key.
type ActivationRequest struct {
	Key     string  `json:"key"`
	Product string  `json:"product"` // product slug
	Machine Machine `json:"machine"`
}

// Activation is the answer to an activation: the signed ticket and whether it consumed an
// activation of the key (false when the machine was activated before).
type Activation struct {
	Ticket   string    `json:"ticket"`
	Product  string    `json:"product"`
	KeyID    int64     `json:"keyId"`
	Machine  string    `json:"machine"`
	Consumed bool      `json:"consumed"`
	IssuedAt time.Time `json:"issuedAt"`
}

// ProductService manages product groups and products.
type ProductService interface {
	// CreateProductGroup creates a group; Covers lists older groups its KMS host keys activate
	// too (the closure is stored, and the group covers itself). Operator only. Errors: EInvalid,
	// EConflict (id or slug taken), ENotFound (a covered group), EForbidden.
	CreateProductGroup(ctx context.Context, g ProductGroup) (*ProductGroup, error)
	// ProductGroups lists the groups by id.
	ProductGroups(ctx context.Context) ([]ProductGroup, error)
	// CreateProduct creates a product and its GVLK. Operator only. Errors: EInvalid, EConflict,
	// ENotFound (group), EForbidden.
	CreateProduct(ctx context.Context, p Product) (*Product, error)
	// Products lists the products by slug.
	Products(ctx context.Context) ([]Product, error)
	// GVLKs lists the public kms-client key of every product.
	GVLKs(ctx context.Context) ([]GVLK, error)
}

// AgreementService manages volume agreements.
type AgreementService interface {
	// CreateAgreement creates an agreement for a tenant. Operator only. Errors: EInvalid
	// (program, level, quantity), ENotFound (tenant, parent), EConflict (licensing ID taken),
	// EForbidden.
	CreateAgreement(ctx context.Context, a Agreement) (*Agreement, error)
	// Agreements lists the agreements of a tenant ("" for all the caller may see).
	// Errors: ENotFound (tenant).
	Agreements(ctx context.Context, tenant string) ([]Agreement, error)
	// Agreement returns one agreement by licensing ID. Errors: ENotFound (also another tenant's).
	Agreement(ctx context.Context, licensingID string) (*Agreement, error)
}

// KeyService issues and manages product keys.
type KeyService interface {
	// IssueKey issues a key under an agreement for a product group; a MAK's limit defaults
	// from the agreement's program, level and quantity. Operator only. Errors: EInvalid,
	// ENotFound (agreement, group), EForbidden.
	IssueKey(ctx context.Context, r KeyRequest) (*ProductKey, error)
	// Keys lists the keys of a tenant ("" for all the caller may see). Errors: ENotFound.
	Keys(ctx context.Context, tenant string) ([]ProductKey, error)
	// Key returns a key by id. Errors: ENotFound (also another tenant's).
	Key(ctx context.Context, id int64) (*ProductKey, error)
	// LookupKey returns the record of a product key given as text. Errors: EInvalid (malformed
	// key), ENotFound.
	LookupKey(ctx context.Context, key string) (*ProductKey, error)
	// ExtendKey raises a key's limit by n (audited). Operator only. Errors: EInvalid (n < 1),
	// ENotFound, CodeExtensionLimitExceeded, EForbidden.
	ExtendKey(ctx context.Context, id int64, n int64) (*ProductKey, error)
	// BlockKey blocks (or unblocks) a key: a blocked key activates nothing more (audited).
	// Operator only. Errors: ENotFound, EForbidden.
	BlockKey(ctx context.Context, id int64, blocked bool) (*ProductKey, error)
}

// ActivationService activates machines with MAK and retail keys; the key is the credential.
type ActivationService interface {
	// Activate activates a machine and returns a signed ticket. A machine activated before
	// (same id, hardware within tolerance) gets a new ticket without consuming an activation.
	// Errors: EInvalid (malformed key or machine), ENotFound (product),
	// CodeInvalidProductKey (unknown or blocked key), CodeKeyTypeNotActivatable,
	// CodeProductMismatch, CodeActivationLimitExceeded, ERateLimited.
	Activate(ctx context.Context, r ActivationRequest) (*Activation, error)
}
