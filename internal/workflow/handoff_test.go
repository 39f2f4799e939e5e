package workflow

import (
	"errors"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The hand-off's steps: only a linked case still waiting is accepted or
// declined, a linked case is never handed on, and only the system records
// an answer on the sender's ticket.
func TestHandoffRules(t *testing.T) {
	med := Actor{Role: gridwarn.RoleMediator, AtTicketTier: true}
	head := Actor{Role: gridwarn.RoleMediator, AtTicketTier: true, TierHead: true}
	county := Input{Tier: gridwarn.TierCounty}
	waiting := Input{Tier: gridwarn.TierCounty, Linked: true, LinkedCase: true}
	answered := Input{Tier: gridwarn.TierCounty, LinkedCase: true}
	for _, c := range []struct {
		name  string
		s     gridwarn.Status
		a     Action
		who   Actor
		in    Input
		to    gridwarn.Status
		wantE error
	}{
		{"accept a waiting linked case", gridwarn.StatusDispatched, ActionHandoffAccept, med, waiting, gridwarn.StatusAccepted, nil},
		{"accept an ordinary ticket", gridwarn.StatusDispatched, ActionHandoffAccept, med, county, "", &IllegalError{}},
		{"accept an answered linked case", gridwarn.StatusDispatched, ActionHandoffAccept, med, answered, "", &IllegalError{}},
		{"decline a waiting linked case", gridwarn.StatusDispatched, ActionHandoffDecline, head, waiting, gridwarn.StatusClosed, nil},
		{"hand off an ordinary ticket", gridwarn.StatusInProgress, ActionHandOff, head, county, gridwarn.StatusInProgress, nil},
		{"hand off a linked case", gridwarn.StatusInProgress, ActionHandOff, head, answered, "", &IllegalError{}},
		{"a mediator records an answer", gridwarn.StatusInProgress, ActionHandoffReply, head, county, "", &ForbiddenError{}},
		{"the system records an answer on a closed ticket", gridwarn.StatusClosed, ActionHandoffReply, Actor{System: true}, county, gridwarn.StatusClosed, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := Decide(c.s, c.a, c.who, c.in)
			switch want := c.wantE.(type) {
			case nil:
				if err != nil || tr.To != c.to {
					t.Fatalf("Decide = %+v, %v; want → %s", tr, err, c.to)
				}
			case *IllegalError:
				if !errors.As(err, &want) {
					t.Fatalf("Decide = %v, want a conflict", err)
				}
			case *ForbiddenError:
				if !errors.As(err, &want) {
					t.Fatalf("Decide = %v, want forbidden", err)
				}
			}
		})
	}
}
