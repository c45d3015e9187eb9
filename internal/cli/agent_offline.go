package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/internal/keys"
)

// offlineClientCommands are the agent's offline commands: installation-id and confirm.
func (a *app) offlineClientCommands(f *clientFlags) []*cobra.Command {
	iid := &cobra.Command{
		Use:   "installation-id [--json]",
		Short: "Print this machine's installation ID for offline or proxy activation (slmgr /dti)",
		Long: "Prints the installation ID of the installed MAK or retail key on this machine. Read it to the\n" +
			"activation centre (`licet activate-offline`), or collect it for proxy activation: with --json it\n" +
			"prints one line, so `licet client installation-id --json >> machines.jsonl` on each machine builds\n" +
			"the machines file of `licet proxy-activate`.",
		Args: cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			m, err := ag.InstallationID()
			if err != nil {
				return err
			}
			if a.json {
				b, err := json.Marshal(m)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s\n", b)
				return err
			}
			fmt.Fprintf(a.stdout, "Installation ID of %s on %s:\n  %s\n", m.Product, dash(m.Hostname), m.InstallationID)
			fmt.Fprintln(a.stdout, "Give it to the activation centre (`licet activate-offline --installation-id ID`), then install\nthe confirmation ID you get with `licet client confirm CID`.")
			return nil
		}),
	}
	var from, pubkey string
	confirm := &cobra.Command{
		Use:   "confirm CID | --from FILE [--pubkey KEY]",
		Short: "Install a confirmation ID, verified offline (slmgr /atp); --from applies this machine's line of a proxy results file",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (from != "") {
				return Usagef("give the confirmation ID, or --from FILE with the results of `licet proxy-activate`, not both")
			}
			ag, err := f.agent()
			if err != nil {
				return err
			}
			pin, err := pinned(pubkey)
			if err != nil {
				return err
			}
			var st *agent.Status
			if from != "" {
				results, err := readResults(from)
				if err != nil {
					return err
				}
				st, err = ag.ConfirmFrom(results, pin)
				if err != nil {
					return err
				}
			} else if st, err = ag.Confirm(args[0], pin, "offline"); err != nil {
				return err
			}
			return a.output(st, func() error {
				fmt.Fprintf(a.stdout, "Installed the confirmation ID: %s is activated on this machine.\n", st.Product)
				return a.statusText(st, false)
			})
		},
	}
	confirm.Flags().StringVar(&from, "from", "", "a results file written by `licet proxy-activate --out`; this machine's line is applied")
	confirm.Flags().StringVar(&pubkey, "pubkey", "", "the operator's public key (from `licet pubkey`), needed when none is pinned on this machine")
	return []*cobra.Command{iid, confirm}
}

// readResults reads a proxy results file.
func readResults(path string) ([]licet.ProxyResult, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot read the results file: %v", err)
	}
	defer file.Close()
	return agent.ParseResults(file)
}

// activateOfflineCommand is the phone activation centre.
func (a *app) activateOfflineCommand() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "activate-offline --installation-id ID",
		Short: "Turn a machine's installation ID into its confirmation ID (the phone activation centre)",
		Long: "Activates the machine an installation ID was read from: consumes one activation of its MAK (none\n" +
			"when the machine was activated before) and prints the confirmation ID to read back. Operator, or\n" +
			"an admin of the key's tenant.",
		Args: cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if id == "" {
				return Usagef("--installation-id is required")
			}
			// Check the groups here first: the caller is on the phone and hears at once which
			// group to read again.
			if _, err := keys.ParseInstallationID(id); err != nil {
				return keys.Problem("installationId", err)
			}
			conf, err := c.ActivateOffline(ctx, licet.OfflineRequest{InstallationID: id})
			if err != nil {
				return err
			}
			return a.output(conf, func() error {
				fmt.Fprintf(a.stdout, "Confirmation ID:\n  %s\n", conf.ConfirmationID)
				consumed := "consumed one activation"
				if !conf.Consumed {
					consumed = "the machine was activated before: no activation consumed"
				}
				return a.rows([][]string{
					{"Product:", conf.Product},
					{"Key:", fmt.Sprintf("%d (tenant %s)", conf.KeyID, dash(conf.Tenant))},
					{"Serial:", fmt.Sprint(conf.Serial)},
					{"Activation:", consumed},
				})
			})
		}),
	}
	cmd.Flags().StringVar(&id, "installation-id", "", "the installation ID the machine printed (`licet client installation-id`)")
	return cmd
}

// proxyActivateCommand activates the machines of an isolated network in one request.
func (a *app) proxyActivateCommand() *cobra.Command {
	var key, machines, out string
	cmd := &cobra.Command{
		Use:   "proxy-activate --key MAK --machines FILE [--out FILE]",
		Short: "Activate many machines with one MAK in one request, from their installation IDs (proxy activation)",
		Long: "FILE holds one machine per line, as `licet client installation-id --json` prints it (or a bare\n" +
			"installation ID). The machines are activated in the file's order: when the MAK runs out, the rest\n" +
			"fail with ActivationLimitExceeded. --out writes the results (JSON lines), which each machine\n" +
			"applies with `licet client confirm --from FILE`. Exits 1 when any machine was not activated.",
		Args: cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if key == "" || machines == "" {
				return Usagef("--key and --machines are required")
			}
			file, err := os.Open(machines)
			if err != nil {
				return licet.Errorf(licet.EInvalid, "cannot read the machines file: %v", err)
			}
			ms, err := agent.ParseMachines(file)
			file.Close()
			if err != nil {
				return err
			}
			res, err := c.ActivateProxy(ctx, licet.ProxyRequest{Key: key, Machines: ms})
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeResults(out, res.Results); err != nil {
					return err
				}
			}
			err = a.output(res, func() error {
				rows := make([][]string, 0, len(res.Results))
				for _, r := range res.Results {
					outcome := "confirmation ID " + abbreviate(r.ConfirmationID)
					if r.Error != nil {
						msg, _, _ := strings.Cut(r.Error.Message, ";") // the way out is in the results file
						outcome = r.Error.Code + ": " + msg
					} else if !r.Consumed {
						outcome += " (activated before)"
					}
					rows = append(rows, []string{fmt.Sprint(r.Line), dash(r.Hostname), dash(r.Machine), outcome})
				}
				if err := a.table([]string{"LINE", "HOST", "MACHINE", "RESULT"}, rows); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d activated, %d failed; %d activations remain on key %d.\n", res.Activated, res.Failed, res.Remaining, res.KeyID)
				if out != "" {
					fmt.Fprintf(a.stdout, "Results written to %s: on each machine run `licet client confirm --from %s`.\n", out, out)
				}
				return nil
			})
			if err == nil && res.Failed > 0 {
				err = licet.Errorf(licet.CodeProxyIncomplete, "%d of %d machines were not activated (see their results)", res.Failed, len(res.Results))
			}
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the MAK")
	f.StringVar(&machines, "machines", "", "the machines file")
	f.StringVar(&out, "out", "", "write the results here, for `licet client confirm --from`")
	return cmd
}

// writeResults writes a results file atomically enough for its purpose: a temporary file renamed.
func writeResults(path string, results []licet.ProxyResult) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot write the results file: %v", err)
	}
	if err := agent.WriteResults(f, results); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// abbreviate shortens a confirmation ID for a table: its first and last groups.
func abbreviate(cid string) string {
	g := strings.Split(cid, "-")
	if len(g) < 3 {
		return cid
	}
	return g[0] + "-…-" + g[len(g)-1]
}
