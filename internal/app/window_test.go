package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// Dates outside the configured window (events.max_future ahead,
// legal.limitation_days + events.age_margin_days back) are refused with 422
// by POST /api/v1/reports and by the console's form, naming occurred_at and
// the rule — they never reach the stream, so no ticket gets 1900 or 9999 as
// its first or last event date.
func TestReportDatesOutsideTheWindowAreRefused(t *testing.T) {
	w := newWorld(t)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	now := time.Now()
	streamMsgs := func() uint64 {
		t.Helper()
		st, err := w.a.JetStream().Stream(t.Context(), natsbus.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		si, err := st.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return si.State.Msgs
	}
	before := streamMsgs()
	cases := []struct {
		name     string
		occurred time.Time
		rule     string
	}{
		{"1900", time.Date(1900, 1, 1, 9, 0, 0, 0, time.UTC), gridwarn.RuleTooOld},
		{"a year and two months ago", now.AddDate(0, -14, 0), gridwarn.RuleTooOld},
		{"9999", time.Date(9999, 12, 31, 9, 0, 0, 0, time.UTC), gridwarn.RuleFuture},
		{"an hour ahead", now.Add(time.Hour), gridwarn.RuleFuture},
	}
	for i, tc := range cases {
		body, _ := json.Marshal(map[string]any{"id": "window-api-" + string(rune('a'+i)), "enterprise": w.entA.CreditCode,
			"category": "wage_arrears", "occurred_at": tc.occurred.Format(time.RFC3339)})
		req, _ := http.NewRequest("POST", "http://"+w.a.APIAddr()+"/api/v1/reports", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+w.tokens[gw])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var p struct {
			Code   string                `json:"code"`
			Fields []gridwarn.FieldError `json:"errors"`
		}
		_ = json.Unmarshal(out, &p)
		if resp.StatusCode != http.StatusUnprocessableEntity || p.Code != gridwarn.EUNPROCESSABLE || len(p.Fields) != 1 ||
			p.Fields[0].Field != "occurred_at" || p.Fields[0].Rule != tc.rule {
			t.Errorf("API, %s: %d %s; want 422 naming occurred_at (%s)", tc.name, resp.StatusCode, out, tc.rule)
		}
	}

	// The console: the form again with the field named and the enterprise
	// shown; report.js's JSON answer is a final 422.
	c := signIn(t, w.a, gw)
	loc := shanghai(t)
	for i, tc := range cases {
		form := url.Values{"id": {"window-ui-" + string(rune('a'+i))}, "enterprise": {w.entA.CreditCode},
			"category": {"wage_arrears"}, "occurred_at": {tc.occurred.In(loc).Format("2006-01-02T15:04")}}
		code, page := c.post("/ui/report", form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#occurred_at"`) || !strings.Contains(page, w.entA.Name) {
			t.Errorf("form, %s: %d, want 422 naming occurred_at beside %s:\n%s", tc.name, code, w.entA.Name, page)
		}
		var refusal struct {
			Error  string `json:"error"`
			Fields []struct{ Field, Rule string }
		}
		form.Set("id", form.Get("id")+"-js")
		if code := c.postJSON("/ui/report", form, &refusal); code != http.StatusUnprocessableEntity ||
			len(refusal.Fields) != 1 || refusal.Fields[0].Field != "occurred_at" || refusal.Fields[0].Rule != tc.rule {
			t.Errorf("form as JSON, %s: %d %+v, want 422 naming occurred_at (%s)", tc.name, code, refusal, tc.rule)
		}
	}

	// Nothing of it reached the stream.
	if n := streamMsgs(); n != before {
		t.Errorf("the stream holds %d messages, want %d as before", n, before)
	}
}
