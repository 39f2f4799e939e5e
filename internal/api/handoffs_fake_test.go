package api

import (
	"context"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakeHandoffs stands in for the hand-off service: hand-off fakeHandoffID
// of ticket 1 to county 320923; any other id is not found. The scoping is
// tested against PostgreSQL (postgres.TestHandoffInOneDeployment) and
// through the app (the access table, app.TestHandoffBothCounties).
type fakeHandoffs struct{}

const fakeHandoffID = "0b6f6c1e-4a53-4c1b-9a0e-6f1d2b7c8a90"

var fakeHandoffAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func fakeHandoff() *gridwarn.Handoff {
	return &gridwarn.Handoff{ID: fakeHandoffID, TicketID: 1, LinkedTicketID: 9, FromCounty: testCounty, ToCounty: "320923",
		Mode: gridwarn.HandoffHand, Reason: gridwarn.HandoffWorkersHome, WorkersHomeCounty: "320923", PauseClocks: true,
		Enterprise: testEnterprise, Category: "wage_arrears", Level: gridwarn.LevelYellow, SentBy: "med1",
		State: gridwarn.HandoffSent, CreatedAt: fakeHandoffAt, Direction: "out"}
}

func (fakeHandoffs) HandOff(_ context.Context, _ *gridwarn.Principal, _ gridwarn.Visibility, req gridwarn.HandoffRequest) (*gridwarn.Handoff, error) {
	if err := req.Validate(testCounty); err != nil {
		return nil, err
	}
	return fakeHandoff(), nil
}

func (fakeHandoffs) Handoffs(context.Context, *gridwarn.Principal, gridwarn.Visibility, int64) ([]gridwarn.Handoff, error) {
	return []gridwarn.Handoff{*fakeHandoff()}, nil
}

func (fakeHandoffs) Handoff(_ context.Context, _ *gridwarn.Principal, _ gridwarn.Visibility, id string) (*gridwarn.Handoff, error) {
	if id != fakeHandoffID {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "hand-off not found")
	}
	return fakeHandoff(), nil
}

func (fakeHandoffs) AnswerHandoff(_ context.Context, _ *gridwarn.Principal, _ gridwarn.Visibility, a gridwarn.HandoffAnswer) (*gridwarn.Handoff, error) {
	if a.HandoffID != fakeHandoffID {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "hand-off not found")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	h := fakeHandoff()
	h.Direction, h.State, h.AnsweredBy, h.AnsweredAt = "in", gridwarn.HandoffAccepted, "med1", &fakeHandoffAt
	if !a.Accept {
		h.State, h.DeclineReason = gridwarn.HandoffDeclined, a.Reason
	}
	return h, nil
}
