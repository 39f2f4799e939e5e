package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// hotlineCase files a case as the holder of token name and decodes it.
func hotlineCase(t *testing.T, w *world, name string, body map[string]any) gridwarn.HotlineCase {
	t.Helper()
	code, out := w.do(t, name, "POST", "/api/v1/hotline/cases", body)
	if code != http.StatusCreated {
		t.Fatalf("file a case: %d %s", code, out)
	}
	var c gridwarn.HotlineCase
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hotlineWorld is the demo county with tokens for the hotline operator, a
// second operator, the county administrator, a county mediator granted
// identity reads and town B's administrator.
func hotlineWorld(t *testing.T) *world {
	t.Helper()
	w := &world{a: MustRunApp(t), tokens: map[string]string{}}
	db := w.a.DB()
	w.county = testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	for _, u := range []gridwarn.User{
		{Username: "hotline-2", Role: gridwarn.RoleHotlineOperator, Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: demo.CountyCode}},
		{Username: "admin-b", Role: gridwarn.RoleAdmin, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: townB}},
	} {
		if _, err := db.CreateUser(ctx, gridwarn.Visibility{All: true}, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{demo.HotlineLogin, "hotline-2", "admin", "admin-b", "mediator-county-1", "mediator-320924100-1"} {
		w.tokens[name] = testutil.MustToken(t, db, name)
	}
	for _, e := range w.county.Enterprises {
		if e.TownCode == townA {
			w.entA = e
			break
		}
	}
	return w
}

// A caller reports an enterprise the registry does not know: the case is
// held at the county; the administrator links it, twice, and the engine
// makes exactly one ticket of it, whose reporter is the caller — masked on
// the case, in full only through the audited identity read.
func TestHotlineCaseForAnUnregisteredEnterpriseBecomesOneTicketOnceLinked(t *testing.T) {
	w := hotlineWorld(t)
	ctx := context.Background()
	c := hotlineCase(t, w, demo.HotlineLogin, map[string]any{
		"caller_name": "王小明", "caller_phone": "13812345678", "intake_type": "help", "class": "difficult",
		"platform_order": "YC12351-2026-000123", "enterprise_name": "城东无名纸箱厂", "enterprise_address": "城东工业园5号",
		"category": "wage_arrears", "workers_involved": 14, "amount_owed_cny": 180000, "collective": true,
		"occurred_at": time.Now().Add(-48 * time.Hour).Format(time.RFC3339), "summary": "三个月工资未发\n老板说月底发",
	})
	if c.Status != gridwarn.HotlineToIdentify || c.EventID != "" || c.TicketID != nil {
		t.Fatalf("case for an unregistered enterprise: %+v, want held to_identify without an event", c)
	}
	if c.CallerName != "王**" || c.CallerPhone != "138****5678" {
		t.Errorf("caller shown as %q %q, want masked", c.CallerName, c.CallerPhone)
	}
	if !gridwarn.ValidWorkOrder(c.WorkOrder) || c.PlatformOrder != "YC12351-2026-000123" {
		t.Errorf("work order %q, platform order %q", c.WorkOrder, c.PlatformOrder)
	}
	if !c.DueAt.After(c.FiledAt.Add(13 * 24 * time.Hour)) {
		t.Errorf("a difficult case (13 working days) filed %s is due %s", c.FiledAt, c.DueAt)
	}
	// Nothing in any answer about the case shows the caller.
	for _, path := range []string{"/api/v1/hotline/cases", fmt.Sprintf("/api/v1/hotline/cases/%d", c.ID)} {
		if _, out := w.do(t, "admin", "GET", path, nil); strings.Contains(string(out), "13812345678") || strings.Contains(string(out), "王小明") {
			t.Errorf("%s shows the caller: %s", path, out)
		}
	}
	// Scope: town B's administrator does not see a case held at the county,
	// a mediator may not read cases, the operator may not link.
	link := fmt.Sprintf("/api/v1/hotline/cases/%d/link", c.ID)
	if code, out := w.do(t, "admin-b", "GET", fmt.Sprintf("/api/v1/hotline/cases/%d", c.ID), nil); code != http.StatusNotFound {
		t.Errorf("town B admin reads the held case: %d %s", code, out)
	}
	if code, out := w.do(t, "admin-b", "POST", link, map[string]string{"enterprise": w.entA.CreditCode}); code != http.StatusNotFound {
		t.Errorf("town B admin links the held case: %d %s", code, out)
	}
	if code, _ := w.do(t, "mediator-320924100-1", "GET", "/api/v1/hotline/cases", nil); code != http.StatusForbidden {
		t.Errorf("a mediator lists hotline cases: %d, want 403", code)
	}
	if code, _ := w.do(t, demo.HotlineLogin, "POST", link, map[string]string{"enterprise": w.entA.CreditCode}); code != http.StatusForbidden {
		t.Errorf("the operator links: %d, want 403", code)
	}

	// The administrator identified it as a registry entry; links twice
	// (a double click, a retry).
	var linked gridwarn.HotlineCase
	for i := 0; i < 2; i++ {
		code, out := w.do(t, "admin", "POST", link, map[string]string{"enterprise": w.entA.CreditCode})
		if code != http.StatusOK {
			t.Fatalf("link %d: %d %s", i+1, code, out)
		}
		_ = json.Unmarshal(out, &linked)
	}
	want := gridwarn.HotlineEventID(demo.CountyCode, c.ID)
	if linked.Status != gridwarn.HotlineForwarded || linked.EventID != want || linked.PublishedAt == nil || linked.LinkedBy != "admin" {
		t.Fatalf("linked case: %+v", linked)
	}
	ticket := waitHotlineTicket(t, w, c.ID)
	// A third link after the ticket exists: still the same one event.
	if code, out := w.do(t, "admin", "POST", link, map[string]string{"enterprise": w.entA.CreditCode}); code != http.StatusOK {
		t.Fatalf("link again: %d %s", code, out)
	}
	// Another enterprise after the event went out is a conflict.
	other := w.county.Enterprises[len(w.county.Enterprises)-1].CreditCode
	if code, out := w.do(t, "admin", "POST", link, map[string]string{"enterprise": other}); code != http.StatusConflict {
		t.Errorf("relink to another enterprise: %d %s, want 409", code, out)
	}
	// The inbox is the engine's record of what it took: wait until the
	// third publish is either deduplicated by the stream or refused there.
	var events, tickets int
	pool := w.a.DB().Pool()
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE id = $1", want).Scan(&events); err != nil || events != 1 {
		t.Errorf("events of the case = %d (%v), want 1", events, err)
	}
	if err := pool.QueryRow(ctx, "SELECT count(DISTINCT ticket_id) FROM events WHERE reporter_kind = 'hotline' AND enterprise = $1",
		w.entA.CreditCode).Scan(&tickets); err != nil || tickets != 1 {
		t.Errorf("tickets fed by the hotline = %d (%v), want 1", tickets, err)
	}

	// The ticket's reporter is a pseudonym; a granted mediator reads the
	// caller, with a reason, and the read is logged.
	code, out := w.do(t, "mediator-county-1", "GET", fmt.Sprintf("/api/v1/tickets/%d", ticket), nil)
	if code != http.StatusOK || strings.Contains(string(out), "13812345678") || !strings.Contains(string(out), `"kind":"hotline"`) {
		t.Errorf("the ticket as the mediator sees it: %d %s", code, out)
	}
	med, _ := w.a.DB().UserByName(ctx, "mediator-county-1")
	if code, out := w.do(t, "admin", "PUT", fmt.Sprintf("/api/v1/users/%d/identity-reader", med.ID), map[string]bool{"granted": true}); code != http.StatusOK {
		t.Fatalf("grant: %d %s", code, out)
	}
	code, out = w.do(t, "mediator-county-1", "POST", fmt.Sprintf("/api/v1/tickets/%d/reporters", ticket), map[string]string{"reason": "回访来电人"})
	if code != http.StatusOK || !strings.Contains(string(out), `"caller_phone":"13812345678"`) || !strings.Contains(string(out), `"caller_name":"王小明"`) {
		t.Errorf("identity read: %d %s, want the caller in full", code, out)
	}
	var reads int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM identity_reads WHERE ticket_id = $1 AND reason = '回访来电人'", ticket).Scan(&reads); err != nil || reads != 1 {
		t.Errorf("identity reads logged = %d (%v), want 1", reads, err)
	}
}

// waitHotlineTicket waits until the engine grouped the case's event into a
// ticket and the case shows it.
func waitHotlineTicket(t *testing.T, w *world, caseID int64) int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var c gridwarn.HotlineCase
		_, out := w.do(t, "admin", "GET", fmt.Sprintf("/api/v1/hotline/cases/%d", caseID), nil)
		_ = json.Unmarshal(out, &c)
		if c.TicketID != nil {
			return *c.TicketID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the case's ticket never appeared: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two operators file at the same moment: every case gets its own number,
// all of the same county and day.
func TestHotlineWorkOrdersUniqueWithOperatorsRacing(t *testing.T) {
	w := hotlineWorld(t)
	const each = 8
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, op := range []string{demo.HotlineLogin, "hotline-2"} {
		for i := 0; i < each; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c := hotlineCase(t, w, op, map[string]any{"caller_name": "李四", "caller_phone": "0515-87654321",
					"intake_type": "consultation", "class": "ordinary", "answered_on_call": true, "summary": "咨询加班费计算"})
				mu.Lock()
				defer mu.Unlock()
				if seen[c.WorkOrder] {
					t.Errorf("work order %s given twice", c.WorkOrder)
				}
				seen[c.WorkOrder] = true
				// Answered on the call: closed at once, no event, no ticket.
				if c.Status != gridwarn.HotlineClosed || c.ClosedAt == nil || c.EventID != "" {
					t.Errorf("answered consultation: %+v", c)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if len(seen) != 2*each {
		t.Fatalf("%d numbers for %d cases", len(seen), 2*each)
	}
	// The numbers of a day run 0001, 0002, … without gaps (a run that
	// crosses midnight in Shanghai has two days, each from 0001).
	perDay := map[string]int{}
	for wo := range seen {
		perDay[wo[:len("12351-20060102")]]++
	}
	for day, n := range perDay {
		for i := 1; i <= n; i++ {
			if wo := fmt.Sprintf("%s-%04d", day, i); !seen[wo] {
				t.Errorf("%s is missing: %v", wo, seen)
			}
		}
	}
	// The answered consultations count: they are listed as closed.
	var page gridwarn.Page[gridwarn.HotlineCase]
	_, out := w.do(t, "admin", "GET", "/api/v1/hotline/cases?status=closed&limit=100", nil)
	if err := json.Unmarshal(out, &page); err != nil || len(page.Items) != 2*each {
		t.Errorf("closed cases listed: %d (%v)", len(page.Items), err)
	}
	var counts gridwarn.HotlineCounts
	_, out = w.do(t, "admin", "GET", "/api/v1/hotline/counts", nil)
	if err := json.Unmarshal(out, &counts); err != nil || counts.Total != 2*each || counts.AnsweredOnCall != 2*each ||
		counts.ByIntakeType[gridwarn.IntakeConsultation] != 2*each || counts.ByStatus[gridwarn.HotlineClosed] != 2*each {
		t.Errorf("this month's counts: %s (%v)", out, err)
	}
}

// A case about a registered enterprise is an event at once, through the
// same path as a grid report; bad filings are 400 with the fields named,
// an enterprise outside the registry's known entries by code 422.
func TestHotlineCaseOfARegisteredEnterpriseIsAnEventAtOnce(t *testing.T) {
	w := hotlineWorld(t)
	c := hotlineCase(t, w, demo.HotlineLogin, map[string]any{
		"caller_name": "赵六", "caller_phone": "13900001111", "intake_type": "complaint", "class": "ordinary",
		"enterprise": w.entA.CreditCode, "category": "owner_absconded", "workers_involved": 30, "collective": true,
	})
	if c.Status != gridwarn.HotlineForwarded || c.PublishedAt == nil {
		t.Fatalf("case of a registered enterprise: %+v", c)
	}
	ticket := waitHotlineTicket(t, w, c.ID)
	var tk gridwarn.Ticket
	_, out := w.do(t, "admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", ticket), nil)
	_ = json.Unmarshal(out, &tk)
	// The owner fled: red, at the county at once, as from any reporter.
	if tk.Level != gridwarn.LevelRed || tk.Tier != gridwarn.TierCounty {
		t.Errorf("ticket %d: %s at %s, want red at the county", ticket, tk.Level, tk.Tier)
	}
	for _, tc := range []struct {
		body  map[string]any
		code  int
		field string
	}{
		{map[string]any{"caller_phone": "13900001111", "intake_type": "help", "class": "ordinary", "enterprise_name": "x", "category": "other"}, 400, "caller_name"},
		{map[string]any{"caller_name": "=HYPERLINK()", "caller_phone": "13900001111", "intake_type": "help", "class": "ordinary", "enterprise_name": "x", "category": "other"}, 400, "caller_name"},
		{map[string]any{"caller_name": "a", "caller_phone": "call me", "intake_type": "help", "class": "ordinary", "enterprise_name": "x", "category": "other"}, 400, "caller_phone"},
		{map[string]any{"caller_name": "a", "caller_phone": "13900001111", "intake_type": "gossip", "class": "ordinary", "enterprise_name": "x", "category": "other"}, 400, "intake_type"},
		{map[string]any{"caller_name": "a", "caller_phone": "13900001111", "intake_type": "help", "class": "hard", "enterprise_name": "x", "category": "other"}, 400, "class"},
		{map[string]any{"caller_name": "a", "caller_phone": "13900001111", "intake_type": "help", "class": "ordinary", "category": "other"}, 400, "enterprise"},
		{map[string]any{"caller_name": "a", "caller_phone": "13900001111", "intake_type": "help", "class": "ordinary", "enterprise_name": "x"}, 400, "category"},
		{map[string]any{"caller_name": "a", "caller_phone": "13900001111", "intake_type": "help", "class": "ordinary",
			"enterprise": "91320924MA1XXXXXXX", "category": "other"}, 400, "enterprise"},
	} {
		code, out := w.do(t, demo.HotlineLogin, "POST", "/api/v1/hotline/cases", tc.body)
		if code != tc.code || !strings.Contains(string(out), `"field":"`+tc.field+`"`) {
			t.Errorf("%v: %d %s, want %d naming %s", tc.body, code, out, tc.code, tc.field)
		}
	}
}

// heldCases: per world, a case held at the county for identification
// (filed by the hotline operator on first use), for the access table.
var heldCases sync.Map // *world → gridwarn.HotlineCase

// heldCase files (once per world) a case whose enterprise is not in the
// registry: it lies at the county, so town B sees nothing of it.
func (w *world) heldCase() gridwarn.HotlineCase {
	if c, ok := heldCases.Load(w); ok {
		return c.(gridwarn.HotlineCase)
	}
	ctx := context.Background()
	db := w.a.DB()
	if _, ok := w.tokens[demo.HotlineLogin]; !ok {
		u, err := db.UserByName(ctx, demo.HotlineLogin)
		if err != nil {
			panic(err)
		}
		_, secret, err := db.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "access", nil)
		if err != nil {
			panic(err)
		}
		w.tokens[demo.HotlineLogin] = secret
	}
	body, _ := json.Marshal(map[string]any{"caller_name": "钱七", "caller_phone": "13700001234", "intake_type": "complaint",
		"class": "ordinary", "enterprise_name": "无照加工点", "category": "wage_arrears"})
	req, _ := http.NewRequest("POST", "http://"+w.a.APIAddr()+"/api/v1/hotline/cases", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+w.tokens[demo.HotlineLogin])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var c gridwarn.HotlineCase
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		panic(fmt.Sprintf("file the held case: %d %v", resp.StatusCode, err))
	}
	heldCases.Store(w, c)
	return c
}

func init() {
	filing := func(w *world) any {
		return map[string]any{"caller_name": "孙八", "caller_phone": "13700005678", "intake_type": "help", "class": "ordinary",
			"enterprise": w.entA.CreditCode, "category": "other"}
	}
	accessTable["POST /api/v1/hotline/cases"] = access{
		// Operators work for the whole county: nobody of town B may file.
		path: func(*world) string { return "/api/v1/hotline/cases" }, body: filing,
		outsider: "admin-b", outsiderCode: 403, forbidden: "mediator-320924100-1",
	}
	accessTable["GET /api/v1/hotline/cases"] = access{
		path:     func(*world) string { return "/api/v1/hotline/cases" },
		outsider: "admin-b", outsiderCode: 200, hidden: func(w *world) string { return w.heldCase().WorkOrder },
		forbidden: "mediator-320924101-1",
	}
	accessTable["GET /api/v1/hotline/counts"] = access{
		// Town B's leader counts the cases about town B's enterprises: none
		// of the held ones.
		path:     func(w *world) string { w.heldCase(); return "/api/v1/hotline/counts" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"total":1` },
		forbidden: "mediator-320924101-1",
	}
	accessTable["GET /api/v1/hotline/cases/:id"] = access{
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/hotline/cases/%d", w.heldCase().ID) },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924100-1",
	}
	accessTable["POST /api/v1/hotline/cases/:id/link"] = access{
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/hotline/cases/%d/link", w.heldCase().ID) },
		body:     func(w *world) any { return map[string]string{"enterprise": w.entA.CreditCode} },
		outsider: "admin-b", outsiderCode: 404, forbidden: "leader",
	}
}

// The operator's console page.
func init() {
	uiAccessTable["GET /ui/hotline"] = uiAccess{
		path: func(*world) string { return "/ui/hotline" }, allowed: demo.HotlineLogin,
		// Operators work for the whole county: town B has none.
		outsider: "admin-b", outsiderCode: http.StatusForbidden, forbidden: "mediator-320924100-1",
	}
	uiAccessTable["POST /ui/hotline"] = uiAccess{
		path: func(*world) string { return "/ui/hotline" },
		form: func(*world) url.Values {
			return url.Values{"caller_name": {"周九"}, "caller_phone": {"13600001111"}, "intake_type": {"consultation"},
				"class": {"ordinary"}, "answered_on_call": {"true"}}
		},
		allowed: demo.HotlineLogin, outsider: "admin-b", outsiderCode: http.StatusForbidden, forbidden: "leader",
	}
	uiAccessTable["GET /ui/hotline/enterprises"] = uiAccess{
		path:    func(w *world) string { return "/ui/hotline/enterprises?q=" + w.entA.CreditCode[:12] },
		allowed: demo.HotlineLogin, outsider: "mediator-320924101-1", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.CreditCode },
	}
}

// The operator files on the page: the work-order number to read out, the
// case among the latest, the caller masked; the search finds the
// enterprise by part of its name.
func TestHotlinePage(t *testing.T) {
	w := hotlineWorld(t)
	op := signIn(t, w.a, demo.HotlineLogin)
	if code, loc := op.get("/ui/"); code != http.StatusSeeOther || loc != "/ui/hotline" {
		t.Errorf("the operator's home: %d %s, want /ui/hotline", code, loc)
	}
	code, body := op.get("/ui/hotline")
	if code != http.StatusOK || !strings.Contains(body, `id="caller_name"`) || !strings.Contains(body, "/ui/static/hotline.js") {
		t.Fatalf("page: %d %.500s", code, body)
	}
	name := []rune(strings.TrimSuffix(w.entA.Name, "有限公司"))
	part := string(name[max(0, len(name)-4):])
	code, body = op.get("/ui/hotline/enterprises?q=" + url.QueryEscape(part))
	if code != http.StatusOK || !strings.Contains(body, w.entA.CreditCode) {
		t.Errorf("search by part of the name %q: %d %s", part, code, body)
	}
	code, body = op.post("/ui/hotline", url.Values{"caller_name": {"吴十"}, "caller_phone": {"13500002222"}, "intake_type": {"help"},
		"class": {"difficult"}, "category": {"wage_arrears"}, "enterprise_name": {"河边作坊"}, "workers_involved": {"3"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(body, "/ui/hotline?filed=") {
		t.Fatalf("file: %d %.800s", code, body)
	}
	code, body = op.get(body)
	if code != http.StatusOK || !strings.Contains(body, `id="work-order"`) || !strings.Contains(body, "待认定企业") ||
		!strings.Contains(body, "135****2222") || strings.Contains(body, "13500002222") {
		t.Errorf("after filing: %d %.3000s", code, body)
	}
	// A refused form names the fields, in Chinese, and keeps what was typed.
	code, body = op.post("/ui/hotline", url.Values{"caller_name": {"吴十"}, "caller_phone": {"x"}, "intake_type": {"help"}, "class": {"ordinary"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "来电号码") || !strings.Contains(body, `value="吴十"`) {
		t.Errorf("refused: %d %.3000s", code, body)
	}
}

// The call-back at the end is the ticket's own call-back step: the
// mediator calls the caller back (their number from the identity read), and
// an unhappy caller sends the case back to work at the same tier.
func TestHotlineUnhappyCallerReopensTheCase(t *testing.T) {
	w := hotlineWorld(t)
	c := hotlineCase(t, w, demo.HotlineLogin, map[string]any{
		"caller_name": "郑一", "caller_phone": "13311112222", "intake_type": "complaint", "class": "ordinary",
		"enterprise": w.entA.CreditCode, "category": "wage_arrears", "workers_involved": 40,
	})
	ticket := waitHotlineTicket(t, w, c.ID)
	worker, head := "mediator-"+townA+"-2", "mediator-"+townA+"-1"
	for _, name := range []string{worker, head} {
		w.tokens[name] = testutil.MustToken(t, w.a.DB(), name)
	}
	path := fmt.Sprintf("/api/v1/tickets/%d", ticket)
	step := func(who, action string, body any) {
		t.Helper()
		var cur gridwarn.TicketDetail
		if code := call(t, w.a, w.tokens[who], "GET", path, nil, &cur); code != 200 {
			t.Fatalf("detail: %d", code)
		}
		if code := callIfMatch(t, w.a, w.tokens[who], path+"/"+action, cur.Version, body); code != 200 {
			t.Fatalf("%s by %s: %d", action, who, code)
		}
	}
	step(worker, "claim", nil)
	step(worker, "accept", nil)
	step(worker, "start", nil)
	step(worker, "reply", map[string]any{"outcome": map[string]any{"result": "paid_in_part", "amount_recovered_cny": 50000, "workers_covered": 40}})
	step(head, "review", map[string]any{"approved": true})
	step(worker, "callback", map[string]any{"satisfied": false})
	var d gridwarn.TicketDetail
	if code := call(t, w.a, w.tokens[worker], "GET", path, nil, &d); code != 200 || d.Status != gridwarn.StatusDispatched || d.Tier != gridwarn.TierTown {
		t.Errorf("after the unhappy call-back: %d %s at %s, want dispatched again at the town", code, d.Status, d.Tier)
	}
}
