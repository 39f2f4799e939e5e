package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The running demo tells the command line where it is: `gridwarn demo`
// writes demoEnvFile (the settings a one-off command needs: the database,
// the NATS server, the API) and demoPIDFile into its data directory while
// it runs, and removes them when it stops. scripts/demo.sh keeps that in
// <repository>/.demo, where every command but serve and demo finds it, so
// the README's lines work as written against a running demo.
const (
	demoDirName  = ".demo"
	demoEnvFile  = "gridwarn.env"
	demoPIDFile  = "gridwarn.pid"
	noDemoEnvVar = "GRIDWARN_NO_DEMO_ENV"
)

// writeDemoEnv writes the demo's settings and pid into dir.
func writeDemoEnv(dir string, vars [][2]string) error {
	var b strings.Builder
	b.WriteString("# Written by `gridwarn demo` while it runs (its pid is in " + demoPIDFile + "); removed when it stops.\n")
	b.WriteString("# The gridwarn command line reads this file when it runs in the repository (" + noDemoEnvVar + "=1 turns that off;\n")
	b.WriteString("# variables already set in the environment win). In a shell: set -a; . " + filepath.Join(demoDirName, demoEnvFile) + "; set +a\n")
	for _, kv := range vars {
		fmt.Fprintf(&b, "%s='%s'\n", kv[0], strings.ReplaceAll(kv[1], "'", `'\''`))
	}
	// The pid first: gridwarn.env is the sign that the demo is ready, and
	// a reader that finds it finds the pid beside it.
	if err := writeFileAtomic(filepath.Join(dir, demoPIDFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, demoEnvFile), []byte(b.String()), 0o600)
}

// writeFileAtomic writes data to path so that a reader in another process
// (scripts/demo.sh, the command line, a test) sees either no file or all
// of it, never a file still being written: a temporary file beside it,
// renamed over it.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// removeDemoEnv removes what writeDemoEnv wrote, if it is still this
// process's.
func removeDemoEnv(dir string) {
	if pid, err := readPID(filepath.Join(dir, demoPIDFile)); err == nil && pid != os.Getpid() {
		return // another demo took over the directory
	}
	_ = os.Remove(filepath.Join(dir, demoEnvFile))
	_ = os.Remove(filepath.Join(dir, demoPIDFile))
}

func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// findDemoDir looks for a running demo's .demo directory from dir up to
// the repository's root (the directory holding go.mod or .git); "" when
// there is none or its process is gone.
func findDemoDir(dir string) string {
	for {
		d := filepath.Join(dir, demoDirName)
		if _, err := os.Stat(filepath.Join(d, demoEnvFile)); err == nil && processAlive(filepath.Join(d, demoPIDFile)) {
			return d
		}
		if isRepoRoot(dir) {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isRepoRoot(dir string) bool {
	for _, f := range []string{"go.mod", ".git"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// processAlive says whether the pid in path names a running process.
func processAlive(path string) bool {
	pid, err := readPID(path)
	if err != nil || pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// readEnvFile reads KEY='value' lines (comments and blank lines skipped).
func readEnvFile(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		out = append(out, [2]string{strings.TrimSpace(k), v})
	}
	return out, sc.Err()
}

// demoEnviron is environ plus the running demo's settings, when a demo
// runs in this repository, no configuration file was named and
// GRIDWARN_NO_DEMO_ENV is not 1. A variable already in environ wins.
// It also returns the file it read ("" when none).
func (e *env) demoEnviron() ([]string, string) {
	if v, _ := lookupEnv(e.environ, noDemoEnvVar); v == "1" || e.cfgPath != "" {
		return e.environ, ""
	}
	cwd := e.dir
	if cwd == "" {
		var err error
		if cwd, err = os.Getwd(); err != nil {
			return e.environ, ""
		}
	}
	d := findDemoDir(cwd)
	if d == "" {
		return e.environ, ""
	}
	path := filepath.Join(d, demoEnvFile)
	vars, err := readEnvFile(path)
	if err != nil {
		return e.environ, ""
	}
	out := append([]string(nil), e.environ...)
	for _, kv := range vars {
		if _, set := lookupEnv(e.environ, kv[0]); !set {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	return out, path
}
