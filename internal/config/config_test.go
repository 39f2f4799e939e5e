package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The shipped file documents every setting with its default: decoding it
// must give exactly Default().
func TestShippedFileIsTheDefault(t *testing.T) {
	f, err := os.Open("../../configs/gridwarn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got Config
	if err := Decode(f, &got); err != nil {
		t.Fatal(err)
	}
	want := Default()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("configs/gridwarn.yaml differs from Default() (-default +file):\n%s", diff)
	}
}

func TestUnknownKeyIsNamed(t *testing.T) {
	cfg := Default()
	err := Decode(strings.NewReader("nats:\n  embeded:\n    port: 1\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "embeded") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want it to name the key embeded and its line", err)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/c.yaml"
	if err := os.WriteFile(path, []byte("api:\n  listen: 127.0.0.1:9000\nengine:\n  batch_size: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, []string{
		"GRIDWARN_API_LISTEN=127.0.0.1:9001",
		"GRIDWARN_NATS_CONSUMER_ACK_WAIT=45s",
		"GRIDWARN_ENGINE_NAK_DELAYS=1s,3s",
		"GRIDWARN_NATS_EMBEDDED_MAX_STORE=2GiB",
		"OTHER_API_LISTEN=ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.Listen != "127.0.0.1:9001" || cfg.Engine.BatchSize != 10 || cfg.NATS.Consumer.AckWait != 45*time.Second ||
		!cmp.Equal(cfg.Engine.NakDelays, []time.Duration{time.Second, 3 * time.Second}) || cfg.NATS.Embedded.MaxStore != 2<<30 {
		t.Errorf("overrides not applied: %+v", cfg)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.Log.Level = "loud"
	cfg.NATS.Embedded.SyncInterval = "sometimes"
	cfg.NATS.Consumer.MaxDeliver = -1
	err := cfg.Validate()
	for _, want := range []string{"log.level", "nats.embedded.sync_interval", "nats.consumer.max_deliver"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	cfg := Default()
	cfg.NATS.Token = "tok-very-secret-0123456789"
	cfg.NATS.Password = "nats-secret"
	cfg.Database.URL = "postgres://app:pg-secret@db:5432/gridwarn"
	out := string(cfg.YAML())
	for _, s := range []string{"tok-very-secret", "nats-secret", "pg-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("printed config contains the secret %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "postgres://app:REDACTED@db:5432/gridwarn") {
		t.Errorf("database URL not redacted as expected:\n%s", out)
	}
}

func TestPublicURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"http://127.0.0.1:8080", true},
		{"https://gridwarn.example.cn/", true},
		{"https://example.cn/gridwarn", true},
		{"gridwarn.example.cn", false},
		{"ftp://example.cn", false},
		{"https://", false},
		{"https://example.cn/?a=1", false},
		{"https://example.cn/?", false},
		{"https://example.cn/#top", false},
		{"https://user:pw@example.cn", false},
	} {
		cfg := Default()
		cfg.API.PublicURL = tc.url
		err := cfg.Validate()
		if tc.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "api.public_url") {
			t.Errorf("api.public_url %q: Validate() = %v, want ok %t", tc.url, err, tc.ok)
		}
	}
	cfg, err := Load("", []string{"GRIDWARN_API_PUBLIC_URL=https://gridwarn.example.cn", "GRIDWARN_ROLES_RELAY=false"})
	if err != nil || cfg.API.PublicURL != "https://gridwarn.example.cn" || cfg.Roles.Relay {
		t.Errorf("Load = %+v, %v; want the public URL and no relay from the environment", cfg.API, err)
	}
}

func TestServeNeedsARole(t *testing.T) {
	cfg := Default()
	cfg.Database.URL = "postgres://db/gridwarn"
	cfg.Roles = Roles{Relay: true}
	if err := cfg.CheckServe(); err != nil {
		t.Errorf("a relay alone: CheckServe() = %v", err)
	}
	cfg.Roles = Roles{}
	if err := cfg.CheckServe(); err == nil || !strings.Contains(err.Error(), "relay") {
		t.Errorf("no role: CheckServe() = %v, want an error naming the roles", err)
	}
}

func TestEventWindow(t *testing.T) {
	cfg := Default()
	w := cfg.EventWindow()
	if w.MaxFuture != 5*time.Minute || w.MaxAge != (365+30)*24*time.Hour {
		t.Errorf("default window = %+v, want 5m ahead and 395 days back", w)
	}
	cfg.Legal.LimitationDays = 730
	if got := cfg.EventWindow().MaxAge; got != (730+30)*24*time.Hour {
		t.Errorf("max age = %s, want the limitation plus the margin", got)
	}
	cfg = Default()
	cfg.Events.MaxFuture = 0
	cfg.Events.AgeMarginDays = -1
	err := cfg.Validate()
	for _, want := range []string{"events.max_future", "events.age_margin_days"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
	cfg = Default()
	cfg.Events.MaxFuture = 48 * time.Hour
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "events.max_future") {
		t.Errorf("Validate() = %v, want a problem with events.max_future (two days ahead)", err)
	}
}

// A hand-off peer needs a way there: a url with its key, or NATS.
func TestHandoffPeers(t *testing.T) {
	for name, c := range map[string]struct {
		h   Handoff
		bad string
	}{
		"https":        {Handoff{Peers: []HandoffPeer{{County: "320923", URL: "https://funing.example", Key: "k"}}}, ""},
		"nats":         {Handoff{NATS: true, Peers: []HandoffPeer{{County: "320923"}}}, ""},
		"no way":       {Handoff{Peers: []HandoffPeer{{County: "320923"}}}, "handoff.peers[0].url"},
		"no key":       {Handoff{Peers: []HandoffPeer{{County: "320923", URL: "https://funing.example"}}}, "handoff.peers[0].key"},
		"bad county":   {Handoff{NATS: true, Peers: []HandoffPeer{{County: "3209"}}}, "handoff.peers[0].county"},
		"listed twice": {Handoff{NATS: true, Peers: []HandoffPeer{{County: "320923"}, {County: "320923"}}}, "handoff.peers[1].county"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := Default()
			cfg.Handoff = c.h
			err := cfg.Validate()
			if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
				t.Errorf("Validate = %v, want %q", err, c.bad)
			}
		})
	}
}
