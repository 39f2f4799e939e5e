package testutil

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// MustRunJetStream starts a real nats-server with JetStream on a file store
// in a temporary directory, listening on a free loopback port, with fsync
// before every acknowledgement. It is shut down when the test ends.
func MustRunJetStream(tb testing.TB) *server.Server {
	tb.Helper()
	s, err := natsbus.StartEmbedded(natsbus.ServerOptions{
		Host: "127.0.0.1", Port: -1, StoreDir: tb.TempDir(), MaxStore: 1 << 30, MaxPayload: 1 << 20,
	})
	if err != nil {
		tb.Fatalf("start nats-server: %v", err)
	}
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// MustConnect connects to s and returns the connection and its JetStream
// context, closed when the test ends.
func MustConnect(tb testing.TB, s *server.Server) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := natsbus.Connect(natsbus.ConnectOptions{URL: s.ClientURL(), Name: tb.Name()})
	if err != nil {
		tb.Fatalf("connect to nats: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return nc, js
}
