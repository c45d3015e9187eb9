package licet

import (
	"context"
	"time"
)

// Codes of the telephony rules (returned as 422 like the catalog's codes).
const (
	// CodeNumberNeedsCallingPlan: a phone number goes only to a user with a Calling Plan, and a
	// user with a number keeps one.
	CodeNumberNeedsCallingPlan = "NumberNeedsCallingPlan"
	// CodeProviderNeedsLicense: the operator's bridge needs Audio Conferencing on the user; a
	// third-party provider needs the plans the catalog asks for.
	CodeProviderNeedsLicense = "ProviderNeedsLicense"
	// CodeInsufficientFunds: a charge is over the balance (and auto-recharge is off), or the
	// tenant is out of funds.
	CodeInsufficientFunds = "InsufficientFunds"
	// CodeInheritedLicense: a license the user holds only through a group cannot be removed
	// from the user directly.
	CodeInheritedLicense = "InheritedLicense"
)

// ProviderOperator is the audio conferencing provider a user gets with Audio Conferencing: the
// operator's own conference bridge.
const ProviderOperator = "operator"

// PhoneNumber is a number of a tenant's inventory, in E.164 form, and the user it is assigned to.
type PhoneNumber struct {
	Number     string     `json:"number"`  // E.164: + and up to 15 digits
	Country    string     `json:"country"` // ISO 3166 alpha-2
	User       string     `json:"user,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	AssignedAt *time.Time `json:"assignedAt,omitempty"`
}

// NumberFilter narrows a number listing.
type NumberFilter struct {
	Country string `json:"country,omitempty"`
	Free    bool   `json:"free,omitempty"` // only numbers not assigned to a user
}

// NumberService keeps a tenant's phone numbers and its users' audio conferencing providers.
// Every method takes the tenant's slug; a tenant admin gets ENotFound for any other tenant.
type NumberService interface {
	// AddNumbers adds numbers to the tenant's inventory for a country: all of them or none.
	// Errors: EInvalid (not E.164, or a calling code that is not the country's), EConflict (a
	// number already in an inventory), ENotFound.
	AddNumbers(ctx context.Context, tenant, country string, numbers []string) ([]PhoneNumber, error)
	// Numbers lists the tenant's numbers by country and number. Errors: EInvalid, ENotFound.
	Numbers(ctx context.Context, tenant string, f NumberFilter) ([]PhoneNumber, error)
	// ReleaseNumber removes an unassigned number from the inventory. Errors: EInvalid,
	// ENotFound, EConflict (assigned).
	ReleaseNumber(ctx context.Context, tenant, number string) error
	// AssignNumber gives a free number to a user who holds a Calling Plan. Errors: EInvalid,
	// ENotFound, EConflict (the number or the user has one already), NumberNeedsCallingPlan.
	AssignNumber(ctx context.Context, tenant, number, upn string) (*PhoneNumber, error)
	// UnassignNumber takes a number back from its user into the inventory. Errors: EInvalid,
	// ENotFound, EConflict (not assigned).
	UnassignNumber(ctx context.Context, tenant, number string) (*PhoneNumber, error)
	// SetConferencingProvider sets a user's audio conferencing provider: ProviderOperator (needs
	// Audio Conferencing), a third party's name (needs the plans the catalog pairs with a
	// third-party provider), or "" for none. Errors: EInvalid, ENotFound, ProviderNeedsLicense.
	SetConferencingProvider(ctx context.Context, tenant, upn, provider string) (*User, error)
}

// CreditAccount is a tenant's Communications Credits: a prepaid balance in minor units of its
// currency, auto-recharge, and whether paid calling is blocked for lack of funds.
type CreditAccount struct {
	Tenant         string    `json:"tenant"`
	Currency       string    `json:"currency"`
	Balance        int64     `json:"balance"` // minor units (cents), never negative
	AutoRecharge   bool      `json:"autoRecharge"`
	Threshold      int64     `json:"threshold"`      // top up when a charge takes the balance under this
	RechargeAmount int64     `json:"rechargeAmount"` // by this much
	OutOfFunds     bool      `json:"outOfFunds"`     // a charge was refused; cleared when funds are added
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Ledger entry kinds.
const (
	LedgerSignup   = "signup"   // the account was opened (amount 0)
	LedgerAdd      = "add"      // funds added
	LedgerRecharge = "recharge" // auto-recharge topped the balance up
	LedgerCharge   = "charge"   // usage paid from the balance
	LedgerRefused  = "refused"  // a charge was refused (amount 0; requested says how much)
)

// LedgerEntry is one change of a credits balance. The amounts of a tenant's entries sum to its
// balance.
type LedgerEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Amount    int64     `json:"amount"`  // signed change, minor units
	Balance   int64     `json:"balance"` // after the change
	Requested int64     `json:"requested,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Actor     string    `json:"actor,omitempty"`
}

// CreditAmount is the body of a deposit or a charge: an amount in minor units and why.
type CreditAmount struct {
	Amount int64  `json:"amount"`
	Reason string `json:"reason,omitempty"`
}

// AutoRecharge turns auto-recharge on (with a threshold and an amount) or off.
type AutoRecharge struct {
	Enabled   bool  `json:"enabled"`
	Threshold int64 `json:"threshold"`
	Amount    int64 `json:"amount"`
}

// ChargeResult is the outcome of a charge: the account after it and the ledger entries it wrote
// (a recharge, then the charge).
type ChargeResult struct {
	Account CreditAccount `json:"account"`
	Entries []LedgerEntry `json:"entries"`
}

// CreditService keeps Communications Credits. Every method takes the tenant's slug; a tenant
// admin gets ENotFound for any other tenant.
type CreditService interface {
	// SignUpCredits opens the tenant's account, when the tenant owns what the catalog's
	// prerequisite rule for the credits SKU asks (Phone System with a Calling Plan, or Audio
	// Conferencing), and buys the (unlimited) credits SKU if it has not. Errors: ENotFound,
	// EConflict (signed up already), EUnavailable (no catalog, or no credits SKU in it),
	// PrerequisiteMissing and the other purchase codes.
	SignUpCredits(ctx context.Context, tenant string) (*CreditAccount, error)
	// Credits returns the account. Errors: ENotFound (also when not signed up).
	Credits(ctx context.Context, tenant string) (*CreditAccount, error)
	// AddFunds adds to the balance and clears out-of-funds. Errors: EInvalid (amount not
	// positive or over the limit), ENotFound.
	AddFunds(ctx context.Context, tenant string, a CreditAmount) (*CreditAccount, error)
	// SetAutoRecharge turns auto-recharge on or off. Errors: EInvalid, ENotFound.
	SetAutoRecharge(ctx context.Context, tenant string, r AutoRecharge) (*CreditAccount, error)
	// Charge records usage, as a billing feed does. Operator only. With auto-recharge on, a
	// charge that takes the balance under the threshold tops it up first; without it, a charge
	// over the balance is refused, recorded, and the tenant marked out of funds. Errors:
	// EInvalid, ENotFound, EForbidden, InsufficientFunds.
	Charge(ctx context.Context, tenant string, a CreditAmount) (*ChargeResult, error)
	// Ledger lists the account's entries, newest first, a page at a time (before: entries with
	// an id below it; 0 for the newest). Errors: EInvalid, ENotFound.
	Ledger(ctx context.Context, tenant string, before int64, limit int) ([]LedgerEntry, error)
}
