package rules

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func ptr[T any](v T) *T { return &v }

// Each firing reports the values its expression read, with the file's labels.
func TestFiringValues(t *testing.T) {
	now := at("2026-11-20 10:00")
	in := gridwarn.DecisionInput{
		Event: gridwarn.Event{ID: "e1", Category: gridwarn.CategoryWageArrears, OccurredAt: now.Add(-time.Hour),
			WorkersInvolved: ptr(12), MonthsInArrears: ptr(2.5), AmountOwedCNY: ptr(80000.0), Action: "road_block"},
		Enterprise: gridwarn.Enterprise{Headcount: 200, RegisteredCapitalCNY: 100000},
		History: gridwarn.History{
			Signals: []gridwarn.Signal{
				{EventID: "a", Category: gridwarn.CategoryWageArrears, OccurredAt: now.Add(-48 * time.Hour)},
				{EventID: "b", Category: gridwarn.CategoryPayTerms, OccurredAt: now.Add(-72 * time.Hour)},
			},
			LastClosed: map[gridwarn.Category]time.Time{gridwarn.CategoryWageArrears: now.Add(-10 * 24 * time.Hour)},
		},
		Now: now,
	}
	d := Default().Decide(in)
	got := map[string]map[string]any{}
	for _, f := range d.Fired {
		got[f.Rule] = f.Values
	}
	want := map[string]map[string]any{
		"large_amount_10_workers": {"event.amount_owed_cny": 80000.0, "event.workers_involved": 12},
		"escalating_action_10":    {"event.workers_involved": 12, "event.action": "road_block"},
		"arrears_over_half_capital": {"event.amount_owed_cny": 80000.0,
			"enterprise.registered_capital_cny": 100000.0},
		"arrears_over_2_months": {"event.months_in_arrears": 2.5},
		"third_signal_30d":      {`signals("", 30)`: 2},
		"relapse_90d":           {"closed_within(event.category, 90)": true, "event.category": "wage_arrears"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if d.Level != gridwarn.LevelRed || d.Tier != gridwarn.TierCounty || !d.Relapse {
		t.Errorf("decision %+v", d)
	}
	for _, f := range d.Fired {
		if f.LabelZH == "" || f.LabelEN == "" {
			t.Errorf("%s has no labels", f.Rule)
		}
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("the decision does not encode: %v", err)
	}
}

// A rule that fails at run time does not fire; Evaluate says why; values
// that JSON cannot hold are reported as text.
func TestRunTimeFailure(t *testing.T) {
	r := mustParse(t, withSection(t, "raises", `
raises:
  - id: modulo
    when: event.workers_involved % enterprise.headcount == 1
    label_zh: 取模
    label_en: modulo
  - id: ratio
    when: "true"
    values: [event.workers_involved / enterprise.headcount]
    label_zh: 比例
    label_en: ratio
`))
	d, err := r.Evaluate(gridwarn.DecisionInput{Event: gridwarn.Event{Category: "other", WorkersInvolved: ptr(3)}})
	if err == nil {
		t.Fatal("no error for a modulo by zero")
	}
	var fired []string
	for _, f := range d.Fired {
		fired = append(fired, f.Rule)
		if f.Rule == "ratio" && f.Values["event.workers_involved / enterprise.headcount"] != "+Inf" {
			t.Errorf("ratio values %v", f.Values)
		}
	}
	if diff := cmp.Diff([]string{"workers_1_to_9", "ratio"}, fired); diff != "" {
		t.Errorf("fired (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("the decision does not encode: %v", err)
	}
}

// Decide is safe for concurrent use (run with -race).
func TestConcurrentDecide(t *testing.T) {
	inputs := benchInputs(200, 10)
	r := Default()
	want := make([]gridwarn.Decision, len(inputs))
	for i, in := range inputs {
		want[i] = r.Decide(in)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, in := range inputs {
				if d := r.Decide(in); !cmp.Equal(d, want[i]) {
					t.Errorf("input %d: a concurrent decision differs:\n%s", i, cmp.Diff(want[i], d))
					return
				}
			}
		}()
	}
	wg.Wait()
}
