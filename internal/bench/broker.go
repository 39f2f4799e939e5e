package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// broker is a fresh embedded nats-server with a fresh GRIDWARN_EVENTS
// stream, as the app would start it, listening on loopback.
type broker struct {
	ns  *server.Server
	dir string
	nc  *nats.Conn
	js  jetstream.JetStream
	// asyncErrs counts failed asynchronous publishes.
	asyncErrs atomic.Int64
}

func (r *runner) startBroker(ctx context.Context) (*broker, error) {
	return r.startBrokerSync(ctx, r.o.SyncInterval)
}

// startBrokerSync starts a broker whose JetStream fsyncs every
// syncInterval (0: before every acknowledgement).
func (r *runner) startBrokerSync(ctx context.Context, syncInterval time.Duration) (*broker, error) {
	dir, err := os.MkdirTemp("", "gridwarn-bench-nats-")
	if err != nil {
		return nil, err
	}
	c := r.o.Config.NATS
	ns, err := natsbus.StartEmbedded(natsbus.ServerOptions{
		Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncInterval: syncInterval,
		MaxStore: int64(c.Embedded.MaxStore), MaxPayload: int32(c.Embedded.MaxPayload),
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &broker{ns: ns, dir: dir}
	if b.nc, err = natsbus.Connect(natsbus.ConnectOptions{URL: ns.ClientURL(), Name: "gridwarn-bench"}); err != nil {
		b.close()
		return nil, err
	}
	if b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) {
		b.asyncErrs.Add(1)
	})); err != nil {
		b.close()
		return nil, err
	}
	if _, err := natsbus.EnsureStream(ctx, b.js, r.streamOptions()); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (r *runner) streamOptions() natsbus.StreamOptions {
	s := r.o.Config.NATS.Stream
	return natsbus.StreamOptions{Replicas: s.Replicas, MaxAge: s.MaxAge, MaxBytes: int64(s.MaxBytes),
		MaxMsgSize: int32(s.MaxMsgSize), DuplicateWindow: s.DuplicateWindow}
}

func (b *broker) url() string { return b.ns.ClientURL() }

func (b *broker) close() {
	if b.nc != nil {
		b.nc.Close()
	}
	b.ns.Shutdown()
	b.ns.WaitForShutdown()
	os.RemoveAll(b.dir)
}

// eventSource makes plausible events (the demo simulator's) about ents.
type eventSource struct {
	sim *demo.Simulator
}

func newEventSource(ents []demo.Enterprise, seed uint64) *eventSource {
	return &eventSource{sim: &demo.Simulator{Enterprises: ents, Rand: rand.New(rand.NewPCG(seed, 7)), Now: time.Now}}
}

// msg returns the next event as the message a reporter publishes: on
// gridwarn.events.<county>, with its id as Nats-Msg-Id. id, when not empty,
// replaces the simulator's id.
func (s *eventSource) msg(id string) (*nats.Msg, gridwarn.Event, error) {
	e := s.sim.Event()
	if id != "" {
		e.ID = id
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, e, err
	}
	m := nats.NewMsg(e.Subject())
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	return m, e, nil
}

// prePublish publishes n events and waits until the stream holds them. It
// uses atomic batches of 1000 (one fsync per batch; about ten times the
// asynchronous rate under sync_interval always, see 1b and 1c), because
// this is set-up, not measurement: it turns allow_atomic on for the
// duration and off again, so the app finds the stream as it creates it.
// The stored messages keep the Nats-Batch-* headers, which the engine
// ignores.
func (b *broker) prePublish(ctx context.Context, src *eventSource, n int) error {
	if err := setAtomic(ctx, b.js, true); err != nil {
		return err
	}
	const chunk = 1000
	msgs := make([]*nats.Msg, 0, chunk)
	for done := 0; done < n; done += len(msgs) {
		msgs = msgs[:0]
		for range min(chunk, n-done) {
			m, _, err := src.msg("")
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		if err := publishAtomic(ctx, b, msgs, chunk); err != nil {
			return fmt.Errorf("pre-publish: %w", err)
		}
	}
	if err := setAtomic(ctx, b.js, false); err != nil {
		return err
	}
	info, err := b.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return err
	}
	if got := info.CachedInfo().State.Msgs; got < uint64(n) {
		return fmt.Errorf("pre-publish: the stream holds %d messages, want %d", got, n)
	}
	return nil
}
