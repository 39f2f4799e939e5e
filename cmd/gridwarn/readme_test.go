package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/testutil"
)

// readmeBlocks returns the README's ```sh blocks marked as doc tests: a
// comment starting "<!-- doctest" (it may run over several lines) right
// before the block.
func readmeBlocks(t *testing.T, readme string) []string {
	t.Helper()
	lines := strings.Split(readme, "\n")
	var blocks []string
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "<!-- doctest") {
			continue
		}
		k := i
		for k < len(lines) && !strings.Contains(lines[k], "-->") {
			k++
		}
		if k+1 >= len(lines) || lines[k+1] != "```sh" {
			t.Fatalf("README line %d: a doctest mark not followed by a ```sh block", i+1)
		}
		var b []string
		j := k + 2
		for ; j < len(lines) && lines[j] != "```"; j++ {
			b = append(b, lines[j])
		}
		blocks = append(blocks, strings.Join(b, "\n"))
		i = j
	}
	return blocks
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestREADMEExamples is the README's doc test (issue #14: every README
// line runs as written against a running demo). It builds ./bin/gridwarn
// in a copy of the repository's layout (configs/ and internal/ linked, the
// binary built from this tree), starts `./bin/gridwarn demo` there as
// scripts/demo.sh does (its own PostgreSQL database, .demo as the data
// directory), and runs every ```sh block the README marks <!-- doctest -->
// in order, in one bash with -e and pipefail, from that directory — only
// the demo's address replaces 127.0.0.1:8080. Every command must succeed,
// no API answer may be a problem, and the demo must reload its rules on the
// README's kill -HUP. Waits are bounded polls; nothing is timed.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the demo")
	}
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the README's examples need %s: %v", tool, err)
			}
			t.Skipf("the README's examples need %s", tool)
		}
	}
	dbURL := testutil.MustCreateDatabase(t) // fails under CI=true without PostgreSQL
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, string(readme))
	if len(blocks) < 4 {
		t.Fatalf("the README marks %d shell blocks as doc tests, want at least 4", len(blocks))
	}

	repo := t.TempDir()
	for _, dir := range []string{"configs", "internal"} {
		if err := os.Symlink(filepath.Join(root, dir), filepath.Join(repo, dir)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module readme.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(repo, "bin", "gridwarn")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The environment of a person's shell: nothing of gridwarn's own.
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRIDWARN_") {
			environ = append(environ, kv)
		}
	}
	addr := freeAddr(t)
	demo := exec.Command(bin, "demo", "--data-dir", filepath.Join(repo, ".demo"), "--listen", addr, "--history-weeks", "1")
	demo.Dir = repo
	demo.Env = append(environ, "GRIDWARN_DATABASE_URL="+dbURL, "GRIDWARN_NATS_EMBEDDED_PORT="+freePort(t))
	var demoOut, demoErr syncBuf
	demo.Stdout, demo.Stderr = &demoOut, &demoErr
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- demo.Wait() }()
	t.Cleanup(func() {
		_ = demo.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Minute):
			_ = demo.Process.Kill()
			t.Errorf("the demo did not stop on SIGTERM within 2 minutes")
		}
	})
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(repo, ".demo", "gridwarn.env")); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the demo exited before it was ready (%v):\n%s", err, tail(demoErr.String(), 3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo was not ready within 5 minutes:\n%s", tail(demoErr.String(), 3000))
		}
	}

	var script strings.Builder
	for i, b := range blocks {
		script.WriteString("echo '=== README doctest block " + string(rune('1'+i)) + "' >&2\n")
		script.WriteString(strings.ReplaceAll(b, "127.0.0.1:8080", addr))
		script.WriteString("\necho\n")
	}
	sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", script.String())
	sh.Dir, sh.Env = repo, environ
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's examples failed: %v\n%s", err, tail(string(out), 6000))
	}
	for _, bad := range []string{`"status":4`, `"status":5`, "not published", "duplicate: dropped", "Traceback"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("the README's examples answered %q:\n%s", bad, tail(string(out), 6000))
		}
	}
	for _, want := range []string{`{"items":[`, "published id=hand-", `"duplicate":false`, "configs/rules.yaml: version", "event(s) replayed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the README's examples did not show %q:\n%s", want, tail(string(out), 6000))
		}
	}
	// kill -HUP $(cat .demo/gridwarn.pid) reached the demo, and only it.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(demoErr.String(), "rules reloaded"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not reload its rules on the README's kill -HUP:\n%s", tail(demoErr.String(), 3000))
		}
	}
}
