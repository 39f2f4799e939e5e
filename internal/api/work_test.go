package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// actionRoutes names the route of each action of the state machine:
// POST /api/v1/tickets/{id}/<segment>.
var actionRoutes = map[workflow.Action]string{
	workflow.ActionClaim: "claim", workflow.ActionUnclaim: "unclaim", workflow.ActionAssign: "assign",
	workflow.ActionDispatch: "dispatch", workflow.ActionAccept: "accept", workflow.ActionStart: "start",
	workflow.ActionReply: "reply", workflow.ActionReview: "review", workflow.ActionCallback: "callback",
	workflow.ActionClose: "close", workflow.ActionReturn: "return", workflow.ActionEscalate: "escalate",
	workflow.ActionHandDown: "hand-down", workflow.ActionExtend: "extend", workflow.ActionReopen: "reopen",
	workflow.ActionMerge: "merge", workflow.ActionRefer: "refer", workflow.ActionNote: "notes",
	workflow.ActionContact: "contacts", workflow.ActionFollowUp: "follow-ups",
}

// actionSample is a well-formed request of each action, as med1 (a
// mediator of town A who heads the tier) would send it on a ticket in a
// state that admits it. Whether the state admits it is the service's to
// say (tested against the real database); here it is only a valid request.
type actionSample struct {
	id   int64
	body string // "" sends no body
}

var actionSamples = map[workflow.Action]actionSample{
	workflow.ActionClaim:    {wfDispatched, ""},
	workflow.ActionUnclaim:  {wfDispatched, ""},
	workflow.ActionAssign:   {wfDispatched, `{"assignee":"med2"}`},
	workflow.ActionDispatch: {wfNew, `{"note":"to the town's mediation committee"}`},
	workflow.ActionAccept:   {wfDispatched, `{"note":"on it"}`},
	workflow.ActionStart:    {wfAccepted, `{}`},
	workflow.ActionReply: {wfInProgress, `{"outcome":{"result":"paid_in_part","amount_recovered_cny":120000,"workers_covered":8,` +
		`"agreement_date":"2025-03-02","promised_payments":["2025-04-01"]},"note":"the rest by April"}`},
	workflow.ActionReview:   {wfReplied, `{"approved":true,"note":"good"}`},
	workflow.ActionCallback: {wfReviewed, `{"satisfied":true,"note":"the workers confirm"}`},
	workflow.ActionClose:    {wfReviewed, `{"note":"wages paid"}`},
	workflow.ActionReturn:   {wfDispatched, `{"reason":"not this town's enterprise"}`},
	workflow.ActionEscalate: {wfInProgress, `{"reason":"the owner has absconded"}`},
	workflow.ActionHandDown: {wfInProgress, `{"instructions":"the enterprise's committee first"}`},
	workflow.ActionExtend:   {wfInProgress, `{"due_at":"2030-01-01T00:00:00Z","reason":"waiting for the audit"}`},
	workflow.ActionReopen:   {wfClosed, `{"reason":"wages unpaid again"}`},
	workflow.ActionMerge:    {wfAccepted, `{"into":202,"note":"the same dispute"}`},
	workflow.ActionRefer:    {wfInProgress, `{"body":"arbitration","reference":"SY-2025-017","note":"no agreement"}`},
	workflow.ActionNote:     {wfInProgress, `{"note":"called the owner","visibility":"internal"}`},
	workflow.ActionContact: {wfInProgress, `{"contact":{"kind":"site_visit","held_at":"2025-03-01T10:00:00+08:00","place":"the plant",` +
		`"attendees":["owner","workers' representative"],"summary":"payment plan agreed"}}`},
	workflow.ActionFollowUp: {wfClosed, `{"follow_up_on":"2025-04-01","paid":true,"note":"paid"}`},
}

// actionURL is the route of action a on ticket id.
func actionURL(a workflow.Action, id int64) string {
	return fmt.Sprintf("/api/v1/tickets/%d/%s", id, actionRoutes[a])
}

// actionRequest is a POST of action a to ticket id as med1 with If-Match
// ifMatch ("" for none) and body ("" for none).
func actionRequest(a workflow.Action, id int64, ifMatch, body string) request {
	r := request{method: "POST", target: actionURL(a, id), token: tokMediator, body: body}
	if body != "" {
		r.contentType = "application/json"
	}
	if ifMatch != "" {
		r.header = map[string]string{"If-Match": ifMatch}
	}
	return r
}

// sampleRequest is the sample of action a.
func sampleRequest(a workflow.Action) request {
	s := actionSamples[a]
	return actionRequest(a, s.id, etag(workVersion), s.body)
}

// newWorkAPI is an API over fakes holding tickets 1..3, with the
// WorkService unscripted.
func newWorkAPI(tb testing.TB) *testAPI {
	tb.Helper()
	return mustNewAPI(tb, 3, 0, nil, nil)
}

// med1View is the visibility of med1 (tokMediator): town A.
var med1View = gridwarn.VisibilityOf(testPeople[tokMediator].Scope)

// mustTicket decodes a changed ticket and checks that ETag is its version.
func mustTicket(tb testing.TB, rec interface {
	Header() http.Header
}, body []byte) gridwarn.Ticket {
	tb.Helper()
	var t gridwarn.Ticket
	if err := json.Unmarshal(body, &t); err != nil {
		tb.Fatalf("decode ticket: %v; body: %s", err, body)
	}
	if got, want := rec.Header().Get("ETag"), strconv.Quote(strconv.Itoa(t.Version)); got != want {
		tb.Errorf("ETag = %q, want %q (the version)", got, want)
	}
	return t
}

func TestActionsTableIsComplete(t *testing.T) {
	for _, a := range workflow.Actions {
		if _, ok := actionFields[a]; !ok {
			t.Errorf("action %s has no actionFields line", a)
		}
		if _, ok := actionRoutes[a]; !ok {
			t.Errorf("action %s has no route in actionRoutes", a)
		}
		if _, ok := actionSamples[a]; !ok {
			t.Errorf("action %s has no sample", a)
		}
	}
	registered := map[string]bool{}
	for _, r := range mustNewAPI(t, 0, 0, nil, nil).h.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	for a, seg := range actionRoutes {
		if !registered["POST /api/v1/tickets/:id/"+seg] {
			t.Errorf("action %s: POST /api/v1/tickets/:id/%s is not registered", a, seg)
		}
	}
}

// TestActions sends every action's sample as med1: the service gets the
// request as sent (ticket, action, If-Match, the parsed body) with med1 as
// the principal and town A as the visibility; its ticket comes back with
// 200 and an ETag of its version. What each step does to a ticket is
// tested against the real database (internal/postgres).
func TestActions(t *testing.T) {
	for _, act := range workflow.Actions {
		t.Run(string(act), func(t *testing.T) {
			a := newWorkAPI(t)
			s := actionSamples[act]
			answer := workTicket(s.id, 17)
			a.work.act = func(workCall) (*gridwarn.Ticket, error) { return answer, nil }
			rec := a.do(t, sampleRequest(act))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
			}
			if got := mustTicket(t, rec, rec.Body.Bytes()); !cmp.Equal(*answer, got) {
				t.Errorf("ticket (-service +answered):\n%s", cmp.Diff(*answer, got))
			}
			calls := a.work.callsOf("Act")
			if len(calls) != 1 {
				t.Fatalf("service got %+v", a.work.calls)
			}
			c := calls[0]
			if c.req.Action != string(act) || c.req.TicketID != s.id || c.req.IfMatch != workVersion || c.username != "med1" || !cmp.Equal(med1View, c.view) {
				t.Errorf("service got %+v", c)
			}
			var want gridwarn.ActionBody
			if s.body != "" {
				if err := json.Unmarshal([]byte(s.body), &want); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(want, c.req.Body); diff != "" {
				t.Errorf("body given to the service (-sent +got):\n%s", diff)
			}
		})
	}
}

// TestActionsWithoutBody: an action that takes no field may be sent with
// no body, no Content-Type, or an empty object.
func TestActionsWithoutBody(t *testing.T) {
	for _, r := range []request{
		actionRequest(workflow.ActionClaim, wfDispatched, etag(workVersion), ""),
		actionRequest(workflow.ActionClaim, wfDispatched, etag(workVersion), "{}"),
		{method: "POST", target: actionURL(workflow.ActionClaim, wfDispatched), token: tokMediator, contentType: "application/json",
			header: map[string]string{"If-Match": etag(workVersion)}},
		{method: "POST", target: actionURL(workflow.ActionClaim, wfDispatched), token: tokMediator, contentType: "application/json; charset=utf-8",
			body: " { } ", header: map[string]string{"If-Match": etag(workVersion)}},
	} {
		a := newWorkAPI(t)
		if rec := a.do(t, r); rec.Code != http.StatusOK {
			t.Errorf("body %q, Content-Type %q: status %d; body: %s", r.body, r.contentType, rec.Code, rec.Body)
		}
		if acts := a.work.acts(); len(acts) != 1 || !cmp.Equal(gridwarn.ActionBody{}, acts[0].Body) {
			t.Errorf("body %q: the service got %+v, want an empty body", r.body, acts)
		}
	}
}

// TestIfMatch: the port parses If-Match into the version the service
// compares (428 without it, 400 when it is not one version); the
// service's 412 comes back as 412 with its detail.
func TestIfMatch(t *testing.T) {
	note := `{"note":"x"}`
	for _, tc := range []struct {
		name, ifMatch string
		version       int // what the service gets; 0: it is not called
		wantStatus    int
		wantCode      string
	}{
		{"missing", "", 0, 428, gridwarn.EPRECONDITIONREQUIRED},
		{"stale", etag(workVersion - 1), workVersion - 1, 412, gridwarn.EPRECONDITION},
		{"ahead", etag(workVersion + 1), workVersion + 1, 412, gridwarn.EPRECONDITION},
		{"current", etag(workVersion), workVersion, 200, ""},
		{"unquoted", strconv.Itoa(workVersion), workVersion, 200, ""},
		{"weak", "W/" + etag(workVersion), workVersion, 200, ""},
		{"not a number", `"abc"`, 0, 400, gridwarn.EINVALID},
		{"star", "*", 0, 400, gridwarn.EINVALID},
		{"zero", `"0"`, 0, 400, gridwarn.EINVALID},
		{"negative", `"-4"`, 0, 400, gridwarn.EINVALID},
		{"two tags", `"4", "5"`, 0, 400, gridwarn.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWorkAPI(t)
			// The service holds the ticket at workVersion.
			a.work.act = func(c workCall) (*gridwarn.Ticket, error) {
				if c.req.IfMatch != workVersion {
					return nil, gridwarn.Errorf(gridwarn.EPRECONDITION, "ticket %d is at version %d, not %d: someone changed it; reload", c.req.TicketID, workVersion, c.req.IfMatch)
				}
				return workTicket(c.req.TicketID, workVersion+1), nil
			}
			r := actionRequest(workflow.ActionNote, wfInProgress, tc.ifMatch, note)
			if tc.ifMatch == "" {
				r.header = nil
			}
			rec := a.do(t, r)
			var got []int
			for _, req := range a.work.acts() {
				got = append(got, req.IfMatch)
			}
			if tc.version == 0 && len(got) != 0 || tc.version != 0 && !cmp.Equal([]int{tc.version}, got) {
				t.Errorf("the service got versions %v, want %d", got, tc.version)
			}
			if tc.wantStatus == 200 {
				if rec.Code != 200 || rec.Header().Get("ETag") != etag(workVersion+1) {
					t.Fatalf("status = %d, ETag %q; body: %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
				}
				return
			}
			p := mustProblem(t, rec, r.target, tc.wantStatus, tc.wantCode)
			switch tc.wantStatus {
			case 400:
				if diff := cmp.Diff([]string{"If-Match"}, fieldNames(p)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			case 412:
				if !strings.Contains(p.Detail, "at version 4") || rec.Header().Get("ETag") != "" {
					t.Errorf("412: detail %q, ETag %q", p.Detail, rec.Header().Get("ETag"))
				}
			}
		})
	}
}

// TestIllegalAction: the state machine's refusals, as the service returns
// them, become 409 listing the actions the caller may take now ([] when
// none, never absent) and 403 listing nothing; outside the caller's scope
// the service's 404. Which step is refused to whom is tested against the
// real database (internal/postgres: TestRefusedSteps, TestMediatorsDay).
func TestIllegalAction(t *testing.T) {
	med1 := workflow.Actor{Role: gridwarn.RoleMediator, TierHead: true, AtTicketTier: true, Claimer: true}
	med2 := workflow.Actor{Role: gridwarn.RoleMediator, AtTicketTier: true}
	leased := workflow.Input{Tier: gridwarn.TierTown, Leased: true, Approved: ptr(true)}
	refusal := func(st gridwarn.Status, act workflow.Action, who workflow.Actor) error {
		t.Helper()
		_, err := workflow.Decide(st, act, who, leased)
		if err == nil {
			t.Fatalf("the workflow allows %s from %s", act, st)
		}
		return err
	}
	for _, tc := range []struct {
		name    string
		act     workflow.Action
		err     error
		status  int
		code    string
		allowed []string // nil: absent
	}{
		{"close a ticket in progress", workflow.ActionClose, refusal(gridwarn.StatusInProgress, workflow.ActionClose, med1),
			http.StatusConflict, gridwarn.ECONFLICT, strs(workflow.Allowed(gridwarn.StatusInProgress, med1, leased))},
		{"a note on a merged ticket", workflow.ActionNote, refusal(gridwarn.StatusMerged, workflow.ActionNote, med1),
			http.StatusConflict, gridwarn.ECONFLICT, []string{}},
		{"review, not the tier head", workflow.ActionReview, refusal(gridwarn.StatusReplied, workflow.ActionReview, med2),
			http.StatusForbidden, gridwarn.EFORBIDDEN, nil},
		{"outside the caller's scope", workflow.ActionClose, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", wfInProgress),
			http.StatusNotFound, gridwarn.ENOTFOUND, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWorkAPI(t)
			a.work.act = func(workCall) (*gridwarn.Ticket, error) { return nil, tc.err }
			r := actionRequest(tc.act, wfInProgress, etag(workVersion), actionSamples[tc.act].body)
			rec := a.do(t, r)
			p := mustProblem(t, rec, r.target, tc.status, tc.code)
			if p.Detail != gridwarn.ErrorMessage(tc.err) {
				t.Errorf("detail = %q, want the service's %q", p.Detail, gridwarn.ErrorMessage(tc.err))
			}
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(rec.Body.Bytes(), &raw)
			switch {
			case tc.allowed == nil && raw["allowed"] != nil:
				t.Errorf("allowed = %s, want it absent", raw["allowed"])
			case tc.allowed != nil && raw["allowed"] == nil:
				t.Errorf("409 without an allowed list: %s", rec.Body)
			case tc.allowed != nil && !cmp.Equal(tc.allowed, p.Allowed):
				t.Errorf("allowed (-want +got):\n%s", cmp.Diff(tc.allowed, p.Allowed))
			}
			if tc.code == gridwarn.ECONFLICT && len(tc.allowed) > 0 && (!slices.Contains(p.Allowed, "reply") || slices.Contains(p.Allowed, "close")) {
				t.Errorf("allowed = %v", p.Allowed)
			}
			if rec.Header().Get("ETag") != "" {
				t.Errorf("%d with ETag %q", rec.Code, rec.Header().Get("ETag"))
			}
		})
	}
}

// TestActionBodyFields: a body may carry only its action's fields; any
// other — another action's, or one the server owns — is 400 naming it,
// and nothing reaches the service.
func TestActionBodyFields(t *testing.T) {
	owned := []string{"id", "status", "version", "tier", "claimed_by", "lease_expires_at", "merged_into", "closed_at", "level", "action", "if_match"}
	every := map[string]bool{}
	for _, fs := range actionFields {
		for _, f := range fs {
			every[f] = true
		}
	}
	a := newWorkAPI(t)
	for _, act := range workflow.Actions {
		var foreign []string
		for f := range every {
			if !slices.Contains(actionFields[act], f) {
				foreign = append(foreign, f)
			}
		}
		slices.Sort(foreign)
		for _, f := range append(owned, foreign...) {
			r := actionRequest(act, actionSamples[act].id, etag(workVersion), `{"`+f+`":1}`)
			p := mustProblem(t, a.do(t, r), r.target, http.StatusBadRequest, gridwarn.EINVALID)
			if diff := cmp.Diff([]string{f}, fieldNames(p)); diff != "" {
				t.Errorf("%s with %s: fields (-want +got):\n%s", act, f, diff)
			}
		}
	}
	// Several at once, named in order, beside the action's own.
	r := actionRequest(workflow.ActionAccept, wfDispatched, etag(workVersion), `{"status":"closed","note":"x","outcome":{"result":"withdrawn"},"assignee":"med2"}`)
	p := mustProblem(t, a.do(t, r), r.target, http.StatusBadRequest, gridwarn.EINVALID)
	if diff := cmp.Diff([]string{"assignee", "outcome", "status"}, fieldNames(p)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if acts := a.work.acts(); len(acts) != 0 {
		t.Errorf("a refused body reached the service: %+v", acts)
	}
}

// TestActionBodyValues: what the port cannot decode is 400 naming the
// field before the service is called; the values the service refuses
// (with the service scripted as the domain's checks, validating) and what
// the state machine needs are 400 naming the field, as parsed from the
// bytes. What only the store can check (a known mediator, a merge target,
// a future due time, a promised date) is tested against the real database
// (internal/postgres/work_walk_test.go).
func TestActionBodyValues(t *testing.T) {
	long := strings.Repeat("x", gridwarn.MaxTextChars+1)
	for _, tc := range []struct {
		name   string
		act    workflow.Action
		body   string
		fields []string
	}{
		// Values, checked by the service (gridwarn.ActionRequest.Validate) for every caller.
		{"outcome result", workflow.ActionReply, `{"outcome":{"result":"paid"}}`, []string{"outcome.result"}},
		{"outcome without result", workflow.ActionReply, `{"outcome":{}}`, []string{"outcome.result"}},
		{"outcome negative amount", workflow.ActionReply, `{"outcome":{"result":"paid_in_part","amount_recovered_cny":-1}}`, []string{"outcome.amount_recovered_cny"}},
		{"outcome bad date", workflow.ActionReply, `{"outcome":{"result":"paid_in_part","promised_payments":["1 April"]}}`, []string{"outcome.promised_payments"}},
		{"outcome unknown field", workflow.ActionReply, `{"outcome":{"result":"withdrawn","paid":true}}`, []string{"paid"}},
		{"outcome wrong type", workflow.ActionReply, `{"outcome":{"result":"withdrawn","workers_covered":"8"}}`, []string{"outcome.workers_covered"}},
		{"contact kind", workflow.ActionContact, `{"contact":{"kind":"email","held_at":"2025-03-01T10:00:00Z"}}`, []string{"contact.kind"}},
		{"visibility", workflow.ActionNote, `{"note":"x","visibility":"public"}`, []string{"visibility"}},
		{"refer body", workflow.ActionRefer, `{"body":"police","reference":"x"}`, []string{"body"}},
		{"follow-up date", workflow.ActionFollowUp, `{"follow_up_on":"2025-4-1","paid":true}`, []string{"follow_up_on"}},
		{"note too long", workflow.ActionNote, `{"note":"` + long + `"}`, []string{"note"}},
		{"note with NUL", workflow.ActionNote, `{"note":"a\u0000b"}`, []string{"note"}},
		{"reason too long", workflow.ActionReturn, `{"reason":"` + long + `"}`, []string{"reason"}},
		{"reference and note with NUL", workflow.ActionRefer, `{"body":"court","reference":"a\u0000","note":"b\u0000"}`, []string{"note", "reference"}},
		{"approved not a boolean", workflow.ActionReview, `{"approved":"yes"}`, []string{"approved"}},
		{"into not a number", workflow.ActionMerge, `{"into":"202"}`, []string{"into"}},
		{"due_at not a time", workflow.ActionExtend, `{"due_at":"soon","reason":"x"}`, []string{""}},
		// What the state machine needs (from the service).
		{"review without approved", workflow.ActionReview, `{"note":"x"}`, []string{"approved"}},
		{"callback without satisfied", workflow.ActionCallback, `{}`, []string{"satisfied"}},
		{"return without reason", workflow.ActionReturn, `{"reason":"  "}`, []string{"reason"}},
		{"assign without assignee", workflow.ActionAssign, "", []string{"assignee"}},
		{"reply without outcome", workflow.ActionReply, `{"note":"x"}`, []string{"outcome"}},
		{"refer without reference", workflow.ActionRefer, `{"body":"court"}`, []string{"reference"}},
		{"extend without due_at", workflow.ActionExtend, `{"reason":"x"}`, []string{"due_at"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWorkAPI(t)
			a.work.act = validating
			r := actionRequest(tc.act, actionSamples[tc.act].id, etag(workVersion), tc.body)
			rec := a.do(t, r)
			p := mustProblem(t, rec, r.target, http.StatusBadRequest, gridwarn.EINVALID)
			if diff := cmp.Diff(tc.fields, fieldNames(p)); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
			}
		})
	}
}

// TestNoteOfMaximumLength: 2000 characters are accepted.
func TestNoteOfMaximumLength(t *testing.T) {
	a := newWorkAPI(t)
	a.work.act = validating
	r := actionRequest(workflow.ActionNote, wfInProgress, etag(workVersion), `{"note":"`+strings.Repeat("x", gridwarn.MaxTextChars)+`"}`)
	if len(r.body) > testMaxBodyBytes {
		t.Fatal("test body exceeds the test body limit")
	}
	if rec := a.do(t, r); rec.Code != http.StatusOK {
		t.Errorf("status %d; body: %s", rec.Code, rec.Body)
	}
}

// queueIDs reads the ids of a queue page.
func queueIDs(tb testing.TB, a *testAPI, token, target string) ([]int64, gridwarn.Page[gridwarn.QueueItem]) {
	tb.Helper()
	p := pageOf[gridwarn.QueueItem](tb, a.do(tb, request{target: target, token: token}))
	ids := []int64{}
	for _, it := range p.Items {
		ids = append(ids, it.ID)
	}
	return ids, p
}

// TestQueue: the port passes the query as a filter (with one item more
// than the page, to know whether a next page exists), the caller's
// visibility, and answers the service's items in the service's order, a
// page at a time with a cursor of the last item. The queue's filters,
// order and paging are tested against the real database
// (internal/postgres/queue_test.go).
func TestQueue(t *testing.T) {
	a := newWorkAPI(t)
	due := func(h int) *time.Time { return ptr(testTime.Add(time.Duration(h) * time.Hour)) }
	item := func(id int64, level gridwarn.Level, d *time.Time) gridwarn.QueueItem {
		tk := *workTicket(id, 3)
		tk.Level = level
		return gridwarn.QueueItem{Ticket: tk, DueAt: d}
	}
	a.work.items = []gridwarn.QueueItem{ // deliberately not in the store's order: the port keeps the service's
		item(9, gridwarn.LevelBlue, due(1)), item(4, gridwarn.LevelRed, nil), item(7, gridwarn.LevelOrange, due(2)),
		item(3, gridwarn.LevelRed, due(5)), item(5, gridwarn.LevelBlue, nil),
	}
	want := []int64{9, 4, 7, 3, 5}
	got, p := queueIDs(t, a, tokMediator, "/api/v1/queue")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if p.NextCursor != "" {
		t.Errorf("one page has a cursor %q", p.NextCursor)
	}
	if diff := cmp.Diff(a.work.items, p.Items); diff != "" {
		t.Errorf("items (-service +answered):\n%s", diff)
	}
	c := a.work.lastCall()
	if diff := cmp.Diff(gridwarn.QueueFilter{Limit: defaultLimit + 1}, c.filter); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	if c.username != "med1" || !cmp.Equal(med1View, c.view) {
		t.Errorf("the service got %s with %+v", c.username, c.view)
	}

	// Pages of 2: the cursor is the last item's key, with and without a
	// deadline, and comes back as the filter's After.
	for _, limit := range []int{2, 3} {
		ids, p := queueIDs(t, a, tokMediator, fmt.Sprintf("/api/v1/queue?limit=%d", limit))
		if !cmp.Equal(want[:limit], ids) || a.work.lastCall().filter.Limit != limit+1 {
			t.Fatalf("limit %d: page %v, filter %+v", limit, ids, a.work.lastCall().filter)
		}
		last := a.work.items[limit-1].Key()
		if p.NextCursor != last.Cursor() {
			t.Errorf("limit %d: cursor %q, want the key of %d", limit, p.NextCursor, last.ID)
		}
		queueIDs(t, a, tokMediator, fmt.Sprintf("/api/v1/queue?limit=%d&cursor=%s", limit, p.NextCursor))
		after := a.work.lastCall().filter.After
		if after == nil || after.LevelRank != last.LevelRank || after.ID != last.ID || (after.Due == nil) != (last.Due == nil) ||
			after.Due != nil && !after.Due.Equal(*last.Due) {
			t.Errorf("limit %d: After = %+v, want %+v", limit, after, last)
		}
	}
	// The last page has no cursor.
	if _, p := queueIDs(t, a, tokMediator, "/api/v1/queue?limit=5"); p.NextCursor != "" {
		t.Errorf("a full last page has a cursor %q", p.NextCursor)
	}

	// The query as a filter.
	for _, tc := range []struct {
		query string
		want  gridwarn.QueueFilter
	}{
		{"level=red", gridwarn.QueueFilter{Level: gridwarn.LevelRed}},
		{"state=dispatched", gridwarn.QueueFilter{Status: gridwarn.StatusDispatched}},
		{"mine=true", gridwarn.QueueFilter{Mine: true}},
		{"unclaimed=true", gridwarn.QueueFilter{Open: true}},
		{"mine=false&unclaimed=false", gridwarn.QueueFilter{}},
		{"town=" + testTownB, gridwarn.QueueFilter{TownCode: testTownB}},
		{"category=layoff", gridwarn.QueueFilter{Category: gridwarn.CategoryLayoff}},
		{"level=red&category=layoff&town=" + testTownA + "&state=accepted&mine=true&unclaimed=true&limit=7",
			gridwarn.QueueFilter{Level: gridwarn.LevelRed, Category: gridwarn.CategoryLayoff, TownCode: testTownA,
				Status: gridwarn.StatusAccepted, Mine: true, Open: true, Limit: 7}},
	} {
		queueIDs(t, a, tokMediator, "/api/v1/queue?"+tc.query)
		if tc.want.Limit == 0 {
			tc.want.Limit = defaultLimit
		}
		tc.want.Limit++
		if diff := cmp.Diff(tc.want, a.work.lastCall().filter); diff != "" {
			t.Errorf("%s: filter (-want +got):\n%s", tc.query, diff)
		}
	}

	// An empty queue is an empty list; the leader's call carries the
	// county's visibility.
	a.work.items = nil
	rec := a.do(t, request{target: "/api/v1/queue", token: tokLeader})
	if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[],"next_cursor":""}` {
		t.Errorf("an empty queue = %s", got)
	}
	if c := a.work.lastCall(); c.username != "leader" || c.view.CountyCode != testCounty || c.view.TownCode != "" {
		t.Errorf("the leader's call: %s with %+v", c.username, c.view)
	}
}

func TestQueueBadInput(t *testing.T) {
	q := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, query string
		fields      []string
	}{
		{"limit 101", "limit=101", []string{"limit"}},
		{"limit 0", "limit=0", []string{"limit"}},
		{"limit abc", "limit=abc", []string{"limit"}},
		{"ticket cursor", "cursor=" + encodeCursor(ticketCursor, 5), []string{"cursor"}},
		{"random cursor", "cursor=" + q("\x8f\x01random"), []string{"cursor"}},
		{"padded cursor", "cursor=" + base64.URLEncoding.EncodeToString([]byte("q1|4|-|5")), []string{"cursor"}},
		{"cursor rank 5", "cursor=" + q("q1|5|-|5"), []string{"cursor"}},
		{"cursor rank 0", "cursor=" + q("q1|0|-|5"), []string{"cursor"}},
		{"cursor id 0", "cursor=" + q("q1|4|-|0"), []string{"cursor"}},
		{"cursor bad time", "cursor=" + q("q1|4|tomorrow|5"), []string{"cursor"}},
		{"cursor time not UTC", "cursor=" + q("q1|4|2025-03-01T12:00:00+08:00|5"), []string{"cursor"}},
		{"cursor leading zero", "cursor=" + q("q1|4|-|05"), []string{"cursor"}},
		{"cursor extra part", "cursor=" + q("q1|4|-|5|6"), []string{"cursor"}},
		{"cursor other version", "cursor=" + q("q2|4|-|5"), []string{"cursor"}},
		{"unknown level", "level=purple", []string{"level"}},
		{"unknown category", "category=Layoff", []string{"category"}},
		{"unknown state", "state=open", []string{"state"}},
		{"status is not the name", "status=new", []string{"status"}},
		{"bad town", "town=3209241", []string{"town"}},
		{"mine yes", "mine=yes", []string{"mine"}},
		{"unclaimed 1", "unclaimed=1", []string{"unclaimed"}},
		{"repeated", "mine=true&mine=true", []string{"mine"}},
		{"unknown parameter", "sort=due", []string{"sort"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWorkAPI(t)
			rec := a.do(t, request{target: "/api/v1/queue?" + tc.query, token: tokMediator})
			p := mustProblem(t, rec, "/api/v1/queue", http.StatusBadRequest, gridwarn.EINVALID)
			if diff := cmp.Diff(tc.fields, fieldNames(p)); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
			}
		})
	}
}

func TestQueueCursorRoundTrip(t *testing.T) {
	due := time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	for _, k := range []gridwarn.QueueKey{
		{LevelRank: 4, ID: 1},
		{LevelRank: 1, Due: &due, ID: 1<<63 - 1},
		{LevelRank: 2, Due: ptr(testTime), ID: 42},
	} {
		s := k.Cursor()
		q := parseQuery("cursor="+s, "cursor")
		got := queueCursor(q)
		if err := q.err(); err != nil || got == nil {
			t.Fatalf("cursor of %+v: %v", k, err)
		}
		if got.LevelRank != k.LevelRank || got.ID != k.ID || (got.Due == nil) != (k.Due == nil) || got.Due != nil && !got.Due.Equal(*k.Due) {
			t.Errorf("round trip of %+v = %+v", k, got)
		}
	}
}

// TestClaimNext: the port calls the service as the caller and answers its
// ticket with an ETag, or its 404; it takes no query. Which ticket is
// next is tested against the real database (TestClaimNextSkipsClaimedTickets).
func TestClaimNext(t *testing.T) {
	a := newWorkAPI(t)
	rec := a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator2})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	got := mustTicket(t, rec, rec.Body.Bytes())
	if got.ID != wfDispatched || got.ClaimedBy != "med2" || got.LeaseExpiresAt == nil {
		t.Errorf("claimed %+v", got)
	}
	c := a.work.lastCall()
	if c.method != "ClaimNext" || c.username != "med2" || c.view.TownCode != testTownA {
		t.Errorf("the service got %+v", c)
	}

	// Nothing to claim: the service's 404 and its detail.
	a.work.claim = func(workCall) (*gridwarn.Ticket, error) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "nothing to claim in your queue")
	}
	p := mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator2}), "/api/v1/queue/claim",
		http.StatusNotFound, gridwarn.ENOTFOUND)
	if !strings.Contains(p.Detail, "nothing to claim") {
		t.Errorf("detail = %q", p.Detail)
	}

	// A query parameter is 400, before the service.
	n := len(a.work.callsOf("ClaimNext"))
	p = mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/queue/claim?level=red", token: tokMediator}), "/api/v1/queue/claim", http.StatusBadRequest, gridwarn.EINVALID)
	if diff := cmp.Diff([]string{"level"}, fieldNames(p)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if len(a.work.callsOf("ClaimNext")) != n {
		t.Error("a refused query reached the service")
	}
}

// TestHistory: the history of the ticket the service shows, in its order;
// what an action writes there is tested against the real database.
func TestHistory(t *testing.T) {
	a := newWorkAPI(t)
	a.tickets.history[2] = []gridwarn.HistoryEntry{
		{ID: 1, TicketID: 2, At: testTime, Actor: "user:med1", Kind: "accept", From: "dispatched", To: "accepted"},
		{ID: 2, TicketID: 2, At: testTime, Actor: "user:med1", Kind: "note", From: "accepted", To: "accepted", Note: "called the owner"},
		{ID: 3, TicketID: 2, At: testTime, Actor: "user:med1", Kind: "start", From: "accepted", To: "in_progress"},
	}
	target := "/api/v1/tickets/2/history"
	p := pageOf[gridwarn.HistoryEntry](t, a.do(t, request{target: target, token: tokLeader}))
	var got []string
	for _, h := range p.Items {
		got = append(got, fmt.Sprintf("%s %s %s>%s %s", h.Actor, h.Kind, h.From, h.To, h.Note))
	}
	want := []string{
		"user:med1 accept dispatched>accepted ",
		"user:med1 note accepted>accepted called the owner",
		"user:med1 start accepted>in_progress ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if p.NextCursor != "" {
		t.Errorf("cursor %q", p.NextCursor)
	}
	if got := a.do(t, request{target: "/api/v1/tickets/1/history"}); strings.TrimSpace(got.Body.String()) != `{"items":[],"next_cursor":""}` {
		t.Errorf("empty history = %s", got.Body)
	}

	// A grid worker sees only the tickets their reports fed (gw1: 1, not 2).
	mustProblem(t, a.do(t, request{target: target, token: tokGridWorker}), target, http.StatusNotFound, gridwarn.ENOTFOUND)
	pageOf[gridwarn.HistoryEntry](t, a.do(t, request{target: "/api/v1/tickets/1/history", token: tokGridWorker}))
	mustProblem(t, a.do(t, request{target: "/api/v1/tickets/424242/history"}), "/api/v1/tickets/424242/history", http.StatusNotFound, gridwarn.ENOTFOUND)
	mustProblem(t, a.do(t, request{target: "/api/v1/tickets/abc/history"}), "/api/v1/tickets/abc/history", http.StatusBadRequest, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: target + "?limit=5"}), target, http.StatusBadRequest, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: target, token: tokReporter}), target, http.StatusForbidden, gridwarn.EFORBIDDEN)
}

func TestTicketETag(t *testing.T) {
	a := newWorkAPI(t)
	tk := testTicket(wfInProgress, testTownA, testGridA)
	tk.Version = workVersion
	a.tickets.add(tk)
	for id, version := range map[int64]int{1: 1, wfInProgress: workVersion} {
		rec := a.do(t, request{target: fmt.Sprintf("/api/v1/tickets/%d", id)})
		var d gridwarn.TicketDetail
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %d: %d %s", id, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("ETag"); got != etag(d.Version) || d.Version != version {
			t.Errorf("ticket %d: ETag %q, version %d", id, got, d.Version)
		}
	}
}
