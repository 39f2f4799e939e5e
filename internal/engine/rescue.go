package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// rescueAttempts is how many times a message that ran out of deliveries is
// retried from its advisory while the database is up but refuses it for a
// reason that is not the data's (a bug) before it is set aside as a dead
// letter with reason max_deliveries. Only attempts that reached a working
// database count: while it is down or starting up the rescuer waits,
// however long that takes.
const rescueAttempts = 10

// Rescuer stores the messages that ran out of deliveries on the event
// consumer. The server announces each one with a max-deliveries advisory,
// which a stream keeps until the rescuer has handled it: it fetches the
// original message by sequence and applies it like the engine would, so an
// outage longer than the redelivery schedule loses nothing.
type Rescuer struct {
	engine     *Engine
	advisories jetstream.Consumer
	events     jetstream.Stream
	cc         jetstream.ConsumeContext
	quit       chan struct{} // closed by Stop: cuts a pause short

	mu      sync.Mutex
	tries   map[uint64]int // by stream sequence: attempts that reached a working database
	rescued int            // stored since the rescuer last said so
}

// NewRescuer returns a rescuer that reads advisories and fetches originals
// from events, applying them through e.
func NewRescuer(e *Engine, advisories jetstream.Consumer, events jetstream.Stream) *Rescuer {
	e.mu.Lock()
	e.advisories = advisories
	e.mu.Unlock()
	return &Rescuer{engine: e, advisories: advisories, events: events, quit: make(chan struct{}), tries: map[uint64]int{}}
}

// Start begins reading advisories.
func (r *Rescuer) Start(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	cc, err := r.advisories.Consume(func(m jetstream.Msg) { r.handle(ctx, m) }, jetstream.PullMaxMessages(16))
	if err != nil {
		return fmt.Errorf("rescuer: consume advisories: %w", err)
	}
	r.cc = cc
	return nil
}

// Stop finishes the advisory in hand and stops.
func (r *Rescuer) Stop(ctx context.Context) error {
	if r.cc == nil {
		return nil
	}
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	r.cc.Drain()
	select {
	case <-r.cc.Closed():
		return nil
	case <-ctx.Done():
		r.cc.Stop()
		return fmt.Errorf("rescuer: stop: %w", ctx.Err())
	}
}

type maxDeliveriesAdvisory struct {
	Type       string `json:"type"`
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

func (r *Rescuer) handle(ctx context.Context, m jetstream.Msg) {
	e := r.engine
	var a maxDeliveriesAdvisory
	if err := json.Unmarshal(m.Data(), &a); err != nil || a.StreamSeq == 0 {
		e.log.Error("rescuer: unreadable advisory", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	var backlog uint64 = 1 // advisories after this one; unknown: some
	if md, err := m.Metadata(); err == nil {
		backlog = md.NumPending
	}
	adv := delivery{
		seq: a.StreamSeq, delivered: a.Deliveries,
		ack:  func() { r.forget(a.StreamSeq); _ = m.Ack() },
		term: func(string) { r.forget(a.StreamSeq); _ = m.Ack() },
		nak:  func(d time.Duration, _ error) { _ = m.NakWithDelay(d) },
	}
	raw, err := r.events.GetMsg(ctx, a.StreamSeq)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		e.settleDead(ctx, adv, deadLetter(adv, gridwarn.ReasonMaxDeliveries,
			fmt.Sprintf("delivered %d times without being stored; the message is no longer in the stream", a.Deliveries)))
		return
	case err != nil:
		e.log.Warn("rescuer: cannot fetch message", "stream_seq", a.StreamSeq, "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	d := adv
	d.data, d.subject, d.msgID, d.stored = raw.Data, raw.Subject, raw.Header.Get(jetstream.MsgIDHeader), raw.Time
	d.ack = func() {
		e.m.rescued.Inc()
		e.log.Debug("rescuer: stored a message that ran out of deliveries", "stream_seq", a.StreamSeq, "deliveries", a.Deliveries)
		r.forget(a.StreamSeq)
		_ = m.Ack()
		r.mu.Lock()
		r.rescued++
		n := r.rescued
		if backlog == 0 {
			r.rescued = 0
		}
		r.mu.Unlock()
		if backlog == 0 {
			e.log.Info("rescuer: stored messages that ran out of deliveries", "messages", n)
		}
	}
	d.nak = func(delay time.Duration, cause error) {
		if unreachable(cause) { // nothing was tried: wait for the database
			_ = m.NakWithDelay(delay)
			return
		}
		if tries := r.tried(a.StreamSeq); tries < rescueAttempts {
			_ = m.NakWithDelay(delay)
			return
		}
		// The database answers but keeps failing: set it aside for a person.
		plain := d
		plain.nak = func(delay time.Duration, _ error) { _ = m.NakWithDelay(delay) }
		e.settleDead(ctx, plain, deadLetter(plain, gridwarn.ReasonMaxDeliveries,
			fmt.Sprintf("delivered %d times and retried %d times from the advisory without being stored (last: %v)",
				a.Deliveries, rescueAttempts, gridwarn.ErrorMessage(cause))))
	}
	e.m.consumed.Inc()
	if pause := e.apply(ctx, []delivery{d}); pause > 0 {
		// The advisories behind this one would fail the same way: wait
		// before the next (the database down: one attempt per pause, not
		// one per advisory).
		e.pause(pause, r.quit)
	}
}

// tried counts an attempt on the message at seq that reached a working
// database and returns the count.
func (r *Rescuer) tried(seq uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries[seq]++
	return r.tries[seq]
}

func (r *Rescuer) forget(seq uint64) {
	r.mu.Lock()
	delete(r.tries, seq)
	r.mu.Unlock()
}
