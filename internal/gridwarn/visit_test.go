package gridwarn_test

import (
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func TestParsePeriod(t *testing.T) {
	for _, c := range []struct {
		in, kind, from, to string
	}{
		{"2026-11", "month", "2026-11-01", "2026-12-01"},
		{"2026-12", "month", "2026-12-01", "2027-01-01"},
		{"2026-Q1", "quarter", "2026-01-01", "2026-04-01"},
		{"2026-q4", "quarter", "2026-10-01", "2027-01-01"},
		{"2026", "year", "2026-01-01", "2027-01-01"},
	} {
		p, err := gridwarn.ParsePeriod(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(p.Kind) != c.kind || p.From.Format(time.DateOnly) != c.from || p.To.Format(time.DateOnly) != c.to {
			t.Errorf("%s: got %s %s–%s, want %s %s–%s", c.in, p.Kind, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), c.kind, c.from, c.to)
		}
	}
	for _, bad := range []string{"", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "2026-W48", "1899", "2026-11-01"} {
		if _, err := gridwarn.ParsePeriod(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// The period of a moment is read on the county's calendar: 2026-11-30
// 16:30 UTC is already December in Asia/Shanghai.
func TestPeriodOf(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
	for kind, want := range map[gridwarn.PeriodKind]string{gridwarn.PeriodMonth: "2026-12", gridwarn.PeriodQuarter: "2026-Q4", gridwarn.PeriodYear: "2026"} {
		if got := gridwarn.PeriodOf(kind, at, loc).Key; got != want {
			t.Errorf("%s: %s, want %s", kind, got, want)
		}
	}
	if got := gridwarn.PeriodOf(gridwarn.PeriodQuarter, time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), loc).Key; got != "2027-Q1" {
		t.Errorf("new year's eve at midnight in Shanghai: %s", got)
	}
}

func TestVisitValidate(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 00:30 on 1 December in Shanghai, still 30 November in UTC.
	now := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
	ok := gridwarn.Visit{ID: "v-1", Enterprise: "91320924MA1MXXXX0Q", VisitedOn: "2026-12-01", Kind: gridwarn.VisitPatrol,
		PeopleMet: "张三（工会主席）", Findings: "工资按时发放。\n食堂已整改。"}
	fields := func(v gridwarn.Visit) map[string]string {
		out := map[string]string{}
		for _, f := range gridwarn.ErrorFields(v.Validate(now, loc)) {
			out[f.Field] = f.Rule
		}
		return out
	}
	if fs := fields(ok); len(fs) != 0 {
		t.Fatalf("a visit dated today in Shanghai is refused: %v", fs)
	}
	ticket := int64(7)
	for _, c := range []struct {
		name  string
		edit  func(*gridwarn.Visit)
		field string
		rule  string
	}{
		{"no id", func(v *gridwarn.Visit) { v.ID = "" }, "id", "required"},
		{"id with a space", func(v *gridwarn.Visit) { v.ID = "a b" }, "id", "pattern"},
		{"no enterprise", func(v *gridwarn.Visit) { v.Enterprise = "" }, "enterprise", "required"},
		{"tomorrow in Shanghai", func(v *gridwarn.Visit) { v.VisitedOn = "2026-12-02" }, "visited_on", "not_future"},
		{"older than a year", func(v *gridwarn.Visit) { v.VisitedOn = "2025-11-30" }, "visited_on", "window"},
		{"not a date", func(v *gridwarn.Visit) { v.VisitedOn = "2026-11-31" }, "visited_on", "date"},
		{"unknown kind", func(v *gridwarn.Visit) { v.Kind = "party" }, "kind", "enum"},
		{"follow-up without a ticket", func(v *gridwarn.Visit) { v.Kind = gridwarn.VisitTicketFollowUp }, "ticket_id", "required"},
		{"a ticket on a patrol", func(v *gridwarn.Visit) { v.TicketID = &ticket }, "ticket_id", "only_follow_up"},
		{"people met: a formula", func(v *gridwarn.Visit) { v.PeopleMet = "=HYPERLINK(1)" }, "people_met", "formula"},
		{"people met: a line break", func(v *gridwarn.Visit) { v.PeopleMet = "张三\n李四" }, "people_met", "control"},
		{"findings: a bell", func(v *gridwarn.Visit) { v.Findings = "ok\a" }, "findings", "control"},
		{"report id with a space", func(v *gridwarn.Visit) { v.ReportID = "r 1" }, "report_id", "pattern"},
	} {
		v := ok
		c.edit(&v)
		if got := fields(v)[c.field]; got != c.rule {
			t.Errorf("%s: %s has rule %q, want %q (all: %v)", c.name, c.field, got, c.rule, fields(v))
		}
	}
	// The oldest day accepted is a year back.
	v := ok
	v.VisitedOn = "2025-12-01"
	if fs := fields(v); len(fs) != 0 {
		t.Errorf("a visit a year ago is refused: %v", fs)
	}
}

// Coverage arithmetic: shares, targets and the key enterprises apart.
func TestCoverageFigures(t *testing.T) {
	c := gridwarn.CoverageOf([]gridwarn.CoverageRow{
		{Enterprise: "a", Key: true, Visited: true},
		{Enterprise: "b", Key: true},
		{Enterprise: "c", Visited: true},
		{Enterprise: "d", Visited: true},
		{Enterprise: "e"},
	}, gridwarn.CoverageTarget{Enterprises: 0.6, KeyEnterprises: 1})
	if c.Enterprises != 5 || c.Visited != 3 || *c.Share != 0.6 || !*c.Met {
		t.Errorf("all: %+v", c)
	}
	if c.KeyEnterprises != 2 || c.KeyVisited != 1 || *c.KeyShare != 0.5 || *c.KeyMet {
		t.Errorf("key: %+v", c)
	}
	empty := gridwarn.CoverageOf(nil, gridwarn.CoverageTarget{Enterprises: 0.95})
	if empty.Share != nil || empty.Met != nil || empty.KeyShare != nil {
		t.Errorf("0 of 0 must be no share, not 0 %%: %+v", empty)
	}
	none := gridwarn.CoverageOf([]gridwarn.CoverageRow{{Enterprise: "a"}}, gridwarn.CoverageTarget{})
	if none.Met != nil {
		t.Errorf("no target set, yet met says %v", *none.Met)
	}
}

func TestVisitDue(t *testing.T) {
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		key     bool
		last    string
		due     string
		overdue bool
	}{
		{true, "2026-11-05", "2026-12-05", false}, // due today: not late yet
		{true, "2026-11-04", "2026-12-04", true},
		{false, "2026-09-05", "2026-12-05", false},
		{false, "2026-09-04", "2026-12-04", true},
	} {
		due, overdue := gridwarn.VisitDue(c.key, day(c.last), today)
		if due.Format(time.DateOnly) != c.due || overdue != c.overdue {
			t.Errorf("key %v, last %s: due %s overdue %v, want %s %v", c.key, c.last, due.Format(time.DateOnly), overdue, c.due, c.overdue)
		}
	}
	if _, overdue := gridwarn.VisitDue(false, time.Time{}, today); !overdue {
		t.Error("never visited is overdue")
	}
}
