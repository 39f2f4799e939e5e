package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

func newSummary(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "summary", Short: "Weekly risk summaries for leadership"}
	var week, unit string
	build := &cobra.Command{
		Use:   "build --week 2026-W47 [--unit CODE]",
		Short: "Build (or rebuild) a week's summary for every county and town, or one unit; old revisions are kept",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := isoweek.Parse(week)
			if err != nil {
				return usageError{err}
			}
			db, cfg, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			loc, err := isoweek.Location(cfg.Scheduler.TimeZone)
			if err != nil {
				return err
			}
			s := &app.Summaries{DB: db, Loc: loc, Log: e.logger(cfg)}
			built, err := s.Build(cmd.Context(), w, unit, "cli", true)
			for _, b := range built {
				fmt.Fprintf(e.stdout, "%s %s revision %d: %d events, %d new tickets, %d closed, %d overdue, %d red\n",
					b.ISO, b.UnitCode, b.Revision, b.Headline.Events, b.Headline.NewTickets, b.Headline.Closed,
					b.Headline.Overdue, b.ByLevel["red"])
			}
			return err
		},
	}
	build.Flags().StringVar(&week, "week", "", "the ISO week, e.g. 2026-W47 (Monday to Sunday in scheduler.time_zone)")
	build.Flags().StringVar(&unit, "unit", "", "one county or town code (default: all)")
	_ = build.MarkFlagRequired("week")
	cmd.AddCommand(build)
	return cmd
}
