package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/kms"
)

func (a *app) kmsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "kms", Short: "Run a KMS host: activate it, serve clients, show its statistics"}
	cmd.AddCommand(a.kmsActivateCommand(), a.kmsApproveCommand(), a.kmsServeCommand(), a.kmsStatusCommand(), a.kmsHostLimitCommand(), a.kmsReportCommand(), a.kmsBackupCommand(), a.kmsUnpublishCommand())
	return cmd
}

const defaultStateDir = "licet-kms"

func (a *app) kmsActivateCommand() *cobra.Command {
	var key, stateDir, requestFile, responseFile, operatorKey, hostname string
	cmd := &cobra.Command{
		Use:   "activate (--key KEY | --key KEY --request-file F | --response-file R)",
		Short: "Activate this KMS host against the central service (online, or by request and response files)",
		Long: "Online: licet kms activate --server URL --key KMS-HOST-KEY.\n" +
			"Air-gapped: licet kms activate --key KEY --request-file F writes a request (without the key);\n" +
			"on a connected machine licet kms approve F --out R answers it; licet kms activate --response-file R installs it.",
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the kms-host key")
	f.StringVar(&stateDir, "state-dir", defaultStateDir, "the host's state directory")
	f.StringVar(&requestFile, "request-file", "", "write an activation request to this file instead of going online")
	f.StringVar(&responseFile, "response-file", "", "install the answer `licet kms approve` wrote")
	f.StringVar(&operatorKey, "operator-key", "", "the operator's public key (base64, from `licet pubkey`) the certificate must verify with")
	f.StringVar(&hostname, "hostname", "", "this host's name for the operator's records (default: the machine's hostname)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		pinned, err := parseOperatorKey(operatorKey)
		if err != nil {
			return err
		}
		if hostname == "" {
			hostname, _ = os.Hostname()
		}
		if responseFile != "" {
			if key != "" || requestFile != "" {
				return Usagef("--response-file goes alone: the key was named in the request")
			}
			rf, err := readResponseFile(responseFile)
			if err != nil {
				return err
			}
			if err := a.installCertificate(cmd, stateDir, rf.Certificate, pinned); err != nil {
				return err
			}
			// Activated by file: the host cannot reach the central service to renew.
			return kms.SetRenewalServer(ctx, stateDir, "")
		}
		if key == "" {
			return Usagef("--key is required (or --response-file)")
		}
		id, err := kms.LoadIdentity(ctx, stateDir)
		if err != nil {
			return err
		}
		req, err := kms.NewRequest(id, key, hostname, requestFile == "")
		if err != nil {
			return err
		}
		if requestFile != "" {
			if err := writeRequestFile(requestFile, req); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote the activation request of host %s to %s (it holds the key's hash, not the key).\nOn a connected machine: licet kms approve %s --out RESPONSE; then here: licet kms activate --response-file RESPONSE\n", id.HostID, requestFile, requestFile)
			return nil
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		cert, err := c.ActivateHost(ctx, req)
		if err != nil {
			return err
		}
		if err := a.installCertificate(cmd, stateDir, *cert, pinned); err != nil {
			return err
		}
		// The host renews its certificate against the same service.
		return kms.SetRenewalServer(ctx, stateDir, c.BaseURL)
	}
	return cmd
}

func (a *app) installCertificate(cmd *cobra.Command, stateDir string, c licet.KMSHostCertificate, pinned ed25519.PublicKey) error {
	t, err := kms.Install(cmd.Context(), stateDir, c, pinned, time.Now())
	if err != nil {
		return err
	}
	return a.output(c, func() error {
		verb := "activated"
		if c.Reactivation {
			verb = "re-activated"
		}
		fmt.Fprintf(a.stdout, "KMS host %s %s: product group %d, covers %v, %d products; certificate valid until %s\n",
			t.Machine, verb, t.Group, t.Covers, len(c.Products), t.ExpiresAt.Format(time.DateOnly))
		if c.HostLimit > 0 {
			fmt.Fprintf(a.stdout, "the key has activated %d of its %d hosts and directories\n", c.HostsUsed, c.HostLimit)
		}
		_, err := fmt.Fprintf(a.stdout, "state in %s; start serving with: licet kms serve --state-dir %s\n", stateDir, stateDir)
		return err
	})
}

func (a *app) kmsApproveCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "approve REQUEST-FILE --out RESPONSE-FILE",
		Short: "Answer an air-gapped KMS host's activation request (operator, or the tenant admin owning the key)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&out, "out", "", "where to write the response file")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out == "" {
			return Usagef("--out is required")
		}
		fh, err := os.Open(args[0])
		if err != nil {
			return licet.Errorf(licet.EInvalid, "cannot read the request file: %v", err)
		}
		defer fh.Close()
		rf, err := kms.ReadRequestFile(fh)
		if err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		cert, err := c.ApproveHost(cmd.Context(), rf.Request)
		if err != nil {
			return err
		}
		if err := kms.WriteJSONFile(out, kms.ResponseFile{Format: kms.ResponseFormat, Version: kms.FileVersion, Certificate: *cert}); err != nil {
			return err
		}
		return a.output(cert, func() error {
			if cert.Kind == licet.KMSKindDirectory {
				_, err := fmt.Fprintf(a.stdout, "approved directory %s (%s; %d of %d hosts and directories of the key); wrote %s — beside the directory: licet directory activate --response-file %s --ldap URL --bind-dn DN --password-file F --base DN\n",
					cert.Directory, cert.HostID, cert.HostsUsed, cert.HostLimit, out, out)
				return err
			}
			_, err := fmt.Fprintf(a.stdout, "approved host %s (%d of %d hosts of the key); wrote %s — on the host: licet kms activate --response-file %s\n",
				cert.HostID, cert.HostsUsed, cert.HostLimit, out, out)
			return err
		})
	}
	return cmd
}

func (a *app) kmsHostLimitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "host-limit KEY-ID N",
		Short: "Set how many distinct hosts a kms-host key may activate (operator)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err1 := strconv.ParseInt(args[0], 10, 64)
			n, err2 := strconv.Atoi(args[1])
			if err1 != nil || err2 != nil {
				return Usagef("KEY-ID and N must be numbers")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.SetHostLimit(cmd.Context(), id, n); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "key %d may now activate %d hosts\n", id, n)
			return err
		},
	}
}

// parseThreshold reads KIND=N or GROUP:KIND=N.
func parseThreshold(s string, cfg *kms.Config) error {
	lhs, nText, ok := strings.Cut(s, "=")
	n, err := strconv.Atoi(nText)
	if !ok || err != nil || n < 1 {
		return Usagef("--threshold %q: write KIND=N or GROUP:KIND=N, e.g. client=25 or 7:server=3", s)
	}
	t := &cfg.Thresholds
	if g, kind, ok := strings.Cut(lhs, ":"); ok {
		group, err := strconv.ParseUint(g, 10, 16)
		if err != nil {
			return Usagef("--threshold %q: the product group must be a number", s)
		}
		if cfg.GroupThresholds == nil {
			cfg.GroupThresholds = map[uint16]kms.Thresholds{}
		}
		gt := cfg.GroupThresholds[uint16(group)]
		defer func() { cfg.GroupThresholds[uint16(group)] = gt }()
		t, lhs = &gt, kind
	}
	switch licet.ProductKind(lhs) {
	case licet.ProductClient:
		t.Client = n
	case licet.ProductServer:
		t.Server = n
	case licet.ProductApplication:
		t.Application = n
	default:
		return Usagef("--threshold %q: the kind is client, server or application", s)
	}
	return nil
}

func (a *app) kmsServeCommand() *cobra.Command {
	var cfg kms.Config
	var o kms.ServeOptions
	var renew, retry, logFormat string
	var thresholds []string
	var df dnsFlags
	var noDNS, keep, noRenew bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Answer activation requests of machines holding a kms-client key",
		Args:  cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8471", "listen address")
	f.StringVar(&cfg.StateDir, "state-dir", defaultStateDir, "the host's state directory")
	f.StringVar(&renew, "renewal-interval", "7d", "how often activated clients renew (15m to 30d)")
	f.StringVar(&retry, "retry-interval", "2h", "how often clients not activated retry (15m to 30d)")
	f.StringArrayVar(&thresholds, "threshold", nil, "activation threshold KIND=N or GROUP:KIND=N (defaults client=25 server=5 application=5); repeatable")
	f.IntVar(&cfg.MaxTracked, "max-tracked", kms.DefaultMaxTracked, "machines kept in memory per pool (the count's memory bound)")
	df.add(cmd, "publish")
	f.BoolVar(&noDNS, "no-dns-publish", false, "do not publish the SRV record")
	f.BoolVar(&keep, "keep-dns-record", false, "keep the SRV record when the host stops (by default a clean shutdown removes it)")
	f.BoolVar(&noRenew, "no-renew", false, "do not renew the host certificate against the central service it was activated with")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	var report bool
	var reportEvery string
	f.BoolVar(&report, "report", false, "report the client table to the central service (--server) periodically, signed with the host's key")
	f.StringVar(&reportEvery, "report-interval", "1h", "how often to report with --report (15m to 30d)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		log, err := a.logger(logFormat)
		if err != nil {
			return err
		}
		if cfg.RenewInterval, err = kms.ParseDuration(renew); err != nil {
			return Usagef("--renewal-interval: %v", err)
		}
		if cfg.RetryInterval, err = kms.ParseDuration(retry); err != nil {
			return Usagef("--retry-interval: %v", err)
		}
		for _, t := range thresholds {
			if err := parseThreshold(t, &cfg); err != nil {
				return err
			}
		}
		cfg.Logger, cfg.Now = log, time.Now
		if !noDNS {
			if o.DNS, err = df.publishing(o.Addr); err != nil {
				return err
			}
			o.DNS.Keep = keep
		}
		h, err := kms.Open(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer h.Close()
		if _, ok := h.Certificate(); !ok {
			return licet.Errorf(licet.CodeKMSHostNotActivated, "this KMS host (%s, state in %s) is not activated: run licet kms activate --server URL --key KMS-HOST-KEY first", h.ID(), cfg.StateDir)
		}
		o.Stdout = a.stdout
		if report {
			every, err := kms.ParseDuration(reportEvery)
			if err != nil {
				return Usagef("--report-interval: %v", err)
			}
			r, err := a.reporter(cmd, h)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			done := make(chan struct{})
			defer func() { cancel(); <-done }()
			go func() {
				defer close(done)
				r.Run(ctx, every, kms.Sleep)
			}()
		}
		if server := h.RenewalServer(cmd.Context()); server != "" && !noRenew {
			if o.Central, err = a.centralFor(server); err != nil {
				return err
			}
		}
		return h.Serve(cmd.Context(), o)
	}
	return cmd
}

// kmsReportCommand reports the host's client table now, on demand.
func (a *app) kmsReportCommand() *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Send the clients seen since the last report to the central service (--server) now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := kms.Open(cmd.Context(), kms.Config{StateDir: stateDir})
			if err != nil {
				return err
			}
			defer h.Close()
			r, err := a.reporter(cmd, h)
			if err != nil {
				return err
			}
			n, err := r.ReportOnce(cmd.Context())
			if err != nil {
				return err
			}
			return a.outputf(map[string]any{"hostId": h.ID(), "reported": n}, "Reported %d clients of host %s to %s.\n", n, h.ID(), r.Server)
		},
	}
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir, "the host's state directory")
	return cmd
}

// dnsFlags are the DNS flags of `kms serve` and `kms unpublish`.
type dnsFlags struct {
	domains                        []string
	server, target, tsig, tsigFile string
}

func (d *dnsFlags) add(cmd *cobra.Command, verb string) {
	f := cmd.Flags()
	f.StringArrayVar(&d.domains, "dns-domain", nil, verb+" the SRV record in DOMAIN[:PRIORITY[:WEIGHT]]; repeatable (default: the search domain)")
	f.StringVar(&d.server, "dns-server", "", "DNS server accepting dynamic updates, host[:port] (default: the first nameserver of /etc/resolv.conf)")
	f.StringVar(&d.target, "dns-target", "", "this host's DNS name in the SRV record (default: the machine's hostname in the domain); a host owns the record of its target and port")
	f.StringVar(&d.tsig, "dns-tsig", "", "TSIG key signing the updates: NAME:BASE64-SECRET[:ALGORITHM] (visible in ps: prefer --dns-tsig-file)")
	f.StringVar(&d.tsigFile, "dns-tsig-file", "", "file holding the TSIG key: NAME:BASE64-SECRET[:ALGORITHM] or a BIND key statement (tsig-keygen's output)")
}

// publishing builds the DNS publishing of a host listening on addr from the flags.
func (d *dnsFlags) publishing(addr string) (*kms.DNSPublishing, error) {
	_, portText, err := splitPort(addr)
	if err != nil {
		return nil, Usagef("--addr %q: %v", addr, err)
	}
	port, _ := strconv.ParseUint(portText, 10, 16)
	p := &kms.DNSPublishing{Server: d.server, Target: d.target, Port: uint16(port)}
	domains := d.domains
	if len(domains) == 0 {
		dom := kmsclient.SearchDomain()
		if dom == "" {
			return nil, Usagef("no --dns-domain and no search domain in /etc/resolv.conf: give --dns-domain or --no-dns-publish")
		}
		domains = []string{dom}
	}
	for _, dom := range domains {
		e, err := kms.ParseSRVEntry(dom)
		if err != nil {
			return nil, Usagef("--dns-domain: %v", err)
		}
		p.Entries = append(p.Entries, e)
	}
	if p.Server == "" {
		p.Server = firstNameserver()
		if p.Server == "" {
			return nil, Usagef("no --dns-server and no nameserver in /etc/resolv.conf: give --dns-server or --no-dns-publish")
		}
	}
	if p.Target == "" {
		h, _ := os.Hostname()
		if !strings.Contains(h, ".") {
			h += "." + p.Entries[0].Domain
		}
		p.Target = h
	}
	switch {
	case d.tsig != "" && d.tsigFile != "":
		return nil, Usagef("give --dns-tsig or --dns-tsig-file, not both")
	case d.tsig != "":
		if p.TSIG, err = kms.ParseTSIG(d.tsig); err != nil {
			return nil, Usagef("--dns-tsig: %v", err)
		}
	case d.tsigFile != "":
		b, err := os.ReadFile(d.tsigFile)
		if err != nil {
			return nil, licet.Errorf(licet.EInvalid, "--dns-tsig-file: %v", err)
		}
		if p.TSIG, err = kms.ParseTSIGFile(b); err != nil {
			return nil, licet.Errorf(licet.EInvalid, "--dns-tsig-file %s: %v", d.tsigFile, err)
		}
	}
	return p, nil
}

func (a *app) kmsUnpublishCommand() *cobra.Command {
	var df dnsFlags
	var addr string
	cmd := &cobra.Command{
		Use:   "unpublish --addr HOST:PORT [--dns-domain D] [--dns-server S] [--dns-target T] [--dns-tsig-file F]",
		Short: "Remove a KMS host's SRV record (its target and port) from DNS, e.g. one a stopped host left",
		Long: "A host removes its own record on a clean shutdown (unless --keep-dns-record). A record left by a crash is\n" +
			"replaced when the host starts again with the same target and port; unpublish removes it by hand. Give the\n" +
			"same --addr (its port), --dns-target and --dns-domain as the host had: only records of that target and port\n" +
			"are removed, never another host's.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8471", "the host's listen address (its port is the record's port)")
	df.add(cmd, "remove")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p, err := df.publishing(addr)
		if err != nil {
			return err
		}
		type removed struct {
			Name    string `json:"name"`
			Target  string `json:"target"`
			Port    uint16 `json:"port"`
			Removed int    `json:"removed"`
		}
		var out []removed
		for _, e := range p.Entries {
			n, err := p.Unpublish(cmd.Context(), e)
			if err != nil {
				return err
			}
			out = append(out, removed{p.Name(e.Domain), p.Target, p.Port, n})
		}
		return a.output(out, func() error {
			for _, r := range out {
				fmt.Fprintf(a.stdout, "%s: removed %d record(s) of %s port %d\n", r.Name, r.Removed, r.Target, r.Port)
			}
			return nil
		})
	}
	return cmd
}

func splitPort(addr string) (string, string, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", "", fmt.Errorf("missing port")
	}
	if _, err := strconv.ParseUint(addr[i+1:], 10, 16); err != nil {
		return "", "", fmt.Errorf("bad port")
	}
	return addr[:i], addr[i+1:], nil
}

// firstNameserver returns the first nameserver of /etc/resolv.conf.
func firstNameserver() string {
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "nameserver" {
			return f[1]
		}
	}
	return ""
}

func (a *app) kmsStatusCommand() *cobra.Command {
	var stateDir string
	var clients int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a KMS host's certificate, counts and thresholds, requests, and the clients seen last",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir, "the host's state directory")
	cmd.Flags().IntVar(&clients, "clients", 20, "how many clients to list, most recent first")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if clients < 0 || clients > 100000 {
			return Usagef("--clients must be from 0 to 100000")
		}
		st, err := kms.ReadStatus(cmd.Context(), stateDir, time.Now(), clients)
		if err != nil {
			return err
		}
		return a.output(st, func() error { return a.printKMSStatus(st) })
	}
	return cmd
}

func (a *app) printKMSStatus(st *kms.Status) error {
	w := a.stdout
	fmt.Fprintf(w, "host:          %s\n", st.HostID)
	switch {
	case !st.Activated && st.CertificateError != "":
		fmt.Fprintf(w, "certificate:   REFUSED: %s\n", st.CertificateError)
	case !st.Activated:
		fmt.Fprintln(w, "certificate:   none: run licet kms activate")
	case st.CertificateExpired:
		fmt.Fprintf(w, "certificate:   EXPIRED on %s: %s\n", st.ExpiresAt.Format(time.DateOnly), st.CertificateError)
	default:
		fmt.Fprintf(w, "certificate:   group %d, covers %v, tenant %s, expires %s, signed by operator key %d\n", st.Group, st.Covers, dash(st.Tenant), st.ExpiresAt.Format(time.DateOnly), st.SigningKey)
	}
	if st.Activated {
		fmt.Fprintf(w, "renewal:       %s\n", renewalLine(st.Renewal))
	}
	fmt.Fprintf(w, "intervals:     renewal %s, retry %s, activation valid %s (sliding)\n", dash(st.Config.RenewInterval), dash(st.Config.RetryInterval), kms.FormatDuration(kms.Validity))
	fmt.Fprintf(w, "requests:      %d total, %d failed\n", st.Requests.Total, st.Requests.Failed)
	var states []string
	for _, s := range kmsclient.States {
		states = append(states, fmt.Sprintf("%s %d", s, st.Requests.ByState[s]))
	}
	fmt.Fprintf(w, "by state:      %s\n\n", strings.Join(states, ", "))
	var rows [][]string
	for _, p := range st.Pools {
		var th []string
		for _, k := range licet.ProductKinds {
			if n, ok := p.Thresholds[k]; ok {
				mark := "below"
				if p.Count >= n {
					mark = "reached"
				}
				th = append(th, fmt.Sprintf("%s %d (%s)", k, n, mark))
			}
		}
		rows = append(rows, []string{p.Pool, strconv.Itoa(p.Count), strings.Join(th, ", ")})
	}
	if err := a.table([]string{"POOL", "COUNT (30 DAYS)", "THRESHOLDS"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nclients (%d of %d, most recent first):\n", len(st.Clients), st.ClientTotal)
	rows = rows[:0]
	for _, c := range st.Clients {
		renewed := "-"
		if c.LastRenewalAt != nil {
			renewed = c.LastRenewalAt.Format(time.RFC3339)
		}
		rows = append(rows, []string{c.MachineID, dash(c.Hostname), c.Product, c.State, strconv.FormatBool(c.Activated), c.LastSeen.Format(time.RFC3339), renewed})
	}
	return a.table([]string{"MACHINE", "HOSTNAME", "PRODUCT", "STATE", "ACTIVATED", "LAST SEEN", "LAST RENEWAL"}, rows)
}

func (a *app) discoverCommand() *cobra.Command {
	var domain, dnsServer string
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "List the KMS hosts published in DNS (_licet-kms._tcp) and say whether Microsoft's _vlmcs._tcp exists",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&domain, "dns-domain", "", "domain to look in (default: the search domain of /etc/resolv.conf)")
	cmd.Flags().StringVar(&domain, "domain", "", "the former name of --dns-domain")
	_ = cmd.Flags().MarkDeprecated("domain", "use --dns-domain (the name `licet client activate` and `licet kms serve` use)")
	cmd.Flags().StringVar(&dnsServer, "dns-server", "", "DNS server to ask, host[:port] (default: the system resolver)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if domain == "" {
			domain = kmsclient.SearchDomain()
		}
		hosts, err := kmsclient.Lookup(cmd.Context(), dnsServer, kmsclient.DefaultService, domain)
		if err != nil {
			return err
		}
		ms, msErr := kmsclient.Lookup(cmd.Context(), dnsServer, kmsclient.MicrosoftService, domain)
		out := struct {
			Domain    string           `json:"domain"`
			Hosts     []kmsclient.Host `json:"hosts"`
			Microsoft []kmsclient.Host `json:"microsoftKms"`
		}{domain, nonNil(hosts), nonNil(ms)}
		return a.output(out, func() error {
			fmt.Fprintf(a.stdout, "_%s._tcp.%s: %d host(s)\n", kmsclient.DefaultService, domain, len(hosts))
			if len(hosts) > 0 {
				var rows [][]string
				for _, h := range hosts {
					rows = append(rows, []string{strconv.Itoa(int(h.Priority)), strconv.Itoa(int(h.Weight)), h.Target, strconv.Itoa(int(h.Port))})
				}
				if err := a.table([]string{"PRIORITY", "WEIGHT", "TARGET", "PORT"}, rows); err != nil {
					return err
				}
			}
			switch {
			case msErr != nil:
				fmt.Fprintf(a.stdout, "_vlmcs._tcp.%s (Microsoft KMS): cannot tell: %s\n", domain, licet.ErrorMessage(msErr))
			case len(ms) == 0:
				fmt.Fprintf(a.stdout, "_vlmcs._tcp.%s (Microsoft KMS): no record\n", domain)
			default:
				fmt.Fprintf(a.stdout, "_vlmcs._tcp.%s (Microsoft KMS): %d record(s), e.g. %s — a Microsoft KMS is in place\n", domain, len(ms), ms[0].Addr())
			}
			return nil
		})
	}
	return cmd
}

// renewalLine describes a host's certificate renewal for `kms status`.
func renewalLine(r *kms.Renewal) string {
	if r == nil || r.Server == "" {
		return "by hand (activated by request file): re-activate before the certificate expires"
	}
	line := fmt.Sprintf("automatic against %s, %s before expiry", r.Server, kms.FormatDuration(kms.RenewalWindow))
	if !r.LastRenewed.IsZero() {
		line += ", last renewed " + r.LastRenewed.Format(time.DateOnly)
	}
	if r.LastError != "" {
		line += fmt.Sprintf("; %d failed attempts, last: %s", r.Failures, r.LastError)
	}
	if !r.NextAttempt.IsZero() {
		line += ", next check " + r.NextAttempt.Format(time.RFC3339)
	}
	return line
}

// reporter is the client report of a host: to --server when given (flag or LICET_SERVER), else to
// the central service the host was activated with, trusting --ca.
func (a *app) reporter(cmd *cobra.Command, h *kms.Host) (*kms.Reporter, error) {
	server := a.server
	if f := cmd.Flag("server"); f != nil && server == f.DefValue {
		if rs := h.RenewalServer(cmd.Context()); rs != "" {
			server = rs
		}
	}
	central, err := a.centralFor(server)
	if err != nil {
		return nil, err
	}
	return &kms.Reporter{Host: h, Server: server, Client: central.HTTP}, nil
}
