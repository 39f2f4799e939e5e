package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfig(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	var print, serve bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and environment; --print shows the result with secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			if serve {
				if err := cfg.CheckServe(); err != nil {
					return err
				}
			}
			if print {
				if _, err := e.stdout.Write(cfg.YAML()); err != nil {
					return err
				}
			}
			src := e.cfgPath
			if src == "" {
				src = "built-in defaults"
			}
			fmt.Fprintf(e.stderr, "configuration OK (%s + environment)\n", src)
			return nil
		},
	}
	check.Flags().BoolVar(&print, "print", false, "print the effective configuration (secrets redacted)")
	check.Flags().BoolVar(&serve, "serve", false, "also check what `gridwarn serve` needs (database URL, API token)")
	cmd.AddCommand(check)
	return cmd
}
