package gridwarn

import "testing"

// Holds: a scope lies entirely inside a visibility, or it does not; a
// person may be changed only when both their scopes (before, after) do.
func TestHolds(t *testing.T) {
	county := VisibilityOf(Scope{Kind: ScopeCounty, UnitCode: "320924"})
	townA := VisibilityOf(Scope{Kind: ScopeTown, UnitCode: "320924100"})
	townB := VisibilityOf(Scope{Kind: ScopeTown, UnitCode: "320924101"})
	grids := func(gs ...string) Scope { return Scope{Kind: ScopeGrids, UnitCode: "320924", GridCodes: gs} }
	for _, c := range []struct {
		name string
		v    Visibility
		s    Scope
		want bool
	}{
		{"county holds a town", county, Scope{Kind: ScopeTown, UnitCode: "320924101"}, true},
		{"county holds grids of two towns", county, grids("320924100-J01", "320924101-J01"), true},
		{"town holds its grids", townB, grids("320924101-J01", "320924101-J02"), true},
		{"town does not hold grids of two towns", townB, grids("320924100-J01", "320924101-J01"), false},
		{"town does not hold another town's grid", townB, grids("320924100-J01"), false},
		{"town does not hold the county", townA, Scope{Kind: ScopeCounty, UnitCode: "320924"}, false},
		{"town holds itself", townA, Scope{Kind: ScopeTown, UnitCode: "320924100"}, true},
		{"town does not hold another town", townA, Scope{Kind: ScopeTown, UnitCode: "320924101"}, false},
		{"a grid scope without grids is held by nobody", county, grids(), false},
		{"grids of another county", county, Scope{Kind: ScopeGrids, UnitCode: "320925", GridCodes: []string{"320925100-J01"}}, false},
		{"nobody holds anything", Visibility{}, Scope{Kind: ScopeTown, UnitCode: "320924100"}, false},
		{"all holds everything", Visibility{All: true}, grids("320925100-J01"), true},
	} {
		if got := c.v.Holds(c.s); got != c.want {
			t.Errorf("%s: Holds = %t, want %t", c.name, got, c.want)
		}
	}

	shared := grids("320924100-J01", "320924101-J01")
	if err := MayChangePerson(townB, &shared, shared); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("town B changes a person of towns A and B: %v, want forbidden", err)
	}
	a := grids("320924100-J01")
	if err := MayChangePerson(townB, &a, grids("320924100-J01", "320924101-J01")); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("town B adds its grid to town A's worker: %v, want forbidden", err)
	}
	b := grids("320924101-J01")
	if err := MayChangePerson(townB, &b, grids("320924101-J01", "320924100-J01")); ErrorCode(err) != EINVALID {
		t.Errorf("town B gives its worker a town-A grid: %v, want invalid", err)
	}
	if err := MayChangePerson(townB, &b, grids("320924101-J01", "320924101-J02")); err != nil {
		t.Errorf("town B gives its worker another town-B grid: %v", err)
	}
	if err := MayChangePerson(county, &shared, a); err != nil {
		t.Errorf("the county changes a person of two towns: %v", err)
	}
}

// A grid scope with no grid sees nothing (not the whole county).
func TestVisibilityOfNoGrids(t *testing.T) {
	v := VisibilityOf(Scope{Kind: ScopeGrids, UnitCode: "320924"})
	if v.Sees("320924", "320924100", "320924100-J01") || v.CountyCode != "" {
		t.Errorf("a grid scope without grids sees %+v, want nothing", v)
	}
}
