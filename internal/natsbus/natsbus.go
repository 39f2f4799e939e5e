// Package natsbus is gridwarn's broker adapter: the embedded nats-server, the
// connection to an external one, the GRIDWARN_EVENTS stream and the engine's
// durable consumer (created or updated idempotently at start), the advisory
// stream that catches messages which ran out of deliveries, and publishing.
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

const (
	// StreamName is the stream of risk events.
	StreamName = "GRIDWARN_EVENTS"
	// EventSubjects is the subject filter of StreamName.
	EventSubjects = gridwarn.EventSubjectPrefix + ">"
	// AdvisoryStreamName keeps the server's max-deliveries advisories for the
	// event consumer, so that a message that ran out of deliveries becomes a
	// dead letter even if no engine was listening at that moment.
	AdvisoryStreamName = "GRIDWARN_ADVISORIES"
	// AdvisoryConsumerName is the durable consumer that turns those
	// advisories into dead letters.
	AdvisoryConsumerName = "gridwarn-dead-letters"
)

// MaxDeliveriesSubject is the advisory subject for the consumer durable.
func MaxDeliveriesSubject(durable string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + StreamName + "." + durable
}

// ServerOptions configures the embedded server.
type ServerOptions struct {
	Host     string
	Port     int // -1: any free port
	StoreDir string
	// SyncInterval 0 means fsync before every acknowledgement ("always").
	SyncInterval time.Duration
	MaxStore     int64
	MaxPayload   int32
	Logger       *slog.Logger
	// Auth, when not nil, makes everybody authenticate: gridwarn as
	// InternalUser, reporters as county publishers (see EmbeddedAuth).
	// Nil keeps the server open to anonymous clients.
	Auth *EmbeddedAuth
}

// StartEmbedded starts an in-process nats-server with JetStream on a file
// store and waits until it accepts connections. Shut it down with
// Shutdown and WaitForShutdown.
func StartEmbedded(o ServerOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName:         "gridwarn-embedded",
		Host:               o.Host,
		Port:               o.Port,
		JetStream:          true,
		StoreDir:           o.StoreDir,
		JetStreamMaxStore:  o.MaxStore,
		JetStreamMaxMemory: 64 << 20,
		MaxPayload:         o.MaxPayload,
		NoSigs:             true,
		NoLog:              o.Logger == nil,
	}
	if o.SyncInterval == 0 {
		opts.SyncAlways = true
	} else {
		opts.SyncInterval = o.SyncInterval
	}
	if o.Auth != nil {
		if err := o.Auth.apply(opts); err != nil {
			return nil, err
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	if o.Logger != nil {
		s.SetLoggerV2(&serverLogger{o.Logger.With("component", "nats-server")}, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded nats-server did not become ready within 30s")
	}
	if o.Auth != nil {
		if err := o.Auth.enableJetStream(s); err != nil {
			s.Shutdown()
			return nil, err
		}
	}
	return s, nil
}

// ConnectOptions configures a client connection.
type ConnectOptions struct {
	URL            string
	Name           string
	User, Password string
	Token          string
	CredsFile      string
	NKeySeedFile   string
	CAFile         string
	CertFile       string
	KeyFile        string
	ConnectTimeout time.Duration
	Logger         *slog.Logger
	// InProcess connects to an embedded server without a socket.
	InProcess *server.Server
}

// Connect opens a connection that reconnects forever: the engine must
// survive a broker restart.
func Connect(o ConnectOptions) (*nats.Conn, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "subject", subj, "err", err)
		}),
	}
	if o.ConnectTimeout > 0 {
		opts = append(opts, nats.Timeout(o.ConnectTimeout))
	}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeySeedFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed: %w", err)
		}
		opts = append(opts, opt)
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	if o.CertFile != "" || o.KeyFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	url := o.URL
	if o.InProcess != nil {
		opts = append(opts, nats.InProcessServer(o.InProcess))
		url = o.InProcess.ClientURL()
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", redactURL(url), err)
	}
	return nc, nil
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "REDACTED" + u[i:]
		}
	}
	return u
}

// StreamOptions configures GRIDWARN_EVENTS.
type StreamOptions struct {
	Replicas        int
	MaxAge          time.Duration
	MaxBytes        int64
	MaxMsgSize      int32
	DuplicateWindow time.Duration
	// Counties are county leaf nodes, each with its own JetStream domain
	// and a local stream of its county's events that GRIDWARN_EVENTS
	// sources: a county keeps accepting reports while cut off from the hub
	// and the hub catches up when it is back.
	Counties []CountySource
}

// CountySource is a county leaf node's JetStream domain.
type CountySource struct {
	County string // six digits
	Domain string
}

// CountyStreamName is the name of a county leaf node's local stream.
func CountyStreamName(county string) string { return "GRIDWARN_COUNTY_" + county }

// EnsureCountyStream creates or updates, in the leaf node's JetStream
// domain, the stream of one county's events (gridwarn.events.<county> and
// below) that GRIDWARN_EVENTS sources. The leaf must be reachable; reporters
// publish to the leaf and are acknowledged by this stream.
func EnsureCountyStream(ctx context.Context, nc *nats.Conn, c CountySource, o StreamOptions) (jetstream.Stream, error) {
	js, err := jetstream.NewWithDomain(nc, c.Domain)
	if err != nil {
		return nil, fmt.Errorf("jetstream domain %s: %w", c.Domain, err)
	}
	prefix := gridwarn.EventSubjectPrefix + c.County
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        CountyStreamName(c.County),
		Description: "county " + c.County + ": its events, kept at the leaf node and sourced by " + StreamName,
		Subjects:    []string{prefix, prefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxAge:      o.MaxAge,
		// Bounded by the leaf's own max_file_store (discard new: a full
		// leaf refuses reports rather than dropping any).
		MaxBytes:   -1,
		MaxMsgSize: o.MaxMsgSize,
		MaxMsgs:    -1,
		Duplicates: o.DuplicateWindow,
		Replicas:   1,
		DenyDelete: true,
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s in domain %s: %w", CountyStreamName(c.County), c.Domain, err)
	}
	return s, nil
}

// EnsureStream creates GRIDWARN_EVENTS or updates it to o. It is idempotent.
// Limits retention keeps every event for MaxAge whatever the consumers did
// (so a dead letter can always fetch the original), and discard-new makes a
// full stream refuse publishes instead of silently dropping old events.
func EnsureStream(ctx context.Context, js jetstream.JetStream, o StreamOptions) (jetstream.Stream, error) {
	maxBytes := o.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	cfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "gridwarn risk events (contract v1), published on gridwarn.events.<county code>",
		Subjects:    []string{EventSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxAge:      o.MaxAge,
		MaxBytes:    maxBytes,
		MaxMsgSize:  o.MaxMsgSize,
		MaxMsgs:     -1,
		Duplicates:  o.DuplicateWindow,
		Replicas:    max(o.Replicas, 1),
		DenyDelete:  true,
		DenyPurge:   false,
	}
	for _, c := range o.Counties {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name:     CountyStreamName(c.County),
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + c.Domain + ".API"},
		})
	}
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName, err)
	}
	return s, nil
}

// ConsumerOptions configures the engine's durable pull consumer.
type ConsumerOptions struct {
	Durable       string
	AckWait       time.Duration
	MaxDeliver    int
	BackOff       []time.Duration
	MaxAckPending int
	Replicas      int
}

// EnsureConsumer creates the engine's durable pull consumer or updates it to
// o. It is idempotent; several engines share it and the server spreads the
// messages among them.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, o ConsumerOptions) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:       o.Durable,
		Description:   "gridwarn engine: events into tickets",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    o.MaxDeliver,
		BackOff:       o.BackOff,
		MaxAckPending: o.MaxAckPending,
		FilterSubject: EventSubjects,
		ReplayPolicy:  jetstream.ReplayInstantPolicy,
		Replicas:      o.Replicas,
	}
	c, err := js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", o.Durable, err)
	}
	return c, nil
}

// EnsureAdvisories creates the stream that keeps max-deliveries advisories
// of the event consumer and the durable consumer that reads them.
func EnsureAdvisories(ctx context.Context, js jetstream.JetStream, durable string, replicas int) (jetstream.Consumer, error) {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        AdvisoryStreamName,
		Description: "max-deliveries advisories of the gridwarn engine consumer",
		Subjects:    []string{MaxDeliveriesSubject(durable)},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      30 * 24 * time.Hour,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", AdvisoryStreamName, err)
	}
	c, err := js.CreateOrUpdateConsumer(ctx, AdvisoryStreamName, jetstream.ConsumerConfig{
		Durable:    AdvisoryConsumerName,
		AckPolicy:  jetstream.AckExplicitPolicy,
		AckWait:    30 * time.Second,
		MaxDeliver: -1, // an advisory is tiny and must never be dropped; it waits for the database
		Replicas:   max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", AdvisoryConsumerName, err)
	}
	return c, nil
}

// Publisher publishes events with their id as Nats-Msg-Id, so that the
// stream drops a resend within its duplicate window.
type Publisher struct {
	JS jetstream.JetStream
	// Leaf says JS is a county leaf node's: an event is acknowledged by
	// its county's stream (CountyStreamName) instead of GRIDWARN_EVENTS.
	Leaf bool
}

// PublishResult is the broker's acknowledgement of one event.
type PublishResult struct {
	Subject   string
	Sequence  uint64
	Duplicate bool
}

// PublishRaw publishes already encoded event bytes with msgID as the
// Nats-Msg-Id header, expecting the event stream. It retries "no responders"
// (a broker starting) a few times with the same id.
func (p Publisher) PublishRaw(ctx context.Context, subject, msgID string, data []byte) (PublishResult, error) {
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	stream := StreamName
	if p.Leaf {
		stream = CountyStreamName(gridwarn.SubjectCounty(subject))
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(stream), jetstream.WithRetryAttempts(5), jetstream.WithRetryWait(250 * time.Millisecond)}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := p.JS.PublishMsg(ctx, msg, opts...)
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish %s: %w", subject, err)
	}
	return PublishResult{Subject: subject, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// serverLogger adapts slog to nats-server's logger.
type serverLogger struct{ log *slog.Logger }

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
