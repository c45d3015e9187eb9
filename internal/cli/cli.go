// Package cli is licet's command line: cobra commands that parse flags, call the SDK or a
// service, and print tables or JSON. Exit codes: 0 ok, 1 error, 2 usage error.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError marks a mistake in the command line itself (unknown flag, missing argument).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// Usagef returns a usage error: the command exits 2.
func Usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// env is how the command line reads environment variables (injected for tests).
type env func(string) string

// app carries what every command needs: the streams, the environment and global flags.
type app struct {
	ctx    context.Context
	env    env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	server    string
	token     string
	tokenFile string
	ca        string
	json      bool
}

// Run runs the command line with args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, env: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "licet: %v\nRun 'licet --help' for usage.\n", err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "licet: %s\n", describe(err))
	return ExitError
}

// isCobraUsage recognises the errors cobra returns for an unknown command.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown shorthand flag") ||
		strings.HasPrefix(err.Error(), "unknown flag")
}

// describe gives the one-line message for an error, with the code of a licet error.
func describe(err error) string {
	var le *licet.Error
	if errors.As(err, &le) {
		msg := le.Message
		if le.Code != licet.EInternal {
			msg += " [" + le.Code + "]"
		}
		return msg
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return err.Error()
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "licet",
		Short:         "licet: a licensing and activation server",
		Long:          "licet issues product keys, activates machines (online, offline, by proxy, or through a local KMS host)\nand assigns seat licenses from a SKU catalog. Environment: every flag --name has LICET_NAME.",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.bindEnv(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", "http://127.0.0.1:8470", "address of the licet server")
	pf.StringVar(&a.token, "token", "", "API token (default: --token-file, or ./licet.db.token or ./licet.token when present)")
	pf.StringVar(&a.tokenFile, "token-file", "", "file holding the API token")
	pf.StringVar(&a.ca, "ca", "", "PEM file of the CA that signed the server's TLS certificate (besides the system's)")
	pf.BoolVar(&a.json, "json", false, "print JSON instead of tables")
	root.AddCommand(
		a.serveCommand(), a.migrateCommand(), a.pubkeyCommand(), a.signingKeyCommand(), a.versionCommand(),
		a.tenantCommand(), a.tokenCommand(), a.auditCommand(), a.catalogCommand(),
		a.adviseCommand(),
		a.subscriptionCommand(), a.skusCommand(), a.userCommand(), a.groupCommand(), a.assignCommand(), a.benchCommand(),
		a.kmsCommand(), a.discoverCommand(), a.directoryCommand(),
		a.productCommand(), a.agreementCommand(), a.keyCommand(), a.clientCommand(),
		a.numberCommand(), a.creditsCommand(),
		a.activateOfflineCommand(), a.proxyActivateCommand(), a.makRequestCommand(),
		a.machinesCommand(), a.eventsCommand(), a.webhookCommand(),
		a.backupCommand(), a.restoreCommand(), a.healthCommand(),
	)
	for _, c := range root.Commands() {
		setUsageArgs(c)
	}
	return root
}

// setUsageArgs makes argument-count errors usage errors, in every subcommand.
func setUsageArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	for _, sub := range c.Commands() {
		setUsageArgs(sub)
	}
}

// bindEnv gives every flag not set on the command line the value of LICET_<NAME> when it is set.
func (a *app) bindEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := "LICET_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := a.env(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = Usagef("environment variable %s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

// client returns an SDK client for --server with the token from --token, --token-file or the
// token file the server wrote beside its database in the current directory.
func (a *app) client() (*client.Client, error) {
	tok := a.token
	if tok == "" {
		file := a.tokenFile
		if file == "" {
			file = defaultTokenFile()
		}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, licet.Errorf(licet.EInvalid, "cannot read token file: %v", err)
			}
			tok = strings.TrimSpace(string(b))
		}
	}
	return a.newClient(tok)
}

// newClient returns an SDK client for --server with the token, trusting --ca when given.
func (a *app) newClient(token string) (*client.Client, error) {
	return a.clientFor(a.server, token)
}

// centralFor returns an SDK client without a token for server (not --server: the one a machine
// or KMS host activated against), trusting --ca when given.
func (a *app) centralFor(server string) (*client.Client, error) {
	return a.clientFor(server, "")
}

// clientFor returns an SDK client for server with the token, trusting --ca when given.
func (a *app) clientFor(server, token string) (*client.Client, error) {
	c := client.New(server, token)
	if a.ca != "" {
		if err := c.TrustCA(a.ca); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// defaultTokenFiles are the token files `licet serve` writes, looked for in the current directory:
// beside a SQLite database named licet.db, and in the data directory with PostgreSQL.
var defaultTokenFiles = []string{"licet.db.token", "licet.token"}

// defaultTokenFile returns the first default token file present, or "".
func defaultTokenFile() string {
	for _, f := range defaultTokenFiles {
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return ""
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a header, aligned in columns.
func (a *app) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// output prints v as JSON under --json, or calls text to print it for people.
func (a *app) output(v any, text func() error) error {
	if a.json {
		return a.printJSON(v)
	}
	return text()
}

// outputf prints v as JSON under --json, else one message formatted as fmt.Fprintf does.
func (a *app) outputf(v any, format string, args ...any) error {
	return a.output(v, func() error {
		_, err := fmt.Fprintf(a.stdout, format, args...)
		return err
	})
}
