// Package testutil holds helpers for tests that run against real
// dependencies: PostgreSQL and an embedded NATS JetStream server.
package testutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvTestDatabaseURL names the environment variable with the URL of the
// PostgreSQL server the tests use; scripts/test.sh sets it.
const EnvTestDatabaseURL = "GRIDWARN_TEST_DATABASE_URL"

// exitMissing is the exit status of scripts/pg-local.sh when a prerequisite
// (the PostgreSQL server binaries, the postgres user) is missing.
const exitMissing = 3

// InCI reports whether the tests run under CI (CI=true), where a test that
// needs PostgreSQL must fail, not skip, when there is none.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// skipOrFatal skips the test on a laptop and fails it under CI=true: a test
// that skips in CI is a test that does not exist.
func skipOrFatal(tb testing.TB, msg string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s; under CI=true a missing dependency fails the test instead of skipping it; run scripts/test.sh", msg)
	}
	tb.Skipf("%s; skipping (run scripts/test.sh to run it)", msg)
}

// DatabaseURL returns the URL of the test PostgreSQL server from
// GRIDWARN_TEST_DATABASE_URL. When it is unset the test is skipped, or fails
// under CI=true.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvTestDatabaseURL)
	if u == "" {
		skipOrFatal(tb, EnvTestDatabaseURL+" is not set")
	}
	return u
}

// MustCreateDatabase creates a fresh, empty database named
// gridwarn_test_<random hex> on the test server and returns its URL (the
// server URL with the database name replaced). The database is dropped, with
// any connections still open to it, when the test ends.
func MustCreateDatabase(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, "")
}

// MustCreateDatabaseFromTemplate is MustCreateDatabase for a copy of the
// database template, which the caller has created (for instance a migrated
// database, so that each test does not run the migrations). It may be called
// from parallel tests: PostgreSQL refuses to copy a database that another
// session is connected to (SQLSTATE 55006), which happens briefly, for
// instance while autovacuum visits the template, so it retries with backoff.
// Nobody may stay connected to the template.
func MustCreateDatabaseFromTemplate(tb testing.TB, template string) string {
	tb.Helper()
	if template == "" {
		tb.Fatal("MustCreateDatabaseFromTemplate: empty template name")
	}
	return createDatabase(tb, template)
}

func createDatabase(tb testing.TB, template string) string {
	tb.Helper()
	serverURL := DatabaseURL(tb)
	name := "gridwarn_test_" + randomHex(tb, 8)
	dbURL, err := WithDatabase(serverURL, name)
	if err != nil {
		tb.Fatalf("test database URL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		tb.Fatalf("connect to the test PostgreSQL (%s): %v", redact(serverURL), err)
	}
	defer conn.Close(context.Background())

	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	const attempts = 8
	backoff := 50 * time.Millisecond
	for i := 1; ; i++ {
		_, err = conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if err == nil || i == attempts || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			break
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, time.Second)
	}
	if err != nil {
		tb.Fatalf("create test database %s: %v", name, err)
	}

	tb.Cleanup(func() {
		// Not tb.Context(): it is canceled before the cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			tb.Errorf("drop test database %s: connect: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	return dbURL
}

// WithDatabase returns the connection string connString with its database
// name replaced by name. It accepts URLs (postgres://...), keeping their
// query parameters, and keyword/value strings (host=... dbname=...).
func WithDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value strings the last occurrence of a keyword wins.
	quoted := strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), `'`, `\'`)
	return strings.TrimSpace(connString) + " dbname='" + quoted + "'", nil
}

// redact hides the password of a database URL for messages.
func redact(connString string) string {
	u, err := url.Parse(connString)
	if err != nil || u.Scheme == "" {
		return "(connection string)"
	}
	return u.Redacted()
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Cluster is a private PostgreSQL cluster run by scripts/pg-local.sh, for
// tests that stop and restart the server (the shared test server must never
// be stopped). It listens on a fixed loopback port for its whole life, so
// clients can reconnect after Start.
type Cluster struct {
	script string // scripts/pg-local.sh
	dir    string // its PGLOCAL_DIR

	mu  sync.Mutex
	url string
}

// MustStartCluster initialises and starts a private cluster in a temporary
// directory and returns it running; it is stopped and deleted when the test
// ends. Without PostgreSQL server binaries the test is skipped, or fails
// under CI=true. Startup takes a few seconds (initdb).
func MustStartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		skipOrFatal(tb, "bash is not installed, so scripts/pg-local.sh cannot run")
	}
	// A short path of our own rather than tb.TempDir(): the Unix socket lives
	// in it, and socket paths are limited to about 100 bytes. When we run as
	// root, pg-local.sh hands the directory to the postgres user, or keeps the
	// cluster under /tmp when that user cannot reach it.
	dir, err := os.MkdirTemp("", "gridwarn-cluster-")
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{
		script: filepath.Join(root, "scripts", "pg-local.sh"),
		dir:    filepath.Join(dir, "pg"),
	}
	tb.Cleanup(func() {
		if _, err := c.run("destroy"); err != nil {
			tb.Errorf("destroy PostgreSQL cluster: %v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("remove %s: %v", dir, err)
		}
	})
	out, err := c.run("start")
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == exitMissing {
			skipOrFatal(tb, "cannot run a private PostgreSQL cluster: "+err.Error())
		}
		tb.Fatalf("start PostgreSQL cluster: %v", err)
	}
	c.mu.Lock()
	c.url = out
	c.mu.Unlock()
	return c
}

// URL returns the connection URL of the cluster's postgres database.
func (c *Cluster) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.url
}

// Stop stops the server (fast mode: sessions are disconnected). It does
// nothing when the server is already stopped.
func (c *Cluster) Stop(tb testing.TB) {
	tb.Helper()
	if _, err := c.run("stop"); err != nil {
		tb.Fatalf("stop PostgreSQL cluster: %v", err)
	}
}

// Start starts the server again, on the same port and with the same data. It
// does nothing when the server is running.
func (c *Cluster) Start(tb testing.TB) {
	tb.Helper()
	out, err := c.run("start")
	if err != nil {
		tb.Fatalf("start PostgreSQL cluster: %v", err)
	}
	if out != c.URL() {
		tb.Fatalf("PostgreSQL cluster restarted at %s, want %s", out, c.URL())
	}
}

// run runs pg-local.sh with the command and returns its trimmed stdout. The
// error carries its stderr.
func (c *Cluster) run(command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", c.script, command)
	cmd.Env = append(os.Environ(), "PGLOCAL_DIR="+c.dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pg-local.sh %s: %w\n%s", command, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// RepoRoot returns the repository root: the nearest directory above the
// working directory (a test's package directory) that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found: no go.mod above the working directory")
		}
		dir = parent
	}
}
