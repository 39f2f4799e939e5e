package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/cli"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// run runs the command line with environ and returns its exit code,
// standard output and standard error.
func run(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb, environ, nil)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRulesCheck(t *testing.T) {
	good := writeFile(t, "good.yaml", rules.DefaultYAML)
	code, out, _ := run(t, nil, "rules", "check", good)
	if code != cli.ExitOK || !strings.Contains(out, "version "+rules.Default().Version()) {
		t.Errorf("a good file: %d %s", code, out)
	}
	bad := writeFile(t, "bad.yaml", bytes.Replace(rules.DefaultYAML, []byte("level: orange"), []byte("level: purple"), 1))
	code, _, errs := run(t, nil, "rules", "check", bad)
	if code != cli.ExitFailure || !strings.Contains(errs, "bad.yaml:") || !strings.Contains(errs, "purple") {
		t.Errorf("a bad file: %d %s", code, errs)
	}
}

// `rules diff` replays the stored events under two files: the events whose
// level or tier changes, then a count per change.
func TestRulesDiff(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	county := testutil.MustSeedDemoCounty(t, db)
	ent := county.Enterprises[0]
	now := time.Now()
	var items []gridwarn.Incoming
	for i, workers := range []int{5, 40} {
		ev := gridwarn.Event{ID: []string{"diff-1", "diff-2"}[i], Enterprise: ent.CreditCode, Category: gridwarn.CategoryWageArrears,
			OccurredAt: now.Add(time.Duration(i-2) * time.Hour), WorkersInvolved: &workers}
		d := rules.Default().Decide(gridwarn.DecisionInput{Event: ev, Enterprise: ent, Now: ev.OccurredAt})
		items = append(items, gridwarn.Incoming{Event: ev, Enterprise: ent, Decision: d, Subject: "events.test", StreamSeq: uint64(i + 1)})
	}
	if _, err := db.ApplyBatch(context.Background(), items, nil); err != nil {
		t.Fatal(err)
	}
	oldF := writeFile(t, "old.yaml", rules.DefaultYAML)
	// The new file makes 30–99 workers red instead of orange.
	newF := writeFile(t, "new.yaml", bytes.Replace(rules.DefaultYAML, []byte("- id: workers_30_to_99\n      level: orange"),
		[]byte("- id: workers_30_to_99\n      level: red"), 1))
	env := []string{"GRIDWARN_DATABASE_URL=" + url}

	code, out, errs := run(t, env, "rules", "diff", oldF, newF, "--since", "30d")
	if code != cli.ExitOK {
		t.Fatalf("rules diff: %d %s", code, errs)
	}
	for _, want := range []string{"EVENT", "diff-2", ent.CreditCode, "orange/town", "red/county", "workers_30_to_99",
		"2 event(s) replayed from the last 30d under " + oldF, "orange/town → red/county"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "diff-1") {
		t.Errorf("an unchanged event is listed without --all:\n%s", out)
	}

	_, out, _ = run(t, env, "rules", "diff", oldF, newF, "--since", "30d", "--all")
	if !strings.Contains(out, "diff-1") || !strings.Contains(out, "blue/enterprise → blue/enterprise") {
		t.Errorf("--all lists every event and transition:\n%s", out)
	}

	_, out, _ = run(t, env, "rules", "diff", oldF, oldF)
	if !strings.Contains(out, "no level or tier would change") {
		t.Errorf("the same file twice:\n%s", out)
	}
}
