// Package cli is the gridwarn command line: one binary with subcommands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/version"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// env carries what every command needs; tests supply their own.
type env struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	environ []string
	cfgPath string
	// dir is where the command runs (default: the working directory); a
	// running demo's settings are looked for from there up.
	dir string
	// demoEnv is the running demo's settings file the last load read.
	demoEnv string
	// reload receives a value for every SIGHUP (main owns the signals).
	reload <-chan struct{}
}

// Main runs the command line and returns the process exit code. reload
// (may be nil) asks a running service to re-read its rules.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string, reload <-chan struct{}) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: environ, reload: reload}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "gridwarn: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "gridwarn: %v\n", err)
	return ExitFailure
}

type usageError struct{ error }

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "gridwarn",
		Short: "Labor-dispute early warning: risk events in, tracked tickets out",
		Long: `gridwarn turns risk signals about enterprises (wage arrears, layoffs, closures,
owners absconding, collective action) into tickets that climb from the
enterprise to the town and the county until someone resolves them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVarP(&e.cfgPath, "config", "c", os.Getenv("GRIDWARN_CONFIG"),
		"configuration file (YAML; default: built-in defaults; env GRIDWARN_CONFIG)")
	root.AddCommand(
		newServe(e), newDemo(e), newMigrate(e), newPublish(e), newDeadLetters(e), newConfig(e),
		newToken(e), newUser(e), newUnit(e), newImport(e), newExport(e), newRules(e), newSummary(e), newBench(e),
		newRecover(e), newDrill(e), newRollup(e),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(e.stdout, version.String())
				return err
			},
		},
	)
	return root
}

// load reads the configuration for a one-off command: the file, the
// environment and, when a demo runs in this repository, its settings
// (.demo/gridwarn.env; the environment wins, GRIDWARN_NO_DEMO_ENV=1 or
// --config turn it off).
func (e *env) load() (config.Config, error) {
	environ, file := e.demoEnviron()
	if file != "" && e.demoEnv == "" {
		fmt.Fprintf(e.stderr, "gridwarn: using the running demo's settings from %s (%s=1 turns this off)\n", relPath(file), noDemoEnvVar)
	}
	e.demoEnv = file
	return config.Load(e.cfgPath, environ)
}

// loadOwn reads the configuration of a long-running process (serve,
// demo), which never takes a running demo's settings.
func (e *env) loadOwn() (config.Config, error) {
	return config.Load(e.cfgPath, e.environ)
}

// relPath is path relative to the working directory when that is shorter.
func relPath(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, path); err == nil && len(r) < len(path) {
			return r
		}
	}
	return path
}

// logger builds the structured logger the configuration asks for.
func (e *env) logger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}
