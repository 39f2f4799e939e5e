package rules

import (
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Env is what a rule's expression sees: the fields are named by their expr
// tags (event, enterprise, now, signals, workers, closed_within). The
// history functions are bound to the decision's input; a zero Env only
// serves to type-check expressions.
type Env struct {
	Event      EventEnv      `expr:"event"`
	Enterprise EnterpriseEnv `expr:"enterprise"`
	// Now is DecisionInput.Now, when the decision is made.
	Now time.Time `expr:"now"`
	// Signals counts the earlier signals of category ("" = any) that
	// occurred at or after now − days×24h.
	Signals func(category string, days int) int `expr:"signals"`
	// Workers is the most workers any of those signals involved (0 if none).
	Workers func(category string, days int) int `expr:"workers"`
	// ClosedWithin reports whether a ticket of category ("" = any) was
	// closed at or after now − days×24h: a new signal is then a relapse.
	ClosedWithin func(category string, days int) bool `expr:"closed_within"`
}

// EventEnv is the event as expressions see it. Absent optional numbers are
// 0, absent flags false, absent strings "" and an absent time the zero time.
type EventEnv struct {
	Category        string    `expr:"category"`
	WorkersInvolved int       `expr:"workers_involved"`
	AmountOwedCNY   float64   `expr:"amount_owed_cny"`
	MonthsInArrears float64   `expr:"months_in_arrears"`
	DaysInArrears   float64   `expr:"days_in_arrears"` // MonthsInArrears × 30
	Collective      bool      `expr:"collective"`
	Action          string    `expr:"action"`
	OwnerStatus     string    `expr:"owner_status"` // absconded, unreachable or "" (not said)
	OccurredAt      time.Time `expr:"occurred_at"`
	ReportedAt      time.Time `expr:"reported_at"`
	AgeHours        float64   `expr:"age_hours"` // from OccurredAt to now; 0 if OccurredAt is later
	ReporterKind    string    `expr:"reporter_kind"`
}

// EnterpriseEnv is the enterprise as expressions see it.
type EnterpriseEnv struct {
	Headcount             int     `expr:"headcount"`
	RegisteredCapitalCNY  float64 `expr:"registered_capital_cny"`
	ComplianceGrade       string  `expr:"compliance_grade"`
	KeyEnterprise         bool    `expr:"key_enterprise"`
	HasUnion              bool    `expr:"has_union"`
	HasMediationCommittee bool    `expr:"has_mediation_committee"`
	IndustryCode          string  `expr:"industry_code"`
	Ownership             string  `expr:"ownership"`
}

// daysInMonth converts months in arrears to days (DOMAIN.md: "15 days" is
// half a month).
const daysInMonth = 30

// historyFuncs are the names of Env's history functions.
var historyFuncs = map[string]bool{"signals": true, "workers": true, "closed_within": true}

func eventEnv(e gridwarn.Event, now time.Time) EventEnv {
	v := EventEnv{
		Category:    string(e.Category),
		Action:      string(e.Action),
		OwnerStatus: string(e.OwnerStatus),
		OccurredAt:  e.OccurredAt,
	}
	if e.WorkersInvolved != nil {
		v.WorkersInvolved = *e.WorkersInvolved
	}
	if e.AmountOwedCNY != nil {
		v.AmountOwedCNY = *e.AmountOwedCNY
	}
	if e.MonthsInArrears != nil {
		v.MonthsInArrears = *e.MonthsInArrears
		v.DaysInArrears = *e.MonthsInArrears * daysInMonth
	}
	if e.Collective != nil {
		v.Collective = *e.Collective
	}
	if e.ReportedAt != nil {
		v.ReportedAt = *e.ReportedAt
	}
	if e.Reporter != nil {
		v.ReporterKind = string(e.Reporter.Kind)
	}
	if !e.OccurredAt.IsZero() && now.After(e.OccurredAt) {
		v.AgeHours = now.Sub(e.OccurredAt).Hours()
	}
	return v
}

func enterpriseEnv(e gridwarn.Enterprise) EnterpriseEnv {
	return EnterpriseEnv{
		Headcount:             e.Headcount,
		RegisteredCapitalCNY:  e.RegisteredCapitalCNY,
		ComplianceGrade:       e.ComplianceGrade,
		KeyEnterprise:         e.KeyEnterprise,
		HasUnion:              e.HasUnion,
		HasMediationCommittee: e.HasMediationCommittee,
		IndustryCode:          e.IndustryCode,
		Ownership:             string(e.Ownership),
	}
}

// state is the per-decision scratch space: the environment with its
// history functions bound to the input, and a VM. States are pooled so
// that a decision allocates little; one state serves one decision at a time.
type state struct {
	env     Env
	vm      vm.VM
	hist    gridwarn.History
	eventID string
	now     time.Time
}

func newState() *state {
	s := &state{}
	s.env.Signals = s.signals
	s.env.Workers = s.workers
	s.env.ClosedWithin = s.closedWithin
	return s
}

func (s *state) reset(in *gridwarn.DecisionInput) {
	s.env.Event = eventEnv(in.Event, in.Now)
	s.env.Enterprise = enterpriseEnv(in.Enterprise)
	s.env.Now = in.Now
	s.hist = in.History
	s.eventID = in.Event.ID
	s.now = in.Now
}

func (s *state) clear() {
	s.hist, s.env.Event, s.env.Enterprise = gridwarn.History{}, EventEnv{}, EnterpriseEnv{}
}

// cutoff is the start of a window of days ending now.
func cutoff(now time.Time, days int) time.Time {
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

// earlier calls f for each signal of category ("" = any) in the window,
// leaving out the event being decided (a redelivered event is in its own
// history).
func (s *state) earlier(category string, days int, f func(gridwarn.Signal)) {
	from := cutoff(s.now, days)
	for _, sg := range s.hist.Signals {
		if (category != "" && string(sg.Category) != category) || sg.OccurredAt.Before(from) ||
			(s.eventID != "" && sg.EventID == s.eventID) {
			continue
		}
		f(sg)
	}
}

func (s *state) signals(category string, days int) int {
	n := 0
	s.earlier(category, days, func(gridwarn.Signal) { n++ })
	return n
}

func (s *state) workers(category string, days int) int {
	m := 0
	s.earlier(category, days, func(sg gridwarn.Signal) { m = max(m, sg.Workers) })
	return m
}

func (s *state) closedWithin(category string, days int) bool {
	return closedSince(&s.hist, category, cutoff(s.now, days)) > 0
}

// closedSince counts the categories ("" = any) with a ticket closed at or
// after from.
func closedSince(h *gridwarn.History, category string, from time.Time) int {
	if category != "" {
		t, ok := h.LastClosed[gridwarn.Category(category)]
		if ok && !t.Before(from) {
			return 1
		}
		return 0
	}
	n := 0
	for _, t := range h.LastClosed {
		if !t.Before(from) {
			n++
		}
	}
	return n
}
