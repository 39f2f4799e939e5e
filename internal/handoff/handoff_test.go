package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/handoff"
	"github.com/gridwarn/gridwarn/internal/notify"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// deployment is one gridwarn on loopback: its own database and its own
// embedded nats-server.
type deployment struct {
	db    *postgres.DB
	nats  *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	relay *notify.Relay
}

func mustDB(t *testing.T, peers ...string) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Options{URL: testutil.MustCreateDatabase(t), MaxConns: 10, HandoffPeers: peers,
		Sessions: postgres.SessionOptions{BcryptCost: bcrypt.MinCost}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func mustNATS(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.Port, o.JetStream, o.StoreDir, o.NoSigs, o.NoLog = "127.0.0.1", -1, true, t.TempDir(), true, true
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

// newDeployment connects to s, makes the notification stream and starts
// the hand-off listener for county; its relay delivers hand-offs with tr.
func newDeployment(t *testing.T, db *postgres.DB, s *server.Server, county string, peers []handoff.Peer) *deployment {
	t.Helper()
	d := &deployment{db: db, nats: s}
	d.nc, d.js = testutil.MustConnect(t, s)
	if _, err := notify.EnsureStream(context.Background(), d.js); err != nil {
		t.Fatal(err)
	}
	tr, err := handoff.New(handoff.Options{NATS: d.nc, Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	if d.relay, err = notify.New(db, d.js, nil, notify.Options{Handoff: tr, Backoff: []time.Duration{time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	l, err := handoff.Listen(d.nc, []string{county}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Stop)
	return d
}

// relayUntil runs the relay until cond holds (the peer may take a moment
// to learn the leaf's interest; each failed try is retried).
func (d *deployment) relayUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if _, err := d.relay.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, db *postgres.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func principal(t *testing.T, db *postgres.DB, name string) (*gridwarn.Principal, gridwarn.Visibility) {
	t.Helper()
	u, err := db.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &gridwarn.Principal{User: *u}, gridwarn.VisibilityOf(u.Scope)
}

// openTicket opens a yellow town-tier ticket about the first enterprise
// of the demo's first town and returns it.
func openTicket(t *testing.T, db *postgres.DB, county demo.CountyData) gridwarn.Ticket {
	t.Helper()
	ent := county.Enterprises[0]
	workers := 12
	e := gridwarn.Event{ID: fmt.Sprintf("handoff-%d", time.Now().UnixNano()), Enterprise: ent.CreditCode, Category: "wage_arrears",
		OccurredAt: time.Now().Add(-time.Hour), WorkersInvolved: &workers, Summary: "拖欠三个月工资"}
	in := gridwarn.Incoming{Event: e, Enterprise: ent, Subject: e.Subject(), StreamSeq: 1,
		Decision: gridwarn.Decision{Level: gridwarn.LevelYellow, Tier: gridwarn.TierTown, RulesVersion: "test"}}
	if _, err := db.ApplyBatch(context.Background(), []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	ts, err := db.ListTickets(context.Background(), gridwarn.Visibility{All: true}, gridwarn.TicketFilter{Limit: 10})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets: %+v %v", ts, err)
	}
	return ts[0]
}

// Two deployments on loopback — two databases, two embedded nats-servers
// joined as hub and leaf — hand a case off over NATS: the receiving side
// stores a hand-off delivered twice once, and its decline comes back to
// the sender's ticket.
func TestHandoffOverNATSBetweenDeployments(t *testing.T) {
	ctx := context.Background()
	// Sheyang (320924) runs the hub; Funing (320923) a leaf of it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	hub := mustNATS(t, &server.Options{ServerName: "hub-320924", JetStreamDomain: "d320924",
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort, NoAdvertise: true}})
	u, _ := url.Parse(fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort))
	leaf := mustNATS(t, &server.Options{ServerName: "leaf-320923", JetStreamDomain: "d320923",
		LeafNode: server.LeafNodeOpts{ReconnectInterval: 100 * time.Millisecond, Remotes: []*server.RemoteLeafOpts{{URLs: []*url.URL{u}}}}})

	dbA, dbB := mustDB(t, demo.NeighbourCode), mustDB(t, demo.CountyCode)
	county := testutil.MustSeedDemoCounty(t, dbA)
	testutil.MustSeedNeighbour(t, dbB)
	a := newDeployment(t, dbA, hub, demo.CountyCode, []handoff.Peer{{County: demo.NeighbourCode}})
	b := newDeployment(t, dbB, leaf, demo.NeighbourCode, []handoff.Peer{{County: demo.CountyCode}})

	tk := openTicket(t, dbA, county)
	sender, sv := principal(t, dbA, fmt.Sprintf("mediator-%s-1", tk.TownCode))
	h, err := dbA.HandOff(ctx, sender, sv, gridwarn.HandoffRequest{TicketID: tk.ID, IfMatch: tk.Version, ToCounty: demo.NeighbourCode,
		Mode: gridwarn.HandoffHand, Reason: gridwarn.HandoffWorkersHome, WorkersHomeCounty: demo.NeighbourCode, Note: "十二名工人已返乡"})
	if err != nil {
		t.Fatal(err)
	}
	if h.LinkedTicketID != 0 || h.State != gridwarn.HandoffSent {
		t.Fatalf("the sender's record: %+v", h)
	}
	a.relayUntil(t, "the hand-off reaching Funing", func() bool {
		return count(t, dbB, `SELECT count(*) FROM handoffs WHERE id = $1`, h.ID) == 1
	})
	if n := count(t, dbA, `SELECT count(*) FROM outbox WHERE topic = 'handoff.send' AND published_at IS NULL`); n != 0 {
		t.Errorf("%d hand-offs left unacknowledged in the sender's outbox", n)
	}

	// Sent twice (a relay that died before recording its delivery sends
	// it again): stored once, acknowledged as a duplicate.
	var payload []byte
	if err := dbA.Pool().QueryRow(ctx, `SELECT payload FROM outbox WHERE topic = 'handoff.send'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	msg, err := a.nc.RequestWithContext(ctx, gridwarn.HandoffSubject(demo.NeighbourCode), payload)
	if err != nil {
		t.Fatal(err)
	}
	var ack gridwarn.HandoffAck
	if err := json.Unmarshal(msg.Data, &ack); err != nil || !ack.Stored || !ack.Duplicate || ack.ID != h.ID {
		t.Fatalf("the second delivery's answer: %s", msg.Data)
	}
	if _, err := a.db.Pool().Exec(ctx, `UPDATE outbox SET published_at = NULL WHERE topic = 'handoff.send'`); err != nil {
		t.Fatal(err)
	}
	a.relayUntil(t, "the relay sending it again", func() bool {
		return count(t, dbA, `SELECT count(*) FROM outbox WHERE topic = 'handoff.send' AND published_at IS NULL`) == 0
	})
	if n := count(t, dbB, `SELECT count(*) FROM handoffs`); n != 1 {
		t.Errorf("Funing stored %d hand-offs, want 1", n)
	}
	if n := count(t, dbB, `SELECT count(*) FROM tickets WHERE handoff_id IS NOT NULL`); n != 1 {
		t.Errorf("Funing opened %d linked cases, want 1", n)
	}

	// Funing sees the linked case in its queue and declines it.
	nb, nv := principal(t, dbB, demo.NeighbourMediator)
	q, err := dbB.Queue(ctx, nb, nv, gridwarn.QueueFilter{})
	if err != nil || len(q) != 1 || q[0].Enterprise != tk.Enterprise || q[0].CountyCode != demo.NeighbourCode {
		t.Fatalf("Funing's queue: %+v %v", q, err)
	}
	got, err := dbB.AnswerHandoff(ctx, nb, nv, gridwarn.HandoffAnswer{HandoffID: h.ID, Reason: "工人并非本县户籍"})
	if err != nil || got.State != gridwarn.HandoffDeclined || got.Direction != "in" {
		t.Fatalf("decline: %+v %v", got, err)
	}
	// The decline comes back.
	b.relayUntil(t, "the decline reaching Sheyang", func() bool {
		h, err := dbA.Handoff(ctx, sender, sv, h.ID)
		return err == nil && h.State == gridwarn.HandoffDeclined
	})
	back, _ := dbA.Handoff(ctx, sender, sv, h.ID)
	if back.DeclineReason != "工人并非本县户籍" || back.AnsweredBy != demo.NeighbourMediator {
		t.Errorf("the decline as Sheyang has it: %+v", back)
	}
	if n := count(t, dbA, `SELECT count(*) FROM ticket_history WHERE ticket_id = $1 AND kind = 'handoff_reply'`, tk.ID); n != 1 {
		t.Errorf("the sender's ticket has %d handoff_reply lines, want 1", n)
	}
	// The same answer again changes nothing.
	var reply []byte
	if err := dbB.Pool().QueryRow(ctx, `SELECT payload FROM outbox WHERE topic = 'handoff.reply'`).Scan(&reply); err != nil {
		t.Fatal(err)
	}
	msg, err = b.nc.RequestWithContext(ctx, gridwarn.HandoffReplySubject(demo.CountyCode), reply)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(msg.Data, &ack); err != nil || !ack.Duplicate {
		t.Errorf("the answer delivered twice: %s", msg.Data)
	}
	if n := count(t, dbA, `SELECT count(*) FROM ticket_history WHERE ticket_id = $1 AND kind = 'handoff_reply'`, tk.ID); n != 1 {
		t.Errorf("after a repeated answer the sender's ticket has %d handoff_reply lines, want 1", n)
	}
}
