package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The imports change people as the API does: a town's administrator can
// neither take a person of another town over by importing a row with
// their username nor put them in a town grid's worker list.
func TestImportsChangeOnlyPeopleInsideTheScope(t *testing.T) {
	db := MustOpenDB(t)
	testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	townB := gridwarn.VisibilityOf(gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: "320924101"})
	const gwA, gridB = "gw-320924100-j01-1", "320924101-J01"
	before, err := db.UserByName(ctx, gwA)
	if err != nil {
		t.Fatal(err)
	}

	// A people row with town A's grid worker's username, scoped to town B.
	_, err = db.ImportUsers(ctx, townB, []gridwarn.User{{Username: gwA, Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: "320924", GridCodes: []string{gridB}}}}, false)
	if gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("town B imports town A's grid worker: %v, want invalid", err)
	}
	// A grids row listing them among a town-B grid's workers.
	g, err := db.Grid(ctx, gridwarn.Visibility{All: true}, gridB)
	if err != nil {
		t.Fatal(err)
	}
	g.Workers = append(g.Workers, gwA)
	if _, err := db.ImportGrids(ctx, townB, []gridwarn.Grid{*g}, false); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("town B imports %s with town A's grid worker: %v, want invalid", gridB, err)
	}
	after, _ := db.UserByName(ctx, gwA)
	if !slices.Equal(after.Scope.GridCodes, before.Scope.GridCodes) || after.Scope.Kind != before.Scope.Kind || after.Scope.UnitCode != before.Scope.UnitCode {
		t.Errorf("%s's scope = %+v, want %+v unchanged", gwA, after.Scope, before.Scope)
	}

	// Town B's own people it may import.
	own := gridwarn.User{Username: "gw-320924101-j01-1", DisplayName: "改名", Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: "320924", GridCodes: []string{gridB}}}
	if res, err := db.ImportUsers(ctx, townB, []gridwarn.User{own}, false); err != nil || res.Updated != 1 {
		t.Errorf("town B imports its own grid worker: %+v %v, want 1 updated", res, err)
	}
}
