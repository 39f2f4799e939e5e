package app_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// TestBrowserHandoff: the receiving county's mediator opens the linked
// case of a hand-off in a real browser and accepts it there. With
// GRIDWARN_SCREENSHOTS set, the README's docs/screenshots/handoff.jpg is
// written there.
func TestBrowserHandoff(t *testing.T) {
	w := newWorld(t)
	w.withHandoff(t)
	testutil.MustPassword(t, w.a.DB(), demo.NeighbourMediator, uiPassword)
	b := newBrowser(t, w.a, 1280, 900)
	b.signIn(demo.NeighbourMediator)
	b.do("the linked case",
		chromedp.Navigate(fmt.Sprintf("%s/ui/tickets/%d", b.base, w.linkedTicket)),
		chromedp.WaitVisible(chromedp.CSS(`#handoffs form#handoff-accept`)),
		chromedp.ScrollIntoView(chromedp.CSS(`#handoffs`)),
	)
	b.shot("handoff")
	b.do("accept", chromedp.Click(chromedp.CSS(`#handoff-accept button`)),
		until(`document.querySelector('#handoffs .handoff[data-state="accepted"]') !== null`))
}
