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

// The demo's past union lists are valid on their own days, in order, after
// the registry's day, end in the registry's state now, and every month
// some enterprises unionize and some join the list.
func TestUnionHistory(t *testing.T) {
	today := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	d := County(0)
	day, base, lists := d.UnionHistory(today)
	if day != "2025-12-31" || len(lists) != UnionListMonths || lists[0].AsOf != "2026-08-31" || lists[3].AsOf != "2026-11-30" {
		t.Fatalf("registry of %s, lists %d from %s", day, len(lists), lists[0].AsOf)
	}
	type state struct {
		union     bool
		joint     string
		headcount int
	}
	prev := map[string]state{}
	for _, e := range base {
		prev[e.CreditCode] = state{e.HasUnion, "", e.Headcount}
	}
	reason := func(e gridwarn.Enterprise, s state, opened string, on time.Time) gridwarn.UnionizationReason {
		e.HasUnion, e.JointUnion, e.Headcount, e.OpenedOn = s.union, s.joint, s.headcount, opened
		return gridwarn.UnionizationReasonOf(e, on)
	}
	for k, l := range lists {
		on, _ := time.Parse(time.DateOnly, l.AsOf)
		prevDay := on.AddDate(0, 0, -on.Day())
		var unionized, listed int
		for i, r := range l.Rows {
			if err := r.Validate(on); err != nil {
				t.Fatalf("the list of %s, %s: %v", l.AsOf, r.CreditCode, err)
			}
			e := d.Enterprises[i]
			s := state{r.HasUnion, r.JointUnion, *r.Headcount}
			p := prev[r.CreditCode]
			if s.union && !p.union {
				unionized++
			}
			if reason(e, s, r.OpenedOn, on) != "" && reason(e, p, r.OpenedOn, prevDay) == "" {
				listed++
			}
			prev[r.CreditCode] = s
			if k == len(lists)-1 && (r.HasUnion != e.HasUnion || *r.Headcount != e.Headcount) {
				t.Errorf("the last list differs from the registry for %s", r.CreditCode)
			}
		}
		if k > 0 && (unionized == 0 || listed == 0) {
			t.Errorf("the list of %s: %d newly unionized, %d newly listed", l.AsOf, unionized, listed)
		}
		t.Logf("the list of %s: %d newly unionized, %d newly listed", l.AsOf, unionized, listed)
	}
}
