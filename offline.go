package licet

import (
	"context"
	"time"
)

// Error codes of offline and proxy activation.
const (
	// CodeForeignConfirmation: the confirmation ID was not issued for this machine's
	// installation ID (another machine's, another key's, or altered).
	CodeForeignConfirmation = "ForeignConfirmation"
	// CodeInstallationKeyMismatch: a proxy request holds an installation ID made for another
	// product key than the request's.
	CodeInstallationKeyMismatch = "InstallationKeyMismatch"
	// CodeProxyIncomplete: `licet proxy-activate` activated some machines of the request, not all
	// (the CLI's exit code 1; never answered by the API).
	CodeProxyIncomplete = "ProxyIncomplete"
)

// MaxProxyMachines bounds the machines of one proxy activation request.
const MaxProxyMachines = 1000

// OfflineRequest asks for the confirmation ID of an installation ID (phone activation).
type OfflineRequest struct {
	InstallationID string `json:"installationId"`
}

// Confirmation is the answer to an installation ID: the confirmation ID the machine installs.
// Consumed is false when the machine was activated before (a replayed installation ID).
type Confirmation struct {
	InstallationID string    `json:"installationId"`
	ConfirmationID string    `json:"confirmationId"`
	Product        string    `json:"product"`
	KeyID          int64     `json:"keyId"`
	Tenant         string    `json:"tenant,omitempty"`
	Serial         uint32    `json:"serial"`
	Consumed       bool      `json:"consumed"`
	IssuedAt       time.Time `json:"issuedAt"`
}

// ProxyMachine is one machine of a proxy activation: its installation ID, as `licet client
// installation-id --json` writes it, with the machine id and host name for the report.
type ProxyMachine struct {
	InstallationID string `json:"installationId"`
	Machine        string `json:"machine,omitempty"`
	Hostname       string `json:"hostname,omitempty"`
	Product        string `json:"product,omitempty"`
	// Line is the machine's line in the machines file, for the report (not sent to checks).
	Line int `json:"line,omitempty"`
}

// ProxyRequest activates many machines with one MAK in one request.
type ProxyRequest struct {
	Key      string         `json:"key"`
	Machines []ProxyMachine `json:"machines"`
}

// ProxyResult is the outcome for one machine: a confirmation ID or an error.
type ProxyResult struct {
	ProxyMachine
	ConfirmationID string `json:"confirmationId,omitempty"`
	Consumed       bool   `json:"consumed,omitempty"`
	Error          *Error `json:"error,omitempty"`
}

// ProxyActivation is the answer to a proxy request: one result per machine, in the request's
// order, and the key's count after it.
type ProxyActivation struct {
	KeyID     int64         `json:"keyId"`
	Product   string        `json:"product,omitempty"`
	Activated int           `json:"activated"`
	Failed    int           `json:"failed"`
	Remaining int64         `json:"remaining"`
	IssuedAt  time.Time     `json:"issuedAt"`
	Results   []ProxyResult `json:"results"`
}

// OfflineActivationService activates machines that cannot reach the service: one by one from an
// installation ID read over the phone, or many at once by proxy. Both consume MAK activations
// exactly as online activation does.
type OfflineActivationService interface {
	// ActivateOffline returns the confirmation ID for an installation ID (the phone activation
	// centre). Operator, or an admin of the key's tenant. A replayed installation ID gets a
	// confirmation again without consuming an activation. Errors: EInvalid (malformed
	// installation ID; details name the mistyped group), CodeInvalidProductKey (unknown or
	// blocked key, or another tenant's), ENotFound (no product of the key's group has the
	// installation ID's product number), CodeKeyTypeNotActivatable,
	// CodeActivationLimitExceeded, EForbidden.
	ActivateOffline(ctx context.Context, r OfflineRequest) (*Confirmation, error)
	// ActivateProxy activates up to MaxProxyMachines machines with one MAK (the key is the
	// credential), deciding them in the request's order: each result holds a confirmation ID or
	// its own error (EInvalid, CodeInstallationKeyMismatch, ENotFound,
	// CodeActivationLimitExceeded). Errors of the whole request: EInvalid (malformed key, no
	// machines, too many), CodeInvalidProductKey, CodeKeyTypeNotActivatable, ERateLimited.
	ActivateProxy(ctx context.Context, r ProxyRequest) (*ProxyActivation, error)
}

// MAKRequestStatus is where a promotional MAK request stands.
type MAKRequestStatus string

// MAK request statuses.
const (
	MAKRequestPending  MAKRequestStatus = "pending"
	MAKRequestApproved MAKRequestStatus = "approved"
	MAKRequestRejected MAKRequestStatus = "rejected"
)

// MAKRequest is a promotional MAK request: a partner (the OEM that sold the systems) asks for a
// MAK for a customer without a volume agreement.
type MAKRequest struct {
	ID             int64  `json:"id"`
	Partner        string `json:"partner"`
	Company        string `json:"company"`
	ContactName    string `json:"contactName"`
	ContactEmail   string `json:"contactEmail"`
	ContactPhone   string `json:"contactPhone"`
	Systems        int64  `json:"systems"`
	DeploymentDate string `json:"deploymentDate"` // YYYY-MM-DD
	TAMName        string `json:"tamName,omitempty"`
	TAMEmail       string `json:"tamEmail,omitempty"`
	// Group is the product group the MAK is for (id or slug); the operator may set it on approval.
	Group string `json:"group,omitempty"`

	Status    MAKRequestStatus `json:"status"`
	Tenant    string           `json:"tenant,omitempty"` // set on approval
	KeyID     int64            `json:"keyId,omitempty"`  // set on approval
	Key       string           `json:"key,omitempty"`    // the MAK, shown to the operator and the request's partner
	Reason    string           `json:"reason,omitempty"` // why it was rejected
	CreatedAt time.Time        `json:"createdAt"`
	DecidedAt *time.Time       `json:"decidedAt,omitempty"`
}

// MAKApproval is the operator's approval of a request.
type MAKApproval struct {
	Tenant string `json:"tenant,omitempty"` // slug; default from the company name
	Group  string `json:"group,omitempty"`  // product group id or slug; default the request's
}

// MAKRequestService handles promotional MAK requests. A partner token submits and reads its own
// requests only; the operator reads, approves and rejects them all.
type MAKRequestService interface {
	// SubmitMAKRequest records a request. Partner (or operator naming the partner). Errors:
	// EInvalid (every field is checked; details name it), ENotFound (group), EForbidden.
	SubmitMAKRequest(ctx context.Context, r MAKRequest) (*MAKRequest, error)
	// MAKRequests lists the requests the caller may see, newest first, optionally by status.
	// Errors: EInvalid (status), EForbidden (tenant tokens).
	MAKRequests(ctx context.Context, status string) ([]MAKRequest, error)
	// MAKRequest returns one request. Errors: ENotFound (also another partner's), EForbidden.
	MAKRequest(ctx context.Context, id int64) (*MAKRequest, error)
	// ApproveMAKRequest creates the tenant if needed and issues a MAK whose limit is the number
	// of systems, in one transaction (audited). Operator only. Errors: ENotFound, EConflict
	// (already decided), EInvalid (no product group, bad tenant slug), EForbidden.
	ApproveMAKRequest(ctx context.Context, id int64, a MAKApproval) (*MAKRequest, error)
	// RejectMAKRequest rejects a pending request with a reason (audited). Operator only.
	// Errors: ENotFound, EConflict, EInvalid (reason), EForbidden.
	RejectMAKRequest(ctx context.Context, id int64, reason string) (*MAKRequest, error)
}
