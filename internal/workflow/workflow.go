// Package workflow is the ticket state machine: which action may move a
// ticket from which state to which, who may take it, and what the action's
// body must carry. The machine is defined once, as data, in Table; Decide
// and Allowed read it, Diagram draws it, and the tests print every
// (state, action, actor) combination to testdata/transitions.txt.
//
// The package is pure: no I/O, no clock, no database. The ticket service
// loads the ticket and the caller, fills an Actor and an Input, calls
// Decide, and applies the Transition in one transaction (new state, tier,
// lease, history line, version+1).
//
// # The main path
//
//	new → dispatched (派单) → accepted (签收) → in_progress (处置/调解)
//	    → replied (回单) → reviewed (审核) → callback (回访) → closed (办结)
//
// # Errors
//
// Decide checks in this order, so the answer never depends on who asks
// before it depends on the ticket:
//
//  1. The ticket's state does not admit the action at all → *IllegalError
//     (409), listing the actions this actor may take now.
//  2. A precondition on the ticket fails (the lease is someone else's, no
//     call-back recorded, no tier above/below/to return to) → *IllegalError
//     (409) with a Reason.
//  3. The ticket admits the action but not from this actor → *ForbiddenError
//     (403).
//  4. The body lacks the yes/no answer the branch depends on (approved,
//     satisfied, paid) → *MissingError (400).
//
// Each error unwraps to a *gridwarn.Error with the matching code, so the
// API's code→HTTP map applies unchanged; errors.As on the workflow type
// gives the Allowed list for the 409 body.
//
// # Versions
//
// Every accepted action changes the ticket — including claim, note and
// contact, which write a history line and the lease — so every accepted
// action bumps the ticket's version by exactly one (Transition.Bump is
// always true on success). This keeps optimistic concurrency uniform: two
// mediators claiming at once, or a note racing a close, conflict on the
// version like any other change.
package workflow

import (
	"slices"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Action is something a person or the system does to a ticket; each is one
// API route (POST /api/v1/tickets/{id}/{action}).
type Action string

const (
	ActionClaim    Action = "claim"     // take the lease (领取)
	ActionUnclaim  Action = "unclaim"   // give the lease back
	ActionAssign   Action = "assign"    // the tier head gives the lease to a named mediator (指派)
	ActionDispatch Action = "dispatch"  // 派单
	ActionAccept   Action = "accept"    // 签收
	ActionStart    Action = "start"     // 处置/调解
	ActionReply    Action = "reply"     // 回单, with an outcome
	ActionReview   Action = "review"    // 审核, approved or not
	ActionCallback Action = "callback"  // 回访: the reporter's satisfaction
	ActionClose    Action = "close"     // 办结
	ActionReturn   Action = "return"    // 退回: not this tier's duty
	ActionEscalate Action = "escalate"  // 上提: one tier up
	ActionHandDown Action = "hand_down" // 下交: one tier down, with instructions
	ActionExtend   Action = "extend"    // 延期: a new due time
	ActionReopen   Action = "reopen"    // 重启: relapse, broken promise
	ActionMerge    Action = "merge"     // 合并 into another ticket
	ActionRefer    Action = "refer"     // 移交 to arbitration, court or labor inspection
	ActionNote     Action = "note"      // a note (also a leader's instruction, 批示)
	ActionContact  Action = "contact"   // a contact log entry (who was reached, how)
	ActionFollowUp Action = "follow_up" // a payment follow-up: paid or not

	// ActionBodyUpdate is the receiving body's report on a referral
	// (accepted, hearing, award, …): not a person's ticket route but POST
	// /api/v1/referrals/{id}/updates, by the body's partner account.
	ActionBodyUpdate Action = "body_update"

	// The hand-off between counties (issue 17 item 3). hand_off is the
	// sender's step (POST /api/v1/tickets/{id}/handoff); handoff_accept
	// and handoff_decline are the receiving county's answer on its linked
	// case (POST /api/v1/handoffs/{id}/accept|decline); handoff_reply is
	// the system recording that answer, and the linked case's outcome, on
	// the sender's ticket.
	ActionHandOff        Action = "hand_off"
	ActionHandoffAccept  Action = "handoff_accept"
	ActionHandoffDecline Action = "handoff_decline"
	ActionHandoffReply   Action = "handoff_reply"
)

// OutsideActions are the actions without a /tickets/{id}/<action> route:
// the outside bodies' update and the hand-off's steps (their routes are
// under /referrals and /handoffs). They are in the Table, not among
// Actions.
var OutsideActions = []Action{ActionBodyUpdate, ActionHandOff, ActionHandoffAccept, ActionHandoffDecline, ActionHandoffReply}

// Actions lists every action in the order of a ticket's life.
var Actions = []Action{
	ActionClaim, ActionUnclaim, ActionAssign, ActionDispatch, ActionAccept, ActionStart,
	ActionReply, ActionReview, ActionCallback, ActionClose, ActionReturn, ActionEscalate,
	ActionHandDown, ActionExtend, ActionReopen, ActionMerge, ActionRefer, ActionNote,
	ActionContact, ActionFollowUp,
}

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// Actor is who asks, as seen from one ticket. The service fills it from the
// principal and the ticket.
type Actor struct {
	Role gridwarn.Role
	// TierHead marks a mediator who heads their unit (User.TierHead). A
	// leader counts as a tier head of their unit whatever this says.
	TierHead bool
	// AtTicketTier: the actor works at the ticket's current tier (their
	// scope is that tier's unit: the county for a county-tier ticket, the
	// ticket's town for a town-tier one, …).
	AtTicketTier bool
	// Claimer: the actor holds the ticket's live lease.
	Claimer bool
	// Replier: the actor recorded the reply now waiting for review (the
	// ticket's last reply line is theirs). A rule with NotByReplier refuses
	// them (separation of duties).
	Replier bool
	// System: the sweeper or the engine. Role and the flags above are
	// ignored for it.
	System bool
	// Receiver: the actor is the partner account of the body the ticket's
	// current referral went to.
	Receiver bool
}

// Who is a set of the kinds of actor a rule admits.
type Who uint8

const (
	// Claimer is the mediator at the ticket's tier holding its lease.
	Claimer Who = 1 << iota
	// MediatorAtTier is any mediator at the ticket's tier (claimer and
	// mediator tier heads included; leaders not).
	MediatorAtTier
	// TierHeadAtTier is a tier head (a mediator marked head of the unit)
	// or a leader, at the ticket's tier.
	TierHeadAtTier
	// System is the sweeper or the engine.
	System
	// Receiver is the body the ticket is referred to (its partner account).
	Receiver
)

// Permits reports whether a is one of the kinds in w.
func (w Who) Permits(a Actor) bool {
	if a.System {
		return w&System != 0
	}
	mediator := a.Role == gridwarn.RoleMediator && a.AtTicketTier
	head := a.AtTicketTier && (a.Role == gridwarn.RoleLeader || a.Role == gridwarn.RoleMediator && a.TierHead)
	if a.Role == gridwarn.RolePartner {
		return w&Receiver != 0 && a.Receiver
	}
	return w&Claimer != 0 && mediator && a.Claimer ||
		w&MediatorAtTier != 0 && mediator ||
		w&TierHeadAtTier != 0 && head
}

// String names the kinds in w, e.g. "the claimer or a tier head".
func (w Who) String() string {
	var parts []string
	for _, k := range []struct {
		w    Who
		name string
	}{
		{Claimer, "the claimer"},
		{MediatorAtTier, "a mediator at the ticket's tier"},
		{TierHeadAtTier, "a tier head at the ticket's tier"},
		{System, "the system"},
		{Receiver, "the body the ticket is referred to"},
	} {
		if w&k.w != 0 {
			parts = append(parts, k.name)
		}
	}
	if len(parts) == 0 {
		return "nobody"
	}
	return strings.Join(parts, " or ")
}

// TierMove says where an action moves the ticket on the ladder.
type TierMove string

const (
	TierStay TierMove = ""     // the ticket stays at its tier
	TierUp   TierMove = "up"   // one tier up; illegal at the county
	TierDown TierMove = "down" // one tier down; illegal at the enterprise
	// TierBack is the tier that dispatched the ticket to its current tier
	// (Input.DispatchedBy), or one tier up when the engine routed it there.
	TierBack TierMove = "back"
)

// LeaseEffect says what an action does to the ticket's lease.
type LeaseEffect string

const (
	LeaseKeep    LeaseEffect = ""        // unchanged
	LeaseTake    LeaseEffect = "take"    // the actor takes (or renews) it
	LeaseAssign  LeaseEffect = "assign"  // the mediator named in the body gets it
	LeaseRelease LeaseEffect = "release" // nobody holds it
)

// Outcome is where an action leads.
type Outcome struct {
	To     gridwarn.Status // the next state; "" = unchanged
	Reopen bool            // a new round of work: the clocks of the tier start again
	Tier   TierMove        // the move on the ladder
	Lease  LeaseEffect     // what happens to the lease
}

// Rule is one line of the state machine.
type Rule struct {
	From    []gridwarn.Status // the states that admit the action
	Outcome                   // where it leads (when If is answered yes)
	// If names the yes/no field of the body that picks the branch:
	// yes → Outcome, no → No. "" for actions with one outcome.
	If  string
	No  Outcome // where it leads when If is answered no
	Who Who     // who may take it
	// Needs lists the fields the action's body must carry.
	Needs []string
	// LeaseFree: the lease must be free or the actor's.
	LeaseFree bool
	// Callback: a call-back must have been recorded (Input.CallbackRecorded).
	Callback bool
	// NotByReplier: separation of duties — the person who recorded the
	// reply may not take the action (403), unless the deployment allows it
	// (Input.AllowSelfReview, config queue.allow_self_review).
	NotByReplier bool
	// Linked: the ticket must be the linked case of a hand-off still
	// waiting for its answer (Input.Linked).
	Linked bool
	// NotLinkedCase: a hand-off's linked case does not admit the action
	// (Input.LinkedCase).
	NotLinkedCase bool
}

// Groups of states the table uses.
var (
	// working: the states a mediator holds a lease in.
	working = []gridwarn.Status{gridwarn.StatusDispatched, gridwarn.StatusAccepted, gridwarn.StatusInProgress, gridwarn.StatusReferred}
	// leased: every state a lease can survive into.
	leased = []gridwarn.Status{gridwarn.StatusDispatched, gridwarn.StatusAccepted, gridwarn.StatusInProgress, gridwarn.StatusReplied, gridwarn.StatusReviewed, gridwarn.StatusReferred}
	// ladder: open states that can move on the ladder (referred is with an outside body).
	ladder = []gridwarn.Status{gridwarn.StatusNew, gridwarn.StatusDispatched, gridwarn.StatusAccepted, gridwarn.StatusInProgress, gridwarn.StatusReplied, gridwarn.StatusReviewed}
	// open: every open state (gridwarn.Status.Open).
	open = gridwarn.OpenStatuses()
)

// Table is THE state machine: one rule per action. Work on a ticket needs
// the lease (claim first); decisions for the unit need the tier head (a
// leader counts); the sweeper and the engine act as System. Grid workers,
// reporters, admins and people at another tier may take no action.
var Table = map[Action]Rule{
	// claim: a mediator at the tier takes the lease of a ticket in a working
	// state (or renews their own); state unchanged. Someone else's live
	// lease → 409.
	ActionClaim: {From: working, Outcome: Outcome{Lease: LeaseTake}, Who: MediatorAtTier, LeaseFree: true},
	// unclaim: the claimer gives the lease back, wherever it survives, or
	// the sweeper takes back a lease that lapsed; state unchanged.
	ActionUnclaim: {From: leased, Outcome: Outcome{Lease: LeaseRelease}, Who: Claimer | System},
	// assign: the tier head gives the lease to a named mediator of the unit
	// (even over a live lease); state unchanged. The service checks that
	// the assignee is a mediator at the tier.
	ActionAssign: {From: working, Outcome: Outcome{Lease: LeaseAssign}, Who: TierHeadAtTier, Needs: []string{"assignee"}},
	// dispatch: new → dispatched into the queue of the ticket's tier, by the
	// tier head or by the engine, which opens every ticket as new and
	// dispatches it at once to the tier the rules route it to.
	ActionDispatch: {From: []gridwarn.Status{gridwarn.StatusNew}, Outcome: Outcome{To: gridwarn.StatusDispatched}, Who: TierHeadAtTier | System},
	// accept: dispatched → accepted, by the claimer (claim, or be assigned,
	// first).
	ActionAccept: {From: []gridwarn.Status{gridwarn.StatusDispatched}, Outcome: Outcome{To: gridwarn.StatusAccepted}, Who: Claimer},
	// start: accepted → in_progress, by the claimer.
	ActionStart: {From: []gridwarn.Status{gridwarn.StatusAccepted}, Outcome: Outcome{To: gridwarn.StatusInProgress}, Who: Claimer},
	// reply: in_progress → replied with the outcome, by the claimer; also
	// referred → replied when the outside body has settled it.
	ActionReply: {From: []gridwarn.Status{gridwarn.StatusInProgress, gridwarn.StatusReferred}, Outcome: Outcome{To: gridwarn.StatusReplied}, Who: Claimer,
		Needs: []string{"outcome"}},
	// review: the tier head approves (replied → reviewed) or sends the
	// reply back to be redone (replied → in_progress, lease kept). Never
	// by the person who replied (separation of duties, unless
	// queue.allow_self_review): a reply is checked by a second person.
	ActionReview: {From: []gridwarn.Status{gridwarn.StatusReplied}, Outcome: Outcome{To: gridwarn.StatusReviewed}, If: "approved",
		No: Outcome{To: gridwarn.StatusInProgress}, Who: TierHeadAtTier, Needs: []string{"approved"}, NotByReplier: true},
	// callback: a mediator at the tier records the reporter's call-back.
	// Satisfied → reviewed stays reviewed, and close becomes possible;
	// unhappy → reopened: dispatched again at the same tier, lease released.
	ActionCallback: {From: []gridwarn.Status{gridwarn.StatusReviewed}, If: "satisfied",
		No:  Outcome{To: gridwarn.StatusDispatched, Reopen: true, Lease: LeaseRelease},
		Who: MediatorAtTier, Needs: []string{"satisfied"}},
	// close: reviewed → closed once a call-back is recorded, by a mediator
	// at the tier or the tier head; the lease is released.
	ActionClose: {From: []gridwarn.Status{gridwarn.StatusReviewed}, Outcome: Outcome{To: gridwarn.StatusClosed, Lease: LeaseRelease},
		Who: MediatorAtTier | TierHeadAtTier, Callback: true},
	// return: not this tier's duty — dispatched/accepted → dispatched at the
	// tier that dispatched it (one up if the engine routed it), with a
	// reason, by the claimer or the tier head; lease released.
	ActionReturn: {From: []gridwarn.Status{gridwarn.StatusDispatched, gridwarn.StatusAccepted},
		Outcome: Outcome{To: gridwarn.StatusDispatched, Tier: TierBack, Lease: LeaseRelease},
		Who:     Claimer | TierHeadAtTier, Needs: []string{"reason"}},
	// escalate: any open state but referred → dispatched one tier up, by the
	// tier head or the system; lease released. 409 at the county. The
	// sweeper escalates when a tier's time limit passes; the engine when a
	// new signal routes the ticket higher than its tier, straight to that
	// tier (Input.ToTier). A referred ticket is with an outside body: it
	// stays at its tier (a breach is recorded and announced, a higher signal
	// raises its level), and the tier head decides.
	ActionEscalate: {From: ladder, Outcome: Outcome{To: gridwarn.StatusDispatched, Tier: TierUp, Lease: LeaseRelease},
		Who: TierHeadAtTier | System, Needs: []string{"reason"}},
	// hand_down: the same, one tier down with instructions, by the tier head
	// only. 409 at the enterprise.
	ActionHandDown: {From: ladder, Outcome: Outcome{To: gridwarn.StatusDispatched, Tier: TierDown, Lease: LeaseRelease},
		Who: TierHeadAtTier, Needs: []string{"instructions"}},
	// extend: a new due time for accepted/in_progress work, by the tier
	// head; state unchanged.
	ActionExtend: {From: []gridwarn.Status{gridwarn.StatusAccepted, gridwarn.StatusInProgress}, Who: TierHeadAtTier,
		Needs: []string{"due_at", "reason"}},
	// reopen: closed → dispatched at the tier that closed it, by the tier
	// head or by the system, for the same case: an unhappy call-back after
	// closing, or a payment the ticket's agreement promised that did not
	// come. A new signal after closing is not a reopening: the engine opens
	// a new ticket with relapse_of set (DOMAIN.md, DECISIONS D6).
	ActionReopen: {From: []gridwarn.Status{gridwarn.StatusClosed}, Outcome: Outcome{To: gridwarn.StatusDispatched, Reopen: true},
		Who: TierHeadAtTier | System, Needs: []string{"reason"}},
	// merge: any open state → merged into another ticket, by the tier head;
	// lease released. Terminal.
	ActionMerge: {From: open, Outcome: Outcome{To: gridwarn.StatusMerged, Lease: LeaseRelease}, Who: TierHeadAtTier,
		Needs: []string{"into"}},
	// refer: in_progress/replied → referred to arbitration, court, labor
	// inspection or legal aid, with the receiving body and its reference
	// number, by the claimer or the tier head; the lease is kept for the
	// follow-up. The tier's clocks stop; the body's own clocks start.
	ActionRefer: {From: []gridwarn.Status{gridwarn.StatusInProgress, gridwarn.StatusReplied}, Outcome: Outcome{To: gridwarn.StatusReferred},
		Who: Claimer | TierHeadAtTier, Needs: []string{"body", "reference"}},
	// note: any open state, and closed (a remark after the fact), by a
	// mediator at the tier or the tier head (a leader's instruction);
	// state unchanged. Not on merged: notes go to the surviving ticket.
	ActionNote: {From: append(slices.Clone(open), gridwarn.StatusClosed), Who: MediatorAtTier | TierHeadAtTier,
		Needs: []string{"note"}},
	// contact: a contact log entry in any open state, by a mediator at the
	// tier; state unchanged.
	ActionContact: {From: open, Who: MediatorAtTier, Needs: []string{"contact"}},
	// follow_up: a payment follow-up on a referred or closed ticket, by a
	// mediator at the tier. Paid → unchanged; unpaid → reopened: dispatched
	// at the same tier (the one that closed or referred it), lease released.
	ActionFollowUp: {From: []gridwarn.Status{gridwarn.StatusReferred, gridwarn.StatusClosed}, If: "paid",
		No:  Outcome{To: gridwarn.StatusDispatched, Reopen: true, Lease: LeaseRelease},
		Who: MediatorAtTier, Needs: []string{"paid"}},
	// body_update: the body the ticket is referred to reports (accepted,
	// hearing scheduled, mediated agreement, award, judgement, withdrawn,
	// extended); state unchanged — the mediator replies once the outcome
	// is known. Its clocks stop as their step is done; money owed under an
	// award starts a payment follow-up.
	ActionBodyUpdate: {From: []gridwarn.Status{gridwarn.StatusReferred}, Who: Receiver},
	// hand_off: the claimer or the tier head hands the ticket over to
	// another county's union, or shares it (gridwarn.HandoffReasons);
	// state unchanged — the ticket waits for the other county's answer,
	// its clocks paused or running as the reason says.
	// A linked case is not handed on (409).
	ActionHandOff: {From: []gridwarn.Status{gridwarn.StatusDispatched, gridwarn.StatusAccepted, gridwarn.StatusInProgress},
		Who: Claimer | TierHeadAtTier, NotLinkedCase: true},
	// handoff_accept: a mediator of the receiving county accepts the
	// linked case (dispatched → accepted) and takes its lease.
	ActionHandoffAccept: {From: []gridwarn.Status{gridwarn.StatusDispatched}, Outcome: Outcome{To: gridwarn.StatusAccepted, Lease: LeaseTake},
		Who: MediatorAtTier, LeaseFree: true, Linked: true},
	// handoff_decline: a mediator or the tier head of the receiving county
	// declines it with a reason; the linked case ends (closed).
	ActionHandoffDecline: {From: []gridwarn.Status{gridwarn.StatusDispatched}, Outcome: Outcome{To: gridwarn.StatusClosed, Lease: LeaseRelease},
		Who: MediatorAtTier | TierHeadAtTier, Needs: []string{"reason"}, Linked: true},
	// handoff_reply: the other county's answer (accepted, declined) or
	// its outcome comes back to the sender's ticket; state unchanged,
	// paused clocks resume on a decline or an outcome. The sender may
	// have closed meanwhile: the line is recorded all the same.
	ActionHandoffReply: {From: append(slices.Clone(open), gridwarn.StatusClosed), Who: System},
}
