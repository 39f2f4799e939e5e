package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The mediator's pages join the access table: the queue and claim-next
// for people who change tickets, the ticket page for whoever reads
// tickets, and one form route for every action.
func init() {
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	uiAccessTable["GET /ui/queue"] = uiAccess{
		path: func(*world) string { return "/ui/queue" }, allowed: "mediator-320924100-1", forbidden: gw,
		outsider: "mediator-320924101-1", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
	// Town B's queue is empty: the outsider is told so and never gets town
	// A's ticket.
	uiAccessTable["POST /ui/queue/claim"] = uiAccess{
		path: func(*world) string { return "/ui/queue/claim" }, allowed: "mediator-320924100-1", forbidden: "rpt-320924100",
		outsider: "mediator-320924101-1", outsiderCode: http.StatusSeeOther,
		hidden: func(w *world) string { return fmt.Sprintf("/ui/tickets/%d", w.ticketA) },
	}
	uiAccessTable["GET /ui/tickets"] = uiAccess{
		path:    func(*world) string { return "/ui/tickets" },
		allowed: "leader", forbidden: "rpt-320924100",
		outsider: "mediator-320924101-1", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
	uiAccessTable["GET /ui/tickets/:id"] = uiAccess{
		path:    func(w *world) string { return fmt.Sprintf("/ui/tickets/%d", w.ticketA) },
		allowed: "mediator-320924100-1", forbidden: "rpt-320924100",
		outsider: "mediator-320924101-1", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
	uiAccessTable["GET /ui/tickets/:id/:action"] = uiAccess{
		path:    func(w *world) string { return fmt.Sprintf("/ui/tickets/%d/start", w.ticketA) },
		allowed: "mediator-320924100-1", forbidden: "rpt-320924100",
		// Only a redirect to the ticket's page, which checks the scope.
		outsider: "mediator-320924101-1", outsiderCode: http.StatusSeeOther,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
	uiAccessTable["POST /ui/tickets/:id/:action"] = uiAccess{
		path: func(w *world) string { return fmt.Sprintf("/ui/tickets/%d/claim", w.ticketA) },
		form: func(w *world) url.Values {
			return url.Values{"version": {strconv.Itoa(ticketVersion(w, w.ticketA))}}
		},
		allowed: "mediator-320924100-1", forbidden: "rpt-320924100",
		outsider: "mediator-320924101-1", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
}

// ticketVersion reads a ticket's version from the database.
func ticketVersion(w *world, id int64) int {
	d, err := w.a.DB().Ticket(context.Background(), gridwarn.Visibility{All: true}, id)
	if err != nil {
		return 0
	}
	return d.Version
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// pageVersion is the version the ticket page's forms carry.
func pageVersion(t *testing.T, body string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version field on the page: %.500s", body)
	}
	return m[1]
}

// mustContain fails unless body contains every string.
func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, s := range bad {
		if strings.Contains(body, s) {
			t.Errorf("%s shows %q", what, s)
		}
	}
}

// A mediator of town A works town A's ticket through the forms: claim
// from the queue, accept, start, reply with an outcome; the history shows
// each step. A stale form changes nothing and says so; notes are escaped;
// the grid worker who reported sees neither internal notes nor forms.
func TestUIWorkTicketLife(t *testing.T) {
	w := newWorld(t)
	med := signIn(t, w.a, "mediator-320924100-1")
	ticket := fmt.Sprintf("/ui/tickets/%d", w.ticketA)

	// The queue: the ticket, its enterprise, its deadline, a claim button.
	code, body := med.get("/ui/queue")
	if code != http.StatusOK {
		t.Fatalf("queue: %d %.300s", code, body)
	}
	mustContain(t, "the queue", body, `id="queue"`, fmt.Sprintf(`data-ticket-id="%d"`, w.ticketA),
		`class="ticket-link" href="`+ticket+`"`, w.entA.CreditCode, w.entA.Name, "剩余", `action="`+ticket+`/claim"`)
	if code, body := med.get("/ui/queue?level=red&category=layoff"); code != http.StatusOK || strings.Contains(body, `data-ticket-id="`) {
		t.Errorf("queue filtered to red layoffs: %d, want no rows: %.300s", code, body)
	}
	if code, body := med.get("/ui/queue?mine=1"); code != http.StatusOK || strings.Contains(body, `data-ticket-id="`) {
		t.Errorf("my tickets before claiming: %d, want none", code)
	}

	// Claim from the row, with the row's version.
	row := regexp.MustCompile(`action="` + ticket + `/claim"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="version" value="(\d+)">`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("no claim form on the row: %.2000s", body)
	}
	if code, loc := med.post(ticket+"/claim", url.Values{"version": {row[1]}}); code != http.StatusSeeOther || loc != ticket {
		t.Fatalf("claim: %d %s, want 303 to the ticket", code, loc)
	}
	code, body = med.get(ticket)
	if code != http.StatusOK {
		t.Fatalf("ticket: %d %.300s", code, body)
	}
	mustContain(t, "the claimed ticket", body, "已领取工单。", `id="ticket-status" data-status="dispatched"`, `id="ticket-tier"`,
		`id="action-accept"`, `id="action-note"`, `id="renew-claim"`, w.entA.Name, `id="events"`, `id="history"`, `id="clocks"`, `id="legal"`)
	mustNotContain(t, "the claimed ticket", body, `id="action-claim"`) // held: renewed, not claimed again
	if _, body := med.get("/ui/queue?mine=1"); !strings.Contains(body, fmt.Sprintf(`data-ticket-id="%d"`, w.ticketA)) {
		t.Error("my tickets after claiming lack the ticket")
	}

	// An action the ticket does not admit now: the message and what is
	// allowed instead; nothing changes.
	v := pageVersion(t, body)
	code, body = med.post(ticket+"/start", url.Values{"version": {v}})
	if code != http.StatusConflict {
		t.Fatalf("start before accept: %d, want 409", code)
	}
	mustContain(t, "start before accept", body, `id="action-problem"`, `id="allowed-now"`, `data-action="accept"`,
		`id="ticket-status" data-status="dispatched"`, "工单现在的状态（已派单）不允许这一步。",
		`<body data-path="`+ticket+`">`) // app.js puts the ticket's address in the bar
	// The form's address opened again is the ticket, not a raw 405.
	if code, loc := med.get(ticket + "/start"); code != http.StatusSeeOther || loc != ticket {
		t.Errorf("GET of an action's address: %d %s, want 303 to the ticket", code, loc)
	}
	if code, _ := med.get(ticket + "/explode"); code != http.StatusNotFound {
		t.Errorf("GET of an unknown action: %d, want 404", code)
	}

	// Accept, start.
	for _, step := range []struct{ action, status string }{{"accept", "accepted"}, {"start", "in_progress"}} {
		if code, loc := med.post(ticket+"/"+step.action, url.Values{"version": {v}}); code != http.StatusSeeOther || loc != ticket {
			t.Fatalf("%s: %d %.300s", step.action, code, loc)
		}
		_, body = med.get(ticket)
		if !strings.Contains(body, `data-status="`+step.status+`"`) {
			t.Fatalf("after %s the ticket is not %s", step.action, step.status)
		}
		v = pageVersion(t, body)
	}
	mustContain(t, "the ticket in progress", body, `id="action-reply"`, `name="outcome_result"`,
		`name="amount_recovered_cny"`, `name="workers_covered"`, `id="action-contact"`)

	// A reply with bad fields is shown back at its form, nothing applied.
	code, body = med.post(ticket+"/reply", url.Values{"version": {v}, "outcome_result": {"paid_in_full"},
		"amount_recovered_cny": {"-5"}, "workers_covered": {"x"}, "promised_payments": {"next week"}})
	if code != http.StatusBadRequest {
		t.Fatalf("invalid reply: %d, want 400", code)
	}
	mustContain(t, "the invalid reply", body, `class="errors"`, "追回金额（元）", "惠及职工（人）", "承诺付款日期",
		`data-status="in_progress"`, `>next week</textarea>`)
	code, body = med.post(ticket+"/reply", url.Values{"version": {v}})
	if code != http.StatusBadRequest || !strings.Contains(body, "处理结果") || !strings.Contains(body, "必填") {
		t.Fatalf("a reply without an outcome: %d, want 400 naming the outcome", code)
	}

	// Someone else writes a note first: this form's version is stale.
	other := signIn(t, w.a, "mediator-320924100-2")
	other.get(ticket) // a page with the session's CSRF token
	if code, loc := other.post(ticket+"/notes", url.Values{"version": {v}, "note": {"called the boss"}, "visibility": {"internal"}}); code != http.StatusSeeOther {
		t.Fatalf("other mediator's note: %d %s", code, loc)
	}
	before := ticketVersion(w, w.ticketA)
	code, body = med.post(ticket+"/reply", url.Values{"version": {v}, "outcome_result": {"paid_in_full"},
		"amount_recovered_cny": {"180000"}, "workers_covered": {"12"}})
	if code != http.StatusPreconditionFailed {
		t.Fatalf("stale reply: %d, want 412 (as the API answers)", code)
	}
	mustContain(t, "the stale reply", body, `id="conflict"`, "工单已被他人修改", `data-status="in_progress"`,
		"called the boss", fmt.Sprintf(`name="version" value="%d"`, before), `value="180000"`)
	if after := ticketVersion(w, w.ticketA); after != before {
		t.Fatalf("a stale form changed the ticket: version %d → %d", before, after)
	}

	// The reply, with the new version.
	v = pageVersion(t, body)
	if code, loc := med.post(ticket+"/reply", url.Values{"version": {v}, "outcome_result": {"paid_in_full"},
		"amount_recovered_cny": {"180,000"}, "workers_covered": {"12"}, "agreement_date": {"2026-01-10"},
		"promised_payments": {"2026-02-01, 2026-03-01"}}); code != http.StatusSeeOther {
		t.Fatalf("reply: %d %.500s", code, loc)
	}
	_, body = med.get(ticket)
	mustContain(t, "the replied ticket", body, `data-status="replied"`, `id="outcome"`, "全额支付", "¥180,000",
		"2026-02-01", "2026-03-01", `data-kind="claim"`, `data-kind="accept"`, `data-kind="start"`, `data-kind="reply"`)
	// Separation of duties: the tier head replied, so another reviews.
	mustNotContain(t, "the replied ticket, to the person who replied", body, `id="action-review"`)
	v = pageVersion(t, body)

	// Notes: user text is escaped; internal ones stay inside.
	if code, _ := med.post(ticket+"/notes", url.Values{"version": {v}, "note": {"<script>alert(1)</script>"}, "visibility": {"internal"}}); code != http.StatusSeeOther {
		t.Fatalf("internal note: %d", code)
	}
	_, body = med.get(ticket)
	v = pageVersion(t, body)
	if code, _ := med.post(ticket+"/notes", url.Values{"version": {v}, "note": {"wages will be paid on Friday"}, "visibility": {"shareable"}}); code != http.StatusSeeOther {
		t.Fatalf("shareable note: %d", code)
	}
	_, body = med.get(ticket)
	mustContain(t, "the notes", body, "&lt;script&gt;alert(1)&lt;/script&gt;", "wages will be paid on Friday")
	mustNotContain(t, "the notes", body, "<script>alert(1)")

	// A form without the CSRF token is refused.
	if code, _ := med.post(ticket+"/notes", url.Values{"version": {pageVersion(t, body)}, "note": {"x"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("a note without the CSRF token: %d, want 403", code)
	}

	// The grid worker who reported: the state and the shareable note, no
	// internal notes, no contact log or history, no forms.
	gw := signIn(t, w.a, demo.DemoLogins()[gridwarn.RoleGridWorker])
	code, body = gw.get(ticket)
	if code != http.StatusOK {
		t.Fatalf("grid worker's ticket page: %d %.300s", code, body)
	}
	mustContain(t, "the grid worker's view", body, `data-status="replied"`, "wages will be paid on Friday")
	mustNotContain(t, "the grid worker's view", body, "alert(1)", "called the boss", `id="action-`, `id="actions"`,
		`id="history"`, `id="contacts"`, `name="version"`)
	if code, _ := gw.post(ticket+"/notes", url.Values{"version": {v}, "note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("grid worker's note: %d, want 403", code)
	}

	// The county's administrator reads it too, without forms.
	adm := signIn(t, w.a, "admin")
	if code, body := adm.get(ticket); code != http.StatusOK || strings.Contains(body, `id="action-`) || !strings.Contains(body, "alert(1)") {
		t.Errorf("admin's view: %d, want the page with internal notes and no forms", code)
	}

	// Claim next with nothing left to claim: back to the queue, told so.
	if code, loc := other.post("/ui/queue/claim", nil); code != http.StatusSeeOther || loc != "/ui/queue" {
		t.Errorf("claim next on an empty queue: %d %s", code, loc)
	}
	if _, body := other.get("/ui/queue"); !strings.Contains(body, "队列中暂无可领取的工单") {
		t.Error("the queue does not say there was nothing to claim")
	}

	// Another tier head reviews (the second mediator, made head for
	// this), a call-back is recorded, the ticket closes, and a promised
	// payment is followed up: the rest of its life.
	if _, err := w.a.DB().Pool().Exec(context.Background(), `UPDATE users SET tier_head = true WHERE username = 'mediator-320924100-2'`); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		by     *uiClient
		action string
		form   url.Values
		status string
	}{
		{other, "review", url.Values{"approved": {"yes"}}, "reviewed"},
		{med, "callback", url.Values{"satisfied": {"yes"}, "note": {"the workers were paid"}}, "reviewed"},
		{med, "close", url.Values{"note": {"done"}}, "closed"},
		{med, "follow-ups", url.Values{"follow_up_on": {"2026-02-01"}, "paid": {"yes"}}, "closed"},
	} {
		med := step.by
		_, body = med.get(ticket)
		if !strings.Contains(body, `id="action-`+strings.TrimSuffix(strings.ReplaceAll(step.action, "-", "_"), "s")+`"`) {
			t.Fatalf("no form for %s: %.300s", step.action, body)
		}
		step.form.Set("version", pageVersion(t, body))
		if code, loc := med.post(ticket+"/"+step.action, step.form); code != http.StatusSeeOther {
			t.Fatalf("%s: %d %.500s", step.action, code, loc)
		}
		if _, body = med.get(ticket); !strings.Contains(body, `data-status="`+step.status+`"`) {
			t.Fatalf("after %s the ticket is not %s", step.action, step.status)
		}
	}
	mustContain(t, "the closed ticket", body, `data-kind="review"`, `data-kind="callback"`, `data-kind="close"`,
		`data-kind="follow_up"`, `data-state="paid"`, `data-state="pending"`, `id="action-reopen"`)

	// The history's notes column, from the rows the real writers produced:
	// every value labelled in Chinese and formatted, no raw keys.
	hist := body[strings.Index(body, `id="history"`):]
	details := regexp.MustCompile(`<span class="hd" data-key="([^"]+)"><span class="hk">([^<]*)</span>：([^<]*)</span>`).FindAllStringSubmatch(hist, -1)
	if len(details) < 5 {
		t.Fatalf("the history shows %d details: %.3000s", len(details), hist)
	}
	for _, d := range details {
		if d[2] == d[1] || d[2] == "" || strings.Contains(d[3], "{") {
			t.Errorf("history detail %q reads %q: %q", d[1], d[2], d[3])
		}
	}
	mustContain(t, "the history", hist, "追回金额</span>：¥180,000", "审核意见</span>：通过", "处理结果</span>：全额支付")
	shown := regexp.MustCompile(` data-key="[^"]*"`).ReplaceAllString(hist, "") // what a person reads
	mustNotContain(t, "the history", shown, "outcome.", "approved", "amount_recovered_cny", "follow_up_on")

	// In English, for a county leader: the town filter, no forms on a
	// ticket of a lower tier.
	leader := signIn(t, w.a, "leader")
	leader.get("/ui/lang/en?next=/ui/queue")
	if code, body := leader.get("/ui/queue"); code != http.StatusOK || !strings.Contains(body, `name="town"`) || !strings.Contains(body, "Claim next") {
		t.Errorf("the county leader's queue: %d, want the English page with a town filter", code)
	}
	code, body = leader.get(ticket)
	if code != http.StatusOK {
		t.Fatalf("leader's ticket page: %d %.300s", code, body)
	}
	mustContain(t, "the leader's view", body, "There is nothing you can do on this ticket now.", "replied", "paid in full")
	mustNotContain(t, "the leader's view", body, `id="action-`)
	if _, body := med.get("/ui/queue"); strings.Contains(body, `name="town"`) {
		t.Error("a town mediator is offered a town filter")
	}

	// Unknown actions and tickets are not pages.
	if code, _ := med.post(ticket+"/explode", url.Values{"version": {"1"}}); code != http.StatusNotFound {
		t.Errorf("unknown action: %d, want 404", code)
	}
	if code, _ := med.get("/ui/tickets/999999"); code != http.StatusNotFound {
		t.Errorf("unknown ticket: %d, want 404", code)
	}
	// A wrong address or method under /ui/ is a console page, not the
	// API's JSON problem; the API keeps its own.
	if code, body := med.post(ticket, url.Values{}); code != http.StatusMethodNotAllowed || !strings.Contains(body, "不能这样打开此页面") {
		t.Errorf("POST to a page: %d %.300s, want the console's 405 page", code, body)
	}
	if code, body := med.get("/ui/no/such/page"); code != http.StatusNotFound || !strings.Contains(body, "没有这个页面") {
		t.Errorf("an unknown console address: %d %.300s, want the console's 404 page", code, body)
	}
	if code, body := med.get("/api/v1/no-such-thing"); code != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) {
		t.Errorf("an unknown API address: %d %.300s, want the API's problem", code, body)
	}
}
