package cli

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/directory"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// directoryFlags say how `licet directory` binds to the directory.
type directoryFlags struct {
	url, bindDN, passwordFile, base, ca string
	startTLS                            bool
}

func (f *directoryFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "ldap", "", "the directory server, ldap://HOST[:PORT] or ldaps://HOST[:PORT]")
	fl.StringVar(&f.bindDN, "bind-dn", "", "the account that writes activation objects (e.g. cn=admin,dc=corp,dc=example)")
	fl.StringVar(&f.passwordFile, "password-file", "", "file holding the account's password (never on the command line)")
	fl.StringVar(&f.base, "base", "", "the DN under which activation objects live (e.g. dc=corp,dc=example)")
	fl.StringVar(&f.ca, "ldap-ca", "", "PEM CA certificates that verify an ldaps:// or StartTLS server (default: the system's)")
	fl.BoolVar(&f.startTLS, "start-tls", false, "upgrade an ldap:// connection with StartTLS")
}

// dial binds to the directory with the flags.
func (f *directoryFlags) dial(cmd *cobra.Command) (*directory.Conn, error) {
	if f.url == "" || f.bindDN == "" || f.passwordFile == "" {
		return nil, Usagef("--ldap, --bind-dn and --password-file are required")
	}
	pw, err := directory.ReadPassword(f.passwordFile)
	if err != nil {
		return nil, err
	}
	return directory.Dial(cmd.Context(), directory.Config{URL: f.url, StartTLS: f.startTLS, CAFile: f.ca, BindDN: f.bindDN, Password: pw})
}

func (a *app) directoryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "directory",
		Short: "Directory-based activation: write, list and remove the activation objects of an LDAP directory",
		Long: "A kms-host key activates a directory once (counting as one of the key's hosts); the activation object it\n" +
			"writes lets every machine that binds to the directory activate with its kms-client key, with no KMS host and\n" +
			"no threshold. Load licet's schema into the directory first: licet directory schema (docs/directory.md).",
	}
	cmd.AddCommand(a.directoryActivateCommand(), a.directoryListCommand(), a.directoryShowCommand(), a.directoryRemoveCommand(), a.directorySchemaCommand())
	return cmd
}

func (a *app) directoryActivateCommand() *cobra.Command {
	var df directoryFlags
	var key, name, requestFile, responseFile, operatorKey string
	cmd := &cobra.Command{
		Use:   "activate --key KMS-HOST-KEY --ldap URL --bind-dn DN --password-file F --base DN [--name NAME]",
		Short: "Activate a directory with a kms-host key and write its activation object (online, or by request and response files)",
		Long: "Online: licet directory activate --server URL --key KMS-HOST-KEY --ldap URL --bind-dn DN --password-file F --base DN.\n" +
			"Air-gapped: licet directory activate --key KEY --base DN --request-file F writes a request (without the key);\n" +
			"on a connected machine licet kms approve F --out R answers it; then licet directory activate --response-file R\n" +
			"--ldap URL --bind-dn DN --password-file F --base DN writes the object. The directory counts as one of the key's\n" +
			"hosts (6 unless the operator set another limit); activating it again uses no more and renews the object.",
		Args: cobra.NoArgs,
	}
	df.add(cmd)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the kms-host key")
	f.StringVar(&name, "name", "", "the directory's name in the object and the central records (default: the base DN's dc parts, e.g. corp.example)")
	f.StringVar(&requestFile, "request-file", "", "write an activation request to this file instead of going online")
	f.StringVar(&responseFile, "response-file", "", "write the object `licet kms approve` answered")
	f.StringVar(&operatorKey, "operator-key", "", "the operator's public key (base64, from `licet pubkey`) the object must verify with")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case df.base == "":
			return Usagef("--base is required: the DN under which the activation object is written")
		case responseFile != "" && (key != "" || requestFile != ""):
			return Usagef("--response-file goes without --key and --request-file: the key was named in the request")
		case responseFile == "" && key == "":
			return Usagef("--key is required (or --response-file)")
		}
		id, err := directory.ID(df.base)
		if err != nil {
			return err
		}
		if name == "" {
			name = directory.NameOf(df.base)
		}
		pin, err := parseOperatorKey(operatorKey)
		if err != nil {
			return err
		}
		// Bind first (and check the base exists), so that a wrong flag or password does not
		// take one of the key's hosts for an object that cannot be written.
		var conn *directory.Conn
		if requestFile == "" {
			if conn, err = df.dial(cmd); err != nil {
				return err
			}
			defer conn.Close()
			if err := conn.CheckBase(df.base); err != nil {
				return err
			}
		}
		var cert licet.KMSHostCertificate
		switch {
		case responseFile != "":
			rf, err := readResponseFile(responseFile)
			if err != nil {
				return err
			}
			cert = rf.Certificate
			if cert.HostID != id {
				return licet.Errorf(licet.EInvalid, "the response file is for directory %s (%s), not for --base %s (%s): give the base the request was made for", cert.Directory, cert.HostID, df.base, id)
			}
		default:
			k, err := keys.Parse(key)
			if err != nil {
				return licet.Errorf(licet.EInvalid, "--key is not a valid key: %v", err)
			}
			if k.Type != keys.KMSHost {
				return licet.Errorf(licet.EInvalid, "--key is a %s key: a directory activates with a kms-host key", k.Type)
			}
			req := licet.KMSHostRequest{HostID: id, Kind: licet.KMSKindDirectory, Directory: name}
			if requestFile != "" {
				req.KeyHash = k.Hash()
				if err := writeRequestFile(requestFile, req); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "wrote the activation request of directory %s (%s) to %s (it holds the key's hash, not the key).\nOn a connected machine: licet kms approve %s --out RESPONSE; then here: licet directory activate --response-file RESPONSE --ldap URL --bind-dn DN --password-file F --base %s\n",
					name, id, requestFile, requestFile, df.base)
				return err
			}
			req.Key = k.String()
			c, err := a.client()
			if err != nil {
				return err
			}
			got, err := c.ActivateHost(cmd.Context(), req)
			if err != nil {
				return err
			}
			cert = *got
		}
		if pin == nil {
			pin = cert.OperatorKey
		} else if !pin.Equal(ed25519.PublicKey(cert.OperatorKey)) {
			return licet.Errorf(licet.EInvalid, "the central service signs with another key than --operator-key: check `licet pubkey`")
		}
		obj, err := directory.NewObject(df.base, cert.Certificate, cert.KeySet, pin)
		if err != nil {
			return err
		}
		if obj.Directory != name && responseFile == "" {
			return licet.Errorf(licet.EInvalid, "the central service signed an object for directory %q, not %q", obj.Directory, name)
		}
		if err := conn.Publish(obj); err != nil {
			return err
		}
		return a.output(map[string]any{"object": obj, "hostsUsed": cert.HostsUsed, "hostLimit": cert.HostLimit, "reactivation": cert.Reactivation, "directoryId": cert.HostID}, func() error {
			verb := "activated"
			if cert.Reactivation {
				verb = "re-activated"
			}
			fmt.Fprintf(a.stdout, "directory %s (%s) %s: wrote activation object %s to %s\n", obj.Directory, cert.HostID, verb, obj.DN, conn.URL)
			fmt.Fprintf(a.stdout, "product groups %v, tenant %s, valid until %s\n", obj.Groups, dash(obj.Tenant), obj.ExpiresAt.Format(time.DateOnly))
			if cert.HostLimit > 0 {
				fmt.Fprintf(a.stdout, "the key has activated %d of its %d hosts and directories\n", cert.HostsUsed, cert.HostLimit)
			}
			return nil
		})
	}
	return cmd
}

// objectRows are the table rows of activation objects.
func objectRows(objs []directory.Object) [][]string {
	rows := make([][]string, 0, len(objs))
	for _, o := range objs {
		groups := make([]string, len(o.Groups))
		for i, g := range o.Groups {
			groups[i] = strconv.Itoa(int(g))
		}
		rows = append(rows, []string{o.DN, dash(o.Directory), dash(o.Tenant), strings.Join(groups, ","), strconv.FormatInt(o.KeyID, 10), o.ExpiresAt.Format(time.DateOnly)})
	}
	return rows
}

var objectHeader = []string{"DN", "DIRECTORY", "TENANT", "GROUPS", "KEY ID", "EXPIRES"}

func (a *app) directoryListCommand() *cobra.Command {
	var df directoryFlags
	cmd := &cobra.Command{
		Use:   "list --ldap URL --bind-dn DN --password-file F [--base DN]",
		Short: "List the activation objects in the directory (under --base, or every naming context)",
		Args:  cobra.NoArgs,
	}
	df.add(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		conn, err := df.dial(cmd)
		if err != nil {
			return err
		}
		defer conn.Close()
		objs, err := conn.List(df.base)
		if err != nil {
			return err
		}
		return a.output(nonNil(objs), func() error { return a.table(objectHeader, objectRows(objs)) })
	}
	return cmd
}

// objectDN is the DN a command names: DN, or the object of key id ID under --base.
func objectDN(arg, base string) (string, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		if base == "" {
			return "", Usagef("naming the object by its key id needs --base")
		}
		return directory.ObjectDN(base, id), nil
	}
	return arg, nil
}

// dialObject names the object arg names (see objectDN) and binds to the directory.
func (f *directoryFlags) dialObject(cmd *cobra.Command, arg string) (*directory.Conn, string, error) {
	dn, err := objectDN(arg, f.base)
	if err != nil {
		return nil, "", err
	}
	conn, err := f.dial(cmd)
	return conn, dn, err
}

func (a *app) directoryShowCommand() *cobra.Command {
	var df directoryFlags
	var pubkey string
	cmd := &cobra.Command{
		Use:   "show DN|KEY-ID --ldap URL --bind-dn DN --password-file F [--base DN]",
		Short: "Show an activation object and whether its signature verifies",
		Args:  cobra.ExactArgs(1),
	}
	df.add(cmd)
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "the operator's public key (from `licet pubkey`; default: the one the object names)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		conn, dn, err := df.dialObject(cmd, args[0])
		if err != nil {
			return err
		}
		defer conn.Close()
		o, err := conn.Get(dn)
		if err != nil {
			return err
		}
		op, err := pinned(cmp.Or(pubkey, o.OperatorKey))
		verdict := "the signature verifies"
		if err != nil || op == nil {
			verdict = "no operator key to verify with: give --pubkey"
		} else if _, err := ticket.Parse(op, o.Signed()); errors.Is(err, ticket.ErrSignature) {
			verdict = "REJECTED: the signature (licetActivationSignature) does not verify against the operator key: the object was altered or signed by another key"
		} else if err != nil {
			verdict = "REJECTED: " + err.Error()
		}
		return a.output(map[string]any{"object": o, "verdict": verdict}, func() error {
			if err := a.table(objectHeader, objectRows([]directory.Object{o})); err != nil {
				return err
			}
			_, err := fmt.Fprintf(a.stdout, "signature: %s\n", verdict)
			return err
		})
	}
	return cmd
}

func (a *app) directoryRemoveCommand() *cobra.Command {
	var df directoryFlags
	cmd := &cobra.Command{
		Use:   "remove DN|KEY-ID --ldap URL --bind-dn DN --password-file F [--base DN]",
		Short: "Remove an activation object: machines fail their next renewal and fall back to KMS or walk to grace",
		Args:  cobra.ExactArgs(1),
	}
	df.add(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		conn, dn, err := df.dialObject(cmd, args[0])
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := conn.Remove(dn); err != nil {
			return err
		}
		return a.outputf(map[string]any{"removed": dn}, "removed activation object %s from %s; the directory still counts as one of the key's hosts\n", dn, conn.URL)
	}
	return cmd
}

func (a *app) directorySchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print licet's LDAP schema (OpenLDAP cn=config LDIF) to load with ldapadd",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := a.stdout.Write(directory.Schema)
			return err
		},
	}
}
