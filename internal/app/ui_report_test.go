package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The grid worker's pages: the report form and "My reports".
func init() {
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	uiAccessTable["GET /ui/report"] = uiAccess{
		path:    func(w *world) string { return "/ui/report?enterprise=" + w.entA.CreditCode },
		allowed: gw, forbidden: "mediator-320924101-1",
		outsider: "gw-320924101-j01-1", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["POST /ui/report"] = uiAccess{
		path: func(*world) string { return "/ui/report" },
		form: func(w *world) url.Values {
			return url.Values{"id": {"ui-acc-out-1"}, "enterprise": {w.entA.CreditCode}, "category": {"other"},
				"occurred_at": {"2025-01-20T09:00"}}
		},
		forbidden: "mediator-320924101-1",
		outsider:  "gw-320924101-j01-1", outsiderCode: http.StatusUnprocessableEntity,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["GET /ui/my-reports"] = uiAccess{
		path:    func(*world) string { return "/ui/my-reports" },
		allowed: gw, forbidden: "rpt-320924101",
		outsider: "gw-320924101-j01-1", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
}

var eventIDInFormRE = regexp.MustCompile(`name="id" value="(web-[0-9a-f]{24})"`)

// postJSON submits a form the way static/report.js does: the CSRF token in
// a header, JSON asked for.
func (c *uiClient) postJSON(path string, form url.Values, out any) int {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	code, body := c.do(req)
	if out != nil {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			c.t.Fatalf("%d %q: %v", code, body, err)
		}
	}
	return code
}

func TestUIReport(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	c := signIn(t, w.a, gw)
	countEvents := func(id string) (n int) {
		t.Helper()
		if err := w.a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events WHERE id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The search finds the enterprise of their grid by name and by a part
	// of the credit code (any case); the grid worker's home is the form.
	if code, loc := c.get("/ui/"); code != http.StatusSeeOther || loc != "/ui/report" {
		t.Fatalf("home: %d %s", code, loc)
	}
	pick := `class="enterprise-pick" href="/ui/report?enterprise=` + w.entA.CreditCode + `"`
	for _, q := range []string{w.entA.Name, strings.ToLower(w.entA.CreditCode[:12])} {
		code, body := c.get("/ui/report?q=" + url.QueryEscape(q))
		if code != http.StatusOK || !strings.Contains(body, `id="enterprise-search-form"`) || !strings.Contains(body, pick) {
			t.Fatalf("search %q: %d, want a link to %s:\n%s", q, code, w.entA.CreditCode, body)
		}
	}
	if _, body := c.get("/ui/report?q=" + url.QueryEscape("没有这家企业")); strings.Contains(body, "enterprise-pick") {
		t.Error("a search without a match lists enterprises")
	}

	// The form: the enterprise, a fresh id each time, every field.
	form := func() (string, string) {
		t.Helper()
		code, body := c.get("/ui/report?enterprise=" + w.entA.CreditCode)
		m := eventIDInFormRE.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("form: %d\n%s", code, body)
		}
		for _, want := range []string{`id="report-form"`, w.entA.Name, w.entA.CreditCode, `id="category"`, `id="workers_involved"`,
			`id="amount_owed_cny"`, `id="months_in_arrears"`, `id="collective"`, `id="action"`, `id="summary"`,
			`id="occurred_at"`, `id="report-submit"`, `name="enterprise" value="` + w.entA.CreditCode + `"`, "拖欠工资",
			`src="/ui/static/report.js"`, `id="pending"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
		return m[1], body
	}
	id, body := form()
	if id2, _ := form(); id2 == id {
		t.Error("two forms, one id")
	}
	now := time.Now().In(shanghai(t))
	if !strings.Contains(body, `value="`+now.Format("2006-01-02T15")) {
		t.Error("occurred_at does not default to now in Asia/Shanghai")
	}
	report := func(id string) url.Values {
		return url.Values{"id": {id}, "enterprise": {w.entA.CreditCode}, "category": {"layoff"},
			"workers_involved": {"25"}, "collective": {"true"}, "action": {"gathering"},
			"summary": {"<script>alert(1)</script> 计划裁员"}, "occurred_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")}}
	}

	// A form without the session's CSRF token is refused.
	noCSRF := report(id)
	noCSRF.Set("csrf", "")
	if code, _ := c.post("/ui/report", noCSRF); code != http.StatusForbidden {
		t.Fatalf("without CSRF: %d, want 403", code)
	}

	// A missing category: the form again (400), naming the field, keeping
	// what was typed and the id.
	incomplete := report(id)
	incomplete.Del("category")
	code, body := c.post("/ui/report", incomplete)
	if code != http.StatusBadRequest {
		t.Fatalf("missing category: %d, want 400\n%s", code, body)
	}
	for _, want := range []string{`href="#category"`, "类别", "必填", `name="id" value="` + id + `"`, `value="25"`,
		"&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("the summary is reflected as HTML")
	}
	bad := report(id)
	bad.Set("workers_involved", "很多")
	bad.Set("occurred_at", now.Add(24*time.Hour).Format("2006-01-02T15:04"))
	if code, body := c.post("/ui/report", bad); code != http.StatusBadRequest || !strings.Contains(body, `href="#workers_involved"`) ||
		!strings.Contains(body, `href="#occurred_at"`) || !strings.Contains(body, "不能晚于现在") {
		t.Errorf("a word for a number and a time tomorrow: %d\n%s", code, body)
	}
	if n := countEvents(id); n != 0 {
		t.Fatalf("a refused report stored %d events", n)
	}

	// Sent: to "My reports" with the message; twice is one event.
	if code, loc := c.post("/ui/report", report(id)); code != http.StatusSeeOther || loc != "/ui/my-reports" {
		t.Fatalf("report: %d %s, want 303 to /ui/my-reports", code, loc)
	}
	if code, loc := c.post("/ui/report", report(id)); code != http.StatusSeeOther || loc != "/ui/my-reports" {
		t.Fatalf("the same report again: %d %s", code, loc)
	}
	if code, body := c.get("/ui/my-reports"); code != http.StatusOK || !strings.Contains(body, "上报已送达") {
		t.Errorf("my reports after sending: %d, want the message", code)
	}
	deadline := time.Now().Add(15 * time.Second)
	for countEvents(id) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var ticketID int64
	if err := w.a.DB().Pool().QueryRow(ctx, "SELECT ticket_id FROM events WHERE id = $1", id).Scan(&ticketID); err != nil {
		t.Fatalf("the report never became an event: %v", err)
	}

	// With JavaScript: JSON answers. A repeat of the same id is accepted
	// (202) and still one event; a refusal names the fields.
	var rcpt struct {
		EventID   string `json:"event_id"`
		Duplicate bool   `json:"duplicate"`
	}
	if code := c.postJSON("/ui/report", report(id), &rcpt); code != http.StatusAccepted || rcpt.EventID != id {
		t.Errorf("JSON repeat: %d %+v", code, rcpt)
	}
	if n := countEvents(id); n != 1 {
		t.Errorf("the same id sent three times: %d events, want 1", n)
	}
	var refusal struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Fields  []struct{ Field, Rule, Message string }
	}
	incomplete.Set("id", "web-json-incomplete")
	if code := c.postJSON("/ui/report", incomplete, &refusal); code != http.StatusBadRequest || refusal.Error != "invalid" ||
		len(refusal.Fields) != 1 || refusal.Fields[0].Field != "category" || refusal.Fields[0].Message == "" || refusal.Message == "" {
		t.Errorf("JSON without a category: %d %+v", code, refusal)
	}
	outsider := signIn(t, w.a, "gw-320924101-j01-1")
	outsider.get("/ui/report")
	refusal.Fields = nil
	if code := outsider.postJSON("/ui/report", report("web-json-outsider"), &refusal); code != http.StatusUnprocessableEntity ||
		refusal.Error != "unprocessable" || len(refusal.Fields) != 1 || refusal.Fields[0].Field != "enterprise" {
		t.Errorf("JSON from the other town: %d %+v", code, refusal)
	}

	// A report point may report too; it may not read tickets, so it goes
	// back to the form, with the message.
	rpt := signIn(t, w.a, "rpt-320924100")
	rpt.get("/ui/report?enterprise=" + w.entA.CreditCode)
	back := "/ui/report?enterprise=" + w.entA.CreditCode
	if code, loc := rpt.post("/ui/report", report("web-rpt-1")); code != http.StatusSeeOther || loc != back {
		t.Errorf("a report point's report: %d %s, want 303 to %s", code, loc, back)
	}
	if code, body := rpt.get(back); code != http.StatusOK || !strings.Contains(body, "上报已送达") {
		t.Errorf("the report point's form after sending: %d, want the message", code)
	}
	if code, _ := rpt.get("/ui/my-reports"); code != http.StatusForbidden {
		t.Errorf("a report point's my reports: %d, want 403", code)
	}

	// "My reports": the ticket with its level, status and tier, what the
	// mediators chose to share and never their internal notes; the summary
	// as text.
	for _, n := range []struct{ vis, body string }{
		{"shareable", "已约谈企业负责人 <b>明天</b> 复工"},
		{"internal", "内部：企业负责人态度强硬"},
	} {
		if _, err := w.a.DB().Pool().Exec(ctx, `INSERT INTO ticket_notes (ticket_id, author, visibility, body) VALUES ($1, 'mediator-320924100-1', $2, $3)`,
			ticketID, n.vis, n.body); err != nil {
			t.Fatal(err)
		}
	}
	row := fmt.Sprintf(`data-ticket-id="%d"`, ticketID)
	_, body = c.get("/ui/my-reports")
	for _, want := range []string{`id="my-reports"`, row, fmt.Sprintf(`data-ticket-id="%d"`, w.ticketA), w.entA.Name, "裁员", "拖欠工资",
		`class="badge level-`, "已约谈企业负责人 &lt;b&gt;明天&lt;/b&gt; 复工", "&lt;script&gt;alert(1)&lt;/script&gt; 计划裁员"} {
		if !strings.Contains(body, want) {
			t.Errorf("my reports lacks %s", want)
		}
	}
	for _, never := range []string{"企业负责人态度强硬", "<script>alert", "<b>明天"} {
		if strings.Contains(body, never) {
			t.Errorf("my reports shows %s", never)
		}
	}
	// English too.
	c.get("/ui/lang/en?next=/ui/my-reports")
	if _, body := c.get("/ui/my-reports"); !strings.Contains(body, "Layoff") || !strings.Contains(body, "My reports") {
		t.Error("my reports in English lacks its labels")
	}
	// The outsider of town B has no report about town A.
	if code, body := outsider.get("/ui/my-reports"); code != http.StatusOK || strings.Contains(body, row) || strings.Contains(body, w.entA.Name) {
		t.Errorf("the other town's grid worker: %d, sees the ticket", code)
	}
	// A mediator has no reports of their own: the page is empty for them,
	// though they may read the town's tickets.
	med := signIn(t, w.a, "mediator-320924100-1")
	if code, body := med.get("/ui/my-reports"); code != http.StatusOK || strings.Contains(body, row) {
		t.Errorf("a mediator's my reports: %d, lists the grid worker's ticket", code)
	}
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
