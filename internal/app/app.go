// Package app wires gridwarn together and owns its lifecycle: the broker
// (embedded or external), the database, the engine, the scheduler and the
// HTTP API, each switchable by role. Nothing below main touches signals or
// exits the process, so tests start the whole app in-process on 127.0.0.1:0.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/handoff"
	"github.com/gridwarn/gridwarn/internal/intake"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/notify"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/schedule"
	"github.com/gridwarn/gridwarn/internal/web"
)

// App is one gridwarn process.
type App struct {
	cfg config.Config
	log *slog.Logger
	reg *prometheus.Registry

	// AfterCommit is passed to the engine (tests simulate crashes with it).
	AfterCommit func(gridwarn.BatchResult) error
	// Now is the one clock of the app (default time.Now): the engine's
	// decisions, the ticket services, the relay's retries, the reports'
	// received time and the start-up sweep all read it. Set before Start.
	Now func() time.Time

	rules *liveRules
	relay *notify.Relay
	feed  *notify.FeedRelay
	ns    *server.Server
	nc    *nats.Conn
	// handoffListener answers hand-offs over NATS (handoff.nats).
	handoffListener *handoff.Listener
	js              jetstream.JetStream
	db              *postgres.DB
	engine          *engine.Engine
	rescuer         *engine.Rescuer
	sched           *schedule.Scheduler
	srv             *http.Server
	ln              net.Listener
	srvDone         chan error
	routes          []string

	countiesQuit chan struct{} // stops ensureCountiesLater
	countiesDone chan struct{}

	stopOnce sync.Once
	stopErr  error
}

// New returns an unstarted app.
func New(cfg config.Config, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &App{cfg: cfg, log: log, reg: reg, Now: time.Now}
}

// Start brings the app up in dependency order: broker, database, engine,
// relay, scheduler, API. On error everything started so far is stopped
// again.
func (a *App) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = a.Stop(stopCtx)
		}
	}()
	r, err := loadRules(a.cfg.Rules.File, a.cfg.Rules.TimeScale)
	if err != nil {
		return err
	}
	a.rules = r
	if err := a.startNATS(ctx); err != nil {
		return err
	}
	if err := a.startDB(ctx); err != nil {
		return err
	}
	if a.cfg.Roles.Engine {
		if err := a.startEngine(ctx); err != nil {
			return err
		}
	}
	if a.cfg.Roles.Relay {
		if err := a.startRelay(ctx); err != nil {
			return err
		}
	}
	if a.cfg.Roles.Scheduler {
		if err := a.startScheduler(); err != nil {
			return err
		}
	}
	if a.cfg.Roles.API {
		if err := a.startAPI(); err != nil {
			return err
		}
	}
	a.log.Info("gridwarn started", "api", a.APIAddr(), "nats", a.NATSURL(),
		"roles", fmt.Sprintf("api=%t engine=%t scheduler=%t relay=%t", a.cfg.Roles.API, a.cfg.Roles.Engine, a.cfg.Roles.Scheduler, a.cfg.Roles.Relay))
	return nil
}

func (a *App) startNATS(ctx context.Context) error {
	c := a.cfg.NATS
	co := natsbus.ConnectOptions{
		URL: c.URL, Name: "gridwarn", User: c.User, Password: c.Password.Reveal(), Token: c.Token.Reveal(),
		CredsFile: c.CredsFile, NKeySeedFile: c.NKeySeedFile, CAFile: c.TLS.CAFile, CertFile: c.TLS.CertFile,
		KeyFile: c.TLS.KeyFile, ConnectTimeout: c.ConnectTimeout, Logger: a.log,
	}
	if c.URL == "" {
		sync, _ := c.Embedded.Sync()
		pubs := make([]natsbus.CountyPublisher, 0, len(c.Embedded.Publishers))
		for _, p := range c.Embedded.Publishers {
			pubs = append(pubs, natsbus.CountyPublisher{User: p.User, Password: p.Password.Reveal(), NKey: p.NKey, County: p.County})
		}
		auth, err := natsbus.NewEmbeddedAuth(pubs)
		if err != nil {
			return err
		}
		if auth != nil {
			// The credentials under nats.* are for an external server (or for
			// `gridwarn publish`); in process, gridwarn is the internal user.
			co.User, co.Password = auth.Internal()
			co.Token, co.CredsFile, co.NKeySeedFile = "", "", ""
		}
		ns, err := natsbus.StartEmbedded(natsbus.ServerOptions{
			Host: c.Embedded.Host, Port: c.Embedded.Port, StoreDir: a.cfg.StoreDirOrDefault(), SyncInterval: sync,
			MaxStore: int64(c.Embedded.MaxStore), MaxPayload: int32(c.Embedded.MaxPayload), Logger: a.log, Auth: auth,
		})
		if err != nil {
			return err
		}
		a.ns = ns
		co.InProcess = ns
		a.log.Info("embedded nats-server started", "url", ns.ClientURL(), "store_dir", a.cfg.StoreDirOrDefault(),
			"sync_interval", c.Embedded.SyncInterval, "auth", auth)
	}
	nc, err := natsbus.Connect(co)
	if err != nil {
		return err
	}
	a.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	a.js = js
	so := natsbus.StreamOptions{
		Replicas: c.Stream.Replicas, MaxAge: c.Stream.MaxAge, MaxBytes: int64(c.Stream.MaxBytes),
		MaxMsgSize: int32(c.Stream.MaxMsgSize), DuplicateWindow: c.Stream.DuplicateWindow,
	}
	for _, l := range c.Stream.Counties {
		so.Counties = append(so.Counties, natsbus.CountySource{County: l.County, Domain: l.Domain})
	}
	// A county's leaf may be cut off right now: its stream is made when it
	// is reachable (retried in the background until it is), and the hub's
	// source waits for it meanwhile.
	var later []natsbus.CountySource
	for _, cs := range so.Counties {
		if err := a.ensureCounty(ctx, cs, so); err != nil {
			a.log.Warn("county leaf stream not ensured yet; retrying in the background (the hub sources it once it exists)",
				"county", cs.County, "domain", cs.Domain, "err", err)
			later = append(later, cs)
		}
	}
	if _, err = natsbus.EnsureStream(ctx, js, so); err != nil {
		return err
	}
	if len(later) > 0 {
		a.countiesQuit, a.countiesDone = make(chan struct{}), make(chan struct{})
		go a.ensureCountiesLater(later, so)
	}
	return nil
}

func (a *App) ensureCounty(ctx context.Context, cs natsbus.CountySource, so natsbus.StreamOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := natsbus.EnsureCountyStream(ctx, a.nc, cs, so)
	return err
}

// countyRetry is how often a missing county stream is tried again.
var countyRetry = 15 * time.Second

// ensureCountiesLater retries the county streams that could not be made at
// start (a leaf cut off then) every 15 s until each exists or the app stops.
func (a *App) ensureCountiesLater(left []natsbus.CountySource, so natsbus.StreamOptions) {
	defer close(a.countiesDone)
	t := time.NewTicker(countyRetry)
	defer t.Stop()
	for len(left) > 0 {
		select {
		case <-a.countiesQuit:
			return
		case <-t.C:
		}
		var still []natsbus.CountySource
		for _, cs := range left {
			if err := a.ensureCounty(context.Background(), cs, so); err != nil {
				still = append(still, cs)
				continue
			}
			a.log.Info("county leaf stream ensured", "county", cs.County, "domain", cs.Domain)
		}
		left = still
	}
}

func (a *App) startDB(ctx context.Context) error {
	c := a.cfg.Database
	loc, err := time.LoadLocation(a.cfg.Scheduler.TimeZone)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Options{
		Location: loc,
		URL:      c.URL, ReadURL: c.ReadURL, MaxConns: c.MaxConns, ConnectTimeout: c.ConnectTimeout, StatementTimeout: c.StatementTimeout, Logger: a.log,
		IndependentThreshold: a.cfg.Registry.IndependentThreshold, Lease: a.cfg.Queue.Lease, AllowSelfReview: a.cfg.Queue.AllowSelfReview,
		MediationDays: a.cfg.Legal.MediationDays, LimitationDays: a.cfg.Legal.LimitationDays, LimitationAlarms: a.cfg.Legal.LimitationAlarms,
		Now: a.Now, IdentityRetention: a.cfg.Privacy.IdentityRetention, HandoffPeers: a.handoffPeerCounties(),
		Sessions: postgres.SessionOptions{TTL: a.cfg.UI.SessionTTL, MaxFailures: a.cfg.UI.MaxFailedSignIns,
			Window: a.cfg.UI.LockoutWindow, LockFor: a.cfg.UI.Lockout, BcryptCost: a.cfg.UI.BcryptCost},
	})
	if err != nil {
		return err
	}
	a.db = db
	db.SetClockPlanner(a.rules)
	if err := db.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if c.MigrateOnStart {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) startEngine(ctx context.Context) error {
	c := a.cfg.NATS
	cons, err := natsbus.EnsureConsumer(ctx, a.js, natsbus.ConsumerOptions{
		Durable: c.Consumer.Durable, AckWait: c.Consumer.AckWait, MaxDeliver: c.Consumer.MaxDeliver,
		BackOff: c.Consumer.BackOff, MaxAckPending: c.Consumer.MaxAckPending, Replicas: c.Stream.Replicas,
	})
	if err != nil {
		return err
	}
	adv, err := natsbus.EnsureAdvisories(ctx, a.js, c.Consumer.Durable, c.Stream.Replicas)
	if err != nil {
		return err
	}
	stream, err := a.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
	}
	a.engine = engine.New(cons, a.db, a.rules, engine.Options{
		BatchSize: a.cfg.Engine.BatchSize, Workers: a.cfg.Engine.Workers, MaxEventBytes: int(a.cfg.Engine.MaxEventBytes),
		NakDelays: a.cfg.Engine.NakDelays, Logger: a.log.With("component", "engine"), Metrics: engine.NewMetrics(a.reg), AfterCommit: a.AfterCommit, Now: a.Now,
		Window: a.cfg.EventWindow(),
	})
	if err := a.engine.Start(ctx); err != nil {
		return err
	}
	a.rescuer = engine.NewRescuer(a.engine, adv, stream)
	return a.rescuer.Start(ctx)
}

// startRelay delivers the outbox (the relay role): NATS notifications and
// webhooks, with console links under api.public_url.
func (a *App) startRelay(ctx context.Context) error {
	if _, err := notify.EnsureStream(ctx, a.js); err != nil {
		return err
	}
	hooks := make([]notify.Webhook, 0, len(a.cfg.Notify.Webhooks))
	for _, w := range a.cfg.Notify.Webhooks {
		hooks = append(hooks, notify.Webhook{Name: w.Name, URL: w.URL, Secret: w.Secret.Reveal(), Format: w.Format, Topics: w.Topics})
	}
	var hnc *nats.Conn
	if a.cfg.Handoff.NATS {
		hnc = a.nc
	}
	transport, err := handoff.New(handoff.Options{NATS: hnc, Peers: a.handoffPeers(), Now: a.Now})
	if err != nil {
		return err
	}
	relay, err := notify.New(a.db, a.js, hooks, notify.Options{
		Logger: a.log.With("component", "notify"), PollInterval: a.cfg.Notify.PollInterval, PublicURL: a.cfg.API.PublicURL,
		Now: a.Now, Handoff: transport,
	})
	if err != nil {
		return err
	}
	if a.cfg.Handoff.NATS {
		// This deployment answers the hand-offs sent to its counties.
		counties, err := a.db.HandoffCounties(ctx)
		if err != nil {
			return err
		}
		if a.handoffListener, err = handoff.Listen(a.nc, counties, a.db, a.log.With("component", "handoff")); err != nil {
			return err
		}
	}
	a.relay = relay
	relay.Start()
	return a.startFeed(ctx)
}

// startFeed pushes the feed of ticket changes (relay role) to the
// configured webhook and to NATS gridwarn.feed.<county>, when configured.
func (a *App) startFeed(ctx context.Context) error {
	c := a.cfg.Feed
	if c.WebhookURL == "" && !c.NATS {
		return nil
	}
	o := notify.FeedOptions{WebhookURL: c.WebhookURL, Secret: c.Secret.Reveal(), PollInterval: c.PollInterval,
		Logger: a.log.With("component", "feed"), Now: a.Now}
	if c.NATS {
		if _, err := notify.EnsureFeedStream(ctx, a.js); err != nil {
			return err
		}
		o.JS = a.js
	}
	f, err := notify.NewFeedRelay(a.db, o)
	if err != nil {
		return err
	}
	a.feed = f
	f.Start()
	return nil
}

func (a *App) startScheduler() error {
	loc, err := time.LoadLocation(a.cfg.Scheduler.TimeZone)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	stats := newStats(a.reg, a.js, a.db, a.cfg.NATS.Consumer.Durable)
	// The sweeper reads the app's one clock (a.Now), like every other part.
	sweep := schedule.Job{Name: "sweep", Spec: a.cfg.Scheduler.Sweep, Run: func(ctx context.Context, _ time.Time) error { return a.sweep(ctx, a.Now()) }}
	sums := &Summaries{DB: a.db, Loc: loc, Log: a.log.With("component", "summaries"), Now: a.Now}
	circs := &Circulars{DB: a.db, Loc: loc, Log: a.log.With("component", "circulars"), Target: a.cfg.Unionization.YearlyTarget}
	reps := &PeriodReports{DB: a.db, Loc: loc, Log: a.log.With("component", "reports"), Targets: a.cfg.CoverageTarget}
	s, err := schedule.New(loc, a.log.With("component", "scheduler"),
		schedule.Job{Name: "stats", Spec: a.cfg.Scheduler.ConsumerStats, Run: stats.Collect},
		sweep,
		schedule.Job{Name: "weekly-summary", Spec: a.cfg.Scheduler.WeeklySummary, Run: sums.Scheduled},
		schedule.Job{Name: "union-circular", Spec: a.cfg.Scheduler.UnionCircular, Run: circs.Scheduled},
		schedule.Job{Name: "period-reports", Spec: a.cfg.Scheduler.PeriodReports, Run: reps.Scheduled},
		schedule.Job{Name: "partitions", Spec: a.cfg.Scheduler.Partitions, Run: a.partitions},
		schedule.Job{Name: "backlog", Spec: a.cfg.Scheduler.Backlog, Run: func(ctx context.Context, _ time.Time) error { return a.backlog(ctx, loc) }},
	)
	if err != nil {
		return err
	}
	// Catch up at once on what breached, and the summaries missed, while the
	// service was down.
	if err := a.sweep(context.Background(), a.Now()); err != nil {
		a.log.Error("catch-up sweep failed; the scheduled sweeps will retry", "err", err)
	}
	if err := a.partitions(context.Background(), a.Now()); err != nil {
		a.log.Error("creating this month's partitions failed; the scheduled job will retry", "err", err)
	}
	if err := a.backlog(context.Background(), loc); err != nil {
		a.log.Error("catch-up of the backlog snapshots failed; the scheduled job will retry", "err", err)
	}
	if err := sums.Scheduled(context.Background(), a.Now()); err != nil {
		a.log.Error("catch-up of weekly summaries failed; the scheduled job will retry", "err", err)
	}
	if err := circs.Scheduled(context.Background(), a.Now()); err != nil {
		a.log.Error("catch-up of union circulars failed; the scheduled job will retry", "err", err)
	}
	if err := reps.Scheduled(context.Background(), a.Now()); err != nil {
		a.log.Error("catch-up of monthly and quarterly reports failed; the scheduled job will retry", "err", err)
	}
	a.sched = s
	s.Start()
	return nil
}

// partitions creates the monthly partitions of this month and the next
// ones ahead (job scheduler.partitions, and once at start).
func (a *App) partitions(ctx context.Context, now time.Time) error {
	n, err := a.db.EnsurePartitions(ctx, now, postgres.PartitionsAhead)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("partitions created", "count", n)
	}
	return nil
}

// backlogDays are the midnights the backlog job looks back over for a
// missing snapshot: two weeks and a day, so a summary built late still
// finds both of its ends.
const backlogDays = 15

// backlog snapshots the tickets open at each recent midnight in loc that
// has no snapshot yet (job scheduler.backlog, and once at start).
func (a *App) backlog(ctx context.Context, loc *time.Location) error {
	n, err := a.db.SnapshotBacklog(ctx, loc, a.Now(), backlogDays)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("backlog snapshots taken", "count", n)
	}
	return nil
}

func (a *App) startAPI() error {
	loc, err := time.LoadLocation(a.cfg.Scheduler.TimeZone)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	reports := &intake.Service{Registry: a.db, Publisher: natsbus.Publisher{JS: a.js}, Now: a.Now,
		Window: a.cfg.EventWindow()}
	hotline := &intake.Hotline{Store: a.db, Registry: a.db, Publisher: natsbus.Publisher{JS: a.js}, Clock: a.rules,
		Now: a.Now, Location: loc, Window: a.cfg.EventWindow()}
	h := api.New(api.Services{
		Auth: a.db, Tickets: a.db, DeadLetters: a.db, Registry: a.db, Users: a.db, Ready: a.Ready, Rules: a, Work: a.db, Summaries: a.db, Privacy: a.db,
		Reports: reports, Visits: a.db, Union: a.db, Circulars: a.db, PeriodReports: a.db, Contacts: a.db, Hotline: hotline, Feed: a.db,
		Referrals:      a.db,
		Handoffs:       a.db,
		HandoffInbound: handoff.Handler(a.db, handoff.NewSigner(a.handoffPeers(), a.Now), a.log.With("component", "handoff")),
	}, api.Options{
		MaxBodyBytes: int64(a.cfg.API.MaxBodyBytes),
		Logger:       a.log.With("component", "api"), Registry: a.reg,
		Now: a.Now, Location: loc, CoverageTargets: a.cfg.CoverageTarget,
	})
	if a.cfg.UI.Enabled {
		if err := web.Register(h, web.Services{
			Sessions: a.db, Tickets: a.db, Work: a.db, Registry: a.db, Users: a.db, Rules: a, Summaries: a.db, Dashboard: a.db,
			Reports: reports, WhatIf: whatIf{a}, Hotline: hotline, Handoffs: a.db,
			Visits: a.db, Circulars: a.db, PeriodReports: a.db, Contacts: a.db,
		}, web.Options{SecureCookies: a.cfg.UI.SecureCookies, Location: loc, Logger: a.log.With("component", "ui"),
			Now: a.Now, Window: a.cfg.EventWindow(), CoverageTargets: a.cfg.CoverageTarget}); err != nil {
			return fmt.Errorf("ui: %w", err)
		}
	}
	ln, err := net.Listen("tcp", a.cfg.API.Listen)
	if err != nil {
		return fmt.Errorf("api: listen: %w", err)
	}
	a.ln = ln
	for _, r := range h.Routes() {
		a.routes = append(a.routes, r.Method+" "+r.Path)
	}
	a.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: a.cfg.API.ReadHeaderTimeout,
		ReadTimeout:       a.cfg.API.ReadTimeout,
		WriteTimeout:      a.cfg.API.WriteTimeout,
		IdleTimeout:       a.cfg.API.IdleTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.srvDone = make(chan error, 1)
	go func() { a.srvDone <- a.srv.Serve(ln) }()
	return nil
}

// sweep runs the escalation sweeper once.
// ClockPlanner is the rules in force as the planner of tickets' clocks.
func (a *App) ClockPlanner() gridwarn.ClockPlanner { return a.rules }

func (a *App) sweep(ctx context.Context, now time.Time) error {
	res, err := a.db.Sweep(ctx, now)
	if res.Reminders+res.Escalations+res.Overdue > 0 {
		a.log.Info("sweep", "reminders", res.Reminders, "escalations", res.Escalations, "overdue", res.Overdue)
	}
	return err
}

// Ready reports whether the database and the broker are reachable.
func (a *App) Ready(ctx context.Context) error {
	var errs []error
	if a.db == nil {
		errs = append(errs, errors.New("database: not open"))
	} else if err := a.db.Ping(ctx); err != nil {
		errs = append(errs, errors.New("database: unreachable"))
	}
	if a.nc == nil || a.nc.Status() != nats.CONNECTED {
		errs = append(errs, errors.New("nats: not connected"))
	}
	if len(errs) > 0 {
		return &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: errors.Join(errs...).Error()}
	}
	return nil
}

// APIAddr is the address the API listens on ("" when the role is off).
func (a *App) APIAddr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// NATSURL is the URL other processes use to reach the broker.
func (a *App) NATSURL() string {
	if a.ns != nil {
		return a.ns.ClientURL()
	}
	return a.cfg.NATS.URL
}

// ReloadRules re-reads the rules; a bad file keeps the rules in force.
func (a *App) ReloadRules() (gridwarn.RulesInfo, error) {
	info, err := a.rules.ReloadRules()
	if err != nil {
		a.log.Error("rules reload failed; the old rules stay in force", "version", info.Version, "err", err)
		return info, err
	}
	a.log.Info("rules reloaded", "version", info.Version)
	return info, nil
}

// RulesInfo describes the rules in force.
func (a *App) RulesInfo() gridwarn.RulesInfo { return a.rules.RulesInfo() }

// Routes lists the API's routes as "METHOD /path" (for the access tests).
func (a *App) Routes() []string { return a.routes }

// JetStream exposes the broker to the demo simulator and tests.
func (a *App) JetStream() jetstream.JetStream { return a.js }

// DB exposes the database to the demo and tests.
func (a *App) DB() *postgres.DB { return a.db }

// Stop shuts down in order: drain the engine (the batch in hand is committed
// and acknowledged, or not acknowledged at all), stop the scheduler, shut the
// HTTP server, close the pool, close the broker. It is idempotent.
func (a *App) Stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		var errs []error
		if a.countiesQuit != nil {
			close(a.countiesQuit)
			<-a.countiesDone
		}
		if a.engine != nil {
			errs = append(errs, a.engine.Stop(ctx))
		}
		if a.rescuer != nil {
			errs = append(errs, a.rescuer.Stop(ctx))
		}
		if a.relay != nil {
			errs = append(errs, a.relay.Stop(ctx))
			a.handoffListener.Stop()
		}
		if a.feed != nil {
			errs = append(errs, a.feed.Stop(ctx))
		}
		if a.sched != nil {
			errs = append(errs, a.sched.Stop(ctx))
		}
		if a.srv != nil {
			errs = append(errs, a.srv.Shutdown(ctx))
			if err := <-a.srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
		if a.db != nil {
			a.db.Close()
		}
		if a.nc != nil {
			if err := a.nc.Drain(); err != nil {
				a.nc.Close()
			}
			for i := 0; i < 100 && !a.nc.IsClosed(); i++ {
				time.Sleep(20 * time.Millisecond)
			}
			a.nc.Close()
		}
		if a.ns != nil {
			a.ns.Shutdown()
			a.ns.WaitForShutdown()
		}
		a.stopErr = errors.Join(errs...)
		if a.stopErr == nil {
			a.log.Info("gridwarn stopped")
		}
	})
	return a.stopErr
}

// Wait returns when ctx ends, reloading the rules whenever reload delivers.
func (a *App) Wait(ctx context.Context, reload <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
			_, _ = a.ReloadRules()
		}
	}
}

// Run starts the app, waits until ctx ends (a signal in main), reloading
// the rules on every value from reload (SIGHUP in main), and stops it
// within the configured shutdown timeout.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, reload <-chan struct{}) error {
	a := New(cfg, log)
	if err := a.Start(ctx); err != nil {
		return err
	}
	a.Wait(ctx, reload)
	log.Info("stopping", "timeout", cfg.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return a.Stop(stopCtx)
}

// handoffPeers are the configured peer counties (config handoff.peers).
func (a *App) handoffPeers() []handoff.Peer {
	var out []handoff.Peer
	for _, p := range a.cfg.Handoff.Peers {
		out = append(out, handoff.Peer{County: p.County, URL: p.URL, Key: p.Key.Reveal()})
	}
	return out
}

func (a *App) handoffPeerCounties() []string {
	var out []string
	for _, p := range a.cfg.Handoff.Peers {
		out = append(out, p.County)
	}
	return out
}
