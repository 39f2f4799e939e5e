package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// Reload with a broken rules file: the old rules stay and the error is
// visible; with a good file the new version decides new events only.
func TestRulesReload(t *testing.T) {
	shipped, err := os.ReadFile("../../configs/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(version string, extra string) {
		t.Helper()
		data := strings.Replace(string(shipped), `version: "2026.12-1"`, `version: "`+version+`"`, 1)
		if !strings.Contains(data, version) {
			t.Fatal("the shipped rules file has no version line to replace")
		}
		if err := os.WriteFile(file, []byte(data+extra), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("test-1", "")
	a := MustRunApp(t, func(c *config.Config) { c.Rules.File = file })
	county := testutil.MustSeedDemoCounty(t, a.DB())
	ent := county.Enterprises[0].CreditCode

	publish := func(id string) gridwarn.Decision {
		t.Helper()
		e := gridwarn.Event{ID: id, Enterprise: ent, Category: "contract", OccurredAt: time.Now().Add(-time.Hour)}
		data, _ := json.Marshal(e)
		if _, err := (natsbus.Publisher{JS: a.JetStream()}).PublishRaw(context.Background(), e.Subject(), e.ID, data); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var raw []byte
			err := a.DB().Pool().QueryRow(context.Background(), "SELECT decision FROM events WHERE id = $1", id).Scan(&raw)
			if err == nil {
				var d gridwarn.Decision
				_ = json.Unmarshal(raw, &d)
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %s not stored", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if d := publish("r-1"); d.RulesVersion != "test-1" {
		t.Fatalf("first decision under %q, want test-1", d.RulesVersion)
	}

	write("test-2", "\nnot_a_setting: true\n")
	info, err := a.ReloadRules()
	if err == nil || info.Version != "test-1" || info.LastError == "" || !strings.Contains(err.Error(), "not_a_setting") {
		t.Fatalf("broken reload: %+v, %v; want an error naming the key and test-1 still in force", info, err)
	}
	if d := publish("r-2"); d.RulesVersion != "test-1" {
		t.Errorf("after a broken reload the decision used %q, want test-1", d.RulesVersion)
	}

	write("test-3", "")
	if info, err := a.ReloadRules(); err != nil || info.Version != "test-3" || info.LastError != "" {
		t.Fatalf("good reload: %+v, %v", info, err)
	}
	if d := publish("r-3"); d.RulesVersion != "test-3" {
		t.Errorf("after a good reload the decision used %q, want test-3", d.RulesVersion)
	}
	var versions []string
	rows, _ := a.DB().Pool().Query(context.Background(), "SELECT decision->>'rules_version' FROM events ORDER BY id")
	for rows.Next() {
		var v string
		_ = rows.Scan(&v)
		versions = append(versions, v)
	}
	if fmt.Sprint(versions) != "[test-1 test-1 test-3]" {
		t.Errorf("stored decisions = %v; earlier events keep the version they were decided with", versions)
	}
}
