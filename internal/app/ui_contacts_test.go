package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The "1+x" contacts' pages (issue 16): each is limited as the API's
// route of the same change (another town's administrator: 404 or 422, a
// grid worker or reporter: 403).
func init() {
	const reporter = "rpt-320924100"
	uiAccessTable["GET /ui/contacts"] = uiAccess{
		path:    func(*world) string { return "/ui/contacts" },
		allowed: "leader", forbidden: reporter,
		outsider: "leader-b", outsiderCode: http.StatusOK,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["GET /ui/contacts/:id"] = uiAccess{
		path:    func(w *world) string { return fmt.Sprintf("/ui/contacts/%d", w.contactA) },
		allowed: "leader", forbidden: reporter,
		outsider: "leader-b", outsiderCode: http.StatusNotFound,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["POST /ui/contacts"] = uiAccess{
		path: func(*world) string { return "/ui/contacts" },
		form: func(w *world) url.Values {
			return url.Values{"person": {"mediator-320924100-2"}, "enterprise": {w.entA.CreditCode}, "workers": {"KN-2026-0101, illness"}}
		},
		allowed: "admin", forbidden: "leader",
		outsider: "admin-b", outsiderCode: http.StatusUnprocessableEntity,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["POST /ui/contacts/import"] = uiAccess{
		path: func(*world) string { return "/ui/contacts/import" },
		form: func(w *world) url.Values {
			return url.Values{"csv": {"用户名,统一社会信用代码\nmediator-320924100-2," + w.entA.CreditCode + "\n"}, "dry_run": {"1"}}
		},
		allowed: "admin", forbidden: "leader",
		outsider: "admin-b", outsiderCode: http.StatusBadRequest,
		hidden: func(w *world) string { return w.entA.Name },
	}
	uiAccessTable["POST /ui/contacts/:id/end"] = uiAccess{
		path:    func(w *world) string { return fmt.Sprintf("/ui/contacts/%d/end", w.contactA) },
		form:    func(*world) url.Values { return url.Values{"reason": {"调岗"}} },
		allowed: "admin", forbidden: "gw-320924101-j01-1",
		outsider: "admin-b", outsiderCode: http.StatusNotFound,
	}
}

var contactIDRE = regexp.MustCompile(`/ui/contacts/(\d+)`)

// A person reads their own contact with a link to record a visit there; a
// leader the scope's; an administrator imports (a dry run first, stored
// only when unticked), assigns with the form (a name as a worker's label
// is refused, in Chinese) and ends with a reason — all through the
// contact service, whose history shows each change.
func TestContactsPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	med := signIn(t, w.a, "mediator-320924100-1")
	code, body := med.get("/ui/contacts")
	if code != http.StatusOK || !strings.Contains(body, w.entA.Name) || !strings.Contains(body, "KN-2025-017") ||
		!strings.Contains(body, "/ui/visits/new?enterprise="+w.entA.CreditCode) || !strings.Contains(body, "因病") {
		t.Fatalf("the mediator's own contact: %d %.2000s", code, body)
	}
	if strings.Contains(body, `id="contact-assign"`) || strings.Contains(body, `id="contact-scope"`) {
		t.Error("a mediator sees the assign form or the scope's list")
	}
	leader := signIn(t, w.a, "leader")
	if code, body := leader.get("/ui/contacts"); code != http.StatusOK || !strings.Contains(body, `id="contacts"`) ||
		!strings.Contains(body, w.entA.Name) || strings.Contains(body, `id="contact-assign"`) {
		t.Errorf("the leader's contacts: %d %.2000s", code, body)
	}

	admin := signIn(t, w.a, "admin")
	csv := "用户名,统一社会信用代码,困难职工编号,困难类型\nmediator-320924100-2," + w.entA.CreditCode + ",KN-2026-0200,job_loss\n"
	code, body = admin.post("/ui/contacts/import", url.Values{"csv": {csv}, "dry_run": {"1"}})
	if code != http.StatusOK || !strings.Contains(body, "试导入完成") {
		t.Fatalf("dry run: %d %.2000s", code, body)
	}
	if got, _ := w.a.DB().Contacts(ctx, principalOf(t, w, "admin"), gridwarn.ContactFilter{Person: "mediator-320924100-2"}); len(got) != 0 {
		t.Fatalf("the dry run stored %+v", got)
	}
	if code, body := admin.post("/ui/contacts/import", url.Values{"csv": {csv}}); code != http.StatusOK || !strings.Contains(body, "已导入") {
		t.Fatalf("import: %d %.2000s", code, body)
	}
	if got, _ := w.a.DB().Contacts(ctx, principalOf(t, w, "admin"), gridwarn.ContactFilter{Person: "mediator-320924100-2"}); len(got) != 1 ||
		got[0].Workers[0].Label != "KN-2026-0200" || got[0].AssignedBy != "admin" {
		t.Fatalf("imported: %+v", got)
	}

	code, body = admin.post("/ui/contacts", url.Values{"person": {"leader"}, "enterprise": {w.entA.CreditCode}, "workers": {"张三, 因病"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="contact-errors"`) || !strings.Contains(body, "张三") {
		t.Fatalf("a name as a label: %d %.2000s", code, body)
	}
	code, loc := admin.post("/ui/contacts", url.Values{"person": {"leader"}, "enterprise": {w.entA.CreditCode},
		"workers": {"KN-2026-0300, 因病, 2026-01-05, 每月电话联系\nKN-2026-0301，schooling"}})
	m := contactIDRE.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("assign: %d %s", code, loc)
	}
	page := "/ui/contacts/" + m[1]
	if code, body := admin.get(page); code != http.StatusOK || !strings.Contains(body, "KN-2026-0300") ||
		!strings.Contains(body, "子女就学") || !strings.Contains(body, "每月电话联系") || !strings.Contains(body, `id="contact-end"`) {
		t.Fatalf("the assigned contact: %d %.3000s", code, body)
	}
	if code, _ := signIn(t, w.a, "admin-b").post(page+"/end", url.Values{"reason": {"调岗"}}); code != http.StatusNotFound {
		t.Errorf("another town's administrator ends it: %d, want 404", code)
	}
	if code, _ := admin.post(page+"/end", url.Values{"reason": {"调岗"}}); code != http.StatusSeeOther {
		t.Fatalf("end: %d", code)
	}
	if code, body := admin.get(page); code != http.StatusOK || !strings.Contains(body, "已结束") || !strings.Contains(body, "调岗") ||
		strings.Contains(body, `id="contact-end"`) {
		t.Errorf("the ended contact: %d %.3000s", code, body)
	}
}

// principalOf is a world person as the services see them.
func principalOf(t *testing.T, w *world, name string) *gridwarn.Principal {
	t.Helper()
	u, err := w.a.DB().UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &gridwarn.Principal{User: *u}
}
