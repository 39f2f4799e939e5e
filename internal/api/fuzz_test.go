package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// FuzzListQuery sends random query strings to GET /api/v1/tickets: the
// answer is a page or a 4xx problem, never a 5xx. Seeds live in
// testdata/fuzz/FuzzListQuery.
func FuzzListQuery(f *testing.F) {
	a := mustNewAPI(f, 120, 0, nil, nil)
	f.Fuzz(func(t *testing.T, q string) {
		rec := a.do(t, request{target: "/api/v1/tickets", rawQuery: &q})
		switch {
		case rec.Code >= 500:
			t.Fatalf("query %q: status %d; body: %s", q, rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			var p gridwarn.Page[gridwarn.Ticket]
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Items == nil || len(p.Items) > maxLimit {
				t.Fatalf("query %q: bad page (%v): %s", q, err, rec.Body)
			}
		default:
			var p problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Code == "" ||
				rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("query %q: status %d without a problem (%v): %s", q, rec.Code, err, rec.Body)
			}
		}
	})
}

// FuzzQueueQuery sends random query strings to GET /api/v1/queue: the
// answer is a page or a 4xx problem, never a 5xx.
func FuzzQueueQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=1", "mine=true&unclaimed=true", "level=red&state=dispatched&town=320924100", "limit=101",
		"cursor=" + gridwarn.QueueKey{LevelRank: 3, Due: ptr(testTime), ID: 202}.Cursor(),
		"cursor=" + gridwarn.QueueKey{LevelRank: 1, ID: 1}.Cursor(), "cursor=cTF8NHwtfDA", "state=merged",
	} {
		f.Add(seed)
	}
	a := mustNewAPI(f, 3, 0, nil, nil)
	f.Fuzz(func(t *testing.T, q string) {
		rec := a.do(t, request{target: "/api/v1/queue", rawQuery: &q, token: tokMediator})
		switch {
		case rec.Code >= 500:
			t.Fatalf("query %q: status %d; body: %s", q, rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			var p gridwarn.Page[gridwarn.QueueItem]
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Items == nil || len(p.Items) > maxLimit {
				t.Fatalf("query %q: bad page (%v): %s", q, err, rec.Body)
			}
		case rec.Code != http.StatusBadRequest:
			t.Fatalf("query %q: status %d; body: %s", q, rec.Code, rec.Body)
		}
	})
}

// FuzzActionBody sends random bodies to the state machine's actions as
// med1 with a matching If-Match: the answer is a ticket or a 4xx problem,
// never a 5xx, and a field outside the action's is never accepted.
func FuzzActionBody(f *testing.F) {
	for _, seed := range []struct {
		action string
		body   string
	}{
		{"close", `{"note":"done"}`}, {"close", `{"note":""}`}, {"close", `{"note":5}`}, {"close", `{"x":1}`},
		{"close", `{"note":"a"} {}`}, {"close", `[`}, {"close", `null`}, {"close", ""},
		{"close", `{"note":"` + strings.Repeat("x", 3000) + `"}`}, {"close", "{\"note\":\"\xff\"}"},
		{"reply", `{"outcome":{"result":"paid_in_full","promised_payments":["2025-02-30"]}}`},
		{"reply", `{"outcome":{"result":"withdrawn","amount_recovered_cny":1e400}}`},
		{"extend", `{"due_at":"2030-01-01T00:00:00Z","reason":"x"}`}, {"extend", `{"due_at":"0000-01-01T00:00:00Z","reason":"x"}`},
		{"merge", `{"into":-1}`}, {"merge", `{"into":9223372036854775807}`}, {"follow_up", `{"follow_up_on":"2025-04-01","paid":null}`},
		{"contact", `{"contact":{"kind":"phone_call","held_at":"2025-03-01T10:00:00Z","attendees":null}}`},
		{"note", `{"note":"x","visibility":"shareable","status":"closed"}`}, {"assign", `{"assignee":"med1"}`},
	} {
		f.Add(seed.action, seed.body)
	}
	f.Fuzz(func(t *testing.T, action, body string) {
		act := workflow.Action(action)
		s, ok := actionSamples[act]
		if !ok {
			t.Skip()
		}
		a := mustNewAPI(t, 0, 0, nil, nil)
		req := actionRequest(act, s.id, etag(workVersion), body)
		req.answerOnly = true // the stand-in Work service validates nothing
		rec := a.do(t, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d; body: %s", action, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK && !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: problem is not UTF-8: %q", action, body, rec.Body)
		}
		if rec.Code == http.StatusOK {
			var fields map[string]json.RawMessage
			_ = json.Unmarshal([]byte(body), &fields)
			for k := range fields {
				if !slices.Contains(actionFields[act], k) {
					t.Fatalf("%s %q: accepted field %q", action, body, k)
				}
			}
		}
	})
}

// FuzzReportBody sends random bodies and Idempotency-Keys to POST
// /api/v1/reports: the answer is a receipt or a 4xx problem, never a 5xx.
func FuzzReportBody(f *testing.F) {
	for _, seed := range []struct{ body, key string }{
		{reportBody("evt-1", testEnterprise), ""}, {reportBody("", testEnterprise), "k1"}, {reportBody("a", testEnterprise), "b"},
		{`null`, "k1"}, {`[]`, "k1"}, {`{}`, ""}, {`{"id":5}`, "5"}, {`{"reporter":{}}`, ""}, {"", "k"}, {`{"id":"x"} {}`, ""},
		{reportBody("evt-2", testEnterpriseB), ""}, {"{\"id\":\"\xff\"}", "\xff"},
	} {
		f.Add(seed.body, seed.key)
	}
	a := mustNewAPI(f, 0, 0, nil, nil)
	f.Fuzz(func(t *testing.T, body, key string) {
		r := request{method: "POST", target: "/api/v1/reports", body: body, contentType: "application/json", token: tokGridWorker}
		if key != "" && !strings.ContainsAny(key, "\r\n\x00") {
			r.header = map[string]string{"Idempotency-Key": key}
		}
		rec := a.do(t, r)
		if rec.Code >= 500 {
			t.Fatalf("body %q, key %q: status %d; body: %s", body, key, rec.Code, rec.Body)
		}
	})
}
