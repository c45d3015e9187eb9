package licet

import (
	"context"
	"time"
)

// CodeCountViolation is Graph's error for an assignment when the SKU has no units left.
const CodeCountViolation = "CountViolation"

// CodeNotAUserList: an uploaded list of users has lines that name no user (the console's bulk
// page refuses the file whole).
const CodeNotAUserList = "NotAUserList"

// Subscription is a tenant's purchase of a catalog SKU: a number of prepaid units, a term and a
// channel.
type Subscription struct {
	ID        int64              `json:"id"`
	Tenant    string             `json:"tenant,omitempty"`
	SKU       string             `json:"skuPartNumber"`
	Quantity  int                `json:"quantity"`
	Status    SubscriptionStatus `json:"status"`  // enabled when bought
	Term      string             `json:"term"`    // annual | monthly; annual when empty
	Channel   string             `json:"channel"` // direct | partner | reseller:NAME; direct when empty
	CreatedAt time.Time          `json:"createdAt"`
	UpdatedAt time.Time          `json:"updatedAt"`
}

// SubscriptionUpdate changes a subscription: its quantity, its status, or both.
type SubscriptionUpdate struct {
	Quantity *int               `json:"quantity,omitempty"`
	Status   SubscriptionStatus `json:"status,omitempty"`
}

// PrepaidUnits are an SKU's units by the status of the subscriptions that hold them.
type PrepaidUnits struct {
	Enabled   int `json:"enabled"`
	Warning   int `json:"warning"`
	Suspended int `json:"suspended"`
	LockedOut int `json:"lockedOut"`
}

// SubscribedSKU is what a tenant holds of one SKU, as Graph's subscribedSkus and
// Get-MsolAccountSku show it. Available is enabled − consumed; nil for an unlimited SKU.
type SubscribedSKU struct {
	SKU              string       `json:"skuPartNumber"`
	Name             string       `json:"displayName"`
	CapabilityStatus string       `json:"capabilityStatus"` // Enabled | Warning | Suspended | LockedOut
	Unlimited        bool         `json:"unlimited"`
	PrepaidUnits     PrepaidUnits `json:"prepaidUnits"`
	Consumed         int          `json:"consumedUnits"`
	Available        *int         `json:"availableUnits"`
	ServicePlans     []string     `json:"servicePlans"`
}

// User is a person or room of a tenant that licenses are assigned to.
type User struct {
	ID             int64     `json:"id"`
	UPN            string    `json:"userPrincipalName"`
	DisplayName    string    `json:"displayName,omitempty"`
	UsageLocation  string    `json:"usageLocation,omitempty"` // ISO 3166 alpha-2; the tenant's when empty at creation
	Kind           UserKind  `json:"kind"`
	OnPremisesPSTN bool      `json:"onPremisesPstn"` // hybrid user with on-premises PSTN connectivity
	CreatedAt      time.Time `json:"createdAt"`
	Licenses       []License `json:"licenses,omitempty"` // only in answers about one user
	Groups         []string  `json:"groups,omitempty"`   // only in answers about one user
	// PhoneNumber is the E.164 number assigned from the tenant's inventory, if any.
	PhoneNumber string `json:"phoneNumber,omitempty"`
	// ConferencingProvider is the audio conferencing provider: ProviderOperator, a third
	// party's name, or empty for none.
	ConferencingProvider string `json:"audioConferencingProvider,omitempty"`
	// PaidCallingBlocked: the tenant's Communications Credits are out of funds (only in answers
	// about one user who holds the credits license).
	PaidCallingBlocked bool `json:"paidCallingBlocked,omitempty"`
}

// LicenseState is the state of a license on a user, as Graph's licenseAssignmentStates name it.
type LicenseState string

// License states.
const (
	StateActive LicenseState = "Active" // the license applies
	// StateActiveWithError: this source (a group) failed for the user, but the SKU applies
	// through another source (directly or through another group).
	StateActiveWithError LicenseState = "ActiveWithError"
	StateError           LicenseState = "Error" // the group's licenses could not be applied to this member
)

// License is one SKU on a user from one source (directly, or through a group), as Graph's
// licenseDetails and licenseAssignmentStates show it.
type License struct {
	SKU             string       `json:"skuPartNumber"`
	DisabledPlans   []string     `json:"disabledPlans"`
	AssignedByGroup string       `json:"assignedByGroup,omitempty"` // empty: assigned directly
	State           LicenseState `json:"state"`
	Error           *Error       `json:"error,omitempty"` // why a group's license failed: Graph's code
	ServicePlans    []PlanStatus `json:"servicePlans"`
}

// PlanStatus is one service plan of a license with its provisioning status (Success, Disabled).
type PlanStatus struct {
	Plan               string `json:"servicePlanName"`
	Name               string `json:"displayName"`
	ProvisioningStatus string `json:"provisioningStatus"`
}

// LicenseAdd is one license to add (or whose disabled plans to change).
type LicenseAdd struct {
	SKU           string   `json:"skuPartNumber"`
	DisabledPlans []string `json:"disabledPlans"`
}

// LicenseChange is Graph's assignLicense body: licenses to add and SKUs to remove, applied to a
// user atomically.
type LicenseChange struct {
	AddLicenses    []LicenseAdd `json:"addLicenses"`
	RemoveLicenses []string     `json:"removeLicenses"`
}

// BatchAssignment applies one license change to many users, each atomically.
type BatchAssignment struct {
	Users []string `json:"users"`
	LicenseChange
	DryRun bool `json:"dryRun,omitempty"` // decide every user's outcome, change nothing
}

// Outcome is what became of one user of a batch (an assignment or an import).
type Outcome string

// Outcomes of one user in a batch.
const (
	OutcomeAssigned        Outcome = "assigned"         // licenses were added or their disabled plans changed
	OutcomeRemoved         Outcome = "removed"          // licenses were removed only
	OutcomeAlreadyAssigned Outcome = "already_assigned" // the user already had exactly this; nothing changed
	OutcomeFailed          Outcome = "failed"           // a rule refused the change; the user kept what it had
)

// AssignResult is one user's outcome in a batch.
type AssignResult struct {
	UPN     string   `json:"userPrincipalName"`
	Outcome Outcome  `json:"outcome"`
	Added   []string `json:"added,omitempty"`
	Updated []string `json:"updated,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Error   *Error   `json:"error,omitempty"`
}

// SeatChange is what a batch did to one SKU's consumed units.
type SeatChange struct {
	SKU       string `json:"skuPartNumber"`
	Delta     int    `json:"delta"`
	Consumed  int    `json:"consumed"` // after the batch (as it would be, on a dry run)
	Enabled   int    `json:"enabled"`
	Unlimited bool   `json:"unlimited,omitempty"`
}

// BatchResult is the answer to a batch: every user's outcome, in request order, and the seat
// change per SKU.
type BatchResult struct {
	DryRun  bool           `json:"dryRun,omitempty"`
	Results []AssignResult `json:"results"`
	Seats   []SeatChange   `json:"seats"`
}

// Outcomes of one user in an import.
const (
	OutcomeCreated Outcome = "created"
	OutcomeExists  Outcome = "exists"
)

// ImportResult is one user's outcome in a bulk import: created, exists or failed.
type ImportResult struct {
	UPN     string  `json:"userPrincipalName"`
	Outcome Outcome `json:"outcome"`
	Error   *Error  `json:"error,omitempty"`
}

// UserFilter pages through users by UPN.
type UserFilter struct {
	After string `json:"after,omitempty"` // users whose UPN sorts after this
	// Search keeps the users whose UPN or display name contains it, ignoring case.
	Search string `json:"search,omitempty"`
	Limit  int    `json:"limit,omitempty"` // 1..10000; 1000 when 0
}

// Group is a named set of users of a tenant. The licenses assigned to it flow to its members.
type Group struct {
	ID           int64         `json:"id"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Members      int           `json:"members"`
	CreatedAt    time.Time     `json:"createdAt"`
	MemberUPNs   []string      `json:"memberUserPrincipalNames,omitempty"` // only in answers about one group
	Licenses     []LicenseAdd  `json:"licenses,omitempty"`                 // the SKUs assigned to the group
	MemberErrors int           `json:"memberErrors"`                       // members whose group licenses are in Error
	MemberStates []MemberState `json:"memberStates,omitempty"`             // only in answers about one group
}

// MemberState is how a group's licenses stand on one member: Active, or Error with Graph's code
// (none of the group's SKUs apply to that member then). State is empty when the group has no
// licenses.
type MemberState struct {
	UPN   string       `json:"userPrincipalName"`
	State LicenseState `json:"state,omitempty"`
	Error *Error       `json:"error,omitempty"`
}

// GroupLicenseResult is the outcome of a change to a group's licenses or of a reprocess: the
// group with its SKUs and every member's state, and the seat change per SKU.
type GroupLicenseResult struct {
	Group  Group        `json:"group"`
	Active int          `json:"active"` // members the group's licenses apply to
	Errors int          `json:"errors"` // members in Error
	Seats  []SeatChange `json:"seats"`
}

// SeatService sells subscriptions, keeps users and groups, and assigns licenses. Every method
// takes the tenant's slug; a tenant admin gets ENotFound for any other tenant. Rule violations
// come back with the catalog's code (e.g. PrerequisiteMissing, DependencyViolation) and details
// naming the rule, the way out and the source.
type SeatService interface {
	// BuySubscription buys units of a catalog SKU. Errors: EInvalid (quantity), ENotFound,
	// EUnavailable (no catalog), UnknownSKU, InvalidPurchase, NotAvailable, ChannelRestriction,
	// AddOnNotAllowedForBase, PrerequisiteMissing, TermRestriction.
	BuySubscription(ctx context.Context, tenant string, s Subscription) (*Subscription, error)
	// Subscriptions lists the tenant's subscriptions. Errors: ENotFound.
	Subscriptions(ctx context.Context, tenant string) ([]Subscription, error)
	// UpdateSubscription changes a subscription's quantity or status. Errors: EInvalid,
	// ENotFound, EConflict (fewer enabled units than are assigned, with the count).
	UpdateSubscription(ctx context.Context, tenant string, id int64, u SubscriptionUpdate) (*Subscription, error)
	// SubscribedSKUs lists the tenant's SKUs with units and consumption. Errors: ENotFound.
	SubscribedSKUs(ctx context.Context, tenant string) ([]SubscribedSKU, error)

	// CreateUser creates a user. Errors: EInvalid (UPN, usage location, kind), EConflict, ENotFound.
	CreateUser(ctx context.Context, tenant string, u User) (*User, error)
	// ImportUsers creates many users, each created, already there, or failed. Errors: EInvalid, ENotFound.
	ImportUsers(ctx context.Context, tenant string, users []User) ([]ImportResult, error)
	// Users lists users by UPN. Errors: EInvalid, ENotFound.
	Users(ctx context.Context, tenant string, f UserFilter) ([]User, error)
	// User returns a user with its licenses and their service plans' status. Errors: ENotFound.
	User(ctx context.Context, tenant, upn string) (*User, error)

	// AssignLicense applies a change to one user atomically and returns the user. Errors:
	// ENotFound, EInvalid, UnknownSKU, InvalidDisabledPlan, InvalidChange, NotPurchased,
	// CountViolation, DependencyViolation, MutuallyExclusiveViolation,
	// ProhibitedInUsageLocationViolation, HybridCallingPlanViolation.
	AssignLicense(ctx context.Context, tenant, upn string, c LicenseChange) (*User, error)
	// AssignBatch applies a change to many users, each atomically, going on past failures; each
	// user's result carries the codes of AssignLicense. Errors (for the whole batch): EInvalid,
	// ENotFound, UnknownSKU, InvalidDisabledPlan, InvalidChange.
	AssignBatch(ctx context.Context, tenant string, b BatchAssignment) (*BatchResult, error)

	// CreateGroup creates a group. Errors: EInvalid, EConflict, ENotFound.
	CreateGroup(ctx context.Context, tenant string, g Group) (*Group, error)
	// Groups lists the tenant's groups. Errors: ENotFound.
	Groups(ctx context.Context, tenant string) ([]Group, error)
	// Group returns a group with its members' UPNs. Errors: ENotFound.
	Group(ctx context.Context, tenant, name string) (*Group, error)
	// AddMembers adds users to a group (members already in it are left alone). Errors: ENotFound.
	AddMembers(ctx context.Context, tenant, group string, upns []string) (*Group, error)
	// RemoveMember removes a user from a group, and the licenses the group gave it (a unit is
	// freed when no other source of the SKU remains). Errors: ENotFound, DependencyViolation
	// (another license of the user needs a plan only this group gives), NumberNeedsCallingPlan.
	RemoveMember(ctx context.Context, tenant, group, upn string) error
	// AssignGroupLicense changes the SKUs of a group and applies them to every member: a member
	// the change cannot be applied to is in Error (none of the group's SKUs apply to it), the
	// others are not affected. Errors (the change is refused as a whole): EInvalid, ENotFound,
	// UnknownSKU, InvalidDisabledPlan, InvalidChange, NotPurchased, DependencyViolation (an SKU
	// whose prerequisite the group lacks, or a member that would lose a plan another of its
	// licenses needs), MutuallyExclusiveViolation (within the group), NumberNeedsCallingPlan.
	AssignGroupLicense(ctx context.Context, tenant, group string, c LicenseChange) (*GroupLicenseResult, error)
	// ReprocessGroup applies the group's SKUs again to every member (after units were bought or
	// a conflict was fixed). Errors: ENotFound.
	ReprocessGroup(ctx context.Context, tenant, group string) (*GroupLicenseResult, error)
}
