package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Webhook formats.
const (
	FormatJSON     = "json"     // the Envelope, signed with HMAC-SHA256 when Secret is set
	FormatWeCom    = "wecom"    // WeCom (企业微信) group robot, markdown
	FormatDingTalk = "dingtalk" // DingTalk (钉钉) group robot, markdown, signed when Secret is set
)

// Webhook is one receiver of notifications.
type Webhook struct {
	// Name identifies the webhook in the delivery log; keep it stable.
	Name string
	// URL is where notifications are POSTed. WeCom's and DingTalk's carry
	// their key or access token: it is never logged nor stored.
	URL string
	// Secret signs the requests: X-Gridwarn-Signature for json, the sign
	// parameter for dingtalk ("SEC..."). WeCom robots take none.
	Secret string
	// Format is json (the default), wecom or dingtalk.
	Format string
	// Topics selects notifications: exact topics or a prefix pattern
	// such as "ticket.*"; empty or "*" is every topic.
	Topics []string
	// Timeout bounds one request; 0 is 10s.
	Timeout time.Duration
}

// Matches reports whether the webhook wants notifications of topic.
func (w Webhook) Matches(topic string) bool {
	if len(w.Topics) == 0 {
		return true
	}
	for _, t := range w.Topics {
		if t == "*" || t == topic {
			return true
		}
		if p, ok := strings.CutSuffix(t, "*"); ok && strings.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// LogValue keeps the secret and the URL's query (robot keys) out of logs.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", w.Name), slog.String("format", w.Format), slog.String("url", redactURL(w.URL)))
}

// String is like LogValue.
func (w Webhook) String() string {
	return fmt.Sprintf("webhook %s (%s, %s)", w.Name, w.Format, redactURL(w.URL))
}

func (w *Webhook) validate() error {
	if w.Name == "" {
		return errors.New("webhook without a name")
	}
	if strings.ContainsAny(w.Name, " \t\r\n") || len(w.Name) > 100 {
		return fmt.Errorf("webhook %q: the name must be at most 100 characters without white space", w.Name)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook %s: url %q is not an http(s) URL", w.Name, redactURL(w.URL))
	}
	switch w.Format {
	case "":
		w.Format = FormatJSON
	case FormatJSON, FormatDingTalk:
	case FormatWeCom:
		if w.Secret != "" {
			return fmt.Errorf("webhook %s: WeCom robots are not signed (the key is in the URL); remove the secret", w.Name)
		}
	default:
		return fmt.Errorf("webhook %s: format %q is not json, wecom or dingtalk", w.Name, w.Format)
	}
	for _, t := range w.Topics {
		if t == "*" || slices.Contains(gridwarn.Topics, t) {
			continue
		}
		if p, ok := strings.CutSuffix(t, "*"); ok && slices.ContainsFunc(gridwarn.Topics, func(s string) bool { return strings.HasPrefix(s, p) }) {
			continue
		}
		return fmt.Errorf("webhook %s: topic %q matches no topic (%s)", w.Name, t, strings.Join(gridwarn.Topics, ", "))
	}
	if w.Timeout < 0 {
		return fmt.Errorf("webhook %s: negative timeout", w.Name)
	}
	if w.Timeout == 0 {
		w.Timeout = DefaultWebhookTimeout
	}
	return nil
}

// Defaults of Options and Webhook.
const (
	DefaultBatchSize          = 100
	DefaultWebhookMaxAttempts = 50
	DefaultPollInterval       = time.Second
	DefaultPublishTimeout     = 5 * time.Second
	DefaultWebhookTimeout     = 10 * time.Second
	DefaultConcurrency        = 4
)

// DefaultBackoff is the wait after the 1st, 2nd, … failed attempt; the last
// repeats.
var DefaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}

// Options configures a Relay. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the relay's clock (default time.Now). It decides what is due,
	// when a failed attempt is tried again and how long a claimed delivery
	// is left to its relay, and it stamps the signatures
	// (X-Gridwarn-Timestamp, DingTalk's timestamp). Relays on several hosts
	// must keep their clocks in step (NTP), as the database's does.
	Now func() time.Time
	// PublicURL is where the web console is reached (api.public_url): the
	// payloads of tickets and summaries get their console link under it
	// ("url"). Empty: no links.
	PublicURL string
	// HTTPClient sends the webhooks. The default follows no redirects.
	HTTPClient *http.Client
	// BatchSize is how many outbox rows one RunOnce claims at most; it
	// claims at most min(BatchSize, 4×Concurrency) webhook deliveries.
	BatchSize int
	// Backoff is the wait after each failed attempt; the last repeats.
	Backoff []time.Duration
	// MaxAttempts is how many times a webhook delivery is tried before it
	// is marked failed (default 50). Publishing to NATS is retried forever:
	// the outbox has no failed state, and the broker comes back.
	MaxAttempts int
	// PollInterval is Run's wait when nothing was due.
	PollInterval time.Duration
	// PublishTimeout bounds one publish to NATS.
	PublishTimeout time.Duration
	// Concurrency is how many webhook requests run at once.
	Concurrency int
	// Location shows times in WeCom and DingTalk messages; default UTC+8.
	Location *time.Location
	// Handoff delivers the hand-off rows of the outbox (topics
	// gridwarn.TopicHandoffSend and TopicHandoffReply) to the peer
	// deployments, returning nil once the peer acknowledged; nil: they
	// wait (retried with the backoff) until a transport is configured.
	// They never go to webhooks nor to the notification stream.
	Handoff HandoffDeliverer
}

// HandoffDeliverer delivers one hand-off message to its peer (package
// handoff).
type HandoffDeliverer interface {
	Deliver(ctx context.Context, m gridwarn.OutboxMessage) error
}

// isHandoff reports whether an outbox row is a hand-off message.
func isHandoff(topic string) bool {
	return topic == gridwarn.TopicHandoffSend || topic == gridwarn.TopicHandoffReply
}

// Relay delivers the outbox. Several relays may run at once, in one process
// or several: each claim skips what another relay holds.
type Relay struct {
	store     gridwarn.Outbox
	js        jetstream.JetStream
	hooks     []Webhook
	hookNames []string
	byName    map[string]Webhook
	lease     time.Duration // how long a claimed delivery is left to its relay
	perRound  int           // deliveries claimed per round

	log         *slog.Logger
	now         func() time.Time
	client      *http.Client
	batch       int
	backoff     []time.Duration
	maxAttempts int
	poll        time.Duration
	pubTimeout  time.Duration
	concurrency int
	loc         *time.Location
	publicURL   string
	handoff     HandoffDeliverer

	mu     sync.Mutex
	quit   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a relay over the outbox in store, publishing to js and
// POSTing to hooks. It checks the webhooks' configuration.
func New(store gridwarn.Outbox, js jetstream.JetStream, hooks []Webhook, o Options) (*Relay, error) {
	if store == nil || js == nil {
		return nil, errors.New("notify: New needs an outbox and a JetStream context")
	}
	r := &Relay{
		store: store, js: js, byName: map[string]Webhook{},
		log: o.Logger, now: o.Now, client: o.HTTPClient, batch: o.BatchSize, backoff: slices.Clone(o.Backoff),
		maxAttempts: o.MaxAttempts, poll: o.PollInterval, pubTimeout: o.PublishTimeout,
		concurrency: o.Concurrency, loc: o.Location, publicURL: strings.TrimSuffix(o.PublicURL, "/"), handoff: o.Handoff,
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.client == nil {
		r.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if r.batch <= 0 {
		r.batch = DefaultBatchSize
	}
	if len(r.backoff) == 0 {
		r.backoff = DefaultBackoff
	}
	for _, b := range r.backoff {
		if b <= 0 {
			return nil, fmt.Errorf("notify: backoff %v: every wait must be positive", r.backoff)
		}
	}
	if r.maxAttempts <= 0 {
		r.maxAttempts = DefaultWebhookMaxAttempts
	}
	if r.poll <= 0 {
		r.poll = DefaultPollInterval
	}
	if r.pubTimeout <= 0 {
		r.pubTimeout = DefaultPublishTimeout
	}
	if r.concurrency <= 0 {
		r.concurrency = DefaultConcurrency
	}
	if r.loc == nil {
		r.loc = time.FixedZone("UTC+8", 8*60*60)
	}
	r.perRound = min(r.batch, 4*r.concurrency)
	var longest time.Duration
	for _, h := range hooks {
		if err := h.validate(); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		if _, dup := r.byName[h.Name]; dup {
			return nil, fmt.Errorf("notify: two webhooks named %s", h.Name)
		}
		r.byName[h.Name] = h
		r.hooks = append(r.hooks, h)
		r.hookNames = append(r.hookNames, h.Name)
		longest = max(longest, h.Timeout)
	}
	// A claimed delivery is not claimed again before its request has
	// certainly ended, queueing for a worker included; if this relay dies
	// meanwhile, another retries it then.
	waves := (r.perRound + r.concurrency - 1) / r.concurrency
	r.lease = time.Duration(waves)*longest + 30*time.Second
	return r, nil
}

// Envelope is the body of a json webhook and the data of a NATS message.
type Envelope struct {
	// DeliveryID is the same on every retry: the webhook delivery's UUID,
	// or on NATS the Nats-Msg-Id "outbox-<id>". Receivers drop repeats.
	DeliveryID string          `json:"delivery_id"`
	Topic      string          `json:"topic"`
	Subject    string          `json:"subject"`
	CreatedAt  time.Time       `json:"created_at"`
	Payload    json.RawMessage `json:"payload"`
}

// RunOnce publishes the due outbox rows to NATS, then sends the due webhook
// deliveries, and returns how many rows it handled (delivered or failed).
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	published, perr := r.publishDue(ctx)
	if perr != nil {
		perr = fmt.Errorf("notify: publish outbox: %w", perr)
	}
	sent, serr := r.deliverDue(ctx)
	if serr != nil {
		serr = fmt.Errorf("notify: webhooks: %w", serr)
	}
	return published + sent, errors.Join(perr, serr)
}

// Run calls RunOnce until ctx ends, waiting PollInterval whenever nothing
// was due or a round failed. It returns nil when ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	r.loop(ctx, nil)
	return nil
}

func (r *Relay) loop(ctx context.Context, quit <-chan struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-quit:
			return
		default:
		}
		n, err := r.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.log.Error("notify relay round failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due: a full batch, or new deliveries
		}
		timer.Reset(r.poll)
		select {
		case <-ctx.Done():
			return
		case <-quit:
			return
		case <-timer.C:
		}
	}
}

// Start runs the relay in the background until Stop. It does nothing if it
// is running.
func (r *Relay) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	quit, done := make(chan struct{}), make(chan struct{})
	r.quit, r.cancel, r.done = quit, cancel, done
	go func() {
		defer close(done)
		r.loop(ctx, quit)
	}()
}

// Stop lets the current round finish and stops the relay. When ctx ends
// first it aborts the round (in-flight webhook requests are retried later,
// publishes done so far are recorded) and returns ctx's error. It is safe to
// call more than once, and without Start.
func (r *Relay) Stop(ctx context.Context) error {
	r.mu.Lock()
	quit, cancel, done := r.quit, r.cancel, r.done
	r.quit, r.cancel, r.done = nil, nil, nil
	r.mu.Unlock()
	if done == nil {
		return nil
	}
	close(quit)
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		return fmt.Errorf("notify relay: stop: %w", ctx.Err())
	}
}

// backoffAfter returns the wait after the n-th failed attempt (n ≥ 1).
func (r *Relay) backoffAfter(n int) time.Duration {
	return r.backoff[min(max(n, 1), len(r.backoff))-1]
}

// publishDue claims the due outbox rows, publishes them and records the
// outcomes in the claim's transaction: published rows get their webhook
// deliveries. A crash before the record republishes the rows later with
// the same Nats-Msg-Id, which the stream drops within its duplicate window.
func (r *Relay) publishDue(ctx context.Context) (int, error) {
	handled := 0
	err := r.store.PublishDue(ctx, r.now(), r.batch, func(ctx context.Context, claimed []gridwarn.OutboxMessage) []gridwarn.PublishOutcome {
		out := make([]gridwarn.PublishOutcome, len(claimed))
		var down error // the broker does not answer: the rest are not tried
		// The claim's transaction is idle while we publish: keep that short
		// (below idle_in_transaction_session_timeout), in real time.
		start := time.Now()
		for i, m := range claimed {
			out[i].ID = m.ID
			var err error
			switch {
			case ctx.Err() != nil:
				out[i].NotTried = true // stopping: not an attempt
				continue
			case down != nil:
				// Recorded as a failed attempt, so that the whole batch backs off.
				err = fmt.Errorf("not tried, NATS unavailable: %w", down)
			case time.Since(start) > r.pubTimeout:
				out[i].NotTried = true // due again in the next round
				continue
			case isHandoff(m.Topic):
				// A peer deployment, not the broker: its failure is its
				// own, the rest of the batch goes on.
				handled++
				err = errors.New("no hand-off transport configured (handoff.peers)")
				if r.handoff != nil {
					err = r.handoff.Deliver(ctx, m)
				}
				if err == nil {
					out[i].Published = true
					continue
				}
				wait := r.backoffAfter(m.Attempts + 1)
				out[i].RetryAt, out[i].Error = r.now().Add(wait), truncate(err.Error(), 1000)
				r.log.Warn("hand-off not delivered", "outbox_id", m.ID, "subject", m.Subject, "attempts", m.Attempts+1, "retry_in", wait, "err", err)
				continue
			default:
				err = r.publish(ctx, m)
				if err != nil && ctx.Err() != nil {
					out[i].NotTried = true // cut short by the stop; retried later
					continue
				}
				if err != nil && !rowSpecific(err) {
					down = err
				}
			}
			handled++
			if err == nil {
				out[i].Published = true
				for _, h := range r.hooks {
					if h.Matches(m.Topic) {
						out[i].Webhooks = append(out[i].Webhooks, h.Name)
					}
				}
				continue
			}
			wait := r.backoffAfter(m.Attempts + 1)
			out[i].RetryAt, out[i].Error = r.now().Add(wait), truncate(err.Error(), 1000)
			r.log.Warn("notification not published", "outbox_id", m.ID, "subject", m.Subject, "attempts", m.Attempts+1, "retry_in", wait, "err", err)
		}
		return out
	})
	if err != nil {
		return 0, err
	}
	return handled, nil
}

// envelope is what receivers get of a notification: its payload with the
// console link.
func (r *Relay) envelope(deliveryID string, m gridwarn.OutboxMessage) Envelope {
	return Envelope{DeliveryID: deliveryID, Topic: m.Topic, Subject: m.Subject, CreatedAt: m.CreatedAt.UTC(),
		Payload: gridwarn.WithLink(m.Topic, m.Payload, r.publicURL)}
}

// publish sends one outbox row to its subject.
func (r *Relay) publish(ctx context.Context, m gridwarn.OutboxMessage) error {
	msgID := MsgIDPrefix + strconv.FormatInt(m.ID, 10)
	data, err := json.Marshal(r.envelope(msgID, m))
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: m.Subject, Data: data, Header: nats.Header{}}
	msg.Header.Set(HeaderTopic, m.Topic)
	pctx, cancel := context.WithTimeout(ctx, r.pubTimeout)
	defer cancel()
	_, err = r.js.PublishMsg(pctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(StreamName),
		jetstream.WithRetryAttempts(2), jetstream.WithRetryWait(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("publish %s: %w", m.Subject, err)
	}
	return nil
}

// rowSpecific reports whether a publish error is about the message, not
// the broker: the server answered with an error, or the client refused it.
// Any other error (timeout, no responders, connection) means the broker is
// unavailable and the rest of the batch would fail the same way.
func rowSpecific(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) || errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) ||
		errors.Is(err, nats.ErrInvalidMsg) || errors.Is(err, jetstream.ErrInvalidJSAck)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// redactURL drops the user info and the query (robot keys and tokens).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment = ""
	return u.String()
}
