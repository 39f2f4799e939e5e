package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// A hotline case's caller is its event's reporter: the identity read of the
// ticket returns the name and number in full (and logs it); the retention
// sweep erases them with the ticket's reporters, and those of a case closed
// on the call after the same period.
func TestHotlineCallersUnderReporterProtection(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	now := time.Now()
	ent := w.ents[5]
	file := func(f gridwarn.HotlineFiling, status gridwarn.HotlineStatus) gridwarn.HotlineCase {
		t.Helper()
		c, err := w.db.InsertHotlineCase(ctx, postgres.HotlineRecord{Filing: f, County: "320924", FiledBy: "hotline", FiledAt: now,
			Day: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), DueAt: now.Add(72 * time.Hour), Status: status})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := file(gridwarn.HotlineFiling{CallerName: "王小明", CallerPhone: "13812345678", IntakeType: gridwarn.IntakeHelp,
		Class: gridwarn.ClassOrdinary, Enterprise: ent.CreditCode, Category: gridwarn.CategoryWageArrears}, gridwarn.HotlineForwarded)
	answered := file(gridwarn.HotlineFiling{CallerName: "李四", CallerPhone: "0515-87654321", IntakeType: gridwarn.IntakeConsultation,
		Class: gridwarn.ClassOrdinary, AnsweredOnCall: true}, gridwarn.HotlineClosed)
	if c.WorkOrder != "12351-20261206-0001" || answered.WorkOrder != "12351-20261206-0002" || c.CallerPhone != "138****5678" {
		t.Fatalf("cases: %+v %+v", c, answered)
	}
	in := incoming(c.EventID, ent.CreditCode, gridwarn.CategoryWageArrears, 3, t0)
	in.Enterprise, in.Event.Reporter = ent, &gridwarn.Reporter{Kind: "hotline", ID: gridwarn.HotlineReporterID(c.ID)}
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := w.db.HotlineCaseIn(ctx, gridwarn.Visibility{CountyCode: "320924"}, c.ID)
	if err != nil || got.TicketID == nil {
		t.Fatalf("case after its event: %+v %v", got, err)
	}
	ticket := *got.TicketID
	admin, med := w.person("admin"), w.person("mediator-320924100-2")
	if err := w.db.SetIdentityReader(ctx, admin, med.ID, true); err != nil {
		t.Fatal(err)
	}
	ids, err := w.db.ReporterIdentities(ctx, med, gridwarn.VisibilityOf(med.Scope), ticket, "call back")
	if err != nil || len(ids) != 1 || ids[0].CallerName != "王小明" || ids[0].CallerPhone != "13812345678" || !gridwarn.IsPseudonym(ids[0].Pseudonym) {
		t.Fatalf("identity read: %+v %v", ids, err)
	}
	// Another town's view does not see the case.
	if _, err := w.db.HotlineCaseIn(ctx, gridwarn.Visibility{CountyCode: "320924", TownCode: "320924101"}, c.ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B reads town A's case: %v", err)
	}

	w.closeTicket(ticket)
	if res, err := w.db.Sweep(ctx, now.Add(364*24*time.Hour)); err != nil || res.ErasedCallers != 0 {
		t.Fatalf("before the retention ends: %+v %v", res, err)
	}
	if res, err := w.db.Sweep(ctx, now.Add(366*24*time.Hour)); err != nil || res.ErasedCallers != 2 {
		t.Fatalf("after the retention: %+v %v, want both callers erased", res, err)
	}
	ids, _ = w.db.ReporterIdentities(ctx, med, gridwarn.VisibilityOf(med.Scope), ticket, "audit")
	if len(ids) != 1 || ids[0].CallerPhone != "" || ids[0].CallerName != "" {
		t.Errorf("identity read after erasure: %+v", ids)
	}
	for _, id := range []int64{c.ID, answered.ID} {
		if got, _ := w.db.HotlineCaseIn(ctx, gridwarn.Visibility{All: true}, id); got.CallerName != "" || got.CallerPhone != "" {
			t.Errorf("case %d after erasure: %q %q", id, got.CallerName, got.CallerPhone)
		}
	}
}
