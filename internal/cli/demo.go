package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

func newDemo(e *env) *cobra.Command {
	var (
		dataDir, listen string
		interval        time.Duration
		noSimulator     bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run gridwarn with an embedded NATS server, demo enterprises and a simulator publishing events",
		Long: `Run everything in one process on embedded defaults: an embedded nats-server
with JetStream, the engine, the scheduler and the API, plus a simulator that
publishes plausible risk events about the demo county's enterprises every few
seconds. It needs a PostgreSQL URL in GRIDWARN_DATABASE_URL; scripts/demo.sh
starts a throwaway one and runs this. The API token is generated (unless
api.token is set), printed and written to <data-dir>/demo-tokens.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
			}
			if listen != "" {
				cfg.API.Listen = listen
			}
			cfg.Roles = config.Roles{API: true, Engine: true, Scheduler: true}
			if cfg.API.Token == "" {
				cfg.API.Token = config.Secret(randomToken())
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			if err := cfg.CheckServe(); err != nil {
				return err
			}
			return runDemo(cmd.Context(), e, cfg, interval, !noSimulator)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where the demo keeps its state (default: data_dir)")
	cmd.Flags().StringVar(&listen, "listen", "", "API address (default: api.listen, 127.0.0.1:8080)")
	cmd.Flags().DurationVar(&interval, "interval", 3*time.Second, "how often the simulator publishes an event")
	cmd.Flags().BoolVar(&noSimulator, "no-simulator", false, "publish nothing; only serve")
	return cmd
}

func runDemo(ctx context.Context, e *env, cfg config.Config, interval time.Duration, simulate bool) error {
	log := e.logger(cfg)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	a := app.New(cfg, log)
	if err := a.Start(ctx); err != nil {
		return err
	}
	token := cfg.API.Token.Reveal()
	tokensFile := filepath.Join(cfg.DataDir, "demo-tokens.json")
	tokens, _ := json.MarshalIndent(map[string]string{"admin": token}, "", "  ")
	if err := os.WriteFile(tokensFile, append(tokens, '\n'), 0o600); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	ents := demo.Enterprises()
	url := "http://" + a.APIAddr()
	fmt.Fprintf(e.stdout, `
gridwarn demo is running.

  API:          %[1]s/api/v1/tickets
  OpenAPI:      %[1]s/openapi.yaml
  Metrics:      %[1]s/metrics
  NATS:         %[2]s  (embedded, JetStream store in %[3]s)
  Bearer token: %[4]s   (also in %[5]s)

List tickets:
  curl -s -H 'Authorization: Bearer %[4]s' %[1]s/api/v1/tickets

Publish an event by hand (from another terminal in the repository):
  echo '{"id":"hand-1","enterprise":"%[6]s","category":"wage_arrears","occurred_at":"%[7]s","workers_involved":35,"months_in_arrears":1.5}' \
    | ./bin/gridwarn publish --nats-url %[2]s

Stop with Ctrl-C.
`, url, a.NATSURL(), cfg.StoreDirOrDefault(), token, tokensFile, ents[0].CreditCode,
		time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339))

	if simulate {
		sim := &demo.Simulator{
			Publisher: natsbus.Publisher{JS: a.JetStream()}, Enterprises: ents, Interval: interval,
			Rand: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7)), Logger: log.With("component", "simulator"),
			Now: time.Now,
		}
		go func() { _ = sim.Run(ctx) }()
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return a.Stop(stopCtx)
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "gw_" + hex.EncodeToString(b)
}
