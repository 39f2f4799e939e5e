package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// An administrator changes only people entirely inside their own scope,
// and a grid's worker list widens nobody's scope: town B's administrator
// cannot take over a grid worker of town A by listing them among the
// workers of a town-B grid, nor change (token, password, grids) a person
// who also works in town A.
func TestAdminCannotTakeOverAnotherTownsPerson(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	db := w.a.DB()
	all := gridwarn.Visibility{All: true}
	const gridB = townB + "-J01"
	gB, err := db.Grid(ctx, all, gridB)
	if err != nil {
		t.Fatal(err)
	}
	put := func(who string, workers ...string) (int, string) {
		t.Helper()
		code, out := w.do(t, who, "PUT", "/api/v1/grids/"+gridB, map[string]any{"town_code": townB, "kind": gB.Kind,
			"name": gB.Name, "industry": gB.Industry, "workers": nonNilList(workers)})
		return code, string(out)
	}
	gridsOf := func(username string) []string {
		t.Helper()
		u, err := db.UserByName(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		return u.Scope.GridCodes
	}

	// Town A's grid worker listed among the workers of a town-B grid: the
	// same answer as a username that does not exist, and nothing changes.
	gwA := demo.DemoLogins()[gridwarn.RoleGridWorker]
	before := gridsOf(gwA)
	code, out := put("admin-b", append(slices.Clone(gB.Workers), gwA)...)
	if code != http.StatusBadRequest {
		t.Errorf("admin-b lists %s among %s's workers: %d %s, want 400", gwA, gridB, code, out)
	}
	if _, unknown := put("admin-b", append(slices.Clone(gB.Workers), "no-such-person")...); unknown != out {
		t.Errorf("another town's worker is answered\n%s\nan unknown username\n%s\nwant the same answer", out, unknown)
	}
	if got := gridsOf(gwA); !slices.Equal(got, before) {
		t.Errorf("%s's grids = %v, want %v unchanged", gwA, got, before)
	}
	uA, _ := db.UserByName(ctx, gwA)
	if code, out := w.do(t, "admin-b", "POST", fmt.Sprintf("/api/v1/users/%d/tokens", uA.ID), map[string]string{"name": "stolen"}); code != http.StatusNotFound {
		t.Errorf("admin-b issues a token to %s: %d %s, want 404", gwA, code, out)
	}

	// A grid worker of both towns: town B's administrator sees them but
	// may change nothing about them.
	shared, err := db.CreateUser(ctx, all, gridwarn.User{Username: "gw-shared", Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: "320924", GridCodes: []string{w.gridA, gridB}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := db.CreateToken(ctx, all, shared.ID, "theirs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := w.do(t, "admin-b", "GET", fmt.Sprintf("/api/v1/users/%d", shared.ID), nil); code != http.StatusOK {
		t.Errorf("admin-b reads gw-shared: %d %s, want 200", code, out)
	}
	if code, out := w.do(t, "admin-b", "POST", fmt.Sprintf("/api/v1/users/%d/tokens", shared.ID), map[string]string{"name": "stolen"}); code != http.StatusForbidden {
		t.Errorf("admin-b issues a token to gw-shared: %d %s, want 403", code, out)
	}
	if code, out := w.do(t, "admin-b", "POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tok.ID), nil); code != http.StatusForbidden {
		t.Errorf("admin-b revokes gw-shared's token: %d %s, want 403", code, out)
	}
	ui := signIn(t, w.a, "admin-b")
	ui.get("/ui/admin/users/" + strconv.FormatInt(shared.ID, 10))
	if code, body := ui.post("/ui/admin/users/"+strconv.FormatInt(shared.ID, 10)+"/password",
		url.Values{"password": {"a-password-long-enough"}}); code != http.StatusForbidden {
		t.Errorf("admin-b sets gw-shared's console password: %d %.300s, want 403", code, body)
	}
	gB, _ = db.Grid(ctx, all, gridB)
	without := slices.DeleteFunc(slices.Clone(gB.Workers), func(u string) bool { return u == "gw-shared" })
	if code, out := put("admin-b", without...); code != http.StatusBadRequest {
		t.Errorf("admin-b removes gw-shared from %s: %d %s, want 400", gridB, code, out)
	}
	if got := gridsOf("gw-shared"); !slices.Contains(got, gridB) {
		t.Errorf("gw-shared's grids = %v, want %s kept", got, gridB)
	}
	// Unchanged membership is no change to anybody.
	if code, out := put("admin-b", gB.Workers...); code != http.StatusOK {
		t.Errorf("admin-b renames %s keeping its workers: %d %s, want 200", gridB, code, out)
	}

	// Removing a grid worker's last grid would leave a grid scope without
	// grids, which is no scope at all.
	own := "gw-320924101-j01-1"
	if got := gridsOf(own); !slices.Equal(got, []string{gridB}) {
		t.Fatalf("%s's grids = %v, want only %s", own, got, gridB)
	}
	only := slices.DeleteFunc(slices.Clone(gB.Workers), func(u string) bool { return u == own })
	if code, out := put("admin-b", only...); code != http.StatusBadRequest {
		t.Errorf("admin-b takes %s's only grid: %d %s, want 400", own, code, out)
	}

	// Inside their scope town B's administrator manages their workers, and
	// the county's administrator (whose scope holds both towns) may put
	// town A's worker in a town-B grid.
	if _, err := db.CreateUser(ctx, all, gridwarn.User{Username: "gw-b-new", Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: "320924", GridCodes: []string{townB + "-J02"}}}); err != nil {
		t.Fatal(err)
	}
	if code, out := put("admin-b", append(slices.Clone(gB.Workers), "gw-b-new")...); code != http.StatusOK {
		t.Errorf("admin-b adds a town-B worker: %d %s, want 200", code, out)
	}
	if got := gridsOf("gw-b-new"); !slices.Equal(got, []string{gridB, townB + "-J02"}) {
		t.Errorf("gw-b-new's grids = %v, want both town-B grids", got)
	}
	if code, out := put("admin", append(slices.Clone(gB.Workers), "gw-b-new", gwA)...); code != http.StatusOK {
		t.Errorf("the county admin adds %s to %s: %d %s, want 200", gwA, gridB, code, out)
	}
	if got := gridsOf(gwA); !slices.Contains(got, gridB) {
		t.Errorf("%s's grids = %v, want %s added by the county admin", gwA, got, gridB)
	}
}

func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
