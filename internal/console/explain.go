package console

import (
	"fmt"

	"github.com/licet/licet"
)

// Rule errors explained in words: the catalog's violations (CountViolation,
// DependencyViolation, PrerequisiteMissing…) come back from the services with a code, a message
// and a way out; the console adds what the code means and the usual way out, read from the
// registry of codes (licet.LookupCode), and shows each violation as the service gave it.

// ruleHelp is what the registry says about a rule's code, or nothing for a generic code (invalid,
// not found…), which the console shows as its message only.
func ruleHelp(code string) licet.CodeInfo {
	if c, ok := licet.LookupCode(code); ok && c.Rule() {
		return c
	}
	return licet.CodeInfo{}
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
	h := ruleHelp(e.Code)
	if h.Code == "" {
		return nil
	}
	p := &problem{Code: e.Code, Title: h.Title, Meaning: h.Meaning, WayOut: h.WayOut}
	for _, v := range violations(e) {
		it := problemItem{Code: v["code"], Title: ruleHelp(v["code"]).Title, Message: v["message"], WayOut: v["wayOut"], Rule: v["rule"], Source: v["source"], Label: v["skuPartNumber"]}
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
		return c.refuseProblem(p, licet.HTTPStatus(e.Code))
	}
	c.form = &form{Values: c.r.PostForm, Errors: map[string]string{}, Error: prefix + e.Message}
	return c.show(licet.HTTPStatus(e.Code))
}
