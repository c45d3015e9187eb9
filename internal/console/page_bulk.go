package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// Bulk assignment: upload a list of users (a UPN per line, or CSV with a upn column, read by the
// seat package's parser), choose SKUs to add and remove, see the dry run (every user's outcome
// and the seat change per SKU), apply it in chunks with a progress bar, and download the per-user
// report in the format of `licet assign --report`.

func init() {
	register(&page{ID: "bulk", Title: "Bulk assignment", Path: "/bulk", Scope: perTenant, Nav: 130, Upload: maxUpload,
		Load: loadBulk,
		Actions: map[string]handler{
			"":             uploadList,
			"/{job}/apply": applyList,
			"/{job}/step":  applyStep,
		},
		Files: map[string]handler{
			"/{job}/report.csv":  bulkReport,
			"/{job}/report.json": bulkReport,
		},
	})
}

// maxFileName bounds the file name shown on the page.
const maxFileName = 80

// bulkRowsShown bounds the users listed on the page; the report has them all.
const bulkRowsShown = 500

// bulkData is the bulk assignment page: the form, and the job when one is open.
type bulkData struct {
	SKUs []licet.SubscribedSKU // the tenant's, for the checkboxes
	Job  *jobView
}

// jobView is a snapshot of a job for the page.
type jobView struct {
	ID, FileName string
	Href         string // the job's page
	Add, Remove  []string
	Users        int
	Duplicates   []listfile.Duplicate
	Report       *listfile.Report // the apply's when it has started, else the dry run's
	Applying     bool             // the apply has started and is not finished
	Applied      bool             // every user has been handled
	Done, Total  int
	Chunk        int // users per step
	Stopped      string
	Counts       []outcomeCount
	Failures     []failureGroup
	Rows         []listfile.ReportRow // the first bulkRowsShown users
	More         int
}

// outcomeCount is how many users had an outcome.
type outcomeCount struct {
	Outcome licet.Outcome
	Users   int
}

// failureGroup is the users refused for one code and SKU, with the code explained.
type failureGroup struct {
	Code, SKU string
	Users     int
	Help      licet.CodeInfo
	Buy       string // for a CountViolation: how many units to buy
}

func loadBulk(s *Server, c *reqCtx) (any, error) {
	skus, err := c.subscribedSKUs(c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	d := bulkData{SKUs: skus}
	id := c.r.PathValue("job")
	if id == "" {
		id = c.r.URL.Query().Get("job")
	}
	if id != "" {
		j, err := s.bulk.Get(c.ctx(), id, c.sess.ID, c.tenant.Slug)
		if err != nil {
			return nil, err
		}
		d.Job = viewJob(j, bulkHref(c.tenant))
	}
	return d, nil
}

// bulkHref is the bulk assignment page of a tenant.
func bulkHref(t *licet.Tenant) string { return "/tenants/" + url.PathEscape(t.Slug) + "/bulk" }

// viewJob takes a snapshot of the job.
func viewJob(j *bulkJob, base string) *jobView {
	v := &jobView{ID: j.ID, FileName: j.FileName, Href: base + "?job=" + j.ID, Users: len(j.List.Entries), Duplicates: j.List.Duplicates,
		Report: j.Dry, Total: len(j.List.Entries), Chunk: bulkChunk, Stopped: j.Stopped}
	for _, a := range j.Change.AddLicenses {
		v.Add = append(v.Add, a.SKU)
	}
	v.Remove = j.Change.RemoveLicenses
	if j.Applied != nil {
		v.Report, v.Done = j.Applied, j.Next
		v.Applied = j.Next == len(j.List.Entries)
		v.Applying = !v.Applied
	}
	v.summarize()
	return v
}

// summarize counts the outcomes and groups the failures by code and SKU.
func (v *jobView) summarize() {
	n := v.Report.Count()
	for _, o := range []licet.Outcome{licet.OutcomeAssigned, licet.OutcomeRemoved, licet.OutcomeAlreadyAssigned, licet.OutcomeFailed} {
		if n[o] > 0 {
			v.Counts = append(v.Counts, outcomeCount{o, n[o]})
		}
	}
	for _, r := range v.Report.Results {
		if r.Error == nil {
			continue
		}
		sku, _ := r.Error.Details["skuPartNumber"].(string)
		i := slices.IndexFunc(v.Failures, func(g failureGroup) bool { return g.Code == r.Error.Code && g.SKU == sku })
		if i < 0 {
			help := ruleHelp(r.Error.Code)
			if help.Code == "" {
				help = bulkHelps[r.Error.Code]
			}
			v.Failures = append(v.Failures, failureGroup{Code: r.Error.Code, SKU: sku, Help: help})
			i = len(v.Failures) - 1
		}
		v.Failures[i].Users++
	}
	for i, g := range v.Failures {
		if g.Code == licet.CodeCountViolation && g.SKU != "" {
			v.Failures[i].Buy = fmt.Sprintf("Buy %d more unit(s) of %s to license the %d user(s) refused for lack of units.", g.Users, g.SKU, g.Users)
		}
	}
	v.Rows = v.Report.Results[:min(len(v.Report.Results), bulkRowsShown)]
	v.More = len(v.Report.Results) - len(v.Rows)
}

// bulkHelps explain the failures of a batch that are not rules.
var bulkHelps = map[string]licet.CodeInfo{
	licet.ENotFound: {Code: licet.ENotFound, Title: "Not a user of the tenant", Meaning: "The list names a user the tenant does not have.",
		WayOut: "Create or import the user (licet user import FILE), or remove the line."},
	licet.EInvalid: {Code: licet.EInvalid, Title: "Not a valid user principal name", Meaning: "The line does not name a user the way licet stores them.",
		WayOut: "Fix the line: name@domain.tld."},
}

// uploadList reads the uploaded file and the SKUs chosen, runs the dry run and keeps the list
// for the apply.
func uploadList(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	f := c.r.PostForm
	change := licet.LicenseChange{RemoveLicenses: f["remove"]}
	for _, sku := range f["add"] {
		change.AddLicenses = append(change.AddLicenses, licet.LicenseAdd{SKU: sku})
	}
	if len(change.AddLicenses) == 0 && len(change.RemoveLicenses) == 0 {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose at least one SKU to add or to remove"), "skus")
	}
	name, data, err := uploadedFile(c, "users")
	if err != nil {
		return c.refuse(err, "users")
	}
	list, err := listfile.ParseList(data)
	if err != nil {
		return c.refuse(licet.Errorf(licet.EInvalid, "%s is not a UPN list: %s", name, licet.ErrorMessage(err)), "users")
	}
	if len(list.Invalid) > 0 {
		return c.refuseProblem(notAList(name, list), http.StatusBadRequest)
	}
	switch {
	case len(list.Entries) == 0:
		return c.refuse(licet.Errorf(licet.EInvalid, "%s names no users: give a UPN per line, or CSV with a upn or UserPrincipalName column", name), "users")
	case len(list.Entries) > maxBulkUsers:
		return c.refuse(licet.Errorf(licet.EInvalid, "%s names %d users, over the console's limit of %d: split it, or use licet assign --users FILE", name, len(list.Entries), maxBulkUsers), "users")
	}
	res, err := svc.AssignBatch(c.ctx(), c.tenant.Slug, licet.BatchAssignment{Users: list.UPNs(), LicenseChange: change, DryRun: true})
	if err != nil {
		return c.refuse(err, "")
	}
	dry := listfile.NewReport(list, true)
	dry.Add(list.Entries, res)
	j := &bulkJob{Session: c.sess.ID, Tenant: c.tenant.Slug, FileName: name, List: list, Change: change, Dry: dry}
	if err := s.bulk.Put(c.ctx(), j, data); err != nil {
		return err
	}
	return c.redirect(bulkHref(c.tenant)+"?job="+j.ID, "")
}

// uploadedFile reads a file field of a multipart form.
func uploadedFile(c *reqCtx, field string) (string, []byte, error) {
	if c.r.MultipartForm == nil || len(c.r.MultipartForm.File[field]) == 0 {
		return "", nil, licet.Errorf(licet.EInvalid, "choose a file: a UPN per line, or CSV with a upn or UserPrincipalName column")
	}
	fh := c.r.MultipartForm.File[field][0]
	name := path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "the file"
	}
	if r := []rune(name); len(r) > maxFileName {
		name = string(r[:maxFileName]) + "…"
	}
	fl, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer fl.Close()
	data, err := io.ReadAll(io.LimitReader(fl, maxUpload+1))
	if err != nil {
		return "", nil, err
	}
	if len(data) > maxUpload {
		return "", nil, licet.Errorf(licet.ETooLarge, "%s is over the limit of %d bytes: split it", name, maxUpload)
	}
	return name, data, nil
}

// notAList explains a file with lines that are not users, with their numbers.
func notAList(name string, l *listfile.List) *problem {
	p := &problem{Code: licet.CodeNotAUserList, Title: name + " is not a UPN list",
		Meaning: fmt.Sprintf("%d line(s) are neither a user principal name (name@domain.tld) nor a CSV row with one; nothing was stored or changed.", len(l.Invalid)),
		WayOut:  "Fix or remove the lines below and upload the file again. A list is a UPN per line (blank lines and # comments are skipped), or CSV whose header has a upn or UserPrincipalName column."}
	for _, e := range l.Invalid {
		p.add(problemItem{Label: "line " + strconv.Itoa(e.Line), Message: fmt.Sprintf("%q: %s", e.Text, e.Reason)})
	}
	return p
}

// job returns the job of the URL for this session and tenant.
func (c *reqCtx) job() (*bulkJob, error) {
	return c.s.bulk.Get(c.ctx(), c.r.PathValue("job"), c.sess.ID, c.tenant.Slug)
}

// applyList starts the apply. With htmx the page then runs one chunk per request, showing the
// progress; without JavaScript every chunk runs in this request.
func applyList(s *Server, c *reqCtx) error {
	j, err := c.job()
	if err != nil {
		return err
	}
	if j.Applied == nil {
		if err := s.bulk.StartApply(c.ctx(), j); err != nil {
			return err
		}
	}
	if c.r.Header.Get("HX-Request") == "" {
		for {
			if j, err = c.job(); err != nil {
				return err
			}
			more, err := step(c, j, -1)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return c.redirect(bulkHref(c.tenant)+"?job="+j.ID, "")
}

// applyStep applies the chunk that starts at the form's "from" (a repeated or late step does
// nothing) and shows the page with the progress.
func applyStep(s *Server, c *reqCtx) error {
	j, err := c.job()
	if err != nil {
		return err
	}
	from, err := strconv.Atoi(c.r.PostForm.Get("from"))
	if err != nil || from < 0 {
		return licet.Errorf(licet.EInvalid, "from=%q is not a position in the list", c.r.PostForm.Get("from"))
	}
	if _, err := step(c, j, from); err != nil {
		return err
	}
	return c.show(http.StatusOK)
}

// step applies the next chunk when it starts at from (any chunk when from < 0), and reports
// whether this request may go on with the next one: users remain and no other request is
// applying a chunk of the job. A batch refused as a whole stops the apply with its reason.
func step(c *reqCtx, j *bulkJob, from int) (bool, error) {
	total := len(j.List.Entries)
	if j.Applied == nil || j.Next == total || (from >= 0 && from != j.Next) {
		return j.Applied != nil && j.Next < total, nil
	}
	svc, err := c.seats()
	if err != nil {
		return false, err
	}
	claimed, err := c.s.bulk.Claim(c.ctx(), j.ID, j.Next)
	if err != nil || !claimed {
		return false, err // another request applies this chunk; the page shows its progress
	}
	end := min(j.Next+bulkChunk, total)
	entries := j.List.Entries[j.Next:end]
	upns := make([]string, len(entries))
	for i, e := range entries {
		upns[i] = e.UPN
	}
	res, err := svc.AssignBatch(c.ctx(), j.Tenant, licet.BatchAssignment{Users: upns, LicenseChange: j.Change})
	if err != nil {
		if e := licet.AsError(err); e.Code == licet.EInternal || e.Code == licet.EUnavailable {
			return false, errors.Join(err, c.s.bulk.Release(context.WithoutCancel(c.ctx()), j.ID))
		}
		j.Stopped = fmt.Sprintf("stopped after %d of %d users: %s", j.Next, total, licet.ErrorMessage(err))
		return false, c.s.bulk.FinishStep(context.WithoutCancel(c.ctx()), j)
	}
	j.Applied.Add(entries, res)
	j.Next, j.Stopped = end, ""
	if err := c.s.bulk.FinishStep(context.WithoutCancel(c.ctx()), j); err != nil {
		return false, err
	}
	return j.Next < total, nil
}

// bulkReport downloads the job's per-user report (the apply's once it has started, else the dry
// run's) as CSV or JSON, in the format of licet assign --report.
func bulkReport(s *Server, c *reqCtx) error {
	j, err := c.job()
	if err != nil {
		return err
	}
	rep, kind := j.Dry, "dry-run"
	if j.Applied != nil {
		rep, kind = j.Applied, "applied"
	}
	ext := path.Ext(c.r.URL.Path)
	name := fmt.Sprintf("licet-assign-%s-%s%s", c.tenant.Slug, kind, ext)
	h := c.w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if ext == ".json" {
		h.Set("Content-Type", "application/json")
		return rep.WriteJSON(c.w)
	}
	h.Set("Content-Type", "text/csv; charset=utf-8")
	return rep.WriteCSV(c.w)
}
