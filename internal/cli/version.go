package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/licet/licet/internal/buildinfo"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print licet's version, the commit it was built from and the build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := buildinfo.Get()
			return a.output(info, func() error {
				modified := ""
				if info.Modified {
					modified = " (modified)"
				}
				_, err := fmt.Fprintf(a.stdout, "licet %s\ncommit %s%s\nbuilt %s with %s for %s\n",
					info.Version, info.Commit, modified, info.BuildDate, info.GoVersion, info.Platform)
				return err
			})
		},
	}
}
