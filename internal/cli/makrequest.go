package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
)

// makRequestCommand handles promotional MAK requests: partners submit and read their own, the
// operator lists, approves and rejects them.
func (a *app) makRequestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mak-request",
		Short: "Promotional MAK requests: a partner asks for a MAK for a customer without a volume agreement",
	}
	var r licet.MAKRequest
	submit := &cobra.Command{
		Use:   "submit --company C --contact-name N --contact-email E --contact-phone P --systems N --deployment-date YYYY-MM-DD",
		Short: "Submit a request (partner token)",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			out, err := c.SubmitMAKRequest(ctx, r)
			if err != nil {
				return err
			}
			return a.output(out, func() error {
				fmt.Fprintf(a.stdout, "Submitted MAK request %d; the operator approves or rejects it (`licet mak-request show %d`).\n", out.ID, out.ID)
				return a.makRequestDetail(out)
			})
		}),
	}
	f := submit.Flags()
	f.StringVar(&r.Company, "company", "", "the customer's company name")
	f.StringVar(&r.ContactName, "contact-name", "", "name of the deployment contact")
	f.StringVar(&r.ContactEmail, "contact-email", "", "email of the deployment contact")
	f.StringVar(&r.ContactPhone, "contact-phone", "", "phone of the deployment contact, international (+44 20 7946 0958)")
	f.Int64Var(&r.Systems, "systems", 0, "number of systems deployed: the MAK's limit")
	f.StringVar(&r.DeploymentDate, "deployment-date", "", "deployment date, YYYY-MM-DD")
	f.StringVar(&r.TAMName, "tam-name", "", "the customer's technical account manager, if any (with --tam-email)")
	f.StringVar(&r.TAMEmail, "tam-email", "", "the technical account manager's email (with --tam-name)")
	f.StringVar(&r.Group, "product-group", "", "the product group of the systems (number or slug); the operator may set it on approval")
	f.StringVar(&r.Partner, "partner", "", "the partner (operator tokens only; a partner token submits for itself)")
	var status string
	list := &cobra.Command{
		Use:   "list [--status pending|approved|rejected]",
		Short: "List requests: a partner sees its own, the operator all",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			rs, err := c.MAKRequests(ctx, status)
			if err != nil {
				return err
			}
			return a.output(nonNil(rs), func() error {
				rows := make([][]string, 0, len(rs))
				for _, m := range rs {
					rows = append(rows, []string{fmt.Sprint(m.ID), m.Partner, m.Company, fmt.Sprint(m.Systems), m.DeploymentDate, string(m.Status), dash(m.Tenant), keyRef(m.KeyID)})
				}
				return a.table([]string{"ID", "PARTNER", "COMPANY", "SYSTEMS", "DEPLOYMENT", "STATUS", "TENANT", "KEY"}, rows)
			})
		}),
	}
	list.Flags().StringVar(&status, "status", "", "only requests in this state")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a request (and its MAK once approved)",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			m, err := c.MAKRequest(ctx, id)
			return reply(a, m, err, a.makRequestDetail)
		}),
	}
	var approval licet.MAKApproval
	approve := &cobra.Command{
		Use:   "approve ID [--tenant SLUG] [--product-group G]",
		Short: "Approve a request: create the tenant if needed and issue a MAK whose limit is the number of systems (operator)",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			m, err := c.ApproveMAKRequest(ctx, id, approval)
			if err != nil {
				return err
			}
			return a.output(m, func() error {
				fmt.Fprintf(a.stdout, "Approved MAK request %d: tenant %s, MAK %s with %d activations.\n", m.ID, m.Tenant, m.Key, m.Systems)
				return nil
			})
		}),
	}
	approve.Flags().StringVar(&approval.Tenant, "tenant", "", "the tenant's slug (default: made from the company name; created if needed)")
	approve.Flags().StringVar(&approval.Group, "product-group", "", "the product group of the MAK (default: the request's)")
	var reason string
	reject := &cobra.Command{
		Use:   "reject ID --reason TEXT",
		Short: "Reject a request (operator)",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			if reason == "" {
				return Usagef("--reason is required: the partner reads it")
			}
			m, err := c.RejectMAKRequest(ctx, id, reason)
			if err != nil {
				return err
			}
			return a.outputf(m, "Rejected MAK request %d.\n", m.ID)
		}),
	}
	reject.Flags().StringVar(&reason, "reason", "", "why the request is rejected")
	cmd.AddCommand(submit, list, show, approve, reject)
	return cmd
}

func requestID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Usagef("request id %q is not a positive number (see `licet mak-request list`)", s)
	}
	return id, nil
}

func keyRef(id int64) string {
	if id == 0 {
		return "-"
	}
	return fmt.Sprint(id)
}

// makRequestDetail prints one request.
func (a *app) makRequestDetail(m *licet.MAKRequest) error {
	rows := [][]string{
		{"Request:", fmt.Sprint(m.ID)},
		{"Status:", string(m.Status)},
		{"Partner:", m.Partner},
		{"Company:", m.Company},
		{"Contact:", fmt.Sprintf("%s <%s>, %s", m.ContactName, m.ContactEmail, m.ContactPhone)},
		{"Systems:", fmt.Sprint(m.Systems)},
		{"Deployment:", m.DeploymentDate},
		{"Product group:", dash(m.Group)},
	}
	if m.TAMName != "" {
		rows = append(rows, []string{"TAM:", fmt.Sprintf("%s <%s>", m.TAMName, m.TAMEmail)})
	}
	if m.Tenant != "" {
		rows = append(rows, []string{"Tenant:", m.Tenant})
	}
	if m.Key != "" {
		rows = append(rows, []string{"MAK:", fmt.Sprintf("%s (key %d, limit %d)", m.Key, m.KeyID, m.Systems)})
	}
	if m.Reason != "" {
		rows = append(rows, []string{"Reason:", m.Reason})
	}
	return a.rows(rows)
}
