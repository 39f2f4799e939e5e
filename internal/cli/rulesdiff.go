package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
)

func newRulesDiff(e *env) *cobra.Command {
	var (
		since = days(30 * 24 * time.Hour)
		all   bool
	)
	cmd := &cobra.Command{
		Use:   "diff OLD NEW [--since 30d]",
		Short: "What-if: replay the stored events of a period under two rules files and show what would change",
		Long: `Replay every event received in the period, oldest first, under both rules
files — each event sees the events before it as history, as the engine would —
and print the events whose level or starting tier would differ, then a count
per change. Nothing is written.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldR, err := loadRules(e, args[0])
			if err != nil {
				return err
			}
			newR, err := loadRules(e, args[1])
			if err != nil {
				return err
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			d := rules.NewDiffer(oldR, newR)
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "EVENT\tOCCURRED\tENTERPRISE\tCATEGORY\tOLD\tNEW\tRULES (NEW)")
			err = db.EventsSince(cmd.Context(), time.Now().Add(-time.Duration(since)), func(r postgres.ReplayEvent) error {
				o := d.Decide(r.Event, r.Enterprise)
				if !o.Changed() && !all {
					return nil
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\t%s/%s\t%s\n", r.Event.ID, r.Event.OccurredAt.Format("2006-01-02 15:04"),
					r.Event.Enterprise, r.Event.Category, o.Old.Level, o.Old.Tier, o.New.Level, o.New.Tier, strings.Join(o.NewRules(), ","))
				return nil
			})
			if err != nil {
				return err
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			counts := d.Counts(all)
			fmt.Fprintf(e.stdout, "\n%d event(s) replayed from the last %s under %s (%s) and %s (%s):\n",
				d.Total(), since.String(), args[0], oldR.Version(), args[1], newR.Version())
			for _, c := range counts {
				fmt.Fprintf(e.stdout, "  %-40s %d\n", c.String(), c.Events)
			}
			if len(counts) == 0 {
				fmt.Fprintln(e.stdout, "  no level or tier would change")
			}
			return nil
		},
	}
	cmd.Flags().Var(&since, "since", "replay the events received this long ago until now (30d, 12h, 90m)")
	cmd.Flags().BoolVar(&all, "all", false, "list every event, changed or not")
	return cmd
}

// days is a duration flag that also takes whole days: 30d.
type days time.Duration

func (d *days) String() string {
	if t := time.Duration(*d); t%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", t/(24*time.Hour))
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var v int
		if _, err := fmt.Sscan(n, &v); err != nil || v < 1 {
			return fmt.Errorf("want a number of days such as 30d")
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	t, err := time.ParseDuration(s)
	if err != nil || t <= 0 {
		return fmt.Errorf("want a duration such as 30d or 12h")
	}
	*d = days(t)
	return nil
}

func (d *days) Type() string { return "duration" }
