package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func testReportServer(t *testing.T) *server {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, loc)
	return &server{loc: loc, now: func() time.Time { return now },
		opt: Options{Window: gridwarn.EventWindow{MaxFuture: 5 * time.Minute, MaxAge: 395 * 24 * time.Hour}}}
}

// The form takes what the event contract takes, reads numbers and the local
// time the way a phone sends them, and names every wrong field.
func TestParseReport(t *testing.T) {
	s := testReportServer(t)
	ok := func() *reportForm {
		return &reportForm{ID: "web-0123456789abcdef01234567", Code: "91320924MA1100231L", Category: "wage_arrears",
			OccurredAt: "2026-11-20T08:30"}
	}
	i, f := func(n int) *int { return &n }, func(x float64) *float64 { return &x }
	yes := true
	reported := time.Date(2026, 11, 20, 1, 59, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		change func(*reportForm)
		want   gridwarn.Event
		fields []string // field:rule, when the form is refused
	}{
		{name: "minimal", change: func(*reportForm) {},
			want: gridwarn.Event{ID: "web-0123456789abcdef01234567", Enterprise: "91320924MA1100231L", Category: "wage_arrears",
				OccurredAt: time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC)}},
		{name: "everything", change: func(r *reportForm) {
			r.WorkersInvolved, r.AmountOwedCNY, r.MonthsInArrears = "12", "60,000.50", "1.5"
			r.Collective, r.Action, r.Summary, r.OwnerStatus = true, "gathering", "厂门口聚集", "unreachable"
			r.ReportedAt = "2026-11-20T09:59:00+08:00"
		}, want: gridwarn.Event{ID: "web-0123456789abcdef01234567", Enterprise: "91320924MA1100231L", Category: "wage_arrears",
			OccurredAt: time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC), ReportedAt: &reported,
			WorkersInvolved: i(12), AmountOwedCNY: f(60000.5), MonthsInArrears: f(1.5), Collective: &yes,
			Action: "gathering", Summary: "厂门口聚集", OwnerStatus: gridwarn.OwnerUnreachable}},
		{name: "missing category and time", change: func(r *reportForm) { r.Category, r.OccurredAt = "", "" },
			fields: []string{"category:required", "occurred_at:required"}},
		{name: "unknown category and action", change: func(r *reportForm) { r.Category, r.Action = "gossip", "riot" },
			fields: []string{"action:enum", "category:enum"}},
		{name: "unknown owner status", change: func(r *reportForm) { r.OwnerStatus = "on holiday" },
			fields: []string{"owner_status:enum"}},
		{name: "numbers that are not", change: func(r *reportForm) {
			r.WorkersInvolved, r.AmountOwedCNY, r.MonthsInArrears = "1.5", "1e9", "NaN"
		}, fields: []string{"workers_involved:integer", "amount_owed_cny:number", "months_in_arrears:number"}},
		{name: "numbers out of range", change: func(r *reportForm) { r.WorkersInvolved, r.MonthsInArrears = "-1", "601" },
			fields: []string{"months_in_arrears:maximum", "workers_involved:minimum"}},
		{name: "time in the future and a bad number", change: func(r *reportForm) { r.OccurredAt, r.WorkersInvolved = "2026-11-20T11:00", "x" },
			fields: []string{"occurred_at:future", "workers_involved:integer"}},
		{name: "time too old and a bad number", change: func(r *reportForm) { r.OccurredAt, r.WorkersInvolved = "1900-01-01T09:00", "x" },
			fields: []string{"occurred_at:too_old", "workers_involved:integer"}},
		{name: "time not a time", change: func(r *reportForm) { r.OccurredAt = "yesterday" },
			fields: []string{"occurred_at:format"}},
		{name: "summary too long", change: func(r *reportForm) { r.Summary = strings.Repeat("欠", 2001) },
			fields: []string{"summary:maxLength"}},
		{name: "bad id and code", change: func(r *reportForm) { r.ID, r.Code = "no spaces", "x" },
			fields: []string{"enterprise:pattern", "id:pattern"}},
		{name: "wrong check character", change: func(r *reportForm) { r.Code = "91320924MA1100231G" },
			fields: []string{"enterprise:credit_code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok()
			tc.change(r)
			e, err := s.parseReport(r)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, e); d != "" {
					t.Errorf("event (-want +got):\n%s", d)
				}
				return
			}
			if gridwarn.ErrorCode(err) != gridwarn.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
			var got []string
			for _, fe := range gridwarn.ErrorFields(err) {
				got = append(got, fe.Field+":"+fe.Rule)
			}
			slices.Sort(got)
			want := slices.Clone(tc.fields)
			slices.Sort(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
		})
	}
}

// Every rule the form or the contract may name has a message in both
// languages.
func TestReportRulesAreTranslated(t *testing.T) {
	for _, rule := range []string{"required", "enum", "pattern", "format", "future", "too_old", "integer", "number", "minimum",
		"maximum", "maxLength", "in_scope"} {
		for _, l := range languages {
			if _, ok := catalogue[l]["report.rule."+rule]; !ok {
				t.Errorf("%s: no message for rule %s", l, rule)
			}
		}
	}
	for field, key := range reportFields {
		if _, ok := catalogue["en"][key]; !ok {
			t.Errorf("no label for field %s", field)
		}
	}
	for _, o := range gridwarn.OwnerStatuses {
		for _, l := range languages {
			if _, ok := catalogue[l]["report.owner_status."+string(o)]; !ok {
				t.Errorf("%s: no label for owner status %s", l, o)
			}
		}
	}
	for _, a := range gridwarn.Actions {
		if _, ok := catalogue["zh"]["report.action."+string(a)]; !ok {
			t.Errorf("no label for action %s", a)
		}
	}
}

func TestNewEventID(t *testing.T) {
	a, b := newEventID(), newEventID()
	if a == b || !eventIDRE.MatchString(a) || len(a) != len("web-")+24 {
		t.Errorf("ids %q, %q", a, b)
	}
}

func TestCodeLike(t *testing.T) {
	for q, want := range map[string]bool{"91320924ma": true, "9132": true, "ABC": false, "纺织": false, "": false, "91 32": false} {
		if got := codeLike(q); got != want {
			t.Errorf("codeLike(%q) = %v", q, got)
		}
	}
}

// A form whose only fault is a date outside the window is the domain's
// refusal as it is: 422 (unprocessable), out of window, naming the field.
func TestParseReportDateOutsideTheWindow(t *testing.T) {
	s := testReportServer(t)
	for occurred, rule := range map[string]string{"9999-12-31T09:00": gridwarn.RuleFuture, "1900-01-01T09:00": gridwarn.RuleTooOld} {
		_, err := s.parseReport(&reportForm{ID: "web-0123456789abcdef01234567", Code: "91320924MA1100231L",
			Category: "wage_arrears", OccurredAt: occurred})
		fs := gridwarn.ErrorFields(err)
		if gridwarn.ErrorCode(err) != gridwarn.EUNPROCESSABLE || !gridwarn.IsOutOfWindow(err) || len(fs) != 1 ||
			fs[0].Field != "occurred_at" || fs[0].Rule != rule {
			t.Errorf("%s: %v, want unprocessable naming occurred_at (%s)", occurred, err, rule)
		}
	}
}
