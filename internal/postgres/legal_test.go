package postgres

import (
	"testing"
	"time"
)

func TestLegalClocks(t *testing.T) {
	l := legalRules{mediation: 15, limitation: 365, alarms: []int{300, 350}}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	accepted := start.AddDate(0, 0, 10)
	for _, tc := range []struct {
		now      time.Time
		settled  bool
		suggest  bool
		alarm    int
		daysLeft int
	}{
		{accepted.AddDate(0, 0, 1), false, false, 0, 14},
		{accepted.AddDate(0, 0, 15).Add(time.Hour), false, true, 0, 0},
		{accepted.AddDate(0, 0, 15).Add(time.Hour), true, false, 0, 0},
		{start.AddDate(0, 0, 299), false, true, 0, -274},
		{start.AddDate(0, 0, 300), false, true, 300, -275},
		{start.AddDate(0, 0, 351), false, true, 350, -326},
	} {
		c := l.clocks(&accepted, start, tc.settled, tc.now)
		if c.SuggestArbitration != tc.suggest || c.LimitationAlarm != tc.alarm || *c.MediationDaysLeft != tc.daysLeft {
			t.Errorf("at %s (settled %t): suggest %t, alarm %d, days left %d; want %t, %d, %d", tc.now, tc.settled,
				c.SuggestArbitration, c.LimitationAlarm, *c.MediationDaysLeft, tc.suggest, tc.alarm, tc.daysLeft)
		}
	}
	if c := l.clocks(nil, start, false, start); c.MediationDueAt != nil || c.SuggestArbitration {
		t.Errorf("before acceptance: %+v, want no mediation clock", c)
	}
}
