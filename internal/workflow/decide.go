package workflow

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Input is what Decide needs to know about the ticket and the body beyond
// its state.
type Input struct {
	// Tier is the ticket's current tier; escalate, hand_down and return
	// need it to find where the ticket goes.
	Tier gridwarn.Tier
	// DispatchedBy is the tier that sent the ticket to its current tier
	// (by escalate, hand_down or return); "" when the engine routed it
	// there. Return sends the ticket back to it.
	DispatchedBy gridwarn.Tier
	// ToTier is where a System escalation goes when it is not one rung up:
	// the tier the rules route a new signal to (above Tier). "" for one
	// rung; ignored for every other actor and action.
	ToTier gridwarn.Tier
	// Leased: someone (the actor or not) holds a live lease.
	Leased bool
	// AllowSelfReview lifts the separation of duties (Rule.NotByReplier):
	// config queue.allow_self_review, false by default.
	AllowSelfReview bool
	// CallbackRecorded: a call-back has been recorded since the ticket
	// was last reviewed. The service may also set it when no call-back is
	// possible (no human reporter to call); close needs it.
	CallbackRecorded bool
	// Linked: the ticket is a hand-off's linked case still waiting for the
	// receiving county's answer (Rule.Linked).
	Linked bool
	// LinkedCase: the ticket is a hand-off's linked case, answered or not
	// (Rule.NotLinkedCase).
	LinkedCase bool

	// The yes/no answers of the body that pick a branch (Rule.If).
	Approved  *bool // review
	Satisfied *bool // callback
	Paid      *bool // follow_up
}

// answer returns the body's answer to the field a rule branches on.
func (in Input) answer(field string) *bool {
	switch field {
	case "approved":
		return in.Approved
	case "satisfied":
		return in.Satisfied
	case "paid":
		return in.Paid
	}
	return nil
}

// Transition is what an accepted action does to the ticket.
type Transition struct {
	Action Action
	From   gridwarn.Status
	To     gridwarn.Status // the next state; equal to From when the state does not change
	// Reopen: a new round of work at the ticket's tier; its clocks start
	// again.
	Reopen bool
	// Tier is the ticket's new tier when the action moves it on the
	// ladder, "" when it stays.
	Tier  gridwarn.Tier
	Lease LeaseEffect
	// Bump is always true for an accepted action: every accepted action
	// changes the ticket (a history line at least) and bumps its version
	// by one.
	Bump bool
}

// Decide says whether who may take action a on a ticket in state s, and
// what follows. See the package documentation for the order of the checks
// and the errors.
func Decide(s gridwarn.Status, a Action, who Actor, in Input) (Transition, error) {
	r, ok := Table[a]
	if !ok {
		return Transition{}, fmt.Errorf("workflow: unknown action %q", a)
	}
	if !s.Valid() {
		return Transition{}, fmt.Errorf("workflow: unknown state %q", s)
	}
	if !slices.Contains(r.From, s) {
		return Transition{}, &IllegalError{State: s, Action: a, Allowed: Allowed(s, who, in)}
	}
	tier, reason := preconditions(r, a, who, in)
	if reason != "" {
		return Transition{}, &IllegalError{State: s, Action: a, Reason: reason, Allowed: Allowed(s, who, in)}
	}
	if !r.Who.Permits(who) {
		return Transition{}, &ForbiddenError{State: s, Action: a, Who: r.Who, Allowed: Allowed(s, who, in)}
	}
	if reason := separation(r, who, in); reason != "" {
		return Transition{}, &ForbiddenError{State: s, Action: a, Who: r.Who, Reason: reason, Allowed: Allowed(s, who, in)}
	}
	out := r.Outcome
	if r.If != "" {
		yes := in.answer(r.If)
		if yes == nil {
			return Transition{}, &MissingError{Action: a, Fields: []string{r.If}}
		}
		if !*yes {
			out = r.No
		}
	}
	t := Transition{Action: a, From: s, To: out.To, Reopen: out.Reopen, Lease: out.Lease, Bump: true}
	if t.To == "" {
		t.To = s
	}
	if out.Tier != TierStay {
		t.Tier = tier
	}
	return t, nil
}

// preconditions checks what a rule needs of the ticket beyond its state.
// It returns the target tier of the rule's move (when it has one) or why
// the ticket does not admit the action now.
func preconditions(r Rule, a Action, who Actor, in Input) (gridwarn.Tier, string) {
	if r.LeaseFree && in.Leased && !who.Claimer {
		return "", "the ticket is claimed by someone else"
	}
	if r.Callback && !in.CallbackRecorded {
		return "", "no call-back has been recorded"
	}
	if r.Linked && !in.Linked {
		return "", "the ticket is not a hand-off waiting for an answer"
	}
	if r.NotLinkedCase && in.LinkedCase {
		return "", "the ticket is another county's hand-off: it is answered and worked, not handed on"
	}
	if r.Tier == TierStay {
		return "", ""
	}
	if !in.Tier.Valid() {
		return "", "the ticket's tier is unknown"
	}
	var to gridwarn.Tier
	switch r.Tier {
	case TierUp:
		to = step(in.Tier, +1)
		if who.System && a == ActionEscalate && in.ToTier != "" {
			to = in.ToTier
			if to.Rank() <= in.Tier.Rank() {
				return "", fmt.Sprintf("%s is not above %s", in.ToTier, in.Tier)
			}
		}
	case TierDown:
		to = step(in.Tier, -1)
	case TierBack:
		to = in.DispatchedBy
		if !to.Valid() || to == in.Tier {
			to = step(in.Tier, +1)
		}
	}
	if to == "" {
		switch r.Tier {
		case TierDown:
			return "", fmt.Sprintf("there is no tier below %s", in.Tier)
		case TierBack:
			return "", fmt.Sprintf("there is no tier to return a %s-tier ticket to", in.Tier)
		default:
			return "", fmt.Sprintf("there is no tier above %s", in.Tier)
		}
	}
	return to, ""
}

// separation says why who may not take r's action although their role
// may: the separation of duties (Rule.NotByReplier); "" when nothing
// stands in the way.
func separation(r Rule, who Actor, in Input) string {
	if r.NotByReplier && who.Replier && !who.System && !in.AllowSelfReview {
		return "the person who replied may not review their own reply; another tier head reviews it"
	}
	return ""
}

// step returns the tier n rungs from t, "" off the ladder.
func step(t gridwarn.Tier, n int) gridwarn.Tier {
	i := t.Rank() - 1 + n
	if t.Rank() == 0 || i < 0 || i >= len(gridwarn.Tiers) {
		return ""
	}
	return gridwarn.Tiers[i]
}

// sortedActions are the table's actions in alphabetical order.
var sortedActions = slices.Sorted(maps.Keys(Table))

// Allowed lists, in alphabetical order, the actions who may take now on a
// ticket in state s: exactly those for which Decide, given the body's
// answers, succeeds. It is never nil.
func Allowed(s gridwarn.Status, who Actor, in Input) []Action {
	out := []Action{}
	for _, a := range sortedActions {
		r := Table[a]
		if !slices.Contains(r.From, s) || !r.Who.Permits(who) || separation(r, who, in) != "" {
			continue
		}
		if _, reason := preconditions(r, a, who, in); reason != "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// CheckBody reports the fields of Table[a].Needs that the body lacks as a
// *MissingError; has says whether the body carries a field. It returns nil
// when nothing is missing (or a is unknown: Decide reports that).
func CheckBody(a Action, has func(field string) bool) error {
	var missing []string
	for _, f := range Table[a].Needs {
		if !has(f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return &MissingError{Action: a, Fields: missing}
	}
	return nil
}

// IllegalError says that the ticket, as it is now, does not admit the
// action — for anyone. The API answers 409 and lists Allowed.
type IllegalError struct {
	State  gridwarn.Status
	Action Action
	// Reason is why the state's rule does not apply now (the lease is
	// someone else's, no call-back, no tier to move to); "" when the state
	// does not admit the action at all.
	Reason string
	// Allowed are the actions the same actor may take now.
	Allowed []Action
}

func (e *IllegalError) Error() string {
	var b strings.Builder
	if e.Reason == "" {
		fmt.Fprintf(&b, "cannot %s a ticket that is %s", e.Action, e.State)
	} else {
		fmt.Fprintf(&b, "cannot %s this ticket: %s", e.Action, e.Reason)
	}
	b.WriteString(allowedNow(e.Allowed))
	return b.String()
}

// Unwrap gives the API its code: conflict (409).
func (e *IllegalError) Unwrap() error {
	allowed := make([]string, len(e.Allowed))
	for i, a := range e.Allowed {
		allowed[i] = string(a)
	}
	return &gridwarn.Error{Code: gridwarn.ECONFLICT, Message: e.Error(), Allowed: allowed}
}

// ForbiddenError says that the ticket admits the action now, but not from
// this actor. The API answers 403.
type ForbiddenError struct {
	State  gridwarn.Status
	Action Action
	// Who may take the action.
	Who Who
	// Reason, when set, is why this actor may not although their kind
	// may (the separation of duties).
	Reason string
	// Allowed are the actions this actor may take now.
	Allowed []Action
}

func (e *ForbiddenError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("cannot %s this ticket: %s%s", e.Action, e.Reason, allowedNow(e.Allowed))
	}
	return fmt.Sprintf("only %s may %s this ticket%s", e.Who, e.Action, allowedNow(e.Allowed))
}

// Unwrap gives the API its code: forbidden (403).
func (e *ForbiddenError) Unwrap() error {
	return &gridwarn.Error{Code: gridwarn.EFORBIDDEN, Message: e.Error()}
}

// MissingError says that the body lacks fields the action needs. The API
// answers 400.
type MissingError struct {
	Action Action
	Fields []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s needs %s", e.Action, strings.Join(e.Fields, ", "))
}

// Unwrap gives the API its code and fields: invalid (400).
func (e *MissingError) Unwrap() error {
	fields := make([]gridwarn.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		fields[i] = gridwarn.FieldError{Field: f, Rule: "required", Message: "is required"}
	}
	return gridwarn.Invalid(fmt.Sprintf("%s needs more fields", e.Action), fields...)
}

func allowedNow(as []Action) string {
	if len(as) == 0 {
		return " (nothing is allowed now)"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return " (allowed now: " + strings.Join(s, ", ") + ")"
}
