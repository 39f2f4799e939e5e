package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/gridwarn/gridwarn/internal/natsbus"
)

const testPassword = "correct-horse-battery"

var testStream = natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxBytes: 1 << 20, MaxMsgSize: 4096, DuplicateWindow: time.Minute}

// startWithAuth starts the embedded server with publishers on storeDir and
// returns it with gridwarn's own in-process JetStream connection.
func startWithAuth(t *testing.T, storeDir string, pubs []natsbus.CountyPublisher) (*server.Server, jetstream.JetStream) {
	t.Helper()
	auth, err := natsbus.NewEmbeddedAuth(pubs)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, storeDir, auth)
	user, password := auth.Internal()
	nc, err := natsbus.Connect(natsbus.ConnectOptions{Name: "gridwarn", User: user, Password: password, InProcess: s})
	if err != nil {
		t.Fatalf("internal connection: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return s, js
}

func startServer(t *testing.T, storeDir string, auth *natsbus.EmbeddedAuth) *server.Server {
	t.Helper()
	s, err := natsbus.StartEmbedded(natsbus.ServerOptions{
		Host: "127.0.0.1", Port: -1, StoreDir: storeDir, MaxStore: 1 << 30, MaxPayload: 1 << 20, Auth: auth,
	})
	if err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// reporter is a publisher's connection over TCP that records the
// asynchronous errors the server sends it.
type reporter struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connectReporter(t *testing.T, s *server.Server, opts ...nats.Option) (*reporter, error) {
	t.Helper()
	r := &reporter{errs: make(chan error, 16)}
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case r.errs <- err:
		default:
		}
	}), nats.MaxReconnects(0))
	nc, err := nats.Connect(s.ClientURL(), opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(nc.Close)
	r.nc = nc
	if r.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return r, nil
}

// wantViolation waits for the server's permissions violation naming subject.
func (r *reporter) wantViolation(t *testing.T, subject string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case err := <-r.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return
			}
			t.Logf("other async error: %v", err)
		case <-timeout:
			t.Fatalf("no permissions violation for %s", subject)
		}
	}
}

func publishRefused(t *testing.T, r *reporter, subject string) {
	t.Helper()
	// The server drops the message and tells the client asynchronously; the
	// publish itself only sees no acknowledgement.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := r.js.Publish(ctx, subject, []byte(`{}`), jetstream.WithRetryAttempts(0)); err == nil {
		t.Errorf("publish to %s was acknowledged, want it refused", subject)
	}
	r.wantViolation(t, subject)
}

func streamMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestCountyPublisherPublishesOnlyItsCounty(t *testing.T) {
	s, js := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{
		{User: "taixing", Password: testPassword, County: "320924"},
		{User: "other", Password: testPassword + "-2", County: "320923"},
	})
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, js, testStream); err != nil {
		t.Fatal(err)
	}
	r, err := connectReporter(t, s, nats.UserInfo("taixing", testPassword))
	if err != nil {
		t.Fatal(err)
	}
	pub := natsbus.Publisher{JS: r.js}
	for i, subj := range []string{"gridwarn.events.320924", "gridwarn.events.320924.town1"} {
		res, err := pub.PublishRaw(ctx, subj, fmt.Sprintf("e-%d", i), []byte(`{"id":"x"}`))
		if err != nil {
			t.Fatalf("publish %s: %v", subj, err)
		}
		if res.Sequence != uint64(i+1) || res.Duplicate {
			t.Errorf("publish %s: %+v", subj, res)
		}
	}
	// The same id again: the stream's deduplication still works through the import.
	if res, err := pub.PublishRaw(ctx, "gridwarn.events.320924", "e-0", []byte(`{"id":"x"}`)); err != nil || !res.Duplicate {
		t.Errorf("resend = %+v, %v; want a duplicate", res, err)
	}

	for _, subj := range []string{"gridwarn.events.320923", "gridwarn.events.320923.town1", "gridwarn.events.3209241", "gridwarn.other"} {
		publishRefused(t, r, subj)
	}
	if n := streamMsgs(t, js); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}

	// No reading the events, no JetStream API.
	if _, err := r.nc.SubscribeSync("gridwarn.events.>"); err != nil {
		t.Fatal(err)
	}
	r.wantViolation(t, "gridwarn.events.>")
	ctxShort, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := r.js.Stream(ctxShort, natsbus.StreamName); err == nil {
		t.Error("a publisher read the stream info")
	}
	r.wantViolation(t, "$JS.API.STREAM.INFO")
}

// A publisher may subscribe to _INBOX.> for its acknowledgements, but its
// account does not see the engine's inboxes, where a pull consumer delivers
// the events of every county.
func TestPublisherDoesNotSeeEngineDeliveries(t *testing.T) {
	s, js := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{{User: "taixing", Password: testPassword, County: "320924"}})
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, js, testStream); err != nil {
		t.Fatal(err)
	}
	cons, err := natsbus.EnsureConsumer(ctx, js, natsbus.ConsumerOptions{Durable: "gridwarn-engine", AckWait: 10 * time.Second, MaxDeliver: 5, MaxAckPending: 100})
	if err != nil {
		t.Fatal(err)
	}
	r, err := connectReporter(t, s, nats.UserInfo("taixing", testPassword))
	if err != nil {
		t.Fatal(err)
	}
	spy, err := r.nc.SubscribeSync(natsbus.InboxSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "gridwarn.events.320923", []byte("secret-of-another-county")); err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		_ = m.Ack()
	}
	if got != 1 {
		t.Fatalf("engine fetched %d messages, want 1", got)
	}
	if m, err := spy.NextMsg(500 * time.Millisecond); err == nil {
		t.Errorf("publisher saw %s: %q", m.Subject, m.Data)
	}
}

func TestWrongPasswordAndAnonymousAreRefused(t *testing.T) {
	s, _ := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{{User: "taixing", Password: testPassword, County: "320924"}})
	for name, opts := range map[string][]nats.Option{
		"wrong password": {nats.UserInfo("taixing", "not-the-password")},
		"unknown user":   {nats.UserInfo("nobody", testPassword)},
		"anonymous":      nil,
		"internal user":  {nats.UserInfo(natsbus.InternalUser, testPassword)},
	} {
		if _, err := connectReporter(t, s, opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: connect = %v, want %v", name, err, nats.ErrAuthorization)
		}
	}
}

func TestNKeyPublisher(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pubKey, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	s, js := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{{NKey: pubKey, County: "320924"}})
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, js, testStream); err != nil {
		t.Fatal(err)
	}
	r, err := connectReporter(t, s, nats.Nkey(pubKey, kp.Sign))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (natsbus.Publisher{JS: r.js}).PublishRaw(ctx, "gridwarn.events.320924", "n-1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	publishRefused(t, r, "gridwarn.events.110101")

	// The way `gridwarn publish` does it: nats.nkey_seed_file.
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(t.TempDir(), "reporter.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	nc, err := natsbus.Connect(natsbus.ConnectOptions{URL: s.ClientURL(), NKeySeedFile: seedFile})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js2, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (natsbus.Publisher{JS: js2}).PublishRaw(ctx, "gridwarn.events.320924.town2", "n-2", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, js); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}

	// Another key is not a publisher.
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	if _, err := connectReporter(t, s, nats.Nkey(otherPub, other.Sign)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("unknown nkey: connect = %v, want %v", err, nats.ErrAuthorization)
	}
}

// gridwarn's own connection keeps every right it had: streams, consumers,
// advisories, publishing and consuming any county.
func TestInternalConnectionManagesJetStream(t *testing.T) {
	_, js := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{{User: "taixing", Password: testPassword, County: "320924"}})
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, js, testStream); err != nil {
		t.Fatal(err)
	}
	cons, err := natsbus.EnsureConsumer(ctx, js, natsbus.ConsumerOptions{Durable: "gridwarn-engine", AckWait: 10 * time.Second, MaxDeliver: 5, MaxAckPending: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := natsbus.EnsureAdvisories(ctx, js, "gridwarn-engine", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := (natsbus.Publisher{JS: js}).PublishRaw(ctx, "gridwarn.events.110101", "i-1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Ack(); err != nil {
		t.Fatal(err)
	}
}

// Without publishers nothing changes: anonymous clients connect and do
// everything, as before.
func TestNoPublishersNoAuth(t *testing.T) {
	auth, err := natsbus.NewEmbeddedAuth(nil)
	if err != nil || auth != nil {
		t.Fatalf("NewEmbeddedAuth(nil) = %v, %v; want nil, nil", auth, err)
	}
	if u, p := auth.Internal(); u != "" || p != "" {
		t.Errorf("nil auth has internal credentials %q", u)
	}
	s := startServer(t, t.TempDir(), nil)
	r, err := connectReporter(t, s)
	if err != nil {
		t.Fatalf("anonymous connect: %v", err)
	}
	if _, err := natsbus.EnsureStream(context.Background(), r.js, testStream); err != nil {
		t.Fatal(err)
	}
}

// Turning authorization on keeps the stream: it stays in account $G.
func TestStoreSurvivesTurningAuthOn(t *testing.T) {
	dir := t.TempDir()
	s1, err := natsbus.StartEmbedded(natsbus.ServerOptions{Host: "127.0.0.1", Port: -1, StoreDir: dir, MaxStore: 1 << 30, MaxPayload: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r, err := connectReporter(t, s1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := natsbus.EnsureStream(ctx, r.js, testStream); err != nil {
		t.Fatal(err)
	}
	if _, err := r.js.Publish(ctx, "gridwarn.events.320924", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	r.nc.Close()
	s1.Shutdown()
	s1.WaitForShutdown()

	_, js := startWithAuth(t, dir, []natsbus.CountyPublisher{{User: "taixing", Password: testPassword, County: "320924"}})
	if n := streamMsgs(t, js); n != 1 {
		t.Errorf("after turning auth on the stream holds %d messages, want 1", n)
	}
}

func TestBcryptPassword(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	s, _ := startWithAuth(t, t.TempDir(), []natsbus.CountyPublisher{{User: "taixing", Password: hash, County: "320924"}})
	if _, err := connectReporter(t, s, nats.UserInfo("taixing", testPassword)); err != nil {
		t.Errorf("connect with the password of a bcrypt hash: %v", err)
	}
	if _, err := connectReporter(t, s, nats.UserInfo("taixing", hash)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("connect with the hash itself = %v, want %v", err, nats.ErrAuthorization)
	}
}

func TestNewEmbeddedAuthRejects(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pubKey, _ := kp.PublicKey()
	acc, _ := nkeys.CreateAccount()
	accKey, _ := acc.PublicKey()
	for name, p := range map[string][]natsbus.CountyPublisher{
		"bad county":        {{User: "a", Password: testPassword, County: "32092"}},
		"letters in county": {{User: "a", Password: testPassword, County: "32092a"}},
		"no password":       {{User: "a", County: "320924"}},
		"both":              {{User: "a", Password: testPassword, NKey: pubKey, County: "320924"}},
		"account nkey":      {{NKey: accKey, County: "320924"}},
		"reserved user":     {{User: natsbus.InternalUser, Password: testPassword, County: "320924"}},
		"duplicate user":    {{User: "a", Password: testPassword, County: "320924"}, {User: "a", Password: testPassword, County: "320923"}},
		"duplicate nkey":    {{NKey: pubKey, County: "320924"}, {NKey: pubKey, County: "320923"}},
	} {
		if _, err := natsbus.NewEmbeddedAuth(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := natsbus.NewEmbeddedAuth([]natsbus.CountyPublisher{{User: "a", Password: testPassword, County: "320924"}})
	if err != nil {
		t.Fatal(err)
	}
	_, pw := a.Internal()
	if len(pw) < 40 || strings.Contains(a.String(), pw) || strings.Contains(fmt.Sprint(a), testPassword) {
		t.Errorf("internal password %d chars; String() = %q", len(pw), a.String())
	}
	b, _ := natsbus.NewEmbeddedAuth([]natsbus.CountyPublisher{{User: "a", Password: testPassword, County: "320924"}})
	if _, pw2 := b.Internal(); pw2 == pw {
		t.Error("two starts made the same internal password")
	}
}
