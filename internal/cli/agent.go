package cli

import (
	"crypto/ed25519"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet/client"
	"github.com/licet/licet/client/agent"
)

// clientFlags are the flags of every `licet client` command.
type clientFlags struct {
	stateDir       string
	now            string
	machineID      string
	connectTimeout time.Duration
}

// agent returns the agent for the flags: the state directory, the clock (--now, hidden, for
// tests and demos of the grace periods) and the machine (--machine-id, hidden, to simulate
// several machines on one).
func (f *clientFlags) agent() (*agent.Agent, error) {
	ag := &agent.Agent{Dir: f.stateDir}
	if f.connectTimeout < 0 || f.connectTimeout > 5*time.Minute {
		return nil, Usagef("--connect-timeout %s: use a duration from 1ms to 5m (e.g. 2s)", f.connectTimeout)
	}
	ag.KMS.Timeout = f.connectTimeout
	if ag.Dir == "" {
		ag.Dir = agent.DefaultDir()
	}
	if f.now != "" {
		t, err := parseWhen(f.now)
		if err != nil {
			return nil, Usagef("--now %q: use RFC 3339 (2026-12-22T09:00:00Z) or a date (2026-12-22)", f.now)
		}
		ag.Now = func() time.Time { return t }
	}
	if f.machineID != "" {
		m := agent.Identify()
		m.ID = f.machineID
		ag.Machine = m
	}
	return ag, nil
}

// run wraps a command body that needs the agent.
func (f *clientFlags) run(fn func(cmd *cobra.Command, ag *agent.Agent, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ag, err := f.agent()
		if err != nil {
			return err
		}
		return fn(cmd, ag, args)
	}
}

// pinned parses --pubkey, the operator's public key to pin; nil when it is not given.
func pinned(pubkey string) (ed25519.PublicKey, error) {
	if pubkey == "" {
		return nil, nil
	}
	return client.ParsePublicKey(pubkey)
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

func (a *app) clientCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "client",
		Short: "The client agent (like slmgr): install a key, activate this machine, show the license state",
		Long: "The client agent keeps its license in a state directory (--state-dir, default " + agent.DefaultDir() + ").\n" +
			"On first activation it pins the operator's public key: the one given with --pubkey, or the server's\n" +
			"(GET /v1/signing-key, trust on first use). Tickets are verified offline against the pinned key and\n" +
			"the keys a key set from the server or a KMS host chains to it (after the operator rotates its key).",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.stateDir, "state-dir", "", "state directory (default "+agent.DefaultDir()+")")
	pf.StringVar(&f.now, "now", "", "pretend the time is this (RFC 3339 or a date), to try the grace periods")
	pf.StringVar(&f.machineID, "machine-id", "", "pretend to be the machine with this id, to simulate several machines")
	pf.DurationVar(&f.connectTimeout, "connect-timeout", 10*time.Second, "how long to wait for each KMS host, directory server and DNS lookup before trying the next")
	_ = pf.MarkHidden("now")
	_ = pf.MarkHidden("machine-id")
	cmd.AddCommand(a.clientKMSCommands(&f)...)
	cmd.AddCommand(a.clientRefreshKeysCommand(&f))

	var product string
	install := &cobra.Command{
		Use:   "install-key KEY --product P",
		Short: "Install a product key (checked offline), replacing the installed one (slmgr /ipk)",
		Args:  cobra.ExactArgs(1),
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			st, err := ag.InstallKey(args[0], product)
			if err != nil {
				return err
			}
			return a.output(st, func() error {
				fmt.Fprintf(a.stdout, "Installed product key *****-*****-*****-*****-%s (%s) for %s.\n", st.PartialKey, st.KeyType, st.Product)
				return a.statusText(st, false)
			})
		}),
	}
	install.Flags().StringVar(&product, "product", "", "the product the key is for (default: the installed product)")
	uninstall := &cobra.Command{
		Use:   "uninstall-key",
		Short: "Remove the installed key and its activation (slmgr /upk)",
		Args:  cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			if err := ag.UninstallKey(); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "Uninstalled the product key.")
			return nil
		}),
	}
	var pubkey string
	var kf *kmsActivateFlags
	activate := &cobra.Command{
		Use:   "activate [--server URL] [--pubkey KEY]",
		Short: "Activate this machine: online with a MAK or retail key, through a KMS host with a kms-client key (slmgr /ato)",
		Args:  cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			pin, err := pinned(pubkey)
			if err != nil {
				return err
			}
			if done, err := a.activateKMSClient(cmd, ag, kf, pin); done {
				return err
			}
			c, err := a.newClient("")
			if err != nil {
				return err
			}
			st, err := ag.Activate(cmd.Context(), c, pin)
			if err != nil {
				return err
			}
			return a.output(st, func() error {
				fmt.Fprintf(a.stdout, "Activated %s on this machine.\n", st.Product)
				return a.statusText(st, false)
			})
		}),
	}
	kf = addKMSActivateFlags(activate)
	activate.Flags().StringVar(&pubkey, "pubkey", "", "the operator's public key (from `licet pubkey`) to pin instead of trusting the server's on first use")
	var verbose bool
	status := &cobra.Command{
		Use:   "status [--verbose]",
		Short: "Show the license state (slmgr /dli; --verbose like /dlv)",
		Args:  cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			st, err := ag.Status()
			return reply(a, st, err, func(st *agent.Status) error { return a.statusText(st, verbose) })
		}),
	}
	status.Flags().BoolVarP(&verbose, "verbose", "v", false, "detailed license information")
	expiry := &cobra.Command{
		Use:   "expiry",
		Short: "Show until when the machine is licensed or in grace (slmgr /xpr)",
		Args:  cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			st, err := ag.Status()
			if err != nil {
				return err
			}
			return a.outputf(map[string]any{"state": st.State, "stateText": st.StateText, "graceEnds": st.GraceEnds, "expiry": st.Expiry()}, "%s: %s\n", dash(st.Product), st.Expiry())
		}),
	}
	cmd.AddCommand(install, uninstall, activate, status, expiry)
	cmd.AddCommand(a.offlineClientCommands(&f)...)
	return cmd
}

// statusText prints the license information as slmgr /dli (and /dlv with verbose) does.
func (a *app) statusText(st *agent.Status, verbose bool) error {
	rows := [][]string{
		{"Product:", dash(st.Product)},
		{"License status:", fmt.Sprintf("%s (%d)", st.StateText, st.State)},
	}
	if st.PartialKey != "" {
		rows = append(rows, []string{"Partial key:", st.PartialKey})
	}
	if st.GraceEnds != nil {
		left := st.GraceEnds.Sub(st.At)
		rows = append(rows, []string{"Time remaining:", fmt.Sprintf("%d days (until %s)", int(math.Ceil(left.Hours()/24)), st.GraceEnds.Format("2006-01-02 15:04 MST"))})
	}
	if st.Reason != "" {
		rows = append(rows, []string{"Reason:", st.Reason})
	}
	rows = append(rows, kmsRows(st, verbose)...)
	if verbose {
		rows = append(rows,
			[]string{"Key type:", dash(st.KeyType)},
			[]string{"Product group:", fmt.Sprint(st.Group)},
			[]string{"Machine id:", st.Machine},
			[]string{"Server:", dash(st.Server)},
			[]string{"Operator key:", dash(st.OperatorKey)},
		)
		if len(st.OperatorKeys) > 1 {
			var known []string
			for _, k := range st.OperatorKeys {
				known = append(known, fmt.Sprintf("%d %s", k.ID, k.State))
			}
			rows = append(rows, []string{"Operator keys:", strings.Join(known, ", ") + " (from the key set)"})
		}
		if !st.InstalledAt.IsZero() {
			rows = append(rows, []string{"Key installed:", st.InstalledAt.Format(time.RFC3339)})
		}
		if t := st.Ticket; t != nil {
			rows = append(rows,
				[]string{"Ticket serial:", t.Serial},
				[]string{"Activated:", t.IssuedAt.Format(time.RFC3339) + " (" + t.Method + ", key id " + fmt.Sprint(t.KeyID) + ", tenant " + dash(t.Tenant) + ", operator key " + fmt.Sprint(st.SigningKey) + ")"},
			)
		}
		if st.TicketError != "" {
			rows = append(rows, []string{"Ticket rejected:", st.TicketError})
		}
		if len(st.HardwareChanged) > 0 {
			rows = append(rows, []string{"Hardware changed:", fmt.Sprint(st.HardwareChanged)})
		}
	}
	return a.rows(rows)
}
