package licet

import (
	"context"
	"encoding/json"
	"time"
)

// Error codes of the fleet inventory, events and webhooks.
const (
	// CodeWebhookTargetRefused: a webhook URL is not http(s), or it resolves to a private,
	// loopback or link-local address while the operator has not allowed those.
	CodeWebhookTargetRefused = "WebhookTargetRefused"
	// CodeReportSignatureInvalid: a KMS host report is not signed by the key of the host it names.
	CodeReportSignatureInvalid = "ReportSignatureInvalid"
)

// License states of a machine in the inventory, as slmgr /dli names them.
const (
	StateLicensed        = "Licensed"
	StateInitialGrace    = "InitialGrace"
	StateAdditionalGrace = "AdditionalGrace"
	StateNotification    = "Notification"
	StateUnlicensed      = "Unlicensed"
)

// MachineStates lists the license states in the order the inventory shows them.
var MachineStates = []string{StateLicensed, StateInitialGrace, StateAdditionalGrace, StateNotification, StateUnlicensed}

// Activation methods of a machine in the inventory.
const (
	MethodOnline    = "online"    // a MAK or retail key, activated online by the machine
	MethodOffline   = "offline"   // an installation ID answered with a confirmation ID
	MethodProxy     = "proxy"     // activated by a proxy for many machines
	MethodKMS       = "kms"       // activated by a KMS host, known from the host's report
	MethodDirectory = "directory" // activated through the organisation's directory
	MethodAgent     = "agent"     // known only from the machine's own agent report
)

// MachineMethods lists the activation methods the inventory knows.
var MachineMethods = []string{MethodOnline, MethodOffline, MethodProxy, MethodKMS, MethodDirectory, MethodAgent}

// InventoryMachine is one machine and product of a tenant in the inventory.
type InventoryMachine struct {
	ID         int64      `json:"id"`
	Tenant     string     `json:"tenant"`
	MachineID  string     `json:"machineId"`
	Hostname   string     `json:"hostname,omitempty"`
	Product    string     `json:"product"`
	Method     string     `json:"method"`
	KeyID      int64      `json:"keyId,omitempty"`
	KeyTail    string     `json:"keyTail,omitempty"` // last group of the key, for display
	HostID     string     `json:"hostId,omitempty"`  // the KMS host that reported it
	State      string     `json:"state"`
	StateUntil *time.Time `json:"stateUntil,omitempty"` // when the state changes next
	FirstSeen  time.Time  `json:"firstSeen"`
	LastSeen   time.Time  `json:"lastSeen"`
	Stale      bool       `json:"stale"` // silent for longer than the filter's stale bound (30 days by default)
}

// MachineFilter narrows a machine listing; zero fields do not filter.
type MachineFilter struct {
	Tenant  string
	State   string
	Product string
	Method  string
	// Stale lists only machines silent for longer than this; it is also the bound that sets
	// InventoryMachine.Stale (30 days when zero).
	Stale time.Duration
	Limit int // at most this many (default 1000, at most 100000)
}

// MachineCount is how many machines of a tenant are in a state and method.
type MachineCount struct {
	State    string `json:"state"`
	Method   string `json:"method"`
	Machines int    `json:"machines"`
}

// StateDay is the count of a tenant's machines in a state on one day (UTC).
type StateDay struct {
	Day      time.Time `json:"day"`
	State    string    `json:"state"`
	Machines int       `json:"machines"`
}

// MachineReport is the state of machines reported by a KMS host or an agent.
type MachineReport struct {
	Tenant   string            `json:"tenant,omitempty"` // agents name their tenant; hosts are known by their key
	HostID   string            `json:"hostId,omitempty"`
	Batch    string            `json:"batch,omitempty"` // the sender's id of this batch, for its logs
	Machines []ReportedMachine `json:"machines"`
}

// ReportedMachine is one machine in a report.
type ReportedMachine struct {
	MachineID  string     `json:"machineId"`
	Hostname   string     `json:"hostname,omitempty"`
	Product    string     `json:"product"`
	State      string     `json:"state"`
	StateUntil *time.Time `json:"stateUntil,omitempty"`
	LastSeen   time.Time  `json:"lastSeen"`
}

// ReportResult says how many machines of a report were recorded.
type ReportResult struct {
	Recorded int `json:"recorded"`
}

// InventoryService reads the machine inventory and records reports.
type InventoryService interface {
	// Machines lists machines newest contact first. Errors: NotFound (tenant), Invalid (filter),
	// Forbidden.
	Machines(ctx context.Context, f MachineFilter) ([]InventoryMachine, error)
	// Machine returns one inventory row. Errors: NotFound.
	Machine(ctx context.Context, id int64) (*InventoryMachine, error)
	// MachineCounts counts a tenant's machines by state and method. Errors: NotFound.
	MachineCounts(ctx context.Context, tenant string) ([]MachineCount, error)
	// StateHistory returns a tenant's daily counts by state for the last days. Errors: NotFound.
	StateHistory(ctx context.Context, tenant string, days int) ([]StateDay, error)
	// ReportMachines records an agent's report (a tenant token or the operator). Errors:
	// Invalid, NotFound, Forbidden.
	ReportMachines(ctx context.Context, r MachineReport) (*ReportResult, error)
}

// KMSReportService records the signed client tables of KMS hosts.
type KMSReportService interface {
	// ReportKMSClients verifies body's signature with the key of the host it names and records
	// its clients. Errors: Invalid, ReportSignatureInvalid, NotFound (unknown host).
	ReportKMSClients(ctx context.Context, body []byte, signature string) (*ReportResult, error)
}

// Event types.
const (
	EventKeyUsage90           = "key.usage90"              // a key has used 90 % of its activations
	EventKeyExhausted         = "key.exhausted"            // a key has no activation left
	EventKMSCertExpiring      = "kms.certificate.expiring" // a KMS host certificate expires within 30 days
	EventKMSCertExpired       = "kms.certificate.expired"
	EventKMSCountBelow        = "kms.countBelowThreshold"    // a KMS host's count is below a product's threshold
	EventSubscriptionFull     = "subscription.fullyAssigned" // every enabled unit of a SKU is assigned
	EventSubscriptionSuspend  = "subscription.suspended"
	EventSubscriptionExpiring = "subscription.expiring" // a subscription moved to warning: expired, its units work until suspended
	EventGroupMembersInError  = "group.membersInError"  // group licensing left members in error
	EventCreditsLow           = "credits.low"           // communications credits below their threshold
	EventAutoRechargeFailed   = "credits.autoRechargeFailed"
	EventCatalogApplied       = "catalog.applied"
	EventTokenCreated         = "token.created"
	EventTokenRevoked         = "token.revoked"
	EventWebhookTest          = "webhook.test" // sent by `licet webhook test` to one webhook only
)

// EventTypes lists every event type a webhook may subscribe to.
var EventTypes = []string{
	EventKeyUsage90, EventKeyExhausted, EventKMSCertExpiring, EventKMSCertExpired, EventKMSCountBelow,
	EventSubscriptionFull, EventSubscriptionSuspend, EventSubscriptionExpiring,
	EventGroupMembersInError, EventCreditsLow, EventAutoRechargeFailed, EventCatalogApplied,
	EventTokenCreated, EventTokenRevoked,
}

// Event is one change that matters, as listed and as delivered to webhooks.
type Event struct {
	ID     string          `json:"id"` // "evt_" and a number; the key for deduplication
	Type   string          `json:"type"`
	Time   time.Time       `json:"time"`
	Tenant string          `json:"tenant,omitempty"`
	Object json.RawMessage `json:"object"`
}

// EventFilter narrows an event listing.
type EventFilter struct {
	Tenant string
	Type   string
	Limit  int // default 100, at most 1000
}

// EventService lists events.
type EventService interface {
	// Events lists events newest first; a tenant admin sees its tenant's only. Errors: NotFound,
	// Forbidden.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
}

// Webhook is where a tenant's events are delivered.
type Webhook struct {
	ID        int64     `json:"id"`
	Tenant    string    `json:"tenant,omitempty"` // empty: every tenant's events (operator only)
	URL       string    `json:"url"`
	Events    []string  `json:"events"`           // event types; ["*"] for all
	Secret    string    `json:"secret,omitempty"` // the signing secret, returned once at creation
	CreatedAt time.Time `json:"createdAt"`
}

// WebhookDelivery is one event to deliver to a webhook and how it went.
type WebhookDelivery struct {
	ID            int64      `json:"id"`
	WebhookID     int64      `json:"webhookId"`
	EventID       string     `json:"eventId"`
	EventType     string     `json:"eventType"`
	Status        string     `json:"status"` // pending | delivered | failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	LastStatus    int        `json:"lastStatus,omitempty"` // the receiver's last HTTP status
	LastError     string     `json:"lastError,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	DeliveredAt   *time.Time `json:"deliveredAt,omitempty"`
}

// WebhookService manages webhooks. The operator manages every webhook; a tenant admin those of
// its tenant only (another tenant's are NotFound).
type WebhookService interface {
	// AddWebhook checks the URL and creates the webhook; the answer holds its secret, shown
	// once. Errors: Invalid, WebhookTargetRefused, NotFound (tenant), Forbidden.
	AddWebhook(ctx context.Context, w Webhook) (*Webhook, error)
	// Webhooks lists the webhooks the caller may see.
	Webhooks(ctx context.Context) ([]Webhook, error)
	// RemoveWebhook deletes a webhook and its pending deliveries. Errors: NotFound.
	RemoveWebhook(ctx context.Context, id int64) error
	// TestWebhook queues a webhook.test event for this webhook only. Errors: NotFound.
	TestWebhook(ctx context.Context, id int64) (*WebhookDelivery, error)
	// Deliveries lists a webhook's deliveries newest first. Errors: NotFound.
	Deliveries(ctx context.Context, id int64, limit int) ([]WebhookDelivery, error)
	// Redeliver queues a delivered or failed delivery's event again. Errors: NotFound.
	Redeliver(ctx context.Context, deliveryID int64) (*WebhookDelivery, error)
}
