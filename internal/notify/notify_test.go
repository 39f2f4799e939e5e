package notify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

type fakeJS struct{ jetstream.JetStream }

type fakeOutbox struct{ gridwarn.Outbox }

// A known vector computed independently:
//
//	hmac.new(b"whsec-test", b"1700000000." + b'{"a":1}', hashlib.sha256).hexdigest()
const knownSignature = "sha256=fed7a1a6c799a6367d73724d76bc70c16678908a32a879cd1ded6565ac05cece"

func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	if got := Sign("whsec-test", "1700000000", []byte(`{"a":1}`)); got != knownSignature {
		t.Errorf("Sign = %s, want %s", got, knownSignature)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const secret, ts = "whsec-test", "1700000000"
	body := []byte(`{"a":1}`)
	at := time.Unix(1700000000, 0)
	tests := []struct {
		name      string
		secret    string
		timestamp string
		body      []byte
		signature string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", secret, ts, body, knownSignature, at, time.Minute, nil},
		{"valid at the edge of the tolerance", secret, ts, body, knownSignature, at.Add(time.Minute), time.Minute, nil},
		{"default tolerance", secret, ts, body, knownSignature, at.Add(4 * time.Minute), 0, nil},
		{"tampered body", secret, ts, []byte(`{"a":2}`), knownSignature, at, time.Minute, ErrBadSignature},
		{"wrong secret", "other", ts, body, knownSignature, at, time.Minute, ErrBadSignature},
		{"no secret", "", ts, body, knownSignature, at, time.Minute, ErrBadSignature},
		{"timestamp changed", secret, "1700000001", body, knownSignature, at, time.Minute, ErrBadSignature},
		{"no prefix", secret, ts, body, strings.TrimPrefix(knownSignature, "sha256="), at, time.Minute, ErrBadSignature},
		{"not hex", secret, ts, body, "sha256=zz", at, time.Minute, ErrBadSignature},
		{"truncated", secret, ts, body, knownSignature[:20], at, time.Minute, ErrBadSignature},
		{"timestamp not a number", secret, "yesterday", body, knownSignature, at, time.Minute, ErrBadSignature},
		{"stale", secret, ts, body, knownSignature, at.Add(time.Minute + time.Second), time.Minute, ErrStaleTimestamp},
		{"from the future", secret, ts, body, knownSignature, at.Add(-10 * time.Minute), time.Minute, ErrStaleTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.timestamp, tt.body, tt.signature, tt.now, tt.tolerance)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWebhookMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		topics []string
		topic  string
		want   bool
	}{
		{nil, gridwarn.TopicBreach, true},
		{[]string{"*"}, gridwarn.TopicSummaryWeekly, true},
		{[]string{gridwarn.TopicBreach}, gridwarn.TopicBreach, true},
		{[]string{gridwarn.TopicBreach}, gridwarn.TopicReminder, false},
		{[]string{"ticket.*"}, gridwarn.TopicReminder, true},
		{[]string{"ticket.*"}, gridwarn.TopicSummaryWeekly, false},
		{[]string{gridwarn.TopicSummaryWeekly, gridwarn.TopicBreach}, gridwarn.TopicBreach, true},
	}
	for _, tt := range tests {
		if got := (Webhook{Topics: tt.topics}).Matches(tt.topic); got != tt.want {
			t.Errorf("Topics %v Matches(%s) = %v, want %v", tt.topics, tt.topic, got, tt.want)
		}
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	ok := Webhook{Name: "a", URL: "https://example.cn/hook"}
	tests := []struct {
		name  string
		hooks []Webhook
		opts  Options
		want  string
	}{
		{"no name", []Webhook{{URL: "https://example.cn"}}, Options{}, "without a name"},
		{"duplicate", []Webhook{ok, ok}, Options{}, "two webhooks named a"},
		{"not http", []Webhook{{Name: "a", URL: "ftp://example.cn"}}, Options{}, "not an http(s) URL"},
		{"format", []Webhook{{Name: "a", URL: ok.URL, Format: "slack"}}, Options{}, `format "slack"`},
		{"wecom with a secret", []Webhook{{Name: "a", URL: ok.URL, Format: FormatWeCom, Secret: "s"}}, Options{}, "not signed"},
		{"unknown topic", []Webhook{{Name: "a", URL: ok.URL, Topics: []string{"ticket.open"}}}, Options{}, `topic "ticket.open"`},
		{"pattern matching nothing", []Webhook{{Name: "a", URL: ok.URL, Topics: []string{"tickets.*"}}}, Options{}, `topic "tickets.*"`},
		{"zero backoff", []Webhook{ok}, Options{Backoff: []time.Duration{0}}, "positive"},
		{"secret kept out of the error", []Webhook{{Name: "a", URL: "mailto:x?key=SECRETKEY"}}, Options{}, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// New does not use the outbox nor js: it only checks the configuration.
			_, err := New(fakeOutbox{}, fakeJS{}, tt.hooks, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRETKEY") {
				t.Errorf("error leaks the URL's key: %v", err)
			}
		})
	}
}

// Verify reads untrusted headers: it never panics, and accepts exactly
// what Sign produced.
func FuzzVerify(f *testing.F) {
	f.Add("whsec-test", "1700000000", []byte(`{"a":1}`), knownSignature)
	f.Add("s", "-1", []byte{}, "sha256=")
	f.Add("s", "99999999999999999999", []byte("x"), "sha256=00")
	f.Fuzz(func(t *testing.T, secret, timestamp string, body []byte, signature string) {
		now := time.Unix(1700000000, 0)
		_ = Verify(secret, timestamp, body, signature, now, time.Minute)
		if secret == "" {
			return
		}
		if err := Verify(secret, "1700000000", body, Sign(secret, "1700000000", body), now, time.Minute); err != nil {
			t.Fatalf("Verify(Sign(...)) = %v", err)
		}
	})
}
