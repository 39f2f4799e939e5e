package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// The demo's files are replaced whole: the new content, the asked mode, and
// no temporary file left beside them. (A reader in another process saw an
// empty gridwarn.env while os.WriteFile was still writing it; CI failed on
// that.)
func TestWriteFileAtomicReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, demoEnvFile)
	if err := os.WriteFile(path, []byte("OLD=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("NEW=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "NEW=2\n" {
		t.Fatalf("read %q, %v", data, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the directory holds %d files, want 1: %v", len(ents), ents)
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
