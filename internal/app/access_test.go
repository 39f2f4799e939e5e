package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// world is the demo county served by a running app, with a ticket in town
// A (320924100) that a grid worker of town A reported, and people of town
// B (320924101) who must not see it.
type world struct {
	a       *app.App
	county  demo.CountyData
	tokens  map[string]string // by username, plus "revoked" and "expired"
	entA    gridwarn.Enterprise
	gridA   string
	ticketA int64
	userA   int64 // a mediator of town A
	tokenA  int64 // a token of that mediator
	// contactA links that mediator to entA ("1+x").
	contactA int64
	// After withReferrals: a court's commission (a county-tier ticket)
	// referred to the county's arbitration commission.
	commissionTicket int64
	referralID       int64
	// After withHandoff: ticketA shared with the demo's second county
	// (320923) for joint handling, and its linked case there.
	handoffID    string
	linkedTicket int64
	// ifMatch, when set, is the If-Match of the next POSTs about tickets.
	ifMatch string
}

const townA, townB = "320924100", "320924101"

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{a: MustRunApp(t), tokens: map[string]string{}}
	ctx := context.Background()
	db := w.a.DB()
	w.county = testutil.MustSeedDemoCounty(t, db)
	all := gridwarn.Visibility{All: true}
	for _, u := range []gridwarn.User{
		{Username: "admin-b", Role: gridwarn.RoleAdmin, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: townB}},
		{Username: "leader-b", Role: gridwarn.RoleLeader, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: townB}},
	} {
		if _, err := db.CreateUser(ctx, all, u); err != nil {
			t.Fatal(err)
		}
	}
	// A grid worker of town A and an enterprise of their grid.
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	for _, u := range w.county.Users {
		if u.Username == gw {
			w.gridA = u.Scope.GridCodes[0]
		}
	}
	for _, e := range w.county.Enterprises {
		if e.GridCode == w.gridA {
			w.entA = e
			break
		}
	}
	for _, name := range []string{"admin", "leader", gw, "gw-320924101-j01-1", "rpt-320924100", "rpt-320924101",
		"mediator-320924100-1", "mediator-320924101-1", "admin-b", "leader-b"} {
		w.tokens[name] = testutil.MustToken(t, db, name)
	}
	medA, err := db.UserByName(ctx, "mediator-320924100-1")
	if err != nil {
		t.Fatal(err)
	}
	w.userA = medA.ID
	tok, _, err := db.CreateToken(ctx, all, medA.ID, "to revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.tokenA = tok.ID
	// A revoked and an expired token of the county admin: both 401.
	adm, _ := db.UserByName(ctx, "admin")
	ca, err := db.AssignContact(ctx, &gridwarn.Principal{User: *adm}, gridwarn.ContactAssignment{Person: "mediator-320924100-1",
		Enterprise: w.entA.CreditCode, Workers: []gridwarn.ContactWorker{{Label: "KN-2025-017", Difficulty: gridwarn.DifficultyIllness}}})
	if err != nil {
		t.Fatal(err)
	}
	w.contactA = ca.ID
	rt, secret, _ := db.CreateToken(ctx, all, adm.ID, "revoked", nil)
	if err := db.RevokeToken(ctx, all, rt.ID); err != nil {
		t.Fatal(err)
	}
	w.tokens["revoked"] = secret
	past := time.Now().Add(-time.Minute)
	_, w.tokens["expired"], _ = db.CreateToken(ctx, all, adm.ID, "expired", &past)

	// The grid worker reports; the engine opens the ticket in town A.
	body := map[string]any{"id": "acc-1", "enterprise": w.entA.CreditCode, "category": "wage_arrears",
		"occurred_at": time.Now().Add(-time.Hour).Format(time.RFC3339), "workers_involved": 12}
	if code, out := w.do(t, gw, "POST", "/api/v1/reports", body); code != http.StatusAccepted {
		t.Fatalf("report: %d %s", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.ticketA == 0 {
		var page gridwarn.Page[gridwarn.Ticket]
		_, out := w.do(t, "admin", "GET", "/api/v1/tickets?enterprise="+w.entA.CreditCode, nil)
		_ = json.Unmarshal(out, &page)
		if len(page.Items) == 1 {
			w.ticketA = page.Items[0].ID
		} else if time.Now().After(deadline) {
			t.Fatalf("the reported ticket never appeared: %s", out)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return w
}

// do calls the API as the holder of token name ("" for no token).
func (w *world) do(t *testing.T, name, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string: // CSV
		rd, ctype = strings.NewReader(b), "text/csv"
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, "http://"+w.a.APIAddr()+path, rd)
	if method == "POST" && strings.HasPrefix(path, "/api/v1/tickets/") {
		req.Header.Set("If-Match", `"1"`) // the checks below come before the version's
		if w.ifMatch != "" {
			req.Header.Set("If-Match", w.ifMatch)
		}
	}
	if name != "" {
		tok, ok := w.tokens[name]
		if !ok {
			t.Fatalf("no token for %s", name)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// access is one route's row in the access table.
type access struct {
	// path and body of a request about town A's objects.
	path func(w *world) string
	body func(w *world) any
	// outsider: a person of town B whose role may take the action. Their
	// request must not reach town A's object: outsiderCode (404 for an
	// object, 422/400 for a body naming it, 200 for a list) and, for a
	// list, the answer must not mention it (hidden).
	outsider     string
	outsiderCode int
	hidden       func(w *world) string
	// forbidden: a role that may not take the action at all → 403 ("" when
	// every role may).
	forbidden string
}

// accessTable must have a row for every /api/v1 route: a new route that
// does not join it fails TestEveryRouteIsInTheAccessTable.
var accessTable = map[string]access{
	// Hand-offs between counties (issue 17 item 3): the two counties'
	// mediators and leaders who see the ticket or its linked case.
	"POST /api/v1/tickets/:id/handoff": {
		path: func(w *world) string { return fmt.Sprintf("/api/v1/tickets/%d/handoff", w.ticketA) },
		body: func(*world) any {
			return map[string]string{"to_county": "320923", "mode": "share", "reason": "joint_handling", "workers_home_county": "320923"}
		},
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"GET /api/v1/handoffs": {
		path: func(*world) string { return "/api/v1/handoffs" }, outsider: "mediator-320924101-1", outsiderCode: 200,
		hidden: func(w *world) string { return w.handoffID }, forbidden: "admin",
	},
	"GET /api/v1/handoffs/:id": {
		path:     func(w *world) string { return "/api/v1/handoffs/" + w.handoffID },
		outsider: "leader-b", outsiderCode: 404, forbidden: "admin",
	},
	"POST /api/v1/handoffs/:id/accept": {
		path:     func(w *world) string { return "/api/v1/handoffs/" + w.handoffID + "/accept" },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "admin",
	},
	"POST /api/v1/handoffs/:id/decline": {
		path:     func(w *world) string { return "/api/v1/handoffs/" + w.handoffID + "/decline" },
		body:     func(*world) any { return map[string]string{"reason": "工人不在本县"} },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	// Referrals (issue 17 item 2): partners' tokens, scoped to their body.
	"GET /api/v1/partners": {
		path: func(*world) string { return "/api/v1/partners" }, outsider: "leader-b", outsiderCode: 200, forbidden: "mediator-320924100-1",
	},
	"POST /api/v1/partners": {
		path: func(*world) string { return "/api/v1/partners" },
		body: func(*world) any {
			return map[string]string{"kind": "legal_aid", "name": "射阳县法律援助中心", "username": "legal-aid-320924"}
		},
		outsider: "admin-b", outsiderCode: 403, forbidden: "leader",
	},
	"GET /api/v1/referrals": {
		path: func(*world) string { return "/api/v1/referrals" }, outsider: "insp", outsiderCode: 200,
		hidden: func(*world) string { return "第101号" }, forbidden: "mediator-county-1",
	},
	"GET /api/v1/referrals/:id": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/referrals/%d", w.referralID) },
		outsider: "insp", outsiderCode: 404, forbidden: "admin",
	},
	"POST /api/v1/referrals/:id/updates": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/referrals/%d/updates", w.referralID) },
		body:     func(*world) any { return map[string]string{"kind": "accepted", "on_date": "2026-12-01"} },
		outsider: "court", outsiderCode: 404, forbidden: "mediator-county-1",
	},
	"POST /api/v1/referrals/commissions": {
		// Only a court commissions: the arbitration commission is refused.
		path: func(*world) string { return "/api/v1/referrals/commissions" },
		body: func(w *world) any {
			return map[string]any{"reference": "（2026）苏0924民初78号", "enterprise": w.entA.CreditCode, "due_on": "2099-12-31"}
		},
		outsider: "arb", outsiderCode: 403, forbidden: "leader",
	},
	"GET /api/v1/me": {
		path: func(*world) string { return "/api/v1/me" }, outsider: "mediator-320924101-1", outsiderCode: 200,
		hidden: func(w *world) string { return "mediator-320924100-1" },
	},
	"POST /api/v1/reports": {
		path: func(*world) string { return "/api/v1/reports" },
		body: func(w *world) any {
			return map[string]any{"id": "acc-out-1", "enterprise": w.entA.CreditCode, "category": "other", "occurred_at": "2026-11-20T09:00:00+08:00"}
		},
		outsider: "rpt-320924101", outsiderCode: 422, forbidden: "mediator-320924100-1",
	},
	"GET /api/v1/tickets": {
		path:     func(w *world) string { return "/api/v1/tickets?enterprise=" + w.entA.CreditCode },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
		forbidden: "rpt-320924100",
	},
	"GET /api/v1/tickets/:id": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/tickets/%d", w.ticketA) },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"GET /api/v1/tickets/:id/history": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/tickets/%d/history", w.ticketA) },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"POST /api/v1/tickets/:id/reporters": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/tickets/%d/reporters", w.ticketA) },
		body:     func(*world) any { return map[string]string{"reason": "call back"} },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "admin",
	},
	"GET /api/v1/audit/identity-reads": {
		// The log is the county's: a town administrator may not read it.
		path:     func(*world) string { return "/api/v1/audit/identity-reads" },
		outsider: "admin-b", outsiderCode: 403, forbidden: "leader",
	},
	"PUT /api/v1/users/:id/identity-reader": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/users/%d/identity-reader", w.userA) },
		body:     func(*world) any { return map[string]bool{"granted": true} },
		outsider: "admin-b", outsiderCode: 403, forbidden: "leader",
	},
	"GET /api/v1/tickets/export": {
		path:     func(w *world) string { return "/api/v1/tickets/export?enterprise=" + w.entA.CreditCode },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
		forbidden: "rpt-320924100",
	},
	"POST /api/v1/tickets/bulk-assign": {
		path: func(*world) string { return "/api/v1/tickets/bulk-assign" },
		body: func(w *world) any {
			return map[string]any{"items": []map[string]int64{{"id": w.ticketA, "version": 1}}, "assignee": "mediator-320924101-1"}
		},
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(*world) string { return `"status":200` },
		forbidden: "rpt-320924100",
	},
	"POST /api/v1/tickets/bulk-merge": {
		path: func(*world) string { return "/api/v1/tickets/bulk-merge" },
		body: func(w *world) any {
			return map[string]any{"items": []map[string]int64{{"id": w.ticketA, "version": 1}}, "into": w.ticketA}
		},
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(*world) string { return `"status":200` },
		forbidden: "rpt-320924100",
	},
	"GET /api/v1/queue": {
		path:     func(*world) string { return "/api/v1/queue" },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
		forbidden: "gw-320924101-j01-1",
	},
	"POST /api/v1/queue/claim": {
		path:     func(*world) string { return "/api/v1/queue/claim" },
		outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"POST /api/v1/visits": {
		path: func(*world) string { return "/api/v1/visits" },
		body: func(w *world) any {
			return map[string]any{"id": "acc-visit-out", "enterprise": w.entA.CreditCode, "visited_on": today(), "kind": "patrol"}
		},
		outsider: "gw-320924101-j01-1", outsiderCode: 422, forbidden: "rpt-320924100",
	},
	"GET /api/v1/visits": {
		path:     func(*world) string { return "/api/v1/visits?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"GET /api/v1/visits/overdue": {
		path:     func(*world) string { return "/api/v1/visits/overdue" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
		forbidden: "rpt-320924100",
	},
	"GET /api/v1/coverage": {
		path:     func(*world) string { return "/api/v1/coverage?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"PUT /api/v1/enterprises/:code/union": {
		path: func(w *world) string { return "/api/v1/enterprises/" + w.entA.CreditCode + "/union" },
		body: func(*world) any {
			return map[string]any{"has_union": true, "union_since": "2019-05-01", "union_members": 30}
		},
		outsider: "admin-b", outsiderCode: 404, forbidden: "leader",
	},
	"POST /api/v1/enterprises/union/import": {
		path:     func(*world) string { return "/api/v1/enterprises/union/import?dry_run=true" },
		body:     func(w *world) any { return "credit_code,has_union\n" + w.entA.CreditCode + ",true\n" },
		outsider: "admin-b", outsiderCode: 400, forbidden: "leader",
	},
	"GET /api/v1/contacts": {
		path:     func(*world) string { return "/api/v1/contacts" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"person":"mediator-320924100-1"` },
		forbidden: "rpt-320924100",
	},
	"POST /api/v1/contacts": {
		path: func(*world) string { return "/api/v1/contacts" },
		body: func(w *world) any {
			return map[string]any{"person": "mediator-320924100-2", "enterprise": w.entA.CreditCode}
		},
		outsider: "admin-b", outsiderCode: 422, forbidden: "leader",
	},
	"POST /api/v1/contacts/import": {
		path: func(*world) string { return "/api/v1/contacts/import?dry_run=true" },
		body: func(w *world) any {
			return "用户名,统一社会信用代码\nmediator-320924100-2," + w.entA.CreditCode + "\n"
		},
		outsider: "admin-b", outsiderCode: 400, forbidden: "leader",
	},
	"GET /api/v1/contacts/:id": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/contacts/%d", w.contactA) },
		outsider: "leader-b", outsiderCode: 404, forbidden: "rpt-320924100",
	},
	"PUT /api/v1/contacts/:id": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/contacts/%d", w.contactA) },
		body:     func(*world) any { return map[string]any{"workers": []any{}} },
		outsider: "admin-b", outsiderCode: 404, forbidden: "leader",
	},
	"POST /api/v1/contacts/:id/end": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/contacts/%d/end", w.contactA) },
		body:     func(*world) any { return map[string]any{"reason": "调岗"} },
		outsider: "admin-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"GET /api/v1/summaries/monthly": {
		path:     func(*world) string { return "/api/v1/summaries/monthly" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"unit_code":"` + townA + `"` },
		forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/summaries/monthly/:period": {
		path:     func(*world) string { return "/api/v1/summaries/monthly/" + lastMonth() + "?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/summaries/quarterly": {
		path:     func(*world) string { return "/api/v1/summaries/quarterly" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"unit_code":"` + townA + `"` },
		forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/summaries/quarterly/:period": {
		path:     func(*world) string { return "/api/v1/summaries/quarterly/2026-Q3?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/circulars/unionization": {
		path:     func(*world) string { return "/api/v1/circulars/unionization" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"unit_code":"` + townA + `"` },
		forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/circulars/unionization/:period": {
		path:     func(*world) string { return "/api/v1/circulars/unionization/" + lastMonth() + "?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/unionization": {
		path:     func(*world) string { return "/api/v1/unionization?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924100-1",
	},
	"GET /api/v1/summaries/weekly": {
		path:     func(*world) string { return "/api/v1/summaries/weekly" },
		outsider: "leader-b", outsiderCode: 200, hidden: func(*world) string { return `"unit_code":"` + townA + `"` },
		forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/summaries/weekly/:week": {
		path:     func(*world) string { return "/api/v1/summaries/weekly/2026-W01?unit=" + townA },
		outsider: "leader-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"GET /api/v1/rules": {
		path:     func(*world) string { return "/api/v1/rules" },
		outsider: "mediator-320924101-1", outsiderCode: 200, forbidden: "rpt-320924100",
	},
	"POST /api/v1/rules/reload": {
		path:     func(*world) string { return "/api/v1/rules/reload" },
		outsider: "admin-b", outsiderCode: 200, forbidden: "leader",
	},
	"GET /api/v1/units": {
		path:     func(*world) string { return "/api/v1/units" },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(*world) string { return `"` + townA + `"` },
	},
	"GET /api/v1/units/:code": {
		path:     func(*world) string { return "/api/v1/units/" + townA },
		outsider: "mediator-320924101-1", outsiderCode: 404,
	},
	"PUT /api/v1/units/:code": {
		path: func(*world) string { return "/api/v1/units/" + townA },
		body: func(*world) any {
			return map[string]any{"kind": "town", "town_type": "town", "parent_code": "320924", "name_zh": "改名"}
		},
		outsider: "admin-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"GET /api/v1/grids": {
		path:     func(*world) string { return "/api/v1/grids?town=" + townA },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.gridA },
	},
	"GET /api/v1/grids/:code": {
		path:     func(w *world) string { return "/api/v1/grids/" + w.gridA },
		outsider: "mediator-320924101-1", outsiderCode: 404,
	},
	"PUT /api/v1/grids/:code": {
		path: func(w *world) string { return "/api/v1/grids/" + w.gridA },
		body: func(*world) any {
			return map[string]any{"town_code": townA, "kind": "joint", "name": "改名", "industry": "C"}
		},
		outsider: "admin-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"GET /api/v1/enterprises": {
		path:     func(w *world) string { return "/api/v1/enterprises?q=" + w.entA.CreditCode[:12] },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
	},
	"GET /api/v1/enterprises/:code": {
		path:     func(w *world) string { return "/api/v1/enterprises/" + w.entA.CreditCode },
		outsider: "gw-320924101-j01-1", outsiderCode: 404,
	},
	"PUT /api/v1/enterprises/:code": {
		path: func(w *world) string { return "/api/v1/enterprises/" + w.entA.CreditCode },
		body: func(w *world) any {
			return map[string]any{"name": "改名", "industry_code": "C17", "ownership": "private", "headcount": 10,
				"compliance_grade": "B", "town_code": townB, "grid_code": "320924101-J01"}
		},
		outsider: "admin-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"POST /api/v1/enterprises/import": {
		path: func(*world) string { return "/api/v1/enterprises/import" },
		body: func(w *world) any {
			return "credit_code,name,industry_code,ownership,headcount,compliance_grade,town_code,grid_code\n" +
				w.entA.CreditCode + ",改名,C17,private,10,B," + townB + ",320924101-J01\n"
		},
		outsider: "admin-b", outsiderCode: 400, forbidden: "gw-320924101-j01-1",
	},
	"GET /api/v1/enterprises/export": {
		path:     func(*world) string { return "/api/v1/enterprises/export" },
		outsider: "mediator-320924101-1", outsiderCode: 200, hidden: func(w *world) string { return w.entA.CreditCode },
	},
	"GET /api/v1/users": {
		path:     func(*world) string { return "/api/v1/users?limit=100" },
		outsider: "admin-b", outsiderCode: 200, hidden: func(*world) string { return "mediator-320924100-1" },
		forbidden: "mediator-320924101-1",
	},
	"POST /api/v1/users": {
		path: func(*world) string { return "/api/v1/users" },
		body: func(*world) any {
			return map[string]any{"username": "intruder", "role": "mediator", "scope": map[string]any{"kind": "town", "unit_code": townA}}
		},
		outsider: "admin-b", outsiderCode: 400, forbidden: "leader",
	},
	"GET /api/v1/users/:id": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/users/%d", w.userA) },
		outsider: "leader-b", outsiderCode: 404, forbidden: "mediator-320924101-1",
	},
	"GET /api/v1/users/:id/tokens": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/users/%d/tokens", w.userA) },
		outsider: "admin-b", outsiderCode: 404, forbidden: "gw-320924101-j01-1",
	},
	"POST /api/v1/users/:id/tokens": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/users/%d/tokens", w.userA) },
		body:     func(*world) any { return map[string]string{"name": "stolen"} },
		outsider: "admin-b", outsiderCode: 404, forbidden: "leader",
	},
	"POST /api/v1/tokens/:id/revoke": {
		path:     func(w *world) string { return fmt.Sprintf("/api/v1/tokens/%d/revoke", w.tokenA) },
		outsider: "admin-b", outsiderCode: 404, forbidden: "leader",
	},
	"GET /api/v1/feed": {
		path:     func(*world) string { return "/api/v1/feed?after=0&limit=1000" },
		outsider: "leader-b", outsiderCode: 200, forbidden: "mediator-320924101-1",
		hidden: func(w *world) string { return fmt.Sprintf(`"subject":"tickets/%d"`, w.ticketA) },
	},
	"GET /api/v1/dead-letters": {
		path:     func(*world) string { return "/api/v1/dead-letters" },
		outsider: "leader-b", outsiderCode: 200, forbidden: "gw-320924101-j01-1",
	},
}

// Every action of the state machine is a route of its own: a person of
// another town cannot reach town A's ticket (404), a reporter may not act
// on tickets at all (403).
func init() {
	actions := map[string]any{
		"claim": nil, "unclaim": nil, "assign": map[string]string{"assignee": "mediator-320924101-1"}, "dispatch": nil,
		"accept": nil, "start": nil, "reply": map[string]any{"outcome": map[string]string{"result": "withdrawn"}},
		"review": map[string]bool{"approved": true}, "callback": map[string]bool{"satisfied": true}, "close": map[string]string{"note": "x"},
		"return": map[string]string{"reason": "x"}, "escalate": map[string]string{"reason": "x"},
		"hand-down": map[string]string{"instructions": "x"}, "extend": map[string]string{"due_at": "2030-01-01T00:00:00Z", "reason": "x"},
		"reopen": map[string]string{"reason": "x"}, "merge": map[string]int{"into": 99}, "refer": map[string]string{"body": "court", "reference": "x"},
		"notes": map[string]string{"note": "x"}, "contacts": map[string]any{"contact": map[string]string{"kind": "phone_call", "held_at": "2026-11-20T09:00:00Z"}},
		"follow-ups": map[string]any{"follow_up_on": "2026-12-01", "paid": true},
	}
	for name, body := range actions {
		accessTable["POST /api/v1/tickets/:id/"+name] = access{
			path:     func(w *world) string { return fmt.Sprintf("/api/v1/tickets/%d/%s", w.ticketA, name) },
			body:     func(*world) any { return body },
			outsider: "mediator-320924101-1", outsiderCode: 404, forbidden: "rpt-320924100",
		}
	}
}

func TestEveryRouteIsInTheAccessTable(t *testing.T) {
	w := newWorld(t)
	w.withReferrals(t)
	w.withHandoff(t)
	routes := w.a.Routes()
	seen := map[string]bool{}
	for _, r := range routes {
		if !strings.HasPrefix(r, "GET /api/") && !strings.HasPrefix(r, "POST /api/") && !strings.HasPrefix(r, "PUT /api/") &&
			!strings.HasPrefix(r, "PATCH /api/") && !strings.HasPrefix(r, "DELETE /api/") {
			continue
		}
		seen[r] = true
		if _, ok := accessTable[r]; !ok {
			t.Errorf("route %s is not in the access table", r)
		}
	}
	for r := range accessTable {
		if !seen[r] {
			t.Errorf("the access table names %s, which is not a route", r)
		}
	}

	for name, row := range accessTable {
		t.Run(name, func(t *testing.T) {
			method, _, _ := strings.Cut(name, " ")
			path := row.path(w)
			var body any
			if row.body != nil {
				body = row.body(w)
			}
			for _, tok := range []string{"", "revoked", "expired"} {
				if code, out := w.do(t, tok, method, path, body); code != http.StatusUnauthorized || !strings.Contains(string(out), `"detail":"authentication required"`) {
					t.Errorf("token %q: %d %s, want 401 saying only that authentication is required", tok, code, out)
				}
			}
			if row.forbidden != "" {
				if code, out := w.do(t, row.forbidden, method, path, body); code != http.StatusForbidden {
					t.Errorf("%s: %d %s, want 403", row.forbidden, code, out)
				}
			}
			code, out := w.do(t, row.outsider, method, path, body)
			if code != row.outsiderCode {
				t.Errorf("%s from the other town: %d %s, want %d", row.outsider, code, out, row.outsiderCode)
			}
			if row.hidden != nil && strings.Contains(string(out), row.hidden(w)) {
				t.Errorf("%s from the other town sees %s: %s", row.outsider, row.hidden(w), out)
			}
		})
	}

	// The grid worker sees the ticket their report fed, and only that one.
	var page gridwarn.Page[gridwarn.Ticket]
	_, out := w.do(t, demo.DemoLogins()[gridwarn.RoleGridWorker], "GET", "/api/v1/tickets", nil)
	if err := json.Unmarshal(out, &page); err != nil || len(page.Items) != 1 || page.Items[0].ID != w.ticketA {
		t.Errorf("grid worker's tickets: %s, want exactly their report's ticket %d", out, w.ticketA)
	}
	// The same report retried with the same id is one event.
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	body := map[string]any{"id": "acc-1", "enterprise": w.entA.CreditCode, "category": "wage_arrears",
		"occurred_at": time.Now().Add(-time.Hour).Format(time.RFC3339), "workers_involved": 12}
	if code, out := w.do(t, gw, "POST", "/api/v1/reports", body); code != http.StatusAccepted || !strings.Contains(string(out), `"duplicate":true`) {
		t.Errorf("retried report: %d %s, want 202 duplicate", code, out)
	}
	var events int
	if err := w.a.DB().Pool().QueryRow(context.Background(), "SELECT count(*) FROM events WHERE id = 'acc-1'").Scan(&events); err != nil || events != 1 {
		t.Errorf("events with the retried id = %d (%v), want 1", events, err)
	}
}
