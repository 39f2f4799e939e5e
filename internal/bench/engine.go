package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// engineGroup measures the naive loop (1d) and the engine (2a) on the
// same pre-published events, or the engine alone with the big territory
// (2b).
func (r *runner) engineGroup(ctx context.Context, tpl templates, big bool) (groupResult, error) {
	var res groupResult
	ents := demo.County(0).SimulatorEnterprises()
	template, key := tpl.Demo, "2a"
	if big {
		ents, template, key = bigSimEnterprises(r.o.BigEnterprises), tpl.Big, "2b"
	}
	naive := Row{Key: "1d", Figure: Figure{Unit: "events/s"}}
	eng := Row{Key: key, Figure: Figure{Unit: "events/s"}}
	var (
		startups            []float64
		opened, batches     []float64
		publishRates        []float64
		naiveRSS, engineRSS int64
	)
	for rep := range r.o.Reps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		name, dbURL, err := r.fresh(ctx, "engine", template)
		if err != nil {
			return res, err
		}
		b, err := r.startBroker(ctx)
		if err != nil {
			return res, err
		}
		src := newEventSource(ents, uint64(100+rep))
		start := time.Now()
		if err := b.prePublish(ctx, src, r.o.Events); err != nil {
			b.close()
			return res, err
		}
		publishRates = append(publishRates, float64(r.o.Events)/time.Since(start).Seconds())
		r.progress("%s rep %d/%d: %d events pre-published in %s", key, rep+1, r.o.Reps, r.o.Events, time.Since(start).Round(time.Millisecond))
		if !big {
			d, err := r.naiveLoop(ctx, b, dbURL, r.o.Events)
			if err != nil {
				b.close()
				return res, fmt.Errorf("naive loop: %w", err)
			}
			rate := float64(r.o.Events) / d.Seconds()
			naive.Figure.Values = append(naive.Figure.Values, rate)
			r.progress("1d rep %d/%d: naive loop %d events in %s (%s events/s)", rep+1, r.o.Reps, r.o.Events, d.Round(time.Millisecond), num(rate))
			if rep == 0 {
				naiveRSS = vmHWM()
			}
		}
		er, err := r.runEngine(ctx, b, dbURL, r.o.Events, 0)
		b.close()
		if err != nil {
			return res, fmt.Errorf("engine: %w", err)
		}
		if err := r.pg.drop(ctx, name); err != nil {
			return res, err
		}
		rate := float64(r.o.Events) / er.elapsed.Seconds()
		eng.Figure.Values = append(eng.Figure.Values, rate)
		startups = append(startups, ms(er.startup))
		opened = append(opened, float64(er.opened))
		batches = append(batches, float64(er.batches))
		r.progress("%s rep %d/%d: engine %d events in %s (%s events/s; app start %s, %d batches, %d tickets opened)", key, rep+1, r.o.Reps,
			r.o.Events, er.elapsed.Round(time.Millisecond), num(rate), er.startup.Round(time.Millisecond), er.batches, er.opened)
		engineRSS = vmHWM()
	}
	eng.RSSKiB = engineRSS
	if !big {
		naive.RSSKiB = naiveRSS
		eng.Raw = naive.Figure
		eng.Ratio = ratios(eng.Figure, naive.Figure)
		res.Rows = append(res.Rows, naive)
		res.Notes = append(res.Notes, "1d's RSS was read after its first repetition, before the engine (2a) had run in that process; 2a's RSS is cumulative over 1d and 2a.")
	}
	res.Rows = append(res.Rows, eng)
	res.Notes = append(res.Notes, fmt.Sprintf("%s: each repetition pre-publishes the events (set-up, in atomic batches of 1000: %s events/s median), then starts the app; the time runs from app.Start (broker connection, pool, consumer creation: %s ms median) to the AfterCommit hook of the batch that completes the count, then the consumer info (num_pending 0, num_ack_pending 0) and the events row count are checked. Median %s batches, %s tickets opened (the database starts without tickets, so an event about a new enterprise and category opens one: its clocks, history and outbox rows).",
		key, num(median(publishRates)), num(median(startups)), num(median(batches)), num(median(opened))))
	return res, nil
}

// appConfig is the app's configuration for a bench run: the user's
// settings, with the bench's broker and database and only the given roles.
func (r *runner) appConfig(b *broker, dbURL string, roles config.Roles) config.Config {
	cfg := r.o.Config
	cfg.Roles = roles
	cfg.NATS.URL = b.url()
	cfg.NATS.User, cfg.NATS.Password, cfg.NATS.Token = "", "", ""
	cfg.NATS.CredsFile, cfg.NATS.NKeySeedFile, cfg.NATS.TLS = "", "", config.TLS{}
	cfg.Database.URL = dbURL
	cfg.Database.MigrateOnStart = false // the template is migrated
	cfg.API.Listen = "127.0.0.1:0"
	cfg.Notify.Webhooks = nil // never call anybody's webhooks from a bench
	return cfg
}

type engineRun struct {
	elapsed, startup time.Duration
	batches, opened  int64
}

// runEngine starts the app with the engine role on the broker's backlog of
// n events and waits until all are committed; the database held base
// events before.
func (r *runner) runEngine(ctx context.Context, b *broker, dbURL string, n int, base int64) (engineRun, error) {
	var out engineRun
	cfg := r.appConfig(b, dbURL, config.Roles{Engine: true, Relay: true})
	a := app.New(cfg, r.log)
	var (
		stored, dead, opened, batches, last atomic.Int64
		once                                sync.Once
		done                                = make(chan struct{})
	)
	a.AfterCommit = func(res gridwarn.BatchResult) error {
		now := time.Now()
		batches.Add(1)
		opened.Add(int64(res.TicketsOpened))
		d := dead.Add(int64(res.DeadLetters))
		s := stored.Add(int64(res.Stored))
		last.Store(now.UnixNano())
		if s+d >= int64(n) {
			once.Do(func() { close(done) })
		}
		return nil
	}
	t0 := time.Now()
	if err := a.Start(ctx); err != nil {
		return out, err
	}
	out.startup = time.Since(t0)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	}()
	timeout := max(2*time.Minute, time.Duration(n)*10*time.Millisecond)
	select {
	case <-done:
	case <-ctx.Done():
		return out, ctx.Err()
	case <-time.After(timeout):
		return out, fmt.Errorf("%d of %d events committed after %s", stored.Load(), n, timeout)
	}
	out.elapsed = time.Unix(0, last.Load()).Sub(t0)
	out.batches, out.opened = batches.Load(), opened.Load()
	if d := dead.Load(); d > 0 {
		return out, fmt.Errorf("%d events became dead letters", d)
	}
	if err := waitConsumerDone(ctx, b.js, cfg.NATS.Consumer.Durable); err != nil {
		return out, err
	}
	var rows int64
	if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&rows); err != nil {
		return out, err
	}
	if rows != base+int64(n) {
		return out, fmt.Errorf("the events table holds %d rows, want %d", rows, base+int64(n))
	}
	return out, nil
}

// waitConsumerDone waits until the consumer has nothing pending and
// nothing unacknowledged (the engine acks right after the hook).
func waitConsumerDone(ctx context.Context, js jetstream.JetStream, durable string) error {
	cons, err := js.Consumer(ctx, natsbus.StreamName, durable)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer %s: num_pending %d, num_ack_pending %d after the last commit", durable, info.NumPending, info.NumAckPending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// naiveLoop is the floor the engine is compared with: fetch 100, one
// batched INSERT … ON CONFLICT DO NOTHING into a plain table, ack, from a
// cold consumer to the last commit.
func (r *runner) naiveLoop(ctx context.Context, b *broker, dbURL string, n int) (time.Duration, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `
CREATE TABLE bench_naive (
    event_id    text PRIMARY KEY,
    stream_seq  bigint NOT NULL,
    subject     text NOT NULL,
    body        jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return 0, err
	}
	c := r.o.Config.NATS.Consumer
	t0 := time.Now()
	cons, err := b.js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: "bench-naive", AckPolicy: jetstream.AckExplicitPolicy, AckWait: c.AckWait, MaxDeliver: c.MaxDeliver,
		MaxAckPending: c.MaxAckPending, FilterSubject: natsbus.EventSubjects, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, err
	}
	const q = `
INSERT INTO bench_naive (event_id, stream_seq, subject, body)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[])
ON CONFLICT (event_id) DO NOTHING`
	var (
		got      int
		last     = t0
		msgs     []jetstream.Msg
		ids      []string
		seqs     []int64
		subjects []string
		bodies   []string
	)
	for got < n {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return 0, err
		}
		msgs, ids, seqs, subjects, bodies = msgs[:0], ids[:0], seqs[:0], subjects[:0], bodies[:0]
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return 0, err
			}
			msgs = append(msgs, m)
			ids = append(ids, m.Headers().Get(jetstream.MsgIDHeader))
			seqs = append(seqs, int64(md.Sequence.Stream))
			subjects = append(subjects, m.Subject())
			bodies = append(bodies, string(m.Data()))
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return 0, err
		}
		if len(msgs) == 0 {
			if time.Since(last) > 30*time.Second {
				return 0, fmt.Errorf("no messages for 30s after %d of %d", got, n)
			}
			continue
		}
		if _, err := pool.Exec(ctx, q, ids, seqs, subjects, bodies); err != nil {
			return 0, err
		}
		for _, m := range msgs {
			_ = m.Ack()
		}
		got += len(msgs)
		last = time.Now()
	}
	elapsed := last.Sub(t0)
	var rows int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM bench_naive").Scan(&rows); err != nil {
		return 0, err
	}
	if rows != n {
		return 0, fmt.Errorf("bench_naive holds %d rows, want %d", rows, n)
	}
	if err := waitConsumerDone(ctx, b.js, "bench-naive"); err != nil {
		return 0, err
	}
	if err := b.js.DeleteConsumer(ctx, natsbus.StreamName, "bench-naive"); err != nil {
		return 0, err
	}
	return elapsed, nil
}
