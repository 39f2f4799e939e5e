package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/cli"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// Demo is a `gridwarn demo` running in this process against a fresh
// database on the test PostgreSQL, with its embedded nats-server on a free
// port and the API on 127.0.0.1:0.
type Demo struct {
	// Dir is its data directory: what scripts/demo.sh keeps in .demo
	// (gridwarn.env, gridwarn.pid, demo-tokens.json, demo-logins.json).
	Dir string
	// Env are the settings it wrote to gridwarn.env, as KEY=VALUE.
	Env []string
	// APIURL is its API's base URL (http://127.0.0.1:port).
	APIURL string
	// Tokens and Logins are what it printed per role.
	Tokens map[string]string
	Logins map[string]struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	stdout, stderr *lockedBuffer
}

// Banner is what the demo printed on standard output.
func (d *Demo) Banner() string { return d.stdout.String() }

// Log is what the demo logged on standard error so far.
func (d *Demo) Log() string { return d.stderr.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// MustRunDemo starts `gridwarn demo` with args added to its own flags
// (--listen 127.0.0.1:0 --data-dir <temp>) and environ added to its
// environment, and waits — as long as a loaded machine needs, up to five
// minutes — until it has written gridwarn.env, i.e. it is serving with the
// demo county, its tokens and its logins. It stops when the test ends.
func MustRunDemo(tb testing.TB, environ []string, args ...string) *Demo {
	tb.Helper()
	d := &Demo{Dir: tb.TempDir(), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	env := append([]string{
		"GRIDWARN_DATABASE_URL=" + testutil.MustCreateDatabase(tb),
		"GRIDWARN_NATS_EMBEDDED_PORT=-1",
		"GRIDWARN_UI_BCRYPT_COST=4",
		"GRIDWARN_NO_DEMO_ENV=1",
	}, environ...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, append([]string{"demo", "--listen", "127.0.0.1:0", "--data-dir", d.Dir}, args...),
			strings.NewReader(""), d.stdout, d.stderr, env, nil)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			tb.Errorf("the demo did not stop within 2 minutes")
		}
	})
	envFile := filepath.Join(d.Dir, "gridwarn.env")
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(envFile); err == nil {
			break
		}
		select {
		case code := <-done:
			done <- code
			tb.Fatalf("the demo exited (%d) before it was ready:\n%s", code, d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the demo was not ready within 5 minutes:\n%s", d.stderr.String())
		}
	}
	f, err := os.Open(envFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
		d.Env = append(d.Env, k+"="+v)
		if k == "GRIDWARN_API_PUBLIC_URL" {
			d.APIURL = v
		}
	}
	for name, into := range map[string]any{"demo-tokens.json": &d.Tokens, "demo-logins.json": &d.Logins} {
		data, err := os.ReadFile(filepath.Join(d.Dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(data, into); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
	}
	if d.APIURL == "" {
		tb.Fatalf("gridwarn.env names no API URL: %v", d.Env)
	}
	return d
}
