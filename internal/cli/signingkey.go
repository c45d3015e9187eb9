package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/client/agent"
)

func (a *app) signingKeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signing-key",
		Short: "Rotate, list and retire the operator's signing keys (operator)",
		Long: "The operator's signing keys sign tickets, confirmation IDs and KMS host certificates, each stamped\n" +
			"with the key's id. `rotate` makes a new active key, endorsed by the old one, which keeps verifying\n" +
			"what it signed; agents and KMS hosts learn the new key from the key set the service publishes.\n" +
			"`retire ID` refuses from then on what key ID signed. See docs/operations.md, Signing-key rotation.",
	}
	cmd.AddCommand(a.signingKeyListCommand(), a.signingKeyRotateCommand(), a.signingKeyRetireCommand())
	return cmd
}

func (a *app) signingKeyListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the signing keys with their state and dates",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			keys, err := c.SigningKeys(ctx)
			if err != nil {
				return err
			}
			return a.output(map[string]any{"keys": keys}, func() error { return a.printSigningKeys(keys) })
		}),
	}
}

func (a *app) printSigningKeys(keys []licet.SigningKey) error {
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		retired, endorsed := "-", "-"
		if k.RetiredAt != nil {
			retired = k.RetiredAt.UTC().Format(time.DateTime)
		}
		if k.EndorsedBy != 0 {
			endorsed = strconv.FormatUint(uint64(k.EndorsedBy), 10)
		}
		rows = append(rows, []string{strconv.FormatUint(uint64(k.ID), 10), k.State, k.CreatedAt.UTC().Format(time.DateTime), retired,
			endorsed, strconv.Itoa(k.KMSHosts), k.PublicKey})
	}
	return a.table([]string{"ID", "STATE", "CREATED (UTC)", "RETIRED (UTC)", "ENDORSED BY", "KMS HOSTS", "PUBLIC KEY"}, rows)
}

func (a *app) signingKeyRotateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "Make a new active signing key; the current one keeps verifying what it signed",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			k, err := c.RotateSigningKey(ctx)
			if err != nil {
				return err
			}
			return a.outputf(k, "signing key %d is now active (public key %s), endorsed by key %d.\n"+
				"Key %d keeps verifying what it signed. Agents and KMS hosts learn key %d on their next contact,\n"+
				"and KMS hosts renew their certificates under it within the hour. When `licet signing-key list`\n"+
				"shows no KMS hosts left under key %d, retire it with: licet signing-key retire %d\n",
				k.ID, k.PublicKey, k.EndorsedBy, k.EndorsedBy, k.ID, k.EndorsedBy, k.EndorsedBy)
		}),
	}
}

func (a *app) signingKeyRetireCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "retire ID",
		Short: "Retire a previous signing key: what it signed is refused from then on",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVar(&force, "force", false, "retire even while KMS hosts hold certificates signed by the key")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || id == 0 {
			return Usagef("ID must be a signing key's id (see licet signing-key list)")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		k, err := c.RetireSigningKey(cmd.Context(), uint32(id), force)
		if err != nil {
			return err
		}
		return a.output(k, func() error {
			_, err := fmt.Fprintf(a.stdout, "signing key %d retired on %s: tickets, confirmation IDs and host certificates it signed are refused from now on\n",
				k.ID, k.RetiredAt.UTC().Format(time.DateTime))
			return err
		})
	}
	return cmd
}

func (a *app) clientRefreshKeysCommand(f *clientFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "refresh-keys [--server URL | --key-set-file FILE]",
		Short: "Learn the operator's current signing keys and retirements (after a rotation)",
		Long: "Asks the server (GET /v1/signing-key) for the operator's key set and keeps it when it chains to the\n" +
			"key pinned on this machine. An air-gapped machine reads it from a file instead: the JSON that\n" +
			"GET /v1/signing-key answers (or its keySet value), carried from a connected machine.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&file, "key-set-file", "", "read the key set from this file instead of asking the server")
	cmd.RunE = f.run(func(cmd *cobra.Command, ag *agent.Agent, args []string) error {
		var st *agent.Status
		var err error
		if file != "" {
			var set string
			if set, err = readKeySetFile(file); err != nil {
				return err
			}
			st, err = ag.LearnKeySet(set)
		} else {
			var c *client.Client
			if c, err = a.newClient(""); err == nil {
				st, err = ag.RefreshKeys(cmd.Context(), c)
			}
		}
		if err != nil {
			return err
		}
		return a.output(st, func() error {
			for _, k := range st.OperatorKeys {
				fmt.Fprintf(a.stdout, "operator key %d: %s\n", k.ID, k.State)
			}
			return a.statusText(st, false)
		})
	})
	return cmd
}

// readKeySetFile reads a key set: the JSON of GET /v1/signing-key, or the signed key set alone.
func readKeySetFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", licet.Errorf(licet.EInvalid, "cannot read the key set file: %v", err)
	}
	if len(data) > 1<<20 {
		return "", licet.Errorf(licet.EInvalid, "the key set file is larger than 1 MiB")
	}
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, "{") {
		var pk client.PublishedKeys
		if err := json.Unmarshal([]byte(text), &pk); err != nil || pk.KeySet == "" {
			return "", licet.Errorf(licet.EInvalid, "the key set file is JSON without a keySet: save the answer of GET /v1/signing-key")
		}
		return pk.KeySet, nil
	}
	return text, nil
}
