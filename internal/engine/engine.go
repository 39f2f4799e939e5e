// Package engine turns events into tickets: it takes batches from the
// durable consumer, validates each message against the contract, asks the
// rules for a decision, records the batch in one transaction and only then
// acknowledges. Messages that can never succeed become dead letters and are
// terminated; a batch that fails for a transient reason is redelivered later.
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// Options configures an Engine.
type Options struct {
	BatchSize int
	// Workers is how many batches may be decided and committed at once
	// (default 4). An enterprise's messages in hand stay with one worker,
	// so its events stay in order and two workers of one engine do not
	// wait for each other's enterprise locks; at low rates the first
	// worker takes everything, and the others help once it holds a batch
	// (router). The locks and the history read inside each batch's
	// transaction keep the decisions right whichever worker or engine
	// takes an event (DECISIONS D2).
	Workers       int
	MaxEventBytes int
	// NakDelays are the redelivery delays after a transient failure, by
	// delivery count; the last one repeats.
	NakDelays []time.Duration
	Logger    *slog.Logger
	Metrics   *Metrics
	// AfterCommit, when set, runs after a batch commits and before its
	// messages are acknowledged; returning an error skips the
	// acknowledgements, as a crash at that point would. For tests.
	AfterCommit func(gridwarn.BatchResult) error
	// Now is the engine's clock (default time.Now): the rules decide with
	// it, and the pauses after a failure last until it has moved on.
	Now func() time.Time
	// Window bounds the events' dates (gridwarn.EventWindow, config
	// events.*): an event outside it, as of the time the broker stored it,
	// is a dead letter date_out_of_window. The zero window checks nothing.
	Window gridwarn.EventWindow
}

// Engine consumes the event stream.
type Engine struct {
	cons    jetstream.Consumer
	store   gridwarn.EventStore
	decider gridwarn.Decider
	opt     Options
	log     *slog.Logger
	m       *Metrics

	mu   sync.Mutex
	iter jetstream.MessagesContext
	done chan struct{} // closed when run returns
	quit chan struct{} // closed by Stop

	db         outage
	held       sync.Mutex
	heldUntil  time.Time          // the workers pause until then (the engine's clock)
	advisories jetstream.Consumer // the rescuer's, for the count of waiting events
}

// outage is the database as the engine and its rescuer last found it. An
// outage is logged when it begins and when it ends, never once per message
// or per retry.
type outage struct {
	mu     sync.Mutex
	down   bool
	since  time.Time
	failed int // attempts that found it unreachable during this outage
}

// New returns an engine that reads cons, decides with decider and records
// into store. Start starts it.
func New(cons jetstream.Consumer, store gridwarn.EventStore, decider gridwarn.Decider, o Options) *Engine {
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = 16 << 10
	}
	if len(o.NakDelays) == 0 {
		o.NakDelays = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Engine{cons: cons, store: store, decider: decider, opt: o, log: o.Logger, m: o.Metrics}
}

// Start begins consuming. It returns at once; Stop ends it.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.iter != nil {
		return errors.New("engine already started")
	}
	it, err := e.cons.Messages(
		jetstream.PullMaxMessages((e.opt.Workers+1)*e.opt.BatchSize),
		jetstream.PullHeartbeat(5*time.Second),
	)
	if err != nil {
		return fmt.Errorf("engine: consume: %w", err)
	}
	e.iter, e.done, e.quit = it, make(chan struct{}), make(chan struct{})
	go e.run(context.WithoutCancel(ctx))
	return nil
}

// Stop drains the consumer: no new messages are pulled, the messages already
// received are processed (committed and acknowledged, or not acknowledged at
// all), then it returns. If ctx ends first the rest is abandoned unacknowledged
// and redelivered to another engine after the ack wait.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if e.iter == nil {
		e.mu.Unlock()
		return nil
	}
	select {
	case <-e.quit:
	default:
		close(e.quit)
		e.iter.Drain()
	}
	e.mu.Unlock()
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		e.iter.Stop()
		return fmt.Errorf("engine: stop: %w", ctx.Err())
	}
}

func (e *Engine) run(ctx context.Context) {
	defer close(e.done)
	// The dispatcher hands each message to its enterprise's worker; the
	// workers decode, decide, commit and acknowledge their own batches, so
	// one batch is validated and decided while another waits for its
	// commit, and the commits' latency is shared.
	in := make([]chan jetstream.Msg, e.opt.Workers)
	rt := newRouter(e.opt.Workers, max(1, e.opt.BatchSize/10))
	var wg sync.WaitGroup
	for i := range in {
		in[i] = make(chan jetstream.Msg, e.opt.BatchSize)
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.work(ctx, in[i], rt)
		}()
	}
	defer func() {
		for _, c := range in {
			close(c)
		}
		wg.Wait()
	}()
	for {
		msg, err := e.iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			e.log.Warn("engine: waiting for messages", "err", err)
			continue
		}
		in[rt.route(enterpriseProbe(msg.Data()))] <- msg
	}
}

// router picks the worker of each message. An enterprise with messages in
// hand stays with the worker that has them, so its events are recorded in
// order and two workers do not wait for each other's enterprise locks.
// Any other enterprise goes to the first worker while that worker has
// less than a tenth of a batch in hand, else to the worker with the least
// (a whole batch let events wait behind it at 1,000 events/s): at low
// rates one worker records everything and batches form while it commits
// (several workers each committing one event at a time made the latency at
// 200 events/s several times the broker's), and a backlog spreads over all
// of them. Correctness never depends on the choice: each batch locks its
// enterprises in the database (DECISIONS D2).
type router struct {
	mu    sync.Mutex
	limit int            // what the first worker may hold before others help
	load  []int          // messages in hand per worker
	owner map[string]int // enterprise → worker, while it has messages in hand
	count map[string]int // enterprise → messages in hand
}

func newRouter(workers, batch int) *router {
	return &router{limit: batch, load: make([]int, workers), owner: map[string]int{}, count: map[string]int{}}
}

// route returns the worker for a message about code (nil: the code could
// not be read; such messages go to the first worker) and counts it in hand.
func (r *router) route(code []byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := string(code)
	w, ok := r.owner[k]
	switch {
	case ok:
	case code == nil || len(r.load) == 1 || r.load[0] < r.limit:
		w = 0
	default:
		for i := range r.load {
			if r.load[i] < r.load[w] {
				w = i
			}
		}
	}
	r.owner[k] = w
	r.count[k]++
	r.load[w]++
	return w
}

// done counts a message about code as no longer in hand.
func (r *router) done(code []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := string(code)
	w, ok := r.owner[k]
	if !ok {
		return
	}
	r.load[w]--
	if r.count[k]--; r.count[k] <= 0 {
		delete(r.count, k)
		delete(r.owner, k)
	}
}

// work records the batches of one worker: whatever its channel holds when
// it is ready for the next batch (a batch forms by itself while the last
// one commits, and costs no latency when idle), up to the batch size.
func (e *Engine) work(ctx context.Context, in <-chan jetstream.Msg, rt *router) {
	batch := make([]jetstream.Msg, 0, e.opt.BatchSize)
	for msg := range in {
		batch = append(batch[:0], msg)
	fill:
		for len(batch) < e.opt.BatchSize {
			select {
			case m, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		// A failure seen by one worker (the database down) holds them all:
		// the pause is the engine's, not the worker's.
		e.holdOn(e.quit)
		pause := e.process(ctx, batch)
		for _, m := range batch {
			rt.done(enterpriseProbe(m.Data()))
		}
		if pause > 0 {
			e.hold(pause)
			e.holdOn(e.quit)
		}
	}
}

// hold makes the workers pause until the engine's clock has moved on by d
// (or longer, if another pause already lasts longer).
func (e *Engine) hold(d time.Duration) {
	until := e.opt.Now().Add(d)
	e.held.Lock()
	if until.After(e.heldUntil) {
		e.heldUntil = until
	}
	e.held.Unlock()
}

// holdOn waits out the engine's pause, if any.
func (e *Engine) holdOn(quit <-chan struct{}) {
	e.held.Lock()
	until := e.heldUntil
	e.held.Unlock()
	if left := until.Sub(e.opt.Now()); left > 0 {
		e.pause(left, quit)
	}
}

// enterpriseProbe returns the string value that follows the first
// "enterprise" key of a JSON object, or nil.
func enterpriseProbe(data []byte) []byte {
	key := []byte(`"enterprise"`)
	i := bytes.Index(data, key)
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(data[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 || end > 64 {
		return nil
	}
	return rest[1 : 1+end]
}

// clockTick is how often a pause looks at the engine's clock.
const clockTick = 100 * time.Millisecond

// pause waits after a transient failure so that a database outage does not
// turn into a hot loop. It lasts until the engine's clock has moved on by d
// (a test that moves its clock ends it) and a close of quit cuts it short.
func (e *Engine) pause(d time.Duration, quit <-chan struct{}) {
	until := e.opt.Now().Add(d)
	for {
		left := until.Sub(e.opt.Now())
		if left <= 0 {
			return
		}
		t := time.NewTimer(min(left, clockTick))
		select {
		case <-t.C:
		case <-quit:
			t.Stop()
			return
		}
	}
}

// delivery is one message in hand, from the event consumer or fetched again
// for a message that ran out of deliveries.
type delivery struct {
	data      []byte
	subject   string
	msgID     string
	seq       uint64
	delivered uint64
	// stored is when the broker stored the message (zero if it does not
	// say): the event's dates are judged against it, not against how long
	// it waited.
	stored time.Time
	ack    func()
	term   func(reason string)
	// nak asks for a redelivery after delay; cause is the failure.
	nak func(delay time.Duration, cause error)
}

func fromMsg(m jetstream.Msg) delivery {
	d := delivery{
		data: m.Data(), subject: m.Subject(), msgID: m.Headers().Get(jetstream.MsgIDHeader),
		ack:  func() { _ = m.Ack() },
		term: func(reason string) { _ = m.TermWithReason(reason) },
		nak:  func(delay time.Duration, _ error) { _ = m.NakWithDelay(delay) },
	}
	if md, err := m.Metadata(); err == nil {
		d.seq, d.delivered, d.stored = md.Sequence.Stream, md.NumDelivered, md.Timestamp
	}
	return d
}

func (e *Engine) process(ctx context.Context, msgs []jetstream.Msg) time.Duration {
	ds := make([]delivery, len(msgs))
	for i, m := range msgs {
		ds[i] = fromMsg(m)
	}
	e.m.consumed.Add(float64(len(ds)))
	return e.apply(ctx, ds)
}

// apply records deliveries in one transaction and settles each with the
// broker. It returns how long to pause before taking more (after a
// transient failure).
func (e *Engine) apply(ctx context.Context, ds []delivery) time.Duration {
	start := time.Now()
	var (
		items  []gridwarn.Incoming
		okDs   []delivery
		dead   []gridwarn.DeadLetter
		deadDs []delivery
		codes  []string
		now    = e.opt.Now()
	)
	for _, d := range ds {
		in, dl := e.decode(d, now)
		if dl != nil {
			dead, deadDs = append(dead, *dl), append(deadDs, d)
			continue
		}
		items, okDs = append(items, in), append(okDs, d)
		codes = append(codes, in.Event.Enterprise)
	}
	// One query for the batch's enterprises (an event about an enterprise
	// that is not in the registry waits as a dead letter until it is). Their
	// histories are read, and the decisions made, inside the transaction
	// that records the batch, under a lock per enterprise: another engine
	// on the same consumer never decides the same enterprise's events from
	// a history without this batch's, nor this one without its (D2).
	var ents map[string]gridwarn.Enterprise
	if len(items) > 0 {
		var err error
		if ents, err = e.store.EnterprisesByCode(ctx, codes); err != nil {
			return e.retryLater(ds, err)
		}
	}
	known, knownDs := items[:0], okDs[:0]
	for i, in := range items {
		ent, ok := ents[in.Event.Enterprise]
		if !ok {
			dl := deadLetter(okDs[i], gridwarn.ReasonUnknownEnterprise,
				fmt.Sprintf("enterprise: %s is not in the registry; add it, then run gridwarn dead-letters replay", in.Event.Enterprise))
			dead, deadDs = append(dead, dl), append(deadDs, okDs[i])
			continue
		}
		if county := gridwarn.SubjectCounty(in.Subject); county != ent.CountyCode() {
			dl := deadLetter(okDs[i], gridwarn.ReasonWrongCounty,
				fmt.Sprintf("subject: %s names county %q, but enterprise %s lies in county %s; publish its events on %s",
					in.Subject, county, ent.CreditCode, ent.CountyCode(), ent.EventSubject()))
			dead, deadDs = append(dead, dl), append(deadDs, okDs[i])
			continue
		}
		in.Enterprise = ent
		known, knownDs = append(known, in), append(knownDs, okDs[i])
	}
	items, okDs = known, knownDs
	var since time.Time
	if days := e.decider.HistoryDays(); days > 0 {
		since = now.AddDate(0, 0, -days)
	}
	decide := func(history map[string]gridwarn.History) []gridwarn.Incoming {
		decided := make([]gridwarn.Incoming, len(items))
		for i, in := range items {
			h := history[in.Event.Enterprise]
			in.Decision = e.decider.Decide(gridwarn.DecisionInput{Event: in.Event, Enterprise: in.Enterprise, History: h, Now: now})
			// Later events of the batch see this one as history.
			if history != nil {
				workers := 0
				if in.Event.WorkersInvolved != nil {
					workers = *in.Event.WorkersInvolved
				}
				h.Signals = append([]gridwarn.Signal{{EventID: in.Event.ID, Category: in.Event.Category,
					OccurredAt: in.Event.OccurredAt, Workers: workers, Level: in.Decision.Level}}, h.Signals...)
				history[in.Event.Enterprise] = h
			}
			decided[i] = in
		}
		return decided
	}

	res, err := e.store.ApplyDecided(ctx, items, dead, since, decide)
	if !unreachable(err) {
		e.reached()
	}
	if err == nil && e.opt.AfterCommit != nil {
		if herr := e.opt.AfterCommit(res); herr != nil {
			e.log.Warn("engine: acknowledgements skipped by hook", "err", herr)
			return 0
		}
	}
	switch code := gridwarn.ErrorCode(err); {
	case err == nil:
		for _, d := range okDs {
			d.ack()
		}
		for i, d := range deadDs {
			d.term(string(dead[i].Reason))
			e.m.deadLetters.WithLabelValues(string(dead[i].Reason)).Inc()
			e.log.Warn("dead letter", "stream_seq", d.seq, "subject", d.subject, "reason", dead[i].Reason, "detail", dead[i].Detail)
		}
		e.m.stored.Add(float64(res.Stored))
		e.m.duplicates.Add(float64(res.Duplicates))
		e.m.opened.Add(float64(res.TicketsOpened))
		e.m.batch.Observe(time.Since(start).Seconds())
		e.m.batchSize.Observe(float64(len(ds)))
		e.log.Debug("batch committed", "messages", len(ds), "stored", res.Stored, "duplicates", res.Duplicates,
			"tickets_opened", res.TicketsOpened, "dead_letters", len(dead), "duration", time.Since(start))
		return 0

	case code == gridwarn.EINVALID && len(ds) > 1:
		// The database refused something in the batch that the contract let
		// through. Find it: apply each message on its own.
		e.log.Warn("engine: batch rejected by the database, applying messages one by one", "messages", len(ds), "err", err)
		var pause time.Duration
		for _, d := range ds {
			pause = max(pause, e.apply(ctx, []delivery{d}))
		}
		return pause

	case code == gridwarn.EINVALID:
		return e.settleDead(ctx, ds[0], deadLetter(ds[0], gridwarn.ReasonRejected, gridwarn.ErrorMessage(err)))

	default:
		return e.retryLater(ds, err)
	}
}

// retryLater naks every delivery with the delay its delivery count calls
// for and returns that delay, for which the engine pauses. An unreachable
// database is logged once per outage, anything else once per batch.
func (e *Engine) retryLater(ds []delivery, err error) time.Duration {
	delay := e.nakDelay(ds)
	e.m.retries.Inc()
	switch {
	case unreachable(err):
		e.unreachable(err)
	case gridwarn.ErrorCode(err) == gridwarn.EUNAVAILABLE: // a race or a timeout of a working database
		e.reached()
		e.log.Warn("engine: batch not committed, redelivering later", "messages", len(ds), "delay", delay, "err", err)
	default:
		e.reached()
		e.log.Error("engine: batch not committed, redelivering later", "messages", len(ds), "delay", delay, "err", err)
	}
	for _, d := range ds {
		d.nak(delay, err)
	}
	return delay
}

// settleDead records one dead letter on its own and terminates the message.
func (e *Engine) settleDead(ctx context.Context, d delivery, dl gridwarn.DeadLetter) time.Duration {
	if _, err := e.store.ApplyBatch(ctx, nil, []gridwarn.DeadLetter{dl}); err != nil {
		delay := e.nakDelay([]delivery{d})
		if unreachable(err) {
			e.unreachable(err)
		} else {
			e.log.Error("engine: could not record dead letter, redelivering later", "stream_seq", d.seq, "err", err)
		}
		d.nak(delay, err)
		return delay
	}
	e.reached()
	d.term(string(dl.Reason))
	e.m.deadLetters.WithLabelValues(string(dl.Reason)).Inc()
	e.log.Warn("dead letter", "stream_seq", d.seq, "subject", d.subject, "reason", dl.Reason, "detail", dl.Detail)
	return 0
}

func (e *Engine) nakDelay(ds []delivery) time.Duration {
	var n uint64
	for _, d := range ds {
		n = max(n, d.delivered)
	}
	i := int(min(max(n, 1)-1, uint64(len(e.opt.NakDelays)-1)))
	return e.opt.NakDelays[i]
}

// decode validates one message; a message that can never succeed comes
// back as a dead letter instead. now is the engine's clock.
func (e *Engine) decode(d delivery, now time.Time) (gridwarn.Incoming, *gridwarn.DeadLetter) {
	if len(d.data) > e.opt.MaxEventBytes {
		dl := deadLetter(d, gridwarn.ReasonOversize, fmt.Sprintf("the message has %d bytes; the limit is %d", len(d.data), e.opt.MaxEventBytes))
		return gridwarn.Incoming{}, &dl
	}
	ev, err := contract.ParseEvent(d.data)
	if err != nil {
		reason := gridwarn.ReasonSchemaViolation
		switch {
		case errors.Is(err, contract.ErrMalformed):
			reason = gridwarn.ReasonMalformedJSON
		case gridwarn.IsInvalidCreditCode(err):
			reason = gridwarn.ReasonInvalidCreditCode
		}
		dl := deadLetter(d, reason, describe(err))
		return gridwarn.Incoming{}, &dl
	}
	stored := d.stored
	if stored.IsZero() {
		stored = now
	}
	if err := ev.ValidateWindowAt(stored, now, e.opt.Window); err != nil {
		dl := deadLetter(d, gridwarn.ReasonDateOutOfWindow, describe(err))
		return gridwarn.Incoming{}, &dl
	}
	return gridwarn.Incoming{Event: ev, Subject: d.subject, StreamSeq: d.seq}, nil
}

func deadLetter(d delivery, reason gridwarn.DeadLetterReason, detail string) gridwarn.DeadLetter {
	dl := gridwarn.DeadLetter{
		Stream: natsbus.StreamName, StreamSeq: d.seq, Subject: d.subject, MsgID: d.msgID,
		Reason: reason, Detail: detail, Raw: d.data, Deliveries: int(d.delivered),
	}
	// Keep the event id when one can be read, so that a reporter can find it.
	var probe struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(d.data, &probe) == nil {
		if s, ok := probe.ID.(string); ok && len(s) <= 64 {
			dl.EventID = s
		}
	}
	return dl
}

// describe renders a validation error as "field: message; field: message".
func describe(err error) string {
	fields := gridwarn.ErrorFields(err)
	if len(fields) == 0 {
		return gridwarn.ErrorMessage(err)
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		name := f.Field
		if name == "" {
			name = "(document)"
		}
		parts[i] = fmt.Sprintf("%s: %s (%s)", name, f.Message, f.Rule)
	}
	return strings.Join(parts, "; ")
}

// unreachable reports whether err says that the database could not be
// reached or was not serving: the attempt did nothing.
func unreachable(err error) bool { return errors.Is(err, gridwarn.ErrUnreachable) }

// unreachable notes an attempt that found the database unreachable and logs
// the start of an outage.
func (e *Engine) unreachable(err error) {
	e.db.mu.Lock()
	begins := !e.db.down
	if begins {
		e.db.down, e.db.since, e.db.failed = true, e.opt.Now(), 0
	}
	e.db.failed++
	e.db.mu.Unlock()
	e.m.unavailable.Set(1)
	if begins {
		e.log.Error("database unavailable, events waiting", "waiting", e.waiting(), "err", err)
	}
}

// reached notes an attempt that reached a working database and logs the end
// of an outage.
func (e *Engine) reached() {
	e.db.mu.Lock()
	ends := e.db.down
	since, failed := e.db.since, e.db.failed
	e.db.down = false
	e.db.mu.Unlock()
	if ends {
		e.m.unavailable.Set(0)
		e.log.Info("database back, resumed", "waiting", e.waiting(),
			"outage", e.opt.Now().Sub(since).Round(time.Millisecond), "failed_attempts", failed)
	}
}

// databaseDown reports whether the last attempt found the database
// unreachable.
func (e *Engine) databaseDown() bool {
	e.db.mu.Lock()
	defer e.db.mu.Unlock()
	return e.db.down
}

// waiting counts the events not yet stored: pending or in hand on the event
// consumer and on the rescuer's advisories; -1 if the broker does not say.
func (e *Engine) waiting() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	e.mu.Lock()
	adv := e.advisories
	e.mu.Unlock()
	n := 0
	for _, c := range []jetstream.Consumer{e.cons, adv} {
		if c == nil {
			continue
		}
		info, err := c.Info(ctx)
		if err != nil {
			return -1
		}
		n += int(info.NumPending) + info.NumAckPending
	}
	return n
}
