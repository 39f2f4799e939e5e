package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
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
			hist := map[string]*gridwarn.History{}
			changes := map[string]int{}
			total := 0
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "EVENT\tOCCURRED\tENTERPRISE\tCATEGORY\tOLD\tNEW\tRULES (NEW)")
			err = db.EventsSince(cmd.Context(), time.Now().Add(-time.Duration(since)), func(r postgres.ReplayEvent) error {
				total++
				h := hist[r.Event.Enterprise]
				if h == nil {
					h = &gridwarn.History{}
					hist[r.Event.Enterprise] = h
				}
				in := gridwarn.DecisionInput{Event: r.Event, Enterprise: r.Enterprise, History: *h, Now: r.Event.OccurredAt}
				a, b := oldR.Decide(in), newR.Decide(in)
				workers := 0
				if r.Event.WorkersInvolved != nil {
					workers = *r.Event.WorkersInvolved
				}
				h.Signals = append([]gridwarn.Signal{{EventID: r.Event.ID, Category: r.Event.Category,
					OccurredAt: r.Event.OccurredAt, Workers: workers, Level: a.Level}}, h.Signals...)
				if a.Level == b.Level && a.Tier == b.Tier && !all {
					return nil
				}
				key := fmt.Sprintf("%s/%s → %s/%s", a.Level, a.Tier, b.Level, b.Tier)
				changes[key]++
				var fired []string
				for _, f := range b.Fired {
					fired = append(fired, f.Rule)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\t%s/%s\t%s\n", r.Event.ID, r.Event.OccurredAt.Format("2006-01-02 15:04"),
					r.Event.Enterprise, r.Event.Category, a.Level, a.Tier, b.Level, b.Tier, strings.Join(fired, ","))
				return nil
			})
			if err != nil {
				return err
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			keys := make([]string, 0, len(changes))
			for k := range changes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Fprintf(e.stdout, "\n%d event(s) replayed from the last %s under %s (%s) and %s (%s):\n",
				total, since.String(), args[0], oldR.Version(), args[1], newR.Version())
			for _, k := range keys {
				fmt.Fprintf(e.stdout, "  %-40s %d\n", k, changes[k])
			}
			if len(keys) == 0 {
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
