// Package bench measures gridwarn end to end with its real parts — the
// embedded nats-server, PostgreSQL, the engine, the API — next to the raw
// parts they are built on, measured in the same run, and prints one
// Markdown table (`gridwarn bench`, scripts/bench.sh).
//
// Every figure is the median of at least three repetitions, with min and
// max; each repetition uses a fresh database (a copy of a prepared
// template) and a fresh broker with a fresh stream. Durability is the
// production default — sync_interval always, synchronous_commit as the
// server has it (on) — unless Sizes says otherwise, and the table says
// which.
//
// Rows are measured in groups; a group runs in a child process when
// Options.Spawn is set, so each group's peak resident memory (VmHWM) is its
// own.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
)

// Sizes are what the flags set. They travel to child processes as JSON.
type Sizes struct {
	Reps int `json:"reps"`
	// Raw ceilings.
	PublishSync  int `json:"publish_sync"`  // messages published one by one, waiting for each ack
	PublishAsync int `json:"publish_async"` // messages for the async and the atomic-batch runs
	AtomicBatch  int `json:"atomic_batch"`  // messages per atomic batch (the server allows up to 1000)
	// Engine.
	Events         int `json:"events"`          // pre-published events per engine run
	BigEnterprises int `json:"big_enterprises"` // enterprises of the second territory
	StoredEvents   int `json:"stored_events"`   // events already stored for 2c (group engine-stored)
	// Latency.
	LatencyRates    []int         `json:"latency_rates"` // events per second offered
	LatencyDuration time.Duration `json:"latency_duration"`
	// Intake and reads.
	Concurrency    int           `json:"concurrency"`
	IntakeDuration time.Duration `json:"intake_duration"`
	Tickets        int           `json:"tickets"`       // tickets stored for the reads
	DetailSample   int           `json:"detail_sample"` // tickets with events, history and clocks; detail reads pick among them
	ReadDuration   time.Duration `json:"read_duration"`
	Warmup         time.Duration `json:"warmup"` // before each HTTP or publish measurement, not counted
	// Weekly summary.
	SummaryEvents int `json:"summary_events"` // events stored (on the reads' tickets), a tenth of them in the summarized week
	// Durability.
	SyncInterval      time.Duration `json:"sync_interval"`      // 0: always (fsync before every ack)
	SynchronousCommit string        `json:"synchronous_commit"` // "": the server's setting
	// AlertmanagerBin is the peer of group alertmanager (7a–7c), built by
	// scripts/bench-alertmanager.sh.
	AlertmanagerBin string `json:"alertmanager_bin,omitempty"`
}

// DefaultSizes finish within ten minutes on two cores. Events is 20,000,
// not the 100,000 of issue 7: at today's engine speed (about 2,000
// events/s with the demo county, 500 with 100,000 enterprises, where
// nearly every event opens a ticket) six engine runs of 100,000 events
// take about twenty minutes on their own. --events 100000 runs the
// issue's size.
func DefaultSizes() Sizes {
	return Sizes{
		Reps:        3,
		PublishSync: 3000, PublishAsync: 30000, AtomicBatch: 500,
		Events: 20_000, BigEnterprises: 100_000, StoredEvents: 10_000_000,
		LatencyRates: []int{200, 2000, 1000}, LatencyDuration: 30 * time.Second,
		Concurrency: 32, IntakeDuration: 4 * time.Second,
		Tickets: 1_000_000, DetailSample: 10_000, ReadDuration: 4 * time.Second,
		Warmup: 500 * time.Millisecond, SummaryEvents: 1_000_000,
	}
}

// QuickSizes is a smoke run of a minute or two.
func QuickSizes() Sizes {
	return Sizes{
		Reps:        3,
		PublishSync: 300, PublishAsync: 3000, AtomicBatch: 500,
		Events: 2000, BigEnterprises: 3000, StoredEvents: 100_000,
		LatencyRates: []int{200, 2000, 1000}, LatencyDuration: 2 * time.Second,
		Concurrency: 32, IntakeDuration: time.Second,
		Tickets: 50_000, DetailSample: 1000, ReadDuration: time.Second,
		Warmup: 200 * time.Millisecond, SummaryEvents: 100_000,
	}
}

// Check reports sizes that cannot work.
func (s Sizes) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Reps < 3 {
		bad("--reps must be at least 3 (every figure is a median of at least three repetitions)")
	}
	if s.PublishSync < 1 || s.PublishAsync < 1 || s.Events < 1 || s.BigEnterprises < 1 || s.Tickets < 1 || s.SummaryEvents < 10 || s.StoredEvents < 0 {
		bad("message, event, enterprise and ticket counts must be positive (--summary-events at least 10)")
	}
	if s.AtomicBatch < 2 || s.AtomicBatch > 1000 {
		bad("--atomic-batch must be 2–1000 (nats-server's default limit is 1000)")
	}
	if s.BigEnterprises > 900_000 {
		bad("--big-enterprises is at most 900,000 (one town per 1000 enterprises, town codes 100–999)")
	}
	if len(s.LatencyRates) == 0 || slices.ContainsFunc(s.LatencyRates, func(r int) bool { return r <= 0 }) {
		bad("--latency-rates must be positive")
	}
	if s.LatencyDuration <= 0 || s.IntakeDuration <= 0 || s.ReadDuration <= 0 || s.Warmup < 0 {
		bad("durations must be positive")
	}
	if s.Concurrency < 1 || s.Concurrency > 512 {
		bad("--concurrency must be 1–512")
	}
	if s.DetailSample < 1 || s.DetailSample > s.Tickets {
		bad("--detail-sample must be 1–tickets")
	}
	switch s.SynchronousCommit {
	case "", "on", "off", "local", "remote_write", "remote_apply":
	default:
		bad("--synchronous-commit must be on, off, local, remote_write or remote_apply")
	}
	return errors.Join(errs...)
}

// Groups of rows, each measured in one process.
const (
	GroupPublish   = "publish"    // 1a–1c: raw JetStream publishing
	GroupEngine    = "engine"     // 1d naive loop and 2a engine, on the same pre-published events
	GroupEngineBig = "engine-big" // 2b engine with the big territory
	GroupLatency   = "latency"    // 3: publish → committed at fixed rates
	GroupIntake    = "intake"     // 4: POST /api/v1/reports against raw publishing
	GroupReads     = "reads"      // 5: work queue, ticket detail and list against bare Gin
	GroupSummary   = "summary"    // 6: a week's county summary against counting the week's events
	// Not in the default run (--only names them):
	GroupEngineStored = "engine-stored" // 2c: the engine with StoredEvents events already stored against an empty database
	GroupAlertmanager = "alertmanager"  // 7: Prometheus Alertmanager's POST /api/v2/alerts against POST /api/v1/reports
)

// Groups lists the groups of the default run in table order.
var Groups = []string{GroupPublish, GroupEngine, GroupEngineBig, GroupLatency, GroupIntake, GroupReads, GroupSummary}

// OptionalGroups run only when --only names them: engine-stored fills
// millions of events first, alertmanager needs a peer binary.
var OptionalGroups = []string{GroupEngineStored, GroupAlertmanager}

// AllGroups is every group, in table order.
var AllGroups = []string{GroupPublish, GroupEngine, GroupEngineBig, GroupEngineStored, GroupLatency, GroupIntake, GroupReads, GroupSummary, GroupAlertmanager}

// Options configures Run.
type Options struct {
	Sizes
	// Config is the application's configuration: Database.URL names the
	// PostgreSQL server (the bench creates and drops its own databases
	// there); the rest (batch size, pool size, consumer, stream) is what the
	// app runs with.
	Config config.Config
	// Only limits the run to these groups (nil: all).
	Only []string
	// Spawn, when set, returns a command that runs one group in a child
	// process (`gridwarn bench --child`); Run adds the environment and
	// reads the result from its standard output. Nil runs every group in
	// this process, so VmHWM is cumulative.
	Spawn func(ctx context.Context) *exec.Cmd
	// Progress receives a line per step (nil: discarded).
	Progress io.Writer
	// Logger receives the app's logs (nil: discarded).
	Logger *slog.Logger
	// ProfileDir, when set, receives a CPU profile per group
	// (<group>.cpu.pprof) of the process that measured it.
	ProfileDir string
}

// ChildEnv names the environment variable with a child's spec.
const ChildEnv = "GWBENCH_CHILD_SPEC"

// childSpec is what a child process needs: the sizes, its group and the
// prepared templates.
type childSpec struct {
	Group      string    `json:"group"`
	Sizes      Sizes     `json:"sizes"`
	Templates  templates `json:"templates"`
	ProfileDir string    `json:"profile_dir,omitempty"`
}

// Row is what a group measured for one line of the table (its text is in
// layout).
type Row struct {
	Key    string `json:"key"`
	Figure Figure `json:"figure"`
	Raw    Figure `json:"raw"`     // the raw part, measured in the same run
	Ratio  Figure `json:"ratio"`   // Figure / Raw, repetition by repetition
	RSSKiB int64  `json:"rss_kib"` // VmHWM after the row
	Group  string `json:"group"`
}

// groupResult is what a group reports.
type groupResult struct {
	Rows  []Row    `json:"rows"`
	Notes []string `json:"notes"`
	Err   string   `json:"err,omitempty"`
}

// Run prepares the templates, measures every selected group (each in a
// child process when Spawn is set) and prints the table to w. The
// databases it created are dropped before it returns.
func Run(ctx context.Context, o Options, w io.Writer) error {
	if err := o.Sizes.Check(); err != nil {
		return err
	}
	if o.Config.Database.URL == "" {
		return errors.New("bench: no PostgreSQL: set GRIDWARN_DATABASE_URL (scripts/bench.sh starts a throwaway one)")
	}
	only := o.Only
	if len(only) == 0 {
		only = Groups
	}
	for _, g := range only {
		if !slices.Contains(AllGroups, g) {
			return fmt.Errorf("bench: unknown group %q (groups: %s)", g, strings.Join(AllGroups, ", "))
		}
	}
	if slices.Contains(only, GroupAlertmanager) && o.AlertmanagerBin == "" {
		return errors.New("bench: group alertmanager needs --alertmanager-bin (scripts/bench-alertmanager.sh builds Alertmanager from the Go module proxy)")
	}
	r := newRunner(o)
	start := time.Now()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		r.pg.dropAll(cctx)
	}()
	machine, err := r.machine(ctx)
	if err != nil {
		return err
	}
	tpl, err := r.prepare(ctx, only)
	if err != nil {
		return err
	}
	results := map[string]groupResult{}
	for _, g := range only {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.progress("group %s", g)
		res, err := r.runGroup(ctx, g, tpl)
		if err != nil {
			res.Err = err.Error()
		}
		results[g] = res
		if res.Err != "" {
			r.progress("group %s failed: %s", g, res.Err)
		}
	}
	writeTable(w, o, machine, results, only, time.Since(start))
	var failed []string
	for _, g := range only {
		if results[g].Err != "" {
			failed = append(failed, g)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("bench: groups failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// RunChild measures the group named in the ChildEnv spec and writes its
// result as JSON to w. It is `gridwarn bench --child`.
func RunChild(ctx context.Context, o Options, spec string, w io.Writer) error {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		return fmt.Errorf("bench: child spec: %w", err)
	}
	o.Sizes, o.ProfileDir = cs.Sizes, cs.ProfileDir
	r := newRunner(o)
	r.pg.runID = cs.Templates.RunID
	res, err := r.measure(ctx, cs.Group, cs.Templates)
	if err != nil {
		res.Err = err.Error()
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	r.pg.dropOwn(cctx)
	return json.NewEncoder(w).Encode(res)
}

// runGroup measures a group here or in a child process.
func (r *runner) runGroup(ctx context.Context, g string, tpl templates) (groupResult, error) {
	if r.o.Spawn == nil {
		return r.measure(ctx, g, tpl)
	}
	spec, err := json.Marshal(childSpec{Group: g, Sizes: r.o.Sizes, Templates: tpl, ProfileDir: r.o.ProfileDir})
	if err != nil {
		return groupResult{}, err
	}
	cmd := r.o.Spawn(ctx)
	cmd.Env = append(cmd.Env, ChildEnv+"="+string(spec))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = r.progressWriter()
	// On cancellation, let the child clean up (it drops its databases).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	runErr := cmd.Run()
	var res groupResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		if runErr != nil {
			return groupResult{}, fmt.Errorf("child: %w", runErr)
		}
		return groupResult{}, fmt.Errorf("child: bad result: %w", err)
	}
	return res, nil
}

// measure runs one group in this process.
func (r *runner) measure(ctx context.Context, g string, tpl templates) (groupResult, error) {
	var (
		res groupResult
		err error
	)
	if r.o.ProfileDir != "" {
		f, err := os.Create(filepath.Join(r.o.ProfileDir, g+".cpu.pprof"))
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	switch g {
	case GroupPublish:
		res, err = r.publishGroup(ctx)
	case GroupEngine:
		res, err = r.engineGroup(ctx, tpl, false)
	case GroupEngineBig:
		res, err = r.engineGroup(ctx, tpl, true)
	case GroupLatency:
		res, err = r.latencyGroup(ctx, tpl)
	case GroupIntake:
		res, err = r.intakeGroup(ctx, tpl)
	case GroupReads:
		res, err = r.readsGroup(ctx, tpl)
	case GroupSummary:
		res, err = r.summaryGroup(ctx, tpl)
	case GroupEngineStored:
		res, err = r.engineStoredGroup(ctx, tpl)
	case GroupAlertmanager:
		res, err = r.alertmanagerGroup(ctx, tpl)
	default:
		err = fmt.Errorf("unknown group %q", g)
	}
	for i := range res.Rows {
		res.Rows[i].Group = g
	}
	return res, err
}

// runner holds what the groups share.
type runner struct {
	o   Options
	pg  *pgServer
	log *slog.Logger
}

func newRunner(o Options) *runner {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &runner{o: o, pg: newPGServer(o.Config.Database.URL), log: log}
}

func (r *runner) progress(format string, args ...any) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "bench: %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

func (r *runner) progressWriter() io.Writer {
	if r.o.Progress == nil {
		return io.Discard
	}
	return r.o.Progress
}
