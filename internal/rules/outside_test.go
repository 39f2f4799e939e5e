package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The outside bodies' clocks: the law's numbers by default and in
// configs/rules.yaml; working days on the calendar; a body without an
// entry has none; mistakes are named.
func TestOutsideBodies(t *testing.T) {
	r := Default()
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, r.Calendar().Location()) // a Friday
	for _, tc := range []struct {
		body     string
		kind     gridwarn.ClockKind
		extended bool
		want     time.Time
	}{
		{gridwarn.BodyArbitration, gridwarn.ClockBodyAccept, false, start.AddDate(0, 0, 5)},
		{gridwarn.BodyArbitration, gridwarn.ClockBodyDecide, false, start.AddDate(0, 0, 45)},
		{gridwarn.BodyArbitration, gridwarn.ClockBodyDecide, true, start.AddDate(0, 0, 60)},
		{gridwarn.BodyLaborInspection, gridwarn.ClockBodyAccept, false, r.Calendar().AddWorkingDays(start, 5)},
		{gridwarn.BodyLaborInspection, gridwarn.ClockBodyDecide, true, r.Calendar().AddWorkingDays(r.Calendar().AddWorkingDays(start, 60), 30)},
	} {
		got, ok := r.BodyClock(tc.body, tc.kind, start, tc.extended)
		if !ok || !got.DueAt.Equal(tc.want) || got.RemindAt.After(got.DueAt) || got.RemindAt.Before(start) {
			t.Errorf("%s %s extended=%t: %+v %t, want due %v", tc.body, tc.kind, tc.extended, got, ok, tc.want)
		}
	}
	if _, ok := r.BodyClock(gridwarn.BodyCourt, gridwarn.ClockBodyAccept, start, false); ok {
		t.Error("a court has clocks")
	}
	if got := r.WithTimeScale(0.5).Bodies(); got[gridwarn.BodyArbitration].Decide.Wall != 45*24*time.Hour {
		t.Errorf("the time scale changed the limits themselves: %+v", got)
	}
	base := strings.Split(string(DefaultYAML), "\noutside_bodies:")[0]
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown body", "\noutside_bodies:\n  notary: {accept: 5d, decide: 45d}\n", `unknown key "notary"`},
		{"missing decide", "\noutside_bodies:\n  arbitration: {accept: 5d}\n", "decide is required"},
		{"bad limit", "\noutside_bodies:\n  arbitration: {accept: five, decide: 45d}\n", "outside_bodies.arbitration.accept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tc.yaml), "r.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Without the section, the law's numbers.
	r2, err := Parse([]byte(base), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r2.BodyClock(gridwarn.BodyArbitration, gridwarn.ClockBodyAccept, start, false); !got.DueAt.Equal(start.AddDate(0, 0, 5)) {
		t.Errorf("default arbitration accept: %v", got.DueAt)
	}
}
