package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/seats"
)

func (a *app) subscriptionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "subscription", Short: "Buy subscriptions to catalog SKUs and change their quantity or status"}
	var sub licet.Subscription
	buy := &cobra.Command{
		Use:   "buy SKU --tenant T --quantity N",
		Short: "Buy units of a catalog SKU (the catalog's purchase rules apply)",
		Args:  cobra.ExactArgs(1),
	}
	a.tenantRun(buy, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		sub.SKU = args[0]
		out, err := c.BuySubscription(ctx, tenant, sub)
		return reply(a, out, err, single(a.subscriptionTable))
	})
	buy.Flags().IntVar(&sub.Quantity, "quantity", 0, "number of units (prepaid licenses); 0 for an unlimited SKU")
	buy.Flags().StringVar(&sub.Term, "term", "annual", "commitment: annual or monthly")
	buy.Flags().StringVar(&sub.Channel, "channel", "direct", "channel: direct, partner or reseller:NAME")

	list := &cobra.Command{Use: "list --tenant T", Short: "List a tenant's subscriptions", Args: cobra.NoArgs}
	a.tenantRun(list, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		subs, err := c.Subscriptions(ctx, tenant)
		return reply(a, nonNil(subs), err, a.subscriptionTable)
	})

	setQty := &cobra.Command{Use: "set-quantity ID N --tenant T", Short: "Change a subscription's number of units (never below the units assigned)", Args: cobra.ExactArgs(2)}
	setTenant := tenantFlag(setQty)
	setQty.RunE = func(cmd *cobra.Command, args []string) error {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return Usagef("quantity %q is not a number", args[1])
		}
		return a.updateSubscription(cmd, setTenant, args[0], licet.SubscriptionUpdate{Quantity: &n})
	}

	var state string
	suspend := &cobra.Command{Use: "suspend ID --tenant T", Short: "Suspend a subscription: its units stop being assignable", Args: cobra.ExactArgs(1)}
	suspendTenant := tenantFlag(suspend)
	suspend.Flags().StringVar(&state, "state", string(licet.SubscriptionSuspended), "the state to move to: warning, suspended or lockedout")
	suspend.RunE = func(cmd *cobra.Command, args []string) error {
		return a.updateSubscription(cmd, suspendTenant, args[0], licet.SubscriptionUpdate{Status: licet.SubscriptionStatus(state)})
	}
	resume := &cobra.Command{Use: "resume ID --tenant T", Short: "Enable a suspended subscription's units again", Args: cobra.ExactArgs(1)}
	resumeTenant := tenantFlag(resume)
	resume.RunE = func(cmd *cobra.Command, args []string) error {
		return a.updateSubscription(cmd, resumeTenant, args[0], licet.SubscriptionUpdate{Status: licet.SubscriptionEnabled})
	}
	cmd.AddCommand(buy, list, setQty, suspend, resume)
	return cmd
}

func (a *app) updateSubscription(cmd *cobra.Command, tenantOf func() (string, error), idArg string, u licet.SubscriptionUpdate) error {
	tenant, err := tenantOf()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil {
		return Usagef("subscription id %q is not a number (see `licet subscription list`)", idArg)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	out, err := c.UpdateSubscription(cmd.Context(), tenant, id, u)
	return reply(a, out, err, single(a.subscriptionTable))
}

func (a *app) subscriptionTable(subs []licet.Subscription) error {
	rows := make([][]string, 0, len(subs))
	for _, s := range subs {
		rows = append(rows, []string{strconv.FormatInt(s.ID, 10), s.SKU, strconv.Itoa(s.Quantity), string(s.Status), s.Term, s.Channel, day(s.CreatedAt)})
	}
	return a.table([]string{"ID", "SKU", "QUANTITY", "STATUS", "TERM", "CHANNEL", "CREATED"}, rows)
}

func (a *app) skusCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "skus --tenant T",
		Short: "Show a tenant's SKUs: units by status, consumed and available (Graph's subscribedSkus)",
		Args:  cobra.NoArgs,
	}
	a.tenantRun(cmd, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		skus, err := c.SubscribedSKUs(ctx, tenant)
		if err != nil {
			return err
		}
		return a.output(nonNil(skus), func() error {
			rows := make([][]string, 0, len(skus))
			for _, s := range skus {
				avail := "unlimited"
				if s.Available != nil {
					avail = strconv.Itoa(*s.Available)
				}
				u := s.PrepaidUnits
				rows = append(rows, []string{s.SKU, s.Name, s.CapabilityStatus, strconv.Itoa(u.Enabled), strconv.Itoa(u.Warning), strconv.Itoa(u.Suspended + u.LockedOut),
					strconv.Itoa(s.Consumed), avail})
			}
			return a.table([]string{"PART NUMBER", "NAME", "STATUS", "ENABLED", "WARNING", "SUSPENDED", "CONSUMED", "AVAILABLE"}, rows)
		})
	})
	return cmd
}

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Create, list, show and import users (people and rooms)"}
	var u licet.User
	var room bool
	create := &cobra.Command{Use: "create UPN --tenant T", Short: "Create a user", Args: cobra.ExactArgs(1)}
	a.tenantRun(create, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		u.UPN, u.Kind = args[0], licet.UserPerson
		if room {
			u.Kind = licet.UserRoom
		}
		out, err := c.CreateUser(ctx, tenant, u)
		return reply(a, out, err, single(a.userTable))
	})
	f := create.Flags()
	f.StringVar(&u.DisplayName, "name", "", "display name")
	f.StringVar(&u.UsageLocation, "usage-location", "", "ISO 3166 alpha-2 country where the user works (default: the tenant's)")
	f.BoolVar(&room, "room", false, "a room system (licensed as a user object)")
	f.BoolVar(&u.OnPremisesPSTN, "onprem-pstn", false, "a hybrid user with on-premises PSTN connectivity (gets Phone System only, never a Calling Plan)")

	var filter licet.UserFilter
	list := &cobra.Command{Use: "list --tenant T", Short: "List users by UPN, a page at a time", Args: cobra.NoArgs}
	a.tenantRun(list, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		users, err := c.Users(ctx, tenant, filter)
		return reply(a, nonNil(users), err, a.userTable)
	})
	list.Flags().StringVar(&filter.After, "after", "", "start after this UPN (the last one of the previous page)")
	list.Flags().IntVar(&filter.Limit, "limit", 100, "at most this many users (1-10000)")
	list.Flags().StringVar(&filter.Search, "search", "", "only users whose UPN or display name contains this text (any case)")

	show := &cobra.Command{Use: "show UPN --tenant T", Short: "Show a user with its licenses and each service plan's provisioning status", Args: cobra.ExactArgs(1)}
	a.tenantRun(show, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		out, err := c.User(ctx, tenant, args[0])
		return reply(a, out, err, a.userDetails)
	})
	cmd.AddCommand(create, list, show, a.userImportCommand(), a.userProviderCommand())
	return cmd
}

func (a *app) userTable(users []licet.User) error {
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		rows = append(rows, []string{u.UPN, dash(u.DisplayName), string(u.Kind), dash(u.UsageLocation), yesNo(u.OnPremisesPSTN)})
	}
	return a.table([]string{"UPN", "NAME", "KIND", "USAGE LOCATION", "ON-PREMISES PSTN"}, rows)
}

func (a *app) userDetails(u *licet.User) error {
	fmt.Fprintf(a.stdout, "%s (%s, %s, usage location %s, on-premises PSTN %s)\n", u.UPN, dash(u.DisplayName), u.Kind, dash(u.UsageLocation), yesNo(u.OnPremisesPSTN))
	if len(u.Groups) > 0 {
		fmt.Fprintf(a.stdout, "groups: %s\n", strings.Join(u.Groups, ", "))
	}
	if u.PhoneNumber != "" {
		fmt.Fprintf(a.stdout, "phone number: %s\n", u.PhoneNumber)
	}
	if u.ConferencingProvider != "" {
		fmt.Fprintf(a.stdout, "audio conferencing provider: %s\n", providerName(u.ConferencingProvider))
	}
	if u.PaidCallingBlocked {
		fmt.Fprintf(a.stdout, "paid calling: blocked, the tenant's Communications Credits are out of funds (licet credits add)\n")
	}
	if len(u.Licenses) == 0 {
		fmt.Fprintln(a.stdout, "no licenses")
		return nil
	}
	var rows [][]string
	for _, l := range u.Licenses {
		source := "direct"
		if l.AssignedByGroup != "" {
			source = "via group " + l.AssignedByGroup
		}
		errText := "-"
		if l.Error != nil {
			errText = l.Error.Code + ": " + l.Error.Message
		}
		var plans []string
		for _, p := range l.ServicePlans {
			plans = append(plans, p.Plan+" "+p.ProvisioningStatus)
		}
		rows = append(rows, []string{l.SKU, source, string(l.State), strings.Join(plans, ", "), errText})
	}
	return a.table([]string{"SKU", "ASSIGNED", "STATE", "SERVICE PLANS", "ERROR"}, rows)
}

// providerName is how the command line shows an audio conferencing provider.
func providerName(p string) string {
	if p == licet.ProviderOperator {
		return "the operator's bridge (operator)"
	}
	return p + " (third party)"
}

// yesNo prints a flag as yes or no in tables.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (a *app) userImportCommand() *cobra.Command {
	var batch int
	cmd := &cobra.Command{
		Use:   "import FILE --tenant T",
		Short: "Create the users of a file: a UPN per line, or CSV with a upn/UserPrincipalName column",
		Long: "Create the users of a file: a UPN per line, or CSV whose header has a upn or UserPrincipalName column and optionally\n" +
			"DisplayName, UsageLocation, Kind (person or room) and OnPremisesPSTN. Users that exist already are left as they are.\n" +
			"A file with malformed lines is refused as a whole, with their line numbers.",
		Args: cobra.ExactArgs(1),
	}
	tenantOf := tenantFlag(cmd)
	cmd.Flags().IntVar(&batch, "batch-size", defaultBatch, "users per request")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := tenantOf()
		if err != nil {
			return err
		}
		if batch < 1 || batch > seats.MaxBatch {
			return Usagef("--batch-size must be 1 to %d", seats.MaxBatch)
		}
		list, err := a.readList(args[0])
		if err != nil {
			return err
		}
		users := make([]licet.User, len(list.Entries))
		for i, e := range list.Entries {
			users[i] = licet.User{UPN: e.UPN, DisplayName: e.DisplayName, UsageLocation: e.UsageLocation, Kind: e.Kind, OnPremisesPSTN: e.OnPremisesPSTN}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		results, err := a.importUsers(cmd, c, tenant, users, batch)
		if err != nil {
			return err
		}
		count := map[licet.Outcome]int{}
		for _, r := range results {
			count[r.Outcome]++
		}
		return a.output(map[string]any{"results": results, "duplicates": nonNil(list.Duplicates)}, func() error {
			for i, r := range results {
				if r.Error != nil {
					fmt.Fprintf(a.stdout, "line %d: %s: %s [%s]\n", list.Entries[i].Line, r.UPN, r.Error.Message, r.Error.Code)
				}
			}
			fmt.Fprintf(a.stdout, "%d created, %d already there, %d failed, %d duplicate lines skipped\n",
				count[licet.OutcomeCreated], count[licet.OutcomeExists], count[licet.OutcomeFailed], len(list.Duplicates))
			if count[licet.OutcomeFailed] > 0 {
				return fmt.Errorf("%d of %d users failed", count[licet.OutcomeFailed], len(results))
			}
			return nil
		})
	}
	return cmd
}

// maxListFile bounds the size of a user list file.
const maxListFile = 256 << 20

// readList reads and parses a user list file, reporting duplicate lines on stderr and refusing
// a file with malformed lines (listing them with their numbers).
func (a *app) readList(path string) (*listfile.List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot read the user list: %v", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxListFile {
		return nil, licet.Errorf(licet.EInvalid, "%s is %d bytes, over the limit of %d: split it", path, st.Size(), maxListFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxListFile+1))
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot read %s: %v", path, err)
	}
	if len(data) > maxListFile {
		return nil, licet.Errorf(licet.EInvalid, "%s is over the limit of %d bytes: split it", path, maxListFile)
	}
	list, err := listfile.ParseList(data)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "%s: %s", path, licet.ErrorMessage(err))
	}
	for _, d := range list.Duplicates {
		fmt.Fprintf(a.stderr, "%s:%d: %s is a duplicate of line %d; skipped\n", path, d.Line, d.UPN, d.First)
	}
	if len(list.Invalid) > 0 {
		const show = 20
		for i, e := range list.Invalid {
			if i == show {
				fmt.Fprintf(a.stderr, "… and %d more\n", len(list.Invalid)-show)
				break
			}
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", path, e.Line, e.Reason)
		}
		return nil, licet.Errorf(licet.EInvalid, "%s has %d malformed line(s) (listed above): nothing was sent; fix or remove them", path, len(list.Invalid))
	}
	if len(list.Entries) == 0 {
		return nil, licet.Errorf(licet.EInvalid, "%s names no users", path)
	}
	return list, nil
}

func (a *app) groupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Create groups of users, change their members, and license them as a group"}
	var g licet.Group
	create := &cobra.Command{Use: "create NAME --tenant T", Short: "Create a group", Args: cobra.ExactArgs(1)}
	a.tenantRun(create, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		g.Name = args[0]
		out, err := c.CreateGroup(ctx, tenant, g)
		return reply(a, out, err, single(a.groupTable))
	})
	create.Flags().StringVar(&g.Description, "description", "", "what the group is for")
	list := &cobra.Command{Use: "list --tenant T", Short: "List groups", Args: cobra.NoArgs}
	a.tenantRun(list, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		gs, err := c.Groups(ctx, tenant)
		return reply(a, nonNil(gs), err, a.groupTable)
	})
	show := &cobra.Command{Use: "show NAME --tenant T", Short: "Show a group and its members", Args: cobra.ExactArgs(1)}
	a.tenantRun(show, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		out, err := c.Group(ctx, tenant, args[0])
		return reply(a, out, err, a.groupMembers)
	})
	addCmd := &cobra.Command{Use: "add NAME UPN... --tenant T", Short: "Add users to a group", Args: cobra.MinimumNArgs(2)}
	a.tenantRun(addCmd, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		out, err := c.AddMembers(ctx, tenant, args[0], args[1:])
		return reply(a, out, err, a.groupMembers)
	})
	remove := &cobra.Command{Use: "remove NAME UPN --tenant T", Short: "Remove a user from a group", Args: cobra.ExactArgs(2)}
	a.tenantRun(remove, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		if err := c.RemoveMember(ctx, tenant, args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s removed from %s\n", args[1], args[0])
		return nil
	})
	cmd.AddCommand(create, list, show, addCmd, remove, a.groupAssignCommand(), a.groupReprocessCommand())
	return cmd
}

func (a *app) groupTable(gs []licet.Group) error {
	rows := make([][]string, 0, len(gs))
	for _, g := range gs {
		rows = append(rows, []string{g.Name, strconv.Itoa(g.Members), strconv.Itoa(g.MemberErrors), dash(g.Description), day(g.CreatedAt)})
	}
	return a.table([]string{"NAME", "MEMBERS", "IN ERROR", "DESCRIPTION", "CREATED"}, rows)
}

func (a *app) groupMembers(g *licet.Group) error {
	var skus []string
	for _, l := range g.Licenses {
		sku := l.SKU
		if len(l.DisabledPlans) > 0 {
			sku += " (without " + strings.Join(l.DisabledPlans, ", ") + ")"
		}
		skus = append(skus, sku)
	}
	fmt.Fprintf(a.stdout, "%s: %d member(s), licenses: %s\n", g.Name, g.Members, dash(strings.Join(skus, ", ")))
	if g.Members == 0 {
		return nil
	}
	rows := make([][]string, 0, len(g.MemberStates))
	for _, m := range g.MemberStates {
		errText := "-"
		if m.Error != nil {
			errText = m.Error.Code + ": " + m.Error.Message
		}
		rows = append(rows, []string{m.UPN, dash(string(m.State)), errText})
	}
	return a.table([]string{"MEMBER", "STATE", "ERROR"}, rows)
}
