package app_test

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

func mustNATS(t *testing.T, o *server.Options) *server.Server {
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

// A county leaf that is cut off when gridwarn starts gets its stream once
// it is back: gridwarn keeps trying in the background, and the hub's
// GRIDWARN_EVENTS sources it from then on.
func TestCountyStreamIsMadeWhenTheLeafComesBack(t *testing.T) {
	defer app.SetCountyRetry(200 * time.Millisecond)()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	hub := mustNATS(t, &server.Options{ServerName: "hub", JetStreamDomain: "hub",
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort, NoAdvertise: true}})

	MustRunApp(t, func(c *config.Config) {
		c.NATS.URL = hub.ClientURL()
		c.NATS.Stream.Counties = []config.CountyLeaf{{County: "320924", Domain: "county320924"}}
		c.Roles.Scheduler, c.Roles.Relay = false, false
	})
	// The leaf comes up after gridwarn.
	u, _ := url.Parse("nats-leaf://127.0.0.1:" + itoa(leafPort))
	mustNATS(t, &server.Options{ServerName: "leaf-320924", JetStreamDomain: "county320924",
		LeafNode: server.LeafNodeOpts{ReconnectInterval: 100 * time.Millisecond, Remotes: []*server.RemoteLeafOpts{{
			URLs: []*url.URL{u}, DenyImports: []string{"gridwarn.events.>"}, DenyExports: []string{"gridwarn.events.>"},
		}}}})
	nc, _ := testutil.MustConnect(t, hub)
	leafJS, err := jetstream.NewWithDomain(nc, "county320924")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := leafJS.Stream(ctx, natsbus.CountyStreamName("320924"))
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("county stream not made after the leaf came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
