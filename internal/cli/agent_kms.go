package cli

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client/agent"
)

// kmsActivateFlags are the flags of `licet client activate` for a kms-client key. Given, they
// are remembered in the state directory for later activations and the daemon.
type kmsActivateFlags struct {
	cmd         *cobra.Command
	domain      string
	dnsServer   string
	noHostCache bool
	// the directory (directory-based activation, tried before KMS hosts)
	ldap, ldapBase, bindDN, passwordFile, clientCert, clientKey, ca, tenant string
	startTLS                                                                bool
}

// directoryFlagNames are the flags of `licet client activate` about the directory.
var directoryFlagNames = []string{"ldap", "ldap-base", "bind-dn", "password-file", "client-cert", "client-key", "ldap-ca", "start-tls", "tenant"}

func addKMSActivateFlags(cmd *cobra.Command) *kmsActivateFlags {
	kf := &kmsActivateFlags{cmd: cmd}
	f := cmd.Flags()
	f.StringVar(&kf.domain, "dns-domain", "", "kms-client key: look for _licet-kms._tcp SRV records in this domain (like slmgr /skms-domain; remembered; \"\" for the search domain)")
	f.StringVar(&kf.dnsServer, "dns-server", "", "kms-client key: ask this DNS server, HOST[:PORT] (remembered; \"\" for the system resolver)")
	f.BoolVar(&kf.noHostCache, "no-host-cache", false, "kms-client key: do not cache the host that answered (like slmgr /ckhc; remembered; --no-host-cache=false turns caching on)")
	f.StringVar(&kf.ldap, "ldap", "", "kms-client key: the directory to activate from first, ldap://HOST[:PORT] or ldaps://HOST[:PORT] (remembered; \"\" finds it through _ldap._tcp SRV records of the domain)")
	f.StringVar(&kf.ldapBase, "ldap-base", "", "kms-client key: where the directory's activation objects are (remembered; default: its naming contexts)")
	f.StringVar(&kf.bindDN, "bind-dn", "", "kms-client key: this machine's directory account, e.g. cn=pc-1,ou=computers,dc=corp,dc=example (remembered)")
	f.StringVar(&kf.passwordFile, "password-file", "", "kms-client key: file holding the machine account's password (the path is remembered, read at each contact)")
	f.StringVar(&kf.clientCert, "client-cert", "", "kms-client key: bind to the directory with this client certificate (PEM) over LDAPS or StartTLS (remembered)")
	f.StringVar(&kf.clientKey, "client-key", "", "kms-client key: the client certificate's private key (PEM; remembered)")
	f.StringVar(&kf.ca, "ldap-ca", "", "kms-client key: PEM CA certificates that verify the directory server (remembered; default: the system's)")
	f.BoolVar(&kf.startTLS, "start-tls", false, "kms-client key: upgrade ldap:// with StartTLS (remembered)")
	f.StringVar(&kf.tenant, "tenant", "", "kms-client key: the tenant the directory's activation object must name (remembered; any when empty)")
	return kf
}

// given reports whether a flag was given, on the command line or through its LICET_* variable.
func (kf *kmsActivateFlags) given(name string) bool {
	f := kf.cmd.Flags().Lookup(name)
	return f.Changed || f.Value.String() != f.DefValue
}

// onCommandLine reports whether any of the flags was given on the command line.
func (kf *kmsActivateFlags) onCommandLine(names ...string) bool {
	for _, n := range names {
		if kf.cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// directorySettings returns the directory settings given.
func (kf *kmsActivateFlags) directorySettings() (agent.DirectorySettings, bool) {
	var s agent.DirectorySettings
	given := false
	for name, dst := range map[string]**string{"ldap": &s.URL, "ldap-base": &s.Base, "bind-dn": &s.BindDN, "password-file": &s.PasswordFile,
		"client-cert": &s.CertFile, "client-key": &s.KeyFile, "ldap-ca": &s.CAFile, "tenant": &s.Tenant} {
		if kf.given(name) {
			v := kf.cmd.Flags().Lookup(name).Value.String()
			*dst, given = &v, true
		}
	}
	if kf.given("start-tls") {
		s.StartTLS, given = &kf.startTLS, true
	}
	return s, given
}

// settings returns the settings given on the command line.
func (kf *kmsActivateFlags) settings() (agent.KMSSettings, bool) {
	var s agent.KMSSettings
	if kf.given("dns-domain") {
		s.Domain = &kf.domain
	}
	if kf.given("dns-server") {
		s.DNSServer = &kf.dnsServer
	}
	if kf.given("no-host-cache") {
		s.NoHostCache = &kf.noHostCache
	}
	return s, s.Domain != nil || s.DNSServer != nil || s.NoHostCache != nil
}

// activateKMSClient activates against a KMS host when the installed key is a kms-client key;
// done is false for other keys, which activate online.
func (a *app) activateKMSClient(cmd *cobra.Command, ag *agent.Agent, kf *kmsActivateFlags, pin ed25519.PublicKey) (done bool, err error) {
	s, err := agent.Load(ag.Dir)
	if err != nil {
		return true, err
	}
	settings, given := kf.settings()
	dirSettings, dirGiven := kf.directorySettings()
	if s.KeyType != "kms-client" {
		// Only flags on the command line are a mistake here; LICET_* variables may be set for
		// other commands.
		if kf.onCommandLine(append([]string{"dns-domain", "dns-server", "no-host-cache"}, directoryFlagNames...)...) {
			return true, Usagef("--dns-domain, --dns-server, --no-host-cache and the directory flags (--%s) apply to kms-client keys; the installed key is %s", strings.Join(directoryFlagNames, ", --"), dash(s.KeyType))
		}
		return false, nil
	}
	if given {
		if _, err := ag.ConfigureKMS(settings); err != nil {
			return true, err
		}
	}
	if dirGiven {
		if _, err := ag.ConfigureDirectory(dirSettings); err != nil {
			return true, err
		}
	}
	st, err := ag.ActivateKMS(cmd.Context(), pin)
	if err != nil {
		return true, err
	}
	return true, a.output(st, func() error {
		k := st.KMS
		if d := st.Directory; st.Method == agent.MethodDirectory && d != nil {
			fmt.Fprintf(a.stdout, "Activated %s through directory %s (%s, object %s): no KMS host, no threshold.\n", st.Product, dash(d.Name), d.Server, d.ObjectDN)
		} else if st.State == agent.Licensed && k.Activated {
			fmt.Fprintf(a.stdout, "Activated %s through KMS host %s (%s): count %s.\n", st.Product, k.Host, k.HostID, kmsCount(k.Count, k.Threshold))
		} else {
			fmt.Fprintf(a.stdout, "Not activated yet: KMS host %s (%s) has seen %d of the %d machines this product needs; the agent retries at %s (licet client daemon).\n",
				k.Host, k.HostID, k.Count, k.Threshold, when(k.NextRetry))
		}
		return a.statusText(st, false)
	})
}

// clientKMSCommands are the KMS commands of `licet client`: set-host, clear-host, daemon.
func (a *app) clientKMSCommands(f *clientFlags) []*cobra.Command {
	setHost := &cobra.Command{
		Use:   "set-host HOST[:PORT]",
		Short: "Use this KMS host only, turning DNS discovery off (slmgr /skms; port 8471 when absent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeKMS(f, func(ag *agent.Agent) (*agent.Status, error) { return ag.SetKMSHost(args[0]) })
		},
	}
	clearHost := &cobra.Command{
		Use:   "clear-host",
		Short: "Find KMS hosts through DNS SRV records again and forget the cached host (slmgr /ckms)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeKMS(f, func(ag *agent.Agent) (*agent.Status, error) { return ag.ClearKMSHost() })
		},
	}
	var once, report bool
	daemon := &cobra.Command{
		Use:   "daemon [--once]",
		Short: "Renew and retry directory and KMS activation on schedule, until stopped",
		Long: "Runs until interrupted: activates a kms-client key, renews after the host's renewal interval (7 days by\n" +
			"default) and retries after its retry interval (2 hours) while not activated or when no host answers.\n" +
			"With a directory set up (licet client activate --ldap …) it renews through the directory every 7 days,\n" +
			"falling back to a KMS host when the directory fails.\n" +
			"One line per contact. --once does what is due and exits (for a cron job or a systemd timer).",
		Args: cobra.NoArgs,
		RunE: f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
			if f.now != "" && !once {
				return Usagef("--now works with --once only: the daemon runs on the real clock")
			}
			ag.Central = a.centralFor
			d := &agent.Daemon{Agent: ag, Report: a.reportTick}
			if report {
				c, err := a.client()
				if err != nil {
					return err
				}
				d.Report = func(res agent.TickResult, err error) {
					a.reportTick(res, err)
					if res.Status == nil || res.Status.Product == "" {
						return
					}
					if _, rerr := c.ReportMachines(cmd.Context(), licet.MachineReport{Machines: []licet.ReportedMachine{agentReport(res.Status)}}); rerr != nil {
						fmt.Fprintf(a.stderr, "licet: reporting this machine's state to %s failed (the next tick reports again): %s\n", a.server, describe(rerr))
					}
				}
			}
			if once {
				_, err := d.Once(cmd.Context())
				return err
			}
			return d.Run(cmd.Context())
		}),
	}
	daemon.Flags().BoolVar(&once, "once", false, "do what is due now and exit")
	daemon.Flags().BoolVar(&report, "report", false, "report this machine's license state to the central service (--server, with a tenant --token) after every tick")
	return []*cobra.Command{setHost, clearHost, daemon}
}

// changeKMS changes the KMS settings and prints where the agent now looks for hosts.
func (a *app) changeKMS(f *clientFlags, change func(*agent.Agent) (*agent.Status, error)) error {
	ag, err := f.agent()
	if err != nil {
		return err
	}
	if _, err := change(ag); err != nil {
		return err
	}
	s, err := agent.Load(ag.Dir)
	if err != nil {
		return err
	}
	k := s.KMS
	if k == nil {
		k = &agent.KMSState{}
	}
	return a.outputf(k, "KMS hosts: %s.\n", k.Discovery())
}

// reportTick prints one line per daemon tick (a JSON object per line with --json).
func (a *app) reportTick(res agent.TickResult, err error) {
	if a.json {
		b, _ := json.Marshal(res)
		fmt.Fprintln(a.stdout, string(b))
		return
	}
	at := "-"
	line := res.Action
	if st := res.Status; st != nil {
		at = st.At.Format(time.RFC3339)
		line += ": " + st.StateText
		if k := st.KMS; k != nil && k.Host != "" && res.Action != agent.TickWaiting {
			line += fmt.Sprintf(", count %s via %s", kmsCount(k.Count, k.Threshold), k.Host)
		}
	}
	if err != nil {
		line += "; failed: " + err.Error()
	}
	if !res.Next.IsZero() {
		line += "; next contact " + res.Next.Format(time.RFC3339)
	}
	fmt.Fprintf(a.stdout, "%s %s\n", at, line)
}

// kmsRows are the status lines of a kms-client key (slmgr /dli and /dlv show the KMS host too).
func kmsRows(st *agent.Status, verbose bool) [][]string {
	k := st.KMS
	if k == nil {
		return nil
	}
	host := "none has answered yet"
	if k.Host != "" {
		host = k.Host
		if k.HostID != "" {
			host += " (" + k.HostID + ")"
		}
	}
	var rows [][]string
	if st.Method != "" {
		rows = append(rows, []string{"Activated by:", map[string]string{agent.MethodDirectory: "directory", agent.MethodKMS: "KMS host"}[st.Method]})
	}
	rows = append(rows, directoryRows(st)...)
	if st.Method == agent.MethodDirectory {
		return rows
	}
	rows = append(rows, []string{"KMS host:", host})
	if k.Threshold > 0 {
		rows = append(rows, []string{"KMS count:", fmt.Sprintf("%s (%s pool)", kmsCount(k.Count, k.Threshold), k.Pool)})
	}
	if k.NextRenewal != nil {
		rows = append(rows, []string{"Next renewal:", when(k.NextRenewal)})
	}
	if k.NextRetry != nil {
		rows = append(rows, []string{"Next retry:", when(k.NextRetry)})
	}
	if t := st.Ticket; t != nil && t.ExpiresAt != nil {
		rows = append(rows, []string{"Activation ends:", when(t.ExpiresAt) + " (180 days after the last renewal)"})
	}
	if k.LastError != "" {
		rows = append(rows, []string{"Last failure:", k.LastError})
	}
	if verbose {
		caching := "off"
		if strings.HasPrefix(k.Discovery, "fixed host") {
			caching = "off (a fixed host is set)"
		}
		if k.HostCaching {
			caching = "on (cached: " + dash(k.CachedHost) + ")"
		}
		rows = append(rows, []string{"KMS discovery:", k.Discovery}, []string{"Host caching:", caching})
		if k.LastContact != nil {
			rows = append(rows, []string{"Last contact:", when(k.LastContact)})
		}
		if k.Message != "" {
			rows = append(rows, []string{"Host said:", k.Message})
		}
	}
	return rows
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02 15:04 MST")
}

// kmsCount says a host's count against its threshold: "24 of 25" below it, "30 (threshold 25)"
// past it, where "30 of 25" would read oddly.
func kmsCount(count, threshold int) string {
	if count > threshold {
		return fmt.Sprintf("%d (threshold %d)", count, threshold)
	}
	return fmt.Sprintf("%d of %d", count, threshold)
}

// directoryRows are the status lines of directory-based activation, when a directory is set up.
func directoryRows(st *agent.Status) [][]string {
	d := st.Directory
	if d == nil {
		return nil
	}
	name := d.Directory
	if d.Server != "" {
		name = d.Server
	}
	if d.Name != "" {
		name = d.Name + " at " + name
	}
	rows := [][]string{{"Directory:", name}}
	if d.ObjectDN != "" {
		rows = append(rows, []string{"Object:", d.ObjectDN})
	}
	if d.ValidUntil != nil {
		rows = append(rows, []string{"Valid until:", when(d.ValidUntil) + " (180 days after the last renewal)"})
	}
	if d.NextContact != nil {
		rows = append(rows, []string{"Next contact:", when(d.NextContact) + " (the directory first, then KMS)"})
	}
	if d.LastError != "" {
		rows = append(rows, []string{"Directory error:", d.LastError})
	}
	return rows
}

// agentReport is how an agent's status reads in the inventory.
func agentReport(st *agent.Status) licet.ReportedMachine {
	m := licet.ReportedMachine{MachineID: st.Machine, Product: st.Product, LastSeen: st.At.UTC(), StateUntil: st.GraceEnds}
	switch st.State {
	case agent.Licensed:
		m.State = licet.StateLicensed
		if d := st.Directory; st.Method == agent.MethodDirectory && d != nil && d.ValidUntil != nil {
			m.StateUntil = d.ValidUntil // the object's expiry is not the machine's
		} else if st.Ticket != nil && st.Ticket.ExpiresAt != nil {
			m.StateUntil = st.Ticket.ExpiresAt
		}
	case agent.InitialGrace:
		m.State = licet.StateInitialGrace
	case agent.AdditionalGrace:
		m.State = licet.StateAdditionalGrace
	case agent.Notification:
		m.State = licet.StateNotification
	default:
		m.State = licet.StateUnlicensed
	}
	return m
}
