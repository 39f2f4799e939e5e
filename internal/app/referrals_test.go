package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// withReferrals adds to the world the county's arbitration commission,
// labour inspection brigade and court (tokens "arb", "insp", "court"), a
// court's commission (a county-tier ticket) and that ticket referred to
// arbitration by the county's mediator (w.referralID).
func (w *world) withReferrals(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	db := w.a.DB()
	county := gridwarn.Visibility{CountyCode: testutil.County}
	for _, p := range []struct{ tok, kind, name, user string }{
		{"arb", gridwarn.BodyArbitration, "射阳县劳动人事争议仲裁委员会", "arb-320924"},
		{"insp", gridwarn.BodyLaborInspection, "射阳县劳动保障监察大队", "insp-320924"},
		{"court", gridwarn.BodyCourt, "射阳县人民法院", "court-320924"},
	} {
		_, _, secret, err := db.CreatePartner(ctx, county, gridwarn.NewPartner{Kind: p.kind, Name: p.name, Username: p.user})
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[p.tok] = secret
	}
	w.tokens["mediator-county-1"] = testutil.MustToken(t, db, "mediator-county-1")
	due := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	code, out := w.do(t, "court", "POST", "/api/v1/referrals/commissions", map[string]any{
		"reference": "（2026）苏0924民初77号", "enterprise": w.entA.CreditCode, "category": "severance", "workers_involved": 11, "due_on": due})
	if code != http.StatusCreated {
		t.Fatalf("commission: %d %s", code, out)
	}
	var cm gridwarn.ReferralRecord
	if err := json.Unmarshal(out, &cm); err != nil {
		t.Fatal(err)
	}
	w.commissionTicket = cm.TicketID
	med, err := db.UserByName(ctx, "mediator-county-1")
	if err != nil {
		t.Fatal(err)
	}
	p := &gridwarn.Principal{User: *med}
	v := gridwarn.VisibilityOf(p.Scope)
	for _, step := range []struct {
		action string
		body   gridwarn.ActionBody
	}{{"claim", gridwarn.ActionBody{}}, {"accept", gridwarn.ActionBody{}}, {"start", gridwarn.ActionBody{}},
		{"refer", gridwarn.ActionBody{Body: gridwarn.BodyArbitration, Reference: "射劳人仲案字〔2026〕第101号"}}} {
		d, err := db.Ticket(ctx, v, cm.TicketID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Act(ctx, p, v, gridwarn.ActionRequest{TicketID: cm.TicketID, Action: step.action, IfMatch: d.Version, Body: step.body}); err != nil {
			t.Fatalf("%s: %v", step.action, err)
		}
	}
	d, err := db.Ticket(ctx, v, cm.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Referrals {
		if r.Direction == gridwarn.ReferralOut {
			w.referralID = r.ID
		}
	}
	if w.referralID == 0 {
		t.Fatalf("no referral on the ticket: %+v", d.Referrals)
	}
}

// The partner's round trip over HTTP: the arbitration commission reads its
// referral and posts an award with money owed; the ticket's detail shows
// the update and the follow-up; the court reads its commission; other
// bodies and other roles are kept out.
func TestReferralRoundTrip(t *testing.T) {
	w := newWorld(t)
	w.withReferrals(t)
	ref := fmt.Sprintf("/api/v1/referrals/%d", w.referralID)
	if code, out := w.do(t, "arb", "GET", ref, nil); code != http.StatusOK {
		t.Fatalf("arbitration reads its referral: %d %s", code, out)
	}
	for _, who := range []string{"insp", "court"} {
		if code, out := w.do(t, who, "GET", ref, nil); code != http.StatusNotFound {
			t.Errorf("%s reads arbitration's referral: %d %s, want 404", who, code, out)
		}
	}
	for _, who := range []string{"admin", "leader", "mediator-county-1"} {
		if code, out := w.do(t, who, "GET", "/api/v1/referrals", nil); code != http.StatusForbidden {
			t.Errorf("%s lists referrals: %d %s, want 403", who, code, out)
		}
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if code, out := w.do(t, "arb", "POST", ref+"/updates", map[string]any{"kind": "accepted", "on_date": today}); code != http.StatusCreated {
		t.Fatalf("accepted: %d %s", code, out)
	}
	if code, out := w.do(t, "arb", "POST", ref+"/updates", map[string]any{"kind": "award", "on_date": today, "owed_cny": 5000}); code != http.StatusBadRequest {
		t.Errorf("money owed without pay_by: %d %s, want 400", code, out)
	}
	code, out := w.do(t, "arb", "POST", ref+"/updates", map[string]any{"kind": "award", "on_date": today, "amount_cny": 150000,
		"owed_cny": 150000, "pay_by": "2027-02-01", "note": "裁决支付经济补偿"})
	if code != http.StatusCreated {
		t.Fatalf("award: %d %s", code, out)
	}
	var d gridwarn.TicketDetail
	_, out = w.do(t, "admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", w.commissionTicket), nil)
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	var updates int
	for _, r := range d.Referrals {
		updates += len(r.Updates)
	}
	if updates != 2 || len(d.FollowUps) != 1 || d.FollowUps[0].DueOn != "2027-02-01" {
		t.Errorf("the ticket after the award: referrals %+v follow-ups %+v", d.Referrals, d.FollowUps)
	}
	// The ticket's page lists the body's updates.
	ui := signIn(t, w.a, "mediator-county-1")
	if code, page := ui.get(fmt.Sprintf("/ui/tickets/%d", w.commissionTicket)); code != http.StatusOK ||
		!strings.Contains(page, `id="referrals"`) || !strings.Contains(page, `data-kind="award"`) || !strings.Contains(page, "¥150,000") {
		t.Errorf("the ticket page: %d, want the referrals section with the award", code)
	}
	// The court's commission: sent again, the same one (200).
	due := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	code, out = w.do(t, "court", "POST", "/api/v1/referrals/commissions", map[string]any{
		"reference": "（2026）苏0924民初77号", "enterprise": w.entA.CreditCode, "category": "severance", "workers_involved": 11, "due_on": due})
	var again gridwarn.ReferralRecord
	_ = json.Unmarshal(out, &again)
	if code != http.StatusOK || again.TicketID != w.commissionTicket {
		t.Errorf("the same commission again: %d %s, want 200 with ticket %d", code, out, w.commissionTicket)
	}
}
