package rules

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The what-if replays events under two files: only the events whose level
// or tier differ are changes, and each event sees the ones before it.
func TestDiffer(t *testing.T) {
	// The new file makes 30–99 workers red instead of orange.
	yaml := bytes.Replace(DefaultYAML, []byte("- id: workers_30_to_99\n      level: orange"), []byte("- id: workers_30_to_99\n      level: red"), 1)
	yaml = bytes.Replace(yaml, []byte(`version: "2026.12-1"`), []byte(`version: "what-if"`), 1)
	if bytes.Equal(yaml, DefaultYAML) {
		t.Fatal("the test's edit of default.yaml did not apply")
	}
	newR, err := Parse(yaml, "new.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDiffer(Default(), newR)
	start := at("2026-11-02 09:00")
	ev := func(id, ent string, hours, workers int) gridwarn.Event {
		return gridwarn.Event{ID: id, Enterprise: ent, Category: gridwarn.CategoryWageArrears,
			OccurredAt: start.Add(time.Duration(hours) * time.Hour), WorkersInvolved: ptr(workers)}
	}
	type row struct {
		id       string
		changed  bool
		old, new gridwarn.Level
	}
	var got []row
	for _, e := range []gridwarn.Event{
		ev("a1", "A", 0, 5),  // blue both
		ev("b1", "B", 1, 40), // orange → red
		ev("a2", "A", 2, 5),  // blue both
		ev("a3", "A", 3, 5),  // the third signal of A in 30 days: raised to yellow under both
	} {
		o := d.Decide(e, gridwarn.Enterprise{CreditCode: e.Enterprise, Headcount: 300})
		got = append(got, row{o.Event.ID, o.Changed(), o.Old.Level, o.New.Level})
		if e.ID == "a3" && !slices.Contains(o.NewRules(), "third_signal_30d") {
			t.Errorf("a3 did not see the two signals before it: %v", o.NewRules())
		}
	}
	want := []row{
		{"a1", false, gridwarn.LevelBlue, gridwarn.LevelBlue},
		{"b1", true, gridwarn.LevelOrange, gridwarn.LevelRed},
		{"a2", false, gridwarn.LevelBlue, gridwarn.LevelBlue},
		{"a3", false, gridwarn.LevelYellow, gridwarn.LevelYellow},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if d.Total() != 4 || d.Changed() != 1 {
		t.Errorf("total %d, changed %d; want 4, 1", d.Total(), d.Changed())
	}
	changed := d.Counts(false)
	if len(changed) != 1 || changed[0].String() != "orange/town → red/county" || changed[0].Events != 1 {
		t.Errorf("changes %+v", changed)
	}
	var all []string
	for _, c := range d.Counts(true) {
		all = append(all, c.String())
	}
	if want := []string{"blue/enterprise → blue/enterprise", "orange/town → red/county", "yellow/town → yellow/town"}; !slices.Equal(all, want) {
		t.Errorf("every transition %v, want %v", all, want)
	}
}
