package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/seats"
)

func (a *app) groupAssignCommand() *cobra.Command {
	var add, remove, disabled []string
	cmd := &cobra.Command{
		Use:   "assign GROUP --tenant T --add SKU[,SKU…] [--remove SKU,…]",
		Short: "Assign SKUs to a group (they flow to its members) or remove them",
		Long: "Assign SKUs to a group or remove them. The group's SKUs apply to every member, all of them or none: a member\n" +
			"they cannot be applied to (no unit left, a conflicting license, its usage location) is in Error with the\n" +
			"Graph error code, and the other members are not affected. A group must carry the prerequisites of its SKUs.\n" +
			"Exit 1 when a member is in Error; fix the cause (e.g. buy units) and run licet group reprocess.",
		Args: cobra.ExactArgs(1),
	}
	tenantOf := tenantFlag(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&add, "add", nil, "SKUs to assign to the group, comma-separated")
	f.StringSliceVar(&remove, "remove", nil, "SKUs to remove from the group, comma-separated")
	f.StringSliceVar(&disabled, "disabled-plans", nil, "service plans to disable: PLAN (in every added SKU that has it) or SKU:PLAN")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := tenantOf()
		if err != nil {
			return err
		}
		change, err := licenseChange(add, remove, disabled)
		if err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		res, err := c.AssignGroupLicense(cmd.Context(), tenant, args[0], change)
		if err != nil {
			return err
		}
		return a.groupResult(res)
	}
	return cmd
}

func (a *app) groupReprocessCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reprocess [GROUP] --tenant T",
		Short: "Apply a group's SKUs again to its members (every group when none is named), e.g. after buying units",
		Args:  cobra.MaximumNArgs(1),
	}
	a.tenantRun(cmd, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		names := args
		if len(names) == 0 {
			gs, err := c.Groups(ctx, tenant)
			if err != nil {
				return err
			}
			for _, g := range gs {
				names = append(names, g.Name)
			}
		}
		var results []*licet.GroupLicenseResult
		errors := 0
		for _, name := range names {
			res, err := c.ReprocessGroup(ctx, tenant, name)
			if err != nil {
				return err
			}
			results = append(results, res)
			errors += res.Errors
		}
		if a.json {
			return a.printJSON(results)
		}
		for _, res := range results {
			if err := a.groupMembers(&res.Group); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d active, %d in error\n", res.Active, res.Errors)
		}
		if errors > 0 {
			return fmt.Errorf("%d member(s) in error: fix the cause and run licet group reprocess again", errors)
		}
		return nil
	})
	return cmd
}

// groupResult prints the outcome of a group change; an error when a member is in Error.
func (a *app) groupResult(res *licet.GroupLicenseResult) error {
	return a.output(res, func() error {
		if err := a.groupMembers(&res.Group); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%d active, %d in error\n", res.Active, res.Errors)
		if len(res.Seats) > 0 {
			if err := a.seatTable(res.Seats); err != nil {
				return err
			}
		}
		short := 0
		for _, m := range res.Group.MemberStates {
			if m.Error != nil && m.Error.Code == licet.CodeCountViolation {
				short++
			}
		}
		if short > 0 {
			fmt.Fprintf(a.stdout, "%d member(s) refused for lack of units: buy the units their errors name, then run licet group reprocess\n", short)
		}
		if res.Errors > 0 {
			return fmt.Errorf("%d member(s) in error: fix the cause and run licet group reprocess", res.Errors)
		}
		return nil
	})
}

// seatTable prints the change of consumed units per SKU.
func (a *app) seatTable(seats []licet.SeatChange) error {
	rows := make([][]string, 0, len(seats))
	for _, s := range seats {
		enabled, avail := strconv.Itoa(s.Enabled), strconv.Itoa(s.Enabled-s.Consumed)
		if s.Unlimited {
			enabled, avail = "unlimited", "unlimited"
		}
		rows = append(rows, []string{s.SKU, fmt.Sprintf("%+d", s.Delta), strconv.Itoa(s.Consumed), enabled, avail})
	}
	return a.table([]string{"SKU", "CHANGE", "CONSUMED", "ENABLED", "AVAILABLE"}, rows)
}

func (a *app) userProviderCommand() *cobra.Command {
	var provider string
	cmd := &cobra.Command{
		Use:   "set-provider UPN --tenant T --provider operator|NAME|none",
		Short: "Set a user's audio conferencing provider: the operator's bridge, a third party, or none",
		Long: "Set a user's audio conferencing provider. A user who gets Audio Conferencing moves to the operator's bridge\n" +
			"(operator) by itself; this command sets a third-party provider by name instead, or none.",
		Args: cobra.ExactArgs(1),
	}
	tenantOf := tenantFlag(cmd)
	cmd.Flags().StringVar(&provider, "provider", "", "operator, the name of a third-party provider, or none")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := tenantOf()
		if err != nil {
			return err
		}
		if provider == "" {
			return Usagef("--provider is required: operator, a third party's name, or none")
		}
		if provider == "none" {
			provider = ""
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		u, err := c.SetConferencingProvider(cmd.Context(), tenant, args[0], provider)
		return reply(a, u, err, a.userDetails)
	}
	return cmd
}

func (a *app) numberCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "number", Short: "Keep a tenant's phone numbers (E.164, by country) and assign them to users with a Calling Plan"}

	var country string
	addCmd := &cobra.Command{Use: "add NUMBER... --tenant T --country CC", Short: "Add numbers to the tenant's inventory (all of them or none)", Args: cobra.MinimumNArgs(1)}
	addTenant := tenantFlag(addCmd)
	addCmd.Flags().StringVar(&country, "country", "", "ISO 3166 alpha-2 country of the numbers")
	addCmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := addTenant()
		if err != nil {
			return err
		}
		if country == "" {
			return Usagef("--country is required (e.g. US)")
		}
		return a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ns, err := c.AddNumbers(ctx, tenant, country, args)
			return reply(a, nonNil(ns), err, a.numberTable)
		})(cmd, args)
	}

	var filter licet.NumberFilter
	list := &cobra.Command{Use: "list --tenant T [--country CC] [--free]", Short: "List the tenant's numbers and who has them", Args: cobra.NoArgs}
	a.tenantRun(list, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		ns, err := c.Numbers(ctx, tenant, filter)
		return reply(a, nonNil(ns), err, a.numberTable)
	})
	list.Flags().StringVar(&filter.Country, "country", "", "only numbers of this country")
	list.Flags().BoolVar(&filter.Free, "free", false, "only numbers not assigned to anyone")

	assign := &cobra.Command{Use: "assign NUMBER UPN --tenant T", Short: "Give a free number to a user who holds a Calling Plan", Args: cobra.ExactArgs(2)}
	a.tenantRun(assign, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		p, err := c.AssignNumber(ctx, tenant, args[0], args[1])
		return reply(a, []licet.PhoneNumber{derefNumber(p)}, err, a.numberTable)
	})

	unassign := &cobra.Command{Use: "unassign NUMBER --tenant T", Short: "Take a number back from its user into the inventory", Args: cobra.ExactArgs(1)}
	a.tenantRun(unassign, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		p, err := c.UnassignNumber(ctx, tenant, args[0])
		return reply(a, []licet.PhoneNumber{derefNumber(p)}, err, a.numberTable)
	})

	release := &cobra.Command{Use: "release NUMBER --tenant T", Short: "Remove a free number from the inventory", Args: cobra.ExactArgs(1)}
	a.tenantRun(release, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		if err := c.ReleaseNumber(ctx, tenant, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s released\n", args[0])
		return nil
	})
	cmd.AddCommand(addCmd, list, assign, unassign, release)
	return cmd
}

func derefNumber(p *licet.PhoneNumber) licet.PhoneNumber {
	if p == nil {
		return licet.PhoneNumber{}
	}
	return *p
}

// numberTable prints phone numbers and who has them.
func (a *app) numberTable(ns []licet.PhoneNumber) error {
	rows := make([][]string, 0, len(ns))
	for _, n := range ns {
		assigned := "-"
		if n.AssignedAt != nil {
			assigned = day(*n.AssignedAt)
		}
		rows = append(rows, []string{n.Number, n.Country, dash(n.User), assigned})
	}
	return a.table([]string{"NUMBER", "COUNTRY", "USER", "ASSIGNED"}, rows)
}

func (a *app) creditsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "credits", Short: "Communications Credits: sign up, add funds, auto-recharge, record usage, read the ledger",
		Long: "Communications Credits pay for toll-free numbers and dial-out. Amounts are written 12.34 (two decimals at most)\n" +
			"and kept in minor units; the balance never goes below zero, and every change is in the ledger."}
	account := func(use, short string, call func(ctx context.Context, c *client.Client, tenant string) (*licet.CreditAccount, error)) *cobra.Command {
		sub := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
		a.tenantRun(sub, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
			acct, err := call(ctx, c, tenant)
			return reply(a, acct, err, a.accountDetails)
		})
		return sub
	}
	signup := account("signup --tenant T", "Sign up (the catalog's purchase rules for its credits SKU apply, e.g. a Calling Plan or Audio Conferencing)",
		func(ctx context.Context, c *client.Client, tenant string) (*licet.CreditAccount, error) {
			return c.SignUpCredits(ctx, tenant)
		})
	show := account("show --tenant T", "Show the balance, auto-recharge and whether the tenant is out of funds",
		func(ctx context.Context, c *client.Client, tenant string) (*licet.CreditAccount, error) {
			return c.Credits(ctx, tenant)
		})
	var amount, reason string
	addCmd := account("add --tenant T --amount 50.00", "Add funds (clears out-of-funds)",
		func(ctx context.Context, c *client.Client, tenant string) (*licet.CreditAccount, error) {
			v, err := amountFlag("--amount", amount)
			if err != nil {
				return nil, err
			}
			return c.AddFunds(ctx, tenant, licet.CreditAmount{Amount: v, Reason: reason})
		})
	addCmd.Flags().StringVar(&amount, "amount", "", "amount to add, e.g. 50.00")
	addCmd.Flags().StringVar(&reason, "reason", "", "a note for the ledger")

	var threshold, rechargeAmount string
	var off bool
	auto := account("auto-recharge --tenant T (--threshold 10.00 --amount 50.00 | --off)", "Top the balance up by an amount when a charge takes it under a threshold",
		func(ctx context.Context, c *client.Client, tenant string) (*licet.CreditAccount, error) {
			r := licet.AutoRecharge{Enabled: !off}
			if off {
				if threshold != "" || rechargeAmount != "" {
					return nil, Usagef("--off takes no --threshold or --amount")
				}
				return c.SetAutoRecharge(ctx, tenant, r)
			}
			var err error
			if r.Threshold, err = amountFlag("--threshold", threshold); err != nil {
				return nil, err
			}
			if r.Amount, err = amountFlag("--amount", rechargeAmount); err != nil {
				return nil, err
			}
			return c.SetAutoRecharge(ctx, tenant, r)
		})
	auto.Flags().StringVar(&threshold, "threshold", "", "recharge when a charge takes the balance under this, e.g. 10.00")
	auto.Flags().StringVar(&rechargeAmount, "amount", "", "recharge by this much, e.g. 50.00")
	auto.Flags().BoolVar(&off, "off", false, "turn auto-recharge off")

	var chargeAmount, chargeReason string
	charge := &cobra.Command{Use: "charge --tenant T --amount 1.25 --reason TEXT", Short: "Record usage, as a billing feed does (operator only)", Args: cobra.NoArgs}
	chargeTenant := tenantFlag(charge)
	charge.Flags().StringVar(&chargeAmount, "amount", "", "amount of the usage, e.g. 1.25")
	charge.Flags().StringVar(&chargeReason, "reason", "", "what the usage was, e.g. \"dial-out minutes\"")
	charge.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := chargeTenant()
		if err != nil {
			return err
		}
		v, err := amountFlag("--amount", chargeAmount)
		if err != nil {
			return err
		}
		if strings.TrimSpace(chargeReason) == "" {
			return Usagef("--reason is required: say what the usage was")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		res, err := c.Charge(cmd.Context(), tenant, licet.CreditAmount{Amount: v, Reason: chargeReason})
		if err != nil {
			return err
		}
		return a.output(res, func() error {
			if err := a.ledgerTable(res.Entries, res.Account.Currency); err != nil {
				return err
			}
			return a.accountDetails(&res.Account)
		})
	}

	var before int64
	var limit int
	ledgerCmd := &cobra.Command{Use: "ledger --tenant T", Short: "List the ledger, newest first", Args: cobra.NoArgs}
	a.tenantRun(ledgerCmd, func(ctx context.Context, c *client.Client, tenant string, args []string) error {
		acct, err := c.Credits(ctx, tenant)
		if err != nil {
			return err
		}
		es, err := c.Ledger(ctx, tenant, before, limit)
		return reply(a, nonNil(es), err, func(es []licet.LedgerEntry) error { return a.ledgerTable(es, acct.Currency) })
	})
	ledgerCmd.Flags().Int64Var(&before, "before", 0, "entries with an id below this (the last id of the previous page)")
	ledgerCmd.Flags().IntVar(&limit, "limit", 100, "at most this many entries (1-10000)")
	cmd.AddCommand(signup, show, addCmd, auto, charge, ledgerCmd)
	return cmd
}

// amountFlag parses an amount flag strictly ("12.34"), as a usage error when it is wrong.
func amountFlag(name, s string) (int64, error) {
	if s == "" {
		return 0, Usagef("%s is required, e.g. %s 12.34", name, name)
	}
	v, err := seats.ParseAmount(s)
	if err != nil {
		return 0, Usagef("%s: %s", name, licet.ErrorMessage(err))
	}
	return v, nil
}

func (a *app) accountDetails(acct *licet.CreditAccount) error {
	fmt.Fprintf(a.stdout, "%s: balance %s %s\n", acct.Tenant, seats.FormatAmount(acct.Balance), acct.Currency)
	if acct.AutoRecharge {
		fmt.Fprintf(a.stdout, "auto-recharge: %s %s when a charge takes the balance under %s %s\n",
			seats.FormatAmount(acct.RechargeAmount), acct.Currency, seats.FormatAmount(acct.Threshold), acct.Currency)
	} else {
		fmt.Fprintln(a.stdout, "auto-recharge: off")
	}
	if acct.OutOfFunds {
		fmt.Fprintln(a.stdout, "OUT OF FUNDS: users are blocked from paid calling until funds are added (licet credits add)")
	}
	return nil
}

func (a *app) ledgerTable(es []licet.LedgerEntry, currency string) error {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		amount := seats.FormatAmount(e.Amount)
		if e.Amount > 0 {
			amount = "+" + amount
		}
		if e.Kind == licet.LedgerRefused {
			amount = "(" + seats.FormatAmount(e.Requested) + " refused)"
		}
		rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format("2006-01-02 15:04"), e.Kind, amount, seats.FormatAmount(e.Balance), currency, dash(e.Reason)})
	}
	return a.table([]string{"ID", "AT", "KIND", "AMOUNT", "BALANCE", "CURRENCY", "REASON"}, rows)
}
