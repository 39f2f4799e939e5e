package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/version"
)

// templates are the prepared databases that every repetition copies
// (CREATE DATABASE … TEMPLATE), with the bearer tokens stored in them.
type templates struct {
	RunID         string `json:"run_id"`
	Migrated      string `json:"migrated"`
	Demo          string `json:"demo"`    // the demo county with its people and the tokens below
	Big           string `json:"big"`     // BigEnterprises enterprises, one town per 1000
	Stored        string `json:"stored"`  // Demo with StoredEvents events (2c)
	Reads         string `json:"reads"`   // Demo with Tickets tickets
	Summary       string `json:"summary"` // Reads with SummaryEvents events
	SummaryWeek   string `json:"summary_week"`
	ReporterToken string `json:"reporter_token"`
	ReporterTown  string `json:"reporter_town"`
	LeaderToken   string `json:"leader_token"`
	// A town mediator of the town with the most enterprises (the longest
	// queue).
	MediatorToken string `json:"mediator_token"`
	MediatorTown  string `json:"mediator_town"`
}

// prepare builds the templates the selected groups need.
func (r *runner) prepare(ctx context.Context, only []string) (templates, error) {
	t := templates{RunID: r.pg.runID}
	needs := func(gs ...string) bool {
		for _, g := range gs {
			if slices.Contains(only, g) {
				return true
			}
		}
		return false
	}
	var err error
	start := time.Now()
	if t.Migrated, err = r.template(ctx, "tpl_migrated", "", func(db *postgres.DB) error {
		_, err := db.Migrate(ctx)
		return err
	}); err != nil {
		return t, err
	}
	r.progress("template %s: migrated in %s", t.Migrated, time.Since(start).Round(time.Millisecond))
	if needs(GroupEngine, GroupEngineStored, GroupLatency, GroupIntake, GroupReads, GroupSummary, GroupAlertmanager) {
		start = time.Now()
		county := demo.County(r.o.Config.Registry.IndependentThreshold)
		if t.Demo, err = r.template(ctx, "tpl_demo", t.Migrated, func(db *postgres.DB) error {
			units := append([]gridwarn.Unit{county.County}, county.Towns...)
			if err := db.LoadTerritory(ctx, postgres.Territory{Units: units, Grids: county.Grids, Enterprises: county.Enterprises, Users: county.Users}); err != nil {
				return err
			}
			t.ReporterTown = county.Towns[0].Code
			if t.ReporterToken, err = token(ctx, db, "rpt-"+t.ReporterTown); err != nil {
				return err
			}
			if t.LeaderToken, err = token(ctx, db, "leader"); err != nil {
				return err
			}
			t.MediatorTown = busiestTown(county.Enterprises)
			t.MediatorToken, err = token(ctx, db, "mediator-"+t.MediatorTown+"-1")
			return err
		}); err != nil {
			return t, err
		}
		r.progress("template %s: demo county (%d enterprises) in %s", t.Demo, len(county.Enterprises), time.Since(start).Round(time.Millisecond))
	}
	if needs(GroupEngineBig) {
		start = time.Now()
		if t.Big, err = r.template(ctx, "tpl_big", t.Migrated, func(db *postgres.DB) error {
			if err := db.LoadTerritory(ctx, bigTerritory(r.o.BigEnterprises)); err != nil {
				return err
			}
			_, err := db.Pool().Exec(ctx, "VACUUM ANALYZE")
			return err
		}); err != nil {
			return t, err
		}
		r.progress("template %s: %d enterprises in %s", t.Big, r.o.BigEnterprises, time.Since(start).Round(time.Millisecond))
	}
	if needs(GroupEngineStored) {
		start = time.Now()
		if t.Stored, err = r.template(ctx, "tpl_stored", t.Demo, func(db *postgres.DB) error {
			return seedStored(ctx, db, r.o.StoredEvents)
		}); err != nil {
			return t, err
		}
		r.progress("template %s: %d events stored in %s", t.Stored, r.o.StoredEvents, time.Since(start).Round(time.Millisecond))
	}
	if needs(GroupReads, GroupSummary) {
		start = time.Now()
		if t.Reads, err = r.template(ctx, "tpl_reads", t.Demo, func(db *postgres.DB) error {
			return seedTickets(ctx, db, r.o.Tickets, r.o.DetailSample)
		}); err != nil {
			return t, err
		}
		r.progress("template %s: %d tickets in %s", t.Reads, r.o.Tickets, time.Since(start).Round(time.Millisecond))
	}
	if needs(GroupSummary) {
		start = time.Now()
		loc, err := isoweek.Location(r.o.Config.Scheduler.TimeZone)
		if err != nil {
			return t, err
		}
		week := isoweek.Previous(isoweek.Of(time.Now(), loc))
		t.SummaryWeek = isoweek.Format(week)
		var snapshot time.Duration
		if t.Summary, err = r.template(ctx, "tpl_summary", t.Reads, func(db *postgres.DB) error {
			if err := seedEvents(ctx, db, r.o.SummaryEvents, week, loc); err != nil {
				return err
			}
			// The backlog job's snapshots of the last midnights, as the
			// scheduler takes them (scheduler.backlog): the summary reads
			// its weeks' ends from them.
			s := time.Now()
			n, err := db.SnapshotBacklog(ctx, loc, time.Now(), 15)
			if err == nil && n > 0 {
				snapshot = time.Since(s) / time.Duration(n)
			}
			return err
		}); err != nil {
			return t, err
		}
		r.progress("template %s: %d events (a tenth in %s) in %s; the backlog job's snapshot of a midnight %s", t.Summary, r.o.SummaryEvents, t.SummaryWeek,
			time.Since(start).Round(time.Millisecond), snapshot.Round(time.Millisecond))
	}
	return t, nil
}

// busiestTown is the town with the most enterprises (the first such, by
// code).
func busiestTown(ents []gridwarn.Enterprise) string {
	n := map[string]int{}
	best := ""
	for _, e := range ents {
		n[e.TownCode]++
	}
	for code, k := range n {
		if best == "" || k > n[best] || (k == n[best] && code < best) {
			best = code
		}
	}
	return best
}

// template creates a database (from base, when set), opens it, runs fill
// and closes it again: nobody may stay connected to a template.
func (r *runner) template(ctx context.Context, purpose, base string, fill func(*postgres.DB) error) (string, error) {
	name, u, err := r.pg.create(ctx, purpose, base, "")
	if err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, postgres.Options{URL: u, MaxConns: 4, IndependentThreshold: r.o.Config.Registry.IndependentThreshold})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := fill(db); err != nil {
		return "", fmt.Errorf("template %s: %w", purpose, err)
	}
	return name, nil
}

// fresh creates a copy of a template for one repetition.
func (r *runner) fresh(ctx context.Context, purpose, template string) (name, url string, err error) {
	return r.pg.create(ctx, purpose, template, r.o.SynchronousCommit)
}

func token(ctx context.Context, db *postgres.DB, username string) (string, error) {
	u, err := db.UserByName(ctx, username)
	if err != nil {
		return "", fmt.Errorf("user %s: %w", username, err)
	}
	_, secret, err := db.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "bench", nil)
	return secret, err
}

// creditCode returns the n-th valid credit code of the demo county's code
// range that the demo itself does not use.
func creditCode(n int) string {
	first17 := fmt.Sprintf("91%sMA%07d", demo.CountyCode, n)
	c, err := gridwarn.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err) // the format above is always 17 valid characters
	}
	return first17 + string(rune(c))
}

var bigGridIndustries = []string{"C", "E", "F", "G", "H", "I", "L", "O", "A", "M"}

// bigTerritory is a county with n enterprises, one town per 1000 and ten
// joint grids per town. Each enterprise copies the attributes of a demo
// enterprise (headcount, industry, grade, …), so decisions look alike.
func bigTerritory(n int) postgres.Territory {
	county := demo.County(0)
	t := postgres.Territory{Units: []gridwarn.Unit{county.County}}
	towns := (n + 999) / 1000
	for k := range towns {
		code := fmt.Sprintf("%s%03d", demo.CountyCode, 100+k)
		t.Units = append(t.Units, gridwarn.Unit{Code: code, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown,
			ParentCode: demo.CountyCode, NameZH: fmt.Sprintf("基准镇%03d", k), NameEN: fmt.Sprintf("Bench Town %d", k)})
		for g, ind := range bigGridIndustries {
			t.Grids = append(t.Grids, gridwarn.Grid{Code: fmt.Sprintf("%s-J%02d", code, g+1), TownCode: code, Kind: gridwarn.GridJoint,
				Name: fmt.Sprintf("基准镇%03d联合网格%d", k, g+1), Industry: ind})
		}
	}
	for i := range n {
		e := county.Enterprises[i%len(county.Enterprises)]
		e.CreditCode = creditCode(i + 1)
		e.Name = fmt.Sprintf("%s%d号", e.Name, i)
		e.TownCode = fmt.Sprintf("%s%03d", demo.CountyCode, 100+i/1000)
		e.GridCode = fmt.Sprintf("%s-J%02d", e.TownCode, 1+i%len(bigGridIndustries))
		t.Enterprises = append(t.Enterprises, e)
	}
	return t
}

// bigSimEnterprises is bigTerritory's enterprises as the simulator takes them.
func bigSimEnterprises(n int) []demo.Enterprise {
	county := demo.County(0)
	out := make([]demo.Enterprise, n)
	for i := range n {
		e := county.Enterprises[i%len(county.Enterprises)]
		out[i] = demo.Enterprise{CreditCode: creditCode(i + 1), Name: e.Name, Headcount: e.Headcount}
	}
	return out
}

// seedTickets stores n tickets of the demo county with COPY, newest last;
// the last 2000 are open (one per enterprise and category), the rest
// closed. sample of them, evenly spread, get three events, their history
// and three clocks each: the detail reads pick among those.
func seedTickets(ctx context.Context, db *postgres.DB, n, sample int) error {
	county := demo.County(0)
	ents := county.Enterprises
	cats := gridwarn.Categories
	levels := []gridwarn.Level{gridwarn.LevelBlue, gridwarn.LevelYellow, gridwarn.LevelOrange, gridwarn.LevelRed}
	r := rules.Default()
	version := r.Version()
	open := min(n, 2000, len(ents)*len(cats))
	now := time.Now().Truncate(time.Second)
	span := 3 * 365 * 24 * time.Hour
	base := now.Add(-span)
	step := span / time.Duration(n)
	rng := rand.New(rand.NewPCG(1, 2))
	i := 0
	cols := []string{"enterprise", "category", "level", "tier", "status", "event_count", "first_event_at", "last_event_at",
		"opened_at", "updated_at", "closed_at", "rules_version", "version", "county_code", "town_code", "grid_code"}
	pool := db.Pool()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"tickets"}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		e, cat := seedTicketOf(ents, i)
		var lv gridwarn.Level // 50 % blue, 30 % yellow, 15 % orange, 5 % red
		switch x := rng.IntN(100); {
		case x < 50:
			lv = levels[0]
		case x < 80:
			lv = levels[1]
		case x < 95:
			lv = levels[2]
		default:
			lv = levels[3]
		}
		opened := base.Add(time.Duration(i) * step)
		first := opened.Add(-time.Duration(rng.IntN(72)) * time.Hour)
		status, updated := "new", opened
		var closed *time.Time
		if i < n-open {
			c := opened.Add(time.Duration(1+rng.IntN(30*24)) * time.Hour)
			if c.After(now) {
				c = now
			}
			status, closed, updated = "closed", &c, c
		}
		row := []any{e.CreditCode, string(cat), string(lv), string(r.StartingTier(lv)), status, int32(1 + rng.IntN(3)), first, opened,
			opened, updated, closed, version, int32(1 + rng.IntN(3)), demo.CountyCode, e.TownCode, e.GridCode}
		i++
		return row, nil
	}))
	if err != nil {
		return fmt.Errorf("copy tickets: %w", err)
	}
	var minID int64
	if err := pool.QueryRow(ctx, "SELECT min(id) FROM tickets").Scan(&minID); err != nil {
		return err
	}
	ids := make([]int64, sample)
	for k := range sample {
		ids[k] = minID + int64(k)*int64(n/sample)
	}
	ids[sample-1] = minID + int64(n) - 1 // the newest ticket too
	// A decision as the engine stores it.
	ent := ents[0]
	ev := gridwarn.Event{ID: "seed", Enterprise: ent.CreditCode, Category: gridwarn.CategoryWageArrears, OccurredAt: now,
		WorkersInvolved: ptr(12), MonthsInArrears: ptr(1.5), Collective: ptr(true), Summary: "12名职工反映企业拖欠工资约1.5个月"}
	dec, err := json.Marshal(r.Decide(gridwarn.DecisionInput{Event: ev, Enterprise: ent, Now: now}))
	if err != nil {
		return err
	}
	stmts := []string{`
INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, months_in_arrears,
    collective, summary, reporter_kind, reporter_id, level, decision, subject, stream_seq, received_at)
SELECT 'seed-' || t.id || '-' || k, t.id, t.enterprise, t.category, t.first_event_at + (k - 1) * interval '2 hours',
    t.first_event_at + (k - 1) * interval '2 hours' + interval '30 minutes', 10 + k, 1.5, true,
    '12名职工反映企业拖欠工资约1.5个月', 'grid_worker', 'gw-seed', t.level, $2::jsonb, 'gridwarn.events.' || t.county_code,
    t.id * 3 + k, t.opened_at
FROM tickets t CROSS JOIN generate_series(1, 3) AS k
WHERE t.id = ANY($1)`, `
INSERT INTO ticket_history (ticket_id, at, actor, kind, event_id, to_value, note, data)
SELECT t.id, t.opened_at, 'system:engine', 'opened', NULL, t.level, NULL,
       jsonb_build_object('tier', t.tier, 'rules_version', t.rules_version)
FROM tickets t WHERE t.id = ANY($1)
UNION ALL
SELECT t.id, t.opened_at, 'system:engine', 'event_attached', 'seed-' || t.id || '-' || k, t.level, NULL, $2::jsonb
FROM tickets t CROSS JOIN generate_series(1, 3) AS k WHERE t.id = ANY($1)
UNION ALL
SELECT t.id, t.closed_at, 'mediator-' || t.town_code || '-1', 'closed', NULL, 'closed', '已协调企业补发工资', NULL
FROM tickets t WHERE t.id = ANY($1) AND t.closed_at IS NOT NULL`, `
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at, stopped_at, stop_reason)
SELECT t.id, t.tier, c.kind, t.opened_at, t.opened_at + c.remind, t.opened_at + c.due, t.closed_at,
       CASE WHEN t.closed_at IS NOT NULL THEN 'closed' END
FROM tickets t CROSS JOIN (VALUES ('accept', interval '19 hours', interval '1 day'),
                                  ('contact', interval '38 hours', interval '2 days'),
                                  ('resolve', interval '5 days', interval '7 days')) AS c(kind, remind, due)
WHERE t.id = ANY($1)`, `
-- The open tickets' running clocks at their tier: the work queue orders by
-- the nearest due time.
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at)
SELECT t.id, t.tier, c.kind, t.opened_at, t.opened_at + c.remind, t.opened_at + c.due
FROM tickets t CROSS JOIN (VALUES ('accept', interval '19 hours', interval '1 day'),
                                  ('contact', interval '38 hours', interval '2 days'),
                                  ('resolve', interval '5 days', interval '7 days')) AS c(kind, remind, due)
WHERE t.closed_at IS NULL AND t.id <> ALL($1)`}
	for _, q := range stmts {
		args := []any{ids}
		if strings.Contains(q, "$2") {
			args = append(args, dec)
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("seed ticket details: %w", err)
		}
	}
	if _, err := db.RebuildRollup(ctx, nil); err != nil { // the detail events, as the engine would count them
		return err
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// seedTicketOf is the enterprise and category of seedTickets' i-th ticket.
func seedTicketOf(ents []gridwarn.Enterprise, i int) (gridwarn.Enterprise, gridwarn.Category) {
	return ents[i%len(ents)], gridwarn.Categories[(i/len(ents))%len(gridwarn.Categories)]
}

func ptr[T any](v T) *T { return &v }

// machine describes the machine and the durability settings in force, as
// a fresh bench database sees them.
func (r *runner) machine(ctx context.Context) (machineInfo, error) {
	var m machineInfo
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kib); err == nil {
			mem = fmt.Sprintf("%.1f GiB RAM", float64(kib)/(1<<20))
		}
	}
	// Durability settings as a bench database sees them.
	name, u, err := r.pg.create(ctx, "probe", "", r.o.SynchronousCommit)
	if err != nil {
		return m, err
	}
	defer func() { _ = r.pg.drop(context.WithoutCancel(ctx), name) }()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return m, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	var pgVersion, syncCommit, fsync, sharedBuffers string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('synchronous_commit'),
current_setting('fsync'), current_setting('shared_buffers')`).Scan(&pgVersion, &syncCommit, &fsync, &sharedBuffers); err != nil {
		return m, err
	}
	m.Machine = []string{
		fmt.Sprintf("%d cores (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)), cpu, mem, kernel,
		runtime.Version(), "PostgreSQL " + pgVersion + " (same machine, loopback TCP)", "nats-server " + server.VERSION + " (embedded)",
		version.String(),
	}
	syncInterval := "always (fsync before every ack; natsbus.StartEmbedded SyncInterval 0)"
	if r.o.SyncInterval > 0 {
		syncInterval = r.o.SyncInterval.String() + " (NOT the production default)"
	}
	sc := "synchronous_commit " + syncCommit
	if r.o.SynchronousCommit != "" {
		sc += " (set by --synchronous-commit; NOT the production default)"
	} else {
		sc += " (server default)"
	}
	c := r.o.Config
	m.Settings = []string{
		"JetStream file store, sync_interval " + syncInterval,
		sc, "fsync " + fsync, "shared_buffers " + sharedBuffers,
		fmt.Sprintf("engine.batch_size %d, consumer max_ack_pending %d, database.max_conns %d", c.Engine.BatchSize, c.NATS.Consumer.MaxAckPending, c.Database.MaxConns),
		"clients reach the broker and the API over loopback TCP",
		fmt.Sprintf("%d repetitions per figure, each with a fresh database (CREATE DATABASE … TEMPLATE) and a fresh broker and stream", r.o.Reps),
	}
	return m, nil
}
