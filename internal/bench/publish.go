package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// publishGroup measures the raw ceilings of publishing to the event
// stream: synchronous, asynchronous pipelined and atomic batches (1a–1c).
func (r *runner) publishGroup(ctx context.Context) (groupResult, error) {
	var res groupResult
	ents := demo.County(0).SimulatorEnterprises()
	type variant struct {
		key  string
		n    int
		run  func(ctx context.Context, b *broker, msgs []*nats.Msg) error
		name string
	}
	variants := []variant{
		{"1a", r.o.PublishSync, publishSync, "sync"},
		{"1b", r.o.PublishAsync, publishAsync, "async"},
		{"1c", r.o.PublishAsync, func(ctx context.Context, b *broker, msgs []*nats.Msg) error {
			return publishAtomic(ctx, b, msgs, r.o.AtomicBatch)
		}, "atomic batch"},
	}
	for _, v := range variants {
		row := Row{Key: v.key, Figure: Figure{Unit: "msgs/s"}}
		for rep := range r.o.Reps {
			b, err := r.startBroker(ctx)
			if err != nil {
				return res, err
			}
			if v.key == "1c" {
				if err := setAtomic(ctx, b.js, true); err != nil {
					b.close()
					return res, err
				}
			}
			src := newEventSource(ents, uint64(rep+1))
			msgs := make([]*nats.Msg, v.n)
			for i := range msgs {
				if msgs[i], _, err = src.msg(""); err != nil {
					b.close()
					return res, err
				}
			}
			start := time.Now()
			err = v.run(ctx, b, msgs)
			elapsed := time.Since(start)
			b.close()
			if err != nil {
				return res, fmt.Errorf("%s publish: %w", v.name, err)
			}
			rate := float64(v.n) / elapsed.Seconds()
			row.Figure.Values = append(row.Figure.Values, rate)
			r.progress("%s publish rep %d/%d: %d msgs in %s (%s msgs/s)", v.name, rep+1, r.o.Reps, v.n, elapsed.Round(time.Millisecond), num(rate))
		}
		row.RSSKiB = vmHWM()
		res.Rows = append(res.Rows, row)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("1a–1c publish demo-simulator events (about %d bytes of JSON each) with Nats-Msg-Id and the expected-stream header, as `gridwarn publish` and the intake do; the stream is GRIDWARN_EVENTS as natsbus.EnsureStream creates it (1c adds allow_atomic).", avgSize(ents)))
	return res, nil
}

func avgSize(ents []demo.Enterprise) int {
	src := newEventSource(ents, 99)
	total := 0
	for range 100 {
		m, _, _ := src.msg("")
		total += len(m.Data)
	}
	return total / 100
}

func publishSync(ctx context.Context, b *broker, msgs []*nats.Msg) error {
	for _, m := range msgs {
		if _, err := b.js.PublishMsg(ctx, m, jetstream.WithExpectStream(natsbus.StreamName)); err != nil {
			return err
		}
	}
	return nil
}

func publishAsync(ctx context.Context, b *broker, msgs []*nats.Msg) error {
	before := b.asyncErrs.Load()
	for _, m := range msgs {
		if _, err := b.js.PublishMsgAsync(m, jetstream.WithExpectStream(natsbus.StreamName), jetstream.WithStallWait(time.Minute)); err != nil {
			return err
		}
	}
	select {
	case <-b.js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	}
	if n := b.asyncErrs.Load() - before; n > 0 {
		return fmt.Errorf("%d publishes failed", n)
	}
	return nil
}

// setAtomic turns atomic batch publishing on the event stream on or off.
func setAtomic(ctx context.Context, js jetstream.JetStream, on bool) error {
	s, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return err
	}
	cfg := s.CachedInfo().Config
	if cfg.AllowAtomicPublish == on {
		return nil
	}
	cfg.AllowAtomicPublish = on
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("allow_atomic %t: %w", on, err)
	}
	return nil
}

// Atomic batch headers (ADR-50). nats.go v1.55's jetstream package knows
// the stream option but has no batch publisher, so the bench speaks the
// protocol itself: every message carries the batch id and its sequence,
// the last one the commit; only the commit asks for an acknowledgement.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)

type batchAck struct {
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"`
	Batch  string `json:"batch"`
	Count  int    `json:"count"`
}

func publishAtomic(ctx context.Context, b *broker, msgs []*nats.Msg, size int) error {
	for start := 0; start < len(msgs); start += size {
		batch := msgs[start:min(start+size, len(msgs))]
		id := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), start)
		for i, m := range batch {
			m.Header.Set(jetstream.ExpectedStreamHeader, natsbus.StreamName)
			m.Header.Set(hdrBatchID, id)
			m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
			if i < len(batch)-1 {
				if err := b.nc.PublishMsg(m); err != nil {
					return err
				}
				continue
			}
			m.Header.Set(hdrBatchCommit, "1")
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			resp, err := b.nc.RequestMsgWithContext(rctx, m)
			cancel()
			if err != nil {
				return fmt.Errorf("commit batch: %w", err)
			}
			var ack batchAck
			if err := json.Unmarshal(resp.Data, &ack); err != nil {
				return fmt.Errorf("commit batch: %w: %q", err, resp.Data)
			}
			if ack.Error != nil {
				return fmt.Errorf("commit batch: %s (err_code %d)", ack.Error.Description, ack.Error.ErrCode)
			}
			if ack.Count != len(batch) {
				return fmt.Errorf("commit batch: %d messages acknowledged, want %d", ack.Count, len(batch))
			}
		}
	}
	return nil
}

// vmHWM returns this process's peak resident set size in KiB.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
