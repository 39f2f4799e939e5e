package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// TestBrowserStandingWork walks issue 16 in a real browser on the demo
// county with its union status and months of visits: a grid worker on a
// 360 px phone records a visit while the network is cut (it waits in the
// browser and is stored once when the network returns) and files a report
// from it; a leader reads the month's coverage, the unionization circular
// and the quarterly analysis. With GRIDWARN_SCREENSHOTS set, the README's
// screenshots are written there.
func TestBrowserStandingWork(t *testing.T) {
	a := MustRunApp(t)
	ctx := context.Background()
	db := a.DB()
	county := testutil.MustSeedDemoCounty(t, db)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	for _, u := range []string{gw, "leader", "admin"} {
		testutil.MustPassword(t, db, u, uiPassword)
	}
	loc := isoweek.Shanghai
	now := time.Now()
	today := gridwarn.DayOf(now, loc)
	// The demo's standing work, through the import's and the visit form's doors.
	if _, err := db.ImportUnionStatus(ctx, gridwarn.Visibility{All: true}, county.UnionStatuses(today), "", false); err != nil {
		t.Fatal(err)
	}
	people := map[string]*gridwarn.Principal{}
	for _, v := range county.Visits(today) {
		if people[v.Visitor] == nil {
			u, err := db.UserByName(ctx, v.Visitor)
			if err != nil {
				t.Fatal(err)
			}
			people[v.Visitor] = &gridwarn.Principal{User: *u}
		}
		if _, _, err := db.RecordVisit(ctx, people[v.Visitor], v); err != nil {
			t.Fatal(err)
		}
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
	count := func(q, id string) (n int) {
		t.Helper()
		if err := db.Pool().QueryRow(ctx, q, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The grid worker, on a 360 px phone.
	b := newBrowser(t, a, 360, 740)
	b.signIn(gw)
	b.do("the grid worker's page lists the overdue visits", chromedp.WaitVisible(chromedp.CSS(`#report-visits`)))
	b.do("the visit form",
		chromedp.Navigate(b.base+"/ui/visits/new?enterprise="+ent.CreditCode),
		chromedp.WaitVisible(chromedp.CSS(`form#visit-form`)),
		chromedp.SetValue(chromedp.CSS(`select#kind`), "workers_forum"),
		chromedp.SendKeys(chromedp.CSS(`#people_met`), "车间主任、职工代表 6 人"),
		chromedp.SendKeys(chromedp.CSS(`#findings`), "职工反映 11 月工资至今未发，约 40 人；老板称月底前发放。"),
		chromedp.Click(chromedp.CSS(`#file_report`)),
	)
	if !eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the visit form is wider than a 360 px phone")
	}
	b.shot("visit-form")
	visitID := eval[string](b, `document.querySelector('#visit-form input[name=id]').value`)
	reportID := eval[string](b, `document.querySelector('#visit-form input[name=report_id]').value`)
	const visitQ = `SELECT count(*) FROM visits WHERE id = $1`
	// The network goes down while submitting: the visit waits in the browser.
	b.proxy.Cut()
	b.do("submit without a network",
		chromedp.Click(chromedp.CSS(`#visit-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#visit-pending li[data-visit-id="`+visitID+`"]`)),
	)
	if n := count(visitQ, visitID); n != 0 {
		t.Fatalf("%d visits stored while the network was down", n)
	}
	// It returns: the visit is stored once and the report form opens,
	// pre-filled, under the id the visit names.
	b.proxy.Restore()
	b.do("the report form from the visit",
		chromedp.WaitVisible(chromedp.CSS(`form#report-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-from-visit`)),
	)
	if n := count(visitQ, visitID); n != 1 {
		t.Fatalf("the visit was stored %d times, want once", n)
	}
	if got := eval[string](b, `document.querySelector('#report-form input[name=id]').value`); got != reportID {
		t.Errorf("the report form's id is %s, want the visit's report id %s", got, reportID)
	}
	if !strings.Contains(eval[string](b, `document.querySelector('#summary').value`), "工资至今未发") {
		t.Error("the report's summary is not the visit's findings")
	}
	b.do("fill in the category", chromedp.SetValue(chromedp.CSS(`select#category`), "wage_arrears"),
		chromedp.SendKeys(chromedp.CSS(`#workers_involved`), "40"))
	b.shot("visit-report")
	b.do("send the report", chromedp.Click(chromedp.CSS(`#report-submit`)), until(`document.querySelector('#report-status.ok') !== null`))
	deadline := time.Now().Add(20 * time.Second)
	for count(`SELECT count(*) FROM events WHERE id = $1`, reportID) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(`SELECT count(*) FROM events WHERE id = $1`, reportID); n != 1 {
		t.Errorf("the report from the visit was stored %d times, want once", n)
	}
	b.signOut()

	// This month's circular and this quarter's analysis so far (the union
	// history begins today, so last month's circular would be empty).
	month := gridwarn.PeriodOf(gridwarn.PeriodMonth, now, loc)
	quarter := gridwarn.PeriodOf(gridwarn.PeriodQuarter, now, loc)
	circs := &app.Circulars{DB: db, Loc: loc, Log: testLogger(t), Target: 0.6}
	reps := &app.PeriodReports{DB: db, Loc: loc, Log: testLogger(t),
		Targets: func(gridwarn.PeriodKind) gridwarn.CoverageTarget {
			return gridwarn.CoverageTarget{Enterprises: 0.95, KeyEnterprises: 1}
		}}
	for _, p := range []gridwarn.Period{month, quarter} {
		if _, err := circs.Build(ctx, p, "", "test", true); err != nil {
			t.Fatal(err)
		}
		if _, err := reps.Build(ctx, p, "", "test", true); err != nil {
			t.Fatal(err)
		}
	}

	// The county leader, on a desktop.
	b.do("desktop", chromedp.EmulateViewport(1280, 900))
	b.signIn("leader")
	b.do("this month's coverage", chromedp.Navigate(b.base+"/ui/coverage"), chromedp.WaitVisible(chromedp.CSS(`table#coverage-parts`)))
	b.shot("coverage")
	frameHas := func(sel string) chromedp.Action[chromedp.Void] {
		return until(`(() => { const f = document.getElementById('summary-frame'); return !!(f && f.contentDocument &&
			f.contentDocument.querySelector('` + sel + `') && f.getBoundingClientRect().height > 400); })()`)
	}
	b.do("the circular", chromedp.Navigate(b.base+"/ui/summaries"), chromedp.WaitVisible(chromedp.CSS(`#circulars-list a.period-link`)),
		chromedp.Navigate(b.base+"/ui/circulars/"+month.Key), chromedp.WaitVisible(chromedp.CSS(`a#doc-xlsx`)), frameHas(`#circ-towns`))
	b.shot("circular")
	b.do("the quarterly analysis", chromedp.Navigate(b.base+"/ui/periods/"+quarter.Key), chromedp.WaitVisible(chromedp.CSS(`a#doc-xlsx`)),
		frameHas(`#coverage`))
	b.shot("quarterly")
	b.signOut()

	// The county's administrator on the "1+x" contacts page: the demo's
	// assignments, through the contacts import's door.
	if _, err := db.ImportContacts(ctx, "admin", gridwarn.Visibility{All: true}, county.Contacts(today), false); err != nil {
		t.Fatal(err)
	}
	for _, v := range county.ContactVisits(today) {
		u, err := db.UserByName(ctx, v.Visitor)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.RecordVisit(ctx, &gridwarn.Principal{User: *u}, v); err != nil {
			t.Fatal(err)
		}
	}
	b.signIn("admin")
	b.do("the contacts", chromedp.Navigate(b.base+"/ui/contacts"), chromedp.WaitVisible(chromedp.CSS(`table#contacts`)),
		chromedp.WaitVisible(chromedp.CSS(`form#contact-assign`)))
	b.shot("contacts")
}
