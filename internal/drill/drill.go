// Package drill is gridwarn's Jepsen-style drill against the distributed
// topology of scripts/cluster.sh: it publishes unique events at a steady
// rate to the county leaf nodes and to the hub, retrying each until the
// broker acknowledges it, injects faults on a schedule (kill -9 of a NATS
// node and of the stream leader, SIGSTOP/SIGCONT, kill -9 of a gridwarn
// replica, a PostgreSQL primary restart, a county cut off from the hub),
// heals, waits for the backlog to drain and checks PostgreSQL: every
// acknowledged event stored exactly once and in the inbox once, no
// enterprise with two open tickets of one category, ticket event counts
// that add up, no escalation sent twice.
package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// Faults, in the order they run by default.
const (
	FaultNATSKill    = "nats-kill"    // kill -9 of a NATS node that is not the stream leader
	FaultLeaderKill  = "leader-kill"  // kill -9 of the GRIDWARN_EVENTS leader
	FaultNATSPause   = "nats-pause"   // SIGSTOP, then SIGCONT, of the stream leader
	FaultReplicaKill = "replica-kill" // kill -9 of a gridwarn replica (API + engine)
	FaultPGRestart   = "pg-restart"   // the PostgreSQL primary stops at once (immediate) and starts again
	FaultLeafCut     = "leaf-cut"     // a county leaf node cut off from the hub
)

// AllFaults lists every fault in its default order.
var AllFaults = []string{FaultNATSKill, FaultLeaderKill, FaultNATSPause, FaultReplicaKill, FaultPGRestart, FaultLeafCut}

// Options configures a drill.
type Options struct {
	HubURL string // the hub's client URLs, comma-separated
	// Leaves maps a county code to its leaf node's client URL.
	Leaves      map[string]string
	DatabaseURL string // the primary
	// Cluster is the script that kills, pauses and starts the topology's
	// processes by name (scripts/cluster.sh kill|start|pause|resume NAME).
	Cluster string
	// Rate is events per second, in total, spread over the hub and leaves.
	Rate float64
	// Faults run one after the other, each in its own phase, after a
	// baseline phase without a fault.
	Faults []string
	// Baseline is the length of the first phase, without a fault.
	Baseline time.Duration
	// FaultTime is how long a node stays down, paused or stopped.
	FaultTime time.Duration
	// LeafCut is how long a county stays cut off.
	LeafCut time.Duration
	// Settle is the least time between a recovery and the next fault.
	Settle time.Duration
	// RecoverTimeout bounds each wait for the backlog to drain.
	RecoverTimeout time.Duration
	// Enterprises per county.
	Enterprises int
	// Replica is the gridwarn process replica-kill kills.
	Replica string
	// LeafToCut is the county that leaf-cut cuts off (default: the first).
	LeafToCut string
	Log       *slog.Logger
	Out       io.Writer
}

// Defaults are the options of a default run: about ten minutes on two cores.
func Defaults() Options {
	return Options{
		Rate: 40, Faults: slices.Clone(AllFaults), Baseline: 40 * time.Second, FaultTime: 30 * time.Second,
		LeafCut: 3 * time.Minute, Settle: 15 * time.Second, RecoverTimeout: 5 * time.Minute, Enterprises: 40,
		Replica: "gridwarn-1",
	}
}

// Row is one line of the drill's table.
type Row struct {
	Scenario  string
	Acked     int
	Lost      int
	Duplicate int
	Recovered time.Duration // from the heal until every event acknowledged before it was stored
	TimedOut  bool
	Note      string
}

// OK reports whether the row passed.
func (r Row) OK() bool { return r.Lost == 0 && r.Duplicate == 0 && !r.TimedOut }

// Result is a drill's outcome.
type Result struct {
	Rows []Row
	// Checks are the invariants over the whole run: name -> violations.
	Checks []Check
	// Unacked counts events never acknowledged (the publisher gave up at
	// the end of the run): they are not promises, and not counted as lost.
	Unacked int
}

// Check is one invariant over the whole run.
type Check struct {
	Name       string
	Violations int
	Of         string // what was checked, e.g. "312 tickets"
}

// OK reports whether every scenario and every check passed.
func (r Result) OK() bool {
	for _, row := range r.Rows {
		if !row.OK() {
			return false
		}
	}
	for _, c := range r.Checks {
		if c.Violations != 0 {
			return false
		}
	}
	return len(r.Rows) > 0
}

// Table renders the result as a Markdown table like the bench's.
func (r Result) Table() string {
	var b strings.Builder
	b.WriteString("| scenario | acked | lost | duplicated | time to recover | verdict |\n|---|---:|---:|---:|---:|---|\n")
	for _, row := range r.Rows {
		rec := row.Recovered.Round(100 * time.Millisecond).String()
		if row.TimedOut {
			rec = "> " + rec
		}
		verdict := "ok"
		if !row.OK() {
			verdict = "FAIL"
		}
		if row.Note != "" {
			verdict += " (" + row.Note + ")"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", row.Scenario, row.Acked, row.Lost, row.Duplicate, rec, verdict)
	}
	for _, c := range r.Checks {
		verdict := "ok"
		if c.Violations != 0 {
			verdict = fmt.Sprintf("FAIL: %d", c.Violations)
		}
		if c.Of != "" {
			verdict += " (" + c.Of + ")"
		}
		fmt.Fprintf(&b, "| check: %s | | | | | %s |\n", c.Name, verdict)
	}
	return b.String()
}

type target struct {
	name     string
	js       jetstream.JetStream
	counties []string
	ch       chan pending
}

type pending struct {
	id      string
	phase   int
	subject string
	data    []byte
}

type acked struct {
	phase int
	at    time.Time
}

type run struct {
	o       Options
	log     *slog.Logger
	db      *postgres.DB
	hub     *nats.Conn
	hubJS   jetstream.JetStream
	prefix  string
	ents    map[string][]string // county -> credit codes
	phase   atomic.Int64
	mu      sync.Mutex
	acks    map[string]acked
	stored  map[string]bool // acknowledged ids seen in the inbox so far
	unacked atomic.Int64
}

// Run runs the drill and returns its result; an error means the drill
// could not run (the cluster is not there), not that it found a loss.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rate <= 0 || o.Enterprises <= 0 || len(o.Leaves) == 0 || o.HubURL == "" || o.DatabaseURL == "" {
		return Result{}, errors.New("drill: rate, enterprises, leaves, hub and database are required")
	}
	for _, f := range o.Faults {
		if !slices.Contains(AllFaults, f) {
			return Result{}, fmt.Errorf("drill: unknown fault %q (known: %s)", f, strings.Join(AllFaults, ", "))
		}
	}
	if len(o.Faults) > 0 && o.Cluster == "" {
		return Result{}, errors.New("drill: faults need the cluster script")
	}
	r := &run{o: o, log: o.Log, prefix: fmt.Sprintf("drill-%s-", time.Now().UTC().Format("20060102T150405")),
		acks: map[string]acked{}, stored: map[string]bool{}, ents: map[string][]string{}}
	db, err := postgres.Open(ctx, postgres.Options{URL: o.DatabaseURL, MaxConns: 4, ConnectTimeout: 5 * time.Second})
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	r.db = db
	if err := r.seed(ctx); err != nil {
		return Result{}, err
	}
	targets, closeAll, err := r.connect()
	if err != nil {
		return Result{}, err
	}
	defer closeAll()

	// Publishers: a generator at the steady rate, workers that retry each
	// event until it is acknowledged.
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPub()
	genCtx, stopGen := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for _, t := range targets {
		for range 6 {
			workers.Add(1)
			go func() { defer workers.Done(); r.publisher(pubCtx, t) }()
		}
	}
	genDone := make(chan struct{})
	go func() { defer close(genDone); r.generate(genCtx, targets) }()

	var res Result
	phases := append([]string{"baseline (no fault)"}, o.Faults...)
	for i, name := range phases {
		if ctx.Err() != nil {
			break
		}
		r.phase.Store(int64(i))
		r.log.Info("drill: phase", "phase", i, "scenario", name)
		row := Row{Scenario: name}
		healed, note, err := r.inject(ctx, name)
		row.Note = note
		if err != nil {
			stopGen()
			<-genDone
			return res, fmt.Errorf("drill: %s: %w", name, err)
		}
		row.Recovered, row.TimedOut = r.recover(ctx, healed)
		res.Rows = append(res.Rows, row)
		r.log.Info("drill: recovered", "scenario", name, "after", row.Recovered, "timed_out", row.TimedOut)
		if i < len(phases)-1 {
			sleep(ctx, o.Settle)
		}
	}
	stopGen()
	<-genDone
	// Let the publishers finish what they hold (retrying until acked),
	// bounded; whatever is still unacknowledged then was never promised.
	finish := time.AfterFunc(o.RecoverTimeout, stopPub)
	for _, t := range targets {
		close(t.ch)
	}
	workers.Wait()
	finish.Stop()
	res.Unacked = int(r.unacked.Load())
	// Drain: every acknowledged event stored.
	last := time.Now()
	d, timedOut := r.recover(ctx, last)
	if timedOut {
		r.log.Warn("drill: the backlog did not drain", "waited", d)
	}
	if err := r.check(ctx, &res); err != nil {
		return res, err
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// seed registers the drill's territory: per county a town, a grid and the
// enterprises the events are about (idempotent).
func (r *run) seed(ctx context.Context) error {
	var t postgres.Territory
	for _, county := range r.counties() {
		town, grid := county+"100", county+"100-J01"
		t.Units = append(t.Units,
			gridwarn.Unit{Code: county, Kind: gridwarn.UnitCounty, NameZH: "演练县" + county},
			gridwarn.Unit{Code: town, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: county, NameZH: "演练镇" + county})
		t.Grids = append(t.Grids, gridwarn.Grid{Code: grid, TownCode: town, Kind: gridwarn.GridJoint, Name: "演练网格" + county, Industry: "C"})
		for n := range r.o.Enterprises {
			first17 := fmt.Sprintf("91%sDR%07d", county, n)
			c, err := gridwarn.CreditCodeCheckChar(first17)
			if err != nil {
				return err
			}
			code := first17 + string(c)
			r.ents[county] = append(r.ents[county], code)
			t.Enterprises = append(t.Enterprises, gridwarn.Enterprise{CreditCode: code, Name: "演练企业" + code[10:],
				IndustryCode: "C17", Ownership: "private", Headcount: 80, ComplianceGrade: "B", TownCode: town, GridCode: grid})
		}
	}
	if err := r.db.LoadTerritory(ctx, t); err != nil {
		return fmt.Errorf("drill: seed the territory: %w", err)
	}
	return nil
}

func (r *run) counties() []string {
	cs := make([]string, 0, len(r.o.Leaves))
	for c := range r.o.Leaves {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

func (r *run) allEnterprises() []string {
	var all []string
	for _, c := range r.counties() {
		all = append(all, r.ents[c]...)
	}
	return all
}

func connect(url, name string) (*nats.Conn, error) {
	return nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.PingInterval(2*time.Second), nats.MaxPingsOutstanding(2), nats.Timeout(3*time.Second))
}

// connect opens the hub's connection and one per leaf: the hub takes
// events of every county, each leaf its county's.
func (r *run) connect() ([]*target, func(), error) {
	var conns []*nats.Conn
	closeAll := func() {
		for _, nc := range conns {
			nc.Close()
		}
	}
	hub, err := connect(r.o.HubURL, "gridwarn-drill-hub")
	if err != nil {
		return nil, nil, fmt.Errorf("drill: hub: %w", err)
	}
	conns = append(conns, hub)
	r.hub = hub
	if r.hubJS, err = jetstream.New(hub); err != nil {
		closeAll()
		return nil, nil, err
	}
	targets := []*target{{name: "hub", js: r.hubJS, counties: r.counties(), ch: make(chan pending, 1<<16)}}
	for _, c := range r.counties() {
		nc, err := connect(r.o.Leaves[c], "gridwarn-drill-leaf-"+c)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("drill: leaf %s: %w", c, err)
		}
		conns = append(conns, nc)
		js, err := jetstream.New(nc)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		targets = append(targets, &target{name: "leaf-" + c, js: js, counties: []string{c}, ch: make(chan pending, 1<<16)})
	}
	return targets, closeAll, nil
}

var categories = []gridwarn.Category{gridwarn.CategoryWageArrears, gridwarn.CategorySocialInsuranceArrears, gridwarn.CategoryLayoff,
	gridwarn.CategoryOvertimeRest, gridwarn.CategoryContract}

// generate makes events at the steady rate, round robin over the targets,
// until ctx ends.
func (r *run) generate(ctx context.Context, targets []*target) {
	every := time.Duration(float64(time.Second) / r.o.Rate)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t := targets[n%len(targets)]
		county := t.counties[(n/len(targets))%len(t.counties)]
		ents := r.ents[county]
		workers := 1 + n%12
		e := gridwarn.Event{ID: fmt.Sprintf("%s%08d", r.prefix, n), Enterprise: ents[(n/3)%len(ents)],
			Category: categories[(n/7)%len(categories)], OccurredAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second),
			WorkersInvolved: &workers, Summary: "drill"}
		data, err := jsonMarshal(e)
		if err != nil {
			r.log.Error("drill: encode", "err", err)
			continue
		}
		select {
		case t.ch <- pending{id: e.ID, phase: int(r.phase.Load()), subject: e.Subject(), data: data}:
		default:
			r.log.Warn("drill: publisher queue full; event skipped (never published, so not a loss)", "target", t.name)
		}
	}
}

// publisher publishes each event with its id as Nats-Msg-Id and retries
// until the broker acknowledges it (or ctx ends: the event was never
// promised).
func (r *run) publisher(ctx context.Context, t *target) {
	for p := range t.ch {
		for attempt := 0; ; attempt++ {
			if ctx.Err() != nil {
				r.unacked.Add(1)
				break
			}
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := t.js.PublishMsg(pctx, &nats.Msg{Subject: p.subject, Data: p.data}, jetstream.WithMsgID(p.id))
			cancel()
			if err == nil {
				r.mu.Lock()
				r.acks[p.id] = acked{phase: p.phase, at: time.Now()}
				r.mu.Unlock()
				break
			}
			if attempt%20 == 0 {
				r.log.Debug("drill: publish retry", "target", t.name, "event_id", p.id, "err", err)
			}
			sleep(ctx, 250*time.Millisecond)
		}
	}
}
