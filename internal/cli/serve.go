package cli

import (
	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/app"
)

func newServe(e *env) *cobra.Command {
	var noAPI, noEngine, noScheduler, noRelay bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API, the engine, the scheduler and the relay (each can be switched off)",
		Long: `Run gridwarn. By default one process runs all four roles: the HTTP API, the
engine that turns events into tickets, the scheduler, and the relay that
delivers notifications from the outbox. Switch roles off with flags or
roles.* settings to run them as separate processes; several engines share
the durable consumer, several relays deliver each notification once.

Without nats.url an embedded nats-server with JetStream is started on
loopback, storing its data under data_dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadOwn()
			if err != nil {
				return err
			}
			if noAPI {
				cfg.Roles.API = false
			}
			if noEngine {
				cfg.Roles.Engine = false
			}
			if noScheduler {
				cfg.Roles.Scheduler = false
			}
			if noRelay {
				cfg.Roles.Relay = false
			}
			if err := cfg.CheckServe(); err != nil {
				return err
			}
			return app.Run(cmd.Context(), cfg, e.logger(cfg), e.reload)
		},
	}
	cmd.Flags().BoolVar(&noAPI, "no-api", false, "do not serve the HTTP API")
	cmd.Flags().BoolVar(&noEngine, "no-engine", false, "do not consume events")
	cmd.Flags().BoolVar(&noScheduler, "no-scheduler", false, "do not run scheduled jobs")
	cmd.Flags().BoolVar(&noRelay, "no-relay", false, "do not deliver notifications from the outbox")
	return cmd
}
