package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

func newRecover(e *env) *cobra.Command {
	var (
		fromSeq  uint64
		lookback time.Duration
		natsURL  string
	)
	cmd := &cobra.Command{
		Use:   "recover [--from-seq N] [--lookback 1h] [--nats-url URL]",
		Short: "Bring a restored database forward by re-driving the event stream from the highest sequence it holds",
		Long: `After PostgreSQL was restored from a backup, the events stored since the
backup are still in the event stream (it keeps 90 days by default), and the
database records each event's stream sequence. recover reads the highest
sequence the database holds, goes back --lookback in the stream (batches
may commit slightly out of sequence order), and re-drives every message from
there to the end of the stream through the engine's own path. Events the
database holds already are skipped by the inbox, so the overlap is harmless
and running recover twice stores nothing twice. The durable consumer is left
alone (recover reads with an ordered consumer of its own).

It can run while gridwarn serve runs (give --nats-url, or nats.url). With
neither, it starts the embedded NATS server on data_dir, so the gridwarn
that owns that directory must be stopped first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lookback < 0 {
				return usageError{fmt.Errorf("--lookback must not be negative")}
			}
			cfg, err := e.load()
			if err != nil {
				return err
			}
			if natsURL != "" {
				cfg.NATS.URL = natsURL
			}
			start := time.Now()
			rep, err := app.Recover(cmd.Context(), cfg, e.logger(cfg), app.RecoverOptions{FromSeq: fromSeq, Lookback: lookback})
			if err != nil {
				return err
			}
			w := e.stdout
			fmt.Fprintf(w, "highest stream sequence in the database: %d\n", rep.HighestStored)
			switch {
			case !rep.StartTime.IsZero():
				fmt.Fprintf(w, "re-driven from the messages stored since %s (sequence %d's time less %s)\n",
					rep.StartTime.UTC().Format(time.RFC3339), rep.HighestStored, lookback)
			default:
				fmt.Fprintf(w, "re-driven from sequence %d\n", rep.StartSeq)
			}
			if rep.Messages == 0 {
				fmt.Fprintf(w, "stream %s: nothing to re-drive (last sequence %d)\n", natsbus.StreamName, rep.Target)
			} else {
				fmt.Fprintf(w, "stream %s: sequences %d to %d (last at start %d), %d messages\n",
					natsbus.StreamName, rep.First, rep.Last, rep.Target, rep.Messages)
			}
			fmt.Fprintf(w, "stored %d events the database did not hold, skipped %d it held, %d new dead letters, in %s\n",
				rep.Stored, rep.Duplicates, rep.DeadLetters, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().Uint64Var(&fromSeq, "from-seq", 0, "start at this stream sequence instead of the database's highest")
	cmd.Flags().DurationVar(&lookback, "lookback", time.Hour, "start this much earlier (by stored time) than the database's highest sequence")
	cmd.Flags().StringVar(&natsURL, "nats-url", "", "NATS server URL (default: nats.url, else the embedded server on data_dir)")
	return cmd
}
