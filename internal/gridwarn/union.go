package gridwarn

import (
	"context"
	"fmt"
	"time"
)

// The unionization drive (seed 001, 列清单): the enterprises that should
// have a union and do not are handed to their towns as a task list.

// UnionStatus is what the registry knows of an enterprise's union, from the
// social-insurance and census lists a town loads each month. HasUnion and
// HasMediationCommittee are the enterprise's own columns; every change is
// kept (enterprise_union_history), so "newly unionized this month" is a
// query.
type UnionStatus struct {
	HasUnion              bool   `json:"has_union"`
	UnionSince            string `json:"union_since,omitempty"` // YYYY-MM-DD
	UnionMembers          int    `json:"union_members"`
	JointUnion            string `json:"joint_union"` // the joint union (联合工会) it belongs to, if any
	HasMediationCommittee bool   `json:"has_mediation_committee"`
	// OpenedOn is the day the enterprise began operating (the list counts
	// a year in operation); empty when unknown.
	OpenedOn string `json:"opened_on,omitempty"`
}

// MaxJointUnionName is the longest joint union name, in characters.
const MaxJointUnionName = 200

// Validate checks a union status against today (a day of the county's
// calendar).
func (u UnionStatus) Validate(today time.Time) error {
	var fs []FieldError
	refuse := func(field, rule, msg string) { fs = append(fs, FieldError{Field: field, Rule: rule, Message: msg}) }
	for _, d := range []struct{ field, value string }{{"union_since", u.UnionSince}, {"opened_on", u.OpenedOn}} {
		if d.value == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, d.value)
		switch {
		case err != nil:
			refuse(d.field, "date", "must be a day such as 2019-05-01")
		case day.After(today):
			refuse(d.field, "not_future", "must not be after today")
		}
	}
	if !u.HasUnion {
		if u.UnionSince != "" {
			refuse("union_since", "needs_union", "is only for an enterprise with its own union")
		}
		if u.UnionMembers != 0 {
			refuse("union_members", "needs_union", "is only for an enterprise with its own union")
		}
	} else if u.UnionMembers < 0 || u.UnionMembers > 1_000_000 {
		refuse("union_members", "range", "must be from 0 to 1000000")
	}
	if u.HasUnion && u.JointUnion != "" {
		refuse("joint_union", "own_union", "must be empty for an enterprise with its own union")
	} else if f := CheckText("joint_union", u.JointUnion, MaxJointUnionName); f != nil {
		fs = append(fs, *f)
	}
	if len(fs) > 0 {
		return Invalid("invalid union status", fs...)
	}
	return nil
}

// UnionizationReason says why an enterprise is on the list.
type UnionizationReason string

const (
	// ReasonNoUnion: 25 or more workers, a year or more in operation, no
	// union of its own nor membership of a joint union.
	ReasonNoUnion UnionizationReason = "no_union"
	// ReasonJointMember: a member of a joint union that now has 25 or more
	// workers and may form its own.
	ReasonJointMember UnionizationReason = "joint_member_25"
)

// Thresholds of the list.
const (
	UnionizationHeadcount = 25
	UnionizationDays      = 365
	HundredPlusHeadcount  = 100
)

// UnionizationReasonOf is why e belongs on the list on day today, "" when
// it does not. An enterprise whose opening day is unknown is not listed
// for want of a union (the list says how many there are).
func UnionizationReasonOf(e Enterprise, today time.Time) UnionizationReason {
	if e.HasUnion || e.Headcount < UnionizationHeadcount {
		return ""
	}
	if e.JointUnion != "" {
		return ReasonJointMember
	}
	opened, err := time.Parse(time.DateOnly, e.OpenedOn)
	if err != nil || today.Sub(opened) < UnionizationDays*24*time.Hour {
		return ""
	}
	return ReasonNoUnion
}

// HundredPlus marks the enterprises of the "百人以上" drive (D12): a
// hundred workers or more.
func HundredPlus(e Enterprise) bool { return e.Headcount >= HundredPlusHeadcount }

// UnionizationItem is one enterprise on the list.
type UnionizationItem struct {
	CreditCode  string             `json:"credit_code"`
	Name        string             `json:"name"`
	TownCode    string             `json:"town_code"`
	GridCode    string             `json:"grid_code"`
	Headcount   int                `json:"headcount"`
	OpenedOn    string             `json:"opened_on,omitempty"`
	JointUnion  string             `json:"joint_union,omitempty"`
	Reason      UnionizationReason `json:"reason"`
	HundredPlus bool               `json:"hundred_plus"`
}

// UnionizationList is a unit's list on a day, with the enterprises of 25
// or more workers without a union whose opening day is unknown (to be
// found out), and those unionized this month so far.
type UnionizationList struct {
	Unit           string             `json:"unit"`
	Day            string             `json:"day"`
	Items          []UnionizationItem `json:"items"`
	OpeningUnknown int                `json:"opening_unknown"`
	NewlyUnionized []string           `json:"newly_unionized"` // credit codes, this month
}

// UnionService keeps union status and draws the list.
type UnionService interface {
	PutUnionStatus(ctx context.Context, v Visibility, creditCode string, u UnionStatus) (*Enterprise, error)
	Unionization(ctx context.Context, v Visibility, unit string) (*UnionizationList, error)
	// ImportUnionStatus sets the union status of registered enterprises
	// inside v, all rows or none; a dry run reports and rolls back. asOf
	// is the day of the list the rows come from ("": today): the history
	// keeps the changes at that day, and a list older than what is
	// already loaded for one of its enterprises is refused (ECONFLICT).
	ImportUnionStatus(ctx context.Context, v Visibility, rows []UnionRow, asOf string, dryRun bool) (ImportResult, error)
}

// MaxAsOfYears is how far back the day of an imported list may lie.
const MaxAsOfYears = 5

// ParseAsOf reads the day of an imported list ("as of", YYYY-MM-DD) on
// the county's calendar: "" is today; a day after today or more than
// MaxAsOfYears back is refused. It returns the day as a date (UTC
// midnight, like DayOf).
func ParseAsOf(s string, today time.Time) (time.Time, error) {
	if s == "" {
		return today, nil
	}
	day, err := time.Parse(time.DateOnly, s)
	switch {
	case err != nil:
		return today, Invalid("invalid as_of", FieldError{Field: "as_of", Rule: "date", Message: "must be a day such as 2026-09-30"})
	case day.After(today):
		return today, Invalid("invalid as_of", FieldError{Field: "as_of", Rule: "not_future", Message: "must not be after today"})
	case day.Before(today.AddDate(-MaxAsOfYears, 0, 0)):
		return today, Invalid("invalid as_of", FieldError{Field: "as_of", Rule: "range",
			Message: fmt.Sprintf("must be within the last %d years", MaxAsOfYears)})
	}
	return day, nil
}

// DayOf is the day of t on loc's calendar, as a date (UTC midnight).
func DayOf(t time.Time, loc *time.Location) time.Time {
	d := t.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// UnionRow is one enterprise's line of a union status import (the monthly
// social-insurance list): its whole union status and, when the file gives
// it, its headcount.
type UnionRow struct {
	CreditCode string
	UnionStatus
	Headcount *int
}

// The monthly circular (一月一通报) of the unionization drive: per town,
// the list at the month's end, what entered it and what left it for a
// union of its own, the year's progress on the list the year began with,
// and the enterprises listed longest.

// CircularItem is an enterprise on the list at a month's end.
type CircularItem struct {
	UnionizationItem
	// ListedSince is the first month of its unbroken time on the list
	// (as far as the stored circulars reach; for one that entered it
	// within a quarter, the quarter's first month).
	ListedSince string `json:"listed_since"`
}

// CircularTown is one town's line (or the unit's totals).
type CircularTown struct {
	UnitCode       string `json:"unit_code"`
	UnitName       string `json:"unit_name"`
	Listed         int    `json:"listed"`
	NewlyListed    int    `json:"newly_listed"`
	NewlyUnionized int    `json:"newly_unionized"`
	// YearList is the list the year began with; YearDone how many of
	// them have a union of their own now; Progress the share (null for an
	// empty list) against Target.
	YearList int      `json:"year_list"`
	YearDone int      `json:"year_done"`
	Progress *float64 `json:"progress"`
	Target   float64  `json:"target"`
	// Longest are the enterprises listed longest (at most 5).
	Longest []CircularItem `json:"longest"`
}

// UnionCircular is a unit's circular of a month, or its summary of a
// quarter: the same figures over the quarter.
type UnionCircular struct {
	UnitCode string         `json:"unit_code"`
	UnitName string         `json:"unit_name"`
	Period   string         `json:"period"` // a month (2026-11) or a quarter (2026-Q4)
	Revision int            `json:"revision"`
	BuiltAt  time.Time      `json:"built_at"`
	Totals   CircularTown   `json:"totals"`
	Towns    []CircularTown `json:"towns"`
	// Items is the whole list at the month's end.
	Items []CircularItem `json:"items"`
}

// CircularLongest is how many longest-listed enterprises a line names.
const CircularLongest = 5

// CircularService reads the stored circulars.
type CircularService interface {
	UnionCirculars(ctx context.Context, v Visibility, limit int) ([]ReportInfo, error)
	UnionCircular(ctx context.Context, v Visibility, unit, period string) (*UnionCircular, error)
}
