package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
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

// FuzzCloseBody sends random bodies to POST /api/v1/tickets/{id}/close:
// the answer is a ticket or a 4xx problem, never a 5xx.
func FuzzCloseBody(f *testing.F) {
	for _, seed := range []string{
		`{"note":"done"}`, `{"note":""}`, `{"note":5}`, `{"x":1}`, `{"note":"a"} {}`, `[`, `null`, "",
		`{"note":"` + strings.Repeat("x", 3000) + `"}`, "{\"note\":\"\xff\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := mustNewAPI(t, 1, 0, nil, nil)
		rec := a.do(t, request{method: "POST", target: "/api/v1/tickets/1/close", body: body, contentType: "application/json", token: tokMediator})
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d; body: %s", body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK && !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("body %q: problem is not UTF-8: %q", body, rec.Body)
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
