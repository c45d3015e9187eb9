package licet

// Error codes of the catalog's rules (internal/catalog) and of the advisor. The assignment codes
// are the ones Microsoft Graph uses for group licensing errors; the others are licet's own.
const (
	// CodeDependencyViolation: a plan needs another plan on the same user, or the change would
	// remove a plan another one needs.
	CodeDependencyViolation = "DependencyViolation"
	// CodeMutuallyExclusiveViolation: two plans that exclude each other would be on one user.
	CodeMutuallyExclusiveViolation = "MutuallyExclusiveViolation"
	// CodeProhibitedInUsageLocationViolation: the SKU is not allowed where the user is.
	CodeProhibitedInUsageLocationViolation = "ProhibitedInUsageLocationViolation"
	// CodeHybridCallingPlanViolation: a user with on-premises PSTN connectivity gets no Calling Plan.
	CodeHybridCallingPlanViolation = "HybridCallingPlanViolation"
	// CodeNotPurchased: the tenant has no subscription of the SKU.
	CodeNotPurchased = "NotPurchased"
	// CodeInvalidDisabledPlan: a plan to turn off is not one of the SKU's.
	CodeInvalidDisabledPlan = "InvalidDisabledPlan"
	// CodeInvalidChange: the change both adds and removes one SKU.
	CodeInvalidChange = "InvalidChange"
	// CodeUnknownSKU: the part number is not in the catalog in force.
	CodeUnknownSKU = "UnknownSKU"
	// CodePrerequisiteMissing: a purchase needs an SKU the tenant does not own yet.
	CodePrerequisiteMissing = "PrerequisiteMissing"
	// CodeAddOnNotAllowedForBase: the tenant's bases may not carry the add-on.
	CodeAddOnNotAllowedForBase = "AddOnNotAllowedForBase"
	// CodeChannelRestriction: the SKU is not sold through the channel.
	CodeChannelRestriction = "ChannelRestriction"
	// CodeTermRestriction: the term is not allowed for the purchase.
	CodeTermRestriction = "TermRestriction"
	// CodeNotAvailable: the SKU is not sold to the tenant's country, organisation type or cloud.
	CodeNotAvailable = "NotAvailable"
	// CodeInvalidPurchase: the term or the channel is not one licet knows.
	CodeInvalidPurchase = "InvalidPurchase"

	// CodeUnknownFeature: an advisor question names a feature the catalog does not know.
	CodeUnknownFeature = "UnknownFeature"
	// CodeUnknownFamily: a room question names a plan family or SKU the catalog does not know.
	CodeUnknownFamily = "UnknownFamily"
	// CodeNoSKUCarriesPlan: an advised path needs a service plan no SKU of the catalog carries.
	CodeNoSKUCarriesPlan = "NoSKUCarriesPlan"
)
