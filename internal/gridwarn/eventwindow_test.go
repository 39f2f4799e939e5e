package gridwarn

import (
	"testing"
	"time"
)

func TestEventWindow(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	w := EventWindow{MaxFuture: 5 * time.Minute, MaxAge: 395 * 24 * time.Hour}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name     string
		occurred time.Time
		reported *time.Time
		rule     string // "" when accepted
		field    string
	}{
		{name: "now", occurred: now},
		{name: "just inside the future slack", occurred: now.Add(5 * time.Minute)},
		{name: "beyond the future slack", occurred: now.Add(5*time.Minute + time.Second), rule: RuleFuture, field: "occurred_at"},
		{name: "year 9999", occurred: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), rule: RuleFuture, field: "occurred_at"},
		{name: "oldest accepted", occurred: now.Add(-395 * 24 * time.Hour)},
		{name: "too old", occurred: now.Add(-395*24*time.Hour - time.Second), rule: RuleTooOld, field: "occurred_at"},
		{name: "year 1900", occurred: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), rule: RuleTooOld, field: "occurred_at"},
		{name: "reported in the future", occurred: now, reported: at(time.Hour), rule: RuleFuture, field: "reported_at"},
		{name: "reported now", occurred: now.Add(-time.Hour), reported: at(0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Event{OccurredAt: tc.occurred, ReportedAt: tc.reported}
			err := e.ValidateWindow(now, w)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ErrorCode(err) != EUNPROCESSABLE {
				t.Fatalf("code = %q (%v), want %q", ErrorCode(err), err, EUNPROCESSABLE)
			}
			if !IsOutOfWindow(err) {
				t.Errorf("IsOutOfWindow(%v) = false", err)
			}
			fs := ErrorFields(err)
			if len(fs) != 1 || fs[0].Field != tc.field || fs[0].Rule != tc.rule {
				t.Errorf("fields = %+v, want %s/%s", fs, tc.field, tc.rule)
			}
		})
	}
}

// The bus judges an event by when the broker stored it: a wait in the
// stream (an outage) neither ages it out nor makes a future date acceptable.
func TestEventWindowAtStoredTime(t *testing.T) {
	stored := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	w := EventWindow{MaxFuture: 5 * time.Minute, MaxAge: 395 * 24 * time.Hour}
	later := stored.Add(60 * 24 * time.Hour) // the engine's clock after a long outage
	old := Event{OccurredAt: stored.Add(-390 * 24 * time.Hour)}
	if err := old.ValidateWindowAt(stored, later, w); err != nil {
		t.Errorf("an event that was in the window when stored is refused after waiting: %v", err)
	}
	future := Event{OccurredAt: stored.Add(24 * time.Hour)}
	if err := future.ValidateWindowAt(stored, later, w); !IsOutOfWindow(err) {
		t.Errorf("a date in the future when stored is accepted because it waited: %v", err)
	}
	// An engine clock behind the broker's (a test's fixed clock, a skewed
	// machine) judges the age by the earlier of the two.
	earlier := stored.Add(-24 * time.Hour)
	if err := (Event{OccurredAt: earlier.Add(-394 * 24 * time.Hour)}).ValidateWindowAt(stored, earlier, w); err != nil {
		t.Errorf("age judged by the later clock: %v", err)
	}
}

func TestZeroEventWindowChecksNothing(t *testing.T) {
	e := Event{OccurredAt: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := e.ValidateWindow(time.Now(), EventWindow{}); err != nil {
		t.Fatal(err)
	}
}
