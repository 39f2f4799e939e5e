package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Bulk assign answers per ticket: one stale version does not undo the rest.
func TestBulkAssign(t *testing.T) {
	a := newWorkAPI(t)
	a.work.act = func(c workCall) (*gridwarn.Ticket, error) {
		switch c.req.TicketID {
		case 203:
			return nil, gridwarn.Errorf(gridwarn.EPRECONDITION, "ticket 203 is at version 4, not 3")
		case 999:
			return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket 999 not found")
		}
		return workTicket(c.req.TicketID, c.req.IfMatch+1), nil
	}
	resp := a.do(t, request{method: "POST", target: "/api/v1/tickets/bulk-assign", contentType: "application/json", token: tokMediator,
		body: `{"items":[{"id":202,"version":4},{"id":203,"version":3},{"id":999,"version":1}],"assignee":"med2"}`})
	if resp.Code != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Code, resp.Body)
	}
	var out struct {
		Items []bulkResult `json:"items"`
	}
	if err := json.Unmarshal(resp.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	got := []int{}
	for _, it := range out.Items {
		got = append(got, it.Status)
	}
	if len(got) != 3 || got[0] != 200 || got[1] != http.StatusPreconditionFailed || got[2] != http.StatusNotFound {
		t.Errorf("per-ticket statuses = %v, want [200 412 404]", got)
	}
	var sent []string
	for _, r := range a.work.acts() {
		sent = append(sent, fmt.Sprintf("%s %d@%d %s", r.Action, r.TicketID, r.IfMatch, r.Body.Assignee))
	}
	if want := []string{"assign 202@4 med2", "assign 203@3 med2", "assign 999@1 med2"}; !slices.Equal(want, sent) {
		t.Errorf("the service got %v, want %v", sent, want)
	}
	n := len(sent)
	for _, body := range []string{`{"items":[],"assignee":"med2"}`, `{"items":[{"id":202,"version":4}]}`,
		`{"items":[{"id":202,"version":4}],"assignee":"med2","into":5}`, `{"items":[{"id":202,"version":4}],"assignee":"med2","status":"closed"}`} {
		if r := a.do(t, request{method: "POST", target: "/api/v1/tickets/bulk-assign", contentType: "application/json", token: tokMediator, body: body}); r.Code != 400 {
			t.Errorf("%s: %d, want 400", body, r.Code)
		}
	}
	if len(a.work.acts()) != n {
		t.Error("a refused bulk request reached the service")
	}
}

func TestExportTickets(t *testing.T) {
	a := mustNewAPI(t, 120, 0, nil, nil)
	resp := a.do(t, request{target: "/api/v1/tickets/export"})
	if resp.Code != 200 || !strings.HasPrefix(resp.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.Code, resp.Header().Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(resp.Body.String(), "\uFEFF")), "\n")
	if len(lines) != 121 || !strings.HasPrefix(lines[0], "id,enterprise,category") {
		t.Errorf("export has %d lines (want a header and 120 rows): %q", len(lines), lines[0])
	}
	if r := a.do(t, request{target: "/api/v1/tickets/export?level=purple"}); r.Code != 400 {
		t.Errorf("bad filter: %d, want 400", r.Code)
	}
}
