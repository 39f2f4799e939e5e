package api

import (
	"context"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakeVisits answers the port's tests (parsing, statuses, authz); what a
// visit and a coverage are is tested against PostgreSQL (internal/postgres,
// internal/app).
type fakeVisits struct{}

func (fakeVisits) RecordVisit(_ context.Context, p *gridwarn.Principal, v gridwarn.Visit) (*gridwarn.Visit, bool, error) {
	v.Visitor, v.EnterpriseName, v.TownCode, v.GridCode = p.Username, "测试企业", testTownA, testGridA
	return &v, true, nil
}

func (fakeVisits) Visits(context.Context, gridwarn.Visibility, gridwarn.VisitFilter) ([]gridwarn.Visit, error) {
	return nil, nil
}

func (fakeVisits) Coverage(_ context.Context, _ gridwarn.Visibility, unit string, p gridwarn.Period, t gridwarn.CoverageTarget) (*gridwarn.CoverageReport, error) {
	c := gridwarn.CoverageOf(nil, t)
	c.Unit = unit
	return &gridwarn.CoverageReport{Period: p, Coverage: c, Parts: []gridwarn.Coverage{}}, nil
}

func (fakeVisits) PutUnionStatus(_ context.Context, _ gridwarn.Visibility, code string, u gridwarn.UnionStatus) (*gridwarn.Enterprise, error) {
	return &gridwarn.Enterprise{CreditCode: code, Name: "测试企业", Ownership: "private", ComplianceGrade: "B", TownCode: testTownA,
		GridCode: testGridA, HasUnion: u.HasUnion, UnionSince: u.UnionSince, UnionMembers: u.UnionMembers, JointUnion: u.JointUnion,
		HasMediationCommittee: u.HasMediationCommittee, OpenedOn: u.OpenedOn}, nil
}

func (fakeVisits) Unionization(_ context.Context, _ gridwarn.Visibility, unit string) (*gridwarn.UnionizationList, error) {
	return &gridwarn.UnionizationList{Unit: unit, Day: "2026-12-05", Items: []gridwarn.UnionizationItem{}, NewlyUnionized: []string{}}, nil
}

func (fakeVisits) OverdueVisits(context.Context, gridwarn.Visibility, string) ([]gridwarn.OverdueVisit, error) {
	return []gridwarn.OverdueVisit{{CreditCode: testEnterprise, Name: "测试企业", TownCode: testTownA, GridCode: testGridA, Key: true}}, nil
}

func (fakeVisits) ImportUnionStatus(_ context.Context, _ gridwarn.Visibility, rows []gridwarn.UnionRow, _ string, dry bool) (gridwarn.ImportResult, error) {
	return gridwarn.ImportResult{Rows: len(rows), Updated: len(rows), DryRun: dry}, nil
}

func (fakeVisits) PeriodReports(context.Context, gridwarn.Visibility, gridwarn.PeriodKind, int) ([]gridwarn.ReportInfo, error) {
	return nil, nil
}

func (fakeVisits) PeriodReport(_ context.Context, _ gridwarn.Visibility, unit, period string) (*gridwarn.PeriodReport, error) {
	p, _ := gridwarn.ParsePeriod(period)
	return &gridwarn.PeriodReport{Kind: p.Kind, Period: period, UnitCode: unit, UnitName: "射阳县", Revision: 1,
		RisingCategories: []gridwarn.Change{}, RisingTowns: []gridwarn.Change{}, StayedRed: []gridwarn.StayedRed{},
		Coverage: gridwarn.CoverageOf(nil, gridwarn.CoverageTarget{})}, nil
}

func (fakeVisits) UnionCirculars(context.Context, gridwarn.Visibility, int) ([]gridwarn.ReportInfo, error) {
	return nil, nil
}

func (fakeVisits) UnionCircular(_ context.Context, _ gridwarn.Visibility, unit, period string) (*gridwarn.UnionCircular, error) {
	t := gridwarn.CircularTown{UnitCode: unit, UnitName: "射阳县", Target: 1, Longest: []gridwarn.CircularItem{}}
	return &gridwarn.UnionCircular{UnitCode: unit, UnitName: "射阳县", Period: period, Revision: 1, Totals: t,
		Towns: []gridwarn.CircularTown{}, Items: []gridwarn.CircularItem{}}, nil
}
