package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// handoffClocks: an accept clock of an hour and a resolve clock of 15
// days, so that a paused resolve clock can be seen resuming.
type handoffClocks struct{ tenSeconds }

func (handoffClocks) Clocks(_ gridwarn.Tier, _ gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	return []gridwarn.ClockPlan{
		{Kind: gridwarn.ClockAccept, RemindAt: start.Add(50 * time.Minute), DueAt: start.Add(time.Hour)},
		{Kind: gridwarn.ClockResolve, RemindAt: start.Add(12 * 24 * time.Hour), DueAt: start.Add(15 * 24 * time.Hour)},
	}
}

const (
	sender    = "mediator-320924100-2"
	neighbour = demo.NeighbourWorker
	nbHead    = demo.NeighbourMediator
)

// newHandoffBench is a workbench with the demo's second county and its
// people.
func newHandoffBench(t *testing.T) *workbench {
	t.Helper()
	w := newWorkbench(t, handoffClocks{})
	testutil.MustSeedNeighbour(t, w.db)
	for _, name := range []string{neighbour, nbHead, "leader-320923"} {
		u, err := w.db.UserByName(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.people[name] = &gridwarn.Principal{User: *u}
	}
	return w
}

func (w *workbench) vis(who string) gridwarn.Visibility {
	return gridwarn.VisibilityOf(w.people[who].Scope)
}

// handOff walks a fresh ticket to in_progress and hands it off.
func (w *workbench) handOff(n int, reason, mode string) (int64, *gridwarn.Handoff) {
	w.t.Helper()
	id := w.open(n, 3)[n-1]
	w.must(sender, id, "claim", gridwarn.ActionBody{})
	w.must(sender, id, "accept", gridwarn.ActionBody{})
	tk := w.must(sender, id, "start", gridwarn.ActionBody{})
	h, err := w.db.HandOff(context.Background(), w.people[sender], w.vis(sender), gridwarn.HandoffRequest{TicketID: id, IfMatch: tk.Version,
		ToCounty: demo.NeighbourCode, Mode: mode, Reason: reason, WorkersHomeCounty: demo.NeighbourCode, Note: "工人已返乡"})
	if err != nil {
		w.t.Fatalf("hand off: %v", err)
	}
	return id, h
}

func historyKinds(t *testing.T, w *workbench, id int64, kind string) []gridwarn.HistoryEntry {
	t.Helper()
	d, err := w.db.Ticket(context.Background(), all, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []gridwarn.HistoryEntry
	for _, h := range d.History {
		if string(h.Kind) == kind {
			out = append(out, h)
		}
	}
	return out
}

// Inside one deployment: a hand-off for the workers' home county opens a
// linked case in the other county's queue and pauses the sender's clocks;
// the other county accepts, works and closes it; the sender's ticket
// learns each answer through the workflow and its clocks resume with the
// time they had left. Only the two counties' people see the hand-off.
func TestHandoffInOneDeployment(t *testing.T) {
	w := newHandoffBench(t)
	ctx := context.Background()
	id, h := w.handOff(1, gridwarn.HandoffWorkersHome, gridwarn.HandoffHand)
	if h.State != gridwarn.HandoffSent || h.LinkedTicketID == 0 || h.TicketID != id || !h.PauseClocks || h.Direction != "out" {
		t.Fatalf("the hand-off: %+v", h)
	}
	if c := runningClocks(t, w.db, id); len(c) != 0 {
		t.Errorf("the sender's running clocks after a hand-off for the workers' home: %+v, want paused", c)
	}
	linked, err := w.db.Ticket(ctx, w.vis(neighbour), h.LinkedTicketID)
	if err != nil {
		t.Fatalf("the receiving county reads its linked case: %v", err)
	}
	if linked.CountyCode != demo.NeighbourCode || linked.Tier != gridwarn.TierCounty || linked.Status != gridwarn.StatusDispatched ||
		linked.Enterprise != h.Enterprise {
		t.Fatalf("the linked case: %+v", linked.Ticket)
	}
	q, err := w.db.Queue(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.QueueFilter{})
	if err != nil || len(q) != 1 || q[0].ID != h.LinkedTicketID {
		t.Fatalf("the receiving county's queue: %+v %v", q, err)
	}

	// Access: both counties see it, each from its side; a town of the
	// sender's county that is not the ticket's does not.
	for who, dir := range map[string]string{sender: "out", neighbour: "in", "leader": "out", "leader-320923": "in"} {
		got, err := w.db.Handoff(ctx, w.people[who], w.vis(who), h.ID)
		if err != nil || got.Direction != dir {
			t.Errorf("%s reads the hand-off: %+v %v, want direction %s", who, got, err, dir)
		}
		list, err := w.db.Handoffs(ctx, w.people[who], w.vis(who), 0)
		if err != nil || len(list) != 1 {
			t.Errorf("%s lists %d hand-offs (%v), want 1", who, len(list), err)
		}
	}
	if _, err := w.db.Handoff(ctx, w.people["mediator-320924101-1"], w.vis("mediator-320924101-1"), h.ID); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("another town's mediator reads the hand-off: %v, want not found", err)
	}
	if list, _ := w.db.Handoffs(ctx, w.people["mediator-320924101-1"], w.vis("mediator-320924101-1"), 0); len(list) != 0 {
		t.Errorf("another town's mediator lists %d hand-offs", len(list))
	}
	// The sender answers nothing; a second hand-off waits for the first.
	if _, err := w.db.AnswerHandoff(ctx, w.people[sender], w.vis(sender), gridwarn.HandoffAnswer{HandoffID: h.ID, Accept: true}); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("the sender accepts its own hand-off: %v, want forbidden", err)
	}
	d, _ := w.db.Ticket(ctx, all, id)
	if _, err := w.db.HandOff(ctx, w.people[sender], w.vis(sender), gridwarn.HandoffRequest{TicketID: id, IfMatch: d.Version,
		ToCounty: demo.NeighbourCode, Mode: gridwarn.HandoffShare, Reason: gridwarn.HandoffJoint, WorkersHomeCounty: demo.NeighbourCode}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("a second hand-off while the first is open: %v, want conflict", err)
	}
	// A new signal about the enterprise goes to the sender's ticket, never
	// to the linked case.
	in := incoming(fmt.Sprintf("after-handoff-%d", time.Now().UnixNano()), h.Enterprise, h.Category, 3, t0.Add(time.Hour))
	in.Enterprise = w.ents[0]
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatalf("a signal after the hand-off: %v", err)
	}
	if l, _ := w.db.Ticket(ctx, all, h.LinkedTicketID); l.EventCount != 1 {
		t.Errorf("the linked case took a signal: %d events", l.EventCount)
	}

	// The receiving county accepts: the case is theirs, the sender learns it.
	if _, err := w.db.AnswerHandoff(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.HandoffAnswer{HandoffID: h.ID, Accept: true}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	got, _ := w.db.Handoff(ctx, w.people[sender], w.vis(sender), h.ID)
	if got.State != gridwarn.HandoffAccepted || got.AnsweredBy != neighbour {
		t.Fatalf("after accept: %+v", got)
	}
	if _, err := w.db.AnswerHandoff(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.HandoffAnswer{HandoffID: h.ID, Reason: "晚了"}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("a decline after the accept: %v, want conflict", err)
	}
	if r := historyKinds(t, w, id, "handoff_reply"); len(r) != 1 {
		t.Fatalf("the sender's handoff_reply lines after accept: %+v", r)
	}
	// The linked case is worked, not handed on.
	l, _ := w.db.Ticket(ctx, all, h.LinkedTicketID)
	if _, err := w.db.HandOff(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.HandoffRequest{TicketID: l.ID, IfMatch: l.Version,
		ToCounty: demo.CountyCode, Mode: gridwarn.HandoffShare, Reason: gridwarn.HandoffJoint, WorkersHomeCounty: demo.NeighbourCode}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("the linked case handed on: %v, want conflict", err)
	}
	if c := runningClocks(t, w.db, id); len(c) != 0 {
		t.Errorf("the sender's clocks while the other county works: %+v, want paused", c)
	}
	// It works the case and closes it with an outcome.
	lid := h.LinkedTicketID
	w.must(neighbour, lid, "start", gridwarn.ActionBody{})
	w.must(neighbour, lid, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_full", AmountRecoveredCNY: 36000, WorkersCovered: 3}})
	w.must(nbHead, lid, "review", gridwarn.ActionBody{Approved: yes()})
	w.must(neighbour, lid, "callback", gridwarn.ActionBody{Satisfied: yes()})
	w.must(neighbour, lid, "close", gridwarn.ActionBody{})
	got, _ = w.db.Handoff(ctx, w.people[sender], w.vis(sender), h.ID)
	if got.State != gridwarn.HandoffClosed || got.Outcome == nil || got.Outcome.AmountRecoveredCNY != 36000 || got.ClosedAt == nil {
		t.Fatalf("after the linked case closed: %+v", got)
	}
	if r := historyKinds(t, w, id, "handoff_reply"); len(r) != 2 {
		t.Fatalf("the sender's handoff_reply lines after the outcome: %d", len(r))
	}
	c := runningClocks(t, w.db, id)
	res, ok := c[gridwarn.ClockResolve]
	if !ok {
		t.Fatalf("the sender's clocks after the outcome: %+v, want resolve resumed", c)
	}
	if left := res.DueAt.Sub(res.StartedAt); left <= 14*24*time.Hour || left > 15*24*time.Hour {
		t.Errorf("the resumed resolve clock has %v left, want the 15 days less the little used before the hand-off", left)
	}
}

// A case shared for information keeps the sender's clocks running; the
// other county declines it with a reason, which comes back.
func TestHandoffDeclinedKeepsClocks(t *testing.T) {
	w := newHandoffBench(t)
	ctx := context.Background()
	id, h := w.handOff(1, gridwarn.HandoffInformation, gridwarn.HandoffShare)
	if h.PauseClocks {
		t.Fatalf("for information pauses the clocks: %+v", h)
	}
	if c := runningClocks(t, w.db, id); len(c) == 0 {
		t.Errorf("the sender's clocks stopped on a share for information")
	}
	if _, err := w.db.AnswerHandoff(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.HandoffAnswer{HandoffID: h.ID}); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("a decline without a reason: %v, want invalid", err)
	}
	got, err := w.db.AnswerHandoff(ctx, w.people[neighbour], w.vis(neighbour), gridwarn.HandoffAnswer{HandoffID: h.ID, Reason: "工人不在本县"})
	if err != nil || got.State != gridwarn.HandoffDeclined || got.DeclineReason != "工人不在本县" {
		t.Fatalf("decline: %+v %v", got, err)
	}
	if l, _ := w.db.Ticket(ctx, all, h.LinkedTicketID); l.Status != gridwarn.StatusClosed {
		t.Errorf("the declined linked case is %s, want closed", l.Status)
	}
	r := historyKinds(t, w, id, "handoff_reply")
	if len(r) != 1 {
		t.Fatalf("the sender's handoff_reply lines: %+v", r)
	}
	// The ticket may be handed off again once the first has ended.
	d, _ := w.db.Ticket(ctx, all, id)
	if _, err := w.db.HandOff(ctx, w.people[sender], w.vis(sender), gridwarn.HandoffRequest{TicketID: id, IfMatch: d.Version,
		ToCounty: demo.NeighbourCode, Mode: gridwarn.HandoffShare, Reason: gridwarn.HandoffJoint, WorkersHomeCounty: demo.NeighbourCode}); err != nil {
		t.Errorf("a new hand-off after a decline: %v", err)
	}
	// An unknown county is refused; so is a mode the reason does not admit.
	d, _ = w.db.Ticket(ctx, all, id)
	for _, req := range []gridwarn.HandoffRequest{
		{ToCounty: "110101", Mode: gridwarn.HandoffHand, Reason: gridwarn.HandoffWorkersHome, WorkersHomeCounty: "110101"},
		{ToCounty: demo.NeighbourCode, Mode: gridwarn.HandoffHand, Reason: gridwarn.HandoffInformation, WorkersHomeCounty: demo.NeighbourCode},
	} {
		req.TicketID, req.IfMatch = id, d.Version
		if _, err := w.db.HandOff(ctx, w.people[sender], w.vis(sender), req); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
			t.Errorf("hand-off %+v: %v, want invalid", req, err)
		}
	}
}
