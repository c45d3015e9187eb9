package licet

import (
	"context"
	"crypto/ed25519"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Error codes of KMS host activation.
const (
	// CodeKMSHostLimit: the kms-host key has activated as many distinct hosts as it may.
	CodeKMSHostLimit = "KMSHostLimitExceeded"
	// CodeKeyBlocked: the product key was blocked by the operator.
	CodeKeyBlocked = "KeyBlocked"
	// CodeKMSHostNotActivated: the KMS host has no certificate yet.
	CodeKMSHostNotActivated = "KMSHostNotActivated"
	// CodeKMSCertificateExpired: the host certificate has expired; the host re-activates with
	// its kms-host key.
	CodeKMSCertificateExpired = "KMSHostCertificateExpired"
	// CodeUnknownProduct: the KMS host does not know the product.
	CodeUnknownProduct = "UnknownProduct"
	// CodeProductNotCovered: the product's group is not covered by the KMS host's key.
	CodeProductNotCovered = "ProductNotCovered"
)

// DefaultKMSHostLimit is how many distinct hosts one kms-host key activates unless the operator
// set another limit for the key.
const DefaultKMSHostLimit = 6

// MaxKMSHostLimit bounds the host limit of a kms-host key, however it is raised (licet kms
// host-limit or licet key extend).
const MaxKMSHostLimit = 1000

// The KMS model's figures, shared by the host (internal/kms) and the central service: the
// activation thresholds of each product kind by default, and how long a machine counts after its
// last request.
const (
	KMSThresholdClient      = 25
	KMSThresholdServer      = 5
	KMSThresholdApplication = 5
	KMSCountWindow          = 30 * 24 * time.Hour
)

// KMSHostCertificateValidity is how long a host certificate is valid. A host re-activates (free
// for the same host) to get a new one.
const KMSHostCertificateValidity = 365 * 24 * time.Hour

// KMSHostRequest asks the central service to certify a KMS host. Online activation sends the
// kms-host key itself (the key is the credential); an approval of an air-gapped host's request
// file sends only the key's hash, so that the file never carries the key.
type KMSHostRequest struct {
	Key      string `json:"key,omitempty"`      // the kms-host key (online activation)
	KeyHash  string `json:"keyHash,omitempty"`  // lowercase hex SHA-256 of the canonical key (approval)
	HostID   string `json:"hostId"`             // the host's random, stable id
	HostKey  []byte `json:"hostKey"`            // the host's Ed25519 public key (base64 in JSON)
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
	Slug  string      `json:"slug"`
	Name  string      `json:"name"`
	Kind  ProductKind `json:"kind"`
	Group uint16      `json:"group"`
	GVLK  string      `json:"gvlk,omitempty"` // the product's public kms-client key, when it has one
}

// KMSHostCertificate is the answer to a host activation: the signed certificate (a ticket of kind
// kms-host) and what the host needs to serve clients.
type KMSHostCertificate struct {
	Certificate  string       `json:"certificate"` // signed ticket, kind kms-host
	OperatorKey  []byte       `json:"operatorKey"` // the operator's Ed25519 public key
	HostID       string       `json:"hostId"`      //
	KeyID        int64        `json:"keyId"`       // the kms-host key's id (never the key)
	Tenant       string       `json:"tenant,omitempty"`
	Group        uint16       `json:"group"`        // the host key's product group
	Covers       []uint16     `json:"covers"`       // the groups the host may activate, its own first
	Products     []KMSProduct `json:"products"`     // the products of those groups
	IssuedAt     time.Time    `json:"issuedAt"`     //
	ExpiresAt    time.Time    `json:"expiresAt"`    //
	HostsUsed    int          `json:"hostsUsed"`    // distinct hosts activated with the key, this one included
	HostLimit    int          `json:"hostLimit"`    // how many distinct hosts the key may activate
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
	// token is needed: the key is the credential. Errors: EInvalid (malformed request, not a
	// kms-host key by its form), CodeInvalidProductKey (the same answer, after the same work,
	// for a key unknown or blocked), CodeKMSHostLimit (a new host or directory over the key's
	// limit), ERateLimited.
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

// kmsHostIDRE is the form of a KMS host's id.
var kmsHostIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidKMSHostID reports whether id has the form of a KMS host's id.
func ValidKMSHostID(id string) bool { return kmsHostIDRE.MatchString(id) }

// CheckHost validates the host part of a request: kind, host id, public key (a host's; a
// directory has none), directory name and hostname. Both the central service and the KMS host
// (before writing a request file) check it.
func (r KMSHostRequest) CheckHost() error {
	if !kmsHostIDRE.MatchString(r.HostID) {
		return Errorf(EInvalid, "hostId %q is invalid: use 1 to 64 letters, digits, dots, dashes and underscores", r.HostID).With("field", "hostId")
	}
	switch r.Kind {
	case "", KMSKindHost:
		if r.Directory != "" {
			return Errorf(EInvalid, "directory names a directory: give it with kind %q", KMSKindDirectory).With("field", "directory")
		}
		if len(r.HostKey) != ed25519.PublicKeySize {
			return Errorf(EInvalid, "hostKey must be a %d-byte Ed25519 public key (base64), not %d bytes", ed25519.PublicKeySize, len(r.HostKey)).With("field", "hostKey")
		}
	case KMSKindDirectory:
		if len(r.HostKey) != 0 {
			return Errorf(EInvalid, "a directory has no hostKey: its activation object is signed by the operator").With("field", "hostKey")
		}
		if !printable(r.Directory) || r.Directory == "" {
			return Errorf(EInvalid, "directory must name the directory in 1 to 253 printable characters").With("field", "directory")
		}
	default:
		return Errorf(EInvalid, "kind %q is unknown: use %q or %q", r.Kind, KMSKindHost, KMSKindDirectory).With("field", "kind")
	}
	if !printable(r.Hostname) {
		return Errorf(EInvalid, "hostname must be at most 253 printable characters").With("field", "hostname")
	}
	return nil
}

// printable reports whether s is at most 253 printable characters.
func printable(s string) bool {
	return len(s) <= 253 && strings.IndexFunc(s, func(c rune) bool { return !unicode.IsPrint(c) }) < 0
}
