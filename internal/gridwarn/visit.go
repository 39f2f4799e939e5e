package gridwarn

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A visit is a union worker at an enterprise: a grid worker walking their
// grid, a cadre at the enterprise they are linked to ("1+x", seed 004). It
// is where a risk is found first, so a report may be filed from it.

// VisitKind says what kind of visit it was.
type VisitKind string

const (
	VisitPatrol         VisitKind = "patrol"           // 走访巡查
	VisitInterview      VisitKind = "interview"        // 约谈
	VisitWorkersForum   VisitKind = "workers_forum"    // 职工座谈
	VisitTicketFollowUp VisitKind = "ticket_follow_up" // 工单回访
)

// VisitKinds lists the visit kinds.
var VisitKinds = []VisitKind{VisitPatrol, VisitInterview, VisitWorkersForum, VisitTicketFollowUp}

// Text limits of a visit, in characters.
const (
	MaxVisitPeopleMet = 500
	MaxVisitFindings  = 4000
)

var visitIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// Visit is one visit to an enterprise. Its id is minted by the form when
// it opens (like a report's), so a form re-sent until confirmed stores one
// visit.
type Visit struct {
	ID         string `json:"id"`
	Enterprise string `json:"enterprise"` // credit code
	// VisitedOn is the day of the visit on the county's calendar
	// (YYYY-MM-DD).
	VisitedOn string    `json:"visited_on"`
	Kind      VisitKind `json:"kind"`
	PeopleMet string    `json:"people_met"`
	Findings  string    `json:"findings"`
	// TicketID is the ticket a follow-up visit follows up.
	TicketID *int64 `json:"ticket_id,omitempty"`
	// ReportID is the id of the report filed from this visit.
	ReportID string `json:"report_id,omitempty"`

	// Set by the server.
	EnterpriseName string    `json:"enterprise_name"`
	TownCode       string    `json:"town_code"`
	GridCode       string    `json:"grid_code"`
	Visitor        string    `json:"visitor"` // username
	CreatedAt      time.Time `json:"created_at"`
}

// Validate checks what the visitor sets, for every path that records a
// visit; now and loc give the county's today (a visit is not dated after
// it, nor more than a year before it).
func (v Visit) Validate(now time.Time, loc *time.Location) error {
	var fs []FieldError
	refuse := func(field, rule, msg string) { fs = append(fs, FieldError{Field: field, Rule: rule, Message: msg}) }
	switch {
	case v.ID == "":
		refuse("id", "required", "is required (mint it when the form opens and keep it until the server confirms)")
	case !visitIDRE.MatchString(v.ID):
		refuse("id", "pattern", "must be 1–64 characters of A-Z a-z 0-9 . _ : -")
	}
	if strings.TrimSpace(v.Enterprise) == "" {
		refuse("enterprise", "required", "is required")
	}
	if day, err := time.ParseInLocation(time.DateOnly, v.VisitedOn, loc); err != nil {
		refuse("visited_on", "date", "must be a day such as 2026-12-05")
	} else {
		today := now.In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		switch {
		case day.After(today):
			refuse("visited_on", "not_future", "must not be after today")
		case day.Before(today.AddDate(-1, 0, 0)):
			refuse("visited_on", "window", "may be at most a year ago")
		}
	}
	valid := false
	for _, k := range VisitKinds {
		valid = valid || v.Kind == k
	}
	if !valid {
		refuse("kind", "enum", "must be one of patrol, interview, workers_forum, ticket_follow_up")
	}
	switch {
	case v.Kind == VisitTicketFollowUp && v.TicketID == nil:
		refuse("ticket_id", "required", "is required for a ticket's follow-up")
	case v.Kind != VisitTicketFollowUp && v.TicketID != nil:
		refuse("ticket_id", "only_follow_up", "is only for a ticket's follow-up")
	}
	if f := CheckText("people_met", v.PeopleMet, MaxVisitPeopleMet); f != nil {
		fs = append(fs, *f)
	}
	// Findings are a page of notes: line breaks and tabs are welcome, other
	// control characters are not. (Exports defuse formulas in one place.)
	if n := utf8.RuneCountInString(v.Findings); n > MaxVisitFindings {
		refuse("findings", "max_length", fmt.Sprintf("has %d characters, at most %d are allowed", n, MaxVisitFindings))
	} else if strings.IndexFunc(v.Findings, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		refuse("findings", "control", "must not hold control characters other than line breaks and tabs")
	}
	if v.ReportID != "" && !visitIDRE.MatchString(v.ReportID) {
		refuse("report_id", "pattern", "must be 1–64 characters of A-Z a-z 0-9 . _ : -")
	}
	if len(fs) > 0 {
		return Invalid("invalid visit", fs...)
	}
	return nil
}

// PeriodKind is the length of a reporting period.
type PeriodKind string

const (
	PeriodMonth   PeriodKind = "month"
	PeriodQuarter PeriodKind = "quarter"
	PeriodYear    PeriodKind = "year"
)

// Period is a month (2026-11), a quarter (2026-Q4) or a year (2026) of the
// county's calendar: the days From up to, not including, To.
type Period struct {
	Kind PeriodKind `json:"kind"`
	Key  string     `json:"key"`
	From time.Time  `json:"-"`
	To   time.Time  `json:"-"`
}

var (
	rePeriodMonth   = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)
	rePeriodQuarter = regexp.MustCompile(`^([0-9]{4})-[Qq]([1-4])$`)
	rePeriodYear    = regexp.MustCompile(`^([0-9]{4})$`)
)

// ParsePeriod reads a period key: 2026-11, 2026-Q4 or 2026. Its days are
// dates (UTC midnight); compare them with dates, never with instants.
func ParsePeriod(s string) (Period, error) {
	year := func(y string) (int, bool) { n, _ := strconv.Atoi(y); return n, n >= 2000 && n <= 2999 }
	var p Period
	if m := rePeriodMonth.FindStringSubmatch(s); m != nil {
		y, ok := year(m[1])
		mo, _ := strconv.Atoi(m[2])
		if ok && mo >= 1 && mo <= 12 {
			p.Kind, p.From = PeriodMonth, time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
			p.To = p.From.AddDate(0, 1, 0)
		}
	} else if m := rePeriodQuarter.FindStringSubmatch(s); m != nil {
		y, ok := year(m[1])
		q, _ := strconv.Atoi(m[2])
		if ok {
			p.Kind, p.From = PeriodQuarter, time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
			p.To = p.From.AddDate(0, 3, 0)
		}
	} else if m := rePeriodYear.FindStringSubmatch(s); m != nil {
		if y, ok := year(m[1]); ok {
			p.Kind, p.From = PeriodYear, time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
			p.To = p.From.AddDate(1, 0, 0)
		}
	}
	if p.Kind == "" {
		return p, Invalid("invalid period", FieldError{Field: "period", Rule: "period",
			Message: "must be a month (2026-11), a quarter (2026-Q4) or a year (2026)"})
	}
	p.Key = periodKey(p.Kind, p.From)
	return p, nil
}

func periodKey(k PeriodKind, from time.Time) string {
	switch k {
	case PeriodMonth:
		return from.Format("2006-01")
	case PeriodQuarter:
		return fmt.Sprintf("%d-Q%d", from.Year(), (int(from.Month())+2)/3)
	}
	return strconv.Itoa(from.Year())
}

// PeriodOf is the period of kind k that holds the moment at on loc's
// calendar.
func PeriodOf(k PeriodKind, at time.Time, loc *time.Location) Period {
	d := at.In(loc)
	from := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	switch k {
	case PeriodQuarter:
		from = time.Date(d.Year(), time.Month(3*((int(d.Month())-1)/3)+1), 1, 0, 0, 0, 0, time.UTC)
	case PeriodYear:
		from = time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	p, _ := ParsePeriod(periodKey(k, from))
	return p
}

// CoverageTarget is the share of enterprises (and of key enterprises) a
// period's visits should reach; 0 means no target.
type CoverageTarget struct {
	Enterprises    float64 `json:"enterprises"`
	KeyEnterprises float64 `json:"key_enterprises"`
	// Villages is the share of villages (村、社区) to reach, measured only
	// where the registry names villages (D12; seed 004: 90 % a year for
	// the county union's cadres).
	Villages float64 `json:"villages,omitempty"`
}

// CoverageRow is one enterprise of a unit and whether the period saw a
// visit to it.
type CoverageRow struct {
	Enterprise string
	TownCode   string
	GridCode   string
	Key        bool
	Visited    bool
	Village    string // "" where the registry does not say
}

// Coverage is the share of a unit's enterprises visited in a period. A
// share of no enterprises is absent (null), not 0 %; Met is absent when
// there is no target or no share.
type Coverage struct {
	Unit           string         `json:"unit"`
	Enterprises    int            `json:"enterprises"`
	Visited        int            `json:"visited"`
	Share          *float64       `json:"share"`
	Met            *bool          `json:"met"`
	KeyEnterprises int            `json:"key_enterprises"`
	KeyVisited     int            `json:"key_visited"`
	KeyShare       *float64       `json:"key_share"`
	KeyMet         *bool          `json:"key_met"`
	Target         CoverageTarget `json:"target"`
}

// CoverageOf counts rows (one per enterprise) against target t.
func CoverageOf(rows []CoverageRow, t CoverageTarget) Coverage {
	c := Coverage{Target: t}
	for _, r := range rows {
		c.Enterprises++
		if r.Visited {
			c.Visited++
		}
		if r.Key {
			c.KeyEnterprises++
			if r.Visited {
				c.KeyVisited++
			}
		}
	}
	c.Share, c.Met = shareOf(c.Visited, c.Enterprises, t.Enterprises)
	c.KeyShare, c.KeyMet = shareOf(c.KeyVisited, c.KeyEnterprises, t.KeyEnterprises)
	return c
}

func shareOf(n, of int, target float64) (*float64, *bool) {
	if of == 0 {
		return nil, nil
	}
	s := float64(n) / float64(of)
	if target <= 0 {
		return &s, nil
	}
	met := s >= target
	return &s, &met
}

// CoverageReport is a unit's coverage in a period, and that of its parts
// (the towns of a county, the grids of a town or of a grid worker).
type CoverageReport struct {
	Period Period `json:"period"`
	From   string `json:"from"`
	To     string `json:"to"` // the last day of the period
	Coverage
	// Towns and TownsVisited: a county's towns, and those with at least
	// one visit in the period (seed 004: 100 % of towns a year).
	Towns        int        `json:"towns,omitempty"`
	TownsVisited int        `json:"towns_visited,omitempty"`
	Parts        []Coverage `json:"parts"`
	// Villages: the villages the registry names for the unit's
	// enterprises and those reached in the period; absent where the
	// registry names none (D12: the territory has no villages of its own).
	Villages *VillageCoverage `json:"villages,omitempty"`
}

// VillageCoverage is the share of villages reached in a period: a village
// (a town's village of that name) is reached when one of its enterprises
// had a visit, as a town is.
type VillageCoverage struct {
	Villages int           `json:"villages"`
	Reached  int           `json:"reached"`
	Share    *float64      `json:"share"`
	Met      *bool         `json:"met"`
	Target   float64       `json:"target"`
	Parts    []VillagePart `json:"parts"`
}

// VillagePart is one village: its enterprises and those visited.
type VillagePart struct {
	TownCode    string `json:"town_code"`
	Village     string `json:"village"`
	Enterprises int    `json:"enterprises"`
	Visited     int    `json:"visited"`
}

// VillageCoverageOf counts the villages of rows (one per enterprise)
// against target (0: none), by town and village name; nil when no row
// names a village.
func VillageCoverageOf(rows []CoverageRow, target float64) *VillageCoverage {
	type key struct{ town, village string }
	parts := map[key]*VillagePart{}
	var order []key
	for _, r := range rows {
		if r.Village == "" {
			continue
		}
		k := key{r.TownCode, r.Village}
		p := parts[k]
		if p == nil {
			p = &VillagePart{TownCode: r.TownCode, Village: r.Village}
			parts[k] = p
			order = append(order, k)
		}
		p.Enterprises++
		if r.Visited {
			p.Visited++
		}
	}
	if len(order) == 0 {
		return nil
	}
	slices.SortFunc(order, func(a, b key) int {
		if a.town != b.town {
			return strings.Compare(a.town, b.town)
		}
		return strings.Compare(a.village, b.village)
	})
	c := &VillageCoverage{Target: target, Parts: make([]VillagePart, 0, len(order))}
	for _, k := range order {
		p := parts[k]
		c.Villages++
		if p.Visited > 0 {
			c.Reached++
		}
		c.Parts = append(c.Parts, *p)
	}
	c.Share, c.Met = shareOf(c.Reached, c.Villages, target)
	return c
}

// VisitFilter selects visits.
type VisitFilter struct {
	Unit       string // a county, town or grid code; empty: the caller's scope
	Period     Period
	Enterprise string
	Limit      int
}

// VisitService records visits and measures coverage. Every call is limited
// to what the caller's scope sees.
type VisitService interface {
	// RecordVisit stores v by p; the same id again with the same content is
	// the stored visit (created false), with other content a conflict.
	RecordVisit(ctx context.Context, p *Principal, v Visit) (visit *Visit, created bool, err error)
	Visits(ctx context.Context, v Visibility, f VisitFilter) ([]Visit, error)
	Coverage(ctx context.Context, v Visibility, unit string, p Period, t CoverageTarget) (*CoverageReport, error)
	// OverdueVisits lists the enterprises of a unit past due a visit on
	// the county's today: never visited first, then the latest, key
	// enterprises before the rest.
	OverdueVisits(ctx context.Context, v Visibility, unit string) ([]OverdueVisit, error)
}

// How often an enterprise is due a visit: a key enterprise every month,
// the rest every quarter (the grid workers' cadence of issue 16).
const (
	KeyVisitEveryMonths   = 1
	OtherVisitEveryMonths = 3
)

// OverdueVisit is an enterprise whose next visit is past due: its last
// visit plus its cadence lies before today, or it was never visited.
type OverdueVisit struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	TownCode   string `json:"town_code"`
	GridCode   string `json:"grid_code"`
	Key        bool   `json:"key_enterprise"`
	LastVisit  string `json:"last_visit,omitempty"` // absent: never visited
	Due        string `json:"due,omitempty"`
	DaysLate   int    `json:"days_late,omitempty"`
}

// VisitDue is when an enterprise visited last on last (a date; zero:
// never) is due its next visit, and whether it is overdue on today.
func VisitDue(key bool, last, today time.Time) (due time.Time, overdue bool) {
	if last.IsZero() {
		return time.Time{}, true
	}
	months := OtherVisitEveryMonths
	if key {
		months = KeyVisitEveryMonths
	}
	due = last.AddDate(0, months, 0)
	return due, due.Before(today)
}
