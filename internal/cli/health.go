package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
)

// healthCommand asks /healthz of --server: the container image's health check (an empty base
// has no curl).
func (a *app) healthCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Check that the server at --server answers /healthz (exit 0) or not (exit 1)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient("")
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+"/healthz", nil)
			if err != nil {
				return Usagef("--server %q: %v", a.server, err)
			}
			resp, err := c.HTTP.Do(req)
			if err != nil {
				return licet.Errorf(licet.EUnavailable, "%s/healthz: %v", c.BaseURL, err)
			}
			defer resp.Body.Close()
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			if resp.StatusCode != http.StatusOK {
				return licet.Errorf(licet.EUnavailable, "%s/healthz answered %s", c.BaseURL, resp.Status)
			}
			_, err = fmt.Fprintf(a.stdout, "%s is up\n", c.BaseURL)
			return err
		},
	}
}
