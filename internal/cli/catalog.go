package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/licet/licet/internal/catalog"
)

func (a *app) catalogCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Validate and show SKU catalogs"}
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a catalog file; errors are printed as file:line:col",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := catalog.LoadFile(args[0])
			if err != nil {
				if verrs, ok := catalog.AsValidationErrors(err); ok {
					for _, e := range verrs {
						fmt.Fprintln(a.stderr, e.Error())
					}
					return fmt.Errorf("%s: %d error(s)", args[0], len(verrs))
				}
				return err
			}
			v := c.View()
			fmt.Fprintf(a.stdout, "%s: ok (%d SKUs, %d service plans, %d features)\n", args[0], len(v.SKUs), len(v.Plans), len(v.Features))
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the server's catalog: SKUs with their service plans and prices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var v catalog.View
			if err := c.Do(cmd.Context(), "GET", "/v1/catalog", nil, &v); err != nil {
				return err
			}
			return a.output(v, func() error {
				rows := make([][]string, 0, len(v.SKUs))
				for _, s := range v.SKUs {
					units := "counted"
					if s.Unlimited {
						units = "unlimited"
					}
					price := "-"
					if s.Price != nil {
						price = fmt.Sprintf("%d.%02d %s", s.Price.Amount/100, s.Price.Amount%100, s.Price.Currency)
					}
					rows = append(rows, []string{s.Part, s.Name, s.Kind, units, price, strings.Join(s.Plans, ",")})
				}
				return a.table([]string{"PART NUMBER", "NAME", "KIND", "UNITS", "PRICE/MONTH", "SERVICE PLANS"}, rows)
			})
		},
	}
	cmd.AddCommand(validate, show)
	return cmd
}
