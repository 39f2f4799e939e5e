package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// reported stores a signal about e reported by a grid worker and returns
// the enterprise's ticket of the category.
func (w *workbench) reported(e gridwarn.Enterprise, id, reporter string) int64 {
	w.t.Helper()
	in := incoming(id, e.CreditCode, "wage_arrears", 3, t0)
	in.Enterprise, in.Event.Reporter = e, &gridwarn.Reporter{Kind: "grid_worker", ID: reporter}
	if _, err := w.db.ApplyBatch(context.Background(), []gridwarn.Incoming{in}, nil); err != nil {
		w.t.Fatal(err)
	}
	ts, _ := w.db.ListTickets(context.Background(), all, gridwarn.TicketFilter{Enterprise: e.CreditCode, Limit: 1})
	return ts[0].ID
}

func (w *workbench) person(name string) *gridwarn.Principal {
	w.t.Helper()
	if p := w.people[name]; p != nil {
		return p
	}
	u, err := w.db.UserByName(context.Background(), name)
	if err != nil {
		w.t.Fatal(err)
	}
	w.people[name] = &gridwarn.Principal{User: *u}
	return w.people[name]
}

// Mediators and leaders see a stable pseudonym for a reporter, never the
// identity; the grid worker sees their own reports as theirs.
func TestReportersArePseudonymous(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	const gw = "gw-reporter-1"
	a := w.reported(w.ents[0], "p-1", gw)
	b := w.reported(w.ents[1], "p-2", gw)
	med := w.person("mediator-320924100-2")
	var seen []string
	for _, id := range []int64{a, b} {
		d, err := w.db.Ticket(ctx, gridwarn.VisibilityOf(med.Scope), id)
		if err != nil {
			t.Fatal(err)
		}
		r := d.Events[0].Reporter
		if r == nil || r.ID == gw || !gridwarn.IsPseudonym(r.ID) || r.Kind != "grid_worker" {
			t.Fatalf("mediator sees reporter %+v, want a pseudonym", r)
		}
		seen = append(seen, r.ID)
	}
	if seen[0] != seen[1] {
		t.Errorf("one reporter, two pseudonyms: %v", seen)
	}
	own, err := w.db.Ticket(ctx, gridwarn.Visibility{CountyCode: "320924", ReporterID: gw}, a)
	if err != nil || own.Events[0].Reporter.ID != gw {
		t.Errorf("the grid worker's own view: %+v, %v", own.Events[0].Reporter, err)
	}
}

// Reading an identity needs the county administrator's grant, a visible
// ticket and a reason, and every read is logged (append-only).
func TestIdentityReadsAreGrantedAndLogged(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	id := w.reported(w.ents[2], "i-1", "gw-reporter-2")
	med, other := w.person("mediator-320924100-2"), w.person("mediator-320924101-1")
	admin := w.person("admin")
	read := func(p *gridwarn.Principal, reason string) ([]gridwarn.EventReporter, error) {
		return w.db.ReporterIdentities(ctx, p, gridwarn.VisibilityOf(p.Scope), id, reason)
	}
	if _, err := read(med, "need to call back"); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Fatalf("without a grant: %v, want forbidden", err)
	}
	if err := w.db.SetIdentityReader(ctx, med, med.ID, true); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a mediator grants themselves: %v, want forbidden", err)
	}
	if err := w.db.SetIdentityReader(ctx, admin, w.person("gw-320924100-j01-1").ID, true); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("grant to a grid worker: %v, want invalid", err)
	}
	for _, p := range []*gridwarn.Principal{med, other} {
		if err := w.db.SetIdentityReader(ctx, admin, p.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := read(med, "  "); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("without a reason: %v, want invalid", err)
	}
	if _, err := read(other, "curious"); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("another town's mediator: %v, want not found", err)
	}
	got, err := read(med, "回访需要联系报告人")
	if err != nil || len(got) != 1 || got[0].ID != "gw-reporter-2" || !gridwarn.IsPseudonym(got[0].Pseudonym) {
		t.Fatalf("identities = %+v, %v", got, err)
	}
	log, err := w.db.IdentityReads(ctx, admin, 0, 10)
	if err != nil || len(log) != 1 || log[0].Reader != med.Username || log[0].TicketID != id || log[0].Reason != "回访需要联系报告人" || log[0].Identities != 1 {
		t.Fatalf("log = %+v, %v; want the one read", log, err)
	}
	if _, err := w.db.IdentityReads(ctx, med, 0, 10); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a mediator reads the log: %v, want forbidden", err)
	}
	if _, err := w.db.Pool().Exec(ctx, "UPDATE identity_reads SET reason = 'nothing'"); err == nil {
		t.Error("the log was changed")
	}
	// Withdrawn: refused again.
	if err := w.db.SetIdentityReader(ctx, admin, med.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := read(med, "again"); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("after withdrawal: %v, want forbidden", err)
	}
}

// The sweeper erases the identities of tickets closed longer than the
// retention period, and says so in their history.
func TestIdentitiesErasedAfterRetention(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	id := w.reported(w.ents[3], "r-1", "gw-reporter-3")
	open := w.reported(w.ents[4], "r-2", "gw-reporter-3")
	w.closeTicket(id)
	if res, err := w.db.Sweep(ctx, time.Now().Add(364*24*time.Hour)); err != nil || res.Erased != 0 {
		t.Fatalf("before the retention ends: %+v, %v", res, err)
	}
	res, err := w.db.Sweep(ctx, time.Now().Add(366*24*time.Hour))
	if err != nil || res.Erased != 1 {
		t.Fatalf("after the retention: %+v, %v; want one ticket erased", res, err)
	}
	admin, med := w.person("admin"), w.person("mediator-320924100-2")
	if err := w.db.SetIdentityReader(ctx, admin, med.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := w.db.ReporterIdentities(ctx, med, gridwarn.VisibilityOf(med.Scope), id, "audit")
	if err != nil || len(got) != 1 || got[0].ID != "" {
		t.Errorf("identities after erasure = %+v, %v; want erased", got, err)
	}
	d, _ := w.db.Ticket(ctx, all, id)
	last := d.History[len(d.History)-1]
	if last.Kind != gridwarn.HistoryIdentitiesErased || last.Actor != gridwarn.ActorSweeper || !strings.Contains(string(last.Data), "1") {
		t.Errorf("last history line = %+v", last)
	}
	// The open ticket keeps its reporter.
	if got, _ := w.db.ReporterIdentities(ctx, med, gridwarn.VisibilityOf(med.Scope), open, "audit"); len(got) != 1 || got[0].ID != "gw-reporter-3" {
		t.Errorf("open ticket's identities = %+v", got)
	}
}
