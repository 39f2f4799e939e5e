package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// apiAct POSTs an action to the API as username with If-Match version and
// returns the status and the problem's field errors as "field/rule".
func apiAct(t *testing.T, w *world, username, path string, version int, body any) (int, []string) {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+w.a.APIAddr()+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+w.tokens[username])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", strconv.Quote(strconv.Itoa(version)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p struct {
		Errors []gridwarn.FieldError `json:"errors"`
	}
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
		}
	}
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field+"/"+f.Rule)
	}
	slices.Sort(out)
	return resp.StatusCode, out
}

var fieldErrorRE = regexp.MustCompile(`<li data-field="([^"]*)" data-rule="([^"]*)">`)

// pageFieldErrors reads the field errors a ticket page shows, as
// "field/rule" with the service's field paths.
func pageFieldErrors(body string) []string {
	var out []string
	for _, m := range fieldErrorRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1])+"/"+html.UnescapeString(m[2]))
	}
	slices.Sort(out)
	return out
}

// The API and the console are two ports of one service: the same stale
// version gets the same status (412) from both, and the same invalid body
// the same field errors, because the service validates for every caller.
func TestPortsAgree(t *testing.T) {
	w := newWorld(t)
	const med = "mediator-320924100-1"
	ui := signIn(t, w.a, med)
	api := fmt.Sprintf("/api/v1/tickets/%d/", w.ticketA)
	page := fmt.Sprintf("/ui/tickets/%d", w.ticketA)

	// Claim, accept and start through the API: the reply, note and contact
	// forms are offered.
	for _, a := range []string{"claim", "accept", "start"} {
		if code, errs := apiAct(t, w, med, api+a, ticketVersion(w, w.ticketA), map[string]any{}); code != http.StatusOK {
			t.Fatalf("%s: %d %v", a, code, errs)
		}
	}
	v := ticketVersion(w, w.ticketA)

	// A stale version: 412 from both, nothing changes.
	apiCode, _ := apiAct(t, w, med, api+"notes", v-1, map[string]any{"note": "late"})
	ui.get(page)
	uiCode, body := ui.post(page+"/notes", url.Values{"version": {strconv.Itoa(v - 1)}, "note": {"late"}})
	if apiCode != http.StatusPreconditionFailed || uiCode != apiCode {
		t.Errorf("stale version: API %d, console %d; want 412 from both", apiCode, uiCode)
	}
	if !strings.Contains(body, `id="conflict"`) {
		t.Errorf("the console's 412 does not show the conflict: %.300s", body)
	}
	if got := ticketVersion(w, w.ticketA); got != v {
		t.Fatalf("a stale request changed the ticket: version %d → %d", v, got)
	}

	long := strings.Repeat("长", gridwarn.MaxTextChars+1)
	for _, tc := range []struct {
		name, action string
		json         map[string]any
		form         url.Values
		want         []string
	}{
		{"reply", "reply",
			map[string]any{"outcome": map[string]any{"result": "won", "amount_recovered_cny": -1, "workers_covered": -2,
				"agreement_date": "10/01/2026", "promised_payments": []string{"2026-02-01", "soon"}}, "note": long},
			url.Values{"outcome_result": {"won"}, "amount_recovered_cny": {"-1"}, "workers_covered": {"-2"},
				"agreement_date": {"10/01/2026"}, "promised_payments": {"2026-02-01, soon"}, "note": {long}},
			[]string{"note/text", "outcome.agreement_date/date", "outcome.amount_recovered_cny/number",
				"outcome.promised_payments/date", "outcome.result/enum", "outcome.workers_covered/number"}},
		{"note", "notes",
			map[string]any{"note": "  \x00 ", "visibility": "public"},
			url.Values{"note": {"  \x00 "}, "visibility": {"public"}},
			[]string{"note/text", "visibility/enum"}},
		{"contact", "contacts",
			map[string]any{"contact": map[string]any{"kind": "letter", "held_at": "2026-11-20T02:00:00Z",
				"attendees": []string{strings.Repeat("x", gridwarn.MaxNameChars+1)}, "summary": long}},
			url.Values{"contact_kind": {"letter"}, "held_at": {"2026-11-20T10:00"},
				"attendees": {strings.Repeat("x", gridwarn.MaxNameChars+1)}, "summary": {long}},
			[]string{"contact.attendees/text", "contact.kind/enum", "contact.summary/text"}},
		{"empty contact", "contacts",
			map[string]any{"contact": map[string]any{}}, url.Values{},
			[]string{"contact.held_at/required", "contact.kind/required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apiCode, apiErrs := apiAct(t, w, med, api+tc.action, v, tc.json)
			ui.get(page)
			tc.form.Set("version", strconv.Itoa(v))
			uiCode, body := ui.post(page+"/"+tc.action, tc.form)
			if apiCode != http.StatusBadRequest || uiCode != apiCode {
				t.Errorf("API %d, console %d; want 400 from both", apiCode, uiCode)
			}
			if diff := cmp.Diff(tc.want, apiErrs); diff != "" {
				t.Errorf("the API's field errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(apiErrs, pageFieldErrors(body)); diff != "" {
				t.Errorf("the console's field errors differ from the API's (-API +console):\n%s", diff)
			}
			if got := ticketVersion(w, w.ticketA); got != v {
				t.Fatalf("an invalid request changed the ticket: version %d → %d", v, got)
			}
		})
	}

	// Text is trimmed for both: a note sent with spaces is stored without.
	if code, _ := apiAct(t, w, med, api+"notes", v, map[string]any{"note": "  from the API \r\n"}); code != http.StatusOK {
		t.Fatalf("API note: %d", code)
	}
	ui.get(page)
	if code, _ := ui.post(page+"/notes", url.Values{"version": {strconv.Itoa(v + 1)}, "note": {"  from the console \r\n"}}); code != http.StatusSeeOther {
		t.Fatalf("console note: %d", code)
	}
	d, err := w.a.DB().Ticket(t.Context(), gridwarn.Visibility{All: true}, w.ticketA)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, n := range d.Notes {
		notes = append(notes, n.Body)
	}
	if diff := cmp.Diff([]string{"from the API", "from the console"}, notes); diff != "" {
		t.Errorf("notes as stored (-want +got):\n%s", diff)
	}
}
