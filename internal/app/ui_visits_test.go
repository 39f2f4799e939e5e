package app_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

// The pages of the union's standing work (issue 16): the grid worker's
// visit form and list, the coverage page, the circulars and the monthly
// and quarterly reports.
func init() {
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	const otherGW, reporter = "gw-320924101-j01-1", "rpt-320924101"
	uiAccessTable["GET /ui/visits"] = uiAccess{
		path:    func(*world) string { return "/ui/visits" },
		allowed: gw, forbidden: reporter,
		outsider: otherGW, outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
	uiAccessTable["GET /ui/visits/new"] = uiAccess{
		path:    func(w *world) string { return "/ui/visits/new?enterprise=" + w.entA.CreditCode },
		allowed: gw, forbidden: reporter,
		outsider: otherGW, outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["POST /ui/visits"] = uiAccess{
		path: func(*world) string { return "/ui/visits" },
		form: func(w *world) url.Values {
			return url.Values{"id": {"ui-acc-visit-1"}, "enterprise": {w.entA.CreditCode}, "visited_on": {today()},
				"kind": {"patrol"}, "people_met": {"工会主席"}, "findings": {"正常"}}
		},
		allowed: gw, forbidden: reporter,
		outsider: otherGW, outsiderCode: http.StatusUnprocessableEntity,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["GET /ui/coverage"] = uiAccess{
		path:    func(*world) string { return "/ui/coverage?unit=" + townA },
		allowed: "leader", forbidden: reporter,
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return townAName(w) },
	}
	uiAccessTable["GET /ui/circulars"] = uiAccess{
		path:    func(w *world) string { buildCirculars(w); return "/ui/circulars" },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return "unit=" + townA },
	}
	uiAccessTable["GET /ui/circulars/:period"] = uiAccess{
		path:    func(w *world) string { buildCirculars(w); return "/ui/circulars/" + lastMonth() + "?unit=" + townA },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return townAName(w) },
	}
	uiAccessTable["GET /ui/circulars/:period/:format"] = uiAccess{
		path: func(w *world) string {
			buildCirculars(w)
			return "/ui/circulars/" + lastMonth() + "/xlsx?unit=" + townA
		},
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return townAName(w) },
	}
	uiAccessTable["GET /ui/periods/:period"] = uiAccess{
		path:    func(w *world) string { buildPeriodReports(w); return "/ui/periods/2026-Q3?unit=" + townA },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return townAName(w) },
	}
	uiAccessTable["GET /ui/periods/:period/:format"] = uiAccess{
		path:    func(w *world) string { buildPeriodReports(w); return "/ui/periods/2026-09/report?unit=" + townA },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return townAName(w) },
	}
}

// buildCirculars builds last month's circulars of every unit (once).
func buildCirculars(w *world) {
	circs := &app.Circulars{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(nil), Target: 1}
	_ = circs.Scheduled(context.Background(), time.Now())
}

// buildPeriodReports builds September's and the third quarter's reports
// of every unit (once).
func buildPeriodReports(w *world) {
	reps := &app.PeriodReports{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(nil),
		Targets: func(gridwarn.PeriodKind) gridwarn.CoverageTarget {
			return gridwarn.CoverageTarget{Enterprises: 0.95, KeyEnterprises: 1}
		}}
	_ = reps.Scheduled(context.Background(), time.Date(2026, 10, 2, 8, 30, 0, 0, isoweek.Shanghai))
}

var (
	visitIDInFormRE  = regexp.MustCompile(`name="id" value="(visit-[0-9a-f]{24})"`)
	reportIDInFormRE = regexp.MustCompile(`name="report_id" value="(web-[0-9a-f]{24})"`)
)

// A grid worker records a visit from the phone form: re-sent with the same
// id (visit.js's retry) it is one visit; "file a report from this visit"
// opens the report form pre-filled, and the report sent from it is the
// one the visit names. The other town's grid worker sees none of it.
func TestUIVisit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	c := signIn(t, w.a, gw)

	// The grid worker's page lists what is past due and links the form.
	code, body := c.get("/ui/report")
	if code != http.StatusOK || !strings.Contains(body, `id="report-visits"`) || !strings.Contains(body, `href="/ui/visits/new"`) {
		t.Fatalf("the grid worker's page: %d\n%s", code, body)
	}
	if !strings.Contains(body, `id="overdue-visits"`) || !strings.Contains(body, `href="/ui/visits/new?enterprise=`) {
		t.Errorf("the grid worker's page lists no overdue visit of their grid")
	}
	code, body = c.get("/ui/visits/new?q=" + url.QueryEscape(w.entA.Name))
	if code != http.StatusOK || !strings.Contains(body, `href="/ui/visits/new?enterprise=`+w.entA.CreditCode+`"`) {
		t.Fatalf("the visit's enterprise search: %d\n%s", code, body)
	}

	form := func() (string, string, string) {
		t.Helper()
		code, body := c.get("/ui/visits/new?enterprise=" + w.entA.CreditCode)
		m, r := visitIDInFormRE.FindStringSubmatch(body), reportIDInFormRE.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil || r == nil {
			t.Fatalf("form: %d\n%s", code, body)
		}
		for _, want := range []string{`id="visit-form"`, w.entA.Name, `id="visited_on"`, `value="` + today() + `"`, `id="kind"`,
			"职工座谈", "工单回访", `id="people_met"`, `id="findings"`, `id="file_report"`, `src="/ui/static/visit.js"`,
			`id="visit-pending"`, `name="viewport"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
		return m[1], r[1], body
	}
	id, reportID, _ := form()
	if id2, r2, _ := form(); id2 == id || r2 == reportID {
		t.Error("two forms, one id")
	}
	findings := "车间停工两天，职工反映 10 月工资未发。\n老板电话打不通。"
	visit := url.Values{"id": {id}, "report_id": {reportID}, "file_report": {"true"}, "enterprise": {w.entA.CreditCode},
		"visited_on": {today()}, "kind": {"patrol"}, "people_met": {"车间主任、职工 5 人"}, "findings": {findings}}
	var first, again struct {
		Visit   gridwarn.Visit `json:"visit"`
		Created bool           `json:"created"`
		Next    string         `json:"next"`
	}
	// Sent, then sent again as visit.js does when the answer was lost.
	if code := c.postJSON("/ui/visits", visit, &first); code != http.StatusCreated || !first.Created || first.Visit.ReportID != reportID {
		t.Fatalf("the visit: %d %+v", code, first)
	}
	if code := c.postJSON("/ui/visits", visit, &again); code != http.StatusOK || again.Created || again.Visit.ID != id {
		t.Fatalf("the visit again: %d %+v", code, again)
	}
	var n int
	if err := w.a.DB().Pool().QueryRow(ctx, `SELECT count(*) FROM visits WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d visits stored with id %s, want 1: %v", n, id, err)
	}
	want := "/ui/report?" + url.Values{"enterprise": {w.entA.CreditCode}, "visit": {id}}.Encode()
	if first.Next != want {
		t.Errorf("next: %q, want %q", first.Next, want)
	}

	// The report form, pre-filled from the visit, under the visit's report id.
	code, body = c.get(first.Next)
	if code != http.StatusOK || !strings.Contains(body, `name="id" value="`+reportID+`"`) || !strings.Contains(body, `id="report-from-visit"`) ||
		!strings.Contains(body, html.EscapeString(findings)) {
		t.Fatalf("the report form from the visit: %d\n%s", code, body)
	}
	report := url.Values{"id": {reportID}, "enterprise": {w.entA.CreditCode}, "category": {"wage_arrears"},
		"occurred_at": {time.Now().In(shanghai(t)).Add(-time.Hour).Format("2006-01-02T15:04")}, "summary": {findings}}
	var rcpt gridwarn.ReportReceipt
	if code := c.postJSON("/ui/report", report, &rcpt); code != http.StatusAccepted || rcpt.EventID != reportID {
		t.Fatalf("the report from the visit: %d %+v", code, rcpt)
	}
	var linked string
	if err := w.a.DB().Pool().QueryRow(ctx, `SELECT coalesce(report_id, '') FROM visits WHERE id = $1`, id).Scan(&linked); err != nil || linked != reportID {
		t.Errorf("the visit names report %q, want %q: %v", linked, reportID, err)
	}

	// Without JavaScript: a redirect to the list, the visit on it.
	id3, _, _ := form()
	plain := url.Values{"id": {id3}, "enterprise": {w.entA.CreditCode}, "visited_on": {today()}, "kind": {"interview"},
		"people_met": {"人事经理"}, "findings": {"约谈，承诺月底前补发。"}}
	if code, loc := c.post("/ui/visits", plain); code != http.StatusSeeOther || loc != "/ui/visits" {
		t.Fatalf("the plain form: %d %s", code, loc)
	}
	code, body = c.get("/ui/visits")
	if code != http.StatusOK || !strings.Contains(body, `data-visit-id="`+id+`"`) || !strings.Contains(body, `data-visit-id="`+id3+`"`) ||
		!strings.Contains(body, "约谈") {
		t.Errorf("the list: %d\n%s", code, body)
	}
	// A wrong form comes back with what is wrong, in Chinese.
	bad := url.Values{"id": {"visit-bad"}, "enterprise": {w.entA.CreditCode}, "visited_on": {"2999-01-01"}, "kind": {"patrol"}}
	if code, body := c.post("/ui/visits", bad); code != http.StatusBadRequest || !strings.Contains(body, "不能晚于今天") ||
		!strings.Contains(body, `id="visit-form"`) {
		t.Errorf("a visit dated in the future: %d\n%s", code, body)
	}

	// The other town's grid worker sees none of it.
	other := signIn(t, w.a, "gw-320924101-j01-1")
	if _, body := other.get("/ui/visits"); strings.Contains(body, id) || strings.Contains(body, w.entA.Name) {
		t.Error("the other town's grid worker sees the visit")
	}
	if code, _ := other.get("/ui/report?enterprise=" + w.entA.CreditCode + "&visit=" + id); code != http.StatusNotFound {
		t.Errorf("the other town's grid worker opening the report from the visit: %d", code)
	}
}

// The leader reads this month's coverage, the circular and the quarterly
// analysis, in the console and as downloads; the reports page lists all
// three cadences.
func TestUILeaderStanding(t *testing.T) {
	w := newWorld(t)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	if code, out := w.do(t, gw, "POST", "/api/v1/visits", map[string]any{"id": "ui-lead-visit", "enterprise": w.entA.CreditCode,
		"visited_on": today(), "kind": "patrol", "people_met": "主席", "findings": "正常"}); code != http.StatusCreated {
		t.Fatalf("visit: %d %s", code, out)
	}
	buildCirculars(w)
	buildPeriodReports(w)
	c := signIn(t, w.a, "leader")

	code, body := c.get("/ui/dashboard")
	if code != http.StatusOK || !strings.Contains(body, `id="dash-visits"`) || !strings.Contains(body, `id="dash-coverage"`) ||
		!strings.Contains(body, `id="overdue-visits"`) {
		t.Errorf("the dashboard's visits: %d\n%.3000s", code, body)
	}
	code, body = c.get("/ui/coverage")
	month := time.Now().In(shanghai(t)).Format("2006-01")
	if code != http.StatusOK || !strings.Contains(body, `id="coverage-parts"`) || !strings.Contains(body, month) ||
		!strings.Contains(body, `data-unit="`+townA+`"`) || !strings.Contains(body, `id="cov-key-share"`) {
		t.Errorf("this month's coverage: %d\n%s", code, body)
	}
	if code, body := c.get("/ui/coverage?period=" + month[:4] + "&unit=" + townA); code != http.StatusOK || !strings.Contains(body, `data-unit="`+w.gridA+`"`) {
		t.Errorf("the year's coverage of town A by grid: %d\n%.2000s", code, body)
	}
	if code, _ := c.get("/ui/coverage?period=2026-13"); code != http.StatusBadRequest {
		t.Errorf("month 13: %d", code)
	}

	code, body = c.get("/ui/summaries")
	for _, want := range []string{`id="weekly"`, `id="monthly-reports"`, `href="/ui/periods/2026-09?unit=320924"`,
		`id="quarterly-reports"`, `href="/ui/periods/2026-Q3?unit=320924"`, `id="circulars-list"`, `href="/ui/circulars/` + lastMonth() + `?unit=320924"`} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("the reports page lacks %s", want)
		}
	}
	code, body = c.get("/ui/periods/2026-Q3")
	if code != http.StatusOK || !strings.Contains(body, `src="/ui/periods/2026-Q3/report?unit=320924"`) || !strings.Contains(body, `id="doc-xlsx"`) {
		t.Errorf("the quarterly analysis page: %d\n%s", code, body)
	}
	code, body = c.get("/ui/periods/2026-Q3/report")
	if code != http.StatusOK || !strings.Contains(body, "劳动关系风险季度研判 2026-Q3") || !strings.Contains(body, `id="coverage"`) {
		t.Errorf("the quarterly analysis: %d\n%.1000s", code, body)
	}
	if code, body := c.get("/ui/periods/2026-Q3/xlsx"); code != http.StatusOK || !bytes.HasPrefix([]byte(body), []byte("PK")) {
		t.Errorf("the quarterly analysis as XLSX: %d", code)
	}
	code, body = c.get("/ui/circulars/" + lastMonth() + "/report")
	if code != http.StatusOK || !strings.Contains(body, "建会工作月通报 "+lastMonth()) || !strings.Contains(body, `id="circ-towns"`) {
		t.Errorf("the circular: %d\n%.1000s", code, body)
	}
	if code, body := c.get("/ui/circulars/" + lastMonth() + "/xlsx"); code != http.StatusOK || !bytes.HasPrefix([]byte(body), []byte("PK")) {
		t.Errorf("the circular as XLSX: %d", code)
	}
	if code, _ := c.get("/ui/circulars/" + lastMonth() + "/pdf"); code != http.StatusNotFound {
		t.Errorf("a circular as PDF: %d", code)
	}
	if code, _ := c.get("/ui/periods/2026/report"); code != http.StatusBadRequest {
		t.Errorf("a year's report: %d", code)
	}
}
