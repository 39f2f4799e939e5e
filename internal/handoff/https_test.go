package handoff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/handoff"
	"github.com/gridwarn/gridwarn/internal/notify"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// httpsRelay is a relay over db's outbox that reaches peers over HTTPS
// only (its own JetStream carries nothing but its notifications).
func httpsRelay(t *testing.T, db *postgres.DB, peers []handoff.Peer) *deployment {
	t.Helper()
	d := &deployment{db: db, nats: testutil.MustRunJetStream(t)}
	d.nc, d.js = testutil.MustConnect(t, d.nats)
	if _, err := notify.EnsureStream(context.Background(), d.js); err != nil {
		t.Fatal(err)
	}
	tr, err := handoff.New(handoff.Options{Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	if d.relay, err = notify.New(db, d.js, nil, notify.Options{Handoff: tr, Backoff: []time.Duration{time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	return d
}

func signed(t *testing.T, url, county, key string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	if county != "" {
		req.Header.Set(handoff.HeaderCounty, county)
		req.Header.Set(handoff.HeaderTimestamp, ts)
		req.Header.Set(handoff.HeaderSignature, notify.Sign(key, ts, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Two deployments with no NATS in common hand a case off over HTTPS
// (DECISIONS D11): the sender retries until the peer acknowledges, the
// peer refuses what its key did not sign (401) and stores a repeat once;
// the decline comes back the same way.
func TestHandoffOverHTTPS(t *testing.T) {
	ctx := context.Background()
	const key = "shared-secret-320924-320923"
	dbA, dbB := mustDB(t, demo.NeighbourCode), mustDB(t, demo.CountyCode)
	county := testutil.MustSeedDemoCounty(t, dbA)
	testutil.MustSeedNeighbour(t, dbB)

	// Funing's endpoint is down for its first two requests.
	var calls atomic.Int32
	inB := handoff.Handler(dbB, handoff.NewSigner([]handoff.Peer{{County: demo.CountyCode, Key: key}}, nil), nil)
	srvB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		inB.ServeHTTP(w, r)
	}))
	t.Cleanup(srvB.Close)
	srvA := httptest.NewServer(handoff.Handler(dbA, handoff.NewSigner([]handoff.Peer{{County: demo.NeighbourCode, Key: key}}, nil), nil))
	t.Cleanup(srvA.Close)
	a := httpsRelay(t, dbA, []handoff.Peer{{County: demo.NeighbourCode, URL: srvB.URL, Key: key}})
	b := httpsRelay(t, dbB, []handoff.Peer{{County: demo.CountyCode, URL: srvA.URL, Key: key}})

	tk := openTicket(t, dbA, county)
	sender, sv := principal(t, dbA, fmt.Sprintf("mediator-%s-1", tk.TownCode))
	h, err := dbA.HandOff(ctx, sender, sv, gridwarn.HandoffRequest{TicketID: tk.ID, IfMatch: tk.Version, ToCounty: demo.NeighbourCode,
		Mode: gridwarn.HandoffShare, Reason: gridwarn.HandoffEmployerElsewhere, WorkersHomeCounty: demo.CountyCode})
	if err != nil {
		t.Fatal(err)
	}
	a.relayUntil(t, "the hand-off reaching Funing", func() bool {
		return count(t, dbA, `SELECT count(*) FROM outbox WHERE topic = 'handoff.send' AND published_at IS NULL`) == 0
	})
	if n := calls.Load(); n < 3 {
		t.Errorf("%d requests, want the two refused ones retried", n)
	}
	if n := count(t, dbA, `SELECT attempts FROM outbox WHERE topic = 'handoff.send'`); n < 3 {
		t.Errorf("the outbox row took %d attempts, want at least 3", n)
	}
	if n := count(t, dbB, `SELECT count(*) FROM handoffs WHERE id = $1`, h.ID); n != 1 {
		t.Fatalf("Funing stored %d hand-offs", n)
	}

	var payload []byte
	if err := dbA.Pool().QueryRow(ctx, `SELECT payload FROM outbox WHERE topic = 'handoff.send'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	url := srvB.URL + handoff.InboundPath
	// Unsigned, signed with another key, or signed by the wrong side: 401.
	for name, resp := range map[string]*http.Response{
		"unsigned":      signed(t, url, "", "", payload),
		"wrong key":     signed(t, url, demo.CountyCode, "guessed", payload),
		"unknown peer":  signed(t, url, "110101", key, payload),
		"receiver side": signed(t, url, demo.NeighbourCode, key, payload),
	} {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, resp.StatusCode)
		}
	}
	// Sent again: the same acknowledgement, stored once.
	resp := signed(t, url, demo.CountyCode, key, payload)
	var ack gridwarn.HandoffAck
	err = json.NewDecoder(resp.Body).Decode(&ack)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !ack.Stored || !ack.Duplicate || ack.ID != h.ID {
		t.Fatalf("sent again: %d %+v %v", resp.StatusCode, ack, err)
	}
	if n := count(t, dbB, `SELECT count(*) FROM tickets WHERE handoff_id IS NOT NULL`); n != 1 {
		t.Errorf("Funing opened %d linked cases, want 1", n)
	}

	// Funing declines; the decline comes back over HTTPS.
	nb, nv := principal(t, dbB, demo.NeighbourMediator)
	if _, err := dbB.AnswerHandoff(ctx, nb, nv, gridwarn.HandoffAnswer{HandoffID: h.ID, Reason: "企业已迁回射阳"}); err != nil {
		t.Fatal(err)
	}
	b.relayUntil(t, "the decline reaching Sheyang", func() bool {
		got, err := dbA.Handoff(ctx, sender, sv, h.ID)
		return err == nil && got.State == gridwarn.HandoffDeclined
	})
	if n := count(t, dbA, `SELECT count(*) FROM ticket_history WHERE ticket_id = $1 AND kind = 'handoff_reply'`, tk.ID); n != 1 {
		t.Errorf("the sender's ticket has %d handoff_reply lines, want 1", n)
	}
}
