package licet

import (
	"net/http"
	"slices"
	"strings"
)

// Scope is how much of a request an error code refuses. Batch operations (bulk assignment, a
// group's licenses) read it to decide whether a code stops the whole batch or one member.
type Scope string

// The scopes, from the widest to the narrowest.
const (
	// ScopeRequest: the request as a whole is refused (it is malformed, not allowed, or a rule
	// about the one object it names refused it).
	ScopeRequest Scope = "request"
	// ScopeBatch: a change no user could take (an unknown SKU, a contradictory change): a batch
	// is refused whole, before any member is handled.
	ScopeBatch Scope = "batch"
	// ScopeUser: a rule about the user the change would apply to: in a batch it refuses that
	// user only; in a group's license set it refuses the set.
	ScopeUser Scope = "user"
	// ScopeMember: a fact about one member of a group (where the user is, how their calls are
	// routed): it refuses that member only, never the group's set.
	ScopeMember Scope = "member"
)

// CodeInfo is what licet says about one error code: the HTTP status that answers it, how much
// of a request it refuses, and, for people, a title, what it means and the usual way out.
type CodeInfo struct {
	Code    string
	Status  int // the HTTP status; 0 for a code raised on the machine only (never answered)
	Scope   Scope
	Title   string
	Meaning string
	WayOut  string
}

// Rule reports whether the code is a licensing rule's refusal (answered 422), which the console
// and the CLI explain with its meaning and way out, rather than a generic error.
func (c CodeInfo) Rule() bool { return c.Status == http.StatusUnprocessableEntity }

// codes is the registry: every error code licet raises, once. A test fails when a code is raised
// but not listed here, or listed here but not documented in docs/openapi.yaml.
var codes = map[string]CodeInfo{}

func init() {
	for _, c := range []CodeInfo{
		// Generic codes.
		{EInvalid, http.StatusBadRequest, ScopeRequest, "Invalid request",
			"The request is malformed or a field is out of range.",
			"Fix the field the message names (details.field) and send the request again."},
		{ENotFound, http.StatusNotFound, ScopeRequest, "Not found",
			"The object does not exist, or belongs to a tenant the token may not see.",
			"Check the name or id; list the objects to find the right one."},
		{EConflict, http.StatusConflict, ScopeRequest, "Conflict",
			"The object exists already, or its state forbids the change.",
			"Read the object again and change what the message names first."},
		{EUnauthorized, http.StatusUnauthorized, ScopeRequest, "Not signed in",
			"No token was sent, or the token is wrong, revoked or expired.",
			"Send Authorization: Bearer <token> (the CLI reads --token, LICET_TOKEN or --token-file)."},
		{EForbidden, http.StatusForbidden, ScopeRequest, "Not allowed",
			"The token is valid, but its role may not do this.",
			"Use a token with the role the message names."},
		{ETooLarge, http.StatusRequestEntityTooLarge, ScopeRequest, "Too large",
			"The request body is over the limit.",
			"Split the request (details.limit is the limit in bytes)."},
		{ERateLimited, http.StatusTooManyRequests, ScopeRequest, "Too many attempts",
			"The source or the key made too many attempts.",
			"Retry after the time in Retry-After (details.retryAfterSeconds)."},
		{EUnavailable, http.StatusServiceUnavailable, ScopeRequest, "Unavailable",
			"The service cannot answer now: the database is down, or the server is shutting down.",
			"Retry later."},
		{EStaleSchema, http.StatusServiceUnavailable, ScopeRequest, "Database schema too old",
			"The database schema is older than the binary.",
			"Run licet migrate, then start the server again."},
		{EInternal, http.StatusInternalServerError, ScopeRequest, "Internal error",
			"A bug or an unexpected failure; the details are in the server's log, not in the answer.",
			"Report it with the time of the request."},

		// Seat licensing: Graph's assignment codes and licet's own.
		{CodeCountViolation, http.StatusUnprocessableEntity, ScopeUser, "No units left",
			"Every enabled unit of the SKU is assigned already: a new license needs a free unit.",
			"Buy more units on the Licenses page (or raise a subscription's quantity), or remove the SKU from a user who does not need it."},
		{CodeDependencyViolation, http.StatusUnprocessableEntity, ScopeUser, "A service plan needs another",
			"A plan in the change needs another plan on the same user, or the change would remove a plan that another one needs.",
			"Add the required SKU in the same change, or remove the dependent SKU too."},
		{CodeMutuallyExclusiveViolation, http.StatusUnprocessableEntity, ScopeUser, "Plans that exclude each other",
			"Two plans in the change, or one in the change and one the user has, cannot be on the same user.",
			"Keep one of them: remove the other SKU in the same change."},
		{CodeProhibitedInUsageLocationViolation, http.StatusUnprocessableEntity, ScopeMember, "Not allowed where the user is",
			"The user has no usage location, or the SKU is not sold in the user's country, organisation type or cloud.",
			"Set the user's usage location, or choose an SKU that is sold there."},
		{CodeHybridCallingPlanViolation, http.StatusUnprocessableEntity, ScopeMember, "Hybrid user: no Calling Plan",
			"The user has on-premises PSTN connectivity: calls go through the organisation's own telephony, so the user gets Phone System alone.",
			"Assign Phone System without a Calling Plan."},
		{CodeNotPurchased, http.StatusUnprocessableEntity, ScopeUser, "Not purchased",
			"The tenant has no subscription of the SKU, so there is nothing to assign from.",
			"Buy a subscription of the SKU on the Licenses page first."},
		{CodeUnknownSKU, http.StatusUnprocessableEntity, ScopeBatch, "Unknown SKU",
			"The part number is not in the catalog in force.",
			"Choose an SKU from the list (licet catalog show, or the console's Catalog page)."},
		{CodeInvalidDisabledPlan, http.StatusUnprocessableEntity, ScopeBatch, "Not a plan of the SKU",
			"A service plan to turn off is not one the SKU includes.",
			"Turn off only plans the SKU includes (the Catalog page lists them)."},
		{CodeInvalidChange, http.StatusUnprocessableEntity, ScopeBatch, "Contradictory change",
			"The change both adds and removes the same SKU.",
			"Add it or remove it, not both."},
		{CodeInheritedLicense, http.StatusUnprocessableEntity, ScopeUser, "Given by a group",
			"The user holds this SKU only through a group, so it cannot be removed from the user directly.",
			"Remove the user from the group, or the SKU from the group (on the group's page)."},

		{CodeNotAUserList, http.StatusBadRequest, ScopeBatch, "Not a list of users",
			"Lines of the uploaded file are neither a user principal name (name@domain.tld) nor a CSV row with one; nothing was stored or changed.",
			"Fix or remove the lines the answer names and upload the file again."},

		// Purchase rules of the catalog.
		{CodePrerequisiteMissing, http.StatusUnprocessableEntity, ScopeRequest, "A prerequisite is missing",
			"The SKU needs a plan the tenant does not own yet: an add-on needs a base, a Calling Plan needs Phone System.",
			"Buy the SKU the message names first, then this one."},
		{CodeAddOnNotAllowedForBase, http.StatusUnprocessableEntity, ScopeRequest, "Add-on not allowed on this base",
			"The tenant's base plans may not carry this add-on.",
			"Switch to a base that allows it (the message names them); the Advisor compares the costs."},
		{CodeChannelRestriction, http.StatusUnprocessableEntity, ScopeRequest, "Not sold through this channel",
			"The SKU is not sold through the chosen channel, or bases bought through it may not carry add-ons.",
			"Buy directly, or through the channel the message names."},
		{CodeTermRestriction, http.StatusUnprocessableEntity, ScopeRequest, "Term not allowed",
			"The purchase's term is not one the catalog allows for it (add-ons need a base on an annual commitment).",
			"Move the base to an annual term, or buy with the term the message names."},
		{CodeNotAvailable, http.StatusUnprocessableEntity, ScopeRequest, "Not sold to this tenant",
			"The SKU is not sold in the tenant's country, organisation type or cloud.",
			"Choose an SKU that is sold there; the message lists where this one is."},
		{CodeInvalidPurchase, http.StatusUnprocessableEntity, ScopeRequest, "Unknown term or channel",
			"The term or the channel is not one licet knows.",
			"Use an annual or monthly term, and the direct, partner or reseller:NAME channel."},

		// The advisor.
		{CodeUnknownFeature, http.StatusUnprocessableEntity, ScopeRequest, "Unknown feature",
			"The question names a feature the catalog does not know.",
			"Name one of the features the message lists."},
		{CodeUnknownFamily, http.StatusUnprocessableEntity, ScopeRequest, "Unknown plan family",
			"The room question names a plan family or SKU the catalog does not know, or an SKU in no family.",
			"Name one of the families the message lists."},
		{CodeNoSKUCarriesPlan, http.StatusUnprocessableEntity, ScopeRequest, "No SKU carries the plan",
			"The path needs a service plan that no SKU of the catalog carries.",
			"Choose another feature, or add an SKU carrying the plan to the catalog."},

		// Telephony and credits.
		{CodeNumberNeedsCallingPlan, http.StatusUnprocessableEntity, ScopeUser, "A phone number needs a Calling Plan",
			"The user has a phone number, and a number goes only to a user with a Calling Plan: the change would leave it without one.",
			"Release the user's number first, or keep a Calling Plan on the user."},
		{CodeProviderNeedsLicense, http.StatusUnprocessableEntity, ScopeUser, "The provider needs a license",
			"The operator's conference bridge needs Audio Conferencing on the user; a third-party provider needs the plans the catalog asks for.",
			"Assign the license the message names, or choose another provider."},
		{CodeInsufficientFunds, http.StatusUnprocessableEntity, ScopeRequest, "Not enough funds",
			"A charge is over the tenant's balance and auto-recharge is off, or the tenant is out of funds.",
			"Add funds (licet credits add) or turn on auto-recharge."},

		// Volume activation.
		{CodeActivationLimitExceeded, http.StatusUnprocessableEntity, ScopeRequest, "No activations left",
			"Every activation of the key is used: each distinct machine, physical or virtual, takes one, and a machine activated before takes none.",
			"The operator extends the key on its key page (Extend), or the machine installs another MAK of the agreement; a machine retired for good does not give its activation back."},
		{CodeExtensionLimitExceeded, http.StatusUnprocessableEntity, ScopeRequest, "The key cannot grow further",
			"Raising the limit would pass the largest limit a key may have.",
			"Issue another key for the same agreement and product group."},
		{CodeInvalidProductKey, http.StatusUnprocessableEntity, ScopeRequest, "Unknown or blocked key",
			"The key is not one licet issued, it is blocked, or it belongs to another tenant: licet answers all three alike, on purpose.",
			"Check the key installed on the machine (`licet client status --verbose` shows its type and group); if it was blocked, ask the operator, or install another key."},
		{CodeKeyTypeNotActivatable, http.StatusUnprocessableEntity, ScopeRequest, "This key does not activate this way",
			"Setup keys activate nothing, kms-client keys activate against a KMS host only, and kms-host keys activate KMS hosts.",
			"Install a MAK (or retail key) on the machine for online, proxy or offline activation."},
		{CodeProductMismatch, http.StatusUnprocessableEntity, ScopeRequest, "Key of another product group",
			"The key was issued for another product group than the product the machine runs.",
			"Install a key of the product's group (the key page shows each key's group)."},
		{CodeForeignConfirmation, http.StatusUnprocessableEntity, ScopeRequest, "Confirmation ID of another machine",
			"The confirmation ID was not issued for this machine's installation ID (another machine's, another key's, or mistyped).",
			"Read the installation ID again (licet client installation-id) and ask for a new confirmation ID."},
		{CodeInstallationKeyMismatch, http.StatusUnprocessableEntity, ScopeMember, "Installation ID of another key",
			"A machine of the proxy request holds an installation ID made for another product key than the request's.",
			"Make the installation ID again with the request's key, or send the machine in a request of its own key."},
		{CodeProxyIncomplete, 0, ScopeRequest, "Some machines were not activated",
			"A proxy activation activated some machines of the request, not all; each result says why.",
			"Fix the machines whose results failed and send them again in a new request."},

		// KMS.
		{CodeKMSHostLimit, http.StatusUnprocessableEntity, ScopeRequest, "No KMS host activations left",
			"The kms-host key has activated as many distinct hosts as it may.",
			"Re-activate an existing host (free for the same host), or ask the operator to raise the key's host limit."},
		{CodeKeyBlocked, http.StatusUnprocessableEntity, ScopeRequest, "Key blocked",
			"The operator blocked the product key.",
			"Ask the operator why, or use another key."},
		{CodeKMSHostNotActivated, http.StatusServiceUnavailable, ScopeRequest, "KMS host not activated",
			"The KMS host has no certificate from the central service yet.",
			"Its administrator runs licet kms activate."},
		{CodeKMSCertificateExpired, http.StatusConflict, ScopeRequest, "KMS host certificate expired",
			"The KMS host's certificate has expired: it cannot be renewed, and the host does not serve (a KMS host answers it with 503, so that clients try another host).",
			"Its administrator re-activates it with licet kms activate (free for the same host)."},
		{CodeUnknownProduct, http.StatusUnprocessableEntity, ScopeRequest, "Unknown product",
			"The KMS host does not know the product.",
			"Check the product slug; for a product released after the host was activated, re-activate the host."},
		{CodeProductNotCovered, http.StatusUnprocessableEntity, ScopeRequest, "Product not covered by the host",
			"The product's group is not covered by the KMS host's key.",
			"Activate the product with a MAK, or run a host with a key of a group that covers it."},

		// Running licet: tokens, backups and restores.
		{CodeLastOperatorToken, http.StatusUnprocessableEntity, ScopeRequest, "Last operator token",
			"Revoking the token would leave no active operator token, locking every operator out.",
			"Create another operator token first (licet token create --operator), then revoke this one; a lost token is recovered with licet token recover on the server's machine."},
		{CodeDatabaseInUse, 0, ScopeRequest, "Database in use",
			"A running server holds the database a restore would replace, or a restore holds the database a server would open.",
			"Stop the server before restoring, or start it when the restore has finished."},
		{CodeForeignSigningKey, 0, ScopeRequest, "Backup of another signing key",
			"The backup was made under another signing key than the key file given.",
			"Restore it with its own signing key file (--signing-key), or give --allow-other-signing-key."},

		// Signing-key rotation.
		{CodeSigningKeyActive, http.StatusConflict, ScopeRequest, "Signing key active",
			"The active signing key cannot be retired.",
			"Rotate to a new key first (licet signing-key rotate), then retire this one."},
		{CodeSigningKeyInUse, http.StatusConflict, ScopeRequest, "Signing key in use",
			"KMS hosts still hold unexpired certificates under the key.",
			"Let the hosts renew their certificates under the new key, or wait until they expire, then retire it."},
		{CodeSigningKeyRetired, http.StatusConflict, ScopeRequest, "Signing key retired",
			"What the key signed is refused: the operator retired the key.",
			"Activate again: the new ticket or certificate is signed by the active key."},

		// Catalog versions.
		{CodeCatalogInUse, http.StatusUnprocessableEntity, ScopeRequest, "Catalog version removes what is in use",
			"The new catalog version removes an SKU or a service plan that is bought, assigned or disabled somewhere, or an organisation type or cloud that tenants have; the details name each and how many hold it.",
			"Keep those SKUs, plans, organisation types and clouds in the new version, or first remove the assignments that use the plans."},

		// The fleet inventory, events and webhooks.
		{CodeWebhookTargetRefused, http.StatusUnprocessableEntity, ScopeRequest, "Webhook target refused",
			"The webhook URL is not http(s), or it resolves to a private, loopback or link-local address while the operator has not allowed those.",
			"Give a public http(s) URL, or have the operator allow private targets."},
		{CodeReportSignatureInvalid, http.StatusUnauthorized, ScopeRequest, "Report signature invalid",
			"The KMS host report is not signed by the key of the host it names.",
			"Send the report from the host itself (licet kms report), whose certificate the central service issued."},

		// Directory-based activation (on the machine, and `licet directory`).
		{CodeDirectoryBindFailed, 0, ScopeRequest, "Directory bind failed",
			"The machine could not bind to the directory: wrong credentials, not a member, a client certificate refused, or a server certificate that does not verify.",
			"Check --bind-dn and --password-file (or --client-cert, --client-key, --ldap-ca); a machine that left the directory activates through a KMS host."},
		{CodeDirectoryUnavailable, 0, ScopeRequest, "Directory unavailable",
			"No directory server answered, or none was found through the domain's _ldap._tcp SRV records.",
			"Check --ldap (or the SRV records, --dns-domain and --dns-server) and that a directory server is reachable."},
		{CodeActivationObjectNotFound, 0, ScopeRequest, "No activation object",
			"The directory holds no activation object for the product group: it was removed, or never written.",
			"The directory's administrator writes it with licet directory activate."},
		{CodeActivationObjectInvalid, 0, ScopeRequest, "Activation object refused",
			"An activation object was found but refused: its signature, product group, tenant or expiry does not verify; nothing was activated.",
			"The directory's administrator writes it again with licet directory activate."},

		// The client agent's state directory (on the machine).
		{CodeStateCorrupt, 0, ScopeRequest, "Agent state corrupt",
			"The agent's state file cannot be read as agent state.",
			"Move it away and install the key again (licet client install-key)."},
		{CodeStateUnreadable, 0, ScopeRequest, "Agent state unreadable",
			"The agent's state file exists but cannot be read.",
			"Fix the permissions of the state directory, or choose another with --state-dir."},
		{CodeStateUnwritable, 0, ScopeRequest, "Agent state unwritable",
			"The agent's state directory cannot be created or written.",
			"Fix its permissions, or choose another with --state-dir."},
	} {
		if _, dup := codes[c.Code]; dup {
			panic("licet: error code " + c.Code + " registered twice")
		}
		codes[c.Code] = c
	}
}

// LookupCode returns what the registry says about code, and false for a code it does not hold.
func LookupCode(code string) (CodeInfo, bool) {
	c, ok := codes[code]
	return c, ok
}

// Codes returns every registered code, sorted.
func Codes() []CodeInfo {
	out := make([]CodeInfo, 0, len(codes))
	for _, c := range codes {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CodeInfo) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// HTTPStatus returns the HTTP status that answers code: the registry's, or 422 for a code it
// does not hold (a rule refused the request; the registry test keeps this case from happening).
func HTTPStatus(code string) int {
	if c, ok := codes[code]; ok && c.Status != 0 {
		return c.Status
	}
	return http.StatusUnprocessableEntity
}

// CodeScope returns how much of a request code refuses: the registry's scope, or ScopeRequest
// for a code it does not hold.
func CodeScope(code string) Scope {
	if c, ok := codes[code]; ok {
		return c.Scope
	}
	return ScopeRequest
}
