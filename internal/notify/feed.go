package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The feed's push side (issue #17 item 4): every ticket change, as the
// store positions it (gridwarn.FeedEvent), is POSTed to the feed webhook
// and published on NATS gridwarn.feed.<county code>. The feed is not the
// outbox: it is read from the positioned ticket history, and each
// destination keeps how far it got (feed_destinations). A destination is
// delivered by one relay at a time, one event after another, so there is
// never more than one delivery in flight per ticket and destination, and
// a ticket's changes arrive in sequence order. Delivery is at least once:
// the webhook's X-Gridwarn-Delivery and the NATS Nats-Msg-Id are the
// event's id, stable across retries.

// Feed destinations, as feed_destinations names them.
const (
	FeedDestWebhook = "webhook"
	FeedDestNATS    = "nats"
)

// FeedStreamName is the stream of the feed on gridwarn.feed.>.
const FeedStreamName = "GRIDWARN_FEED"

// FeedContentType is the media type of a feed webhook's body: one event in
// the CloudEvents structured JSON format.
const FeedContentType = "application/cloudevents+json; charset=utf-8"

// EnsureFeedStream creates GRIDWARN_FEED on gridwarn.feed.> or updates it to
// the same configuration: file storage, 30 days, a 10 minute duplicate
// window (Nats-Msg-Id is the event id). It is idempotent.
func EnsureFeedStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        FeedStreamName,
		Description: "gridwarn ticket changes for the governance platform: gridwarn.feed.<county code>, CloudEvents 1.0 JSON",
		Subjects:    []string{gridwarn.FeedSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      30 * 24 * time.Hour,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Duplicates:  10 * time.Minute,
		Replicas:    1,
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", FeedStreamName, err)
	}
	return s, nil
}

// FeedStore is what the feed relay needs of the store (postgres.DB).
type FeedStore interface {
	PositionFeed(ctx context.Context) (int, error)
	DeliverFeed(ctx context.Context, dest string, now time.Time, limit int, backoff func(attempts int) time.Duration,
		deliver func(context.Context, []gridwarn.FeedEvent) (int, error)) (int, error)
}

// FeedOptions configure a FeedRelay. Zero values take the defaults.
type FeedOptions struct {
	// WebhookURL receives every event ("" — no webhook), signed with
	// Secret like the json webhooks (X-Gridwarn-Timestamp,
	// X-Gridwarn-Signature).
	WebhookURL string
	Secret     string
	// JS publishes every event on gridwarn.feed.<county> (nil — no NATS).
	JS           jetstream.JetStream
	PollInterval time.Duration // default DefaultPollInterval
	Timeout      time.Duration // of one webhook request, default 10s
	BatchSize    int           // events per round and destination, default 100
	Backoff      []time.Duration
	HTTPClient   *http.Client
	Logger       *slog.Logger
	Now          func() time.Time
}

// FeedRelay pushes the feed to its destinations.
type FeedRelay struct {
	store FeedStore
	o     FeedOptions

	mu     sync.Mutex
	quit   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// NewFeedRelay returns a relay for the configured destinations.
func NewFeedRelay(store FeedStore, o FeedOptions) (*FeedRelay, error) {
	if store == nil {
		return nil, errors.New("notify: NewFeedRelay needs a store")
	}
	if o.WebhookURL != "" {
		if u, err := url.Parse(o.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("notify: feed webhook %s: must be an http(s) URL", redactURL(o.WebhookURL))
		}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if len(o.Backoff) == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &FeedRelay{store: store, o: o}, nil
}

func (r *FeedRelay) backoff(n int) time.Duration {
	return r.o.Backoff[min(max(n, 1), len(r.o.Backoff))-1]
}

// RunOnce positions what is ready and delivers one batch to each
// destination; it returns how many events it delivered.
func (r *FeedRelay) RunOnce(ctx context.Context) (int, error) {
	if _, err := r.store.PositionFeed(ctx); err != nil {
		return 0, fmt.Errorf("feed: position: %w", err)
	}
	var (
		total int
		errs  []error
	)
	if r.o.WebhookURL != "" {
		n, err := r.store.DeliverFeed(ctx, FeedDestWebhook, r.o.Now(), r.o.BatchSize, r.backoff, r.postAll)
		total += n
		errs = append(errs, err)
	}
	if r.o.JS != nil {
		n, err := r.store.DeliverFeed(ctx, FeedDestNATS, r.o.Now(), r.o.BatchSize, r.backoff, r.publishAll)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// postAll POSTs the events one after another and stops at the first that
// fails.
func (r *FeedRelay) postAll(ctx context.Context, evs []gridwarn.FeedEvent) (int, error) {
	for i, ev := range evs {
		if err := r.post(ctx, ev); err != nil {
			return i, fmt.Errorf("event %s: %w", ev.ID, err)
		}
	}
	return len(evs), nil
}

func (r *FeedRelay) post(ctx context.Context, ev gridwarn.FeedEvent) error {
	body, err := marshal(ev)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.o.WebhookURL, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("build request: %s", redactURL(r.o.WebhookURL))
	}
	req.Header.Set("Content-Type", FeedContentType)
	req.Header.Set("User-Agent", "gridwarn-feed/1")
	req.Header.Set(HeaderDelivery, ev.ID)
	req.Header.Set(HeaderWebhookTopic, ev.Type)
	if r.o.Secret != "" {
		ts := strconv.FormatInt(r.o.Now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(r.o.Secret, ts, body))
	}
	resp, err := r.o.HTTPClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = redactURL(uerr.URL)
		}
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(strings.TrimSpace(string(msg)), 300))
	}
	return nil
}

// publishAll publishes the events one after another on their county's
// subject and stops at the first that fails.
func (r *FeedRelay) publishAll(ctx context.Context, evs []gridwarn.FeedEvent) (int, error) {
	for i, ev := range evs {
		body, err := marshal(ev)
		if err != nil {
			return i, err
		}
		m := nats.NewMsg(gridwarn.FeedSubject(ev.Data.CountyCode))
		m.Data = body
		m.Header.Set("Content-Type", FeedContentType)
		pctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
		_, err = r.o.JS.PublishMsg(pctx, m, jetstream.WithMsgID(ev.ID))
		cancel()
		if err != nil {
			return i, fmt.Errorf("publish %s: %w", ev.ID, err)
		}
	}
	return len(evs), nil
}

// Start runs the relay in the background until Stop; it does nothing if it
// is running.
func (r *FeedRelay) Start() {
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
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			select {
			case <-quit:
				return
			case <-timer.C:
			}
			n, err := r.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				r.o.Logger.Warn("feed relay round failed", "err", err)
			}
			if n > 0 && err == nil {
				timer.Reset(0)
			} else {
				timer.Reset(r.o.PollInterval)
			}
		}
	}()
}

// Stop lets the current round finish and stops the relay; when ctx ends
// first it aborts the round. Safe to call more than once, and without Start.
func (r *FeedRelay) Stop(ctx context.Context) error {
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
		return fmt.Errorf("feed relay: stop: %w", ctx.Err())
	}
}
