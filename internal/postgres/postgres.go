// Package postgres is gridwarn's system of record: the pgx/v5 pool, the
// embedded migrations and the SQL behind the domain services. Driver errors
// are translated into gridwarn errors here and nowhere else.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configures Open.
type Options struct {
	URL string
	// ReadURL, when set, is a read replica: Dashboard and the weekly
	// summaries' reads use it (they may lag by the replication delay);
	// everything else uses URL.
	ReadURL          string
	MaxConns         int32
	ConnectTimeout   time.Duration
	StatementTimeout time.Duration
	Logger           *slog.Logger
	// IndependentThreshold is the headcount from which an enterprise gets
	// its own independent grid when an import leaves its grid empty.
	IndependentThreshold int
	// Lease is how long a claim holds a ticket (default 30m).
	Lease time.Duration
	// AllowSelfReview lifts the separation of duties: the person who
	// replied may review their own reply (default false).
	AllowSelfReview bool
	// HandoffPeers are the counties on other deployments that hand-offs
	// may go to (config handoff.peers); a county of this deployment's
	// registry needs no entry.
	HandoffPeers []string
	// The legal clocks shown with a ticket (defaults 15, 365, [300 350]).
	MediationDays, LimitationDays int
	LimitationAlarms              []int
	// Sessions configures password sign-in (defaults: SessionDefaults).
	Sessions SessionOptions
	// IdentityRetention is how long after a ticket closed its reporters'
	// identities are kept before the sweeper erases them (default 365 days).
	IdentityRetention time.Duration
	// Tracer, when set, sees every query and batch the pool sends (tests
	// count round trips with it).
	Tracer pgx.QueryTracer
	// Now is the clock of the ticket services: the time a step, a lease,
	// a clock start and a notification carry (default time.Now). The
	// engine and the sweeper hand in their own time where they have one.
	Now func() time.Time
	// Location is the county's calendar: the day a visit may be dated
	// (default Asia/Shanghai).
	Location *time.Location
}

// DB is the connection pool and the services built on it.
type DB struct {
	pool       *pgxpool.Pool
	read       *pgxpool.Pool // the read replica's pool, or pool
	log        *slog.Logger
	threshold  int
	lease      time.Duration
	selfReview bool
	// handoffPeers are the counties on other deployments that hand-offs
	// may go to (config handoff.peers).
	handoffPeers map[string]bool
	legal        legalRules
	planner      atomic.Pointer[planner]
	sessions     SessionOptions
	now          func() time.Time
	dummy        struct {
		once sync.Once
		hash []byte
	}
	key struct { // the pseudonyms' key, read once
		mu sync.Mutex
		b  []byte
	}
	retention time.Duration
	loc       *time.Location
	// auth caches resolved bearer tokens (authcache.go); listenAuth
	// empties it when any replica notifies a change.
	auth       authCache
	stopListen context.CancelFunc
	listenDone chan struct{}
	closeOnce  sync.Once
	// feedSchema: the database has the feed's numbering (migration
	// 00030); remembered once seen, forgotten by a migration.
	feedSchema atomic.Bool
}

// Open creates the pool. It does not wait for the database: Ping does.
func Open(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	}
	if o.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(o.StatementTimeout.Milliseconds())
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprint((2 * o.StatementTimeout).Milliseconds())
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "gridwarn"
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	read := pool
	if o.ReadURL != "" {
		rcfg, err := pgxpool.ParseConfig(o.ReadURL)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("database read_url: %w", err)
		}
		rcfg.MaxConns = cfg.MaxConns
		rcfg.ConnConfig.ConnectTimeout = cfg.ConnConfig.ConnectTimeout
		for k, v := range cfg.ConnConfig.RuntimeParams {
			rcfg.ConnConfig.RuntimeParams[k] = v
		}
		rcfg.ConnConfig.Tracer = cfg.ConnConfig.Tracer
		if read, err = pgxpool.NewWithConfig(ctx, rcfg); err != nil {
			pool.Close()
			return nil, fmt.Errorf("database read pool: %w", err)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	loc := o.Location
	if loc == nil {
		if loc, err = time.LoadLocation("Asia/Shanghai"); err != nil {
			return nil, fmt.Errorf("time zone: %w", err)
		}
	}
	db := &DB{pool: pool, read: read, loc: loc, log: log, threshold: o.IndependentThreshold, lease: o.Lease, selfReview: o.AllowSelfReview,
		legal:    legalRules{mediation: o.MediationDays, limitation: o.LimitationDays, alarms: o.LimitationAlarms},
		sessions: o.Sessions.withDefaults(), now: now, retention: o.IdentityRetention, listenDone: make(chan struct{})}
	db.handoffPeers = map[string]bool{}
	for _, c := range o.HandoffPeers {
		db.handoffPeers[c] = true
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stopListen = stop
	lcfg := cfg.ConnConfig.Copy()
	lcfg.Tracer = nil // the listener's waits are no request's round trips
	go db.listenAuth(lctx, lcfg)
	return db, nil
}

// Close closes the pool. It is safe to call more than once.
func (db *DB) Close() {
	db.closeOnce.Do(func() {
		db.stopListen()
		<-db.listenDone
	})
	db.pool.Close()
	if db.read != db.pool {
		db.read.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("%w: %w", gridwarn.ErrUnreachable, err)}
	}
	return nil
}

// Pool exposes the pool to tests and benchmarks in other packages.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// ReadPool is the pool of the dashboards and summaries: the read replica's
// when Options.ReadURL is set, else Pool.
func (db *DB) ReadPool() *pgxpool.Pool { return db.read }

func (db *DB) migrator() (*goose.Provider, *sql.DB, error) {
	db.feedSchema.Store(false)
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	// Replicas starting together take turns: the session-level advisory lock
	// is held for the whole run.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, nil, err
	}
	sqldb := stdlib.OpenDBFromPool(db.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, sub,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqldb.Close()
		return nil, nil, err
	}
	return p, sqldb, nil
}

// Migrate applies every pending migration under an advisory lock and
// returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, sqldb, err := db.migrator()
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer sqldb.Close()
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		db.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	// The daily rollup follows the configured time zone.
	if _, err := db.EnsureRollupZone(ctx); err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	return len(res), nil
}

// MigrationStatus is one migration and when it was applied (zero: pending).
type MigrationStatus struct {
	Version   int64
	File      string
	AppliedAt time.Time
}

// MigrationStatus lists every migration known to this binary.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, sqldb, err := db.migrator()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer sqldb.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, File: s.Source.Path, AppliedAt: s.AppliedAt})
	}
	return out, nil
}

// translate turns driver errors into gridwarn errors. It is the only place
// that knows pgx's and PostgreSQL's error values:
//
//   - no rows: ENOTFOUND;
//   - a unique violation: ECONFLICT;
//   - any other data exception or integrity violation (classes 22 and 23):
//     EINVALID — the input cannot be stored as it is;
//   - a database that cannot be reached or is not serving — connection
//     refused, reset or closed, starting up (57P03), shutting down (57P01,
//     57P02), out of connections or disk (class 53), no connection from the
//     pool in time: EUNAVAILABLE marked gridwarn.ErrUnreachable — nothing was
//     done, wait for it;
//   - a working database that lost a deadlock or serialization race, or
//     cancelled a statement that ran too long: EUNAVAILABLE — retry later;
//   - anything else (a bug, a missing migration): EINTERNAL.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ge *gridwarn.Error
	if errors.As(err, &ge) {
		return err
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "%s not found", what)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return &gridwarn.Error{Code: gridwarn.ECONFLICT, Message: what + " already exists", Err: err}
	case errors.As(err, &pgErr) && pgErr.Code[:2] == "22":
		// The database's words (names, encodings) go to the log, not to the caller.
		return &gridwarn.Error{Code: gridwarn.EINVALID, Message: what + ": a value is out of range, too long or not valid text", Err: err}
	case errors.As(err, &pgErr) && pgErr.Code[:2] == "23":
		return &gridwarn.Error{Code: gridwarn.EINVALID, Message: what + ": the data breaks a rule of the registry (a missing reference or a value not allowed)", Err: err}
	case unreachable(err):
		return &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable",
			Err: fmt.Errorf("%s: %w: %w", what, gridwarn.ErrUnreachable, err)}
	case errors.As(err, &pgErr) && retryable(pgErr.Code):
		return &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("%s: %w", what, err)}
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// unreachable reports whether err says that the database could not be
// reached or was not serving, so that the statement never ran.
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "53", "58": // connection exception, insufficient resources, system error
			return true
		case "57": // operator intervention: shutdown, starting up — but a cancelled statement ran
			return pgErr.Code != "57014"
		}
		return false
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// retryable reports whether a PostgreSQL error of a working server is worth
// retrying later: the transaction lost a race or ran too long.
func retryable(code string) bool {
	switch code {
	case "40001", "40P01", "55P03", "25P03", "57014": // serialization failure, deadlock, lock not available, idle-in-transaction timeout, statement timeout
		return true
	}
	return false
}
