package rules

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateLevels = flag.Bool("update-levels", false, "rewrite docs/levels.md from the built-in rules")

// TestLevelsDoc fails when docs/levels.md is not the level table the
// built-in rules implement; -update-levels rewrites it.
func TestLevelsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "levels.md")
	want := Default().LevelsDoc()
	if *updateLevels {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it: go test ./internal/rules -run TestLevelsDoc -update-levels)", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("docs/levels.md is stale; regenerate it with\n\tgo test ./internal/rules -run TestLevelsDoc -update-levels\n(-rules +file):\n%s", diff)
	}
	for _, r := range Default().Rules() {
		if !strings.Contains(string(got), "`"+r.ID+"`") {
			t.Errorf("docs/levels.md lacks rule %s", r.ID)
		}
	}
}
