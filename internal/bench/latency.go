package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// latencyGroup offers events at fixed rates to the running engine and
// measures, per event, publish → its batch committed, against publish →
// broker ack of the same events (3).
func (r *runner) latencyGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	ents := demo.County(0).SimulatorEnterprises()
	var achieved []string
	for _, rate := range r.o.LatencyRates {
		rows := make([]Row, len(latencyStats))
		for i, st := range latencyStats {
			rows[i] = Row{Key: latencyKey(rate, st), Figure: Figure{Unit: "ms"}, Raw: Figure{Unit: "ms"}}
		}
		own := Row{Key: ownKey(rate), Figure: Figure{Unit: "ms"}, Raw: Figure{Unit: "ms"}}
		var rates []float64
		for rep := range r.o.Reps {
			name, dbURL, err := r.fresh(ctx, "latency", tpl.Demo)
			if err != nil {
				return res, err
			}
			b, err := r.startBroker(ctx)
			if err != nil {
				return res, err
			}
			lr, err := r.runLatency(ctx, b, dbURL, rate, newEventSource(ents, uint64(200+rep)), rep)
			b.close()
			if err != nil {
				return res, fmt.Errorf("%d events/s: %w", rate, err)
			}
			if err := r.pg.drop(ctx, name); err != nil {
				return res, err
			}
			rates = append(rates, lr.achieved)
			for i := range latencyStats {
				rows[i].Figure.Values = append(rows[i].Figure.Values, lr.e2e[i])
				rows[i].Raw.Values = append(rows[i].Raw.Values, lr.ack[i])
			}
			own.Figure.Values = append(own.Figure.Values, lr.own[2])
			own.Raw.Values = append(own.Raw.Values, lr.e2e[2])
			r.progress("latency %d/s rep %d/%d: %d events, publish→committed p50 %.1f p95 %.1f p99 %.1f max %.1f ms; publish→ack p99 %.1f ms; committed−ack p99 %.1f ms; %d batches",
				rate, rep+1, r.o.Reps, lr.n, lr.e2e[0], lr.e2e[1], lr.e2e[2], lr.e2e[3], lr.ack[2], lr.own[2], lr.batches)
		}
		rss := vmHWM()
		for i := range rows {
			rows[i].Ratio = ratios(rows[i].Figure, rows[i].Raw)
			rows[i].RSSKiB = rss
		}
		own.Ratio = ratios(own.Figure, own.Raw)
		own.RSSKiB = rss
		res.Rows = append(res.Rows, append(rows, own)...)
		achieved = append(achieved, fmt.Sprintf("%s/s offered → %s/s published (median)", num(float64(rate)), num(median(rates))))
	}
	how := "the commit of the event's batch: the AfterCommit hook's time, matched to the event by the ids the batch stored for the first time (BatchResult.StoredIDs)"
	res.Notes = append(res.Notes, "3: the app runs the engine role; a publisher paces PublishMsgAsync to the offered rate, and latency runs from each event's scheduled send time (so a stalled publisher counts against it) to "+how+
		". AfterCommit runs right after COMMIT returns and before the acks. The raw part is the same event's publish → broker ack (persisted with the sync setting above); the engine's own part (rows after the rates' rows) is, per event, its commit minus its broker ack (what the engine adds after the broker has the event). "+strings.Join(achieved, "; ")+".")
	return res, nil
}

type latencyRun struct {
	e2e, ack, own [4]float64
	n             int
	batches       int
	achieved      float64
}

func (r *runner) runLatency(ctx context.Context, b *broker, dbURL string, rate int, src *eventSource, rep int) (latencyRun, error) {
	var out latencyRun
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
		batches   int
		stored    atomic.Int64
	)
	a := app.New(r.appConfig(b, dbURL, config.Roles{Engine: true, Relay: true}), r.log)
	a.AfterCommit = func(res gridwarn.BatchResult) error {
		now := time.Now()
		if res.Stored > 0 {
			mu.Lock()
			for _, id := range res.StoredIDs {
				committed[id] = now
			}
			batches++
			mu.Unlock()
			stored.Add(int64(res.Stored))
		}
		return nil
	}
	if err := a.Start(ctx); err != nil {
		return out, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	}()

	n := max(1, int(float64(rate)*r.o.LatencyDuration.Seconds()))
	msgs, err := prepareMsgs(src, rep, n)
	if err != nil {
		return out, err
	}
	scheduled := make([]time.Time, n)
	acked := make([]time.Time, n)
	type pending struct {
		i int
		f jetstream.PubAckFuture
	}
	futs := make(chan pending, 1<<14)
	var ackErrs atomic.Int64
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for p := range futs {
			select {
			case <-p.f.Ok():
				acked[p.i] = time.Now()
			case <-p.f.Err():
				ackErrs.Add(1)
			}
		}
	}()
	period := time.Duration(float64(time.Second) / float64(rate))
	t0 := time.Now().Add(20 * time.Millisecond)
	var pubErr error
	for i := range n {
		at := t0.Add(time.Duration(i) * period)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		scheduled[i] = at
		f, err := b.js.PublishMsgAsync(msgs.msg(i), jetstream.WithExpectStream(natsbus.StreamName), jetstream.WithStallWait(time.Minute))
		if err != nil {
			pubErr = err
			break
		}
		futs <- pending{i, f}
	}
	out.achieved = float64(n) / time.Since(t0).Seconds()
	close(futs)
	<-collected
	if pubErr != nil {
		return out, pubErr
	}
	if e := ackErrs.Load(); e > 0 {
		return out, fmt.Errorf("%d publishes failed", e)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for stored.Load() < int64(n) {
		if time.Now().After(deadline) {
			return out, fmt.Errorf("%d of %d events committed 2 minutes after the last publish", stored.Load(), n)
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}

	mu.Lock()
	defer mu.Unlock()
	out.batches = batches
	e2e := make(latencies, 0, n)
	ack := make(latencies, 0, n)
	own := make(latencies, 0, n)
	for i := range n {
		done, ok := committed[latencyID(rep, i)]
		if !ok {
			return out, fmt.Errorf("event %d of %d: no commit seen", i, n)
		}
		e2e = append(e2e, done.Sub(scheduled[i]))
		ack = append(ack, acked[i].Sub(scheduled[i]))
		own = append(own, done.Sub(acked[i]))
	}
	var rows int
	if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&rows); err != nil {
		return out, err
	}
	if rows != n {
		return out, fmt.Errorf("the events table holds %d rows, want %d", rows, n)
	}
	out.n = n
	out.e2e = e2e.sorted().pcts()
	out.ack = ack.sorted().pcts()
	out.own = own.sorted().pcts()
	return out, nil
}

// preparedMsgs are a latency run's events, made before the clock starts so
// that making them costs the measured window nothing, and kept compact: the
// JSON of all of them in one pointer-free arena and a subject each. The
// small nats.Msg (its header map) is built at send time. Kept as n
// nats.Msgs, 60,000 events at 2,000/s put 60–70 MiB of the load
// generator's own into this process's peak RSS (275–282 against 214 MiB),
// which goal 8 means for gridwarn.
type preparedMsgs struct {
	rep      int
	subjects []string
	ends     []int
	arena    []byte
}

func prepareMsgs(src *eventSource, rep, n int) (*preparedMsgs, error) {
	p := &preparedMsgs{rep: rep, subjects: make([]string, n), ends: make([]int, n)}
	for i := range n {
		m, _, err := src.msg(latencyID(rep, i))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			p.arena = make([]byte, 0, n*(len(m.Data)+len(m.Data)/4))
		}
		p.subjects[i] = m.Subject
		p.arena = append(p.arena, m.Data...)
		p.ends[i] = len(p.arena)
	}
	// The preparation's garbage (a message and a header map per event) is
	// collected now, not during the measured window.
	runtime.GC()
	return p, nil
}

func (p *preparedMsgs) msg(i int) *nats.Msg {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	m := nats.NewMsg(p.subjects[i])
	m.Data = p.arena[start:p.ends[i]:p.ends[i]]
	m.Header.Set(jetstream.MsgIDHeader, latencyID(p.rep, i))
	return m
}

func latencyID(rep, i int) string { return fmt.Sprintf("lat-%d-%08d", rep, i) }
