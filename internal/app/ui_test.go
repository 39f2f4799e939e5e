package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// uiPassword is every test person's web console password.
const uiPassword = "test-password-1"

// uiClient is a browser without JavaScript: a cookie jar, no redirects
// followed (tests look at the 303s), and the session's CSRF token picked
// up from the pages it reads.
type uiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newUIClient returns a client that is not signed in.
func newUIClient(t *testing.T, a *app.App) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &uiClient{t: t, base: "http://" + a.APIAddr(), hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn sets username's password and signs in as them.
func signIn(t *testing.T, a *app.App, username string) *uiClient {
	t.Helper()
	testutil.MustPassword(t, a.DB(), username, uiPassword)
	c := newUIClient(t, a)
	if code, body := c.login(username, uiPassword); code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d %s", username, code, body)
	}
	// Home is a redirect to the role's main page, which carries the
	// session's CSRF token (until then the client holds the sign-in form's).
	if code, loc := c.get("/ui/"); code == http.StatusSeeOther {
		c.get(loc)
	}
	return c
}

// login posts the sign-in form.
func (c *uiClient) login(username, password string) (int, string) {
	c.t.Helper()
	if code, body := c.get("/ui/login"); code != http.StatusOK {
		c.t.Fatalf("sign-in page: %d %s", code, body)
	}
	return c.post("/ui/login", url.Values{"username": {username}, "password": {password}})
}

func (c *uiClient) do(req *http.Request) (int, string) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(b)
}

// get fetches a page; for a redirect the body is the Location.
func (c *uiClient) get(path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.base+path, nil)
	return c.do(req)
}

// post submits a form with the CSRF token the client last saw (unless the
// form sets "csrf" itself).
func (c *uiClient) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func TestUISignIn(t *testing.T) {
	a := MustRunApp(t)
	testutil.MustSeedDemoCounty(t, a.DB())
	testutil.MustPassword(t, a.DB(), "leader", uiPassword)

	anon := newUIClient(t, a)
	if code, loc := anon.get("/ui/?x=1"); code != http.StatusSeeOther || loc != "/ui/login?next="+url.QueryEscape("/ui/?x=1") {
		t.Fatalf("a page without a session: %d %s, want 303 to the sign-in page", code, loc)
	}
	if code, _ := anon.post("/ui/logout", nil); code != http.StatusUnauthorized {
		t.Fatalf("a form without a session: %d, want 401", code)
	}

	// The sign-in form needs its own CSRF token.
	c := newUIClient(t, a)
	if code, _ := c.post("/ui/login", url.Values{"username": {"leader"}, "password": {uiPassword}}); code != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: %d, want 403", code)
	}
	if code, body := c.login("leader", "wrong password"); code != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
		t.Fatalf("wrong password: %d, want 401 with the message", code)
	}
	// Back to where they were going, never off the site.
	c.get("/ui/login?next=" + url.QueryEscape("//evil.example/"))
	if code, loc := c.post("/ui/login", url.Values{"username": {"leader"}, "password": {uiPassword}, "next": {"//evil.example/"}}); code != http.StatusSeeOther || loc != "/ui/dashboard" {
		t.Fatalf("sign-in: %d %s, want 303 to the leader's dashboard", code, loc)
	}
	for _, cookie := range c.hc.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(c.base, "http://"), Path: "/ui/"}) {
		if cookie.Name == "gw_session" && cookie.Value == "" {
			t.Fatal("empty session cookie")
		}
	}
	// Signed in: the sign-in page sends them home; a form without the CSRF
	// token is refused; sign-out ends the session.
	if code, loc := c.get("/ui/login"); code != http.StatusSeeOther || loc != "/ui/dashboard" {
		t.Fatalf("sign-in page when signed in: %d %s", code, loc)
	}
	if code, _ := c.post("/ui/logout", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("sign-out with a forged token: %d, want 403", code)
	}
	c.get("/ui/")
	c.get("/ui/login?next=/ui/") // a page carrying the session's CSRF token
	if code, loc := c.post("/ui/logout", nil); code != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("sign-out: %d %s", code, loc)
	}
	if code, _ := c.get("/ui/"); code != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d, want 303 to the sign-in page", code)
	}

	// Five failures lock the username out, right password or not.
	l := newUIClient(t, a)
	for i := 0; i < 5; i++ {
		l.login("leader", "wrong password")
	}
	if code, body := l.login("leader", uiPassword); code != http.StatusTooManyRequests || !strings.Contains(body, "登录失败次数过多") {
		t.Fatalf("locked out: %d, want 429 with the message", code)
	}
}
