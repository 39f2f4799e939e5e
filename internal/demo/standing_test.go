package demo

import (
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The demo's union status and visits are valid by the domain's own rules,
// the same on every call, and give every page something to show: both
// reasons on the unionization list, grids ahead and grids behind.
func TestStandingWork(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, loc)
	today := gridwarn.DayOf(now, loc)
	d := County(0)
	rows := d.UnionStatuses(today)
	if len(rows) != len(d.Enterprises) {
		t.Fatalf("%d union status rows for %d enterprises", len(rows), len(d.Enterprises))
	}
	reasons := map[gridwarn.UnionizationReason]int{}
	byCode := map[string]gridwarn.Enterprise{}
	for _, e := range d.Enterprises {
		byCode[e.CreditCode] = e
	}
	for _, u := range rows {
		if err := u.Validate(today); err != nil {
			t.Fatalf("%s: %v", u.CreditCode, err)
		}
		e := byCode[u.CreditCode]
		e.JointUnion, e.OpenedOn = u.JointUnion, u.OpenedOn
		reasons[gridwarn.UnionizationReasonOf(e, today)]++
	}
	if reasons[gridwarn.ReasonNoUnion] == 0 || reasons[gridwarn.ReasonJointMember] == 0 {
		t.Errorf("the list's reasons: %v", reasons)
	}
	visits := d.Visits(today)
	ids := map[string]bool{}
	perGrid := map[string]map[string]bool{}
	for _, v := range visits {
		if err := v.Validate(now, loc); err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if ids[v.ID] {
			t.Fatalf("id %s twice", v.ID)
		}
		ids[v.ID] = true
		g := byCode[v.Enterprise].GridCode
		if perGrid[g] == nil {
			perGrid[g] = map[string]bool{}
		}
		perGrid[g][v.Enterprise] = true
	}
	size := map[string]int{}
	for _, e := range d.Enterprises {
		size[e.GridCode]++
	}
	var ahead, behind int
	for g, n := range size {
		switch share := float64(len(perGrid[g])) / float64(n); {
		case share >= 0.8:
			ahead++
		case share < 0.6:
			behind++
		}
	}
	if ahead == 0 || behind == 0 {
		t.Errorf("grids ahead %d, behind %d: want both", ahead, behind)
	}
	if again := d.Visits(today); len(again) != len(visits) || again[0] != visits[0] {
		t.Error("the visits differ from one call to the next")
	}
}
