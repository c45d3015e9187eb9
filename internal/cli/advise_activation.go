package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/licet/licet/internal/methodadvice"
)

// adviseActivationCommand recommends an activation method (directory, KMS, MAK, proxy, offline)
// for a fleet.
func (a *app) adviseActivationCommand() *cobra.Command {
	var env methodadvice.Environment
	cmd := &cobra.Command{
		Use:   "activation --clients N --servers M [--applications A] [--virtual V] [--isolated] [--directory-members D]",
		Short: "Recommend directory-based activation, KMS, MAK (independent or proxy), offline activation, or a mix, for a fleet of machines",
		Example: "  licet advise activation --clients 30 --servers 2\n" +
			"  licet advise activation --clients 10\n  licet advise activation --clients 400 --virtual 120 --isolated",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			adv, err := methodadvice.Recommend(env)
			if err != nil {
				return err
			}
			return a.output(adv, func() error {
				fmt.Fprintf(a.stdout, "Recommendation: %s\n\n", adv.Summary)
				rows := make([][]string, 0, len(adv.Parts))
				for _, p := range adv.Parts {
					n := fmt.Sprint(p.Count)
					if p.Count == 0 {
						n = "-"
					}
					rows = append(rows, []string{p.Method, n, p.Machines})
				}
				if err := a.table([]string{"METHOD", "MACHINES", "FOR"}, rows); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "\nWhy:")
				for _, r := range adv.Reasons {
					fmt.Fprintf(a.stdout, "  - %s [%s]\n", r.Text, r.Rule)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&env.Clients, "clients", 0, "client-OS machines (physical and virtual)")
	f.IntVar(&env.Servers, "servers", 0, "server-OS machines (physical and virtual)")
	f.IntVar(&env.Applications, "applications", 0, "machines running volume applications")
	f.IntVar(&env.Virtual, "virtual", 0, "how many of the clients and servers are virtual machines")
	f.BoolVar(&env.Isolated, "isolated", false, "the machines cannot reach the licet service")
	f.IntVar(&env.DirectoryMembers, "directory-members", 0, "how many of the clients and servers are members of the organisation's LDAP directory (directory-based activation)")
	return cmd
}
