package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/summary"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The leader's pages in the access table. The world's ticket (town A) is
// made overdue first, so that the county leader's dashboard lists it and
// the town B leader's must not; the week's summaries of the county and of
// town A are built first, so that there is something to hide.
func init() {
	uiAccessTable["GET /ui/dashboard"] = uiAccess{
		path:    func(w *world) string { markOverdue(w); return "/ui/dashboard" },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["GET /ui/summaries"] = uiAccess{
		path:    func(w *world) string { buildSummaries(w); return "/ui/summaries" },
		allowed: "leader", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return "unit=" + townA },
	}
	for _, suffix := range []string{"", "/report", "/xlsx", "/csv"} {
		uiAccessTable["GET /ui/summaries/:week"+suffix] = uiAccess{
			path: func(w *world) string {
				return "/ui/summaries/" + buildSummaries(w) + suffix + "?unit=" + townA
			},
			allowed: "leader", forbidden: "mediator-320924100-1",
			outsider: "leader-b", outsiderCode: http.StatusNotFound,
			hidden: func(w *world) string { return townAName(w) },
		}
	}
}

// markOverdue makes the world's ticket overdue (as the sweeper does when
// the county's limit passes).
func markOverdue(w *world) {
	_, _ = w.a.DB().Pool().Exec(context.Background(),
		`UPDATE tickets SET overdue_at = coalesce(overdue_at, now() - interval '1 hour') WHERE id = $1`, w.ticketA)
}

// buildSummaries builds this week's summaries of the county and town A
// (once: a scheduled build stores a week once) and returns the week.
func buildSummaries(w *world) string {
	sums := &app.Summaries{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(nil), Now: weeksEnded}
	week := isoweek.Of(time.Now(), isoweek.Shanghai)
	for _, unit := range []string{testutil.County, townA} {
		_, _ = sums.Build(context.Background(), week, unit, "test", false)
	}
	return isoweek.Format(week)
}

func townAName(w *world) string { return townName(w, townA) }

func townName(w *world, code string) string {
	for _, u := range w.county.Towns {
		if u.Code == code {
			return u.NameZH
		}
	}
	return code
}

// waitTicket waits for the engine to open a ticket for an enterprise.
func waitTicket(t *testing.T, w *world, ent string) gridwarn.Ticket {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, err := w.a.DB().ListTickets(context.Background(), gridwarn.Visibility{All: true}, gridwarn.TicketFilter{Enterprise: ent})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) == 1 {
			return ts[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ticket for %s", ent)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	tagRE = regexp.MustCompile(`<[^>]+>`)
	wsRE  = regexp.MustCompile(`\s+`)
)

// text returns the text of the element with the attribute attr (e.g.
// `id="dash-open"`) up to its end tag (e.g. "</div>"), tags stripped.
func text(t *testing.T, body, attr, end string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(attr) + `[^>]*>(.*?)` + regexp.QuoteMeta(end))
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no element %s in the page", attr)
	}
	return strings.TrimSpace(wsRE.ReplaceAllString(tagRE.ReplaceAllString(m[1], " "), " "))
}

// The county leader's dashboard: the open tickets by level and tier, the
// red and the overdue tickets with links to them, the towns compared and
// the trend as an inline SVG; town B's leader sees none of town A.
func TestUILeaderDashboard(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	db := w.a.DB()
	// A red ticket in town A: 150 workers, reported by the grid worker,
	// about an enterprise whose name is markup.
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	var redEnt gridwarn.Enterprise
	for _, e := range w.county.Enterprises {
		if e.GridCode == w.gridA && e.CreditCode != w.entA.CreditCode {
			redEnt = e
			break
		}
	}
	redEnt.Name = "<script>alert(1)</script>红星厂"
	if _, err := db.PutEnterprise(ctx, gridwarn.Visibility{All: true}, redEnt); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"id": "dash-red-1", "enterprise": redEnt.CreditCode, "category": "owner_absconded",
		"occurred_at": time.Now().Add(-time.Minute).Format(time.RFC3339), "workers_involved": 150}
	if code, out := w.do(t, gw, "POST", "/api/v1/reports", body); code != http.StatusAccepted {
		t.Fatalf("report: %d %s", code, out)
	}
	red := waitTicket(t, w, redEnt.CreditCode)
	if red.Level != gridwarn.LevelRed {
		t.Fatalf("the 150-worker ticket is %s, want red", red.Level)
	}
	markOverdue(w)

	leader := signIn(t, w.a, "leader")
	code, page := leader.get("/ui/dashboard")
	if code != http.StatusOK {
		t.Fatalf("dashboard: %d %.300s", code, page)
	}
	// The counts agree with the database.
	var open, overdue int
	byLevel := map[string]int{}
	rows, _ := db.Pool().Query(ctx, `SELECT level, count(*), count(*) FILTER (WHERE overdue_at IS NOT NULL) FROM tickets
WHERE status NOT IN ('closed', 'merged') GROUP BY level`)
	for rows.Next() {
		var (
			l    string
			n, o int
		)
		if err := rows.Scan(&l, &n, &o); err != nil {
			t.Fatal(err)
		}
		byLevel[l], open, overdue = n, open+n, overdue+o
	}
	if open != 2 || overdue != 1 || byLevel["red"] != 1 {
		t.Fatalf("the world: %d open, %d overdue, by level %v; want 2 open, 1 overdue, 1 red", open, overdue, byLevel)
	}
	zh := summary.Labels("zh")
	want := map[string]string{
		`id="dash-open"`: fmt.Sprint(open), `id="dash-overdue"`: fmt.Sprint(overdue), `id="dash-new"`: "2",
		`data-tier="county"`:        zh["tier.county"] + " 1",
		`data-town="` + townA + `"`: fmt.Sprintf("%s %d %d %d %d 2 1 2", townName(w, townA), byLevel["red"], byLevel["orange"], byLevel["yellow"], byLevel["blue"]),
		`data-town="` + townB + `"`: townName(w, townB) + " 0 0 0 0 0 0 0",
	}
	for _, l := range gridwarn.Levels {
		want[`data-level="`+string(l)+`"`] = fmt.Sprintf("%s %d", zh["level."+string(l)], byLevel[string(l)])
	}
	for attr, want := range want {
		end := "</tr>"
		if strings.HasPrefix(attr, "id=") {
			end = "</div>"
		}
		if got := text(t, page, attr, end); got != want {
			t.Errorf("%s: %q, want %q", attr, got, want)
		}
	}
	// The red and the overdue lists link to the tickets; markup in a name stays text.
	for _, want := range []string{
		fmt.Sprintf(`<a class="ticket-link" href="/ui/tickets/%d">`, red.ID),
		fmt.Sprintf(`<a class="ticket-link" href="/ui/tickets/%d">`, w.ticketA),
		"&lt;script&gt;alert(1)&lt;/script&gt;红星厂", w.entA.Name,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("an enterprise's name became markup")
	}
	// The red list links to all the red tickets: the ticket list, filtered.
	if !strings.Contains(page, `<a id="dash-red-all" href="/ui/tickets?level=red">`) {
		t.Error("the dashboard's red list has no link to all red tickets")
	}
	code, list := leader.get("/ui/tickets?level=red")
	if code != http.StatusOK || !strings.Contains(list, fmt.Sprintf(`data-ticket-id="%d" data-level="red"`, red.ID)) ||
		strings.Contains(list, fmt.Sprintf(`data-ticket-id="%d"`, w.ticketA)) || strings.Count(list, `data-ticket-id="`) != byLevel["red"] {
		t.Errorf("all red tickets: %d, want exactly the %d open red ones:\n%.2000s", code, byLevel["red"], list)
	}
	if _, list := leader.get("/ui/tickets?level=red&state=closed"); strings.Contains(list, `data-ticket-id="`) {
		t.Error("closed red tickets: the open one is listed")
	}
	if _, list := leader.get("/ui/tickets"); strings.Count(list, `data-ticket-id="`) != open {
		t.Errorf("the open tickets: want %d rows", open)
	}
	// The trend: an inline SVG with this week's events, no style attribute.
	svg := page[strings.Index(page, `<svg id="trend"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	if !strings.Contains(svg, `class="bar-red"`) || !strings.Contains(svg, isoweek.Format(isoweek.Of(time.Now(), isoweek.Shanghai))) {
		t.Errorf("the trend lacks this week's red bar: %.500s", svg)
	}
	if strings.Contains(page, "style=") {
		t.Error("the dashboard has a style attribute, which the CSP blocks")
	}

	// Town B's leader: nothing of town A.
	code, page = signIn(t, w.a, "leader-b").get("/ui/dashboard")
	if code != http.StatusOK || text(t, page, `id="dash-open"`, "</div>") != "0" {
		t.Fatalf("town B's dashboard: %d %.300s", code, page)
	}
	for _, hidden := range []string{w.entA.Name, "红星厂", `data-town="` + townA + `"`, fmt.Sprintf("/ui/tickets/%d", red.ID)} {
		if strings.Contains(page, hidden) {
			t.Errorf("town B's leader sees %s", hidden)
		}
	}
	// A mediator may not; English follows the language switch.
	if code, _ := signIn(t, w.a, "mediator-320924100-1").get("/ui/dashboard"); code != http.StatusForbidden {
		t.Errorf("a mediator's dashboard: %d, want 403", code)
	}
	leader.get("/ui/lang/en?next=/ui/dashboard")
	if _, page := leader.get("/ui/dashboard"); !strings.Contains(page, "Towns compared") || !strings.Contains(page, "Red tickets") {
		t.Errorf("the English dashboard: %.300s", page)
	}
}

// The weekly summaries: the list links each stored week; the summary page
// frames the HTML report and offers the downloads; the HTML, the XLSX and
// the CSV say what the JSON says; a town's leader cannot open the
// county's summary.
func TestUILeaderSummaries(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	week := isoweek.Format(isoweek.Of(time.Now(), isoweek.Shanghai))
	leader := signIn(t, w.a, "leader")
	if code, page := leader.get("/ui/summaries"); code != http.StatusOK || !strings.Contains(page, `id="summaries-none"`) {
		t.Fatalf("no summary yet: %d %.300s", code, page)
	}
	sums := &app.Summaries{DB: w.a.DB(), Loc: isoweek.Shanghai, Log: testLogger(t), Now: weeksEnded}
	if _, err := sums.Build(ctx, isoweek.Of(time.Now(), isoweek.Shanghai), "", "test", false); err != nil {
		t.Fatal(err)
	}
	code, page := leader.get("/ui/summaries")
	link := fmt.Sprintf(`<a class="summary-link" href="/ui/summaries/%s?unit=%s">`, week, testutil.County)
	if code != http.StatusOK || !strings.Contains(page, link) || !strings.Contains(page, "射阳县") {
		t.Fatalf("the list: %d, want a link %s: %.500s", code, link, page)
	}

	// The JSON, as the API serves it.
	_, out := w.do(t, "leader", "GET", "/api/v1/summaries/weekly/"+week, nil)
	var s gridwarn.WeeklySummary
	if err := json.Unmarshal(out, &s); err != nil || s.Headline.NewTickets != 1 {
		t.Fatalf("JSON: %v, new tickets %d, want 1", err, s.Headline.NewTickets)
	}
	newTickets := fmt.Sprint(s.Headline.NewTickets)

	// The summary page: the leader's own unit by default.
	code, page = leader.get("/ui/summaries/" + week)
	for _, want := range []string{
		fmt.Sprintf(`<a id="summary-xlsx" class="button primary" href="/ui/summaries/%s/xlsx?unit=%s"`, week, testutil.County),
		fmt.Sprintf(`src="/ui/summaries/%s/report?unit=%s"`, week, testutil.County),
	} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("the summary page: %d, lacks %s", code, want)
		}
	}
	// The report: the summary's own HTML, framed by the console only.
	resp, err := leader.hc.Get(leader.base + "/ui/summaries/" + week + "/report?unit=" + testutil.County)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
		!strings.Contains(csp, "style-src 'unsafe-inline'") || !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "script-src") {
		t.Errorf("the report's CSP: %s", csp)
	}
	kpi := regexp.MustCompile(`<div class="k">新增工单</div><div class="v">([0-9,]+)</div>`).FindSubmatch(html)
	if resp.StatusCode != http.StatusOK || kpi == nil || string(kpi[1]) != newTickets || !bytes.Contains(html, []byte("<svg")) {
		t.Errorf("the report: %d, new tickets %q, want %s", resp.StatusCode, kpi, newTickets)
	}
	// The Excel download.
	resp, err = leader.hc.Get(leader.base + "/ui/summaries/" + week + "/xlsx?unit=" + testutil.County)
	if err != nil {
		t.Fatal(err)
	}
	xlsx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "summary-"+testutil.County+"-"+week+".xlsx") {
		t.Fatalf("XLSX: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	xrows, _ := f.GetRows(f.GetSheetList()[0])
	var xNew string
	for _, r := range xrows {
		if len(r) > 1 && r[0] == "新增工单" {
			xNew = r[1]
		}
	}
	if xNew != newTickets {
		t.Errorf("XLSX new tickets %q, want %s", xNew, newTickets)
	}
	// The CSV in English after the language switch.
	leader.get("/ui/lang/en?next=/ui/summaries")
	code, csv := leader.get("/ui/summaries/" + week + "/csv?unit=" + testutil.County)
	if code != http.StatusOK || !strings.Contains(csv, "New tickets,"+newTickets) {
		t.Errorf("CSV: %d %.400s", code, csv)
	}

	// A town leader reads their own town's summary by default, not the county's.
	b := signIn(t, w.a, "leader-b")
	if code, page := b.get("/ui/summaries/" + week); code != http.StatusOK || !strings.Contains(page, "unit="+townB) {
		t.Errorf("town B's own summary: %d", code)
	}
	for _, path := range []string{"", "/report", "/xlsx", "/csv"} {
		if code, _ := b.get("/ui/summaries/" + week + path + "?unit=" + testutil.County); code != http.StatusNotFound {
			t.Errorf("town B's leader opens the county's summary%s: %d, want 404", path, code)
		}
	}
	if _, page := b.get("/ui/summaries"); strings.Contains(page, "unit="+testutil.County+`"`) || strings.Contains(page, "unit="+townA) {
		t.Error("town B's leader's list shows the county's or town A's summary")
	}
	// Bad requests.
	for path, want := range map[string]int{
		"/ui/summaries/2026-W99":                         http.StatusBadRequest,
		"/ui/summaries/" + week + "?unit=abc":            http.StatusBadRequest,
		"/ui/summaries/2019-W01?unit=" + testutil.County: http.StatusNotFound,
	} {
		if code, _ := leader.get(path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}
