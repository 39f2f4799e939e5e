package natsbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

func TestEmbeddedServerSyncsAlwaysByDefault(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	if cfg := s.JetStreamConfig(); cfg == nil || !cfg.SyncAlways {
		t.Fatalf("JetStream config = %+v, want sync always", cfg)
	}
}

// Stream and consumer setup is idempotent and applies changed limits.
func TestEnsureStreamAndConsumerAreIdempotent(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	ctx := context.Background()
	so := natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxBytes: 1 << 20, MaxMsgSize: 4096, DuplicateWindow: time.Minute}
	co := natsbus.ConsumerOptions{Durable: "gridwarn-engine", AckWait: 10 * time.Second, MaxDeliver: 5,
		BackOff: []time.Duration{time.Second, 5 * time.Second}, MaxAckPending: 100}
	for range 2 {
		if _, err := natsbus.EnsureStream(ctx, js, so); err != nil {
			t.Fatal(err)
		}
		if _, err := natsbus.EnsureConsumer(ctx, js, co); err != nil {
			t.Fatal(err)
		}
	}
	so.DuplicateWindow = 2 * time.Minute
	st, err := natsbus.EnsureStream(ctx, js, so)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	if c.Duplicates != 2*time.Minute || c.Storage != jetstream.FileStorage || c.Discard != jetstream.DiscardNew ||
		c.MaxMsgSize != 4096 || len(c.Subjects) != 1 || c.Subjects[0] != "gridwarn.events.>" {
		t.Errorf("stream config = %+v", c)
	}
	cons, err := js.Consumer(ctx, natsbus.StreamName, "gridwarn-engine")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Config.AckPolicy != jetstream.AckExplicitPolicy || ci.Config.MaxDeliver != 5 || len(ci.Config.BackOff) != 2 {
		t.Errorf("consumer config = %+v", ci.Config)
	}
}

// A publish carries the event id as Nats-Msg-Id, so a resend within the
// window is recognised as a duplicate; a message larger than the stream
// allows is refused, not silently dropped.
func TestPublisher(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.StreamOptions{MaxAge: time.Hour, MaxMsgSize: 256, DuplicateWindow: time.Minute}); err != nil {
		t.Fatal(err)
	}
	p := natsbus.Publisher{JS: js}
	a, err := p.PublishRaw(ctx, "gridwarn.events.320924", "ev-1", []byte(`{"id":"ev-1"}`))
	if err != nil || a.Duplicate {
		t.Fatalf("first publish: %+v, %v", a, err)
	}
	b, err := p.PublishRaw(ctx, "gridwarn.events.320924", "ev-1", []byte(`{"id":"ev-1"}`))
	if err != nil || !b.Duplicate || b.Sequence != a.Sequence {
		t.Fatalf("resend: %+v, %v; want a duplicate of seq %d", b, err, a.Sequence)
	}
	if _, err := p.PublishRaw(ctx, "gridwarn.events.320924", "ev-2", make([]byte, 400)); err == nil {
		t.Error("an oversize message was accepted by the stream")
	}
	if _, err := p.PublishRaw(ctx, "elsewhere.events", "ev-3", []byte(`{}`)); err == nil {
		t.Error("a subject outside the stream was acknowledged")
	}
}
