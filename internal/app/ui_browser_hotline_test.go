package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// TestBrowserHotlineAndReferral walks issue 17 in a real browser: the
// hotline operator files a caller's case with the registry search (a click
// on a match fills the credit code) and reads out the work-order number,
// then takes the next call; a county mediator reads a ticket referred to
// the arbitration commission with the commission's updates. With
// GRIDWARN_SCREENSHOTS set, the README's screenshots hotline.jpg and
// referral.jpg are written there.
func TestBrowserHotlineAndReferral(t *testing.T) {
	w := hotlineWorld(t)
	db := w.a.DB()
	for _, u := range []string{demo.HotlineLogin, "mediator-county-1"} {
		testutil.MustPassword(t, db, u, uiPassword)
	}
	name := []rune(strings.TrimSuffix(w.entA.Name, "有限公司"))
	part := string(name[max(0, len(name)-4):])

	b := newBrowser(t, w.a, 1280, 900)
	b.signIn(demo.HotlineLogin)
	b.do("the operator's form, the cursor on the caller's name",
		chromedp.WaitVisible(chromedp.CSS(`form#hotline-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#hotline-search`)),
	)
	if got := eval[string](b, `document.activeElement.id`); got != "caller_name" {
		t.Errorf("the cursor starts on %q, want caller_name", got)
	}
	b.do("take the first call",
		chromedp.SendKeys(chromedp.CSS(`#caller_name`), "王小明"),
		chromedp.SendKeys(chromedp.CSS(`#caller_phone`), "13812345678"),
		chromedp.SetValue(chromedp.CSS(`select#intake_type`), "help"),
		chromedp.SetValue(chromedp.CSS(`select#class`), "difficult"),
		chromedp.SetValue(chromedp.CSS(`select#category`), "wage_arrears"),
		chromedp.SendKeys(chromedp.CSS(`#workers_involved`), "14"),
		chromedp.SendKeys(chromedp.CSS(`#summary`), "三个月工资未发，老板说月底发"),
		chromedp.SendKeys(chromedp.CSS(`#platform_order`), "YC12351-2026-000123"),
		chromedp.SendKeys(chromedp.CSS(`#hotline-search`), part),
		chromedp.WaitVisible(chromedp.CSS(`#hotline-results li`)),
		chromedp.Click(chromedp.CSS(`#hotline-results li`)),
	)
	if got := eval[string](b, `document.querySelector('#enterprise').value`); got != w.entA.CreditCode {
		t.Fatalf("the picked enterprise is %q, want %s", got, w.entA.CreditCode)
	}
	b.do("file it and read out the number",
		chromedp.Click(chromedp.CSS(`#hotline-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#work-order`)),
	)
	wo := eval[string](b, `document.querySelector('#work-order').textContent`)
	if !strings.HasPrefix(wo, "12351-") {
		t.Errorf("work order %q", wo)
	}
	if body := eval[string](b, `document.body.innerText`); strings.Contains(body, "13812345678") || !strings.Contains(body, "138****5678") {
		t.Errorf("the latest cases do not mask the caller:\n%.2000s", body)
	}
	// The next caller is on the line while the number is still shown.
	b.do("the next call",
		chromedp.WaitVisible(chromedp.CSS(`#hotline-search`)),
		chromedp.SendKeys(chromedp.CSS(`#caller_name`), "李女士"),
		chromedp.SendKeys(chromedp.CSS(`#caller_phone`), "0515-87654321"),
		chromedp.SetValue(chromedp.CSS(`select#intake_type`), "consultation"),
		chromedp.SendKeys(chromedp.CSS(`#summary`), "咨询加班费怎么算"),
		chromedp.SendKeys(chromedp.CSS(`#hotline-search`), part[:len(part)-len(string(name[len(name)-1]))]),
		chromedp.WaitVisible(chromedp.CSS(`#hotline-results li`)),
	)
	b.shot("hotline")
	b.signOut()

	// A court's commission referred to the arbitration commission, which
	// accepted it and set a hearing.
	w.withReferrals(t)
	today := time.Now().Format(time.DateOnly)
	for _, u := range []map[string]any{
		{"kind": "accepted", "on_date": today},
		{"kind": "hearing_scheduled", "on_date": today, "hearing_at": time.Now().AddDate(0, 0, 10).Format(time.RFC3339)},
	} {
		if code, out := w.do(t, "arb", "POST", fmt.Sprintf("/api/v1/referrals/%d/updates", w.referralID), u); code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("update %v: %d %s", u["kind"], code, out)
		}
	}
	b.signIn("mediator-county-1")
	b.do("the referred ticket",
		chromedp.Navigate(fmt.Sprintf("%s/ui/tickets/%d", b.base, w.commissionTicket)),
		chromedp.WaitVisible(chromedp.CSS(`#referrals .referral[data-direction="out"] table.referral-updates`)),
	)
	body := eval[string](b, `document.querySelector('#referrals').innerText`)
	for _, want := range []string{"射劳人仲案字〔2026〕第101号", "（2026）苏0924民初77号"} {
		if !strings.Contains(body, want) {
			t.Errorf("the referrals lack %s:\n%s", want, body)
		}
	}
	b.shot("referral")
}
