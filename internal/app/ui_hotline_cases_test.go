package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The administrator's page of hotline cases: held cases, their link.
func init() {
	uiAccessTable["GET /ui/hotline/cases"] = uiAccess{
		path:    func(w *world) string { w.heldCase(); return "/ui/hotline/cases" },
		allowed: "admin", forbidden: "mediator-320924100-1",
		// Town B's administrator lists the cases about town B only: not the
		// one held at the county.
		outsider: "admin-b", outsiderCode: http.StatusOK, hidden: func(w *world) string { return w.heldCase().WorkOrder },
	}
	uiAccessTable["GET /ui/hotline/cases/:id"] = uiAccess{
		path:    func(w *world) string { return fmt.Sprintf("/ui/hotline/cases/%d", w.heldCase().ID) },
		allowed: "admin", forbidden: "mediator-320924100-1",
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
	}
	uiAccessTable["POST /ui/hotline/cases/:id/link"] = uiAccess{
		path: func(w *world) string { return fmt.Sprintf("/ui/hotline/cases/%d/link", w.heldCase().ID) },
		form: func(w *world) url.Values { return url.Values{"enterprise": {w.entA.CreditCode}} },
		// No allowed check: linking would change what the other rows see.
		forbidden: "leader", outsider: "admin-b", outsiderCode: http.StatusNotFound,
	}
	uiAccessTable["POST /ui/hotline/cases/:id/enterprise"] = uiAccess{
		path: func(w *world) string { return fmt.Sprintf("/ui/hotline/cases/%d/enterprise", w.heldCase().ID) },
		form: func(w *world) url.Values {
			return url.Values{"credit_code": {testutil.CreditCode(9100001)}, "name": {"外人新增企业"}, "ownership": {"private"},
				"headcount": {"5"}, "registered_capital_cny": {"0"}, "compliance_grade": {"B"}, "town_code": {townB}}
		},
		forbidden: "leader", outsider: "admin-b", outsiderCode: http.StatusNotFound,
	}
}

// The county administrator finds the held case first on the page, the
// caller masked; links one case by the registry search and another by
// adding its enterprise to the registry; each becomes one ticket. The
// operator reads the page but is offered no link; a refused link says why.
func TestHotlineCasesPageLinksHeldCases(t *testing.T) {
	w := hotlineWorld(t)
	held := func(name string) gridwarn.HotlineCase {
		return hotlineCase(t, w, demo.HotlineLogin, map[string]any{"caller_name": "冯二", "caller_phone": "13655556666",
			"intake_type": "help", "class": "ordinary", "enterprise_name": name, "category": "wage_arrears", "workers_involved": 4})
	}
	a, b := held(w.entA.Name), held("城北无名砖厂")
	forwarded := hotlineCase(t, w, demo.HotlineLogin, map[string]any{"caller_name": "陈三", "caller_phone": "13677778888",
		"intake_type": "complaint", "class": "ordinary", "enterprise": w.entA.CreditCode, "category": "other"})

	admin := signIn(t, w.a, "admin")
	code, body := admin.get("/ui/hotline/cases")
	if code != http.StatusOK {
		t.Fatalf("list: %d %.500s", code, body)
	}
	heldAt, latestAt := strings.Index(body, `id="hotline-held"`), strings.Index(body, `id="hotline-latest"`)
	if i := strings.Index(body, a.WorkOrder); i < heldAt || i > latestAt {
		t.Errorf("the held case %s is not in the held list", a.WorkOrder)
	}
	if i := strings.Index(body, forwarded.WorkOrder); i < latestAt {
		t.Errorf("the forwarded case %s is not in the latest list", forwarded.WorkOrder)
	}
	if !strings.Contains(body, "136****6666") || strings.Contains(body, "13655556666") || strings.Contains(body, "冯二") {
		t.Errorf("the caller is not masked on the list:\n%.3000s", body)
	}

	// Case a: the page searches the registry by the name the caller gave.
	path := fmt.Sprintf("/ui/hotline/cases/%d", a.ID)
	code, body = admin.get(path)
	if code != http.StatusOK || !strings.Contains(body, `id="hotline-matches"`) || !strings.Contains(body, w.entA.CreditCode) ||
		strings.Contains(body, "13655556666") {
		t.Fatalf("case page: %d %.3000s", code, body)
	}
	// A credit code that is not in the registry is refused, in Chinese.
	code, body = admin.post(path+"/link", url.Values{"enterprise": {testutil.CreditCode(9100002)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "未能关联") {
		t.Errorf("link to an unknown code: %d %.2000s", code, body)
	}
	if code, loc := admin.post(path+"/link", url.Values{"enterprise": {w.entA.CreditCode}}); code != http.StatusSeeOther || loc != path {
		t.Fatalf("link: %d %s", code, loc)
	}
	waitHotlineTicket(t, w, a.ID)
	code, body = admin.get(path)
	if code != http.StatusOK || !strings.Contains(body, "已转预警") || strings.Contains(body, `id="hotline-link"`) || !strings.Contains(body, `id="case-ticket"`) {
		t.Errorf("after the link: %d %.3000s", code, body)
	}

	// Case b: the registry does not have it; the administrator adds it and
	// links in one form. A bad form keeps what was typed.
	pathB := fmt.Sprintf("/ui/hotline/cases/%d", b.ID)
	newCode := testutil.CreditCode(9100003)
	form := url.Values{"credit_code": {newCode}, "name": {"城北无名砖厂"}, "ownership": {"private"}, "headcount": {"x"},
		"registered_capital_cny": {"0"}, "compliance_grade": {"B"}, "town_code": {townA}}
	code, body = admin.post(pathB+"/enterprise", form)
	if code != http.StatusBadRequest || !strings.Contains(body, `value="城北无名砖厂"`) {
		t.Errorf("bad enterprise form: %d %.3000s", code, body)
	}
	form.Set("headcount", "12")
	if code, loc := admin.post(pathB+"/enterprise", form); code != http.StatusSeeOther || loc != pathB {
		t.Fatalf("create and link: %d %s", code, loc)
	}
	waitHotlineTicket(t, w, b.ID)
	if code, out := w.do(t, "admin", "GET", "/api/v1/enterprises/"+newCode, nil); code != http.StatusOK || !strings.Contains(string(out), "城北无名砖厂") {
		t.Errorf("the new enterprise: %d %s", code, out)
	}
	// Again: the code is in the registry now; nothing is overwritten.
	form.Set("name", "改名")
	if code, body := admin.post(pathB+"/enterprise", form); code != http.StatusConflict {
		t.Errorf("create again: %d %.1000s", code, body)
	}

	// The operator reads the cases, and is offered no link.
	op := signIn(t, w.a, demo.HotlineLogin)
	held2 := held("南郊无名厂")
	code, body = op.get(fmt.Sprintf("/ui/hotline/cases/%d", held2.ID))
	if code != http.StatusOK || strings.Contains(body, `id="hotline-link"`) || strings.Contains(body, `id="hotline-create"`) {
		t.Errorf("the operator's view of a held case: %d %.2000s", code, body)
	}
	if code, _ := op.post(fmt.Sprintf("/ui/hotline/cases/%d/link", held2.ID), url.Values{"enterprise": {w.entA.CreditCode}}); code != http.StatusForbidden {
		t.Errorf("the operator links: %d, want 403", code)
	}
}
