// Package kmsclient is the client side of licet's KMS host protocol: the request and answer
// types (shared with the host), discovery of hosts through DNS SRV records, the RFC 2782 choice
// among them by priority and weight, failover to the next host when one does not answer, and
// caching of the host that answered.
//
// The protocol is licet's own: JSON over HTTP, POST /v1/kms/activate on the host (default port
// 8471). It licenses the vendor's products and has nothing in common with Microsoft's KMS wire
// protocol.
package kmsclient

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/licet/licet"
)

// Protocol constants.
const (
	DefaultPort      = 8471               // the host's default port
	DefaultService   = "licet-kms"        // SRV service: _licet-kms._tcp.<domain>
	MicrosoftService = "vlmcs"            // Microsoft's KMS SRV service, looked for by `licet discover`
	ActivatePath     = "/v1/kms/activate" // the host's activation route
	MaxRequestBody   = 4 << 10            // the host refuses larger requests
	ContentType      = "application/json" //
)

// Count pools of a host.
const (
	PoolSystems      = "systems"      // client and server products
	PoolApplications = "applications" // application products
)

// PoolOf returns the count pool of a product kind: clients and servers share one count on a
// host; applications have their own.
func PoolOf(kind licet.ProductKind) string {
	if kind == licet.ProductApplication {
		return PoolApplications
	}
	return PoolSystems
}

// License states a client reports (as `slmgr /dli` names them); hosts count requests by state.
const (
	StateUnlicensed      = "unlicensed"
	StateLicensed        = "licensed"
	StateInitialGrace    = "initial-grace"
	StateAdditionalGrace = "additional-grace" // KMS activation expired or hardware out of tolerance
	StateNotification    = "notification"
)

// States lists the license states a request may carry.
var States = []string{StateUnlicensed, StateLicensed, StateInitialGrace, StateAdditionalGrace, StateNotification}

// Request is what a client sends to a host.
type Request struct {
	MachineID string            `json:"machineId"`              // the client's stable machine id
	Product   string            `json:"product"`                // product slug
	Key       string            `json:"key"`                    // the product's kms-client key (GVLK)
	Kind      licet.ProductKind `json:"kind,omitempty"`         // checked against the product
	Virtual   bool              `json:"virtual,omitempty"`      // a virtual machine (counts like a physical one)
	Hostname  string            `json:"hostname,omitempty"`     // for the host's statistics
	State     string            `json:"licenseState,omitempty"` // the client's current license state; unlicensed when empty
}

// Response is a host's answer. It always carries the pool's current count and the threshold.
type Response struct {
	Activated     bool       `json:"activated"`
	Count         int        `json:"count"`     // distinct machines seen in the pool in the last 30 days
	Threshold     int        `json:"threshold"` // the count at which this product activates
	Pool          string     `json:"pool"`      // systems or applications
	Product       string     `json:"product"`
	Ticket        string     `json:"ticket,omitempty"`    // kms-activation ticket, when activated
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"` // the ticket's expiry (sliding)
	RenewSeconds  int64      `json:"renewIntervalSeconds"`
	RetrySeconds  int64      `json:"retryIntervalSeconds"`
	NextContactAt time.Time  `json:"nextContactAt"` // renewal when activated, retry when not
	HostID        string     `json:"hostId"`
	Message       string     `json:"message"`
	// OperatorKey is the operator's public key (base64) the host's certificate verifies with:
	// a client with no key pinned pins it on first use, as the agent does with a server's.
	OperatorKey string `json:"operatorKey,omitempty"`
	// KeySet is the operator's key set the host learned from the central service, signed by
	// the operator (ticket.VerifyKeySet): a client that trusts an earlier operator key learns
	// the key of the host's certificate from it, with no re-pinning.
	KeySet string `json:"keySet,omitempty"`
}

// RenewInterval returns the host's renewal interval.
func (r Response) RenewInterval() time.Duration { return time.Duration(r.RenewSeconds) * time.Second }

// RetryInterval returns the host's retry interval.
func (r Response) RetryInterval() time.Duration { return time.Duration(r.RetrySeconds) * time.Second }

var (
	machineRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	slugRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// Check validates a request's fields (not the key's check value, which the host verifies).
func (r Request) Check() error {
	switch {
	case !machineRE.MatchString(r.MachineID):
		return licet.Errorf(licet.EInvalid, "machineId %q is invalid: 1 to 128 letters, digits, dots, colons, dashes, underscores", r.MachineID).With("field", "machineId")
	case !slugRE.MatchString(r.Product):
		return licet.Errorf(licet.EInvalid, "product %q is not a product slug", r.Product).With("field", "product")
	case r.Key == "" || len(r.Key) > 64:
		return licet.Errorf(licet.EInvalid, "key is required: the product's kms-client key").With("field", "key")
	case r.Kind.Check() != nil:
		return r.Kind.Check()
	case r.State != "" && !slices.Contains(States, r.State):
		return licet.Errorf(licet.EInvalid, "licenseState %q is unknown: use %s", r.State, strings.Join(States, ", ")).With("field", "licenseState")
	case len(r.Hostname) > 253 || strings.IndexFunc(r.Hostname, func(c rune) bool { return !unicode.IsPrint(c) || c == ' ' }) >= 0:
		return licet.Errorf(licet.EInvalid, "hostname must be at most 253 printable characters without spaces").With("field", "hostname")
	}
	return nil
}
