package cli

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

func newDemo(e *env) *cobra.Command {
	var (
		dataDir, listen string
		interval        time.Duration
		noSimulator     bool
		timeScale       float64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run gridwarn with an embedded NATS server, demo enterprises and a simulator publishing events",
		Long: `Run everything in one process on embedded defaults: an embedded nats-server
with JetStream, the engine, the scheduler and the API, plus a simulator that
publishes plausible risk events about the demo county's enterprises every few
seconds. It needs a PostgreSQL URL in GRIDWARN_DATABASE_URL; scripts/demo.sh
starts a throwaway one and runs this. It loads the demo county (15 towns,
93 grids, 539 enterprises, their people; idempotently) and issues one bearer
token per role, printed and written to <data-dir>/demo-tokens.json as an
object from role name to token. Each demo person gets a fresh web console
password at every start, printed and written to <data-dir>/demo-logins.json
(role → username and password); the console is at /ui/.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadOwn()
			if err != nil {
				return err
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
			}
			if listen != "" {
				cfg.API.Listen = listen
			}
			cfg.Roles = config.Roles{API: true, Engine: true, Scheduler: true, Relay: true}
			cfg.Rules.TimeScale = timeScale
			if cfg.API.PublicURL == "" && !strings.HasSuffix(cfg.API.Listen, ":0") {
				cfg.API.PublicURL = "http://" + cfg.API.Listen // notifications link to the demo's console
			}
			if cfg.Scheduler.Sweep == config.Default().Scheduler.Sweep {
				cfg.Scheduler.Sweep = "@every 5s" // short limits need a brisk sweeper
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
	cmd.Flags().Float64Var(&timeScale, "time-scale", 0.002, "multiply every time limit (0.002: a working day lasts about 3 minutes, so escalations happen while you watch; 1: real limits)")
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
	county := demo.County(cfg.Registry.IndependentThreshold)
	tokens, err := seedDemo(ctx, a.DB(), county)
	if err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	token := tokens[string(gridwarn.RoleAdmin)]
	tokensFile := filepath.Join(cfg.DataDir, "demo-tokens.json")
	data, _ := json.MarshalIndent(tokens, "", "  ")
	if err := os.WriteFile(tokensFile, append(data, '\n'), 0o600); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	logins, err := setDemoPasswords(ctx, a.DB())
	if err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	loginsFile := filepath.Join(cfg.DataDir, "demo-logins.json")
	data, _ = json.MarshalIndent(logins, "", "  ")
	if err := os.WriteFile(loginsFile, append(data, '\n'), 0o600); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	ents := county.SimulatorEnterprises()
	url := "http://" + a.APIAddr()
	// What a one-off command needs to reach this demo: the command line
	// reads it when it runs in the repository (.demo is scripts/demo.sh's
	// data directory).
	if err := writeDemoEnv(cfg.DataDir, [][2]string{
		{"GRIDWARN_DATABASE_URL", cfg.Database.URL},
		{"GRIDWARN_NATS_URL", a.NATSURL()},
		{"GRIDWARN_API_PUBLIC_URL", url},
	}); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	defer removeDemoEnv(cfg.DataDir)
	fmt.Fprintf(e.stdout, `
gridwarn demo is running.

  Web console:  %[1]s/ui/   sign in as (role, username, password; also in %[10]s):
%[9]s

  API:          %[1]s/api/v1/tickets
  OpenAPI:      %[1]s/openapi.yaml
  Metrics:      %[1]s/metrics
  NATS:         %[2]s  (embedded, JetStream store in %[3]s)
  Tokens (one per role, also in %[5]s):
%[8]s

List tickets (as the admin; each role's token shows that role's slice):
  curl -s -H 'Authorization: Bearer %[4]s' %[1]s/api/v1/tickets

Publish an event by hand (from another terminal in the repository; the
command line finds this demo through %[11]s, pid in %[12]s):
  echo '{"id":"%[13]s","enterprise":"%[6]s","category":"wage_arrears","occurred_at":"%[7]s","workers_involved":35,"months_in_arrears":1.5}' \
    | ./bin/gridwarn publish

Stop with Ctrl-C.
`, url, a.NATSURL(), cfg.StoreDirOrDefault(), token, tokensFile, ents[0].CreditCode,
		time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339), tokenLines(tokens), loginLines(logins), loginsFile,
		filepath.Join(cfg.DataDir, demoEnvFile), filepath.Join(cfg.DataDir, demoPIDFile), "hand-"+strconv.FormatInt(time.Now().Unix(), 10))

	if simulate {
		if err := backfill(ctx, a, ents, cfg, log); err != nil {
			log.Warn("demo: backfill failed", "err", err)
		}
		sim := &demo.Simulator{
			Publisher: natsbus.Publisher{JS: a.JetStream()}, Enterprises: ents, Interval: interval,
			Rand: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7)), Logger: log.With("component", "simulator"),
			Now: time.Now,
		}
		go func() { _ = sim.Run(ctx) }()
		// Simulated mediators — accounts of their own, never a demo
		// login — work the tickets, so every state of a ticket's life
		// shows up.
		var sims []*gridwarn.Principal
		for _, u := range county.Users {
			if u.Role == gridwarn.RoleMediator && demo.IsSimulated(u.Username) {
				if got, err := a.DB().UserByName(ctx, u.Username); err == nil {
					sims = append(sims, &gridwarn.Principal{User: *got})
				}
			}
		}
		meds := &demo.Mediators{Work: a.DB(), Tickets: a.DB(), People: sims, Interval: interval / 2,
			Rand: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 11)), Logger: log.With("component", "demo-mediators")}
		go meds.Run(ctx)
	}
	a.Wait(ctx, e.reload)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return a.Stop(stopCtx)
}

// backfill gives a fresh demo eight weeks of past signals, so the weekly
// summaries have a trend, and rebuilds the previous week's summaries.
func backfill(ctx context.Context, a *app.App, ents []demo.Enterprise, cfg config.Config, log *slog.Logger) error {
	var n int
	if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil || n > 0 {
		return err
	}
	const perWeek = 60
	r := mrand.New(mrand.NewPCG(2026, 47))
	now := time.Now()
	total := 0
	for week := 8; week >= 1; week-- {
		at := now.AddDate(0, 0, -7*week)
		sim := &demo.Simulator{Publisher: natsbus.Publisher{JS: a.JetStream()}, Enterprises: ents, Rand: r, Logger: log,
			Now: func() time.Time { return at.Add(time.Duration(r.IntN(7*24)) * time.Hour) }}
		for range perWeek + r.IntN(perWeek) {
			if err := sim.PublishOne(ctx); err != nil {
				return err
			}
			total++
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for n < total && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
			return err
		}
	}
	loc, err := isoweek.Location(cfg.Scheduler.TimeZone)
	if err != nil {
		return err
	}
	s := &app.Summaries{DB: a.DB(), Loc: loc, Log: log}
	prev := isoweek.Previous(isoweek.Of(now, loc))
	_, err = s.Build(ctx, prev, "", "demo", true)
	log.Info("demo: backfilled past weeks", "events", total, "summary_week", isoweek.Format(prev))
	return err
}

// seedDemo loads the demo county (idempotently) and issues one token per
// role for its demo logins.
func seedDemo(ctx context.Context, db *postgres.DB, county demo.CountyData) (map[string]string, error) {
	units := append([]gridwarn.Unit{county.County}, county.Towns...)
	if err := db.LoadTerritory(ctx, postgres.Territory{Units: units, Grids: county.Grids, Enterprises: county.Enterprises, Users: county.Users}); err != nil {
		return nil, fmt.Errorf("seed the demo county: %w", err)
	}
	tokens := make(map[string]string)
	for role, username := range demo.DemoLogins() {
		u, err := db.UserByName(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("demo login %s: %w", username, err)
		}
		_, secret, err := db.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "demo", nil)
		if err != nil {
			return nil, err
		}
		tokens[string(role)] = secret
	}
	return tokens, nil
}

// demoLogin is a demo person's web console sign-in.
type demoLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// setDemoPasswords gives each demo login a fresh random password for the
// web console (a new one every start: the demo prints them).
func setDemoPasswords(ctx context.Context, db *postgres.DB) (map[string]demoLogin, error) {
	out := make(map[string]demoLogin)
	for role, username := range demo.DemoLogins() {
		u, err := db.UserByName(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("demo login %s: %w", username, err)
		}
		b := make([]byte, 6)
		if _, err := crand.Read(b); err != nil {
			return nil, err
		}
		pw := "demo-" + hex.EncodeToString(b)
		if err := db.SetPassword(ctx, gridwarn.Visibility{All: true}, u.ID, pw); err != nil {
			return nil, err
		}
		out[string(role)] = demoLogin{Username: username, Password: pw}
	}
	return out, nil
}

func loginLines(logins map[string]demoLogin) string {
	var b strings.Builder
	for _, r := range gridwarn.Roles {
		l := logins[string(r)]
		fmt.Fprintf(&b, "    %-12s %-28s %s\n", r, l.Username, l.Password)
	}
	return strings.TrimRight(b.String(), "\n")
}

func tokenLines(tokens map[string]string) string {
	var b strings.Builder
	for _, r := range gridwarn.Roles {
		fmt.Fprintf(&b, "    %-12s %s   (%s)\n", r, tokens[string(r)], demo.DemoLogins()[r])
	}
	return strings.TrimRight(b.String(), "\n")
}
