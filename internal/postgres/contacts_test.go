package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// newContactWorld is the visits' territory with administrators of the
// county and of each town, a town A mediator, and a grid worker whose
// grids lie in both towns.
func newContactWorld(t *testing.T) *visitWorld {
	t.Helper()
	w := newVisitWorld(t)
	ctx := context.Background()
	all := gridwarn.Visibility{All: true}
	town := func(code string) gridwarn.Scope { return gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: code} }
	for _, u := range []gridwarn.User{
		{Username: "admin", Role: gridwarn.RoleAdmin, Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testutil.County}},
		{Username: "admin-a", Role: gridwarn.RoleAdmin, Scope: town(testutil.TownA)},
		{Username: "admin-b", Role: gridwarn.RoleAdmin, Scope: town(testutil.TownB)},
		{Username: "med-a", Role: gridwarn.RoleMediator, Scope: town(testutil.TownA)},
		{Username: "gw-ab", Role: gridwarn.RoleGridWorker, Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: testutil.County,
			GridCodes: []string{testutil.GridA, testutil.GridB}}},
	} {
		got, err := w.db.CreateUser(ctx, all, u)
		if err != nil {
			t.Fatal(err)
		}
		w.people[u.Username] = &gridwarn.Principal{User: *got}
	}
	return w
}

var twoWorkers = []gridwarn.ContactWorker{
	{Label: "KN-2025-017", Difficulty: gridwarn.DifficultyIllness, Since: "2025-03-01", Note: "女儿大病，已申请医疗互助"},
	{Label: "KN-2026-003", Difficulty: gridwarn.DifficultyWageArrears},
}

// An assignment, a change of its workers and its end are kept with who did
// each and when; the end is a state, not a delete; the person has one
// current enterprise at a time.
func TestContactAssignAndEndWithHistory(t *testing.T) {
	w := newContactWorld(t)
	ctx := context.Background()
	adminA := w.people["admin-a"]
	c, err := w.db.AssignContact(ctx, adminA, gridwarn.ContactAssignment{Person: "med-a", Enterprise: w.ents[0], Workers: twoWorkers})
	if err != nil {
		t.Fatal(err)
	}
	if c.Person != "med-a" || c.AssignedBy != "admin-a" || c.EndedAt != nil || len(c.Workers) != 2 || c.TownCode != testutil.TownA ||
		c.LastVisit != "" || c.VisitedThisYear || len(c.History) != 1 || c.History[0].Action != gridwarn.ContactAssigned {
		t.Fatalf("assigned: %+v", c)
	}
	// "1": a second enterprise while the first is current is a conflict.
	_, err = w.db.AssignContact(ctx, adminA, gridwarn.ContactAssignment{Person: "med-a", Enterprise: w.ents[1]})
	if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("second enterprise: %v, want a conflict", err)
	}
	// The mediator visits their enterprise: the listing says when, and
	// that it was this year.
	w.record(t, "leader-a", "cv-other", 1, "2026-12-03") // someone else's visit does not count
	visit := gridwarn.Visit{ID: "cv-1", Enterprise: w.ents[0], VisitedOn: "2026-11-20", Kind: gridwarn.VisitInterview}
	if _, _, err := w.db.RecordVisit(ctx, w.people["med-a"], visit); err != nil {
		t.Fatal(err)
	}
	mine, err := w.db.Contacts(ctx, w.people["med-a"], gridwarn.ContactFilter{})
	if err != nil || len(mine) != 1 || mine[0].LastVisit != "2026-11-20" || !mine[0].VisitedThisYear {
		t.Fatalf("med-a's contacts: %+v %v", mine, err)
	}
	// The workers change: a line of the history.
	c, err = w.db.ChangeContactWorkers(ctx, adminA, c.ID, twoWorkers[:1])
	if err != nil || len(c.Workers) != 1 || len(c.History) != 2 || c.History[1].Action != gridwarn.ContactChanged ||
		c.History[1].By != "admin-a" || len(c.History[1].Workers) != 1 {
		t.Fatalf("changed: %+v %v", c, err)
	}
	// The same workers again change nothing.
	if c, err = w.db.ChangeContactWorkers(ctx, adminA, c.ID, twoWorkers[:1]); err != nil || len(c.History) != 2 {
		t.Errorf("unchanged workers: %d history lines, %v", len(c.History), err)
	}
	// The county's administrator ends it: kept, with who and why.
	c, err = w.db.EndContact(ctx, w.people["admin"], c.ID, "调岗")
	if err != nil || c.EndedAt == nil || c.EndedBy != "admin" || c.EndReason != "调岗" || len(c.History) != 3 ||
		c.History[2].Action != gridwarn.ContactEnded || c.History[2].Reason != "调岗" {
		t.Fatalf("ended: %+v %v", c, err)
	}
	if _, err := w.db.EndContact(ctx, adminA, c.ID, ""); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("ended twice: %v, want a conflict", err)
	}
	if _, err := w.db.ChangeContactWorkers(ctx, adminA, c.ID, nil); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("change after the end: %v, want a conflict", err)
	}
	// Current lists leave it out; with ended ones it is there.
	if cur, _ := w.db.Contacts(ctx, adminA, gridwarn.ContactFilter{}); len(cur) != 0 {
		t.Errorf("current after the end: %+v", cur)
	}
	if all, _ := w.db.Contacts(ctx, adminA, gridwarn.ContactFilter{Ended: true}); len(all) != 1 || all[0].EndedAt == nil {
		t.Errorf("with ended: %+v", all)
	}
	// Now a new enterprise may be assigned.
	if _, err := w.db.AssignContact(ctx, adminA, gridwarn.ContactAssignment{Person: "med-a", Enterprise: w.ents[1]}); err != nil {
		t.Errorf("after the end: %v", err)
	}
	// No path deletes an assignment or rewrites its history.
	if _, err := w.db.Pool().Exec(ctx, "DELETE FROM contacts"); err == nil {
		t.Error("contacts were deleted")
	}
	if _, err := w.db.Pool().Exec(ctx, "UPDATE contact_history SET by = 'x'"); err == nil {
		t.Error("the history was rewritten")
	}
}

// Scope: a town's administrator assigns only people and enterprises wholly
// inside the town; nobody else assigns; an assignment outside one's scope
// is not found; a grid worker reads only their own, a leader their town's.
func TestContactScope(t *testing.T) {
	w := newContactWorld(t)
	ctx := context.Background()
	adminA, adminB := w.people["admin-a"], w.people["admin-b"]
	for _, tc := range []struct {
		name   string
		by     string
		c      gridwarn.ContactAssignment
		code   string
		field  string
		inRule string
	}{
		{"enterprise of another town", "admin-b", gridwarn.ContactAssignment{Person: "leader-b", Enterprise: w.ents[0]}, gridwarn.EUNPROCESSABLE, "enterprise", "in_scope"},
		{"person of another town", "admin-b", gridwarn.ContactAssignment{Person: "med-a", Enterprise: w.ents[4]}, gridwarn.EUNPROCESSABLE, "person", "in_scope"},
		{"person also of another town", "admin-a", gridwarn.ContactAssignment{Person: "gw-ab", Enterprise: w.ents[0]}, gridwarn.EFORBIDDEN, "", ""},
		{"enterprise outside the person's grids", "admin-a", gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[3]}, gridwarn.EINVALID, "enterprise", "person_scope"},
		{"an administrator is no contact", "admin", gridwarn.ContactAssignment{Person: "admin-a", Enterprise: w.ents[0]}, gridwarn.EINVALID, "person", "role"},
		{"a grid worker may not assign", "gw-a", gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[0]}, gridwarn.EFORBIDDEN, "", ""},
		{"a leader may not assign", "leader", gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[0]}, gridwarn.EFORBIDDEN, "", ""},
		{"a name as a label", "admin-a", gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[0],
			Workers: []gridwarn.ContactWorker{{Label: "张三", Difficulty: gridwarn.DifficultyIllness}}}, gridwarn.EINVALID, "workers[0].label", "pattern"},
		{"a formula in a note", "admin-a", gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[0],
			Workers: []gridwarn.ContactWorker{{Label: "K1", Difficulty: gridwarn.DifficultyOther, Note: "=HYPERLINK(1)"}}}, gridwarn.EINVALID, "workers[0].note", "formula"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.db.AssignContact(ctx, w.people[tc.by], tc.c)
			if gridwarn.ErrorCode(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
			if tc.field != "" && !slices.ContainsFunc(gridwarn.ErrorFields(err), func(f gridwarn.FieldError) bool {
				return f.Field == tc.field && f.Rule == tc.inRule
			}) {
				t.Errorf("%v, want field %s rule %s", err, tc.field, tc.inRule)
			}
		})
	}
	// The county administrator links the grid worker of both towns, in
	// town A; town B's administrator can neither see nor end it.
	c, err := w.db.AssignContact(ctx, w.people["admin"], gridwarn.ContactAssignment{Person: "gw-ab", Enterprise: w.ents[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.EndContact(ctx, adminB, c.ID, ""); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B ends town A's: %v, want not found", err)
	}
	if _, err := w.db.Contact(ctx, adminB, c.ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B reads town A's: %v, want not found", err)
	}
	// Town A's administrator sees it but may not change a person who also
	// works in town B.
	if _, err := w.db.EndContact(ctx, adminA, c.ID, ""); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("town A ends a two-town person's: %v, want forbidden", err)
	}
	if _, err := w.db.AssignContact(ctx, adminA, gridwarn.ContactAssignment{Person: "gw-a", Enterprise: w.ents[1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.AssignContact(ctx, adminB, gridwarn.ContactAssignment{Person: "leader-b", Enterprise: w.ents[4]}); err != nil {
		t.Fatal(err)
	}
	people := func(cs []gridwarn.ContactAssignment) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Person)
		}
		return strings.Join(out, ",")
	}
	for who, want := range map[string]string{
		"gw-a": "gw-a", "gw-ab": "gw-ab", "med-a": "", "leader-a": "gw-a,gw-ab", "leader-b": "leader-b",
		"leader": "gw-a,gw-ab,leader-b", "admin-b": "leader-b",
	} {
		cs, err := w.db.Contacts(ctx, w.people[who], gridwarn.ContactFilter{})
		if err != nil || people(cs) != want {
			t.Errorf("%s reads %q (%v), want %q", who, people(cs), err, want)
		}
	}
	// A person reads their own assignment by id, not another's.
	if _, err := w.db.Contact(ctx, w.people["gw-ab"], c.ID); err != nil {
		t.Errorf("gw-ab reads their own: %v", err)
	}
	if _, err := w.db.Contact(ctx, w.people["gw-a"], c.ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("gw-a reads gw-ab's: %v, want not found", err)
	}
}

// An import applies whole assignments, all rows or none: a bad row rejects
// the file with its line, and nothing of the good rows is stored; a good
// file creates, keeps, changes and replaces.
func TestImportContacts(t *testing.T) {
	w := newContactWorld(t)
	ctx := context.Background()
	vA := vis(w.people["admin-a"])
	good := []gridwarn.ContactRow{
		{Line: 2, Person: "gw-a", Enterprise: w.ents[0], Workers: twoWorkers},
		{Line: 4, Person: "med-a", Enterprise: w.ents[3]},
	}
	bad := append(slices.Clone(good), gridwarn.ContactRow{Line: 5, Person: "leader-b", Enterprise: w.ents[4]})
	_, err := w.db.ImportContacts(ctx, "admin-a", vA, bad, false)
	fs := gridwarn.ErrorFields(err)
	if gridwarn.ErrorCode(err) != gridwarn.EINVALID || len(fs) != 2 || fs[0].Field != "line 5: person" || fs[1].Field != "line 5: enterprise" {
		t.Fatalf("a file with another town's row: %v", err)
	}
	if cs, _ := w.db.Contacts(ctx, w.people["admin"], gridwarn.ContactFilter{Ended: true}); len(cs) != 0 {
		t.Fatalf("a rejected file stored %d assignments", len(cs))
	}
	res, err := w.db.ImportContacts(ctx, "admin-a", vA, good, true)
	if err != nil || res.Created != 2 || !res.DryRun {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if cs, _ := w.db.Contacts(ctx, w.people["admin"], gridwarn.ContactFilter{}); len(cs) != 0 {
		t.Fatalf("a dry run stored %d assignments", len(cs))
	}
	if res, err = w.db.ImportContacts(ctx, "admin-a", vA, good, false); err != nil || res.Created != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if res, err = w.db.ImportContacts(ctx, "admin-a", vA, good, false); err != nil || res.Unchanged != 2 || res.Created+res.Updated != 0 {
		t.Fatalf("the same file again: %+v %v", res, err)
	}
	// Next month: gw-a follows one worker fewer, med-a moves to another
	// enterprise (the old assignment ends, replaced).
	next := []gridwarn.ContactRow{
		{Line: 2, Person: "gw-a", Enterprise: w.ents[0], Workers: twoWorkers[1:]},
		{Line: 3, Person: "med-a", Enterprise: w.ents[2]},
	}
	if res, err = w.db.ImportContacts(ctx, "admin-a", vA, next, false); err != nil || res.Updated != 1 || res.Created != 1 {
		t.Fatalf("next month: %+v %v", res, err)
	}
	cs, _ := w.db.Contacts(ctx, w.people["admin-a"], gridwarn.ContactFilter{Ended: true, Person: "med-a"})
	if len(cs) != 2 || cs[0].Enterprise != w.ents[2] || cs[0].EndedAt != nil || cs[1].Enterprise != w.ents[3] ||
		cs[1].EndedAt == nil || cs[1].EndedBy != "admin-a" {
		t.Errorf("med-a's assignments: %+v", cs)
	}
	cs, _ = w.db.Contacts(ctx, w.people["admin-a"], gridwarn.ContactFilter{Person: "gw-a"})
	if len(cs) != 1 || len(cs[0].Workers) != 1 || cs[0].Workers[0].Label != "KN-2026-003" {
		t.Errorf("gw-a's assignment: %+v", cs)
	}
}
