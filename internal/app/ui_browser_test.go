package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// browser drives a real headless Chromium against the console through a
// proxy that can cut the network.
type browser struct {
	t     *testing.T
	ctx   context.Context
	proxy *testutil.Proxy
	base  string
	shots string // screenshots of every step: the test's temp dir
	step  int
}

func newBrowser(t *testing.T, a *app.App, width, height int) *browser {
	t.Helper()
	ctx := testutil.MustStartBrowser(t, width, height)
	p := testutil.MustStartProxy(t, a.APIAddr())
	b := &browser{t: t, ctx: ctx, proxy: p, base: "http://" + p.Addr(), shots: t.TempDir()}
	t.Logf("screenshots in %s", b.shots)
	// Chinese, the default for the county (headless Chromium asks for English).
	b.do("choose Chinese", chromedp.EmulateViewport(int64(width), int64(height)), chromedp.Navigate(b.base+"/ui/lang/zh?next=/ui/login"))
	return b
}

// do runs steps with a time limit.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + what)
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		b.t.Fatalf("%s: %v\nat %s:\n%.600s", what, err, loc, text)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot saves a full-page screenshot of the current page as NN-name.jpg;
// with GRIDWARN_SCREENSHOTS set, the role pages the README shows are also
// copied there.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(85))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.step++
	file := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.jpg", b.step, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if dir := os.Getenv("GRIDWARN_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, name+".jpg"), png, 0o644)
	}
}

// until waits until a JavaScript expression is true, across page loads
// (an evaluation that fails because the page is navigating is retried).
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// nextVersion waits for the ticket page of the version after the one shown
// now: the page an action's form leads to.
func (b *browser) nextVersion() chromedp.Action[chromedp.Void] {
	b.t.Helper()
	v := eval[string](b, `document.querySelector('article#ticket').dataset.version`)
	n, err := strconv.Atoi(v)
	if err != nil {
		b.t.Fatalf("ticket version %q: %v", v, err)
	}
	return chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`article#ticket[data-version="%d"] #ticket-status`, n+1)))
}

// signIn signs in through the sign-in form.
func (b *browser) signIn(username string) {
	b.t.Helper()
	b.do("sign in as "+username,
		chromedp.Navigate(b.base+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), uiPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/ui/logout"]`)),
	)
}

// signOut uses the sign-out button of the header.
func (b *browser) signOut() {
	b.t.Helper()
	b.do("sign out",
		chromedp.Click(chromedp.CSS(`form[action="/ui/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
	)
}

// TestBrowserConsole walks the console's main jobs in a real browser: a
// grid worker files a report on a phone while the network is cut and it
// is sent once when the network returns; a mediator claims that ticket and
// replies with an outcome; a leader opens the dashboard and the week's
// summary; an administrator opens the administration.
func TestBrowserConsole(t *testing.T) {
	a := MustRunApp(t)
	ctx := context.Background()
	county := testutil.MustSeedDemoCounty(t, a.DB())
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	const mediator = "mediator-320924100-1"
	for _, u := range []string{gw, mediator, "leader", "admin"} {
		testutil.MustPassword(t, a.DB(), u, uiPassword)
	}
	var ent gridwarn.Enterprise
	for _, u := range county.Users {
		if u.Username == gw {
			for _, e := range county.Enterprises {
				if e.GridCode == u.Scope.GridCodes[0] {
					ent = e
					break
				}
			}
		}
	}
	countEvents := func(id string) (n int) {
		if err := a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events WHERE id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The grid worker, on a 360 px phone.
	b := newBrowser(t, a, 360, 740)
	b.signIn(gw)
	b.shot("grid-worker")
	b.do("find the enterprise",
		chromedp.SendKeys(chromedp.CSS(`#enterprise-search`), ent.CreditCode),
		chromedp.Submit(chromedp.CSS(`#enterprise-search`)),
		until(`location.search.includes('q=')`),
		chromedp.WaitVisible(chromedp.CSS(`a.enterprise-pick`)),
		chromedp.Click(chromedp.CSS(`a.enterprise-pick`)),
		chromedp.WaitVisible(chromedp.CSS(`form#report-form`)),
	)
	eventID := eval[string](b, `document.querySelector('#report-form input[name=id]').value`)
	b.do("fill in the report",
		chromedp.SetValue(chromedp.CSS(`select#category`), "wage_arrears"),
		chromedp.SendKeys(chromedp.CSS(`#workers_involved`), "40"),
		chromedp.SendKeys(chromedp.CSS(`#months_in_arrears`), "2"),
		chromedp.SendKeys(chromedp.CSS(`#summary`), "车间四十人两个月未发工资 <script>alert(1)</script>"),
	)
	b.shot("report-form")
	// The network goes down while submitting: the report waits in the
	// browser, with the same id.
	b.proxy.Cut()
	b.do("submit without a network",
		chromedp.Click(chromedp.CSS(`#report-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#pending li[data-event-id="`+eventID+`"]`)),
	)
	b.shot("report-waiting")
	if n := countEvents(eventID); n != 0 {
		t.Fatalf("%d events stored while the network was down", n)
	}
	// The network returns: the report is sent, once.
	b.proxy.Restore()
	b.do("the waiting report is sent",
		chromedp.WaitNotPresent(chromedp.CSS(`ul#pending li`)),
	)
	deadline := time.Now().Add(20 * time.Second)
	for countEvents(eventID) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := countEvents(eventID); n != 1 {
		t.Fatalf("the report was stored %d times, want once", n)
	}
	var ticketID int64
	if err := a.DB().Pool().QueryRow(ctx, "SELECT ticket_id FROM events WHERE id = $1", eventID).Scan(&ticketID); err != nil {
		t.Fatal(err)
	}
	b.shot("report-sent")
	b.do("my reports lists the report", chromedp.Navigate(b.base+"/ui/my-reports"),
		until(`document.querySelector('table#my-reports')?.textContent.includes(`+strconv.Quote(ent.Name)+`)`))
	if eval[bool](b, `document.querySelectorAll('script:not([src])').length > 0`) {
		t.Error("the report's summary became a script")
	}
	b.shot("my-reports")
	b.signOut()

	// The mediator of the town, on a desktop.
	b.do("desktop", chromedp.EmulateViewport(1280, 900))
	b.signIn(mediator)
	row := fmt.Sprintf(`table#queue tr[data-ticket-id="%d"]`, ticketID)
	b.do("the ticket is in the queue", chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot("mediator")
	b.do("open the ticket", chromedp.Click(chromedp.CSS(row+` a.ticket-link`)), chromedp.WaitVisible(chromedp.CSS(`#ticket-status`)))
	// Take the steps the ticket allows until the reply form shows.
	for i := 0; ; i++ {
		if eval[bool](b, `!!document.querySelector('form#action-reply')`) {
			break
		}
		next := eval[string](b, `(['claim','accept','start'].find(a => document.querySelector('form#action-' + a)) || '')`)
		if next == "" || i > 5 {
			b.shot("no-reply-form")
			t.Fatalf("no reply form and no step towards it (status %s)", eval[string](b, `document.querySelector('#ticket-status').dataset.status`))
		}
		b.do(next, chromedp.Click(chromedp.CSS(`form#action-`+next+` button[type=submit]`)), b.nextVersion())
	}
	b.do("reply with an outcome",
		chromedp.SetValue(chromedp.CSS(`form#action-reply select[name=outcome_result]`), "paid_in_full"),
		chromedp.SendKeys(chromedp.CSS(`form#action-reply input[name=amount_recovered_cny]`), "320000"),
		chromedp.SendKeys(chromedp.CSS(`form#action-reply input[name=workers_covered]`), "40"),
		chromedp.Click(chromedp.CSS(`form#action-reply button[type=submit]`)),
		b.nextVersion(),
	)
	b.shot("mediator-ticket")
	var status string
	if err := a.DB().Pool().QueryRow(ctx, "SELECT status FROM tickets WHERE id = $1", ticketID).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if shown := eval[string](b, `document.querySelector('#ticket-status').dataset.status`); shown != status || status != "replied" {
		t.Errorf("after the reply the page shows %q, the database has %q, want replied", shown, status)
	}
	b.signOut()

	// The county leader: the dashboard and this week's summary.
	loc, _ := isoweek.Location("Asia/Shanghai")
	sums := &app.Summaries{DB: a.DB(), Loc: loc, Log: testLogger(t), Now: weeksEnded}
	week := isoweek.Of(time.Now(), loc)
	if _, err := sums.Build(ctx, week, "", "test", true); err != nil {
		t.Fatal(err)
	}
	b.signIn("leader")
	b.do("the dashboard", chromedp.WaitVisible(chromedp.CSS(`#dashboard`)), chromedp.WaitVisible(chromedp.CSS(`svg#trend`)))
	b.shot("leader")
	b.do("the week's summary",
		chromedp.Navigate(b.base+"/ui/summaries"),
		chromedp.WaitVisible(chromedp.CSS(`a.summary-link`)),
		chromedp.Click(chromedp.CSS(`a.summary-link`)),
		chromedp.WaitVisible(chromedp.CSS(`a#summary-xlsx`)),
	)
	b.shot("leader-summary")
	b.signOut()

	// The administrator.
	b.signIn("admin")
	b.do("administration", chromedp.Navigate(b.base+"/ui/admin"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	b.shot("admin")
}

// TestBrowserQueueOnPhone: the mediator's queue on a 360 px phone is one
// card per ticket — nothing wider than the screen, every labelled cell as
// wide as its card allows (no column squeezed to a character a line) —
// and the ticket list the dashboard links to is the same.
func TestBrowserQueueOnPhone(t *testing.T) {
	w := newWorld(t)
	const mediator = "mediator-320924100-1"
	testutil.MustPassword(t, w.a.DB(), mediator, uiPassword)
	b := newBrowser(t, w.a, 360, 740)
	b.signIn(mediator)
	row := fmt.Sprintf(`table#queue tr[data-ticket-id="%d"]`, w.ticketA)
	b.do("the queue", chromedp.Navigate(b.base+"/ui/queue"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot("mediator-queue-phone")
	for _, check := range []struct{ what, expr string }{
		{"the page is no wider than the phone", `document.documentElement.scrollWidth <= window.innerWidth`},
		{"the table's head is hidden", `getComputedStyle(document.querySelector('table#queue thead')).display === 'none'`},
		{"the row is a card as wide as the screen allows",
			`(() => { const r = document.querySelector('` + row + `').getBoundingClientRect(); return r.width >= 280 && r.right <= window.innerWidth; })()`},
		// A labelled cell holds its label and value on one line when they
		// fit: at most two lines (the enterprise: name and code), never one
		// character a line.
		{"no cell is squeezed", `[...document.querySelectorAll('` + row + ` td[data-label]')].every(td => {
			const lh = parseFloat(getComputedStyle(td).lineHeight) || 20;
			return td.textContent.trim() === '' || td.getBoundingClientRect().height <= 2.5 * lh;
		})`},
		{"the category reads on one line", `(() => { const td = [...document.querySelectorAll('` + row + ` td[data-label]')][1];
			const lh = parseFloat(getComputedStyle(td).lineHeight) || 20; return td.getBoundingClientRect().height < 1.8 * lh; })()`},
	} {
		if !eval[bool](b, check.expr) {
			b.shot("failed-" + check.what)
			t.Errorf("on a 360 px phone: %s does not hold; the cells (label width×height): %s", check.what, eval[string](b,
				`[...document.querySelectorAll('`+row+` td')].map(td => (td.dataset.label || '-') + ' ' +
					Math.round(td.getBoundingClientRect().width) + '×' + Math.round(td.getBoundingClientRect().height)).join('; ')`))
		}
	}
	// The claim button is reachable in the card.
	b.do("claim from the card", chromedp.Click(chromedp.CSS(row+` form.row-claim button`)), chromedp.WaitVisible(chromedp.CSS(`#ticket-status`)))
	b.shot("mediator-ticket-phone")
	if !eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth + 1`) {
		t.Error("the ticket page is wider than the phone")
	}

	// A step the ticket does not admit now (start before accept), sent as
	// a form: the page says why at the ticket's address, not the form's.
	ticket := fmt.Sprintf("/ui/tickets/%d", w.ticketA)
	b.do("send a step the ticket does not admit", run(`(() => {
		const f = document.createElement('form');
		f.method = 'post'; f.action = '`+ticket+`/start';
		for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value],
			['version', document.querySelector('article#ticket').dataset.version]]) {
			const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); f.submit(); return true;
	})()`), chromedp.WaitVisible(chromedp.CSS(`#action-problem`)))
	if loc := eval[string](b, `location.pathname`); loc != ticket {
		t.Errorf("after a refused step the address is %s, want the ticket's %s", loc, ticket)
	}
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#ticket-status`)))
	if eval[bool](b, `document.body.innerText.includes('"code"')`) {
		t.Error("reloading after a refused step shows JSON")
	}
}

// run evaluates a JavaScript expression for its effect.
func run(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr)(ctx, t)
		return err
	})
}
