package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
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
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			keys, err := c.SigningKeys(cmd.Context())
			if err != nil {
				return err
			}
			return a.output(map[string]any{"keys": keys}, func() error { return a.printSigningKeys(keys) })
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			k, err := c.RotateSigningKey(cmd.Context())
			if err != nil {
				return err
			}
			return a.output(k, func() error {
				_, err := fmt.Fprintf(a.stdout, "signing key %d is now active (public key %s), endorsed by key %d.\n"+
					"Key %d keeps verifying what it signed. Agents and KMS hosts learn key %d on their next contact;\n"+
					"KMS hosts renew their certificates under it. When `licet signing-key list` shows no KMS hosts left\n"+
					"under key %d, retire it with: licet signing-key retire %d\n",
					k.ID, k.PublicKey, k.EndorsedBy, k.EndorsedBy, k.ID, k.EndorsedBy, k.EndorsedBy)
				return err
			})
		},
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
