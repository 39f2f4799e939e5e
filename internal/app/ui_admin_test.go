package app_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The administrator's pages join the access table: each takes the API's
// action for the same thing, and town B's administrator never reaches
// town A's enterprises, people or events.
func init() {
	ok, redirect, notFound, invalid := http.StatusOK, http.StatusSeeOther, http.StatusNotFound, http.StatusBadRequest
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	fixed := func(p string) func(*world) string { return func(*world) string { return p } }
	entA := func(w *world) string { return w.entA.CreditCode }
	userA := func(w *world) string { return "/ui/admin/users/" + strconv.FormatInt(w.userA, 10) }
	rows := map[string]uiAccess{
		"GET /ui/admin": {path: fixed("/ui/admin"), allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: ok},

		// The registry: everyone who reads it may open the lists (as the
		// API's GETs); the other town's objects are not in them.
		"GET /ui/admin/units": {path: fixed("/ui/admin/units"), allowed: "admin", outsider: "admin-b", outsiderCode: ok,
			hidden: func(*world) string { return townA }},
		"GET /ui/admin/grids": {path: fixed("/ui/admin/grids"), allowed: "admin", outsider: "admin-b", outsiderCode: ok,
			hidden: func(w *world) string { return w.gridA }},
		"GET /ui/admin/enterprises": {path: fixed("/ui/admin/enterprises"), allowed: "admin", outsider: "leader-b", outsiderCode: ok,
			hidden: entA},
		"GET /ui/admin/enterprises/export": {path: fixed("/ui/admin/enterprises/export"), allowed: "admin", outsider: "admin-b",
			outsiderCode: ok, hidden: entA},
		"GET /ui/admin/enterprises/:code": {path: func(w *world) string { return "/ui/admin/enterprises/" + w.entA.CreditCode },
			allowed: gw, outsider: "admin-b", outsiderCode: notFound, hidden: func(w *world) string { return w.entA.Name }},
		// Saving town A's enterprise as it is: a change of nothing.
		"POST /ui/admin/enterprises/:code": {path: func(w *world) string { return "/ui/admin/enterprises/" + w.entA.CreditCode },
			form: func(w *world) url.Values { return enterpriseForm(w.entA) }, allowed: "admin", forbidden: "leader",
			outsider: "admin-b", outsiderCode: notFound},
		// A dry run: the county's administrator may, town B's may not.
		"POST /ui/admin/enterprises/import": {path: fixed("/ui/admin/enterprises/import"),
			form: func(w *world) url.Values {
				return url.Values{"csv": {enterprisesCSV(w.entA)}, "dry_run": {"1"}}
			}, allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: invalid},

		// People: leaders read them, only administrators change them.
		"GET /ui/admin/users": {path: fixed("/ui/admin/users"), allowed: "leader", forbidden: "mediator-320924100-1",
			outsider: "admin-b", outsiderCode: ok, hidden: func(*world) string { return "mediator-320924100-1" }},
		"POST /ui/admin/users": {path: fixed("/ui/admin/users"),
			form: func(*world) url.Values {
				return url.Values{"username": {"ui-access-new"}, "role": {"mediator"}, "scope_kind": {"town"}, "unit_code": {townA}}
			}, allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: invalid},
		"GET /ui/admin/users/:id": {path: userA, allowed: "leader", forbidden: gw, outsider: "admin-b", outsiderCode: notFound,
			hidden: func(*world) string { return "mediator-320924100-1" }},
		// The password's success would end the mediator's sessions, which
		// other rows use: the handler test sets one.
		"POST /ui/admin/users/:id/password": {path: func(w *world) string { return userA(w) + "/password" },
			form:      func(*world) url.Values { return url.Values{"password": {"another-password-1"}} },
			forbidden: "leader", outsider: "admin-b", outsiderCode: notFound},
		"POST /ui/admin/users/:id/tokens": {path: func(w *world) string { return userA(w) + "/tokens" },
			form: func(*world) url.Values { return url.Values{"name": {"access"}} }, allowed: "admin", forbidden: "leader",
			outsider: "admin-b", outsiderCode: notFound},
		"POST /ui/admin/tokens/:id/revoke": {path: func(w *world) string { return fmt.Sprintf("/ui/admin/tokens/%d/revoke", w.tokenA) },
			allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: notFound},

		// Rules: mediators and leaders read them; only administrators
		// check, try and reload. The what-if replays only the events of the
		// caller's scope.
		"GET /ui/admin/rules": {path: fixed("/ui/admin/rules"), allowed: "mediator-320924100-1", forbidden: gw,
			outsider: "admin-b", outsiderCode: ok},
		"POST /ui/admin/rules/check": {path: fixed("/ui/admin/rules/check"),
			form:    func(*world) url.Values { return url.Values{"yaml": {string(rules.DefaultYAML)}} },
			allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: ok},
		"POST /ui/admin/rules/diff": {path: fixed("/ui/admin/rules/diff"),
			form: func(*world) url.Values {
				return url.Values{"yaml": {string(rules.DefaultYAML)}, "all": {"1"}, "days": {"30"}}
			}, allowed: "admin", forbidden: "leader", outsider: "admin-b", outsiderCode: ok, hidden: entA},
		"POST /ui/admin/rules/reload": {path: fixed("/ui/admin/rules/reload"), allowed: "admin", forbidden: "leader",
			outsider: "admin-b", outsiderCode: redirect},
	}
	for k, v := range rows {
		if _, dup := uiAccessTable[k]; dup {
			panic("two rows for " + k)
		}
		uiAccessTable[k] = v
	}
}

// enterprisesCSV is an import file of es.
func enterprisesCSV(es ...gridwarn.Enterprise) string {
	var b strings.Builder
	if err := csvio.WriteEnterprises(&b, es); err != nil {
		panic(err)
	}
	return b.String()
}

// enterpriseForm is the enterprise page's edit form filled with e.
func enterpriseForm(e gridwarn.Enterprise) url.Values {
	f := url.Values{
		"name":                   {e.Name},
		"industry_code":          {e.IndustryCode},
		"ownership":              {string(e.Ownership)},
		"headcount":              {strconv.Itoa(e.Headcount)},
		"compliance_grade":       {e.ComplianceGrade},
		"registered_capital_cny": {strconv.FormatFloat(e.RegisteredCapitalCNY, 'f', -1, 64)},
		"town_code":              {e.TownCode},
		"grid_code":              {e.GridCode},
	}
	for k, on := range map[string]bool{"has_union": e.HasUnion, "has_mediation_committee": e.HasMediationCommittee, "key_enterprise": e.KeyEnterprise} {
		if on {
			f.Set(k, "1")
		}
	}
	return f
}

// postFile submits a multipart form with one file, as a browser's upload.
func (c *uiClient) adminUpload(path string, fields url.Values, field, name string, content []byte) (int, string) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		_ = mw.WriteField("csrf", c.csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func adminShows(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%.3000s", what, w, body)
		}
	}
}

func adminHides(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("%s shows %q", what, u)
		}
	}
}

func TestUIAdmin(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	all := gridwarn.Visibility{All: true}
	admin := signIn(t, w.a, "admin")

	code, body := admin.get("/ui/admin")
	if code != http.StatusOK {
		t.Fatalf("admin index: %d %s", code, body)
	}
	adminShows(t, "the index", body, `id="admin"`, `href="/ui/admin/enterprises"`, `href="/ui/admin/users"`, `href="/ui/admin/rules"`)

	newEnt := func(n int, name string) gridwarn.Enterprise {
		return gridwarn.Enterprise{CreditCode: testutil.CreditCode(9900000 + n), Name: name, IndustryCode: "C1713",
			Ownership: "private", Headcount: 40, ComplianceGrade: "B", TownCode: townA}
	}
	exists := func(code string) bool {
		_, err := w.a.DB().Enterprise(ctx, all, code)
		return err == nil
	}

	t.Run("import with a bad row changes nothing", func(t *testing.T) {
		good, bad := newEnt(1, "新导入甲公司"), newEnt(2, "新导入乙公司")
		file := strings.Replace(enterprisesCSV(good, bad), ",40,", ",-5,", 2) // the second row's headcount
		code, body := admin.adminUpload("/ui/admin/enterprises/import", nil, "file", "enterprises.csv", []byte(file))
		if code != http.StatusBadRequest {
			t.Fatalf("import with a bad row: %d, want 400:\n%.2000s", code, body)
		}
		adminShows(t, "the import's errors", body, `id="import-errors"`, `<td class="num">3</td>`, "<code>headcount</code>", "-5")
		adminHides(t, "a refused import", body, `id="import-result"`)
		if exists(good.CreditCode) || exists(bad.CreditCode) {
			t.Error("a refused import saved rows")
		}
	})

	t.Run("import outside the scope is refused whole", func(t *testing.T) {
		b := signIn(t, w.a, "admin-b")
		b.get("/ui/admin") // a page with the session's CSRF token
		mine := newEnt(3, "临海新企业")
		mine.TownCode = townB
		code, body := b.post("/ui/admin/enterprises/import", url.Values{"csv": {enterprisesCSV(mine, newEnt(4, "合德新企业"))}})
		if code != http.StatusBadRequest {
			t.Fatalf("town B imports a town A enterprise: %d, want 400", code)
		}
		adminShows(t, "the refusal", body, `id="import-errors"`, testutil.CreditCode(9900004), "town_code")
		if exists(mine.CreditCode) {
			t.Error("half of a refused import was saved")
		}
	})

	t.Run("import: dry run, then for real", func(t *testing.T) {
		es := []gridwarn.Enterprise{newEnt(5, "<script>alert(1)</script>有限公司"), newEnt(6, "新导入丙公司")}
		file := enterprisesCSV(es...)
		code, body := admin.adminUpload("/ui/admin/enterprises/import", url.Values{"dry_run": {"1"}}, "file", "e.csv", []byte(file))
		if code != http.StatusOK {
			t.Fatalf("dry run: %d %.2000s", code, body)
		}
		adminShows(t, "the dry run", body, `data-dry-run="true"`, `id="import-created">2<`)
		if exists(es[0].CreditCode) {
			t.Fatal("a dry run saved rows")
		}
		code, body = admin.adminUpload("/ui/admin/enterprises/import", nil, "file", "e.csv", []byte(file))
		if code != http.StatusOK {
			t.Fatalf("import: %d %.2000s", code, body)
		}
		adminShows(t, "the import", body, `data-dry-run="false"`, `id="import-rows">2<`, `id="import-created">2<`, `id="import-unchanged">0<`)
		if !exists(es[0].CreditCode) || !exists(es[1].CreditCode) {
			t.Fatal("the import saved nothing")
		}
		// Again: nothing changes.
		_, body = admin.post("/ui/admin/enterprises/import", url.Values{"csv": {file}})
		adminShows(t, "a repeated import", body, `id="import-unchanged">2<`, `id="import-created">0<`)

		// The name is text, never markup: in the list and on its page.
		for _, path := range []string{"/ui/admin/enterprises?q=" + url.QueryEscape("script"), "/ui/admin/enterprises/" + es[0].CreditCode} {
			code, body := admin.get(path)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", path, code)
			}
			adminShows(t, path, body, "&lt;script&gt;alert(1)&lt;/script&gt;有限公司")
			adminHides(t, path, body, "<script>alert(1)")
		}
	})

	t.Run("edit an enterprise", func(t *testing.T) {
		e := w.entA
		f := enterpriseForm(e)
		f.Set("headcount", "-1")
		code, body := admin.post("/ui/admin/enterprises/"+e.CreditCode, f)
		if code != http.StatusBadRequest {
			t.Fatalf("a bad headcount: %d", code)
		}
		adminShows(t, "the edit's errors", body, `id="form-errors"`, "headcount", `value="-1"`)
		f.Set("headcount", strconv.Itoa(e.Headcount+1))
		if code, loc := admin.post("/ui/admin/enterprises/"+e.CreditCode, f); code != http.StatusSeeOther || loc != "/ui/admin/enterprises/"+e.CreditCode {
			t.Fatalf("save: %d %s", code, loc)
		}
		got, err := w.a.DB().Enterprise(ctx, all, e.CreditCode)
		if err != nil || got.Headcount != e.Headcount+1 {
			t.Fatalf("after the edit: %+v %v", got, err)
		}
		_, body = admin.get("/ui/admin/enterprises/" + e.CreditCode)
		adminShows(t, "the saved enterprise", body, "企业信息已保存")
	})

	t.Run("lists and filters", func(t *testing.T) {
		_, body := admin.get("/ui/admin/grids?town=" + townA)
		adminShows(t, "town A's grids", body, `id="grids"`, w.gridA)
		code, body := admin.get("/ui/admin/grids?town=nope")
		if code != http.StatusBadRequest {
			t.Errorf("a bad filter: %d, want 400", code)
		}
		adminShows(t, "a bad filter", body, "<strong>镇街</strong>: 格式不正确")
		_, body = admin.get("/ui/admin/enterprises?grid=" + w.gridA)
		adminShows(t, "the grid's enterprises", body, w.entA.CreditCode)
		_, body = admin.get("/ui/admin/units")
		adminShows(t, "the units", body, `id="units"`, townA, townB)
		code, body = admin.get("/ui/admin/enterprises/export")
		if code != http.StatusOK || !strings.HasPrefix(body, csvio.BOM+"credit_code,") || !strings.Contains(body, w.entA.CreditCode) {
			t.Errorf("export: %d %.300s", code, body)
		}
	})

	t.Run("a new person sets a password and signs in", func(t *testing.T) {
		form := url.Values{"username": {"ui-new-mediator"}, "display_name": {"新调解员"}, "role": {"mediator"},
			"scope_kind": {"town"}, "unit_code": {townA}}
		code, loc := admin.post("/ui/admin/users", form)
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/admin/users/") {
			t.Fatalf("create: %d %s", code, loc)
		}
		// The same username again: the form comes back with the error.
		code, body := admin.post("/ui/admin/users", form)
		if code != http.StatusConflict {
			t.Errorf("a taken username: %d, want 409", code)
		}
		adminShows(t, "a taken username", body, `id="form-errors"`, `value="ui-new-mediator"`)
		// A grid scope outside the county's grids is refused.
		bad := url.Values{"username": {"ui-bad-grids"}, "role": {"grid_worker"}, "scope_kind": {"grids"}, "grid_codes": {"999999100-J01"}}
		if code, body := admin.post("/ui/admin/users", bad); code != http.StatusBadRequest || !strings.Contains(body, `id="form-errors"`) {
			t.Errorf("grids outside the scope: %d", code)
		}

		_, body = admin.get(loc)
		adminShows(t, "the new person", body, `id="user-username">ui-new-mediator<`, `id="password-form"`, `id="token-form"`)
		if code, body := admin.post(loc+"/password", url.Values{"password": {"short"}}); code != http.StatusBadRequest ||
			!strings.Contains(body, `id="form-errors"`) {
			t.Errorf("a short password: %d", code)
		}
		if code, to := admin.post(loc+"/password", url.Values{"password": {"brand-new-pass-1"}}); code != http.StatusSeeOther || to != loc {
			t.Fatalf("set password: %d %s", code, to)
		}
		c := newUIClient(t, w.a)
		if code, to := c.login("ui-new-mediator", "brand-new-pass-1"); code != http.StatusSeeOther || to != "/ui/queue" {
			t.Fatalf("the new person signs in: %d %s", code, to)
		}
		// A new password ends their sessions.
		if code, _ := admin.post(loc+"/password", url.Values{"password": {"brand-new-pass-2"}}); code != http.StatusSeeOther {
			t.Fatalf("set password again: %d", code)
		}
		if code, _ := c.get("/ui/queue"); code != http.StatusSeeOther {
			t.Errorf("their session after a new password: %d, want 303 to the sign-in page", code)
		}
	})

	t.Run("a token's secret is shown once", func(t *testing.T) {
		user := fmt.Sprintf("/ui/admin/users/%d", w.userA)
		if code, body := admin.post(user+"/tokens", url.Values{"name": {""}}); code != http.StatusBadRequest || !strings.Contains(body, `id="form-errors"`) {
			t.Errorf("a token without a name: %d", code)
		}
		code, body := admin.post(user+"/tokens", url.Values{"name": {"<b>nightly</b>"}, "days": {"30"}})
		if code != http.StatusCreated {
			t.Fatalf("create a token: %d %.1000s", code, body)
		}
		m := regexp.MustCompile(`id="token-secret" class="secret">([^<]+)<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no secret on the page:\n%.2000s", body)
		}
		secret := m[1]
		adminShows(t, "the token page", body, "&lt;b&gt;nightly&lt;/b&gt;")
		w.tokens["ui-token"] = secret
		if code, out := w.do(t, "ui-token", "GET", "/api/v1/me", nil); code != http.StatusOK {
			t.Fatalf("the new token: %d %s", code, out)
		}
		_, body = admin.get(user)
		adminHides(t, "the person's page", body, secret)
		adminShows(t, "the person's page", body, secret[:10]+"…")
		tokens, _ := w.a.DB().Tokens(ctx, all, w.userA)
		var id int64
		for _, tk := range tokens {
			if tk.Name == "<b>nightly</b>" {
				id = tk.ID
			}
		}
		if code, to := admin.post(fmt.Sprintf("/ui/admin/tokens/%d/revoke", id), url.Values{"user": {strconv.FormatInt(w.userA, 10)}}); code != http.StatusSeeOther || to != user {
			t.Fatalf("revoke: %d %s", code, to)
		}
		if code, _ := w.do(t, "ui-token", "GET", "/api/v1/me", nil); code != http.StatusUnauthorized {
			t.Errorf("a revoked token: %d, want 401", code)
		}
	})

	t.Run("a leader reads people and rules but changes nothing", func(t *testing.T) {
		l := signIn(t, w.a, "leader")
		_, body := l.get("/ui/admin/users")
		adminShows(t, "the leader's list", body, `id="users"`, "mediator-320924100-1")
		adminHides(t, "the leader's list", body, `id="new-user"`)
		_, body = l.get(fmt.Sprintf("/ui/admin/users/%d", w.userA))
		adminHides(t, "the leader's view of a person", body, `id="password-form"`, `id="token-form"`, "/revoke")
		_, body = l.get("/ui/admin/rules")
		adminShows(t, "the leader's rules page", body, `id="rules-info"`, `id="rules-list"`)
		adminHides(t, "the leader's rules page", body, `id="rules-form"`, `id="rules-reload"`)
		if code, _ := l.get("/ui/admin"); code != http.StatusForbidden {
			t.Errorf("the leader opens the admin index: %d, want 403", code)
		}
	})

	t.Run("rules check names the line", func(t *testing.T) {
		broken := strings.Replace(string(rules.DefaultYAML), "- id: workers_30_to_99\n      level: orange", "- id: workers_30_to_99\n      level: purple", 1)
		line := 0
		for i, l := range strings.Split(broken, "\n") {
			if strings.Contains(l, "level: purple") {
				line = i + 1
			}
		}
		if line == 0 {
			t.Fatal("the test's edit of the rules did not apply")
		}
		code, body := admin.adminUpload("/ui/admin/rules/check", nil, "file", "broken.yaml", []byte(broken))
		if code != http.StatusBadRequest {
			t.Fatalf("a broken file: %d", code)
		}
		adminShows(t, "the check", body, `id="rules-problems"`, fmt.Sprintf(`<td class="num">%d</td>`, line), "workers_30_to_99", "purple", "broken.yaml")
		adminHides(t, "the check", body, `id="rules-valid"`)

		code, body = admin.post("/ui/admin/rules/check", url.Values{"yaml": {string(rules.DefaultYAML)}})
		if code != http.StatusOK {
			t.Fatalf("the default rules: %d", code)
		}
		adminShows(t, "the check", body, `id="rules-valid"`, rules.Default().Version(), `id="rules-list"`, "any_signal")

		if code, body := admin.post("/ui/admin/rules/check", url.Values{"yaml": {"  "}}); code != http.StatusBadRequest || !strings.Contains(body, "请选择文件或粘贴规则内容") {
			t.Errorf("an empty check: %d", code)
		}
	})

	t.Run("rules what-if", func(t *testing.T) {
		// Every signal that fires nothing else becomes yellow: the reported
		// ticket's event (12 workers, no other rule) would start at the town.
		yellow := strings.Replace(string(rules.DefaultYAML), "- id: any_signal\n      level: blue", "- id: any_signal\n      level: yellow", 1)
		yellow = strings.Replace(yellow, `version: "2026.12-1"`, `version: "what-if-1"`, 1)
		code, body := admin.post("/ui/admin/rules/diff", url.Values{"yaml": {yellow}, "days": {"30"}})
		if code != http.StatusOK {
			t.Fatalf("what-if: %d %.2000s", code, body)
		}
		adminShows(t, "the what-if", body, `id="rules-changes"`, `id="rules-events"`, `data-event-id="acc-1"`, w.entA.CreditCode, "what-if-1")
		// Town B's administrator replays only town B's events.
		b := signIn(t, w.a, "admin-b")
		b.get("/ui/admin")
		_, body = b.post("/ui/admin/rules/diff", url.Values{"yaml": {yellow}, "days": {"30"}})
		adminShows(t, "town B's what-if", body, `id="rules-no-change"`)
		adminHides(t, "town B's what-if", body, "acc-1", w.entA.CreditCode)
		if code, _ := admin.post("/ui/admin/rules/diff", url.Values{"yaml": {yellow}, "days": {"0"}}); code != http.StatusBadRequest {
			t.Errorf("0 days: %d, want 400", code)
		}
	})

	t.Run("rules reload", func(t *testing.T) {
		if code, loc := admin.post("/ui/admin/rules/reload", nil); code != http.StatusSeeOther || loc != "/ui/admin/rules" {
			t.Fatalf("reload: %d %s", code, loc)
		}
		_, body := admin.get("/ui/admin/rules")
		adminShows(t, "after the reload", body, "规则已重新加载", `id="rules-version"`, `id="rules-form"`)
	})

	t.Run("forms need the CSRF token", func(t *testing.T) {
		code, _ := admin.adminUpload("/ui/admin/enterprises/import", url.Values{"csrf": {"forged"}}, "file", "e.csv",
			[]byte(enterprisesCSV(newEnt(7, "伪造"))))
		if code != http.StatusForbidden || exists(testutil.CreditCode(9900007)) {
			t.Errorf("an upload without the token: %d, want 403", code)
		}
	})

	t.Run("English", func(t *testing.T) {
		admin.get("/ui/lang/en?next=/ui/admin")
		defer admin.get("/ui/lang/zh?next=/ui/admin")
		_, body := admin.get("/ui/admin/rules")
		adminShows(t, "the English rules page", body, "Warning rules", "What-if")
	})
}
