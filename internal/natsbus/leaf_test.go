package natsbus_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

func mustServer(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.Port, o.JetStream, o.StoreDir, o.SyncAlways, o.NoSigs, o.NoLog = "127.0.0.1", -1, true, t.TempDir(), true, true, true
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func mustJS(t *testing.T, s *server.Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := natsbus.Connect(natsbus.ConnectOptions{URL: s.ClientURL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// A county leaf node keeps accepting its county's reports while its link to
// the hub is cut; when the link is back the hub's GRIDWARN_EVENTS sources
// them, each once. Events do not cross the link as plain messages (the
// leaf denies gridwarn.events.> both ways): only the source does.
func TestCountyLeafCatchesUpAfterACut(t *testing.T) {
	leafPort := freePort(t)
	hub := mustServer(t, &server.Options{ServerName: "hub", JetStreamDomain: "hub",
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort, NoAdvertise: true}})
	link := testutil.MustStartProxy(t, fmt.Sprintf("127.0.0.1:%d", leafPort))
	u, _ := url.Parse("nats-leaf://" + link.Addr())
	leaf := mustServer(t, &server.Options{ServerName: "leaf-320924", JetStreamDomain: "county320924",
		LeafNode: server.LeafNodeOpts{ReconnectInterval: 200 * time.Millisecond, Remotes: []*server.RemoteLeafOpts{{
			URLs: []*url.URL{u}, DenyImports: []string{"gridwarn.events.>"}, DenyExports: []string{"gridwarn.events.>"},
		}}}})
	ctx := context.Background()
	hubNC, hubJS := mustJS(t, hub)
	_, leafJS := mustJS(t, leaf)
	county := natsbus.CountySource{County: "320924", Domain: "county320924"}
	so := natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxMsgSize: 1 << 20, DuplicateWindow: time.Minute,
		Counties: []natsbus.CountySource{county}}
	deadline := time.Now().Add(30 * time.Second)
	for { // through the hub, once the leaf has connected
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := natsbus.EnsureCountyStream(cctx, hubNC, county, so)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("county stream through the hub: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	hubStream, err := natsbus.EnsureStream(ctx, hubJS, so)
	if err != nil {
		t.Fatal(err)
	}
	// A reporter of the county publishes to its leaf (gridwarn publish --leaf).
	pub := natsbus.Publisher{JS: leafJS, Leaf: true}
	if _, err := (natsbus.Publisher{JS: leafJS}).PublishRaw(ctx, "gridwarn.events.320924", "not-here", []byte(`{}`)); err == nil {
		t.Error("a hub publisher was acknowledged by the leaf; it expects GRIDWARN_EVENTS")
	}
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			id := fmt.Sprintf("leaf-%d", i)
			if _, err := pub.PublishRaw(ctx, "gridwarn.events.320924", id, []byte(`{"id":"`+id+`"}`)); err != nil {
				t.Fatalf("publish %s at the leaf: %v", id, err)
			}
		}
	}
	waitHub := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			info, err := hubStream.Info(ctx)
			if err == nil && info.State.Msgs == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("hub stream: %+v %v, want %d messages", info.State, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	publish(0, 10)
	waitHub(10)

	link.Cut()
	publish(10, 50) // the county keeps accepting reports
	time.Sleep(300 * time.Millisecond)
	if info, _ := hubStream.Info(ctx); info != nil && info.State.Msgs != 10 {
		t.Errorf("hub has %d messages while the leaf is cut, want 10", info.State.Msgs)
	}
	link.Restore()
	waitHub(50)
	time.Sleep(500 * time.Millisecond) // anything more would be a duplicate
	info, err := hubStream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 50 {
		t.Errorf("hub stream holds %d messages after the catch-up, want 50", info.State.Msgs)
	}
	seen := map[string]int{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := hubStream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(m.Data)]++
	}
	if len(seen) != 50 {
		t.Errorf("distinct events at the hub = %d, want 50", len(seen))
	}
}
