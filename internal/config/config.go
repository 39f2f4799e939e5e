// Package config loads gridwarn's configuration: one struct with defaults,
// decoded strictly from YAML (an unknown key is an error naming the key),
// overridden by GRIDWARN_* environment variables, validated with readable
// messages, and printed with its secrets redacted.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// EnvPrefix prefixes every environment variable that overrides a setting:
// nats.consumer.ack_wait is GRIDWARN_NATS_CONSUMER_ACK_WAIT.
const EnvPrefix = "GRIDWARN_"

// Config is every setting of gridwarn. configs/gridwarn.yaml documents each
// one with its default; Default returns the same values.
type Config struct {
	DataDir         string        `yaml:"data_dir" env:"DATA_DIR"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"SHUTDOWN_TIMEOUT"`
	Log             Log           `yaml:"log" envPrefix:"LOG_"`
	Roles           Roles         `yaml:"roles" envPrefix:"ROLES_"`
	Database        Database      `yaml:"database" envPrefix:"DATABASE_"`
	NATS            NATS          `yaml:"nats" envPrefix:"NATS_"`
	Engine          Engine        `yaml:"engine" envPrefix:"ENGINE_"`
	API             API           `yaml:"api" envPrefix:"API_"`
	Scheduler       Scheduler     `yaml:"scheduler" envPrefix:"SCHEDULER_"`
	Registry        Registry      `yaml:"registry" envPrefix:"REGISTRY_"`
	Rules           Rules         `yaml:"rules" envPrefix:"RULES_"`
	Notify          Notify        `yaml:"notify" envPrefix:"NOTIFY_"`
	Queue           Queue         `yaml:"queue" envPrefix:"QUEUE_"`
	Legal           Legal         `yaml:"legal" envPrefix:"LEGAL_"`
	Events          Events        `yaml:"events" envPrefix:"EVENTS_"`
	UI              UI            `yaml:"ui" envPrefix:"UI_"`
	Privacy         Privacy       `yaml:"privacy" envPrefix:"PRIVACY_"`
	Visits          Visits        `yaml:"visits" envPrefix:"VISITS_"`
	Unionization    Unionization  `yaml:"unionization" envPrefix:"UNIONIZATION_"`
	Feed            Feed          `yaml:"feed" envPrefix:"FEED_"`
	Handoff         Handoff       `yaml:"handoff" envPrefix:"HANDOFF_"`
}

// Handoff configures hand-offs to counties on other gridwarn deployments
// (issue 17 item 3, DECISIONS D11). A county of this deployment's registry
// needs nothing here: its hand-offs are stored at once.
type Handoff struct {
	// NATS: hand-offs to peers without a url travel over this
	// deployment's NATS (gridwarn.handoff.<county>, shared cluster or leaf
	// nodes), and this deployment answers those sent to its counties.
	NATS bool `yaml:"nats" env:"NATS"`
	// Peers are the counties on other deployments.
	Peers []HandoffPeer `yaml:"peers"`
}

// HandoffPeer is a county on another deployment.
type HandoffPeer struct {
	County string `yaml:"county"` // six digits
	// URL is the peer's base URL (its /peer/v1/handoffs receives our
	// hand-offs); empty: over NATS.
	URL string `yaml:"url"`
	// Key signs the HTTPS requests both ways: the same secret on both
	// deployments.
	Key Secret `yaml:"key"`
}

// Feed configures the push side of the feed of ticket changes for the
// governance platform (the relay role); the pull side,
// GET /api/v1/feed, needs nothing.
type Feed struct {
	// WebhookURL receives every ticket change as a CloudEvent, signed with
	// Secret ("" — no webhook).
	WebhookURL string `yaml:"webhook_url" env:"WEBHOOK_URL"`
	Secret     Secret `yaml:"secret" env:"SECRET"`
	// NATS publishes every change on gridwarn.feed.<county code> (stream
	// GRIDWARN_FEED).
	NATS bool `yaml:"nats" env:"NATS"`
	// PollInterval is how often the relay looks for new changes when idle.
	PollInterval time.Duration `yaml:"poll_interval" env:"POLL_INTERVAL"`
}

// Unionization configures the unionization drive's circular.
type Unionization struct {
	// YearlyTarget is the share of the list a year begins with that should
	// have a union of its own by the year's end (a default of this
	// project: the sources set none).
	YearlyTarget float64 `yaml:"yearly_target" env:"YEARLY_TARGET"`
}

// Visits configures the coverage targets of visits to enterprises: the
// share of a unit's enterprises, and of its key enterprises, to visit in a
// month, a quarter and a year (0: no target).
type Visits struct {
	Month   VisitTarget `yaml:"month" envPrefix:"MONTH_"`
	Quarter VisitTarget `yaml:"quarter" envPrefix:"QUARTER_"`
	Year    VisitTarget `yaml:"year" envPrefix:"YEAR_"`
}

// VisitTarget is one period's targets, shares from 0 to 1.
type VisitTarget struct {
	Enterprises    float64 `yaml:"enterprises" env:"ENTERPRISES"`
	KeyEnterprises float64 `yaml:"key_enterprises" env:"KEY_ENTERPRISES"`
	// Villages: the share of villages (村、社区) with a visit, measured
	// only where the registry names villages (D12).
	Villages float64 `yaml:"villages" env:"VILLAGES"`
}

// CoverageTarget is the coverage target of a period of kind k.
func (c Config) CoverageTarget(k gridwarn.PeriodKind) gridwarn.CoverageTarget {
	t := c.Visits.Year
	switch k {
	case gridwarn.PeriodMonth:
		t = c.Visits.Month
	case gridwarn.PeriodQuarter:
		t = c.Visits.Quarter
	}
	return gridwarn.CoverageTarget{Enterprises: t.Enterprises, KeyEnterprises: t.KeyEnterprises, Villages: t.Villages}
}

// Privacy configures the protection of the people who report.
type Privacy struct {
	// IdentityRetention: the reporters' identities of a ticket are erased
	// this long after it closed (the sweeper does it and says so in the
	// ticket's history).
	IdentityRetention time.Duration `yaml:"identity_retention" env:"IDENTITY_RETENTION"`
}

// UI configures the web console served under /ui/ by the API role.
type UI struct {
	Enabled bool `yaml:"enabled" env:"ENABLED"`
	// SecureCookies marks the session cookie Secure. Browsers accept Secure
	// cookies from http://localhost and http://127.0.0.1; elsewhere serve
	// the console over HTTPS (a reverse proxy that terminates TLS).
	SecureCookies bool `yaml:"secure_cookies" env:"SECURE_COOKIES"`
	// SessionTTL is how long a sign-in lasts.
	SessionTTL time.Duration `yaml:"session_ttl" env:"SESSION_TTL"`
	// MaxFailedSignIns within LockoutWindow for one username from one client
	// address lock that pair out for Lockout.
	MaxFailedSignIns int           `yaml:"max_failed_sign_ins" env:"MAX_FAILED_SIGN_INS"`
	LockoutWindow    time.Duration `yaml:"lockout_window" env:"LOCKOUT_WINDOW"`
	Lockout          time.Duration `yaml:"lockout" env:"LOCKOUT"`
	// BcryptCost is the cost of new password hashes (4–31; each step
	// doubles the time a sign-in takes).
	BcryptCost int `yaml:"bcrypt_cost" env:"BCRYPT_COST"`
}

// Queue configures the mediators' queue.
type Queue struct {
	// Lease is how long a claim holds a ticket; a lapsed claim returns the
	// ticket to the queue (the sweeper releases it, in the history).
	Lease time.Duration `yaml:"lease" env:"LEASE"`
	// AllowSelfReview lets the person who replied to a ticket also review
	// (approve) that reply. Off by default: separation of duties, a reply
	// is checked by a second person.
	AllowSelfReview bool `yaml:"allow_self_review" env:"ALLOW_SELF_REVIEW"`
}

// Legal configures the legal clocks shown with a ticket (PRC Labor Dispute
// Mediation and Arbitration Law).
type Legal struct {
	// MediationDays: with no agreement this many days after a mediating
	// tier accepted, the party may go to arbitration (art. 14).
	MediationDays int `yaml:"mediation_days" env:"MEDIATION_DAYS"`
	// LimitationDays: the limitation period from the earliest occurred_at
	// (art. 27: one year), with alarms on the listed days.
	LimitationDays   int   `yaml:"limitation_days" env:"LIMITATION_DAYS"`
	LimitationAlarms []int `yaml:"limitation_alarms" env:"LIMITATION_ALARMS"`
}

// Events bounds the dates of events (gridwarn.EventWindow), on every path:
// the API and the console answer 422, the engine sets the event aside as a
// dead letter (date_out_of_window), `gridwarn publish` does not send it.
type Events struct {
	// MaxFuture: how far after the time it is received occurred_at (and
	// reported_at) may lie — clocks of phones are not exact.
	MaxFuture time.Duration `yaml:"max_future" env:"MAX_FUTURE"`
	// AgeMarginDays: occurred_at may lie legal.limitation_days plus this
	// many days before the time it is received; older is no dispute the
	// limitation still allows.
	AgeMarginDays int `yaml:"age_margin_days" env:"AGE_MARGIN_DAYS"`
}

// EventWindow is the window the settings describe.
func (c Config) EventWindow() gridwarn.EventWindow {
	return gridwarn.EventWindow{
		MaxFuture: c.Events.MaxFuture,
		MaxAge:    time.Duration(c.Legal.LimitationDays+c.Events.AgeMarginDays) * 24 * time.Hour,
	}
}

// Rules configures the rules engine.
type Rules struct {
	// File is the rules file; empty means the built-in default (identical
	// to configs/rules.yaml). SIGHUP or POST /api/v1/rules/reload re-reads it.
	File string `yaml:"file" env:"FILE"`
	// TimeScale multiplies every time limit (1 in production; the demo
	// uses a small one so that escalations happen within minutes).
	TimeScale float64 `yaml:"time_scale" env:"TIME_SCALE"`
}

// Notify configures the delivery of notifications from the outbox.
type Notify struct {
	PollInterval time.Duration `yaml:"poll_interval" env:"POLL_INTERVAL"`
	Webhooks     []Webhook     `yaml:"webhooks" envPrefix:"WEBHOOKS"`
}

// Webhook is an outgoing webhook: every notification (or those of Topics)
// is POSTed to URL, signed with HMAC-SHA256 over timestamp and body.
type Webhook struct {
	Name   string   `yaml:"name" env:"NAME"`
	URL    string   `yaml:"url" env:"URL"`
	Secret Secret   `yaml:"secret" env:"SECRET"`
	Format string   `yaml:"format" env:"FORMAT"` // json, wecom or dingtalk
	Topics []string `yaml:"topics" env:"TOPICS"`
}

// Registry configures the territory's rules.
type Registry struct {
	// IndependentThreshold is the headcount from which an enterprise gets
	// its own independent grid when it is registered without a grid.
	IndependentThreshold int `yaml:"independent_threshold" env:"INDEPENDENT_THRESHOLD"`
}

// Log configures the structured log on standard error.
type Log struct {
	Level  string `yaml:"level" env:"LEVEL"`   // debug, info, warn, error
	Format string `yaml:"format" env:"FORMAT"` // json or text
}

// Roles switches the parts of `gridwarn serve` on and off, so that they can
// run in one process or as separate ones.
type Roles struct {
	API       bool `yaml:"api" env:"API"`
	Engine    bool `yaml:"engine" env:"ENGINE"`
	Scheduler bool `yaml:"scheduler" env:"SCHEDULER"`
	// Relay delivers the outbox (notifications to NATS and the webhooks).
	// Several relays may run at once; each notification is delivered once.
	Relay bool `yaml:"relay" env:"RELAY"`
}

// Database configures the PostgreSQL pool.
type Database struct {
	URL string `yaml:"url" env:"URL"`
	// ReadURL, when set, is a read replica (streaming, hot standby): the
	// dashboards and the weekly summaries are read from it, everything else
	// (sign-ins, tokens, tickets, the engine) from URL.
	ReadURL          string        `yaml:"read_url" env:"READ_URL"`
	MaxConns         int32         `yaml:"max_conns" env:"MAX_CONNS"`
	ConnectTimeout   time.Duration `yaml:"connect_timeout" env:"CONNECT_TIMEOUT"`
	StatementTimeout time.Duration `yaml:"statement_timeout" env:"STATEMENT_TIMEOUT"`
	MigrateOnStart   bool          `yaml:"migrate_on_start" env:"MIGRATE_ON_START"`
}

// NATS configures the broker: an embedded server when URL is empty,
// otherwise a connection to an external server or cluster.
type NATS struct {
	URL            string        `yaml:"url" env:"URL"`
	User           string        `yaml:"user" env:"USER"`
	Password       Secret        `yaml:"password" env:"PASSWORD"`
	Token          Secret        `yaml:"token" env:"TOKEN"`
	CredsFile      string        `yaml:"creds_file" env:"CREDS_FILE"`
	NKeySeedFile   string        `yaml:"nkey_seed_file" env:"NKEY_SEED_FILE"`
	TLS            TLS           `yaml:"tls" envPrefix:"TLS_"`
	ConnectTimeout time.Duration `yaml:"connect_timeout" env:"CONNECT_TIMEOUT"`
	Embedded       Embedded      `yaml:"embedded" envPrefix:"EMBEDDED_"`
	Stream         Stream        `yaml:"stream" envPrefix:"STREAM_"`
	Consumer       Consumer      `yaml:"consumer" envPrefix:"CONSUMER_"`
}

// TLS configures a TLS connection to an external NATS server.
type TLS struct {
	CAFile   string `yaml:"ca_file" env:"CA_FILE"`
	CertFile string `yaml:"cert_file" env:"CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"KEY_FILE"`
}

// Embedded configures the in-process nats-server used when nats.url is empty.
type Embedded struct {
	Host string `yaml:"host" env:"HOST"`
	Port int    `yaml:"port" env:"PORT"` // -1 picks a free port
	// StoreDir defaults to <data_dir>/nats.
	StoreDir string `yaml:"store_dir" env:"STORE_DIR"`
	// SyncInterval is "always" (fsync before every acknowledgement) or a
	// duration such as 2m (nats-server's own default, which can lose
	// acknowledged events when the machine crashes).
	SyncInterval string   `yaml:"sync_interval" env:"SYNC_INTERVAL"`
	MaxStore     ByteSize `yaml:"max_store" env:"MAX_STORE"`
	MaxPayload   ByteSize `yaml:"max_payload" env:"MAX_PAYLOAD"`
	// Publishers, when any, make the server require authentication: each
	// may publish only its county's events (gridwarn.events.<county> and
	// gridwarn.events.<county>.>). Empty: no authentication (loopback).
	// From the environment: GRIDWARN_NATS_EMBEDDED_PUBLISHERS_<i>_USER,
	// _PASSWORD, _NKEY, _COUNTY (i = 0, 1, 2… without gaps; they override
	// the fields of the file's entry i where it has one).
	Publishers []EmbeddedPublisher `yaml:"publishers" envPrefix:"PUBLISHERS_"`
}

// EmbeddedPublisher is a reporter allowed to publish one county's events
// to the embedded server: user and password, or a public user nkey.
type EmbeddedPublisher struct {
	User string `yaml:"user" env:"USER"`
	// Password is the plain password or its bcrypt hash ($2a$…).
	Password Secret `yaml:"password" env:"PASSWORD"`
	// NKey is a public user nkey (U…), instead of user and password.
	NKey   string `yaml:"nkey" env:"NKEY"`
	County string `yaml:"county" env:"COUNTY"` // six digits
}

// Stream configures the GRIDWARN_EVENTS stream.
type Stream struct {
	Replicas        int           `yaml:"replicas" env:"REPLICAS"`
	MaxAge          time.Duration `yaml:"max_age" env:"MAX_AGE"`
	MaxBytes        ByteSize      `yaml:"max_bytes" env:"MAX_BYTES"`
	MaxMsgSize      ByteSize      `yaml:"max_msg_size" env:"MAX_MSG_SIZE"`
	DuplicateWindow time.Duration `yaml:"duplicate_window" env:"DUPLICATE_WINDOW"`
	// Counties are county leaf nodes (an external cluster only): each has
	// its own JetStream domain and a local stream of its county's events
	// that GRIDWARN_EVENTS sources.
	Counties []CountyLeaf `yaml:"counties" envPrefix:"COUNTIES_"`
}

// CountyLeaf is a county's leaf node.
type CountyLeaf struct {
	County string `yaml:"county" env:"COUNTY"` // six digits
	Domain string `yaml:"domain" env:"DOMAIN"` // the leaf's JetStream domain
}

// Consumer configures the engine's durable pull consumer.
type Consumer struct {
	Durable       string          `yaml:"durable" env:"DURABLE"`
	AckWait       time.Duration   `yaml:"ack_wait" env:"ACK_WAIT"`
	MaxDeliver    int             `yaml:"max_deliver" env:"MAX_DELIVER"`
	BackOff       []time.Duration `yaml:"backoff" env:"BACKOFF"`
	MaxAckPending int             `yaml:"max_ack_pending" env:"MAX_ACK_PENDING"`
}

// Engine configures the event consumer that turns events into tickets.
type Engine struct {
	BatchSize int `yaml:"batch_size" env:"BATCH_SIZE"`
	// Workers is how many batches the engine may decide and commit at
	// once; an enterprise's events in hand stay with one worker, and the
	// others help once the first holds a tenth of a batch.
	Workers       int             `yaml:"workers" env:"WORKERS"`
	MaxEventBytes ByteSize        `yaml:"max_event_bytes" env:"MAX_EVENT_BYTES"`
	NakDelays     []time.Duration `yaml:"nak_delays" env:"NAK_DELAYS"`
}

// API configures the HTTP server.
type API struct {
	Listen string `yaml:"listen" env:"LISTEN"`
	// PublicURL is where people reach this service (the web console), e.g.
	// https://gridwarn.example.cn or http://127.0.0.1:8080, as an http(s)
	// URL without query or fragment. Notifications link to the console
	// under it (<public_url>/ui/tickets/<id>); empty: no links.
	PublicURL         string        `yaml:"public_url" env:"PUBLIC_URL"`
	MaxBodyBytes      ByteSize      `yaml:"max_body_bytes" env:"MAX_BODY_BYTES"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" env:"READ_HEADER_TIMEOUT"`
	ReadTimeout       time.Duration `yaml:"read_timeout" env:"READ_TIMEOUT"`
	WriteTimeout      time.Duration `yaml:"write_timeout" env:"WRITE_TIMEOUT"`
	IdleTimeout       time.Duration `yaml:"idle_timeout" env:"IDLE_TIMEOUT"`
}

// Scheduler configures the cron jobs.
type Scheduler struct {
	TimeZone string `yaml:"time_zone" env:"TIME_ZONE"`
	// ConsumerStats is the cron spec of the job that publishes the engine
	// consumer's backlog as metrics.
	ConsumerStats string `yaml:"consumer_stats" env:"CONSUMER_STATS"`
	// Sweep is the cron spec of the escalation sweeper: reminders, breaches,
	// escalations. It also runs once at start to catch up.
	Sweep string `yaml:"sweep" env:"SWEEP"`
	// WeeklySummary is the cron spec (in time_zone) of the weekly summary of
	// the previous ISO week for the county and each town. Weeks missed while
	// the service was down are built at start.
	WeeklySummary string `yaml:"weekly_summary" env:"WEEKLY_SUMMARY"`
	// UnionCircular is the cron spec (in time_zone) of the unionization
	// drive's circular of the previous month for the county and each town.
	// Months missed while the service was down are built at start.
	UnionCircular string `yaml:"union_circular" env:"UNION_CIRCULAR"`
	// PeriodReports is the cron spec (in time_zone) of the monthly push of
	// the previous month and, after a quarter's last month, the quarterly
	// analysis, for the county and each town; after the circulars, which
	// they read. Months missed are built at start.
	PeriodReports string `yaml:"period_reports" env:"PERIOD_REPORTS"`
	// Partitions is the cron spec (in time_zone) of the job that creates
	// the monthly partitions of events and ticket_history for this month
	// and the next two (once across replicas). It also runs at start.
	Partitions string `yaml:"partitions" env:"PARTITIONS"`
	// Backlog is the cron spec (in time_zone) of the job that snapshots the
	// tickets open at the last midnight (migration 00040), which the weekly
	// summary reads for its weeks' ends; shortly after midnight, and at start
	// for the last 15 days without one.
	Backlog string `yaml:"backlog" env:"BACKLOG"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DataDir:         "data",
		ShutdownTimeout: 30 * time.Second,
		Log:             Log{Level: "info", Format: "json"},
		Roles:           Roles{API: true, Engine: true, Scheduler: true, Relay: true},
		Database: Database{
			MaxConns:         10,
			ConnectTimeout:   5 * time.Second,
			StatementTimeout: 30 * time.Second,
			MigrateOnStart:   true,
		},
		NATS: NATS{
			ConnectTimeout: 5 * time.Second,
			Embedded: Embedded{
				Host:         "127.0.0.1",
				Port:         4222,
				SyncInterval: "always",
				MaxStore:     10 << 30,
				MaxPayload:   1 << 20,
				Publishers:   []EmbeddedPublisher{},
			},
			Stream: Stream{
				Replicas:        1,
				MaxAge:          90 * 24 * time.Hour,
				MaxBytes:        5 << 30,
				MaxMsgSize:      1 << 20,
				DuplicateWindow: 10 * time.Minute,
			},
			Consumer: Consumer{
				Durable:       "gridwarn-engine",
				AckWait:       30 * time.Second,
				MaxDeliver:    50,
				BackOff:       nil,
				MaxAckPending: 2000,
			},
		},
		Engine: Engine{
			BatchSize:     200,
			Workers:       4,
			MaxEventBytes: 16 << 10,
			NakDelays:     []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute},
		},
		API: API{
			Listen:            "127.0.0.1:8080",
			MaxBodyBytes:      64 << 10,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		Scheduler: Scheduler{
			TimeZone:      "Asia/Shanghai",
			ConsumerStats: "@every 15s",
			Sweep:         "@every 1m",
			WeeklySummary: "0 8 * * 1",
			UnionCircular: "0 8 1 * *",
			PeriodReports: "30 8 1 * *",
			Partitions:    "30 3 * * *",
			Backlog:       "2 0 * * *",
		},
		Registry: Registry{IndependentThreshold: 200},
		Rules:    Rules{TimeScale: 1},
		Notify:   Notify{PollInterval: time.Second},
		Feed:     Feed{PollInterval: time.Second},
		Queue:    Queue{Lease: 30 * time.Minute},
		Legal:    Legal{MediationDays: 15, LimitationDays: 365, LimitationAlarms: []int{300, 350}},
		Privacy:  Privacy{IdentityRetention: 365 * 24 * time.Hour},
		// Grid workers: key enterprises every month, the rest every
		// quarter; the year: seed 004's 95 % of enterprises and 90 % of
		// villages (where the registry names villages).
		Unionization: Unionization{YearlyTarget: 1},
		Visits: Visits{Month: VisitTarget{KeyEnterprises: 1}, Quarter: VisitTarget{Enterprises: 1, KeyEnterprises: 1},
			Year: VisitTarget{Enterprises: 0.95, KeyEnterprises: 1, Villages: 0.9}},
		Events: Events{MaxFuture: 5 * time.Minute, AgeMarginDays: 30},
		UI: UI{Enabled: true, SecureCookies: true, SessionTTL: 12 * time.Hour, MaxFailedSignIns: 5,
			LockoutWindow: 15 * time.Minute, Lockout: 15 * time.Minute, BcryptCost: 12},
	}
}

// Load reads the file at path (none when path is ""), applies the
// environment and validates the result.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := Decode(f, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := ApplyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Decode reads YAML into cfg strictly: an unknown key is an error that names
// it and its line. Keys absent from the file keep cfg's values.
func Decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// ApplyEnv overrides cfg with GRIDWARN_* variables from environ
// (os.Environ() in production).
func ApplyEnv(cfg *Config, environ []string) error {
	m := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			m[k] = v
		}
	}
	if err := env.ParseWithOptions(cfg, env.Options{Prefix: EnvPrefix, Environment: m}); err != nil {
		return fmt.Errorf("config: environment: %w", err)
	}
	return nil
}

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	if c.Database.URL != "" {
		if _, err := url.Parse(c.Database.URL); err != nil && strings.Contains(c.Database.URL, "://") {
			bad("database.url", "is not a URL: %v", err)
		}
	}
	if c.Database.ReadURL != "" {
		if _, err := url.Parse(c.Database.ReadURL); err != nil && strings.Contains(c.Database.ReadURL, "://") {
			bad("database.read_url", "is not a URL: %v", err)
		}
	}
	if c.Database.MaxConns < 1 {
		bad("database.max_conns", "must be at least 1")
	}
	if c.NATS.URL == "" {
		if c.NATS.Embedded.Host == "" {
			bad("nats.embedded.host", "must not be empty")
		}
		if p := c.NATS.Embedded.Port; p < -1 || p > 65535 {
			bad("nats.embedded.port", "must be -1 (any free port) or 0–65535, not %d", p)
		}
		if _, err := c.NATS.Embedded.Sync(); err != nil {
			bad("nats.embedded.sync_interval", "%v", err)
		}
		users, keys := make(map[string]bool), make(map[string]bool)
		for i, p := range c.NATS.Embedded.Publishers {
			key := fmt.Sprintf("nats.embedded.publishers[%d]", i)
			if len(p.County) != 6 || strings.Trim(p.County, "0123456789") != "" {
				bad(key+".county", "must be six digits, not %q", p.County)
			}
			switch {
			case p.NKey != "" && (p.User != "" || p.Password != ""):
				bad(key, "set either user and password or nkey, not both")
			case p.NKey != "":
				if !nkeys.IsValidPublicUserKey(p.NKey) {
					bad(key+".nkey", "must be a public user nkey (U…), never the seed (SU…)")
				}
				if keys[p.NKey] {
					bad(key+".nkey", "appears twice")
				}
				keys[p.NKey] = true
			default:
				if p.User == "" || p.User == "gridwarn-internal" { // natsbus.InternalUser
					bad(key+".user", "must be set and not gridwarn-internal (or set nkey instead)")
				} else if users[p.User] {
					bad(key+".user", "%q appears twice", p.User)
				}
				users[p.User] = true
				if len(p.Password) < 12 {
					bad(key+".password", "must be at least 12 characters")
				}
			}
		}
	}
	seenCounty := map[string]bool{}
	for i, l := range c.NATS.Stream.Counties {
		key := fmt.Sprintf("nats.stream.counties[%d]", i)
		if c.NATS.URL == "" {
			bad(key, "county leaf nodes need an external cluster (nats.url)")
		}
		if len(l.County) != 6 || strings.Trim(l.County, "0123456789") != "" {
			bad(key+".county", "must be six digits, not %q", l.County)
		} else if seenCounty[l.County] {
			bad(key+".county", "%s is listed twice", l.County)
		}
		seenCounty[l.County] = true
		if l.Domain == "" || strings.ContainsAny(l.Domain, ". *>\t") {
			bad(key+".domain", "must be a JetStream domain name without dots, spaces or wildcards, not %q", l.Domain)
		}
	}
	if c.NATS.Stream.Replicas < 1 || c.NATS.Stream.Replicas > 5 {
		bad("nats.stream.replicas", "must be 1 to 5")
	}
	if c.NATS.Stream.DuplicateWindow <= 0 || (c.NATS.Stream.MaxAge > 0 && c.NATS.Stream.DuplicateWindow > c.NATS.Stream.MaxAge) {
		bad("nats.stream.duplicate_window", "must be positive and not longer than max_age")
	}
	if c.NATS.Consumer.Durable == "" || strings.ContainsAny(c.NATS.Consumer.Durable, ". *>") {
		bad("nats.consumer.durable", "must be a name without dots, spaces or wildcards")
	}
	if c.NATS.Consumer.AckWait < time.Second {
		bad("nats.consumer.ack_wait", "must be at least 1s")
	}
	if c.NATS.Consumer.MaxDeliver < 2 {
		bad("nats.consumer.max_deliver", "must be at least 2 (bounded; -1 would redeliver forever)")
	}
	if n := len(c.NATS.Consumer.BackOff); n > 0 && n > c.NATS.Consumer.MaxDeliver {
		bad("nats.consumer.backoff", "has %d steps, more than max_deliver", n)
	}
	if c.NATS.Consumer.MaxAckPending < c.Engine.BatchSize {
		bad("nats.consumer.max_ack_pending", "must be at least engine.batch_size")
	}
	if c.Engine.Workers < 1 || c.Engine.Workers > 64 {
		bad("engine.workers", "must be 1 to 64")
	}
	if c.Engine.BatchSize < 1 || c.Engine.BatchSize > 5000 {
		bad("engine.batch_size", "must be 1 to 5000")
	}
	if c.Engine.MaxEventBytes < 256 || int64(c.Engine.MaxEventBytes) > int64(c.NATS.Stream.MaxMsgSize) {
		bad("engine.max_event_bytes", "must be at least 256 and not more than nats.stream.max_msg_size")
	}
	if len(c.Engine.NakDelays) == 0 {
		bad("engine.nak_delays", "needs at least one delay")
	}
	if c.Roles.API {
		if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
			bad("api.listen", "must be host:port: %v", err)
		}
	}
	if c.API.PublicURL != "" {
		u, err := url.Parse(c.API.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.API.PublicURL, "?") || strings.HasSuffix(c.API.PublicURL, "#") {
			bad("api.public_url", "must be an http(s) URL with a host and no user, query or fragment (e.g. https://gridwarn.example.cn), not %q", c.API.PublicURL)
		}
	}
	if c.API.MaxBodyBytes < 1024 {
		bad("api.max_body_bytes", "must be at least 1KiB")
	}
	if c.Rules.TimeScale <= 0 || c.Rules.TimeScale > 1 {
		bad("rules.time_scale", "must be more than 0 and at most 1")
	}
	if c.Notify.PollInterval < 10*time.Millisecond {
		bad("notify.poll_interval", "must be at least 10ms")
	}
	names := map[string]bool{}
	for i, w := range c.Notify.Webhooks {
		key := fmt.Sprintf("notify.webhooks[%d]", i)
		if w.Name == "" || names[w.Name] {
			bad(key+".name", "must be set and unique")
		}
		names[w.Name] = true
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(key+".url", "must be an http(s) URL")
		}
		switch w.Format {
		case "", "json", "wecom", "dingtalk":
		default:
			bad(key+".format", "must be json, wecom or dingtalk")
		}
	}
	if c.Feed.WebhookURL != "" {
		if u, err := url.Parse(c.Feed.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("feed.webhook_url", "must be an http(s) URL")
		}
		if c.Feed.Secret == "" {
			bad("feed.secret", "must be set when feed.webhook_url is: the platform verifies each request's signature")
		}
	}
	seenPeer := map[string]bool{}
	for i, p := range c.Handoff.Peers {
		key := fmt.Sprintf("handoff.peers[%d]", i)
		if !gridwarn.IsCountyCode(p.County) {
			bad(key+".county", "must be six digits, not %q", p.County)
		} else if seenPeer[p.County] {
			bad(key+".county", "%s is listed twice", p.County)
		}
		seenPeer[p.County] = true
		switch {
		case p.URL == "" && !c.Handoff.NATS:
			bad(key+".url", "is required when handoff.nats is false")
		case p.URL != "":
			if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad(key+".url", "must be an http(s) URL")
			}
			if p.Key == "" {
				bad(key+".key", "must be set when the url is: the peer verifies each request's signature")
			}
		}
	}
	if c.Feed.PollInterval < 10*time.Millisecond {
		bad("feed.poll_interval", "must be at least 10ms")
	}
	if c.UI.SessionTTL < time.Minute || c.UI.MaxFailedSignIns < 1 || c.UI.LockoutWindow <= 0 || c.UI.Lockout <= 0 ||
		c.UI.BcryptCost < 4 || c.UI.BcryptCost > 31 {
		bad("ui", "session_ttl must be at least 1m; max_failed_sign_ins, lockout_window and lockout must be positive; bcrypt_cost 4–31")
	}
	if c.Queue.Lease < time.Minute {
		bad("queue.lease", "must be at least 1m")
	}
	if c.Unionization.YearlyTarget < 0 || c.Unionization.YearlyTarget > 1 {
		bad("unionization.yearly_target", "is a share from 0 to 1")
	}
	for name, t := range map[string]VisitTarget{"month": c.Visits.Month, "quarter": c.Visits.Quarter, "year": c.Visits.Year} {
		if t.Enterprises < 0 || t.Enterprises > 1 || t.KeyEnterprises < 0 || t.KeyEnterprises > 1 || t.Villages < 0 || t.Villages > 1 {
			bad("visits."+name, "targets are shares from 0 to 1")
		}
	}
	if c.Privacy.IdentityRetention < 24*time.Hour {
		bad("privacy.identity_retention", "must be at least 24h")
	}
	if c.Legal.MediationDays < 1 || c.Legal.LimitationDays < 1 {
		bad("legal", "mediation_days and limitation_days must be positive")
	}
	if c.Events.MaxFuture <= 0 || c.Events.MaxFuture > gridwarn.MaxFutureLimit {
		bad("events.max_future", "must be more than 0 and at most %s, not %s", gridwarn.MaxFutureLimit, c.Events.MaxFuture)
	}
	if c.Events.AgeMarginDays < 0 || c.Events.AgeMarginDays > 3650 {
		bad("events.age_margin_days", "must be 0–3650, not %d", c.Events.AgeMarginDays)
	}
	if c.Registry.IndependentThreshold < 1 {
		bad("registry.independent_threshold", "must be at least 1")
	}
	if _, err := time.LoadLocation(c.Scheduler.TimeZone); err != nil {
		bad("scheduler.time_zone", "%v", err)
	}
	return errors.Join(errs...)
}

// CheckServe reports settings that `gridwarn serve` needs beyond Validate.
func (c Config) CheckServe() error {
	if c.Database.URL == "" {
		return errors.New("database.url: must be set (GRIDWARN_DATABASE_URL); for the demo, scripts/demo.sh starts its own PostgreSQL; " +
			"for a new, empty local one, scripts/pg-local.sh start prints a URL")
	}
	if !c.Roles.API && !c.Roles.Engine && !c.Roles.Scheduler && !c.Roles.Relay {
		return errors.New("roles: at least one of api, engine, scheduler, relay must be on")
	}
	return nil
}

// Sync returns the embedded server's fsync policy: always (0, nil for
// "always") or an interval.
func (e Embedded) Sync() (time.Duration, error) {
	if e.SyncInterval == "always" {
		return 0, nil
	}
	d, err := time.ParseDuration(e.SyncInterval)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf(`must be "always" or a positive duration such as 2m, not %q`, e.SyncInterval)
	}
	return d, nil
}

// StoreDirOrDefault returns the embedded server's store directory.
func (c Config) StoreDirOrDefault() string {
	if c.NATS.Embedded.StoreDir != "" {
		return c.NATS.Embedded.StoreDir
	}
	return c.DataDir + "/nats"
}

// Redacted returns a copy fit to print: secrets and the password in the
// database URL are replaced.
func (c Config) Redacted() Config {
	c.Database.URL = redactDatabaseURL(c.Database.URL)
	c.Database.ReadURL = redactDatabaseURL(c.Database.ReadURL)
	return c
}

func redactDatabaseURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
			s = u.String()
		}
	}
	if strings.Contains(s, "password=") { // key=value form
		fields := strings.Fields(s)
		for i, f := range fields {
			if strings.HasPrefix(f, "password=") {
				fields[i] = "password=" + redacted
			}
		}
		s = strings.Join(fields, " ")
	}
	return s
}

// YAML renders c (redacted) as YAML.
func (c Config) YAML() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(c.Redacted())
	return b.Bytes()
}

const redacted = "REDACTED"

// Secret is a string that never prints: it is redacted in YAML output and
// in %v formatting.
type Secret string

// MarshalYAML redacts a non-empty secret.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return redacted, nil
}

// String redacts a non-empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// ByteSize is a size in bytes written as a number or with a unit: 64KiB,
// 10MiB, 5GiB (also KB, MB, GB as powers of 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// UnmarshalText parses "1048576", "1MiB" or "-1" (no limit).
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("invalid size %q: want a number of bytes or a number with KiB, MiB, GiB", string(text))
	}
	*b = ByteSize(n * mult)
	return nil
}

// UnmarshalYAML accepts a number or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a size must be a scalar", n.Line)
	}
	if err := b.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalYAML writes the size with the largest exact binary unit.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

func (b ByteSize) String() string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.m == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.m, u.s)
		}
	}
	return strconv.FormatInt(int64(b), 10)
}
