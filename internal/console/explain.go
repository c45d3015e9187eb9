package console

import (
	"fmt"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/httpapi"
)

// Rule errors explained in words: the catalog's violations (CountViolation,
// DependencyViolation, PrerequisiteMissing…) come back from the services with a code, a message
// and a way out; the console adds what the code means and the usual way out, and shows each
// violation as the service gave it.

// codeHelp is what a rule code means, in words, and the usual way out.
type codeHelp struct {
	Title   string // a short name for people
	Meaning string
	WayOut  string
}

// codeHelps are the codes the console explains; any other code shows its message only.
var codeHelps = map[string]codeHelp{
	licet.CodeCountViolation: {"No units left",
		"Every enabled unit of the SKU is assigned already: a new license needs a free unit.",
		"Buy more units on the Licenses page (or raise a subscription's quantity), or remove the SKU from a user who does not need it."},
	catalog.CodeDependency: {"A service plan needs another",
		"A plan in the change needs another plan on the same user, or the change would remove a plan that another one needs.",
		"Add the required SKU in the same change, or remove the dependent SKU too."},
	catalog.CodeMutuallyExclusive: {"Plans that exclude each other",
		"Two plans in the change, or one in the change and one the user has, cannot be on the same user.",
		"Keep one of them: remove the other SKU in the same change."},
	catalog.CodeProhibitedInUsage: {"Not allowed where the user is",
		"The user has no usage location, or the SKU is not sold in the user's country, organisation type or cloud.",
		"Set the user's usage location, or choose an SKU that is sold there."},
	catalog.CodeHybridCallingPlan: {"Hybrid user: no Calling Plan",
		"The user has on-premises PSTN connectivity: calls go through the organisation's own telephony, so the user gets Phone System alone.",
		"Assign Phone System without a Calling Plan."},
	catalog.CodeNotPurchased: {"Not purchased",
		"The tenant has no subscription of the SKU, so there is nothing to assign from.",
		"Buy a subscription of the SKU on the Licenses page first."},
	catalog.CodeUnknownSKU: {"Unknown SKU",
		"The part number is not in the catalog in force.",
		"Choose an SKU from the list (the Catalog page shows them all)."},
	catalog.CodeInvalidDisabledPlan: {"Not a plan of the SKU",
		"A service plan to turn off is not one the SKU includes.",
		"Turn off only plans the SKU includes (the Catalog page lists them)."},
	catalog.CodeInvalidChange: {"Contradictory change",
		"The change both adds and removes the same SKU.",
		"Add it or remove it, not both."},
	catalog.CodePrerequisiteMissing: {"A prerequisite is missing",
		"The SKU needs a plan the tenant does not own yet: an add-on needs a base, a Calling Plan needs Phone System.",
		"Buy the SKU the message names first, then this one."},
	catalog.CodeAddOnNotAllowed: {"Add-on not allowed on this base",
		"The tenant's base plans may not carry this add-on.",
		"Switch to a base that allows it (the message names them); the Advisor compares the costs."},
	catalog.CodeChannelRestriction: {"Not sold through this channel",
		"The SKU is not sold through the chosen channel, or bases bought through it may not carry add-ons.",
		"Buy directly, or through the channel the message names."},
	catalog.CodeTermRestriction: {"Term not allowed",
		"Add-ons need a base on an annual commitment.",
		"Move the base to an annual term, or buy the add-on with the term the message names."},
	catalog.CodeNotAvailable: {"Not sold to this tenant",
		"The SKU is not sold in the tenant's country, organisation type or cloud.",
		"Choose an SKU that is sold there; the message lists where this one is."},
	licet.CodeInheritedLicense: {"Given by a group",
		"The user holds this SKU only through a group, so it cannot be removed from the user directly.",
		"Remove the user from the group, or the SKU from the group (on the group's page)."},
	licet.CodeNumberNeedsCallingPlan: {"A phone number needs a Calling Plan",
		"The user has a phone number, and a number goes only to a user with a Calling Plan: the change would leave it without one.",
		"Release the user's number first, or keep a Calling Plan on the user."},
	licet.CodeActivationLimitExceeded: {"No activations left",
		"Every activation of the key is used: each distinct machine, physical or virtual, takes one, and a machine activated before takes none.",
		"The operator extends the key on its key page (Extend), or the machine installs another MAK of the agreement; a machine retired for good does not give its activation back."},
	licet.CodeExtensionLimitExceeded: {"The key cannot grow further",
		"Raising the limit would pass the largest limit a key may have.",
		"Issue another key for the same agreement and product group."},
	licet.CodeInvalidProductKey: {"Unknown or blocked key",
		"The key is not one licet issued, it is blocked, or it belongs to another tenant: licet answers all three alike, on purpose.",
		"Check the key installed on the machine (`licet client status --verbose` shows its type and group); if it was blocked, ask the operator, or install another MAK."},
	licet.CodeKeyTypeNotActivatable: {"This key does not activate this way",
		"Setup keys activate nothing, kms-client keys activate against a KMS host only, and kms-host keys activate KMS hosts.",
		"Install a MAK (or retail key) on the machine for online, proxy or offline activation."},
	licet.CodeProductMismatch: {"Key of another product group",
		"The key was issued for another product group than the product the machine runs.",
		"Install a key of the product's group (the key page shows each key's group)."},
	catalog.CodeInvalidPurchase: {"Unknown term or channel",
		"The term or the channel is not one licet knows.",
		"Use an annual or monthly term, and the direct, partner or reseller:NAME channel."},
}

// problem is a refused change explained: the code's meaning and usual way out, then each
// violation the service reported, or each line of a file that was not understood.
type problem struct {
	Code    string
	Title   string
	Meaning string
	WayOut  string
	Items   []problemItem
	More    int // items left out
}

// problemItem is one violation, or one bad line of a file.
type problemItem struct {
	Code    string
	Title   string
	Label   string // what it is about: an SKU, a plan, "line 3"
	Message string
	WayOut  string
	Rule    string
	Source  string
}

// maxProblemItems bounds the items a problem shows.
const maxProblemItems = 20

// explain returns the explanation of a rule error, or nil for a generic error (invalid, not
// found, conflict…), which is shown as its message.
func explain(e *licet.Error) *problem {
	h, ok := codeHelps[e.Code]
	if !ok {
		return nil
	}
	p := &problem{Code: e.Code, Title: h.Title, Meaning: h.Meaning, WayOut: h.WayOut}
	for _, v := range violations(e) {
		it := problemItem{Code: v["code"], Title: codeHelps[v["code"]].Title, Message: v["message"], WayOut: v["way_out"], Rule: v["rule"], Source: v["source"], Label: v["sku"]}
		if v["plan"] != "" {
			it.Label += " · " + v["plan"]
		}
		p.add(it)
	}
	if len(p.Items) == 0 {
		p.add(problemItem{Code: e.Code, Title: h.Title, Message: e.Message})
	}
	return p
}

// add appends an item, counting those over the bound.
func (p *problem) add(it problemItem) {
	if len(p.Items) == maxProblemItems {
		p.More++
		return
	}
	p.Items = append(p.Items, it)
}

// violations reads the "violations" detail of an error: a list of string maps in process, or
// of JSON objects after a round trip.
func violations(e *licet.Error) []map[string]string {
	switch vs := e.Details["violations"].(type) {
	case []map[string]string:
		return vs
	case []any:
		out := make([]map[string]string, 0, len(vs))
		for _, v := range vs {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			row := map[string]string{}
			for k, x := range m {
				row[k] = fmt.Sprint(x)
			}
			out = append(out, row)
		}
		return out
	}
	return nil
}

// refuseProblem re-renders the page with a problem above the form, and the status of its code.
func (c *reqCtx) refuseProblem(p *problem, status int) error {
	c.form = &form{Values: c.r.PostForm, Errors: map[string]string{}, Problem: p}
	return c.show(status)
}

// refuseAbove is refuse without a field: the message goes above the forms, prefixed with what it
// concerns (e.g. the subscription of a row), for forms repeated on every row of a table.
func (c *reqCtx) refuseAbove(err error, prefix string) error {
	e := licet.AsError(err)
	if e.Code == licet.EInternal || e.Code == licet.EUnavailable {
		return err
	}
	if p := explain(e); p != nil {
		return c.refuseProblem(p, httpapi.StatusOf(e.Code))
	}
	c.form = &form{Values: c.r.PostForm, Errors: map[string]string{}, Error: prefix + e.Message}
	return c.show(httpapi.StatusOf(e.Code))
}
