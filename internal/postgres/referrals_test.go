package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// bodyClocks is tenSeconds for the tiers and the rules' outside bodies
// (rules.yaml outside_bodies) for the referrals.
type bodyClocks struct{ tenSeconds }

func (bodyClocks) BodyClock(body string, kind gridwarn.ClockKind, start time.Time, extended bool) (gridwarn.ClockPlan, bool) {
	return rules.Default().BodyClock(body, kind, start, extended)
}

// referralBench is a workbench with the county's arbitration commission,
// a labour inspection brigade and a court as partners.
type referralBench struct {
	*workbench
	arb, insp, court *gridwarn.Principal
}

func newReferralBench(t *testing.T) *referralBench {
	t.Helper()
	w := newWorkbench(t, bodyClocks{})
	b := &referralBench{workbench: w}
	ctx := context.Background()
	county := gridwarn.Visibility{CountyCode: testutil.County}
	for _, p := range []struct {
		into             **gridwarn.Principal
		kind, name, user string
	}{
		{&b.arb, gridwarn.BodyArbitration, "射阳县劳动人事争议仲裁委员会", "arb-320924"},
		{&b.insp, gridwarn.BodyLaborInspection, "射阳县劳动保障监察大队", "insp-320924"},
		{&b.court, gridwarn.BodyCourt, "射阳县人民法院", "court-320924"},
	} {
		pt, tok, secret, err := w.db.CreatePartner(ctx, county, gridwarn.NewPartner{Kind: p.kind, Name: p.name, Username: p.user})
		if err != nil {
			t.Fatalf("partner %s: %v", p.user, err)
		}
		if pt.ID == 0 || tok.ID == 0 || secret == "" {
			t.Fatalf("partner %+v token %+v", pt, tok)
		}
		pr, err := w.db.Authenticate(ctx, secret)
		if err != nil || pr.Role != gridwarn.RolePartner {
			t.Fatalf("the partner's token: %+v %v", pr, err)
		}
		*p.into = pr
	}
	return b
}

// referTo walks a fresh ticket to in_progress and refers it to body.
func (b *referralBench) referTo(body, reference string, workers int) (int64, gridwarn.ReferralRecord) {
	b.t.Helper()
	id := b.open(1, workers)[0]
	const med = "mediator-320924100-2"
	b.must(med, id, "claim", gridwarn.ActionBody{})
	b.must(med, id, "accept", gridwarn.ActionBody{})
	b.must(med, id, "start", gridwarn.ActionBody{})
	tk := b.must(med, id, "refer", gridwarn.ActionBody{Body: body, Reference: reference})
	if tk.Status != gridwarn.StatusReferred {
		b.t.Fatalf("after refer: %s", tk.Status)
	}
	d, err := b.db.Ticket(context.Background(), all, id)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(d.Referrals) != 1 {
		b.t.Fatalf("referrals of the ticket: %+v", d.Referrals)
	}
	return id, d.Referrals[0]
}

func runningClocks(t *testing.T, db interface {
	Ticket(context.Context, gridwarn.Visibility, int64) (*gridwarn.TicketDetail, error)
}, id int64) map[gridwarn.ClockKind]gridwarn.Clock {
	t.Helper()
	d, err := db.Ticket(context.Background(), all, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[gridwarn.ClockKind]gridwarn.Clock{}
	for _, c := range d.Clocks {
		if c.StoppedAt == nil {
			out[c.Kind] = c
		}
	}
	return out
}

// A referral to arbitration: the tier's clocks stop and the body's accept
// clock (5 days) runs; the commission's "accepted" stops it and starts the
// award clock (45 days), which an extension moves by 15; an award with
// money owed starts the payment follow-up, and the mediator is told of
// every update.
func TestReferralToArbitrationComesBack(t *testing.T) {
	b := newReferralBench(t)
	ctx := context.Background()
	id, ref := b.referTo(gridwarn.BodyArbitration, "射劳人仲案字〔2026〕第88号", 12)
	if ref.PartnerID == 0 || ref.BodyName != "射阳县劳动人事争议仲裁委员会" || !ref.Collective || ref.Kind != gridwarn.BodyArbitration {
		t.Fatalf("the referral: %+v, want the county's arbitration commission, collective (12 workers)", ref)
	}
	clocks := runningClocks(t, b.db, id)
	acc, ok := clocks[gridwarn.ClockBodyAccept]
	if len(clocks) != 1 || !ok {
		t.Fatalf("running clocks after refer: %+v, want only body_accept", clocks)
	}
	if got := acc.DueAt.Sub(acc.StartedAt); got != 5*24*time.Hour {
		t.Errorf("arbitration accepts within %v, want 5 days", got)
	}

	// Another body's token does not see the referral; a non-partner may not ask.
	if _, err := b.db.Referral(ctx, b.insp, ref.ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("labour inspection reads arbitration's referral: %v, want 404", err)
	}
	if _, err := b.db.PostUpdate(ctx, b.insp, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "accepted", OnDate: "2026-12-01"}); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("labour inspection updates arbitration's referral: %v, want 404", err)
	}
	if _, err := b.db.Referrals(ctx, b.people["mediator-320924100-2"]); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a mediator lists referrals as a partner: %v, want 403", err)
	}
	if rs, err := b.db.Referrals(ctx, b.insp); err != nil || len(rs) != 0 {
		t.Errorf("labour inspection's referrals: %+v %v, want none", rs, err)
	}
	if rs, err := b.db.Referrals(ctx, b.arb); err != nil || len(rs) != 1 || rs[0].ID != ref.ID {
		t.Errorf("arbitration's referrals: %+v %v, want the one", rs, err)
	}

	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	got, err := b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "accepted", OnDate: today})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Updates) != 1 || got.Updates[0].Kind != "accepted" || got.Updates[0].Author != "arb-320924" {
		t.Errorf("updates after accepted: %+v", got.Updates)
	}
	clocks = runningClocks(t, b.db, id)
	dec, ok := clocks[gridwarn.ClockBodyDecide]
	if _, still := clocks[gridwarn.ClockBodyAccept]; still || !ok {
		t.Fatalf("running clocks after accepted: %+v, want body_decide only", clocks)
	}
	if got := dec.DueAt.Sub(dec.StartedAt); got != 45*24*time.Hour {
		t.Errorf("the award is due in %v, want 45 days", got)
	}
	if _, err := b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "extended", OnDate: today}); err != nil {
		t.Fatal(err)
	}
	if ext := runningClocks(t, b.db, id)[gridwarn.ClockBodyDecide]; ext.DueAt.Sub(ext.StartedAt) != 60*24*time.Hour {
		t.Errorf("after the extension the award is due in %v, want 60 days", ext.DueAt.Sub(ext.StartedAt))
	}
	hearing := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	if _, err := b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "hearing_scheduled", OnDate: today}); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("a hearing without its time: %v, want 400", err)
	}
	if _, err := b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "hearing_scheduled", OnDate: today, HearingAt: &hearing}); err != nil {
		t.Fatal(err)
	}
	owed, amount := 86000.0, 120000.0
	got, err = b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "award", OnDate: today,
		AmountCNY: &amount, OwedCNY: &owed, PayBy: "2027-01-20", Note: "裁决用人单位支付拖欠工资"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Updates) != 4 {
		t.Errorf("updates: %+v", got.Updates)
	}
	if c := runningClocks(t, b.db, id); len(c) != 0 {
		t.Errorf("running clocks after the award: %+v, want none", c)
	}
	d, err := b.db.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.FollowUps) != 1 || d.FollowUps[0].DueOn != "2027-01-20" || d.FollowUps[0].Paid != nil {
		t.Errorf("follow-ups after the award: %+v, want one due 2027-01-20", d.FollowUps)
	}
	if d.Status != gridwarn.StatusReferred || len(d.Referrals) != 1 || len(d.Referrals[0].Updates) != 4 {
		t.Errorf("the ticket after the award: %s, referrals %+v", d.Status, d.Referrals)
	}
	var lines int
	for _, h := range d.History {
		if h.Kind == "body_update" && h.Actor == "partner:arb-320924" {
			lines++
		}
	}
	if lines != 4 {
		t.Errorf("history lines of the body's updates: %d, want 4", lines)
	}
	var notes int
	if err := b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM outbox WHERE topic = $1 AND (payload->>'ticket_id')::bigint = $2`,
		gridwarn.TopicReferralUpdate, id).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if notes != 4 {
		t.Errorf("referral-update notifications: %d, want 4", notes)
	}
	// The follow-up is the existing one: unpaid reopens the ticket.
	tk := b.must("mediator-320924100-2", id, "follow_up", gridwarn.ActionBody{FollowUpOn: "2027-01-20", Paid: no()})
	if tk.Status != gridwarn.StatusDispatched {
		t.Errorf("unpaid award: %s, want dispatched (reopened)", tk.Status)
	}
	// The ticket is no longer referred: the body's update is refused.
	if _, err := b.db.PostUpdate(ctx, b.arb, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "judgement", OnDate: today}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("an update on a ticket no longer referred: %v, want 409", err)
	}
}

// Labour inspection's clocks are working days: 5 to accept, 60 to
// investigate.
func TestReferralToLabourInspectionClocks(t *testing.T) {
	b := newReferralBench(t)
	id, ref := b.referTo(gridwarn.BodyLaborInspection, "射人社监〔2026〕12号", 3)
	if ref.Collective {
		t.Errorf("3 workers marked collective")
	}
	cal := rules.Default().Calendar()
	acc := runningClocks(t, b.db, id)[gridwarn.ClockBodyAccept]
	if want := cal.AddWorkingDays(acc.StartedAt, 5); !acc.DueAt.Equal(want) {
		t.Errorf("inspection accepts by %v, want %v (5 working days)", acc.DueAt, want)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := b.db.PostUpdate(context.Background(), b.insp, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "accepted", OnDate: today}); err != nil {
		t.Fatal(err)
	}
	dec := runningClocks(t, b.db, id)[gridwarn.ClockBodyDecide]
	if want := cal.AddWorkingDays(dec.StartedAt, 60); !dec.DueAt.Equal(want) {
		t.Errorf("inspection finds by %v, want %v (60 working days)", dec.DueAt, want)
	}
	// A withdrawal stops the body's clocks.
	if _, err := b.db.PostUpdate(context.Background(), b.insp, gridwarn.UpdateRequest{ReferralID: ref.ID, Kind: "withdrawn", OnDate: today}); err != nil {
		t.Fatal(err)
	}
	if c := runningClocks(t, b.db, id); len(c) != 0 {
		t.Errorf("running clocks after the withdrawal: %+v", c)
	}
}

// A court's commission opens one county-tier ticket, however often (and
// however concurrently) the court sends it; the union's reply goes back
// to the court as an update it reads.
func TestCourtCommission(t *testing.T) {
	b := newReferralBench(t)
	ctx := context.Background()
	due := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)
	cm := gridwarn.Commission{Reference: "（2026）苏0924民初1234号", Enterprise: b.ents[0].CreditCode, Category: "wage_arrears",
		Workers: 15, AmountCNY: 230000, DueOn: due, Summary: "15名职工追索劳动报酬"}
	if _, _, err := b.db.Commission(ctx, b.arb, cm); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("arbitration commissions: %v, want 403", err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[int64]bool{}
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, c, err := b.db.Commission(ctx, b.court, cm)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[rec.TicketID] = true
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("4 identical commissions: created %d, tickets %v; want one", created, ids)
	}
	var id int64
	for k := range ids {
		id = k
	}
	d, err := b.db.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tier != gridwarn.TierCounty || d.Status != gridwarn.StatusDispatched || len(d.Referrals) != 1 || d.Referrals[0].Direction != "in" {
		t.Fatalf("the commissioned ticket: tier %s status %s referrals %+v", d.Tier, d.Status, d.Referrals)
	}
	// The court's deadline is the county's deadline to resolve (when the
	// planner gives a resolve clock; tenSeconds gives accept only).
	for _, c := range d.Clocks {
		if c.Kind == gridwarn.ClockResolve && c.DueAt.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) != due {
			t.Errorf("resolve due %v, want the court's %s", c.DueAt, due)
		}
	}
	// The county works it and replies; the court reads the result.
	const med = "mediator-county-1"
	b.must(med, id, "claim", gridwarn.ActionBody{})
	b.must(med, id, "accept", gridwarn.ActionBody{})
	b.must(med, id, "start", gridwarn.ActionBody{})
	b.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "settled_by_mediation", AmountRecoveredCNY: 200000, WorkersCovered: 15}})
	rs, err := b.db.Referrals(ctx, b.court)
	if err != nil || len(rs) != 1 {
		t.Fatalf("the court's referrals: %+v %v", rs, err)
	}
	if u := rs[0].Updates; len(u) != 1 || u[0].Kind != gridwarn.UpdateMediationResult || u[0].Note != "settled_by_mediation" ||
		u[0].AmountCNY == nil || *u[0].AmountCNY != 200000 {
		t.Errorf("the court reads: %+v, want the union's mediation result", u)
	}
	if _, err := b.db.Referral(ctx, b.arb, rs[0].ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("arbitration reads the court's commission: %v, want 404", err)
	}
	// A partner's account comes only with its body.
	if _, err := b.db.CreateUser(ctx, all, gridwarn.User{Username: "lone-partner", Role: gridwarn.RolePartner,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testutil.County}}); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("a partner account without its body: %v, want 400", err)
	}
	// A town administrator registers no partner.
	if _, _, _, err := b.db.CreatePartner(ctx, gridwarn.Visibility{CountyCode: testutil.County, TownCode: testutil.TownA},
		gridwarn.NewPartner{Kind: "legal_aid", Name: "法律援助中心", Username: "legal-aid"}); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a town registers a partner: %v, want 403", err)
	}
}

// A body's late clock is recorded and announced; it neither escalates the
// ticket nor makes it overdue (the body is late, not the union).
func TestLateBodyNeitherEscalatesNorOverdue(t *testing.T) {
	b := newReferralBench(t)
	ctx := context.Background()
	// A county-tier ticket (a court's commission), referred on to arbitration.
	rec, _, err := b.db.Commission(ctx, b.court, gridwarn.Commission{Reference: "（2026）苏0924民初90号", Enterprise: b.ents[1].CreditCode,
		DueOn: time.Now().AddDate(0, 1, 0).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	id := rec.TicketID
	for _, a := range []string{"claim", "accept", "start"} {
		b.must("mediator-county-1", id, a, gridwarn.ActionBody{})
	}
	b.must("mediator-county-1", id, "refer", gridwarn.ActionBody{Body: gridwarn.BodyArbitration, Reference: "射劳人仲案字〔2026〕第90号"})
	before, err := b.db.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.db.Sweep(ctx, time.Now().Add(6*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Escalations != 0 || res.Overdue != 0 {
		t.Errorf("sweep: %+v, want no escalation and nothing overdue", res)
	}
	d, err := b.db.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != gridwarn.StatusReferred || d.Tier != gridwarn.TierCounty || d.Tier != before.Tier || d.OverdueAt != nil {
		t.Errorf("after the body's breach: %s at %s, overdue %v", d.Status, d.Tier, d.OverdueAt)
	}
	var breached bool
	for _, c := range d.Clocks {
		if c.Kind == gridwarn.ClockBodyAccept && c.BreachedAt != nil {
			breached = true
		}
	}
	var lines int
	for _, h := range d.History {
		if h.Kind == gridwarn.HistoryBreached {
			lines++
		}
	}
	if !breached || lines != 1 {
		t.Errorf("the body's breach: clock breached %t, history lines %d; want recorded once", breached, lines)
	}
}
