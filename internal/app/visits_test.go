package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
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
	// A list of a day: not after today; older than the history it would
	// change (the union founded today), a conflict.
	csv := "credit_code,has_union,opened_on\n" + w.entA.CreditCode + ",false,2000-01-01\n"
	imp := "/api/v1/enterprises/union/import?as_of="
	if code, out := w.do(t, "admin", "POST", imp+"2099-01-01", csv); code != http.StatusBadRequest || !strings.Contains(string(out), `"as_of"`) {
		t.Errorf("a list of a day after today: %d %s", code, out)
	}
	yesterday := time.Now().In(isoweek.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly)
	if code, out := w.do(t, "admin", "POST", imp+yesterday+"&dry_run=true", csv); code != http.StatusConflict ||
		!strings.Contains(string(out), "order of their days") {
		t.Errorf("a list older than the history: %d %s", code, out)
	}
}

// lastMonth is the county's previous month.
func lastMonth() string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(loc)
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0).Format("2006-01")
}

// The scheduled job (two replicas at once) builds each month's circulars
// and each quarter's summaries once: the county's leader reads the county's and a town's, as JSON and
// CSV; a town's leader reads only their own town's.
func TestUnionCircularsThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	month := lastMonth()
	circs := &app.Circulars{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(t), Target: 1}
	// On 2 October: September's circulars and the third quarter's summaries.
	// Then today: the months since, up to last month.
	for _, at := range []time.Time{time.Date(2026, 10, 2, 8, 0, 0, 0, isoweek.Shanghai), time.Now()} {
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if err := circs.Scheduled(context.Background(), at); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	for _, period := range []string{"2026-09", "2026-Q3", month} {
		var n, units int
		if err := w.a.DB().Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM union_circulars WHERE period = $1),
(SELECT count(*) FROM units)`, period).Scan(&n, &units); err != nil || n != units {
			t.Errorf("%d circulars of %s stored, want one per unit (%d): %v", n, period, units, err)
		}
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/circulars/unionization/2026-Q3?format=csv", nil); code != http.StatusOK ||
		!strings.HasPrefix(string(out), "\uFEFF建会工作季度总结") {
		t.Errorf("the third quarter's summary: %d %s", code, out)
	}
	code, out := w.do(t, "leader", "GET", "/api/v1/circulars/unionization", nil)
	if code != http.StatusOK || !strings.Contains(string(out), `"period":"`+month+`"`) || !strings.Contains(string(out), `"unit_code":"`+townA+`"`) {
		t.Fatalf("the county's circulars: %d %s", code, out)
	}
	var c gridwarn.UnionCircular
	code, out = w.do(t, "leader", "GET", "/api/v1/circulars/unionization/"+month, nil)
	if err := json.Unmarshal(out, &c); code != http.StatusOK || err != nil || c.UnitCode != "320924" || c.Revision != 1 || len(c.Towns) == 0 {
		t.Fatalf("the county's circular: %d %s", code, out)
	}
	code, out = w.do(t, "leader-b", "GET", "/api/v1/circulars/unionization/"+month+"?format=csv", nil)
	if code != http.StatusOK || !strings.HasPrefix(string(out), "\uFEFF建会工作月通报") || !strings.Contains(string(out), townB) {
		t.Errorf("town B's circular as CSV: %d %s", code, out)
	}
	if code, out := w.do(t, "leader-b", "GET", "/api/v1/circulars/unionization", nil); code != http.StatusOK ||
		strings.Contains(string(out), townA) || !strings.Contains(string(out), townB) {
		t.Errorf("town B's list of circulars: %d %s", code, out)
	}
	if code, out := w.do(t, "leader-b", "GET", "/api/v1/circulars/unionization/"+month+"?unit=320924", nil); code != http.StatusNotFound {
		t.Errorf("town B's leader reading the county's: %d %s", code, out)
	}
	// The same circular as a page and as a workbook.
	if code, out := w.do(t, "leader", "GET", "/api/v1/circulars/unionization/"+month+"?format=html&lang=en", nil); code != http.StatusOK ||
		!strings.Contains(string(out), "Unionization monthly circular") || !strings.Contains(string(out), `id="circ-towns"`) {
		t.Errorf("the county's circular as HTML: %d %.300s", code, out)
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/circulars/unionization/"+month+"?format=xlsx", nil); code != http.StatusOK ||
		!bytes.HasPrefix(out, []byte("PK")) {
		t.Errorf("the county's circular as XLSX: %d %.100q", code, out)
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/circulars/unionization/2026-13", nil); code != http.StatusBadRequest {
		t.Errorf("month 13: %d %s", code, out)
	}
}

// The monthly push and the quarterly analysis: two schedulers racing build
// each (unit, period) once; a month's report holds the weekly summary's
// figures over the month with an eight-month trend, the month before's
// headline as it was built for that month, and this month's events.
func TestPeriodReportsThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reps := &app.PeriodReports{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(t),
		Targets: func(gridwarn.PeriodKind) gridwarn.CoverageTarget { return gridwarn.CoverageTarget{KeyEnterprises: 1} }}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := reps.Scheduled(ctx, time.Date(2026, 10, 2, 8, 30, 0, 0, isoweek.Shanghai)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, period := range []string{"2026-09", "2026-Q3"} {
		var n, units, notes int
		if err := w.a.DB().Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM period_reports WHERE period = $1),
(SELECT count(*) FROM units), (SELECT count(*) FROM outbox WHERE topic = 'summary.period' AND payload->>'period' = $1)`,
			period).Scan(&n, &units, &notes); err != nil || n != units || notes != units {
			t.Errorf("%s: %d reports and %d notifications, want one per unit (%d): %v", period, n, notes, units, err)
		}
	}
	var sep gridwarn.PeriodReport
	code, out := w.do(t, "leader", "GET", "/api/v1/summaries/monthly/2026-09", nil)
	if err := json.Unmarshal(out, &sep); code != http.StatusOK || err != nil || sep.Summary == nil {
		t.Fatalf("September: %d %s", code, out)
	}
	loc := isoweek.Shanghai
	if s := sep.Summary; !s.From.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, loc)) || !s.To.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, loc)) ||
		len(s.Trend) != 8 || s.Trend[0].ISO != "2026-02" || s.Trend[7].ISO != "2026-09" || sep.Coverage.Target.KeyEnterprises != 1 {
		t.Errorf("September's report: %s–%s, trend %+v", s.From, s.To, s.Trend)
	}
	aug, err := reps.Build(ctx, gridwarn.PeriodOf(gridwarn.PeriodMonth, time.Date(2026, 8, 15, 0, 0, 0, 0, loc), loc), "320924", "test", true)
	if err != nil || len(aug) != 1 || aug[0].Summary.Headline != sep.Summary.Previous {
		t.Errorf("August's headline %+v, September's previous %+v: %v", aug, sep.Summary.Previous, err)
	}
	// This month holds the world's report (filed an hour ago).
	this, err := reps.Build(ctx, gridwarn.PeriodOf(gridwarn.PeriodMonth, time.Now(), loc), "320924", "test", true)
	if err != nil || len(this) != 1 || this[0].Summary.Headline.Events < 1 || this[0].Summary.Headline.NewTickets < 1 {
		t.Errorf("this month: %+v %v", this, err)
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/summaries/quarterly/2026-Q3?format=html", nil); code != http.StatusOK ||
		!strings.Contains(string(out), "劳动关系风险季度研判 2026-Q3") || !strings.Contains(string(out), `id="coverage"`) {
		t.Errorf("the third quarter's analysis as HTML: %d %.300s", code, out)
	}
	for _, f := range []string{"xlsx", "csv"} {
		if code, out := w.do(t, "leader", "GET", "/api/v1/summaries/monthly/2026-09?format="+f+"&lang=en", nil); code != http.StatusOK || len(out) < 100 {
			t.Errorf("September's report as %s: %d %.100q", f, code, out)
		}
	}
	if code, out := w.do(t, "leader-b", "GET", "/api/v1/summaries/quarterly/2026-Q3?unit=320924&format=xlsx", nil); code != http.StatusNotFound {
		t.Errorf("town B's leader downloading the county's quarter: %d %.100q", code, out)
	}
	if code, out := w.do(t, "leader-b", "GET", "/api/v1/summaries/quarterly/2026-Q3?unit=320924", nil); code != http.StatusNotFound {
		t.Errorf("town B's leader reading the county's quarter: %d %s", code, out)
	}
	if code, out := w.do(t, "leader", "GET", "/api/v1/summaries/quarterly/2026-09", nil); code != http.StatusBadRequest {
		t.Errorf("a month as a quarter: %d %s", code, out)
	}
	if code, out := w.do(t, "leader-b", "GET", "/api/v1/summaries/quarterly", nil); code != http.StatusOK || strings.Contains(string(out), townA) {
		t.Errorf("town B's list: %d %s", code, out)
	}
}

// A first start in the middle of a quarter (no report stored yet) builds
// the month before and the last ended quarter, so a leader has a quarterly
// analysis to read on a fresh installation — once, however often the
// scheduler runs.
func TestPeriodReportsFirstStartBuildsTheLastQuarter(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reps := &app.PeriodReports{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(t),
		Targets: func(gridwarn.PeriodKind) gridwarn.CoverageTarget { return gridwarn.CoverageTarget{} }}
	for range 2 {
		if err := reps.Scheduled(ctx, time.Date(2026, 12, 7, 0, 40, 0, 0, isoweek.Shanghai)); err != nil {
			t.Fatal(err)
		}
	}
	var units int
	if err := w.a.DB().Pool().QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units); err != nil {
		t.Fatal(err)
	}
	for period, want := range map[string]int{"2026-11": units, "2026-Q3": units, "2026-10": 0, "2026-Q4": 0} {
		var n int
		if err := w.a.DB().Pool().QueryRow(ctx, `SELECT count(*) FROM period_reports WHERE period = $1`, period).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d reports, want %d: %v", period, n, want, err)
		}
	}
}
