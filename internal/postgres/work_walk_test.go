package postgres_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Act validates the request for every caller before it touches the
// ticket: an invalid body is 400 naming every field in error and changes
// nothing; text is stored trimmed.
func TestActValidatesTheRequest(t *testing.T) {
	w := newWorkbench(t)
	id := w.open(1, 3)[0]
	const med = "mediator-320924100-2"
	w.must(med, id, "claim", gridwarn.ActionBody{})
	before, _ := w.db.Ticket(context.Background(), all, id)

	_, err := w.act(med, id, "contact", gridwarn.ActionBody{Note: strings.Repeat("x", gridwarn.MaxTextChars+1),
		Contact: &gridwarn.Contact{Kind: "letter", Attendees: []string{"a\x00"}}})
	var got []string
	for _, f := range gridwarn.ErrorFields(err) {
		got = append(got, f.Field+"/"+f.Rule)
	}
	want := []string{"note/text", "contact.kind/enum", "contact.held_at/required", "contact.attendees/text"}
	if gridwarn.ErrorCode(err) != gridwarn.EINVALID || !cmp.Equal(want, got) {
		t.Fatalf("invalid contact: %v, want 400 with %v", err, want)
	}
	after, _ := w.db.Ticket(context.Background(), all, id)
	if after.Version != before.Version || len(after.History) != len(before.History) || len(after.Contacts) != 0 {
		t.Errorf("an invalid request changed the ticket: version %d → %d, history %d → %d",
			before.Version, after.Version, len(before.History), len(after.History))
	}

	// Before the ticket is even read: no version is 428, a stale one 412.
	p := w.people[med]
	v := gridwarn.VisibilityOf(p.Scope)
	if _, err := w.db.Act(context.Background(), p, v, gridwarn.ActionRequest{TicketID: id, Action: "note", Body: gridwarn.ActionBody{Note: "x"}}); gridwarn.ErrorCode(err) != gridwarn.EPRECONDITIONREQUIRED {
		t.Errorf("no version: %v, want %s", err, gridwarn.EPRECONDITIONREQUIRED)
	}
	if _, err := w.db.Act(context.Background(), p, v, gridwarn.ActionRequest{TicketID: id, Action: "note", IfMatch: after.Version - 1, Body: gridwarn.ActionBody{Note: "x"}}); gridwarn.ErrorCode(err) != gridwarn.EPRECONDITION {
		t.Errorf("stale version: %v, want %s", err, gridwarn.EPRECONDITION)
	}

	w.must(med, id, "note", gridwarn.ActionBody{Note: " \r\n 已约谈\r\n企业负责人 \t"})
	w.must(med, id, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: " phone_call", HeldAt: t0,
		Attendees: []string{" 张三 ", "", "张三", "李四"}, Summary: " ok "}})
	d, _ := w.db.Ticket(context.Background(), all, id)
	if len(d.Notes) != 1 || d.Notes[0].Body != "已约谈\n企业负责人" {
		t.Errorf("notes = %+v, want the note trimmed", d.Notes)
	}
	if len(d.Contacts) != 1 || d.Contacts[0].Kind != "phone_call" || !cmp.Equal(d.Contacts[0].Attendees, []string{"张三", "李四"}) ||
		d.Contacts[0].Summary != "ok" {
		t.Errorf("contacts = %+v, want the contact normalised", d.Contacts)
	}
}

// recordingWork passes every request to the real service and keeps the
// errors it answers.
type recordingWork struct {
	gridwarn.WorkService
	acts int
	errs []error
}

func (r *recordingWork) Act(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, req gridwarn.ActionRequest) (*gridwarn.Ticket, error) {
	t, err := r.WorkService.Act(ctx, p, v, req)
	r.acts++
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return t, err
}

// The demo's mediators take their steps through the same door as people,
// validation included: over a few hundred steps (a fixed seed) the service
// refuses none of their bodies, and tickets move.
func TestDemoMediatorsPassValidation(t *testing.T) {
	w := newWorkbench(t)
	w.open(12, 3)
	ctx := context.Background()
	var people []*gridwarn.Principal
	for _, name := range []string{"mediator-320924100-1", "mediator-320924100-2"} {
		people = append(people, w.people[name])
	}
	rec := &recordingWork{WorkService: w.db}
	m := &demo.Mediators{Work: rec, Tickets: w.db, People: people, Interval: time.Hour,
		Rand: rand.New(rand.NewPCG(1, 2)), Logger: slog.New(slog.DiscardHandler)}
	for range 300 {
		_ = m.Step(ctx)
	}
	for _, err := range rec.errs {
		if gridwarn.ErrorCode(err) == gridwarn.EINVALID {
			t.Errorf("the service refused a demo mediator's body: %v", err)
		}
	}
	if ok := rec.acts - len(rec.errs); ok < 20 {
		t.Errorf("%d of %d steps succeeded, want the demo to work its tickets", ok, rec.acts)
	}
	d, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Status: gridwarn.StatusClosed})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps, %d refused, %d tickets closed", rec.acts, len(rec.errs), len(d))
}
