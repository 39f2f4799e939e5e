package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/bench"
)

func newBench(e *env) *cobra.Command {
	def := bench.DefaultSizes()
	var (
		s            = def
		quick        bool
		only         []string
		inProcess    bool
		child        bool
		verbose      bool
		syncInterval string
		profileDir   string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, latency and memory against the raw parts, and print one Markdown table",
		Long: `Measure gridwarn with its real parts — embedded nats-server, PostgreSQL, the
engine, the API — next to the raw parts they are built on, measured in the same
run, and print one Markdown table: what was measured, the figure, the raw part,
their ratio, the goal and the peak resident memory.

Every figure is the median of --reps repetitions (at least 3) with min and max;
each repetition uses a fresh database (a copy of a prepared template) and a
fresh broker and stream. Durability is the production default — sync_interval
always, synchronous_commit as the server has it — unless --sync-interval or
--synchronous-commit say otherwise; the table says which.

It needs a PostgreSQL server in GRIDWARN_DATABASE_URL (database.url), where it
creates and drops its own databases (gwbench_*); scripts/bench.sh starts a
throwaway one. The defaults take about ten minutes on two cores; --quick is a
one-to-two-minute smoke run. Each group of rows runs in a child process
(gridwarn bench --child) so that its memory is its own; --in-process runs
everything here (memory then cumulative).

Groups of the default run: ` + strings.Join(bench.Groups, ", ") + `.
Not in the default run, only when --only names them:
  engine-stored  row 2c: the engine with --stored-events events already stored
                 (default 10,000,000, filled server-side before the repetitions;
                 --quick stores 100,000) against an empty database. At
                 10,000,000 the fill and the copies take a long while and
                 several GB of disk; --stored-events 1000000 is a shorter run.
  alertmanager   rows 7a–7c: Prometheus Alertmanager's POST /api/v2/alerts
                 against POST /api/v1/reports (API role with sync_interval 2m,
                 and serve's defaults); needs --alertmanager-bin, which
                 scripts/bench-alertmanager.sh builds from the Go module proxy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			sizes := def
			if quick {
				sizes = bench.QuickSizes()
			}
			f := cmd.Flags()
			set := func(name string, apply func()) {
				if f.Changed(name) {
					apply()
				}
			}
			set("reps", func() { sizes.Reps = s.Reps })
			set("publish-sync", func() { sizes.PublishSync = s.PublishSync })
			set("publish-async", func() { sizes.PublishAsync = s.PublishAsync })
			set("atomic-batch", func() { sizes.AtomicBatch = s.AtomicBatch })
			set("events", func() { sizes.Events = s.Events })
			set("big-enterprises", func() { sizes.BigEnterprises = s.BigEnterprises })
			set("latency-rates", func() { sizes.LatencyRates = s.LatencyRates })
			set("latency-duration", func() { sizes.LatencyDuration = s.LatencyDuration })
			set("concurrency", func() { sizes.Concurrency = s.Concurrency })
			set("intake-duration", func() { sizes.IntakeDuration = s.IntakeDuration })
			set("tickets", func() { sizes.Tickets = s.Tickets })
			set("detail-sample", func() { sizes.DetailSample = s.DetailSample })
			set("read-duration", func() { sizes.ReadDuration = s.ReadDuration })
			set("warmup", func() { sizes.Warmup = s.Warmup })
			set("summary-events", func() { sizes.SummaryEvents = s.SummaryEvents })
			set("stored-events", func() { sizes.StoredEvents = s.StoredEvents })
			sizes.AlertmanagerBin = s.AlertmanagerBin
			if f.Changed("tickets") && !f.Changed("detail-sample") {
				sizes.DetailSample = min(sizes.DetailSample, sizes.Tickets)
			}
			sizes.SynchronousCommit = s.SynchronousCommit
			if syncInterval != "always" {
				d, err := time.ParseDuration(syncInterval)
				if err != nil || d <= 0 {
					return usageError{fmt.Errorf(`--sync-interval must be "always" or a positive duration such as 2m, not %q`, syncInterval)}
				}
				sizes.SyncInterval = d
			}
			if err := sizes.Check(); err != nil {
				return usageError{err}
			}
			o := bench.Options{Sizes: sizes, Config: cfg, Only: only, Progress: e.stderr, ProfileDir: profileDir}
			if verbose {
				o.Logger = e.logger(cfg)
			}
			ctx := cmd.Context()
			if child {
				spec, ok := lookupEnv(e.environ, bench.ChildEnv)
				if !ok {
					return usageError{fmt.Errorf("--child needs %s (it is set by the parent bench)", bench.ChildEnv)}
				}
				return bench.RunChild(ctx, o, spec, e.stdout)
			}
			if !inProcess {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("bench: find this executable for the child processes (or use --in-process): %w", err)
				}
				o.Spawn = func(ctx context.Context) *exec.Cmd {
					args := []string{"bench", "--child"}
					if e.cfgPath != "" {
						args = append(args, "--config", e.cfgPath)
					}
					if verbose {
						args = append(args, "--verbose")
					}
					c := exec.CommandContext(ctx, exe, args...)
					c.Env = slices.Clone(e.environ)
					return c
				}
			}
			return bench.Run(ctx, o, e.stdout)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&quick, "quick", false, "a smoke run of a minute or two: small sizes (flags set explicitly still win)")
	f.StringSliceVar(&only, "only", nil, "measure only these groups: "+strings.Join(bench.AllGroups, ", ")+" (the last two are not in the default run)")
	f.BoolVar(&inProcess, "in-process", false, "run every group in this process (no child processes; peak memory is then cumulative)")
	f.BoolVar(&verbose, "verbose", false, "show the app's logs on standard error")
	f.IntVar(&s.Reps, "reps", def.Reps, "repetitions per figure (at least 3)")
	f.IntVar(&s.PublishSync, "publish-sync", def.PublishSync, "messages for the synchronous publish ceiling")
	f.IntVar(&s.PublishAsync, "publish-async", def.PublishAsync, "messages for the asynchronous and atomic-batch publish ceilings")
	f.IntVar(&s.AtomicBatch, "atomic-batch", def.AtomicBatch, "messages per atomic batch (2–1000)")
	f.IntVar(&s.Events, "events", def.Events, "pre-published events per engine run (and for the naive loop)")
	f.IntVar(&s.BigEnterprises, "big-enterprises", def.BigEnterprises, "enterprises of the second territory (one town per 1000)")
	f.IntSliceVar(&s.LatencyRates, "latency-rates", def.LatencyRates, "events per second offered in the latency runs")
	f.DurationVar(&s.LatencyDuration, "latency-duration", def.LatencyDuration, "how long each latency run offers events")
	f.IntVar(&s.Concurrency, "concurrency", def.Concurrency, "connections (and raw publishing goroutines) for the intake and the reads")
	f.DurationVar(&s.IntakeDuration, "intake-duration", def.IntakeDuration, "measurement time of each intake and raw-publish run (longer if fewer than 20 calls completed)")
	f.IntVar(&s.Tickets, "tickets", def.Tickets, "tickets stored for the reads")
	f.IntVar(&s.DetailSample, "detail-sample", def.DetailSample, "tickets given events, history and clocks; the detail reads pick among them")
	f.DurationVar(&s.ReadDuration, "read-duration", def.ReadDuration, "measurement time of each read run (longer if fewer than 20 calls completed)")
	f.IntVar(&s.SummaryEvents, "summary-events", def.SummaryEvents, "events stored for the weekly summary (on the reads' tickets), a tenth of them in the summarized week")
	f.IntVar(&s.StoredEvents, "stored-events", def.StoredEvents, "events already stored for row 2c (group engine-stored, not in the default run)")
	f.StringVar(&s.AlertmanagerBin, "alertmanager-bin", "", "an Alertmanager binary for rows 7a–7c (group alertmanager; scripts/bench-alertmanager.sh builds it)")
	f.DurationVar(&s.Warmup, "warmup", def.Warmup, "warm-up before each HTTP or publishing measurement, not counted")
	f.StringVar(&syncInterval, "sync-interval", "always", `the embedded nats-server's sync_interval: "always" (the production default) or a duration such as 2m`)
	f.StringVar(&s.SynchronousCommit, "synchronous-commit", "", "PostgreSQL synchronous_commit for the bench databases (default: the server's setting, normally on)")
	f.StringVar(&profileDir, "profile", "", "write a CPU profile of each group to this directory (<group>.cpu.pprof)")
	f.BoolVar(&child, "child", false, "run one group for a parent bench (internal)")
	_ = f.MarkHidden("child")
	return cmd
}

func lookupEnv(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
