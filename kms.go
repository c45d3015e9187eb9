package licet

import (
	"context"
	"time"
)

// Error codes of KMS host activation.
const (
	// CodeKMSHostLimit: the kms-host key has activated as many distinct hosts as it may.
	CodeKMSHostLimit = "KMSHostLimitExceeded"
	// CodeKeyBlocked: the product key was blocked by the operator.
	CodeKeyBlocked = "KeyBlocked"
	// CodeKMSCertificateExpired: the host certificate has expired; the host re-activates with
	// its kms-host key.
	CodeKMSCertificateExpired = "KMSHostCertificateExpired"
)

// DefaultKMSHostLimit is how many distinct hosts one kms-host key activates unless the operator
// set another limit for the key.
const DefaultKMSHostLimit = 6

// MaxKMSHostLimit bounds the host limit of a kms-host key, however it is raised (licet kms
// host-limit or licet key extend).
const MaxKMSHostLimit = 1000

// KMSHostCertificateValidity is how long a host certificate is valid. A host re-activates (free
// for the same host) to get a new one.
const KMSHostCertificateValidity = 365 * 24 * time.Hour

// KMSHostRequest asks the central service to certify a KMS host. Online activation sends the
// kms-host key itself (the key is the credential); an approval of an air-gapped host's request
// file sends only the key's hash, so that the file never carries the key.
type KMSHostRequest struct {
	Key      string `json:"key,omitempty"`      // the kms-host key (online activation)
	KeyHash  string `json:"key_hash,omitempty"` // lowercase hex SHA-256 of the canonical key (approval)
	HostID   string `json:"host_id"`            // the host's random, stable id
	HostKey  []byte `json:"host_key"`           // the host's Ed25519 public key (base64 in JSON)
	Hostname string `json:"hostname,omitempty"` // for people: which machine this is
	// Kind is what activates: KMSKindHost (the default when empty) or KMSKindDirectory, a
	// directory that holds an activation object. A directory has no HostKey; HostID is its id.
	Kind string `json:"kind,omitempty"`
	// Directory is the directory's name (e.g. corp.example), for a directory activation.
	Directory string `json:"directory,omitempty"`
}

// What a kms-host key activates: each counts as one of the key's hosts.
const (
	KMSKindHost      = "host"      // a KMS host (`licet kms serve`)
	KMSKindDirectory = "directory" // a directory holding an activation object (`licet directory activate`)
)

// KMSProduct is a product a KMS host may activate, as the central service describes it to hosts.
type KMSProduct struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Kind  string `json:"kind"` // client | server | application
	Group uint16 `json:"group"`
	GVLK  string `json:"gvlk,omitempty"` // the product's public kms-client key, when it has one
}

// KMSHostCertificate is the answer to a host activation: the signed certificate (a ticket of kind
// kms-host) and what the host needs to serve clients.
type KMSHostCertificate struct {
	Certificate  string       `json:"certificate"`  // signed ticket, kind kms-host
	OperatorKey  []byte       `json:"operator_key"` // the operator's Ed25519 public key
	HostID       string       `json:"host_id"`      //
	KeyID        int64        `json:"key_id"`       // the kms-host key's id (never the key)
	Tenant       string       `json:"tenant,omitempty"`
	Group        uint16       `json:"group"`        // the host key's product group
	Covers       []uint16     `json:"covers"`       // the groups the host may activate, its own first
	Products     []KMSProduct `json:"products"`     // the products of those groups
	IssuedAt     time.Time    `json:"issued_at"`    //
	ExpiresAt    time.Time    `json:"expires_at"`   //
	HostsUsed    int          `json:"hosts_used"`   // distinct hosts activated with the key, this one included
	HostLimit    int          `json:"host_limit"`   // how many distinct hosts the key may activate
	Reactivation bool         `json:"reactivation"` // the host had activated with this key before
	// Kind is KMSKindHost or KMSKindDirectory; for a directory, Certificate is the signed
	// activation object (a ticket of kind directory-activation) to write into the directory.
	Kind      string `json:"kind,omitempty"`
	Directory string `json:"directory,omitempty"` // the directory's name, for a directory
	// SigningKey is the id of the operator key that signed the certificate; KeySet is the
	// operator's key set, signed by that key, from which the host (and its clients, to which it
	// passes it on) learns keys made after the one it trusts.
	SigningKey uint32 `json:"signingKey,omitempty"`
	KeySet     string `json:"keySet,omitempty"`
}

// KMSHostRenewalWindow is how long before its certificate expires a KMS host renews it.
const KMSHostRenewalWindow = 30 * 24 * time.Hour

// KMSHostRenewal asks for a new certificate for a host that holds a valid one: the host signs
// it with its own key (the one its certificate certifies), so no kms-host key is needed.
type KMSHostRenewal struct {
	HostID      string    `json:"hostId"`
	Certificate string    `json:"certificate"` // the host's current certificate
	At          time.Time `json:"at"`          // the host's clock when it signed; within 10 minutes of the service's
	Signature   []byte    `json:"signature"`   // the host key's Ed25519 signature of Message (base64 in JSON)
}

// kmsRenewalDomain separates renewal signatures from every other use of a host's key.
const kmsRenewalDomain = "licet-kms-renewal-v1\x00"

// Message returns the bytes a renewal's signature covers.
func (r KMSHostRenewal) Message() []byte {
	return []byte(kmsRenewalDomain + r.HostID + "\x00" + r.Certificate + "\x00" + r.At.UTC().Format(time.RFC3339Nano))
}

// KMSHostService certifies KMS hosts against their kms-host keys.
type KMSHostService interface {
	// ActivateHost certifies a host presenting its kms-host key, or signs the activation object
	// of a directory (req.Kind KMSKindDirectory), which counts as one of the key's hosts. No
	// token is needed: the key is the credential. Errors: EInvalid (malformed request, not a kms-host key), ENotFound (no such
	// key), CodeKeyBlocked, CodeKMSHostLimit (a new host over the key's limit), ERateLimited.
	ActivateHost(ctx context.Context, req KMSHostRequest) (*KMSHostCertificate, error)
	// ApproveHost answers an air-gapped host's request file, which names the key by its hash.
	// Operator, or a tenant admin whose tenant owns the key. Errors: as ActivateHost, plus
	// EForbidden; ENotFound also when the key belongs to another tenant.
	ApproveHost(ctx context.Context, req KMSHostRequest) (*KMSHostCertificate, error)
	// SetHostLimit sets how many distinct hosts a kms-host key may activate (1 to 1000).
	// Operator only. Errors: EInvalid, ENotFound, EForbidden.
	SetHostLimit(ctx context.Context, keyID int64, limit int) error
	// RenewHost gives a host holding a valid certificate a new one, signed by the active
	// operator key, on the host's own signature: no token, no kms-host key. Errors: EInvalid
	// (malformed, bad signature, clock too far off), ENotFound (host not recorded),
	// CodeKeyBlocked, CodeSigningKeyRetired (the certificate's key is retired),
	// CodeKMSCertificateExpired, ERateLimited.
	RenewHost(ctx context.Context, r KMSHostRenewal) (*KMSHostCertificate, error)
}
