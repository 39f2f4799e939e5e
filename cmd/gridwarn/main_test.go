package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The whole binary: build gridwarn, run `gridwarn serve` against a throwaway
// database with embedded NATS, publish with `gridwarn publish`, read the
// ticket over HTTP, stop it with SIGTERM (graceful), start it again on the
// same data and see every published event stored exactly once.
func TestBinaryServePublishRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	db, dbURL := testutil.MustOpenDB(t)
	county := testutil.MustSeedDemoCounty(t, db)
	token := testutil.MustToken(t, db, "mediator-county-1")
	bin := filepath.Join(t.TempDir(), "gridwarn")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	apiAddr, natsPort := freeAddr(t), freePort(t)
	env := append(os.Environ(),
		"GRIDWARN_DATABASE_URL="+dbURL,
		"GRIDWARN_API_LISTEN="+apiAddr,
		"GRIDWARN_NATS_EMBEDDED_PORT="+natsPort,
		"GRIDWARN_DATA_DIR="+t.TempDir(),
		"GRIDWARN_LOG_LEVEL=debug",
	)
	natsURL := "nats://127.0.0.1:" + natsPort

	serve := startServe(t, bin, env, apiAddr, token)

	// Publish 300 events as JSON lines through the CLI.
	var lines bytes.Buffer
	const total = 300
	for i := range total {
		ent := county.Enterprises[i%7].CreditCode
		fmt.Fprintf(&lines, `{"id":"bin-%d","enterprise":"%s","category":"wage_arrears","occurred_at":"2026-11-20T09:00:00+08:00","workers_involved":%d}`+"\n", i, ent, i%50)
	}
	pub := exec.Command(bin, "publish", "--nats-url", natsURL)
	pub.Env, pub.Stdin = env, &lines
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("gridwarn publish: %v\n%s", err, out)
	} else if !strings.Contains(string(out), fmt.Sprintf("published %d event(s), 0 failed", total)) {
		t.Fatalf("gridwarn publish said:\n%s", out)
	}

	// The first ticket is visible over HTTP.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var page struct {
			Items []struct {
				ID         int64  `json:"id"`
				Enterprise string `json:"enterprise"`
			} `json:"items"`
		}
		if code := get(t, apiAddr, token, "/api/v1/tickets?limit=5", &page); code == 200 && len(page.Items) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ticket visible over HTTP")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Graceful stop while the engine may still be working.
	stopServe(t, serve)
	if !strings.Contains(serve.stderr.String(), `"msg":"gridwarn stopped"`) {
		t.Errorf("no graceful stop in the log:\n%s", tail(serve.stderr.String(), 2000))
	}

	// Start again on the same data: whatever was not acknowledged is
	// redelivered, nothing is stored twice.
	serve = startServe(t, bin, env, apiAddr, token)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline = time.Now().Add(30 * time.Second)
	for {
		var events, counted int
		if err := conn.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM events), (SELECT coalesce(sum(event_count),0) FROM tickets)").Scan(&events, &counted); err != nil {
			t.Fatal(err)
		}
		if events == total && counted == total {
			break
		}
		if events > total || counted > total || time.Now().After(deadline) {
			t.Fatalf("events = %d, counted on tickets = %d; want exactly %d", events, counted, total)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopServe(t, serve)
}

type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func startServe(t *testing.T, bin string, env []string, apiAddr, token string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "serve"), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Env, p.cmd.Stderr = env, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for get(t, apiAddr, token, "/readyz", nil) != 200 {
		select {
		case err := <-p.done:
			t.Fatalf("gridwarn serve exited: %v\n%s", err, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gridwarn serve not ready:\n%s", tail(p.stderr.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

func stopServe(t *testing.T, p *process) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("gridwarn serve exited with %v after SIGTERM:\n%s", err, tail(p.stderr.String(), 3000))
		}
	case <-time.After(40 * time.Second):
		t.Fatal("gridwarn serve did not stop within 40s of SIGTERM")
	}
}

func get(t *testing.T, addr, token, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func freePort(t *testing.T) string {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
