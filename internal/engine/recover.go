package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// RecoverStart is where a recovery starts reading the stream: at a
// sequence, or at the first message the broker stored at or after a time.
type RecoverStart struct {
	Seq  uint64
	Time time.Time
}

// RecoverResult is what a recovery did.
type RecoverResult struct {
	// First and Last are the stream sequences of the first and the last
	// message re-driven (0 when there was none); Target is the stream's last
	// sequence when the recovery began, up to which it read.
	First, Last, Target uint64
	Messages            int
	Stored              int // events the database did not hold
	Duplicates          int // events it held already (the inbox skipped them)
	DeadLetters         int // dead letters recorded anew
}

// Recover re-drives the event stream from start up to the stream's last
// message at the time of the call, through the engine's own path (decode,
// the registry and county checks, the rules, one transaction per batch),
// with an ordered consumer of its own: the durable consumer and its
// acknowledgements are left alone. Events the database holds already are
// skipped by the inbox, so overlap costs time, never a second copy. A batch
// that fails for a transient reason (the database down) is retried until it
// commits or ctx ends.
//
// It brings a database restored from a backup forward: everything the
// stream kept after the backup is applied again.
func Recover(ctx context.Context, stream jetstream.Stream, store gridwarn.EventStore, decider gridwarn.Decider, o Options, start RecoverStart) (RecoverResult, error) {
	var res RecoverResult
	info, err := stream.Info(ctx)
	if err != nil {
		return res, fmt.Errorf("recover: stream info: %w", err)
	}
	res.Target = info.State.LastSeq
	if res.Target == 0 || (start.Time.IsZero() && start.Seq > res.Target) {
		return res, nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{natsbus.EventSubjects}}
	switch {
	case !start.Time.IsZero():
		t := start.Time
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case start.Seq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start.Seq
	default:
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return res, fmt.Errorf("recover: consumer: %w", err)
	}
	counter := &countingStore{EventStore: store}
	e := New(nil, counter, decider, o)
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch, err := cons.Fetch(e.opt.BatchSize, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return res, fmt.Errorf("recover: fetch: %w", err)
		}
		var ds []delivery
		done := false
		for m := range batch.Messages() {
			d := fromMsg(m)
			d.delivered = 1
			ds = append(ds, d)
			if d.seq >= res.Target {
				done = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return res, fmt.Errorf("recover: fetch: %w", err)
		}
		if len(ds) == 0 {
			// Nothing came: either caught up (the messages up to the target
			// were filtered out or deleted) or the server is slow.
			ci, err := cons.Info(ctx)
			if err != nil {
				return res, fmt.Errorf("recover: consumer info: %w", err)
			}
			if ci.NumPending == 0 || ci.Delivered.Stream >= res.Target {
				break
			}
			continue
		}
		if res.First == 0 {
			res.First = ds[0].seq
		}
		res.Last = ds[len(ds)-1].seq
		res.Messages += len(ds)
		if err := e.applyUntilSettled(ctx, ds); err != nil {
			return res, err
		}
		if done {
			break
		}
	}
	res.Stored, res.Duplicates, res.DeadLetters = counter.res.Stored, counter.res.Duplicates, counter.res.DeadLetters
	return res, nil
}

// applyUntilSettled applies deliveries read by an ordered consumer (which
// takes no acknowledgements) and applies them again after a transient
// failure, pausing as the engine would, until they are settled.
func (e *Engine) applyUntilSettled(ctx context.Context, ds []delivery) error {
	for {
		var failed bool
		var cause error
		for i := range ds {
			ds[i].ack = func() {}
			ds[i].term = func(string) {}
			ds[i].nak = func(_ time.Duration, err error) { failed, cause = true, err }
		}
		pause := e.apply(ctx, ds)
		if !failed {
			return nil
		}
		e.log.Warn("recover: batch not stored; retrying", "first_seq", ds[0].seq, "err", cause, "pause", pause)
		select {
		case <-ctx.Done():
			return fmt.Errorf("recover: %w (last failure: %v)", ctx.Err(), cause)
		case <-time.After(max(pause, 100*time.Millisecond)):
		}
	}
}

// countingStore sums what the batches stored.
type countingStore struct {
	gridwarn.EventStore
	mu  sync.Mutex
	res gridwarn.BatchResult
}

func (c *countingStore) ApplyBatch(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter) (gridwarn.BatchResult, error) {
	return c.count(c.EventStore.ApplyBatch(ctx, items, dead))
}

func (c *countingStore) ApplyDecided(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, since time.Time, decide gridwarn.DecideFunc) (gridwarn.BatchResult, error) {
	return c.count(c.EventStore.ApplyDecided(ctx, items, dead, since, decide))
}

// count adds what a committed batch stored.
func (c *countingStore) count(r gridwarn.BatchResult, err error) (gridwarn.BatchResult, error) {
	if err == nil {
		c.mu.Lock()
		c.res.Stored += r.Stored
		c.res.Duplicates += r.Duplicates
		c.res.TicketsOpened += r.TicketsOpened
		c.res.DeadLetters += r.DeadLetters
		c.mu.Unlock()
	}
	return r, err
}
