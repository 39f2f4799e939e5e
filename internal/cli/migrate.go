package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// openDB opens the configured database for a one-off command.
func (e *env) openDB(ctx context.Context) (*postgres.DB, config.Config, error) {
	cfg, err := e.load()
	if err != nil {
		return nil, cfg, err
	}
	if cfg.Database.URL == "" {
		return nil, cfg, errors.New(noDatabaseHint(e))
	}
	loc, err := time.LoadLocation(cfg.Scheduler.TimeZone)
	if err != nil {
		return nil, cfg, err
	}
	db, err := postgres.Open(ctx, postgres.Options{
		Location: loc, // the county's calendar: the daily rollup's days
		URL:      cfg.Database.URL, MaxConns: 2, ConnectTimeout: cfg.Database.ConnectTimeout,
		StatementTimeout: cfg.Database.StatementTimeout, Logger: e.logger(cfg),
		IndependentThreshold: cfg.Registry.IndependentThreshold, Lease: cfg.Queue.Lease, AllowSelfReview: cfg.Queue.AllowSelfReview,
	})
	if err != nil {
		return nil, cfg, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, cfg, err
	}
	return db, cfg, nil
}

func newMigrate(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply or inspect database migrations"}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration (safe with several replicas: an advisory lock serialises them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "applied %d migration(s)\n", n)
			return nil
		},
	}, &cobra.Command{
		Use:   "status",
		Short: "List migrations and when each was applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tAPPLIED\tFILE")
			for _, s := range st {
				applied := "pending"
				if !s.AppliedAt.IsZero() {
					applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, applied, s.File)
			}
			return tw.Flush()
		},
	})
	return cmd
}

// noDatabaseHint explains a missing database URL, pointing at the demo a
// person most likely means rather than at a new, empty cluster.
func noDatabaseHint(e *env) string {
	msg := "database.url is not set (GRIDWARN_DATABASE_URL)"
	if v, _ := lookupEnv(e.environ, noDemoEnvVar); v == "1" {
		return msg + "; " + noDemoEnvVar + "=1 keeps the running demo's settings (.demo/gridwarn.env) out"
	}
	return msg + ": run this in the repository while scripts/demo.sh runs (the command line then reads the demo's " +
		".demo/gridwarn.env), or set GRIDWARN_DATABASE_URL to your database"
}
