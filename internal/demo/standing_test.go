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

// The demo's "1+x" assignments pass the domain's rule, link each leader
// and mediator (not the simulated ones) to one enterprise of their scope,
// and most of them visited it this year.
func TestDemoContacts(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	today := gridwarn.DayOf(time.Date(2026, 12, 5, 10, 0, 0, 0, loc), loc)
	d := County(0)
	rows := d.Contacts(today)
	users := map[string]gridwarn.User{}
	for _, u := range d.Users {
		users[u.Username] = u
	}
	places := map[string]gridwarn.Enterprise{}
	for _, e := range d.Enterprises {
		places[e.CreditCode] = e
	}
	if len(rows) < 10 {
		t.Fatalf("%d contacts", len(rows))
	}
	for _, r := range rows {
		u := users[r.Person]
		e := places[r.Enterprise]
		if IsSimulated(u.Username) || !u.Scope.Contains(e.TownCode, e.GridCode) || len(r.Workers) == 0 {
			t.Errorf("%s → %s (%s): %+v", r.Person, r.Enterprise, e.TownCode, r)
		}
		if err := (gridwarn.ContactAssignment{Person: r.Person, Enterprise: r.Enterprise, Workers: r.Workers}).Validate(today); err != nil {
			t.Errorf("%s: %v", r.Person, err)
		}
	}
	vs := d.ContactVisits(today)
	if len(vs) == 0 || len(vs) == len(rows) {
		t.Errorf("%d of %d contact people visited: want most, not all", len(vs), len(rows))
	}
	for _, v := range vs {
		if err := v.Validate(time.Date(2026, 12, 5, 10, 0, 0, 0, loc), loc); err != nil {
			t.Errorf("%s: %v", v.ID, err)
		}
	}
}
