package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newRollup is `gridwarn rollup rebuild`: the daily rollup recomputed from
// the stored events in the configured time zone (issue #18 goal 6).
func newRollup(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "rollup", Short: "The daily rollup of the events that the summaries and the dashboard read"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Recompute the daily rollup from the stored events in scheduler.time_zone (the engines wait meanwhile)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, cfg, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.RebuildRollup(cmd.Context(), nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "rollup rebuilt: %d events counted by day in %s\n", n, cfg.Scheduler.TimeZone)
			return nil
		},
	})
	return cmd
}
