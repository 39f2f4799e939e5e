package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// uiAccess is one console page's row in the access table: the same
// questions as the API's table, asked of the page.
type uiAccess struct {
	path func(w *world) string
	form func(w *world) url.Values // for POST
	// allowed: a person who may use the page; their request must succeed
	// (2xx or a redirect). "" skips the check (a form whose success would
	// change what other rows see).
	allowed string
	// forbidden: a role that may not take the page's action → 403.
	forbidden string
	// outsider: a person of town B whose role may take the action; their
	// request must not reach town A's object: outsiderCode, and the page
	// must not mention hidden.
	outsider     string
	outsiderCode int
	hidden       func(w *world) string
}

// publicPages need no session.
var publicPages = map[string]bool{
	"GET /ui": true, "GET /ui/static/*file": true, "GET /ui/login": true, "POST /ui/login": true, "GET /ui/lang/:lang": true,
}

// uiAccessTable must have a row for every /ui/ page that needs a session:
// TestEveryPageIsInTheUIAccessTable fails on a page that does not join it.
// The parts of the console add their rows in their own test files.
var uiAccessTable = map[string]uiAccess{
	"GET /ui/": {
		path: func(*world) string { return "/ui/" }, allowed: "leader",
		outsider: "mediator-320924101-1", outsiderCode: http.StatusSeeOther,
	},
	"POST /ui/logout": {
		path: func(*world) string { return "/ui/logout" }, outsider: "leader-b", outsiderCode: http.StatusSeeOther,
	},
	// Hand-offs (issue 17 item 3): the receiving county's answer; the
	// hand-off and its answers are in TestHandoffInTheConsole.
	"POST /ui/handoffs/:id/accept": {
		path:     func(*world) string { return "/ui/handoffs/0b6f6c1e-4a53-4c1b-9a0e-6f1d2b7c8a90/accept" },
		outsider: "mediator-320924101-1", outsiderCode: http.StatusNotFound, forbidden: "admin",
	},
	"POST /ui/handoffs/:id/decline": {
		path:     func(*world) string { return "/ui/handoffs/0b6f6c1e-4a53-4c1b-9a0e-6f1d2b7c8a90/decline" },
		form:     func(*world) url.Values { return url.Values{"reason": {"工人不在本县"}} },
		outsider: "mediator-320924101-1", outsiderCode: http.StatusNotFound, forbidden: "gw-320924101-j01-1",
	},
}

func TestEveryPageIsInTheUIAccessTable(t *testing.T) {
	w := newWorld(t)
	seen := map[string]bool{}
	for _, r := range w.a.Routes() {
		if _, path, _ := strings.Cut(r, " "); !strings.HasPrefix(path, "/ui") || publicPages[r] {
			continue
		}
		seen[r] = true
		if _, ok := uiAccessTable[r]; !ok {
			t.Errorf("page %s is not in the UI access table", r)
		}
	}
	for r := range uiAccessTable {
		if !seen[r] {
			t.Errorf("the UI access table names %s, which is not a page", r)
		}
	}

	clients := map[string]*uiClient{}
	as := func(name string) *uiClient {
		if clients[name] == nil {
			clients[name] = signIn(t, w.a, name)
		}
		return clients[name]
	}
	call := func(c *uiClient, method, path string, form url.Values) (int, string) {
		if method == http.MethodPost {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			return c.post(path, f)
		}
		return c.get(path)
	}
	anon := newUIClient(t, w.a)
	for name, row := range uiAccessTable {
		t.Run(name, func(t *testing.T) {
			method, _, _ := strings.Cut(name, " ")
			path := row.path(w)
			var form url.Values
			if row.form != nil {
				form = row.form(w)
			}
			// No session: a page goes to the sign-in page, a form is 401.
			code, _ := call(anon, method, path, form)
			if want := map[string]int{http.MethodGet: http.StatusSeeOther, http.MethodPost: http.StatusUnauthorized}[method]; code != want {
				t.Errorf("without a session: %d, want %d", code, want)
			}
			if method == http.MethodPost {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				f.Set("csrf", "forged")
				if code, body := as(row.outsider).post(path, f); code != http.StatusForbidden || !strings.Contains(body, "表单已过期") {
					t.Errorf("without the CSRF token: %d %.200s, want 403 saying the form expired, in Chinese", code, body)
				}
			}
			if row.forbidden != "" {
				code, body := call(as(row.forbidden), method, path, form)
				if code != http.StatusForbidden {
					t.Errorf("%s: %d %.200s, want 403", row.forbidden, code, body)
				}
				// The refusal is the catalogue's, in the page's language,
				// naming the role: never the service's English sentence.
				if !strings.Contains(body, "不能") || strings.Contains(body, "may not") {
					t.Errorf("%s: the 403 page does not say in Chinese what the role may not do:\n%.1500s", row.forbidden, body)
				}
			}
			code, body := call(as(row.outsider), method, path, form)
			if path == "/ui/logout" {
				delete(clients, row.outsider) // signed out: sign in again when needed
			}
			if code != row.outsiderCode {
				t.Errorf("%s from the other town: %d %.300s, want %d", row.outsider, code, body, row.outsiderCode)
			}
			if row.hidden != nil && strings.Contains(body, row.hidden(w)) {
				t.Errorf("%s from the other town sees %s", row.outsider, row.hidden(w))
			}
			if row.allowed != "" {
				if code, body := call(as(row.allowed), method, path, form); code >= 400 {
					t.Errorf("%s: %d %.300s, want success", row.allowed, code, body)
				}
			}
		})
	}
}
