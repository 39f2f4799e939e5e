package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// A town's administrator loads the "1+x" list from a spreadsheet: a file
// with one bad line is refused whole, with the line; the good file links
// the people; a person reads their own assignment, and their visit to the
// enterprise shows as this year's; an end is kept with its history.
func TestContactsThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	var entB gridwarn.Enterprise
	for _, e := range w.county.Enterprises {
		if e.TownCode == townB {
			entB = e
			break
		}
	}
	const medB = "mediator-320924101-1"
	header := "用户名,统一社会信用代码,困难职工编号,困难类型,困难起始日期,备注\n"
	good := medB + "," + entB.CreditCode + ",KN-2025-017,因病,2025/3/1,女儿大病\n" +
		medB + "," + entB.CreditCode + ",KN-2026-003,欠薪,,\n"
	// Line 4 names town A's mediator, outside town B's administrator's scope.
	bad := good + "mediator-320924100-2," + w.entA.CreditCode + ",,,,\n"
	code, out := w.do(t, "admin-b", "POST", "/api/v1/contacts/import", header+bad)
	if code != http.StatusBadRequest || !strings.Contains(string(out), `"field":"line 4: person"`) ||
		!strings.Contains(string(out), `"field":"line 4: enterprise"`) {
		t.Fatalf("a file with a line outside the scope: %d %s", code, out)
	}
	list := func(who, query string) []gridwarn.ContactAssignment {
		t.Helper()
		code, out := w.do(t, who, "GET", "/api/v1/contacts"+query, nil)
		var p gridwarn.Page[gridwarn.ContactAssignment]
		if err := json.Unmarshal(out, &p); code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", who, code, out)
		}
		return p.Items
	}
	if cs := list("admin-b", "?ended=true"); len(cs) != 0 {
		t.Fatalf("a refused file stored %+v", cs)
	}
	// A syntax problem is refused by line too.
	if code, out := w.do(t, "admin-b", "POST", "/api/v1/contacts/import", header+medB+","+entB.CreditCode+",张三,因病,,\n"); code != http.StatusBadRequest ||
		!strings.Contains(string(out), `"field":"line 2: 困难职工编号"`) {
		t.Errorf("a name as a label: %d %s", code, out)
	}
	if code, out := w.do(t, "admin-b", "POST", "/api/v1/contacts/import", header+good); code != http.StatusOK || !strings.Contains(string(out), `"created":1`) {
		t.Fatalf("the good file: %d %s", code, out)
	}
	mine := list(medB, "?person=me")
	if len(mine) != 1 || len(mine[0].Workers) != 2 || mine[0].AssignedBy != "admin-b" || mine[0].VisitedThisYear {
		t.Fatalf("%s's contacts: %+v", medB, mine)
	}
	visit := map[string]any{"id": "contact-visit-1", "enterprise": entB.CreditCode, "visited_on": today(), "kind": "interview"}
	if code, out := w.do(t, medB, "POST", "/api/v1/visits", visit); code != http.StatusCreated {
		t.Fatalf("visit: %d %s", code, out)
	}
	if mine = list(medB, "?person=me"); mine[0].LastVisit != today() || !mine[0].VisitedThisYear {
		t.Errorf("after the visit: %+v", mine[0])
	}
	// Town A's mediator does not see it; the leader of town B does.
	if cs := list("mediator-320924100-1", ""); len(cs) != 1 || cs[0].Person != "mediator-320924100-1" {
		t.Errorf("town A's mediator reads %+v, want only their own", cs)
	}
	if cs := list("leader-b", ""); len(cs) != 1 || cs[0].Person != medB {
		t.Errorf("town B's leader reads %+v", cs)
	}
	id := mine[0].ID
	if code, out := w.do(t, "admin-b", "POST", fmt.Sprintf("/api/v1/contacts/%d/end", id), map[string]any{"reason": "调岗"}); code != http.StatusOK {
		t.Fatalf("end: %d %s", code, out)
	}
	code, out = w.do(t, "admin-b", "GET", fmt.Sprintf("/api/v1/contacts/%d", id), nil)
	var c gridwarn.ContactAssignment
	if err := json.Unmarshal(out, &c); code != http.StatusOK || err != nil || c.EndedAt == nil || len(c.History) != 2 ||
		c.History[1].Action != gridwarn.ContactEnded || c.History[1].By != "admin-b" {
		t.Errorf("the ended assignment: %d %s", code, out)
	}
	if code, _ := w.do(t, "admin-b", "POST", fmt.Sprintf("/api/v1/contacts/%d/end", id), map[string]any{}); code != http.StatusConflict {
		t.Errorf("ended twice: %d, want 409", code)
	}
}
