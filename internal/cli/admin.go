package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
)

func (a *app) tenantCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Create and list tenants (customer organisations)"}
	var t licet.Tenant
	create := &cobra.Command{
		Use:   "create SLUG --name NAME",
		Short: "Create a tenant",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if t.Name == "" {
				return Usagef("--name is required")
			}
			t.Slug = args[0]
			c, err := a.client()
			if err != nil {
				return err
			}
			out, err := c.CreateTenant(cmd.Context(), t)
			return reply(a, out, err, single(a.tenantTable))
		},
	}
	f := create.Flags()
	f.StringVar(&t.Name, "name", "", "the organisation's name")
	f.StringVar(&t.OrgType, "org-type", "", "organisation type: one of the server catalog's org_types (default: its first, commercial without a catalog)")
	f.StringVar(&t.Cloud, "cloud", "", "cloud: one of the server catalog's clouds (default: its first, global without a catalog)")
	f.StringVar(&t.UsageLocation, "usage-location", "", "default usage location of its users (ISO 3166 alpha-2, e.g. US)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the tenants you may see",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ts, err := c.Tenants(ctx)
			return reply(a, nonNil(ts), err, a.tenantTable)
		}),
	}
	show := &cobra.Command{
		Use:   "show SLUG",
		Short: "Show a tenant",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			t, err := c.Tenant(ctx, args[0])
			return reply(a, t, err, single(a.tenantTable))
		}),
	}
	cmd.AddCommand(create, list, show)
	return cmd
}

func (a *app) tenantTable(ts []licet.Tenant) error {
	rows := make([][]string, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, []string{t.Slug, t.Name, t.OrgType, t.Cloud, dash(t.UsageLocation), day(t.CreatedAt)})
	}
	return a.table([]string{"SLUG", "NAME", "ORG TYPE", "CLOUD", "USAGE LOCATION", "CREATED"}, rows)
}

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens"}
	var t licet.Token
	create := &cobra.Command{
		Use:   "create [--tenant SLUG | --partner NAME | --operator]",
		Short: "Create a token; its secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			operator, _ := cmd.Flags().GetBool("operator")
			n := 0
			for _, set := range []bool{t.Tenant != "", t.Partner != "", operator} {
				if set {
					n++
				}
			}
			if n != 1 {
				return Usagef("give exactly one of --tenant SLUG, --partner NAME or --operator")
			}
			switch {
			case t.Tenant != "":
				t.Role = licet.RoleTenant
			case t.Partner != "":
				t.Role = licet.RolePartner
			default:
				t.Role = licet.RoleOperator
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			out, err := c.CreateToken(cmd.Context(), t)
			if err != nil {
				return err
			}
			return a.output(out, func() error {
				fmt.Fprintf(a.stdout, "token %d (%s) created; its secret is shown only now:\n%s\n", out.ID, scope(*out), out.Secret)
				return nil
			})
		},
	}
	create.Flags().StringVar(&t.Tenant, "tenant", "", "a tenant admin token for this tenant")
	create.Flags().StringVar(&t.Partner, "partner", "", "a partner token for this partner")
	create.Flags().Bool("operator", false, "an operator token")
	create.Flags().StringVar(&t.Label, "label", "", "a note saying what the token is for")
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ts, err := c.Tokens(ctx)
			if err != nil {
				return err
			}
			return a.output(nonNil(ts), func() error {
				rows := make([][]string, 0, len(ts))
				for _, t := range ts {
					state := "active"
					if t.RevokedAt != nil {
						state = "revoked " + day(*t.RevokedAt)
					}
					rows = append(rows, []string{strconv.FormatInt(t.ID, 10), scope(t), dash(t.Label), day(t.CreatedAt), state})
				}
				return a.table([]string{"ID", "SCOPE", "LABEL", "CREATED", "STATE"}, rows)
			})
		}),
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return Usagef("token id %q is not a number (see `licet token list`)", args[0])
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "token %d revoked\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke, a.tokenRecoverCommand())
	return cmd
}

func scope(t licet.Token) string {
	switch t.Role {
	case licet.RoleTenant:
		return "tenant " + t.Tenant
	case licet.RolePartner:
		return "partner " + t.Partner
	}
	return string(t.Role)
}

func (a *app) auditCommand() *cobra.Command {
	var f licet.AuditFilter
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log, newest first",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			es, err := c.Audit(ctx, f)
			if err != nil {
				return err
			}
			return a.output(nonNil(es), func() error {
				rows := make([][]string, 0, len(es))
				for _, e := range es {
					rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At.Format(time.DateTime), e.Actor, dash(e.Tenant), e.Action, e.Object, dash(e.Before), dash(e.After)})
				}
				return a.table([]string{"ID", "AT (UTC)", "ACTOR", "TENANT", "ACTION", "OBJECT", "BEFORE", "AFTER"}, rows)
			})
		}),
	}
	cmd.Flags().StringVar(&f.Tenant, "tenant", "", "only this tenant's entries")
	cmd.Flags().StringVar(&f.Action, "action", "", "only actions starting with this, e.g. key. or tenant.create")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many entries (1-1000)")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
