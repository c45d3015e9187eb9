package cli

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
)

func (a *app) productCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "product", Short: "Create and list products and product groups"}
	var p licet.Product
	var group, kind string
	create := &cobra.Command{
		Use:   "create SLUG --name NAME --kind client|server|application --group G",
		Short: "Create a product; its public kms-client key (GVLK) is generated",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if p.Name == "" || group == "" {
				return Usagef("--name and --group are required")
			}
			p.Slug, p.Kind = args[0], licet.ProductKind(kind)
			if n, err := strconv.ParseUint(group, 10, 16); err == nil {
				p.Group = uint16(n)
			} else {
				p.GroupSlug = group
			}
			out, err := c.CreateProduct(ctx, p)
			return reply(a, out, err, single(a.productTable))
		}),
	}
	f := create.Flags()
	f.StringVar(&p.Name, "name", "", "the product's name")
	f.StringVar(&p.Version, "version", "", "the product's version")
	f.StringVar(&kind, "kind", "client", "client, server or application")
	f.StringVar(&group, "group", "", "product group: number or slug")
	f.StringVar(&p.Pool, "pool", "", "systems, servers or applications (default from the kind)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List products",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ps, err := c.Products(ctx)
			return reply(a, nonNil(ps), err, a.productTable)
		}),
	}
	cmd.AddCommand(create, list, a.productGroupCommand())
	return cmd
}

func (a *app) productTable(ps []licet.Product) error {
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, []string{p.Slug, p.Name, dash(p.Version), string(p.Kind), fmt.Sprintf("%d %s", p.Group, p.GroupSlug), p.Pool})
	}
	return a.table([]string{"SLUG", "NAME", "VERSION", "KIND", "GROUP", "POOL"}, rows)
}

func (a *app) productGroupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Create and list product groups (the number is encoded in keys)"}
	var g licet.ProductGroup
	var covers []uint
	create := &cobra.Command{
		Use:   "create NUMBER SLUG --name NAME [--covers N,…]",
		Short: "Create a product group; --covers names older groups its KMS host keys activate too",
		Args:  cobra.ExactArgs(2),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			n, err := strconv.ParseUint(args[0], 10, 16)
			if err != nil || n == 0 {
				return Usagef("group number %q must be from 1 to 65535", args[0])
			}
			g.ID, g.Slug = uint16(n), args[1]
			if g.Name == "" {
				return Usagef("--name is required")
			}
			g.Covers = nil
			for _, v := range covers {
				if v == 0 || v > 65535 {
					return Usagef("--covers %d: group numbers are from 1 to 65535", v)
				}
				g.Covers = append(g.Covers, uint16(v))
			}
			out, err := c.CreateProductGroup(ctx, g)
			return reply(a, out, err, single(a.productGroupTable))
		}),
	}
	create.Flags().StringVar(&g.Name, "name", "", "the group's name")
	create.Flags().UintSliceVar(&covers, "covers", nil, "older groups a KMS host key of this group activates too")
	list := &cobra.Command{
		Use:   "list",
		Short: "List product groups",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			gs, err := c.ProductGroups(ctx)
			return reply(a, nonNil(gs), err, a.productGroupTable)
		}),
	}
	cmd.AddCommand(create, list)
	return cmd
}

func (a *app) productGroupTable(gs []licet.ProductGroup) error {
	rows := make([][]string, 0, len(gs))
	for _, g := range gs {
		cov := make([]string, 0, len(g.Covers))
		for _, c := range g.Covers {
			cov = append(cov, strconv.Itoa(int(c)))
		}
		rows = append(rows, []string{strconv.Itoa(int(g.ID)), g.Slug, g.Name, strings.Join(cov, ",")})
	}
	return a.table([]string{"NUMBER", "SLUG", "NAME", "COVERS"}, rows)
}

func (a *app) agreementCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "agreement", Short: "Create, list and show volume agreements (licensing IDs)"}
	var ag licet.Agreement
	create := &cobra.Command{
		Use:   "create --tenant T --program P [--level A-D] [--quantity N] [--parent ID]",
		Short: "Create an agreement for a tenant",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if ag.Tenant == "" || ag.Program == "" {
				return Usagef("--tenant and --program are required")
			}
			out, err := c.CreateAgreement(ctx, ag)
			return reply(a, out, err, single(a.agreementTable))
		}),
	}
	f := create.Flags()
	f.StringVar(&ag.Tenant, "tenant", "", "the tenant's slug")
	f.StringVar(&ag.LicensingID, "licensing-id", "", "the licensing ID (default: a new 8-digit number)")
	f.StringVar(&ag.Program, "program", "", "open-license, open-value, select, select-plus, enterprise, campus, school or spla")
	f.StringVar(&ag.Level, "level", "", "pricing level A, B, C or D")
	f.Int64Var(&ag.Quantity, "quantity", 0, "licenses purchased (1 to 10,000,000; required)")
	f.StringVar(&ag.Parent, "parent", "", "licensing ID of the parent agreement (affiliates)")
	var tenant string
	list := &cobra.Command{
		Use:   "list [--tenant T]",
		Short: "List agreements",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			as, err := c.Agreements(ctx, tenant)
			return reply(a, nonNil(as), err, a.agreementTable)
		}),
	}
	list.Flags().StringVar(&tenant, "tenant", "", "only this tenant's agreements")
	show := &cobra.Command{
		Use:   "show LICENSING-ID",
		Short: "Show an agreement",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			out, err := c.Agreement(ctx, args[0])
			return reply(a, out, err, single(a.agreementTable))
		}),
	}
	cmd.AddCommand(create, list, show)
	return cmd
}

func (a *app) agreementTable(as []licet.Agreement) error {
	rows := make([][]string, 0, len(as))
	for _, ag := range as {
		rows = append(rows, []string{ag.LicensingID, ag.Tenant, ag.Program, dash(ag.Level), strconv.FormatInt(ag.Quantity, 10), dash(ag.Parent), day(ag.CreatedAt)})
	}
	return a.table([]string{"LICENSING ID", "TENANT", "PROGRAM", "LEVEL", "QUANTITY", "PARENT", "CREATED"}, rows)
}

func (a *app) keyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Issue, list, show, extend and block product keys"}
	var r licet.KeyRequest
	issue := &cobra.Command{
		Use:   "issue --agreement ID --product-group G --type mak|kms-host|setup|retail [--limit N]",
		Short: "Issue a product key under an agreement",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if r.Agreement == "" || r.Group == "" || r.Type == "" {
				return Usagef("--agreement, --product-group and --type are required")
			}
			out, err := c.IssueKey(ctx, r)
			return reply(a, out, err, a.keyDetail)
		}),
	}
	f := issue.Flags()
	f.StringVar(&r.Agreement, "agreement", "", "licensing ID of the agreement")
	f.StringVar(&r.Group, "product-group", "", "product group: number or slug")
	f.StringVar(&r.Type, "type", "", "mak, kms-host, setup or retail")
	f.Int64Var(&r.Limit, "limit", 0, "activation limit (default: from the agreement's program and quantity for a MAK; 1 retail; 6 hosts for kms-host)")
	var tenant string
	list := &cobra.Command{
		Use:   "list [--tenant T]",
		Short: "List product keys with their limits and remaining activations",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ks, err := c.Keys(ctx, tenant)
			return reply(a, nonNil(ks), err, a.keyTable)
		}),
	}
	list.Flags().StringVar(&tenant, "tenant", "", "only this tenant's keys")
	show := &cobra.Command{
		Use:   "show KEY|ID",
		Short: "Show a product key: type, group, agreement, limit, used, remaining, blocked",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			k, err := resolveKey(ctx, c, args[0])
			if err != nil {
				return err
			}
			return a.output(k, func() error { return a.keyDetail(k) })
		}),
	}
	var by int64
	extend := &cobra.Command{
		Use:   "extend KEY|ID --by N",
		Short: "Raise a key's activation limit by N (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if by < 1 {
				return Usagef("--by N is required (a positive number of activations)")
			}
			k, err := resolveKey(ctx, c, args[0])
			if err != nil {
				return err
			}
			out, err := c.ExtendKey(ctx, k.ID, by)
			return reply(a, out, err, a.keyDetail)
		}),
	}
	extend.Flags().Int64Var(&by, "by", 0, "activations to add")
	var unblock bool
	block := &cobra.Command{
		Use:   "block KEY|ID [--unblock]",
		Short: "Block a key: it activates nothing more (audited); --unblock lifts the block",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			k, err := resolveKey(ctx, c, args[0])
			if err != nil {
				return err
			}
			out, err := c.BlockKey(ctx, k.ID, !unblock)
			return reply(a, out, err, a.keyDetail)
		}),
	}
	block.Flags().BoolVar(&unblock, "unblock", false, "lift the block instead")
	gvlk := &cobra.Command{
		Use:   "gvlk",
		Short: "List the public kms-client keys (GVLKs), one per product",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			gs, err := c.GVLKs(ctx)
			if err != nil {
				return err
			}
			return a.output(nonNil(gs), func() error {
				rows := make([][]string, 0, len(gs))
				for _, g := range gs {
					rows = append(rows, []string{g.Product, g.Name, strconv.Itoa(int(g.Group)), g.Key})
				}
				return a.table([]string{"PRODUCT", "NAME", "GROUP", "KMS CLIENT KEY"}, rows)
			})
		}),
	}
	var limit int
	activations := &cobra.Command{
		Use:   "activations KEY|ID [--limit N]",
		Short: "List the machines a key activated (a kms-host key's KMS hosts and directories), newest first",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if limit < 1 || limit > 1000 {
				return Usagef("--limit must be from 1 to 1000")
			}
			k, err := resolveKey(ctx, c, args[0])
			if err != nil {
				return err
			}
			as, total, err := c.KeyActivations(ctx, k.ID, limit)
			if err != nil {
				return err
			}
			return a.output(map[string]any{"total": total, "activations": nonNil(as)}, func() error {
				rows := make([][]string, 0, len(as))
				head := []string{"MACHINE", "HOSTNAME", "PRODUCT", "METHOD", "ACTIVATED (UTC)", "LAST SEEN (UTC)"}
				if k.Type == "kms-host" {
					head = []string{"HOST OR DIRECTORY", "NAME", "KIND", "METHOD", "ACTIVATED (UTC)", "LAST SEEN (UTC)"}
				}
				for _, x := range as {
					rows = append(rows, []string{x.Machine, dash(x.Hostname), dash(cmp.Or(x.Product, x.Kind)), x.Method, x.ActivatedAt.Format(time.DateTime), x.LastSeenAt.Format(time.DateTime)})
				}
				if err := a.table(head, rows); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "%d of %d activation(s) shown\n", len(as), total)
				return err
			})
		}),
	}
	activations.Flags().IntVar(&limit, "limit", 100, "at most this many (1-1000)")
	cmd.AddCommand(issue, list, show, activations, extend, block, gvlk)
	return cmd
}

// resolveKey finds a key by id (digits) or by the key itself, which travels in a request body.
func resolveKey(ctx context.Context, c *client.Client, arg string) (*licet.ProductKey, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return c.Key(ctx, id)
	}
	return c.LookupKey(ctx, arg)
}

func (a *app) keyTable(ks []licet.ProductKey) error {
	rows := make([][]string, 0, len(ks))
	for _, k := range ks {
		rows = append(rows, []string{strconv.FormatInt(k.ID, 10), k.Key, k.Type, fmt.Sprintf("%d %s", k.Group, k.GroupSlug), dash(k.Agreement),
			strconv.FormatInt(k.Limit, 10), strconv.FormatInt(k.Used, 10), strconv.FormatInt(k.Remaining, 10), yesNo(k.Blocked)})
	}
	return a.table([]string{"ID", "KEY", "TYPE", "GROUP", "AGREEMENT", "LIMIT", "USED", "REMAINING", "BLOCKED"}, rows)
}

func (a *app) keyDetail(k *licet.ProductKey) error {
	rows := [][]string{
		{"ID:", strconv.FormatInt(k.ID, 10)},
		{"Key:", k.Key},
		{"Type:", k.Type},
		{"Product group:", fmt.Sprintf("%d %s", k.Group, k.GroupSlug)},
		{"Tenant:", dash(k.Tenant)},
		{"Agreement:", dash(k.Agreement)},
		{"Limit:", strconv.FormatInt(k.Limit, 10)},
		{"Used:", strconv.FormatInt(k.Used, 10)},
		{"Remaining:", strconv.FormatInt(k.Remaining, 10)},
		{"Blocked:", yesNo(k.Blocked)},
		{"Issued:", day(k.CreatedAt)},
	}
	return a.rows(rows)
}

// rows prints label/value pairs aligned, without a header.
func (a *app) rows(rows [][]string) error {
	for _, r := range rows {
		if _, err := fmt.Fprintf(a.stdout, "%-16s %s\n", r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}
