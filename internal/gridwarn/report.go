package gridwarn

import (
	"context"
	"time"
)

// PeriodReport is a unit's monthly push (每月一推送) or quarterly analysis
// (每季度一研判), seed 002: the weekly summary's figures over a month or a
// quarter, against the period before and the same period a year before,
// with what rose, what stayed red, the visits' coverage and the
// unionization drive's progress.
type PeriodReport struct {
	Kind     PeriodKind `json:"kind"` // month or quarter
	Period   string     `json:"period"`
	UnitCode string     `json:"unit_code"`
	UnitName string     `json:"unit_name"`
	Revision int        `json:"revision"`
	BuiltAt  time.Time  `json:"built_at"`

	// Summary is the period's summary; its trend runs over the last
	// eight periods of the kind (labels such as 2026-11 or 2026-Q4), its
	// Previous headline is the period before's.
	Summary *WeeklySummary `json:"summary"`
	// YearAgo is the headline of the same period a year before.
	YearAgo Headline `json:"year_ago"`
	// Rising are the categories and towns with more events than in the
	// period before, the largest rise first.
	RisingCategories []Change `json:"rising_categories"`
	RisingTowns      []Change `json:"rising_towns"`
	// StayedRed are the enterprises with a red ticket in this period and in
	// the period before.
	StayedRed []StayedRed `json:"stayed_red"`
	// Coverage is the visits' coverage of the period.
	Coverage Coverage `json:"coverage"`
	// Unionization is the unionization drive's figures of the period (the
	// circular's totals), absent when no circular of the period is stored.
	Unionization *CircularTown `json:"unionization,omitempty"`
}

// Change is a count in this period against the period before.
type Change struct {
	Key    string `json:"key"` // a category or a town code
	Name   string `json:"name,omitempty"`
	Now    int    `json:"now"`
	Before int    `json:"before"`
}

// StayedRed is an enterprise red in two periods running.
type StayedRed struct {
	Enterprise string  `json:"enterprise"`
	Name       string  `json:"name"`
	TicketIDs  []int64 `json:"ticket_ids"`
}

// ReportInfo names a stored report.
type ReportInfo struct {
	UnitCode string    `json:"unit_code"`
	Period   string    `json:"period"`
	Revision int       `json:"revision"`
	BuiltAt  time.Time `json:"built_at"`
}

// PeriodReportService reads the stored monthly and quarterly reports.
type PeriodReportService interface {
	PeriodReports(ctx context.Context, v Visibility, kind PeriodKind, limit int) ([]ReportInfo, error)
	PeriodReport(ctx context.Context, v Visibility, unit, period string) (*PeriodReport, error)
}

// StayedRedOf lists the enterprises red in both periods, in the order of the
// current period's red tickets, each with its current red tickets.
func StayedRedOf(before, now []RedTicket) []StayedRed {
	redBefore := map[string]bool{}
	for _, t := range before {
		redBefore[t.Enterprise] = true
	}
	out := []StayedRed{}
	at := map[string]int{} // index into out: out grows, so no pointers into it
	for _, t := range now {
		if !redBefore[t.Enterprise] {
			continue
		}
		i, ok := at[t.Enterprise]
		if !ok {
			i = len(out)
			at[t.Enterprise] = i
			out = append(out, StayedRed{Enterprise: t.Enterprise, Name: t.Name})
		}
		out[i].TicketIDs = append(out[i].TicketIDs, t.TicketID)
	}
	return out
}
