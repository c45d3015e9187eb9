package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// adviseFlags are the flags of licet advise and its subcommands.
type adviseFlags struct {
	catalogFile string
	plan        string
	features    string
	country     string
	orgType     string
	cloud       string
	who         string
	term        string
	channel     string
	externals   string
	tenant      string
	user        string
}

func (f *adviseFlags) org() catalog.Org {
	return catalog.Org{Type: f.orgType, Cloud: f.cloud, Country: strings.ToUpper(f.country)}
}

// adviseCatalog is the catalog licet advise answers from: --catalog when given; with --tenant,
// the server's (the rules it enforces); else the embedded m365-teams catalog.
func (a *app) adviseCatalog(cmd *cobra.Command, f *adviseFlags) (*catalog.Catalog, error) {
	if f.catalogFile != "" || f.tenant == "" {
		return a.loadCatalog(f.catalogFile)
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	var src struct {
		Name    string `json:"name"`
		Content string `json:"content"`
	}
	if err := cl.Do(cmd.Context(), "GET", "/v1/catalog/source", nil, &src); err != nil {
		return nil, err
	}
	c, err := catalog.Load("server catalog "+src.Name, []byte(src.Content))
	if err != nil {
		return nil, fmt.Errorf("the server's catalog %s does not load in this licet (a newer format?): %w", src.Name, err)
	}
	return c, nil
}

// loadCatalog reads --catalog, or the embedded m365-teams catalog.
func (a *app) loadCatalog(file string) (*catalog.Catalog, error) {
	if file == "" {
		return catalog.Load(catalogs.M365TeamsFile, catalogs.M365Teams())
	}
	c, err := catalog.LoadFile(file)
	if verrs, ok := catalog.AsValidationErrors(err); ok {
		for _, e := range verrs {
			fmt.Fprintln(a.stderr, e.Error())
		}
		return nil, fmt.Errorf("%s: %d error(s); check it with licet catalog validate", file, len(verrs))
	}
	return c, err
}

func (a *app) adviseCommand() *cobra.Command {
	var f adviseFlags
	cmd := &cobra.Command{
		Use:   "advise",
		Short: "Which add-ons to buy, in which order, or which plan to switch to, for a feature",
		Long: "Answers from the catalog's rules (no server needed): the add-ons to buy in order, or the plan to switch to,\n" +
			"with the example monthly cost per user of the add-ons against the bundle, and the alternatives.\n" +
			"With --tenant, the catalog, the tenant's subscriptions and (with --user) the user's licenses are read from\n" +
			"the server: the answer follows the rules the server enforces. Otherwise the embedded m365-teams catalog,\n" +
			"or --catalog FILE, with --plan as the one subscription.",
		Example: "  licet advise features                       # the features of the catalog\n" +
			"  licet advise --plan SKU --feature FEATURE --country US\n  licet advise --tenant T --user UPN --feature F1,F2\n" +
			"  licet advise rooms --plan SKU",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.features == "" {
				return Usagef("--feature is required (a feature id, or several separated by commas; see licet advise features)")
			}
			if f.plan == "" && f.tenant == "" {
				return Usagef("give --plan SKU (the plan the user has) or --tenant T (the tenant's subscriptions)")
			}
			if f.user != "" && (f.tenant == "" || f.plan != "") {
				return Usagef("--user needs --tenant, and replaces --plan")
			}
			c, err := a.adviseCatalog(cmd, &f)
			if err != nil {
				return err
			}
			q := advisor.Question{Org: f.org(), Features: splitList(f.features), For: f.who, Externals: splitList(f.externals)}
			if f.tenant != "" {
				if err := a.tenantQuestion(cmd, &f, &q); err != nil {
					return err
				}
			} else {
				q.Owned = []catalog.Purchase{{SKU: f.plan, Term: f.term, Channel: f.channel}}
			}
			ans, err := advisor.Advise(c, q)
			if err != nil {
				return err
			}
			return a.output(ans, func() error { return a.printAnswer(ans) })
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.catalogFile, "catalog", "", "SKU catalog YAML file (default: the embedded m365-teams catalog)")
	pf.StringVar(&f.country, "country", "", "the organisation's country, ISO 3166 alpha-2 (availability rules)")
	pf.StringVar(&f.orgType, "org-type", "", "one of the catalog's org_types (default: its first; with --tenant, the tenant's)")
	pf.StringVar(&f.cloud, "cloud", "", "one of the catalog's clouds (default: its first; with --tenant, the tenant's)")
	pf.StringVar(&f.plan, "plan", "", "the plan SKU the user has (for rooms: an SKU or a plan family)")
	fl := cmd.Flags()
	fl.StringVar(&f.features, "feature", "", "feature id(s), comma-separated: what the user wants")
	fl.StringVar(&f.who, "for", "", "person or room (default: the kind the feature is for)")
	fl.StringVar(&f.term, "term", "", "commitment term of --plan: annual or monthly (default annual)")
	fl.StringVar(&f.channel, "channel", "", "channel --plan was bought through: direct, partner or reseller:NAME (default direct)")
	fl.StringVar(&f.externals, "have", "", "alternatives already in place, comma-separated (e.g. third-party-audio-conferencing)")
	pf.StringVar(&f.tenant, "tenant", "", "read the catalog and this tenant's purchases from the server")
	fl.StringVar(&f.user, "user", "", "with --tenant: the UPN of the user asked about (their licenses are what they hold)")

	rooms := &cobra.Command{
		Use:   "rooms",
		Short: "The room-system licensing scenarios, by plan family, checked against the catalog's rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.adviseCatalog(cmd, &f)
			if err != nil {
				return err
			}
			rs, err := advisor.Rooms(c, f.org(), f.plan)
			if err != nil {
				return err
			}
			return a.output(rs, func() error { return a.printRooms(rs) })
		},
	}
	features := &cobra.Command{
		Use:   "features",
		Short: "List the features the advisor can be asked about",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.adviseCatalog(cmd, &f)
			if err != nil {
				return err
			}
			type featureView struct {
				ID       string   `json:"id"`
				Name     string   `json:"name"`
				For      []string `json:"for"`
				OrgTypes []string `json:"orgTypes,omitempty"`
				Options  int      `json:"options"`
			}
			list := []featureView{}
			for _, ft := range c.Features() {
				list = append(list, featureView{ft.ID, ft.Name, ft.For, ft.OrgTypes, len(ft.SatisfiedBy)})
			}
			return a.output(list, func() error {
				rows := make([][]string, 0, len(list))
				for _, v := range list {
					rows = append(rows, []string{v.ID, strings.Join(v.For, ","), v.Name})
				}
				return a.table([]string{"FEATURE", "FOR", "NAME"}, rows)
			})
		},
	}
	cmd.AddCommand(rooms, features, a.adviseActivationCommand())
	return cmd
}

// tenantQuestion fills q with the tenant's purchases and, unless flags say otherwise, its org
// type, cloud and country.
//
// Hook for seat licensing: it reads GET /v1/tenants/{tenant}/subscriptions, expecting a JSON
// array of subscriptions (or an object with a "subscriptions" array), each naming its SKU in
// "skuPartNumber", with optional "term" and "channel" (see advisor.ParseSubscriptions).
// Until the server has that route, its error is shown as it is.
func (a *app) tenantQuestion(cmd *cobra.Command, f *adviseFlags, q *advisor.Question) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	t, err := cl.Tenant(cmd.Context(), f.tenant)
	if err != nil {
		return err
	}
	if q.Org.Type == "" {
		q.Org.Type = t.OrgType
	}
	if q.Org.Cloud == "" {
		q.Org.Cloud = t.Cloud
	}
	if q.Org.Country == "" {
		q.Org.Country = t.UsageLocation
	}
	var raw json.RawMessage
	if err := cl.Do(cmd.Context(), "GET", client.Path("tenants", f.tenant, "subscriptions"), nil, &raw); err != nil {
		return err
	}
	owned, err := advisor.ParseSubscriptions(raw)
	if err != nil {
		return err
	}
	if len(owned) == 0 {
		return fmt.Errorf("tenant %s has no subscriptions; ask with --plan SKU instead", f.tenant)
	}
	q.Owned = owned
	switch {
	case f.plan != "":
		q.Holds = []string{f.plan}
	case f.user != "":
		u, err := cl.User(cmd.Context(), f.tenant, f.user)
		if err != nil {
			return err
		}
		for _, l := range u.Licenses {
			if l.State != licet.StateError && !slices.Contains(q.Holds, l.SKU) {
				q.Holds = append(q.Holds, l.SKU)
			}
		}
		if len(q.Holds) == 0 {
			return fmt.Errorf("%s holds no license: ask with --plan SKU (the plan the user will have)", f.user)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

var statusText = map[string]string{
	advisor.StatusSatisfied:   "already satisfied",
	advisor.StatusBuy:         "buy add-ons on the current plan",
	advisor.StatusSwitch:      "the plan must be switched",
	advisor.StatusExternal:    "only an alternative outside the catalog works",
	advisor.StatusUnavailable: "not available",
}

func (a *app) printAnswer(ans advisor.Answer) error {
	w := a.stdout
	var feats, holds []string
	for _, r := range ans.Features {
		feats = append(feats, r.Name+" ("+r.ID+")")
	}
	for _, r := range ans.Holds {
		holds = append(holds, r.Name+" ("+r.ID+")")
	}
	fmt.Fprintf(w, "Wanted:  %s, for a %s holding %s\n", strings.Join(feats, " and "), ans.For, strings.Join(holds, ", "))
	fmt.Fprintf(w, "Answer:  %s\n", statusText[ans.Status])
	if ans.Reason != "" {
		fmt.Fprintf(w, "Why:     %s\n", ans.Reason)
	}
	if ans.Satisfied != nil {
		fmt.Fprintf(w, "By:      %s\n", strings.Join(ans.Satisfied.Uses, ", "))
		if ext := externalNames(ans.Satisfied.External); ext != "" {
			fmt.Fprintf(w, "With:    %s\n", ext)
		}
		return nil
	}
	if ans.Buy != nil {
		fmt.Fprintln(w)
		if err := a.printSteps(ans.Buy.Steps); err != nil {
			return err
		}
		fmt.Fprintf(w, "Per user and month, with what the user holds: %s\n", ans.Buy.Cost)
	}
	if len(ans.Switch) > 0 {
		fmt.Fprintln(w, "\nSwitch the plan (cheapest first):")
		rows := make([][]string, 0, len(ans.Switch))
		for _, p := range ans.Switch {
			var buys []string
			for _, s := range p.Steps {
				buys = append(buys, s.SKU)
			}
			to, why := p.Switch.SKU, "bundle with the missing plans"
			if p.Switch.Term != "" {
				to += " (" + p.Switch.Term + ")"
			}
			if p.Switch.Rule != "" {
				why = "rule " + p.Switch.Rule
			}
			rows = append(rows, []string{to, orDash(strings.Join(buys, " then ")), p.Cost.String(), why})
		}
		if err := a.table([]string{"SWITCH TO", "THEN BUY", "PER USER/MONTH", "WHY"}, rows); err != nil {
			return err
		}
	}
	if cmp := ans.Comparison; cmp != nil {
		switch cmp.Cheaper {
		case "equal":
			fmt.Fprintf(w, "\nAdd-ons (%s) cost the same as switching to %s.\n", cmp.AddOns, cmp.BundleSKU)
		case "add-ons":
			fmt.Fprintf(w, "\nCheaper: the add-ons on the current plan, %s against %s for %s (%s less per user and month).\n",
				cmp.AddOns, cmp.Bundle, cmp.BundleSKU, advisor.Money(cmp.Difference, cmp.AddOns.Currency))
		default:
			fmt.Fprintf(w, "\nCheaper: switching to %s, %s against %s for the add-ons (%s less per user and month).\n",
				cmp.BundleSKU, cmp.Bundle, cmp.AddOns, advisor.Money(cmp.Difference, cmp.AddOns.Currency))
		}
	}
	printed := map[string]bool{}
	for _, p := range ans.Options {
		for _, b := range p.Blocked {
			key := b.Code + b.Rule + b.SKU
			if printed[key] {
				continue
			}
			if len(printed) == 0 {
				fmt.Fprintln(w, "\nNot allowed on the current plan:")
			}
			printed[key] = true
			fmt.Fprintf(w, "  %s [%s %s]: %s. Way out: %s\n", b.SKU, b.Code, b.Rule, b.Message, b.WayOut)
		}
	}
	if len(ans.Alternatives) > 0 {
		fmt.Fprintln(w, "\nAlternatives outside the catalog:")
		for _, p := range ans.Alternatives {
			state := ""
			if !p.Feasible() {
				state = " (not allowed: " + p.Blocked[0].Code + ")"
			}
			buy := ""
			if len(p.Steps) > 0 {
				buy = ", and buy " + strings.Join(p.SKUs(), " then ")
			}
			fmt.Fprintf(w, "  %s%s%s\n", externalNames(p.External), buy, state)
		}
	}
	return nil
}

func (a *app) printSteps(steps []advisor.Step) error {
	rows := make([][]string, 0, len(steps))
	for i, s := range steps {
		price := "-"
		if s.Price != nil {
			price = advisor.Money(s.Price.Amount, s.Price.Currency)
		}
		after := "-"
		if len(s.After) > 0 {
			after = strings.Join(s.After, ",") + " (" + s.Rule + ")"
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), s.SKU, s.Name, after, price})
	}
	return a.table([]string{"STEP", "BUY", "NAME", "AFTER", "PRICE/MONTH"}, rows)
}

func externalNames(xs []advisor.External) string {
	var names []string
	for _, x := range xs {
		names = append(names, x.Name+" ("+x.ID+")")
	}
	return strings.Join(names, " and ")
}

func (a *app) printRooms(rs []advisor.RoomScenario) error {
	rows := [][]string{}
	for _, r := range rs {
		for _, col := range r.Columns {
			for _, o := range col.Options {
				var have, what, opt []string
				for _, h := range col.Have {
					have = append(have, h.ID)
				}
				for _, s := range o.Buy {
					what = append(what, s.SKU)
				}
				for _, x := range o.External {
					what = append(what, x.ID)
				}
				for _, x := range o.Optional {
					opt = append(opt, x.ID)
				}
				check := "ok"
				switch {
				case len(o.Blocked) > 0:
					check = "not allowed: " + o.Blocked[0].Code + " " + o.Blocked[0].Rule
				case !o.Checked && len(o.RulesAdd) > 0:
					var add []string
					for _, s := range o.RulesAdd {
						add = append(add, s.SKU)
					}
					check = "rules add " + strings.Join(add, ", ")
				case !o.Checked:
					check = "does not give the feature"
				}
				cost := "-"
				if len(o.Buy) > 0 {
					cost = o.Cost.String()
				}
				rows = append(rows, []string{r.ID, strings.Join(have, ","), strings.Join(what, " + "), orDash(strings.Join(opt, ",")), cost, check})
			}
		}
	}
	return a.table([]string{"SCENARIO", "HAVE", "LICENSE THE ROOM WITH", "OPTIONAL", "PER ROOM/MONTH", "RULES"}, rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
