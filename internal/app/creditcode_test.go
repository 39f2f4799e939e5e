package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// A credit code with a wrong check character is named, with the same words,
// by POST /api/v1/reports (400 problem+json with the field error) and by the
// console's report form (the form again, and the JSON answer report.js
// reads) — never "unknown or outside your scope".
func TestWrongCheckCharacterIsNamedByAPIAndConsole(t *testing.T) {
	w := newWorld(t)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	good := w.entA.CreditCode
	bad := good[:17] + "0"
	if good[17] == '0' {
		bad = good[:17] + "1"
	}
	msg := fmt.Sprintf("character 18 (check character) is '%c', want '%c'", bad[17], good[17])
	// The console says it in the page's language (Chinese by default).
	zh := fmt.Sprintf("第 18 位（校验位）是“%c”，应为“%c”，请核对代码", bad[17], good[17])
	occurred := time.Now().Add(-time.Hour)

	// The API.
	body, _ := json.Marshal(map[string]any{"id": "check-api-1", "enterprise": bad, "category": "wage_arrears",
		"occurred_at": occurred.Format(time.RFC3339)})
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
	want := gridwarn.FieldError{Field: "enterprise", Rule: gridwarn.RuleCreditCode, Message: msg}
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") ||
		p.Code != gridwarn.EINVALID || len(p.Fields) != 1 || p.Fields[0] != want {
		t.Errorf("API: %d %s %s; want 400 problem+json with %+v", resp.StatusCode, resp.Header.Get("Content-Type"), out, want)
	}

	// The console's form, without and with JavaScript.
	c := signIn(t, w.a, gw)
	if code, _ := c.get("/ui/report?enterprise=" + good); code != http.StatusOK {
		t.Fatalf("form: %d", code)
	}
	form := url.Values{"id": {"check-ui-1"}, "enterprise": {bad}, "category": {"wage_arrears"},
		"occurred_at": {occurred.In(shanghai(t)).Format("2006-01-02T15:04")}}
	code, page := c.post("/ui/report", form)
	if code != http.StatusBadRequest || !strings.Contains(page, template.HTMLEscapeString(zh)) || !strings.Contains(page, `href="#enterprise"`) {
		t.Errorf("form: %d, want 400 naming %q:\n%s", code, zh, page)
	}
	var refusal struct {
		Error  string `json:"error"`
		Fields []struct{ Field, Rule, Message string }
	}
	form.Set("id", "check-ui-2")
	if code := c.postJSON("/ui/report", form, &refusal); code != http.StatusBadRequest || refusal.Error != gridwarn.EINVALID ||
		len(refusal.Fields) != 1 || refusal.Fields[0].Field != "enterprise" || refusal.Fields[0].Message != zh {
		t.Errorf("form as JSON: %d %+v, want the message %q", code, refusal, zh)
	}
}
