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

// actionSample is a request that a mediator of town A who heads the tier
// and holds the lease (med1) may send on the tickets of seedWork.
type actionSample struct {
	id   int64
	body string // "" sends no body
	to   gridwarn.Status
}

var actionSamples = map[workflow.Action]actionSample{
	workflow.ActionClaim:    {wfDispatched, "", gridwarn.StatusDispatched},
	workflow.ActionUnclaim:  {wfDispatched, "", gridwarn.StatusDispatched},
	workflow.ActionAssign:   {wfDispatched, `{"assignee":"med2"}`, gridwarn.StatusDispatched},
	workflow.ActionDispatch: {wfNew, `{"note":"to the town's mediation committee"}`, gridwarn.StatusDispatched},
	workflow.ActionAccept:   {wfDispatched, `{"note":"on it"}`, gridwarn.StatusAccepted},
	workflow.ActionStart:    {wfAccepted, `{}`, gridwarn.StatusInProgress},
	workflow.ActionReply: {wfInProgress, `{"outcome":{"result":"paid_in_part","amount_recovered_cny":120000,"workers_covered":8,` +
		`"agreement_date":"2025-03-02","promised_payments":["2025-04-01"]},"note":"the rest by April"}`, gridwarn.StatusReplied},
	workflow.ActionReview:   {wfReplied, `{"approved":true,"note":"good"}`, gridwarn.StatusReviewed},
	workflow.ActionCallback: {wfReviewed, `{"satisfied":true,"note":"the workers confirm"}`, gridwarn.StatusReviewed},
	workflow.ActionClose:    {wfReviewed, `{"note":"wages paid"}`, gridwarn.StatusClosed},
	workflow.ActionReturn:   {wfDispatched, `{"reason":"not this town's enterprise"}`, gridwarn.StatusDispatched},
	workflow.ActionEscalate: {wfInProgress, `{"reason":"the owner has absconded"}`, gridwarn.StatusDispatched},
	workflow.ActionHandDown: {wfInProgress, `{"instructions":"the enterprise's committee first"}`, gridwarn.StatusDispatched},
	workflow.ActionExtend:   {wfInProgress, `{"due_at":"2030-01-01T00:00:00Z","reason":"waiting for the audit"}`, gridwarn.StatusInProgress},
	workflow.ActionReopen:   {wfClosed, `{"reason":"wages unpaid again"}`, gridwarn.StatusDispatched},
	workflow.ActionMerge:    {wfAccepted, `{"into":202,"note":"the same dispute"}`, gridwarn.StatusMerged},
	workflow.ActionRefer:    {wfInProgress, `{"body":"arbitration","reference":"SY-2025-017","note":"no agreement"}`, gridwarn.StatusReferred},
	workflow.ActionNote:     {wfInProgress, `{"note":"called the owner","visibility":"internal"}`, gridwarn.StatusInProgress},
	workflow.ActionContact: {wfInProgress, `{"contact":{"kind":"site_visit","held_at":"2025-03-01T10:00:00+08:00","place":"the plant",` +
		`"attendees":["owner","workers' representative"],"summary":"payment plan agreed"}}`, gridwarn.StatusInProgress},
	workflow.ActionFollowUp: {wfClosed, `{"follow_up_on":"2025-04-01","paid":true,"note":"paid"}`, gridwarn.StatusClosed},
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

// newWorkAPI is an API over fakes holding tickets 1..3 and the workflow
// tickets of seedWork.
func newWorkAPI(tb testing.TB) *testAPI {
	tb.Helper()
	a := mustNewAPI(tb, 3, 0, nil, nil)
	a.tickets.seedWork()
	return a
}

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

// TestActions takes every action's sample as med1: 200, the ticket in its
// new state at version+1, ETag equal to the version, the request passed
// to the service as sent, and a history line.
func TestActions(t *testing.T) {
	for _, act := range workflow.Actions {
		t.Run(string(act), func(t *testing.T) {
			a := newWorkAPI(t)
			s := actionSamples[act]
			rec := a.do(t, sampleRequest(act))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
			}
			got := mustTicket(t, rec, rec.Body.Bytes())
			if got.ID != s.id || got.Status != s.to || got.Version != workVersion+1 {
				t.Errorf("ticket %d is %s at version %d, want %d %s at %d", got.ID, got.Status, got.Version, s.id, s.to, workVersion+1)
			}
			acts := a.tickets.actsSoFar()
			if len(acts) != 1 || acts[0].Action != string(act) || acts[0].TicketID != s.id || acts[0].IfMatch != workVersion {
				t.Fatalf("service got %+v", acts)
			}
			if s.body != "" {
				var want gridwarn.ActionBody
				if err := json.Unmarshal([]byte(s.body), &want); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, acts[0].Body); diff != "" {
					t.Errorf("body given to the service (-sent +got):\n%s", diff)
				}
			}

			// GET shows the same version as ETag, and the history the step.
			rec = a.do(t, request{target: fmt.Sprintf("/api/v1/tickets/%d", s.id), token: tokMediator})
			if got := rec.Header().Get("ETag"); got != etag(workVersion+1) {
				t.Errorf("GET ETag = %q, want %q", got, etag(workVersion+1))
			}
			h := pageOf[gridwarn.HistoryEntry](t, a.do(t, request{target: fmt.Sprintf("/api/v1/tickets/%d/history", s.id), token: tokMediator}))
			if len(h.Items) != 1 || h.Items[0].Kind != gridwarn.HistoryKind(act) || h.Items[0].Actor != "user:med1" {
				t.Errorf("history = %+v", h.Items)
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
	}
}

func TestIfMatch(t *testing.T) {
	note := `{"note":"x"}`
	for _, tc := range []struct {
		name, ifMatch string
		wantStatus    int
		wantCode      string
	}{
		{"missing", "", 428, gridwarn.EPRECONDITIONREQUIRED},
		{"stale", etag(workVersion - 1), 412, gridwarn.EPRECONDITION},
		{"ahead", etag(workVersion + 1), 412, gridwarn.EPRECONDITION},
		{"unquoted", strconv.Itoa(workVersion), 200, ""},
		{"weak", "W/" + etag(workVersion), 200, ""},
		{"not a number", `"abc"`, 400, gridwarn.EINVALID},
		{"star", "*", 400, gridwarn.EINVALID},
		{"zero", `"0"`, 400, gridwarn.EINVALID},
		{"negative", `"-4"`, 400, gridwarn.EINVALID},
		{"two tags", `"4", "5"`, 400, gridwarn.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWorkAPI(t)
			r := actionRequest(workflow.ActionNote, wfInProgress, tc.ifMatch, note)
			if tc.ifMatch == "" {
				r.header = nil
			}
			rec := a.do(t, r)
			if tc.wantStatus == 200 {
				if rec.Code != 200 {
					t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
				}
				return
			}
			p := mustProblem(t, rec, r.target, tc.wantStatus, tc.wantCode)
			if tc.wantStatus == 400 {
				if diff := cmp.Diff([]string{"If-Match"}, fieldNames(p)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
			if tc.wantStatus != 412 && len(a.tickets.actsSoFar()) != 0 {
				t.Errorf("the request reached the service: %+v", a.tickets.actsSoFar())
			}
			if got := a.tickets.version(wfInProgress); got != workVersion {
				t.Errorf("the ticket changed: version %d", got)
			}
		})
	}

	// Two mediators saw version 4: the first note wins, the second is 412
	// and succeeds once it sends the new ETag.
	a := newWorkAPI(t)
	first := a.do(t, actionRequest(workflow.ActionNote, wfInProgress, etag(workVersion), note))
	second := actionRequest(workflow.ActionNote, wfInProgress, etag(workVersion), note)
	second.token = tokMediator2
	p := mustProblem(t, a.do(t, second), second.target, http.StatusPreconditionFailed, gridwarn.EPRECONDITION)
	if !strings.Contains(p.Detail, "version 5") {
		t.Errorf("detail = %q", p.Detail)
	}
	second.header["If-Match"] = first.Header().Get("ETag")
	if rec := a.do(t, second); rec.Code != http.StatusOK || mustTicket(t, rec, rec.Body.Bytes()).Version != workVersion+2 {
		t.Errorf("with the new ETag: %d %s", rec.Code, rec.Body)
	}
}

// TestIllegalAction: the state machine's 409 lists the actions the caller
// may take now; its 403 (the ticket admits the action, not from this
// caller) lists nothing.
func TestIllegalAction(t *testing.T) {
	a := newWorkAPI(t)
	med1 := workflow.Actor{Role: gridwarn.RoleMediator, TierHead: true, AtTicketTier: true, Claimer: true}

	// Close an in-progress ticket.
	r := actionRequest(workflow.ActionClose, wfInProgress, etag(workVersion), `{"note":"done"}`)
	rec := a.do(t, r)
	p := mustProblem(t, rec, r.target, http.StatusConflict, gridwarn.ECONFLICT)
	want := strs(workflow.Allowed(gridwarn.StatusInProgress, med1, workflow.Input{Tier: gridwarn.TierTown, Leased: true}))
	if diff := cmp.Diff(want, p.Allowed); diff != "" {
		t.Errorf("allowed (-want +got):\n%s", diff)
	}
	if !slices.Contains(p.Allowed, "reply") || slices.Contains(p.Allowed, "close") {
		t.Errorf("allowed = %v", p.Allowed)
	}
	if !strings.Contains(p.Detail, "cannot close a ticket that is in_progress") {
		t.Errorf("detail = %q", p.Detail)
	}

	// Close a reviewed ticket before the call-back.
	a.tickets.update(wfReviewed, func(_ *gridwarn.Ticket, x *ticketExtra) { x.callback = false })
	r = actionRequest(workflow.ActionClose, wfReviewed, etag(workVersion), `{"note":"done"}`)
	p = mustProblem(t, a.do(t, r), r.target, http.StatusConflict, gridwarn.ECONFLICT)
	if !strings.Contains(p.Detail, "no call-back") || slices.Contains(p.Allowed, "close") || !slices.Contains(p.Allowed, "callback") {
		t.Errorf("detail = %q, allowed = %v", p.Detail, p.Allowed)
	}

	// Claim a ticket someone else holds.
	r = actionRequest(workflow.ActionClaim, wfDispatched, etag(workVersion), "")
	r.token = tokMediator2
	p = mustProblem(t, a.do(t, r), r.target, http.StatusConflict, gridwarn.ECONFLICT)
	if !strings.Contains(p.Detail, "claimed by someone else") {
		t.Errorf("detail = %q", p.Detail)
	}

	// A merged ticket admits nothing: allowed is an empty list, not absent.
	r = actionRequest(workflow.ActionNote, wfMerged, etag(workVersion), `{"note":"x"}`)
	rec = a.do(t, r)
	mustProblem(t, rec, r.target, http.StatusConflict, gridwarn.ECONFLICT)
	if !strings.Contains(rec.Body.String(), `"allowed":[]`) {
		t.Errorf("409 without an allowed list: %s", rec.Body)
	}

	// 403 from the state machine: a mediator who is not the tier head
	// reviews; a county leader closes a town's ticket; med2 accepts med1's.
	for _, tc := range []struct {
		act   workflow.Action
		token string
	}{
		{workflow.ActionReview, tokMediator2},
		{workflow.ActionClose, tokLeader},
		{workflow.ActionAccept, tokMediator2},
	} {
		b := newWorkAPI(t)
		r := sampleRequest(tc.act)
		r.token = tc.token
		rec := b.do(t, r)
		p := mustProblem(t, rec, r.target, http.StatusForbidden, gridwarn.EFORBIDDEN)
		if !strings.HasPrefix(p.Detail, "only ") || p.Allowed != nil {
			t.Errorf("%s as %s: %s", tc.act, tc.token, rec.Body)
		}
	}

	// Outside the caller's scope: 404 before anything else.
	a.tickets.add(testTicket(900, testTownB, testGridB))
	r = actionRequest(workflow.ActionClose, 900, etag(1), `{"note":"x"}`)
	mustProblem(t, a.do(t, r), r.target, http.StatusNotFound, gridwarn.ENOTFOUND)
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
	if acts := a.tickets.actsSoFar(); len(acts) != 0 {
		t.Errorf("a refused body reached the service: %+v", acts)
	}
	if got := a.tickets.get(wfDispatched); got.Status != gridwarn.StatusDispatched || got.Version != workVersion {
		t.Errorf("the ticket changed: %+v", got)
	}
}

// TestActionBodyValues: values the service refuses, and what the state
// machine needs, are 400 naming the field. What only the store can check
// (a known mediator, a merge target, a future due time, a promised date)
// is tested against the real database (internal/postgres/work_walk_test.go).
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
			r := actionRequest(tc.act, actionSamples[tc.act].id, etag(workVersion), tc.body)
			rec := a.do(t, r)
			p := mustProblem(t, rec, r.target, http.StatusBadRequest, gridwarn.EINVALID)
			if diff := cmp.Diff(tc.fields, fieldNames(p)); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
			}
			if got := a.tickets.version(actionSamples[tc.act].id); got != workVersion {
				t.Errorf("the ticket changed: version %d", got)
			}
		})
	}
}

// TestNoteOfMaximumLength: 2000 characters are accepted.
func TestNoteOfMaximumLength(t *testing.T) {
	a := newWorkAPI(t)
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

func TestQueue(t *testing.T) {
	a := newWorkAPI(t)
	// Town A's open tickets: red first, then the nearest deadline (none
	// last), then the id. Closed 207 and merged 209 are not in it.
	all := []int64{203, 210, 3, 202, 206, 2, 205, 1, 201, 208, 204}
	got, p := queueIDs(t, a, tokMediator, "/api/v1/queue")
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if p.NextCursor != "" {
		t.Errorf("one page has a cursor %q", p.NextCursor)
	}
	for _, it := range p.Items {
		if want := a.tickets.get(it.ID); it.Status != want.Status || it.Version != want.Version {
			t.Errorf("item %d = %+v", it.ID, it)
		}
	}
	if p.Items[0].DueAt == nil || !p.Items[0].DueAt.Equal(fakeNow.Add(3*time.Hour)) {
		t.Errorf("first item due_at = %v", p.Items[0].DueAt)
	}
	if diff := cmp.Diff(gridwarn.QueueFilter{Limit: defaultLimit + 1}, a.tickets.lastQueueFilter()); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	if v := a.tickets.lastView(); v.TownCode != testTownA {
		t.Errorf("visibility = %+v", v)
	}

	// Pages of 4, through cursors with and without a deadline.
	var paged []int64
	cursor := ""
	for i := 0; ; i++ {
		if i > len(all) {
			t.Fatal("pagination does not end")
		}
		ids, p := queueIDs(t, a, tokMediator, "/api/v1/queue?limit=4&cursor="+cursor)
		if len(ids) > 4 {
			t.Fatalf("page of %d", len(ids))
		}
		paged = append(paged, ids...)
		if f := a.tickets.lastQueueFilter(); f.Limit != 5 || (cursor == "") != (f.After == nil) {
			t.Errorf("filter = %+v", f)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff(all, paged); diff != "" {
		t.Errorf("paged queue (-want +got):\n%s", diff)
	}

	// Filters.
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"level=red", []int64{203, 210, 3}},
		{"state=dispatched", []int64{210, 202}},
		{"state=closed", []int64{}},
		{"mine=true", []int64{203, 202, 206, 205, 208, 204}},
		{"unclaimed=true", []int64{210, 3, 2, 1, 201}},
		{"mine=false&unclaimed=false", all},
		{"town=" + testTownA + "&level=orange", []int64{202, 206, 2}},
		{"town=" + testTownB, []int64{}},
		{"category=" + string(a.tickets.get(203).Category), []int64{203}},
	} {
		if got, _ := queueIDs(t, a, tokMediator, "/api/v1/queue?"+tc.query); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	a.do(t, request{target: "/api/v1/queue?level=red&category=layoff&town=" + testTownA + "&state=accepted&mine=true&unclaimed=true&limit=7", token: tokMediator})
	want := gridwarn.QueueFilter{Level: gridwarn.LevelRed, Category: gridwarn.CategoryLayoff, TownCode: testTownA,
		Status: gridwarn.StatusAccepted, Mine: true, Open: true, Limit: 8}
	if diff := cmp.Diff(want, a.tickets.lastQueueFilter()); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}

	// med2's own tickets: none. The county's queue (the leader's): empty.
	if got, _ := queueIDs(t, a, tokMediator2, "/api/v1/queue?mine=true"); len(got) != 0 {
		t.Errorf("med2's tickets: %v", got)
	}
	rec := a.do(t, request{target: "/api/v1/queue", token: tokLeader})
	if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[],"next_cursor":""}` {
		t.Errorf("the county's queue = %s", got)
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

func TestClaimNext(t *testing.T) {
	a := newWorkAPI(t)
	// med2 gets the first unclaimed ticket that can be worked: red 210.
	rec := a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator2})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	got := mustTicket(t, rec, rec.Body.Bytes())
	if got.ID != wfFree || got.ClaimedBy != "med2" || got.LeaseExpiresAt == nil || got.Version != workVersion+1 {
		t.Errorf("claimed %+v", got)
	}
	// Nothing else can be claimed (the rest is new or held by med1): 404.
	p := mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator2}), "/api/v1/queue/claim",
		http.StatusNotFound, gridwarn.ENOTFOUND)
	if !strings.Contains(p.Detail, "nothing to claim") {
		t.Errorf("detail = %q", p.Detail)
	}
	// Once med1's lease of 202 lapses, 202 is next (orange, before blue 208).
	a.tickets.update(wfDispatched, func(t *gridwarn.Ticket, _ *ticketExtra) { t.LeaseExpiresAt = ptr(fakeNow.Add(-time.Minute)) })
	a.tickets.update(wfReferred, func(t *gridwarn.Ticket, _ *ticketExtra) { t.LeaseExpiresAt = ptr(fakeNow.Add(-time.Minute)) })
	rec = a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator2})
	if got := mustTicket(t, rec, rec.Body.Bytes()); rec.Code != http.StatusOK || got.ID != wfDispatched || got.ClaimedBy != "med2" {
		t.Errorf("after the lapse: %d %s", rec.Code, rec.Body)
	}

	// An empty queue; the county's queue; a query parameter.
	empty := mustNewAPI(t, 3, 0, nil, nil)
	mustProblem(t, empty.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokMediator}), "/api/v1/queue/claim", http.StatusNotFound, gridwarn.ENOTFOUND)
	mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/queue/claim", token: tokLeader}), "/api/v1/queue/claim", http.StatusNotFound, gridwarn.ENOTFOUND)
	p = mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/queue/claim?level=red", token: tokMediator}), "/api/v1/queue/claim", http.StatusBadRequest, gridwarn.EINVALID)
	if diff := cmp.Diff([]string{"level"}, fieldNames(p)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestHistory(t *testing.T) {
	a := newWorkAPI(t)
	for i, r := range []request{
		actionRequest(workflow.ActionAccept, wfDispatched, etag(workVersion), ""),
		actionRequest(workflow.ActionNote, wfDispatched, etag(workVersion+1), `{"note":"called the owner"}`),
		actionRequest(workflow.ActionStart, wfDispatched, etag(workVersion+2), ""),
	} {
		if rec := a.do(t, r); rec.Code != http.StatusOK {
			t.Fatalf("step %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	target := fmt.Sprintf("/api/v1/tickets/%d/history", wfDispatched)
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

	// A grid worker sees only the tickets their reports fed.
	mustProblem(t, a.do(t, request{target: target, token: tokGridWorker}), target, http.StatusNotFound, gridwarn.ENOTFOUND)
	pageOf[gridwarn.HistoryEntry](t, a.do(t, request{target: "/api/v1/tickets/1/history", token: tokGridWorker}))
	mustProblem(t, a.do(t, request{target: "/api/v1/tickets/424242/history"}), "/api/v1/tickets/424242/history", http.StatusNotFound, gridwarn.ENOTFOUND)
	mustProblem(t, a.do(t, request{target: "/api/v1/tickets/abc/history"}), "/api/v1/tickets/abc/history", http.StatusBadRequest, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: target + "?limit=5"}), target, http.StatusBadRequest, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: target, token: tokReporter}), target, http.StatusForbidden, gridwarn.EFORBIDDEN)
}

func TestTicketETag(t *testing.T) {
	a := newWorkAPI(t)
	for _, id := range []int64{1, wfInProgress} {
		rec := a.do(t, request{target: fmt.Sprintf("/api/v1/tickets/%d", id)})
		var d gridwarn.TicketDetail
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %d: %d %s", id, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("ETag"); got != etag(d.Version) || d.Version != a.tickets.version(id) {
			t.Errorf("ticket %d: ETag %q, version %d", id, got, d.Version)
		}
	}
	// Errors carry no ETag.
	rec := a.do(t, actionRequest(workflow.ActionClose, wfInProgress, etag(workVersion), ""))
	if rec.Code != http.StatusConflict || rec.Header().Get("ETag") != "" {
		t.Errorf("409 with ETag %q", rec.Header().Get("ETag"))
	}
}
