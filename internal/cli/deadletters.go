package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

func newDeadLetters(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "dead-letters", Short: "Inspect messages set aside because they can never succeed as they are"}
	var (
		limit  int
		reason string
		asJSON bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, newest first, with the reason and the raw message",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 10000 {
				return usageError{fmt.Errorf("--limit must be 1 to 10000")}
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ds, err := db.ListDeadLetters(cmd.Context(), all, gridwarn.DeadLetterFilter{Reason: gridwarn.DeadLetterReason(reason), Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				for _, d := range ds {
					if err := enc.Encode(d); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWHEN\tSEQ\tSUBJECT\tEVENT\tREASON\tATTEMPTS\tDETAIL\tRAW")
			for _, d := range ds {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"),
					d.StreamSeq, d.Subject, d.EventID, d.Reason, d.Attempts, oneLine(d.Detail, 120), oneLine(string(d.Raw), 60))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 50, "how many")
	list.Flags().StringVar(&reason, "reason", "", "only this reason (malformed_json, schema_violation, oversize, max_deliveries, rejected_by_database)")
	list.Flags().BoolVar(&asJSON, "json", false, "JSON lines instead of a table (raw bytes in base64)")
	cmd.AddCommand(list, newReplay(e))
	return cmd
}

func newReplay(e *env) *cobra.Command {
	var (
		reason  string
		limit   int
		natsURL string
	)
	cmd := &cobra.Command{
		Use:   "replay [--reason unknown_enterprise]",
		Short: "Re-drive dead letters once their cause is fixed (e.g. the enterprise was added to the registry)",
		Long: `Publish each dead letter that was never replayed back onto the event stream,
unchanged, and mark it replayed. The engine handles it like any event: stored
once (the inbox drops an event already stored), or, if the cause remains, set
aside again in the same dead letter: its attempts count rises, its reason and
detail are the latest, and it is ready to be replayed again. Running it twice
re-drives nothing twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, cfg, err := e.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			ds, err := db.ListDeadLetters(ctx, all, gridwarn.DeadLetterFilter{
				Reason: gridwarn.DeadLetterReason(reason), NotReplayed: true, Limit: limit})
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				fmt.Fprintln(e.stderr, "nothing to replay")
				return nil
			}
			nc, err := natsbus.Connect(connectOptions(cfg, natsURL))
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			pub := natsbus.Publisher{JS: js}
			for _, d := range ds {
				if d.Subject == "" || len(d.Raw) == 0 {
					continue // nothing left to replay (the message had expired from the stream)
				}
				// Marked first: a replay that fails again clears the
				// mark when the engine folds it into this row.
				if err := db.MarkReplayed(ctx, d.ID); err != nil {
					return err
				}
				res, err := pub.PublishRaw(ctx, d.Subject, postgres.ReplayMsgID(d), d.Raw)
				if err != nil {
					_ = db.UnmarkReplayed(context.WithoutCancel(ctx), d.ID)
					return fmt.Errorf("replay dead letter %d: %w", d.ID, err)
				}
				fmt.Fprintf(e.stdout, "replayed dead letter %d (event %s, attempt %d) as stream seq %d\n", d.ID, d.EventID, d.Attempts+1, res.Sequence)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", string(gridwarn.DefaultReplayReason), "replay dead letters with this reason (empty: any)")
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many")
	cmd.Flags().StringVar(&natsURL, "nats-url", "", "NATS server URL (default: nats.url, else the embedded server's address)")
	return cmd
}

// oneLine shortens s to n runes on one line for a table cell.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
