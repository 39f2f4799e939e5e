package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// v1Route is one /api/v1 route, the action it must be declared with, and
// a request to it that a role allowed to take the action may send.
type v1Route struct {
	method, path string // as in openapi.yaml
	action       authz.Action
	sample       request
}

// Sample bodies.
const (
	okReportBody     = `{"enterprise":"%s","category":"wage_arrears","occurred_at":"2025-03-01T08:00:00+08:00","workers_involved":12}`
	okEnterpriseBody = `{"name":"测试企业","industry_code":"C1713","ownership":"private","headcount":320,"has_union":true,` +
		`"has_mediation_committee":false,"compliance_grade":"A","registered_capital_cny":5000000,"key_enterprise":true,` +
		`"town_code":"320924100","grid_code":"320924100-J01"}`
	okUserBody  = `{"username":"new.med","display_name":"新调解员","role":"mediator","scope":{"kind":"town","unit_code":"320924100"},"tier_head":false}`
	okUnitBody  = `{"kind":"town","town_type":"subdistrict","parent_code":"320924","name_zh":"新街道","name_en":"New"}`
	okGridBody  = `{"town_code":"320924100","kind":"joint","name":"合德镇联合网格二","industry":"E","workers":["gw1"]}`
	okCSVHeader = "credit_code,name,industry_code,ownership,headcount,has_union,has_mediation_committee,compliance_grade,registered_capital_cny,key_enterprise,town_code,grid_code\n"
)

// v1Routes lists every /api/v1 route with its action: the table the role
// matrix and the document's role lists are checked against. A route added
// to routes() without a line here fails TestRoleMatrix. The samples run on
// an API holding tickets 1..3, 3 dead letters and the tickets of seedWork;
// a sample of authz.ChangeTickets must succeed for med1 (tokMediator).
func v1Routes() []v1Route {
	js := "application/json"
	routes := []v1Route{
		{"GET", "/api/v1/me", authz.ReadSelf, request{target: "/api/v1/me"}},
		{"POST", "/api/v1/reports", authz.CreateReports, request{method: "POST", target: "/api/v1/reports", contentType: js,
			body: strings.Replace(okReportBody, "%s", testEnterprise, 1), header: map[string]string{"Idempotency-Key": "matrix-1"}}},
		{"GET", "/api/v1/tickets", authz.ReadTickets, request{target: "/api/v1/tickets"}},
		{"GET", "/api/v1/tickets/{id}", authz.ReadTickets, request{target: "/api/v1/tickets/1"}},
		{"GET", "/api/v1/tickets/{id}/history", authz.ReadTickets, request{target: "/api/v1/tickets/1/history"}},
		{"POST", "/api/v1/tickets/{id}/reporters", authz.ReadIdentities, request{target: "/api/v1/tickets/1/reporters", contentType: js, body: `{"reason":"call back"}`}},
		{"GET", "/api/v1/audit/identity-reads", authz.AuditIdentities, request{target: "/api/v1/audit/identity-reads"}},
		{"PUT", "/api/v1/users/{id}/identity-reader", authz.WriteUsers, request{target: "/api/v1/users/3/identity-reader", contentType: js, body: `{"granted":true}`}},
		{"GET", "/api/v1/queue", authz.ChangeTickets, request{target: "/api/v1/queue?unclaimed=true&limit=5"}},
		{"POST", "/api/v1/queue/claim", authz.ChangeTickets, request{method: "POST", target: "/api/v1/queue/claim"}},
		{"GET", "/api/v1/tickets/export", authz.ReadTickets, request{target: "/api/v1/tickets/export?level=blue"}},
		{"POST", "/api/v1/tickets/bulk-assign", authz.ChangeTickets, request{method: "POST", target: "/api/v1/tickets/bulk-assign", contentType: js,
			body: `{"items":[{"id":202,"version":4}],"assignee":"med2"}`}},
		{"POST", "/api/v1/tickets/bulk-merge", authz.ChangeTickets, request{method: "POST", target: "/api/v1/tickets/bulk-merge", contentType: js,
			body: `{"items":[{"id":203,"version":4}],"into":202}`}},
		{"GET", "/api/v1/units", authz.ReadRegistry, request{target: "/api/v1/units"}},
		{"GET", "/api/v1/units/{code}", authz.ReadRegistry, request{target: "/api/v1/units/" + testCounty}},
		{"PUT", "/api/v1/units/{code}", authz.WriteRegistry, request{method: "PUT", target: "/api/v1/units/320924102", contentType: js, body: okUnitBody}},
		{"GET", "/api/v1/grids", authz.ReadRegistry, request{target: "/api/v1/grids"}},
		{"GET", "/api/v1/grids/{code}", authz.ReadRegistry, request{target: "/api/v1/grids/" + testGridA}},
		{"PUT", "/api/v1/grids/{code}", authz.WriteRegistry, request{method: "PUT", target: "/api/v1/grids/320924100-J02", contentType: js, body: okGridBody}},
		{"GET", "/api/v1/enterprises", authz.ReadRegistry, request{target: "/api/v1/enterprises"}},
		{"GET", "/api/v1/enterprises/{code}", authz.ReadRegistry, request{target: "/api/v1/enterprises/" + testEnterprise}},
		{"PUT", "/api/v1/enterprises/{code}", authz.WriteRegistry, request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise, contentType: js, body: okEnterpriseBody}},
		{"POST", "/api/v1/enterprises/import", authz.WriteRegistry, request{method: "POST", target: "/api/v1/enterprises/import?dry_run=true", contentType: "text/csv",
			body: okCSVHeader + testEnterprise + ",测试企业,C17,private,50,false,false,B,0,false,320924100,320924100-J01\n"}},
		{"GET", "/api/v1/enterprises/export", authz.ReadRegistry, request{target: "/api/v1/enterprises/export"}},
		{"GET", "/api/v1/users", authz.ReadUsers, request{target: "/api/v1/users"}},
		{"POST", "/api/v1/users", authz.WriteUsers, request{method: "POST", target: "/api/v1/users", contentType: js, body: okUserBody}},
		{"GET", "/api/v1/users/{id}", authz.ReadUsers, request{target: "/api/v1/users/3"}},
		{"GET", "/api/v1/users/{id}/tokens", authz.ReadUsers, request{target: "/api/v1/users/3/tokens"}},
		{"POST", "/api/v1/users/{id}/tokens", authz.WriteUsers, request{method: "POST", target: "/api/v1/users/3/tokens", contentType: js, body: `{"name":"laptop"}`}},
		{"POST", "/api/v1/tokens/{id}/revoke", authz.WriteUsers, request{method: "POST", target: "/api/v1/tokens/30/revoke"}},
		{"GET", "/api/v1/dead-letters", authz.ReadDeadLetters, request{target: "/api/v1/dead-letters"}},
		{"GET", "/api/v1/feed", authz.ReadFeed, request{target: "/api/v1/feed?after=0&limit=10"}},
		{"POST", "/api/v1/platforms", authz.WriteUsers, request{method: "POST", target: "/api/v1/platforms", contentType: js,
			body: `{"name":"射阳县一体化数据共享平台","username":"platform2"}`}},
		{"GET", "/api/v1/rules", authz.ReadRules, request{target: "/api/v1/rules"}},
		{"GET", "/api/v1/summaries/weekly", authz.ReadSummaries, request{target: "/api/v1/summaries/weekly"}},
		{"GET", "/api/v1/summaries/weekly/{week}", authz.ReadSummaries, request{target: "/api/v1/summaries/weekly/2026-W47"}},
		{"POST", "/api/v1/rules/reload", authz.ManageRules, request{method: "POST", target: "/api/v1/rules/reload"}},
		{"POST", "/api/v1/visits", authz.RecordVisits, request{method: "POST", target: "/api/v1/visits", contentType: js,
			body: `{"id":"v-1","enterprise":"` + testEnterprise + `","visited_on":"2026-12-01","kind":"patrol"}`}},
		{"GET", "/api/v1/visits", authz.ReadVisits, request{target: "/api/v1/visits?period=2026-11"}},
		{"GET", "/api/v1/visits/overdue", authz.ReadVisits, request{target: "/api/v1/visits/overdue"}},
		{"GET", "/api/v1/coverage", authz.ReadVisits, request{target: "/api/v1/coverage?period=2026-Q4"}},
		{"PUT", "/api/v1/enterprises/{code}/union", authz.WriteRegistry, request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise + "/union",
			contentType: js, body: `{"has_union":true,"union_since":"2019-05-01","union_members":30,"joint_union":"","has_mediation_committee":false,"opened_on":"2010-01-01"}`}},
		{"POST", "/api/v1/enterprises/union/import", authz.WriteRegistry, request{method: "POST", target: "/api/v1/enterprises/union/import?dry_run=true",
			contentType: "text/csv", body: "统一社会信用代码,是否建会\n" + testEnterprise + ",是\n"}},
		{"GET", "/api/v1/unionization", authz.ReadSummaries, request{target: "/api/v1/unionization"}},
		{"GET", "/api/v1/contacts", authz.ReadContacts, request{target: "/api/v1/contacts?person=me&ended=true"}},
		{"POST", "/api/v1/contacts", authz.WriteContacts, request{method: "POST", target: "/api/v1/contacts", contentType: js,
			body: `{"person":"med1","enterprise":"` + testEnterprise + `","workers":[{"label":"KN-2025-017","difficulty":"illness","since":"2025-03-01","note":"因病"}]}`}},
		{"POST", "/api/v1/contacts/import", authz.WriteContacts, request{method: "POST", target: "/api/v1/contacts/import?dry_run=true",
			contentType: "text/csv", body: "用户名,统一社会信用代码,困难职工编号,困难类型\nmed1," + testEnterprise + ",KN-1,因病\n"}},
		{"GET", "/api/v1/contacts/{id}", authz.ReadContacts, request{target: "/api/v1/contacts/1"}},
		{"PUT", "/api/v1/contacts/{id}", authz.WriteContacts, request{method: "PUT", target: "/api/v1/contacts/1", contentType: js,
			body: `{"workers":[{"label":"KN-2026-003","difficulty":"wage_arrears"}]}`}},
		{"POST", "/api/v1/contacts/{id}/end", authz.WriteContacts, request{method: "POST", target: "/api/v1/contacts/1/end", contentType: js,
			body: `{"reason":"调岗"}`}},
		{"GET", "/api/v1/summaries/monthly", authz.ReadSummaries, request{target: "/api/v1/summaries/monthly"}},
		{"GET", "/api/v1/summaries/monthly/{period}", authz.ReadSummaries, request{target: "/api/v1/summaries/monthly/2026-11"}},
		{"GET", "/api/v1/summaries/quarterly", authz.ReadSummaries, request{target: "/api/v1/summaries/quarterly"}},
		{"GET", "/api/v1/summaries/quarterly/{period}", authz.ReadSummaries, request{target: "/api/v1/summaries/quarterly/2026-Q3"}},
		{"GET", "/api/v1/circulars/unionization", authz.ReadSummaries, request{target: "/api/v1/circulars/unionization"}},
		{"GET", "/api/v1/circulars/unionization/{period}", authz.ReadSummaries, request{target: "/api/v1/circulars/unionization/2026-Q4"}},
		{"POST", "/api/v1/hotline/cases", authz.FileHotlineCases, request{method: "POST", target: "/api/v1/hotline/cases", contentType: js,
			body: `{"caller_name":"王小明","caller_phone":"13812345678","intake_type":"consultation","class":"ordinary","answered_on_call":true}`}},
		{"GET", "/api/v1/hotline/cases", authz.ReadHotlineCases, request{target: "/api/v1/hotline/cases"}},
		{"GET", "/api/v1/hotline/counts", authz.ReadHotlineCases, request{target: "/api/v1/hotline/counts?period=2026-12"}},
		{"GET", "/api/v1/hotline/cases/{id}", authz.ReadHotlineCases, request{target: "/api/v1/hotline/cases/1"}},
		{"POST", "/api/v1/hotline/cases/{id}/link", authz.LinkHotlineCases, request{method: "POST", target: "/api/v1/hotline/cases/1/link",
			contentType: js, body: `{"enterprise":"` + testEnterprise + `"}`}},
		{"GET", "/api/v1/partners", authz.ReadUsers, request{target: "/api/v1/partners"}},
		{"POST", "/api/v1/partners", authz.WriteUsers, request{method: "POST", target: "/api/v1/partners", contentType: js,
			body: `{"kind":"arbitration","name":"射阳县劳动人事争议仲裁委员会","username":"arb2"}`}},
		{"GET", "/api/v1/referrals", authz.ReadReferrals, request{target: "/api/v1/referrals"}},
		{"GET", "/api/v1/referrals/{id}", authz.ReadReferrals, request{target: "/api/v1/referrals/1"}},
		{"POST", "/api/v1/referrals/{id}/updates", authz.UpdateReferrals, request{method: "POST", target: "/api/v1/referrals/1/updates", contentType: js,
			body: `{"kind":"award","on_date":"2026-12-01","amount_cny":120000,"owed_cny":86000,"pay_by":"2027-01-20"}`}},
		{"POST", "/api/v1/referrals/commissions", authz.UpdateReferrals, request{method: "POST", target: "/api/v1/referrals/commissions", contentType: js,
			body: `{"reference":"（2026）苏0924民初1234号","enterprise":"` + testEnterprise + `","due_on":"2026-12-31"}`}},
		{"POST", "/api/v1/tickets/{id}/handoff", authz.ChangeTickets, request{method: "POST", target: "/api/v1/tickets/1/handoff", contentType: js,
			header: map[string]string{"If-Match": `"1"`},
			body:   `{"to_county":"320923","mode":"hand","reason":"workers_home","workers_home_county":"320923","note":"工人已返乡"}`}},
		{"GET", "/api/v1/handoffs", authz.ChangeTickets, request{target: "/api/v1/handoffs?ticket_id=1"}},
		{"GET", "/api/v1/handoffs/{id}", authz.ChangeTickets, request{target: "/api/v1/handoffs/" + fakeHandoffID}},
		{"POST", "/api/v1/handoffs/{id}/accept", authz.ChangeTickets, request{method: "POST", target: "/api/v1/handoffs/" + fakeHandoffID + "/accept"}},
		{"POST", "/api/v1/handoffs/{id}/decline", authz.ChangeTickets, request{method: "POST", target: "/api/v1/handoffs/" + fakeHandoffID + "/decline",
			contentType: js, body: `{"reason":"工人不在本县"}`}},
	}
	// The state machine's actions: each sample is for med1 (a mediator of
	// town A, head of the tier, holding the lease) on the tickets of
	// seedWork, with If-Match matching.
	for _, a := range workflow.Actions {
		routes = append(routes, v1Route{"POST", "/api/v1/tickets/{id}/" + actionRoutes[a], authz.ChangeTickets, sampleRequest(a)})
	}
	return routes
}

// rolesFor lists the roles that may take a, in the order of gridwarn.Roles.
func rolesFor(a authz.Action) []string {
	var out []string
	for _, r := range gridwarn.Roles {
		if authz.Can(r, a) {
			out = append(out, string(r))
		}
	}
	return out
}

// TestRoleMatrix sends every /api/v1 route as every role: a role that may
// not take the route's action gets 403 before anything else is looked at;
// a role that may is let through. On the state machine's routes
// (authz.ChangeTickets) the sample succeeds for the mediator; another role
// let through may still be refused by the state machine (403 naming who
// may, or 409), never by authz.
func TestRoleMatrix(t *testing.T) {
	a := mustNewAPI(t, 3, 3, nil, nil)
	listed := map[string]bool{}
	for _, rt := range v1Routes() {
		listed[rt.method+" "+rt.path] = true
	}
	for _, r := range a.h.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		if p := openAPIPath(r.Path); !listed[r.Method+" "+p] {
			t.Errorf("route %s %s is not in v1Routes: add it with its action", r.Method, p)
		}
	}

	for _, rt := range v1Routes() {
		for _, role := range gridwarn.Roles {
			t.Run(rt.method+" "+rt.path+" as "+string(role), func(t *testing.T) {
				a := mustNewAPI(t, 3, 3, nil, nil) // each sample on its own state
				req := rt.sample
				req.method = rt.method
				req.token = roleTokens[role]
				rec := a.do(t, req)
				path := strings.SplitN(req.target, "?", 2)[0]
				if !authz.Can(role, rt.action) {
					p := mustProblem(t, rec, path, http.StatusForbidden, gridwarn.EFORBIDDEN)
					if len(p.Errors) != 0 {
						t.Errorf("403 with field errors: %s", rec.Body)
					}
					if acts := a.work.acts(); len(acts) != 0 {
						t.Errorf("a forbidden request reached the service: %+v", acts)
					}
					return
				}
				switch {
				case rt.action == authz.ChangeTickets && role == gridwarn.RoleMediator:
					if rec.Code != http.StatusOK {
						t.Errorf("the sample fails for med1: %d %s", rec.Code, rec.Body)
					}
				case rt.action == authz.ChangeTickets && rec.Code == http.StatusForbidden:
					if p := mustProblem(t, rec, path, http.StatusForbidden, gridwarn.EFORBIDDEN); strings.Contains(p.Detail, "may not do this") {
						t.Errorf("a %s may %s, but authz refused: %s", role, rt.action, rec.Body)
					}
				case rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code >= 500:
					t.Errorf("a %s may %s, got %d; body: %s", role, rt.action, rec.Code, rec.Body)
				}
			})
		}
	}

	// A forbidden caller learns nothing about the input: 403 comes before
	// validation and lookup; 401 before 403.
	for _, tc := range []struct {
		name       string
		req        request
		wantStatus int
	}{
		{"malformed body", request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise, contentType: "application/json", body: "{", token: tokGridWorker}, 403},
		{"bad code", request{method: "PUT", target: "/api/v1/enterprises/nope", contentType: "application/json", body: "{}", token: tokGridWorker}, 403},
		{"bad id", request{method: "POST", target: "/api/v1/tickets/abc/close", token: tokAdmin}, 403},
		{"no If-Match", request{method: "POST", target: "/api/v1/tickets/206/close", token: tokGridWorker}, 403},
		{"bad queue cursor", request{target: "/api/v1/queue?cursor=x", token: tokAdmin}, 403},
		{"unknown id", request{target: "/api/v1/users/424242", token: tokMediator}, 403},
		{"bad query", request{target: "/api/v1/tickets?limit=abc", token: tokReporter}, 403},
		{"wrong content type", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "application/json", token: tokLeader}, 403},
		{"no token beats role", request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise, auth: ptr("")}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.SplitN(tc.req.target, "?", 2)[0]
			code := gridwarn.EFORBIDDEN
			if tc.wantStatus == 401 {
				code = gridwarn.EUNAUTHORIZED
			}
			mustProblem(t, a.do(t, tc.req), path, tc.wantStatus, code)
		})
	}
}

// TestForbidden spells out the cases of the brief.
func TestForbidden(t *testing.T) {
	a := mustNewAPI(t, 3, 3, nil, nil)
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"grid worker edits an enterprise", request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise, contentType: "application/json", body: okEnterpriseBody, token: tokGridWorker}},
		{"reporter lists tickets", request{target: "/api/v1/tickets", token: tokReporter}},
		{"admin closes a ticket", request{method: "POST", target: "/api/v1/tickets/206/close", contentType: "application/json", body: `{"note":"x"}`, token: tokAdmin, header: map[string]string{"If-Match": etag(workVersion)}}},
		{"grid worker claims a ticket", request{method: "POST", target: "/api/v1/tickets/202/claim", token: tokGridWorker, header: map[string]string{"If-Match": etag(workVersion)}}},
		{"reporter claims the next ticket", request{method: "POST", target: "/api/v1/queue/claim", token: tokReporter}},
		{"admin reads the queue", request{target: "/api/v1/queue", token: tokAdmin}},
		{"mediator lists people", request{target: "/api/v1/users", token: tokMediator}},
		{"leader adds a person", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: okUserBody, token: tokLeader}},
		{"admin reports", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", body: `{}`, token: tokAdmin}},
		{"grid worker reads dead letters", request{target: "/api/v1/dead-letters", token: tokGridWorker}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustProblem(t, a.do(t, tc.req), tc.req.target, http.StatusForbidden, gridwarn.EFORBIDDEN)
			if !strings.Contains(p.Detail, "may not do this") {
				t.Errorf("detail = %q", p.Detail)
			}
		})
	}
	if got := a.work.acts(); len(got) != 0 {
		t.Errorf("a forbidden action reached the service: %+v", got)
	}
	if got := a.registry.lastPut(); got != nil {
		t.Errorf("a forbidden change reached the service: %+v", got)
	}
}

// TestScope: the handlers pass the caller's visibility, so what lies
// outside a person's part of the territory is not found.
func TestScope(t *testing.T) {
	a := mustNewAPI(t, 4, 0, nil, nil)
	a.tickets.add(testTicket(900, testTownB, testGridB), gwUsername)
	// The work service, scripted: ticket 900 is not found outside a
	// visibility that sees town B.
	a.work.act = func(c workCall) (*gridwarn.Ticket, error) {
		if !c.view.Sees(testCounty, testTownB, testGridB) {
			return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", c.req.TicketID)
		}
		return workTicket(c.req.TicketID, c.req.IfMatch+1), nil
	}

	for _, tc := range []struct {
		name       string
		req        request
		wantStatus int
	}{
		{"county admin sees town B's ticket", request{target: "/api/v1/tickets/900"}, 200},
		{"town A mediator does not", request{target: "/api/v1/tickets/900", token: tokMediator}, 404},
		{"nor may close it", request{method: "POST", target: "/api/v1/tickets/900/close", contentType: "application/json", body: `{"note":"x"}`, token: tokMediator, header: map[string]string{"If-Match": etag(1)}}, 404},
		{"nor read its history", request{target: "/api/v1/tickets/900/history", token: tokMediator}, 404},
		{"grid worker sees a ticket they fed", request{target: "/api/v1/tickets/1", token: tokGridWorker}, 200},
		{"even outside their grid", request{target: "/api/v1/tickets/900", token: tokGridWorker}, 200},
		{"but not one they did not feed", request{target: "/api/v1/tickets/2", token: tokGridWorker}, 404},
		{"grid worker sees their grid's enterprise", request{target: "/api/v1/enterprises/" + testEnterprise, token: tokGridWorker}, 200},
		{"not another grid's", request{target: "/api/v1/enterprises/" + testEnterpriseB, token: tokGridWorker}, 404},
		{"nor another grid", request{target: "/api/v1/grids/" + testGridB, token: tokGridWorker}, 404},
		{"nor another town", request{target: "/api/v1/units/" + testTownB, token: tokGridWorker}, 404},
		{"town B admin does not see town A's mediator", request{target: "/api/v1/users/3", token: tokAdminB}, 404},
		{"nor their tokens", request{target: "/api/v1/users/3/tokens", token: tokAdminB}, 404},
		{"nor may give them one", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{}`, token: tokAdminB}, 404},
		{"nor revoke one", request{method: "POST", target: "/api/v1/tokens/30/revoke", token: tokAdminB}, 404},
		{"nor edit town A's enterprise", request{method: "PUT", target: "/api/v1/enterprises/" + testEnterprise, contentType: "application/json", body: okEnterpriseBody, token: tokAdminB}, 404},
		{"nor put a grid in town A", request{method: "PUT", target: "/api/v1/grids/320924100-J02", contentType: "application/json", body: okGridBody, token: tokAdminB}, 400},
		{"nor add a person to town A", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: okUserBody, token: tokAdminB}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(t, tc.req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == 404 {
				mustProblem(t, rec, tc.req.target, 404, gridwarn.ENOTFOUND)
			}
		})
	}

	// Lists are cut to the scope too.
	gw := pageOf[gridwarn.Ticket](t, a.do(t, request{target: "/api/v1/tickets", token: tokGridWorker}))
	var ids []int64
	for _, tk := range gw.Items {
		ids = append(ids, tk.ID)
	}
	if diff := cmp.Diff([]int64{900, 3, 1}, ids); diff != "" {
		t.Errorf("grid worker's tickets (-want +got):\n%s", diff)
	}
	if v := a.tickets.lastView(); v.ReporterID != gwUsername || v.CountyCode != testCounty {
		t.Errorf("grid worker's ticket visibility = %+v", v)
	}
	med := pageOf[gridwarn.Ticket](t, a.do(t, request{target: "/api/v1/tickets", token: tokMediator}))
	if len(med.Items) != 4 {
		t.Errorf("town A mediator sees %d tickets, want 4", len(med.Items))
	}
	if v := a.tickets.lastView(); v.TownCode != testTownA || v.ReporterID != "" {
		t.Errorf("mediator's ticket visibility = %+v", v)
	}
	ents := pageOf[gridwarn.Enterprise](t, a.do(t, request{target: "/api/v1/enterprises", token: tokGridWorker}))
	for _, e := range ents.Items {
		if e.GridCode != testGridA {
			t.Errorf("grid worker sees enterprise %s of grid %s", e.CreditCode, e.GridCode)
		}
	}
	if len(ents.Items) != 2 {
		t.Errorf("grid worker sees %d enterprises, want 2", len(ents.Items))
	}
}

func TestMe(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	for tok, want := range testPeople {
		t.Run(want.Username, func(t *testing.T) {
			rec := a.do(t, request{target: "/api/v1/me", token: tok})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
			}
			var got gridwarn.User
			dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("decode: %v; body: %s", err, rec.Body)
			}
			want.CreatedAt = testTime
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("me (-want +got):\n%s", diff)
			}
			for _, secret := range []string{tok, "token"} {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("me shows %q: %s", secret, rec.Body)
				}
			}
		})
	}
}

// TestAuthenticatorErrors: a failure other than bad credentials is not a 401.
func TestAuthenticatorErrors(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	p := mustProblem(t, a.do(t, request{target: "/api/v1/me", token: tokDown}), "/api/v1/me", http.StatusServiceUnavailable, gridwarn.EUNAVAILABLE)
	if p.Detail != "token store unavailable" {
		t.Errorf("detail = %q", p.Detail)
	}
	// The fake's 401 names the token; the API must not.
	rec := a.do(t, request{target: "/api/v1/me", token: "tok-nobody"})
	p = mustProblem(t, rec, "/api/v1/me", http.StatusUnauthorized, gridwarn.EUNAUTHORIZED)
	if p.Detail != "authentication required" || strings.Contains(rec.Body.String(), "tok-nobody") {
		t.Errorf("401 says too much: %s", rec.Body)
	}
}

// openAPIPath turns a Gin path into the document's form.
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// rolesLine is how an operation's description names who may call it.
var rolesLine = regexp.MustCompile(`(?m)^Roles: ([a-z_]+(?:, [a-z_]+)*)\.$`)

// TestOpenAPIRoles checks that every /api/v1 operation names exactly the
// roles of authz.Table that may call it, and documents 403 when some may not.
func TestOpenAPIRoles(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Description string               `yaml:"description"`
			Responses   map[string]yaml.Node `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	for _, rt := range v1Routes() {
		op, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.method, rt.path)
			continue
		}
		want := rolesFor(rt.action)
		m := rolesLine.FindStringSubmatch(op.Description)
		if m == nil {
			t.Errorf("%s %s: the description has no line %q", rt.method, rt.path, "Roles: "+strings.Join(want, ", ")+".")
			continue
		}
		if diff := cmp.Diff(want, strings.Split(m[1], ", ")); diff != "" {
			t.Errorf("%s %s: roles (-authz.Table +document):\n%s", rt.method, rt.path, diff)
		}
		_, has403 := op.Responses["403"]
		if some := len(want) < len(gridwarn.Roles); some != has403 {
			t.Errorf("%s %s: documents 403 = %t, want %t", rt.method, rt.path, has403, some)
		}
		for _, code := range []string{"401", "500"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s %s: no %s response", rt.method, rt.path, code)
			}
		}
	}
	if !slices.Equal(rolesFor(authz.ReadSelf), strs(gridwarn.Roles)) {
		t.Error("not every role may read itself: /api/v1/me needs a 403")
	}
}
