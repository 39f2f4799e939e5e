package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

type goldenFile struct {
	Now        time.Time    `yaml:"now"`
	Enterprise yaml.Node    `yaml:"enterprise"`
	Cases      []goldenCase `yaml:"cases"`
}

type goldenCase struct {
	Name         string     `yaml:"name"`
	Event        yaml.Node  `yaml:"event"`
	HoursAgo     *float64   `yaml:"hours_ago"`
	Enterprise   yaml.Node  `yaml:"enterprise"`
	History      history    `yaml:"history"`
	Now          *time.Time `yaml:"now"`
	ScoreOverlay bool       `yaml:"score_overlay"`
	Want         want       `yaml:"want"`
}

type history struct {
	Signals []struct {
		EventID  string         `yaml:"event_id"`
		Category string         `yaml:"category"`
		DaysAgo  float64        `yaml:"days_ago"`
		Workers  int            `yaml:"workers"`
		Level    gridwarn.Level `yaml:"level"`
	} `yaml:"signals"`
	Closed map[string]float64 `yaml:"closed"` // category → days ago
}

type want struct {
	Level   gridwarn.Level `yaml:"level"`
	Tier    gridwarn.Tier  `yaml:"tier"`
	Fired   []string       `yaml:"fired"`
	Relapse bool           `yaml:"relapse"`
	Score   *int           `yaml:"score"`
}

// viaJSON decodes a YAML node into v through JSON, so that the domain's
// JSON names apply; fields absent from the node keep their value in v.
func viaJSON(t *testing.T, n *yaml.Node, v any) {
	t.Helper()
	if n.Kind == 0 {
		return
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func days(d float64) time.Duration { return time.Duration(d * float64(24*time.Hour)) }

// input builds a decision input from a golden case; the event goes through
// the contract, as every real event does.
func (f *goldenFile) input(t *testing.T, i int, c *goldenCase) gridwarn.DecisionInput {
	t.Helper()
	now := f.Now
	if c.Now != nil {
		now = *c.Now
	}
	var ent gridwarn.Enterprise
	viaJSON(t, &f.Enterprise, &ent)
	viaJSON(t, &c.Enterprise, &ent)

	hoursAgo := 1.0
	if c.HoursAgo != nil {
		hoursAgo = *c.HoursAgo
	}
	ev := map[string]any{
		"id":          fmt.Sprintf("golden-%d", i+1),
		"enterprise":  ent.CreditCode,
		"occurred_at": now.Add(-time.Duration(hoursAgo * float64(time.Hour))).Format(time.RFC3339Nano),
	}
	viaJSON(t, &c.Event, &ev)
	raw, _ := json.Marshal(ev)
	e, err := contract.ParseEvent(raw)
	if err != nil {
		t.Fatalf("event %s: %v", raw, err)
	}

	var h gridwarn.History
	for j, s := range c.History.Signals {
		id := s.EventID
		if id == "" {
			id = fmt.Sprintf("earlier-%d", j+1)
		}
		h.Signals = append(h.Signals, gridwarn.Signal{EventID: id, Category: gridwarn.Category(s.Category),
			OccurredAt: now.Add(-days(s.DaysAgo)), Workers: s.Workers, Level: s.Level})
	}
	for cat, d := range c.History.Closed {
		if h.LastClosed == nil {
			h.LastClosed = map[gridwarn.Category]time.Time{}
		}
		h.LastClosed[gridwarn.Category(cat)] = now.Add(-days(d))
	}
	return gridwarn.DecisionInput{Event: e, Enterprise: ent, History: h, Now: now}
}

func loadGolden(t testing.TB) *goldenFile {
	data, err := os.ReadFile("testdata/golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f goldenFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	return &f
}

type got struct {
	Level   gridwarn.Level
	Tier    gridwarn.Tier
	Fired   []string
	Relapse bool
	Score   *int
}

func TestGolden(t *testing.T) {
	f := loadGolden(t)
	if len(f.Cases) < 45 {
		t.Errorf("%d golden cases, want at least 45", len(f.Cases))
	}
	base := Default()
	overlay := base.WithScoreOverlay(true)
	names := map[string]bool{}
	for i := range f.Cases {
		c := &f.Cases[i]
		if names[c.Name] {
			t.Errorf("case %q appears twice", c.Name)
		}
		names[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			in := f.input(t, i, c)
			r := base
			if c.ScoreOverlay {
				r = overlay
			}
			d, err := r.Evaluate(in)
			if err != nil {
				t.Errorf("run-time errors: %v", err)
			}
			g := got{Level: d.Level, Tier: d.Tier, Relapse: d.Relapse}
			for _, fi := range d.Fired {
				g.Fired = append(g.Fired, fi.Rule)
				if fi.LabelZH == "" || fi.LabelEN == "" || fi.Level == "" {
					t.Errorf("firing %s lacks a label or level: %+v", fi.Rule, fi)
				}
			}
			w := got{Level: c.Want.Level, Tier: c.Want.Tier, Fired: slices.Clone(c.Want.Fired), Relapse: c.Want.Relapse}
			if c.Want.Score != nil {
				g.Score, w.Score = &d.Score, c.Want.Score
			}
			slices.Sort(g.Fired)
			slices.Sort(w.Fired)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("decision (-want +got):\n%s\nfull decision: %+v", diff, d)
			}
			if d.RulesVersion != "2026.12-1" {
				t.Errorf("rules version %q", d.RulesVersion)
			}
		})
	}
}
