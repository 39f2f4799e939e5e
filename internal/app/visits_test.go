package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// today is the county's day now.
func today() string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Now().In(loc).Format(time.DateOnly)
}

// A grid worker records a visit from a phone (the form re-sent: one
// visit), the town sees it, the other town does not, and the month's
// coverage counts it.
func TestVisitsThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	visit := map[string]any{"id": "visit-api-1", "enterprise": w.entA.CreditCode, "visited_on": today(), "kind": "patrol",
		"people_met": "工会主席", "findings": "工资按月发放。\n无异常。", "report_id": "visit-api-1-report"}
	for i, want := range []int{http.StatusCreated, http.StatusOK} {
		code, out := w.do(t, gw, "POST", "/api/v1/visits", visit)
		if code != want || !strings.Contains(string(out), `"grid_code":"`+w.gridA+`"`) || !strings.Contains(string(out), `"visitor":"`+gw+`"`) {
			t.Fatalf("send %d: %d %s, want %d", i+1, code, out, want)
		}
	}
	visit["findings"] = "另一份记录"
	if code, out := w.do(t, gw, "POST", "/api/v1/visits", visit); code != http.StatusConflict {
		t.Errorf("the id with other content: %d %s", code, out)
	}
	bad := map[string]any{"id": "visit-api-2", "enterprise": w.entA.CreditCode, "visited_on": "2999-01-01", "kind": "party"}
	if code, out := w.do(t, gw, "POST", "/api/v1/visits", bad); code != http.StatusBadRequest ||
		!strings.Contains(string(out), `"visited_on"`) || !strings.Contains(string(out), `"kind"`) {
		t.Errorf("a bad visit: %d %s", code, out)
	}

	list := func(who, query string) gridwarn.Page[gridwarn.Visit] {
		t.Helper()
		code, out := w.do(t, who, "GET", "/api/v1/visits"+query, nil)
		var p gridwarn.Page[gridwarn.Visit]
		if err := json.Unmarshal(out, &p); code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", who, code, out)
		}
		return p
	}
	if p := list("leader", "?unit="+townA); len(p.Items) != 1 || p.Items[0].ID != "visit-api-1" {
		t.Errorf("the county's leader, town A: %+v", p.Items)
	}
	if p := list("leader-b", ""); len(p.Items) != 0 {
		t.Errorf("town B's leader sees town A's visit: %+v", p.Items)
	}
	if p := list(gw, "?period=2020-01"); len(p.Items) != 0 {
		t.Errorf("January 2020: %+v", p.Items)
	}

	var cov gridwarn.CoverageReport
	code, out := w.do(t, "leader", "GET", "/api/v1/coverage?unit="+townA, nil)
	if err := json.Unmarshal(out, &cov); code != http.StatusOK || err != nil {
		t.Fatalf("coverage: %d %s", code, out)
	}
	if cov.Period.Kind != gridwarn.PeriodMonth || cov.Visited != 1 || cov.Enterprises < 2 || cov.Target.KeyEnterprises != 1 || len(cov.Parts) == 0 {
		t.Errorf("town A this month: %s", out)
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/coverage?period=2026-Q5", nil); code != http.StatusBadRequest || !strings.Contains(string(out), `"period"`) {
		t.Errorf("a bad period: %d %s", code, out)
	}
}

// An administrator records an enterprise's union status; the town's list
// shows it with its reason, the other town's does not; a union founded
// today makes it newly unionized.
func TestUnionizationThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/enterprises/" + w.entA.CreditCode + "/union"
	status := map[string]any{"has_union": false, "opened_on": "2000-01-01"}
	if w.entA.Headcount < 25 {
		t.Fatalf("the demo's enterprise has %d workers: pick one of 25 or more", w.entA.Headcount)
	}
	if code, out := w.do(t, "admin", "PUT", path, status); code != http.StatusOK || !strings.Contains(string(out), `"opened_on":"2000-01-01"`) {
		t.Fatalf("union status: %d %s", code, out)
	}
	list := func(who, query string) gridwarn.UnionizationList {
		t.Helper()
		code, out := w.do(t, who, "GET", "/api/v1/unionization"+query, nil)
		var l gridwarn.UnionizationList
		if err := json.Unmarshal(out, &l); code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", who, code, out)
		}
		return l
	}
	has := func(l gridwarn.UnionizationList) bool {
		for _, it := range l.Items {
			if it.CreditCode == w.entA.CreditCode {
				return it.Reason == gridwarn.ReasonNoUnion
			}
		}
		return false
	}
	if !has(list("leader", "?unit="+townA)) {
		t.Errorf("town A's list lacks %s", w.entA.CreditCode)
	}
	if has(list("leader-b", "")) {
		t.Errorf("town B's list shows town A's enterprise")
	}
	status = map[string]any{"has_union": true, "union_since": today(), "union_members": 25, "opened_on": "2000-01-01"}
	if code, out := w.do(t, "admin", "PUT", path, status); code != http.StatusOK {
		t.Fatalf("union founded: %d %s", code, out)
	}
	l := list("leader", "")
	if has(l) || !slices.Contains(l.NewlyUnionized, w.entA.CreditCode) {
		t.Errorf("after its union was founded: listed %v, newly unionized %v", has(l), l.NewlyUnionized)
	}
	bad := map[string]any{"has_union": false, "union_members": 3, "joint_union": "=cmd"}
	if code, out := w.do(t, "admin", "PUT", path, bad); code != http.StatusBadRequest ||
		!strings.Contains(string(out), `"union_members"`) || !strings.Contains(string(out), `"joint_union"`) {
		t.Errorf("a bad status: %d %s", code, out)
	}
}
