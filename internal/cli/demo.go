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
		historyWeeks    int
		rulesFile       string
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
(role → username and password); the console is at /ui/.

On a fresh database it first replays --history-weeks past weeks and the
current week so far on its own clock (events, tickets opened, worked and
closed in the weeks they claim, each past week's summaries). Simulated
mediators (sim-mediator-<unit>-N) work the tickets as accounts of their own.
While it runs it writes <data-dir>/gridwarn.env (database, NATS and API
addresses) and <data-dir>/gridwarn.pid; the command line reads gridwarn.env
when run in the repository (scripts/demo.sh uses .demo as the data
directory), so its commands reach the demo without flags. It runs
configs/rules.yaml when that file exists (--rules FILE), else the built-in
rules; SIGHUP re-reads them.`,
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
			// The demo runs the repository's rules, so editing
			// configs/rules.yaml changes the demo (a reload: kill -HUP
			// $(cat .demo/gridwarn.pid)); built-in ones only without it.
			switch {
			case cmd.Flags().Changed("rules"):
				cfg.Rules.File = rulesFile
			case cfg.Rules.File == "":
				if _, err := os.Stat(rulesFile); err == nil {
					cfg.Rules.File = rulesFile
				}
			}
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
			return runDemo(cmd.Context(), e, cfg, interval, !noSimulator, historyWeeks)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where the demo keeps its state (default: data_dir)")
	cmd.Flags().StringVar(&listen, "listen", "", "API address (default: api.listen, 127.0.0.1:8080)")
	cmd.Flags().DurationVar(&interval, "interval", 3*time.Second, "how often the simulator publishes an event")
	cmd.Flags().BoolVar(&noSimulator, "no-simulator", false, "publish nothing; only serve")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 0.1, "multiply every time limit (0.1: a town's orange ticket must be accepted within 12 minutes, so a person has time to work a ticket at each tier; one enterprise-tier ticket in ten runs 50 times faster and escalates while you watch; 1: real limits)")
	cmd.Flags().IntVar(&historyWeeks, "history-weeks", 4, "on a fresh database, replay this many past weeks and the current week so far: events, tickets opened, worked and closed in the weeks they claim, and each past week's summaries (0: none)")
	cmd.Flags().StringVar(&rulesFile, "rules", "configs/rules.yaml", "the rules file (default: configs/rules.yaml when it exists here, else rules.file, else the built-in rules)")
	return cmd
}

func runDemo(ctx context.Context, e *env, cfg config.Config, interval time.Duration, simulate bool, historyWeeks int) error {
	log := e.logger(cfg)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	a := app.New(cfg, log)
	clock := &demo.Clock{}
	a.Now = clock.Now // the history replays on it
	if err := a.Start(ctx); err != nil {
		return err
	}
	// One enterprise-tier ticket in ten runs on a fast clock (the time
	// scale of the previous demo, 0.002 at most), so escalation shows
	// while a person has time to work the others.
	fast := &demo.FastLane{Base: a.ClockPlanner(), Every: 10, Factor: min(1, 0.002/cfg.Rules.TimeScale)}
	a.DB().SetClockPlanner(fast)
	county := demo.County(cfg.Registry.IndependentThreshold)
	tokens, err := seedDemo(ctx, a.DB(), county)
	if err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	token := tokens[string(gridwarn.RoleAdmin)]
	tokensFile := filepath.Join(cfg.DataDir, "demo-tokens.json")
	data, _ := json.MarshalIndent(tokens, "", "  ")
	if err := writeFileAtomic(tokensFile, append(data, '\n'), 0o600); err != nil {
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
	if err := writeFileAtomic(loginsFile, append(data, '\n'), 0o600); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	ents := county.SimulatorEnterprises()
	url := "http://" + a.APIAddr()
	var sims []*gridwarn.Principal
	for _, u := range county.Users {
		if u.Role == gridwarn.RoleMediator && demo.IsSimulated(u.Username) {
			got, err := a.DB().UserByName(ctx, u.Username)
			if err != nil {
				_ = a.Stop(context.Background())
				return err
			}
			sims = append(sims, &gridwarn.Principal{User: *got})
		}
	}
	if historyWeeks > 0 {
		// The past ran on real time limits.
		a.DB().SetClockPlanner(&demo.Stretch{Base: a.ClockPlanner(), Factor: 1 / cfg.Rules.TimeScale})
		if err := replayHistory(ctx, a, ents, sims, cfg, clock, historyWeeks, log); err != nil {
			log.Warn("demo: history replay failed", "err", err)
		}
		a.DB().SetClockPlanner(fast)
	}
	// The scheduler's catch-up at start ran before the county was loaded:
	// the unionization circulars of the months whose lists were loaded,
	// last month's push and, after a quarter, its analysis are built now
	// by the scheduler's own builders (each (unit, period) once).
	if loc, err := isoweek.Location(cfg.Scheduler.TimeZone); err == nil {
		circs := &app.Circulars{DB: a.DB(), Loc: loc, Log: log, Target: cfg.Unionization.YearlyTarget}
		first := gridwarn.PeriodOf(gridwarn.PeriodMonth, a.Now(), loc)
		first = gridwarn.PeriodOf(gridwarn.PeriodMonth, first.From.AddDate(0, -demo.UnionListMonths, 0), time.UTC)
		if err := circs.Since(ctx, a.Now(), first); err != nil {
			log.Warn("demo: unionization circulars", "err", err)
		}
		reps := &app.PeriodReports{DB: a.DB(), Loc: loc, Log: log, Targets: cfg.CoverageTarget}
		if err := reps.Scheduled(ctx, a.Now()); err != nil {
			log.Warn("demo: monthly and quarterly reports", "err", err)
		}
	}
	fmt.Fprintf(e.stdout, `
gridwarn demo is running.

  Web console:  %[1]s/ui/   sign in as (role, username, password; also in %[10]s):
%[9]s

  API:          %[1]s/api/v1/tickets
  OpenAPI:      %[1]s/openapi.yaml
  Metrics:      %[1]s/metrics
  NATS:         %[2]s  (embedded, JetStream store in %[3]s)
  Rules:        %[14]s
  Time limits:  ×%[15]g (one enterprise-tier ticket in ten on a fast clock, escalating to the town while you watch)
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
		filepath.Join(cfg.DataDir, demoEnvFile), filepath.Join(cfg.DataDir, demoPIDFile), "hand-"+strconv.FormatInt(time.Now().Unix(), 10),
		rulesLine(a, cfg), cfg.Rules.TimeScale)
	// What a one-off command needs to reach this demo: the command line
	// reads it when it runs in the repository (.demo is scripts/demo.sh's
	// data directory). Written last: it says the demo is ready.
	if err := writeDemoEnv(cfg.DataDir, [][2]string{
		{"GRIDWARN_DATABASE_URL", cfg.Database.URL},
		{"GRIDWARN_NATS_URL", a.NATSURL()},
		{"GRIDWARN_API_PUBLIC_URL", url},
	}); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	defer removeDemoEnv(cfg.DataDir)

	if simulate {
		sim := &demo.Simulator{
			Publisher: natsbus.Publisher{JS: a.JetStream()}, Enterprises: ents, Interval: interval,
			Rand: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7)), Logger: log.With("component", "simulator"),
			Now: time.Now,
		}
		go func() { _ = sim.Run(ctx) }()
		// Simulated mediators — accounts of their own, never a demo
		// login — work the tickets, so every state of a ticket's life
		// shows up.
		meds := &demo.Mediators{Work: a.DB(), Tickets: a.DB(), People: sims, Interval: interval / 2,
			Rand: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 11)), Logger: log.With("component", "demo-mediators")}
		go meds.Run(ctx)
	}
	a.Wait(ctx, e.reload)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return a.Stop(stopCtx)
}

// replayHistory gives a fresh demo weeks of past life on its clock (see
// demo.History): events in the weeks they claim, their tickets opened,
// worked and closed then, and each past week's summaries built once its
// events are stored. A database that already holds events keeps its own.
func replayHistory(ctx context.Context, a *app.App, ents []demo.Enterprise, sims []*gridwarn.Principal, cfg config.Config,
	clock *demo.Clock, weeks int, log *slog.Logger) error {
	var n int
	if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil || n > 0 {
		return err
	}
	loc, err := isoweek.Location(cfg.Scheduler.TimeZone)
	if err != nil {
		return err
	}
	log.Info("demo: replaying the county's history (once, on a fresh database)", "weeks", weeks)
	started := time.Now()
	pub := natsbus.Publisher{JS: a.JetStream()}
	sums := &app.Summaries{DB: a.DB(), Loc: loc, Log: slog.New(slog.DiscardHandler), Now: clock.Now}
	r := mrand.New(mrand.NewPCG(2026, 47))
	h := &demo.History{
		Weeks: weeks, Loc: loc, Clock: clock, Rand: r, Logger: log, Enterprises: ents,
		Publish: func(ctx context.Context, ev gridwarn.Event) error {
			data, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			_, err = pub.PublishRaw(ctx, ev.Subject(), ev.ID, data)
			return err
		},
		Stored: func(ctx context.Context, id string) (bool, error) {
			var ok bool
			err := a.DB().Pool().QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE id = $1) OR EXISTS (SELECT 1 FROM dead_letters WHERE event_id = $1)", id).Scan(&ok)
			return ok, err
		},
		Mediators: &demo.Mediators{Work: a.DB(), Tickets: a.DB(), People: sims, Leave: -1, Patience: -1, Rand: r,
			Logger: log.With("component", "demo-mediators"), Now: clock.Now},
		Sweep: func(ctx context.Context) error {
			_, err := a.DB().Sweep(ctx, clock.Now())
			return err
		},
		BuildWeek: func(ctx context.Context, w gridwarn.Week) error {
			built, err := sums.Build(ctx, w, "", "demo", true)
			log.Info("demo: history: weekly summaries built", "week", isoweek.Format(w), "units", len(built))
			return err
		},
	}
	events, err := h.Run(ctx)
	log.Info("demo: history replayed", "events", events, "weeks", weeks, "took", time.Since(started).Round(time.Second).String())
	return err
}

// seedDemo loads the demo county (idempotently) and issues one token per
// role for its demo logins.
func seedDemo(ctx context.Context, db *postgres.DB, county demo.CountyData) (map[string]string, error) {
	now := time.Now()
	units := append([]gridwarn.Unit{county.County}, county.Towns...)
	terr := postgres.Territory{Units: units, Grids: county.Grids, Enterprises: county.Enterprises, Users: county.Users}
	// On a fresh database the registry is that of a day months back, and
	// the union lists of the months since are loaded in order (each as of
	// its day), so the unionization circulars of those months have a
	// history to read.
	var lists []demo.UnionList
	var registered int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM enterprises").Scan(&registered); err != nil {
		return nil, err
	}
	if registered == 0 {
		terr.AsOf, terr.Enterprises, lists = county.UnionHistory(gridwarn.DayOf(now, isoweek.Shanghai))
	}
	if err := db.LoadTerritory(ctx, terr); err != nil {
		return nil, fmt.Errorf("seed the demo county: %w", err)
	}
	// The second county, for hand-offs (issue 17 item 3).
	nb := demo.Neighbour()
	if err := db.LoadTerritory(ctx, postgres.Territory{Units: append([]gridwarn.Unit{nb.County}, nb.Towns...), Grids: nb.Grids,
		Enterprises: nb.Enterprises, Users: nb.Users}); err != nil {
		return nil, fmt.Errorf("seed the demo's second county: %w", err)
	}
	if err := seedStandingWork(ctx, db, county, now, lists); err != nil {
		return nil, fmt.Errorf("seed the demo county's visits and union status: %w", err)
	}
	tokens := make(map[string]string)
	for key, username := range demoLogins() {
		u, err := db.UserByName(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("demo login %s: %w", username, err)
		}
		_, secret, err := db.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "demo", nil)
		if err != nil {
			return nil, err
		}
		tokens[key] = secret
	}
	secret, err := seedDemoPartner(ctx, db, county.County.Code)
	if err != nil {
		return nil, fmt.Errorf("the demo's arbitration commission: %w", err)
	}
	tokens[string(gridwarn.RolePartner)] = secret
	if tokens[string(gridwarn.RolePlatform)], err = seedDemoPlatform(ctx, db, county.County.Code); err != nil {
		return nil, fmt.Errorf("the demo's governance platform: %w", err)
	}
	return tokens, nil
}

// demoPlatformName is the username of the demo county's data-sharing
// platform (role platform: it reads the feed and nothing else).
func demoPlatformName(countyCode string) string { return "platform-" + countyCode }

// seedDemoPlatform registers the county's data-sharing platform (once) and
// issues it a fresh token: the one the demo prints, with which the
// platform pulls the feed.
func seedDemoPlatform(ctx context.Context, db *postgres.DB, countyCode string) (string, error) {
	county := gridwarn.Visibility{CountyCode: countyCode}
	_, _, secret, err := db.CreatePlatform(ctx, county, gridwarn.NewPlatform{Name: "射阳县一体化数据共享平台",
		Username: demoPlatformName(countyCode), TokenName: "demo"})
	if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		return secret, err
	}
	u, err := db.UserByName(ctx, demoPlatformName(countyCode))
	if err != nil {
		return "", err
	}
	_, secret, err = db.CreateToken(ctx, county, u.ID, "demo", nil)
	return secret, err
}

// demoPartnerName is the username of the demo county's arbitration
// commission (a partner: issue 17 item 2).
func demoPartnerName(countyCode string) string { return "arbitration-" + countyCode }

// seedDemoPartner registers the county's arbitration commission as a
// partner (once) and issues it a fresh token: the one the demo prints, with
// which the commission reads the referrals sent to it and posts outcomes.
func seedDemoPartner(ctx context.Context, db *postgres.DB, countyCode string) (string, error) {
	county := gridwarn.Visibility{CountyCode: countyCode}
	_, _, secret, err := db.CreatePartner(ctx, county, gridwarn.NewPartner{Kind: gridwarn.BodyArbitration,
		Name: "射阳县劳动人事争议仲裁委员会", Username: demoPartnerName(countyCode), TokenName: "demo"})
	if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		return secret, err
	}
	u, err := db.UserByName(ctx, demoPartnerName(countyCode))
	if err != nil {
		return "", err
	}
	_, secret, err = db.CreateToken(ctx, county, u.ID, "demo", nil)
	return secret, err
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
	for role, username := range demoLogins() {
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
		out[role] = demoLogin{Username: username, Password: pw}
	}
	return out, nil
}

// secondCounty and secondCountyWorker are the keys of the second county's
// two mediators among the demo's logins and tokens (beside one per role):
// the head, who reviews, and the other, who accepts a hand-off and works
// the linked case.
const (
	secondCounty       = "mediator@" + demo.NeighbourCode
	secondCountyWorker = "mediator-2@" + demo.NeighbourCode
)

// demoLogins are the demo's logins by key: one per role of the demo county,
// and the second county's two mediators.
func demoLogins() map[string]string {
	out := map[string]string{secondCounty: demo.NeighbourMediator, secondCountyWorker: demo.NeighbourWorker}
	for role, username := range demo.DemoLogins() {
		out[string(role)] = username
	}
	return out
}

func loginLines(logins map[string]demoLogin) string {
	var b strings.Builder
	for _, r := range gridwarn.Roles {
		l, ok := logins[string(r)]
		if !ok {
			continue // a machine account's role (partner, platform): token only
		}
		fmt.Fprintf(&b, "    %-16s %-28s %s\n", r, l.Username, l.Password)
	}
	if l, ok := logins[secondCountyWorker]; ok {
		fmt.Fprintf(&b, "    %-16s %-28s %s   (阜宁县 %s, the second county: accepts hand-offs and works them)\n", secondCountyWorker, l.Username, l.Password, demo.NeighbourCode)
	}
	if l, ok := logins[secondCounty]; ok {
		fmt.Fprintf(&b, "    %-16s %-28s %s   (阜宁县 %s, the second county's head: reviews the replies)\n", secondCounty, l.Username, l.Password, demo.NeighbourCode)
	}
	return strings.TrimRight(b.String(), "\n")
}

func tokenLines(tokens map[string]string) string {
	var b strings.Builder
	for _, r := range gridwarn.Roles {
		tok, ok := tokens[string(r)]
		if !ok {
			continue
		}
		who := demo.DemoLogins()[r]
		switch r {
		case gridwarn.RolePartner:
			who = "the county's labour dispute arbitration commission: GET /api/v1/referrals"
		case gridwarn.RolePlatform:
			who = "the county's data-sharing platform: GET /api/v1/feed"
		}
		fmt.Fprintf(&b, "    %-16s %s   (%s)\n", r, tok, who)
	}
	if tok, ok := tokens[secondCountyWorker]; ok {
		fmt.Fprintf(&b, "    %-16s %s   (%s, the second county: GET /api/v1/handoffs)\n", secondCountyWorker, tok, demo.NeighbourWorker)
	}
	if tok, ok := tokens[secondCounty]; ok {
		fmt.Fprintf(&b, "    %-16s %s   (%s, the second county's head: review)\n", secondCounty, tok, demo.NeighbourMediator)
	}
	return strings.TrimRight(b.String(), "\n")
}

// rulesLine says which rules the demo runs and how to change them.
func rulesLine(a *app.App, cfg config.Config) string {
	info := a.RulesInfo()
	if cfg.Rules.File == "" {
		return fmt.Sprintf("built-in (version %s; no configs/rules.yaml here: run from the repository, or --rules FILE)", info.Version)
	}
	return fmt.Sprintf("%s, version %s (edit it, then kill -HUP %s or POST /api/v1/rules/reload)", cfg.Rules.File, info.Version,
		"$(cat "+filepath.Join(cfg.DataDir, demoPIDFile)+")")
}

// seedStandingWork records the demo county's union lists (on a fresh
// database: lists, the past months' social-insurance lists, each as of its
// day) and the grid workers' visits of the last months (issue 16), through
// the same doors as an import and the visit form; loading them again
// changes nothing.
func seedStandingWork(ctx context.Context, db *postgres.DB, county demo.CountyData, now time.Time, lists []demo.UnionList) error {
	today := gridwarn.DayOf(now, isoweek.Shanghai)
	for _, l := range lists {
		if _, err := db.ImportUnionStatus(ctx, gridwarn.Visibility{All: true}, l.Rows, l.AsOf, false); err != nil {
			return fmt.Errorf("the union list of %s: %w", l.AsOf, err)
		}
	}
	people := map[string]*gridwarn.Principal{}
	for _, v := range county.Visits(today) {
		p := people[v.Visitor]
		if p == nil {
			u, err := db.UserByName(ctx, v.Visitor)
			if err != nil {
				return err
			}
			p = &gridwarn.Principal{User: *u}
			people[v.Visitor] = p
		}
		if _, _, err := db.RecordVisit(ctx, p, v); err != nil {
			return fmt.Errorf("visit %s: %w", v.ID, err)
		}
	}
	// The "1+x" assignments, through the contacts import's door (as the
	// county administrator), and the contact people's visits this year.
	if _, err := db.ImportContacts(ctx, "admin", gridwarn.Visibility{All: true}, county.Contacts(today), false); err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	for _, v := range county.ContactVisits(today) {
		p := people[v.Visitor]
		if p == nil {
			u, err := db.UserByName(ctx, v.Visitor)
			if err != nil {
				return err
			}
			p = &gridwarn.Principal{User: *u}
			people[v.Visitor] = p
		}
		if _, _, err := db.RecordVisit(ctx, p, v); err != nil {
			return fmt.Errorf("visit %s: %w", v.ID, err)
		}
	}
	return nil
}
