package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// importer reads one kind of CSV and applies it.
type importer struct {
	use, short string
	// dated: the file is a list of a day (--as-of), kept in the history
	// of union status at that day.
	dated bool
	apply func(ctx context.Context, db *postgres.DB, r io.Reader, asOf string, dryRun bool) (gridwarn.ImportResult, error)
}

var importers = []importer{
	{"enterprises", "Upsert enterprises by credit code", true, func(ctx context.Context, db *postgres.DB, r io.Reader, asOf string, dry bool) (gridwarn.ImportResult, error) {
		es, err := csvio.ReadEnterprises(r)
		if err != nil {
			return gridwarn.ImportResult{}, err
		}
		return db.ImportEnterprisesAsOf(ctx, all, es, asOf, dry)
	}},
	{"grids", "Upsert grids by code (and their grid workers)", false, func(ctx context.Context, db *postgres.DB, r io.Reader, _ string, dry bool) (gridwarn.ImportResult, error) {
		gs, err := csvio.ReadGrids(r)
		if err != nil {
			return gridwarn.ImportResult{}, err
		}
		return db.ImportGrids(ctx, all, gs, dry)
	}},
	{"union", "Set the union status of registered enterprises (the monthly social-insurance list)", true, func(ctx context.Context, db *postgres.DB, r io.Reader, asOf string, dry bool) (gridwarn.ImportResult, error) {
		rows, err := csvio.ReadUnionStatus(r)
		if err != nil {
			return gridwarn.ImportResult{}, err
		}
		return db.ImportUnionStatus(ctx, all, rows, asOf, dry)
	}},
	{"contacts", `Link people to an enterprise and the workers in difficulty they follow ("1+x")`, false, func(ctx context.Context, db *postgres.DB, r io.Reader, _ string, dry bool) (gridwarn.ImportResult, error) {
		rows, err := csvio.ReadContacts(r)
		if err != nil {
			return gridwarn.ImportResult{}, err
		}
		return db.ImportContacts(ctx, gridwarn.ActorCommandLine, all, rows, dry)
	}},
	{"users", "Upsert people by username (never tokens)", false, func(ctx context.Context, db *postgres.DB, r io.Reader, _ string, dry bool) (gridwarn.ImportResult, error) {
		us, err := csvio.ReadUsers(r)
		if err != nil {
			return gridwarn.ImportResult{}, err
		}
		return db.ImportUsers(ctx, all, us, dry)
	}},
}

func newImport(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import the registry from UTF-8 CSV with English or Chinese headers (all rows or none)",
		Long: `Each file is applied in one transaction or not at all; re-running the same file
changes nothing. Errors are reported per row (line, column, value, reason).
Headers in English or Chinese: see internal/csvio/HEADERS.md. Import grids
before the enterprises and people that name them.`,
	}
	for _, im := range importers {
		var (
			file   string
			asOf   string
			dryRun bool
		)
		sub := &cobra.Command{
			Use:   im.use + " --file F.csv [--dry-run]",
			Short: im.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				db, _, err := e.openDB(cmd.Context())
				if err != nil {
					return err
				}
				defer db.Close()
				res, err := im.apply(cmd.Context(), db, f, asOf, dryRun)
				if err != nil {
					for _, f := range gridwarn.ErrorFields(err) {
						fmt.Fprintf(e.stderr, "%s: %s\n", f.Field, f.Message)
					}
					return err
				}
				return json.NewEncoder(e.stdout).Encode(res)
			},
		}
		sub.Flags().StringVarP(&file, "file", "f", "", "the CSV file")
		sub.Flags().BoolVar(&dryRun, "dry-run", false, "check and count, change nothing")
		if im.dated {
			sub.Use = im.use + " --file F.csv [--as-of YYYY-MM-DD] [--dry-run]"
			sub.Flags().StringVar(&asOf, "as-of", "", "the day of the list (default today): the history of union status keeps its changes at that day; a list older than one already loaded is refused")
		}
		_ = sub.MarkFlagRequired("file")
		cmd.AddCommand(sub)
	}
	return cmd
}

func newExport(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Write the registry as CSV (English headers) to standard output"}
	run := func(write func(ctx context.Context, db *postgres.DB, w io.Writer) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return write(cmd.Context(), db, e.stdout)
		}
	}
	cmd.AddCommand(
		&cobra.Command{Use: "enterprises", Short: "Every enterprise", Args: cobra.NoArgs,
			RunE: run(func(ctx context.Context, db *postgres.DB, w io.Writer) error {
				var es []gridwarn.Enterprise
				if err := db.ExportEnterprises(ctx, all, func(x gridwarn.Enterprise) error { es = append(es, x); return nil }); err != nil {
					return err
				}
				return csvio.WriteEnterprises(w, es)
			})},
		&cobra.Command{Use: "grids", Short: "Every grid with its grid workers", Args: cobra.NoArgs,
			RunE: run(func(ctx context.Context, db *postgres.DB, w io.Writer) error {
				gs, err := db.Grids(ctx, all, gridwarn.GridFilter{Limit: 1 << 30})
				if err != nil {
					return err
				}
				return csvio.WriteGrids(w, gs)
			})},
		&cobra.Command{Use: "users", Short: "Every person (never tokens)", Args: cobra.NoArgs,
			RunE: run(func(ctx context.Context, db *postgres.DB, w io.Writer) error {
				us, err := db.Users(ctx, all, gridwarn.UserFilter{Limit: 1 << 30})
				if err != nil {
					return err
				}
				return csvio.WriteUsers(w, us)
			})},
	)
	return cmd
}
