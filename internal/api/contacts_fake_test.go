package api

import (
	"context"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakeContacts answers the port's tests (parsing, statuses, authz); what
// an assignment is and who sees it is tested against PostgreSQL
// (internal/postgres, internal/app).
type fakeContacts struct{}

func fakeContact(p *gridwarn.Principal, id int64) *gridwarn.ContactAssignment {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &gridwarn.ContactAssignment{ID: id, Person: "med1", Enterprise: testEnterprise, Workers: []gridwarn.ContactWorker{},
		PersonName: "调解员", PersonRole: gridwarn.RoleMediator, EnterpriseName: "测试企业", TownCode: testTownA, GridCode: testGridA,
		AssignedBy: p.Username, AssignedAt: at,
		History: []gridwarn.ContactChange{{At: at, By: p.Username, Action: gridwarn.ContactAssigned, Workers: []gridwarn.ContactWorker{}}}}
}

func (fakeContacts) AssignContact(_ context.Context, p *gridwarn.Principal, c gridwarn.ContactAssignment) (*gridwarn.ContactAssignment, error) {
	out := fakeContact(p, 1)
	out.Person, out.Enterprise = c.Person, c.Enterprise
	if c.Workers != nil {
		out.Workers = c.Workers
	}
	return out, nil
}

func (fakeContacts) ChangeContactWorkers(_ context.Context, p *gridwarn.Principal, id int64, ws []gridwarn.ContactWorker) (*gridwarn.ContactAssignment, error) {
	out := fakeContact(p, id)
	if ws != nil {
		out.Workers = ws
	}
	return out, nil
}

func (fakeContacts) EndContact(_ context.Context, p *gridwarn.Principal, id int64, reason string) (*gridwarn.ContactAssignment, error) {
	out := fakeContact(p, id)
	at := out.AssignedAt.Add(time.Hour)
	out.EndedAt, out.EndedBy, out.EndReason = &at, p.Username, reason
	return out, nil
}

func (fakeContacts) Contacts(context.Context, *gridwarn.Principal, gridwarn.ContactFilter) ([]gridwarn.ContactAssignment, error) {
	return nil, nil
}

func (fakeContacts) Contact(_ context.Context, p *gridwarn.Principal, id int64) (*gridwarn.ContactAssignment, error) {
	return fakeContact(p, id), nil
}

func (fakeContacts) ImportContacts(_ context.Context, _ string, _ gridwarn.Visibility, rows []gridwarn.ContactRow, dry bool) (gridwarn.ImportResult, error) {
	return gridwarn.ImportResult{Rows: len(rows), Created: len(rows), DryRun: dry}, nil
}
