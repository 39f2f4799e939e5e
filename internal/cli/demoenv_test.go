package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/cli"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A second publish of the same id is dropped by the broker, and the
// command says so loudly (issue #14: the banner's line was silently
// dropped as a duplicate of the README's).
func TestPublishSaysDuplicateDropped(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	if _, err := natsbus.EnsureStream(context.Background(), js,
		natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxMsgSize: 1 << 20, DuplicateWindow: time.Minute}); err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf(`{"id":"dup-1","enterprise":%q,"category":"wage_arrears","occurred_at":%q}`, testutil.CreditCode(7),
		time.Now().Add(-time.Hour).Format(time.RFC3339))
	for i, wantDup := range []bool{false, true} {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), []string{"publish", "--nats-url", s.ClientURL()}, strings.NewReader(line),
			&out, &errb, []string{"GRIDWARN_NO_DEMO_ENV=1"}, nil)
		if code != cli.ExitOK {
			t.Fatalf("publish %d: exit %d: %s", i, code, errb.String())
		}
		if got := strings.Contains(errb.String(), "duplicate: dropped"); got != wantDup {
			t.Errorf("publish %d: stderr says duplicate = %v, want %v:\n%s", i, got, wantDup, errb.String())
		}
		if !strings.Contains(out.String(), fmt.Sprintf("duplicate=%t", wantDup)) {
			t.Errorf("publish %d: stdout %q", i, out.String())
		}
	}
}

// writeFakeDemo makes dir look like a repository with a running demo
// whose settings are vars (the pid is this test process, which runs).
func writeFakeDemo(t *testing.T, dir string, pid int, vars ...string) {
	t.Helper()
	d := filepath.Join(dir, ".demo")
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, v := range vars {
		k, val, _ := strings.Cut(v, "=")
		fmt.Fprintf(&b, "%s='%s'\n", k, val)
	}
	if err := os.WriteFile(filepath.Join(d, "gridwarn.env"), []byte("# test\n"+b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "gridwarn.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The command line reads a running demo's .demo/gridwarn.env from the
// repository (issue #14: `publish`, `dead-letters`, `summary` … failed
// next to a running demo); the environment wins, GRIDWARN_NO_DEMO_ENV=1
// turns it off, a demo that is gone is ignored, and the missing-database
// hint points at the demo, not at a new empty cluster.
func TestCLIFindsTheRunningDemo(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "internal", "x")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	run := func(environ ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), []string{"config", "check", "--print"}, strings.NewReader(""), &out, &errb, environ, nil)
		return code, out.String(), errb.String()
	}
	writeFakeDemo(t, root, os.Getpid(), "GRIDWARN_NATS_URL=nats://127.0.0.1:4999", "GRIDWARN_DATABASE_URL=postgres://demo@127.0.0.1:5999/gridwarn")
	code, out, errb := run()
	if code != cli.ExitOK || !strings.Contains(out, "nats://127.0.0.1:4999") || !strings.Contains(errb, "using the running demo's settings") {
		t.Errorf("with a running demo: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	if _, out, _ := run("GRIDWARN_NATS_URL=nats://127.0.0.1:4111"); !strings.Contains(out, "nats://127.0.0.1:4111") {
		t.Errorf("the environment does not win over the demo's file:\n%s", out)
	}
	if _, out, errb := run("GRIDWARN_NO_DEMO_ENV=1"); strings.Contains(out, "4999") || strings.Contains(errb, "running demo") {
		t.Errorf("GRIDWARN_NO_DEMO_ENV=1 still reads the demo's file:\n%s\n%s", out, errb)
	}
	// The database hint names the demo, not scripts/pg-local.sh.
	var outb, errbuf bytes.Buffer
	cli.Main(context.Background(), []string{"dead-letters", "list"}, strings.NewReader(""), &outb, &errbuf, []string{"GRIDWARN_NO_DEMO_ENV=1"}, nil)
	if strings.Contains(errbuf.String(), "pg-local") || !strings.Contains(errbuf.String(), "GRIDWARN_NO_DEMO_ENV=1") {
		t.Errorf("missing database hint with the demo file switched off: %s", errbuf.String())
	}
	// A demo that stopped without cleaning up (its pid is gone) is ignored.
	writeFakeDemo(t, root, 1<<22+12345, "GRIDWARN_NATS_URL=nats://127.0.0.1:4999")
	if _, out, errb := run(); strings.Contains(out, "4999") || strings.Contains(errb, "running demo") {
		t.Errorf("a stale demo file is read:\n%s\n%s", out, errb)
	}
	errbuf.Reset()
	cli.Main(context.Background(), []string{"dead-letters", "list"}, strings.NewReader(""), &outb, &errbuf, nil, nil)
	if strings.Contains(errbuf.String(), "pg-local.sh start") || !strings.Contains(errbuf.String(), "scripts/demo.sh") {
		t.Errorf("missing database hint: %s", errbuf.String())
	}
}
