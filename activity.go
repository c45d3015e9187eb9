package licet

import (
	"context"
	"time"
)

// KeyActivation is one machine a key activated, as the product key page lists it; for a
// kms-host key, one KMS host it certified.
type KeyActivation struct {
	// Machine is the machine's id: the agent's for an online activation, "iid:" and the machine
	// fingerprint for an offline or proxy one, the host's id for a KMS host.
	Machine  string `json:"machine"`
	Hostname string `json:"hostname,omitempty"`
	Product  string `json:"product,omitempty"` // product slug; empty for a KMS host
	// Method is online, proxy or offline; for a KMS host or a directory, online or approval (a
	// request file).
	Method string `json:"method"`
	// Kind is set for a kms-host key's activations: KMSKindHost or KMSKindDirectory (then
	// Machine is the directory's id and Hostname its name).
	Kind        string    `json:"kind,omitempty"`
	Virtual     bool      `json:"virtual,omitempty"`
	ActivatedAt time.Time `json:"activatedAt"` // the first activation, the one that counted
	LastSeenAt  time.Time `json:"lastSeenAt"`  // the latest activation or re-activation
}

// DayCount is a count for one UTC day (Day is its midnight).
type DayCount struct {
	Day   time.Time `json:"day"`
	Count int       `json:"count"`
}

// KeyActivityService reads the activations behind the product key page and the overview.
type KeyActivityService interface {
	// KeyActivations lists the activations of a key, newest first, at most limit (1 to 1000),
	// and how many it has in all. Operator, or an admin of the key's tenant. Errors: EInvalid
	// (limit), ENotFound (also another tenant's key).
	KeyActivations(ctx context.Context, keyID int64, limit int) ([]KeyActivation, int, error)
	// ActivationsPerDay counts the machines first activated on each UTC day from since on, with
	// the keys of a tenant ("" every key the caller may see); days without any are left out.
	// Errors: ENotFound (tenant), EForbidden (partner tokens).
	ActivationsPerDay(ctx context.Context, tenant string, since time.Time) ([]DayCount, error)
}
