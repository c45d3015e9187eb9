package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/seats"
)

// defaultBatch is how many users the command line sends in one request.
const defaultBatch = 25_000

// assignOptions are the flags of licet assign.
type assignOptions struct {
	tenant   string
	file     string
	users    []string
	add      []string
	remove   []string
	disabled []string
	dryRun   bool
	report   string
	batch    int
}

func (a *app) assignCommand() *cobra.Command {
	var o assignOptions
	cmd := &cobra.Command{
		Use:   "assign --tenant T (--users FILE | --user UPN) --add SKU,… [--remove SKU,…]",
		Short: "Assign or remove licenses, for one user or in bulk from a file",
		Long: "Assign or remove licenses. With --users FILE (a UPN per line, or CSV with a upn/UserPrincipalName column)\n" +
			"the server applies the change in bulk, each user atomically: a user whose change breaks a rule keeps\n" +
			"nothing of it, and the others go on. Prints a summary by outcome and error code; --report writes every\n" +
			"user's outcome as CSV or JSON. Exit 1 when any user failed. --dry-run changes nothing.",
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&o.tenant, "tenant", "", "the tenant's slug (LICET_TENANT)")
	f.StringVar(&o.file, "users", "", "file of users: a UPN per line, or CSV with a upn/UserPrincipalName column")
	f.StringSliceVar(&o.users, "user", nil, "a user's UPN (repeatable), instead of --users")
	f.StringSliceVar(&o.add, "add", nil, "SKUs to assign, comma-separated: part numbers of the catalog (licet skus --tenant T)")
	f.StringSliceVar(&o.remove, "remove", nil, "SKUs to remove, comma-separated")
	f.StringSliceVar(&o.disabled, "disabled-plans", nil, "service plans to disable: PLAN (in every added SKU that has it) or SKU:PLAN")
	f.BoolVar(&o.dryRun, "dry-run", false, "decide and print every user's outcome and the seat change per SKU; change nothing")
	f.StringVar(&o.report, "report", "", "write every user's outcome to this file: .csv or .json")
	f.IntVar(&o.batch, "batch-size", defaultBatch, "users per request")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if o.tenant == "" {
			return Usagef("--tenant is required (or set LICET_TENANT)")
		}
		if (o.file == "") == (len(o.users) == 0) {
			return Usagef("give either --users FILE or --user UPN")
		}
		change, err := licenseChange(o.add, o.remove, o.disabled)
		if err != nil {
			return err
		}
		if o.report != "" && !slices.Contains([]string{".csv", ".json"}, strings.ToLower(filepath.Ext(o.report))) {
			return Usagef("--report %s: give a file ending in .csv or .json", o.report)
		}
		if o.batch < 1 || o.batch > seats.MaxBatch {
			return Usagef("--batch-size must be 1 to %d", seats.MaxBatch)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if len(o.users) == 1 && o.report == "" && !o.dryRun {
			u, err := c.AssignLicense(cmd.Context(), o.tenant, o.users[0], change)
			if err != nil {
				return err
			}
			return a.output(u, func() error { return a.userDetails(u) })
		}
		list := &listfile.List{}
		if o.file != "" {
			if list, err = a.readList(o.file); err != nil {
				return err
			}
		} else {
			for i, u := range o.users {
				list.Entries = append(list.Entries, listfile.Entry{Line: i + 1, UPN: u})
			}
		}
		return a.runAssign(cmd.Context(), c, o, list, change)
	}
	return cmd
}

// licenseChange builds the change from the --add, --remove and --disabled-plans flags.
func licenseChange(add, remove, disabled []string) (licet.LicenseChange, error) {
	var ch licet.LicenseChange
	for _, s := range add {
		if s = strings.TrimSpace(s); s != "" {
			ch.AddLicenses = append(ch.AddLicenses, licet.LicenseAdd{SKU: s})
		}
	}
	for _, s := range remove {
		if s = strings.TrimSpace(s); s != "" {
			ch.RemoveLicenses = append(ch.RemoveLicenses, s)
		}
	}
	if len(ch.AddLicenses) == 0 && len(ch.RemoveLicenses) == 0 {
		return ch, Usagef("give --add SKU,… or --remove SKU,…")
	}
	for _, d := range disabled {
		sku, plan, scoped := strings.Cut(strings.TrimSpace(d), ":")
		if !scoped {
			sku, plan = "", sku
		}
		found := false
		for i := range ch.AddLicenses {
			if !scoped || ch.AddLicenses[i].SKU == sku {
				ch.AddLicenses[i].DisabledPlans = append(ch.AddLicenses[i].DisabledPlans, plan)
				found = true
			}
		}
		if !found {
			return ch, Usagef("--disabled-plans %s: %s is not among the SKUs of --add", d, sku)
		}
	}
	return ch, nil
}

// runAssign sends the change for every user of the list in a few large requests, then prints the
// summary and writes the report. licet bench assign times this same path.
func (a *app) runAssign(ctx context.Context, c *client.Client, o assignOptions, list *listfile.List, change licet.LicenseChange) error {
	upns := list.UPNs()
	rep := listfile.NewReport(list, o.dryRun)
	bar := a.progress(len(upns), "assigning")
	for start := 0; start < len(upns); start += o.batch {
		end := min(start+o.batch, len(upns))
		res, err := c.AssignBatch(ctx, o.tenant, licet.BatchAssignment{Users: upns[start:end], LicenseChange: change, DryRun: o.dryRun})
		if err != nil {
			bar.done()
			if start > 0 {
				fmt.Fprintf(a.stderr, "licet: the first %d users were handled before this error\n", start)
			}
			return err
		}
		rep.Add(list.Entries[start:end], res)
		bar.add(end - start)
	}
	bar.done()
	if o.report != "" {
		if err := writeReport(o.report, rep); err != nil {
			return err
		}
	}
	failed := 0
	for _, r := range rep.Results {
		if r.Outcome == licet.OutcomeFailed {
			failed++
		}
	}
	err := a.output(rep, func() error { return a.printAssignSummary(rep, o) })
	if err != nil {
		return err
	}
	if failed > 0 {
		where := "see above"
		if o.report != "" {
			where += " and " + o.report
		}
		verb := "failed"
		if o.dryRun {
			verb = "would fail"
		}
		return fmt.Errorf("%d of %d users %s (%s)", failed, len(rep.Results), verb, where)
	}
	return nil
}

// printAssignSummary prints the outcome counts, the failures by error code (with how many units
// to buy for a CountViolation), the seat change per SKU, and on a dry run every user's outcome.
func (a *app) printAssignSummary(rep *listfile.Report, o assignOptions) error {
	if rep.DryRun {
		fmt.Fprintln(a.stdout, "dry run: nothing was changed")
		rows := make([][]string, 0, len(rep.Results))
		for _, r := range rep.Results {
			rows = append(rows, []string{strconv.Itoa(r.Line), r.UPN, string(r.Outcome), resultDetail(r.AssignResult)})
		}
		if err := a.table([]string{"LINE", "UPN", "OUTCOME", "DETAIL"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
	}
	count := map[licet.Outcome]int{}
	type codeKey struct{ code, sku string }
	codes := map[codeKey]int{}
	var codeOrder []codeKey
	var failures [][]string
	for _, r := range rep.Results {
		count[r.Outcome]++
		if r.Error == nil {
			continue
		}
		sku, _ := r.Error.Details["skuPartNumber"].(string)
		k := codeKey{r.Error.Code, sku}
		if codes[k] == 0 {
			codeOrder = append(codeOrder, k)
		}
		codes[k]++
		failures = append(failures, []string{strconv.Itoa(r.Line), r.UPN, r.Error.Code, r.Error.Message})
	}
	if !rep.DryRun && len(failures) > 0 {
		const show = 20
		if len(failures) > show {
			failures = failures[:show]
		}
		if err := a.table([]string{"LINE", "UPN", "ERROR", "MESSAGE"}, failures); err != nil {
			return err
		}
		if n := count[licet.OutcomeFailed]; n > show {
			fmt.Fprintf(a.stdout, "… %d more failures (write them all with --report)\n", n-show)
		}
		fmt.Fprintln(a.stdout)
	}
	var rows [][]string
	for _, k := range []licet.Outcome{licet.OutcomeAssigned, licet.OutcomeRemoved, licet.OutcomeAlreadyAssigned, licet.OutcomeFailed} {
		if count[k] > 0 {
			rows = append(rows, []string{strings.ReplaceAll(string(k), "_", " "), strconv.Itoa(count[k])})
		}
	}
	if len(rep.Duplicates) > 0 {
		rows = append(rows, []string{"duplicate lines skipped", strconv.Itoa(len(rep.Duplicates))})
	}
	if err := a.table([]string{"OUTCOME", "USERS"}, rows); err != nil {
		return err
	}
	if len(codeOrder) > 0 {
		fmt.Fprintln(a.stdout)
		rows = rows[:0]
		for _, k := range codeOrder {
			info, _ := licet.LookupCode(k.code)
			rows = append(rows, []string{k.code, dash(info.Title), dash(k.sku), strconv.Itoa(codes[k])})
		}
		if err := a.table([]string{"ERROR CODE", "TITLE", "SKU", "USERS"}, rows); err != nil {
			return err
		}
		for _, k := range codeOrder {
			if k.code == licet.CodeCountViolation && k.sku != "" {
				fmt.Fprintf(a.stdout, "buy %d more %s to license the %d user(s) refused for lack of units\n", codes[k], k.sku, codes[k])
			}
		}
	}
	fmt.Fprintln(a.stdout)
	rows = rows[:0]
	for _, sc := range rep.Seats {
		enabled, avail := strconv.Itoa(sc.Enabled), strconv.Itoa(max(0, sc.Enabled-sc.Consumed))
		if sc.Unlimited {
			enabled, avail = "unlimited", "unlimited"
		}
		rows = append(rows, []string{sc.SKU, fmt.Sprintf("%+d", sc.Delta), strconv.Itoa(sc.Consumed), enabled, avail})
	}
	verb := "CHANGE"
	if rep.DryRun {
		verb = "WOULD CHANGE"
	}
	return a.table([]string{"SKU", verb, "CONSUMED", "ENABLED", "AVAILABLE"}, rows)
}

// resultDetail is a user's change or error in one line.
func resultDetail(r licet.AssignResult) string {
	if r.Error != nil {
		return r.Error.Code + ": " + r.Error.Message
	}
	var parts []string
	for _, l := range []struct {
		verb string
		skus []string
	}{{"add", r.Added}, {"update", r.Updated}, {"remove", r.Removed}} {
		if len(l.skus) > 0 {
			parts = append(parts, l.verb+" "+strings.Join(l.skus, ","))
		}
	}
	return dash(strings.Join(parts, "; "))
}

// writeReport writes the per-user report as CSV or JSON, by the file's extension.
func writeReport(path string, rep *listfile.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot write the report: %v", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = rep.WriteJSON(f)
	} else {
		err = rep.WriteCSV(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot write the report %s: %v", path, err)
	}
	return nil
}

// progress is a progress bar on stderr when stderr is a terminal, and nothing otherwise.
type progress struct{ bar *progressbar.ProgressBar }

func (a *app) progress(total int, what string) progress {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return progress{}
	}
	return progress{progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())}
}

func (p progress) add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

func (p progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// importUsers sends users in requests of batch users, with progress on a terminal.
func (a *app) importUsers(cmd *cobra.Command, c *client.Client, tenant string, users []licet.User, batch int) ([]licet.ImportResult, error) {
	out := make([]licet.ImportResult, 0, len(users))
	bar := a.progress(len(users), "importing")
	defer bar.done()
	for start := 0; start < len(users); start += batch {
		end := min(start+batch, len(users))
		res, err := c.ImportUsers(cmd.Context(), tenant, users[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		bar.add(end - start)
	}
	return out, nil
}
