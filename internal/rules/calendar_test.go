package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// testCalendar is a file with its own calendar: a holiday on Wednesday
// 2027-03-03 and a make-up working Saturday on 2027-03-13.
const testCalendar = `
calendar:
  time_zone: Asia/Shanghai
  weekend: [saturday, sunday]
  holidays: [2027-03-03, 2027-04-01..2027-04-02]
  extra_working_days: [2027-03-13]
`

func mustParse(t testing.TB, yml string) *Rules {
	t.Helper()
	r, err := Parse([]byte(yml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withSection replaces a top-level section of the default file.
func withSection(t testing.TB, section, replacement string) string {
	t.Helper()
	s := string(DefaultYAML)
	i := strings.Index(s, "\n"+section+":")
	if i < 0 {
		t.Fatalf("no section %s", section)
	}
	j := i + 1 + len(section) + 1
	for {
		k := strings.Index(s[j:], "\n")
		if k < 0 {
			j = len(s)
			break
		}
		j += k + 1
		if j < len(s) && s[j] != ' ' && s[j] != '\n' && s[j] != '#' {
			break
		}
	}
	return s[:i] + "\n" + strings.TrimLeft(replacement, "\n") + s[j:]
}

func TestWorkingDays(t *testing.T) {
	cal := mustParse(t, withSection(t, "calendar", testCalendar)).Calendar()
	def := Default().Calendar()
	for _, tc := range []struct {
		name  string
		cal   *Calendar
		start time.Time
		n     int
		want  time.Time
	}{
		{"Friday 17:00 + 1 is Monday 17:00", cal, at("2027-03-05 17:00"), 1, at("2027-03-08 17:00")},
		{"Monday + 1 is Tuesday", cal, at("2027-03-08 09:30"), 1, at("2027-03-09 09:30")},
		{"a holiday is skipped", cal, at("2027-03-02 10:00"), 1, at("2027-03-04 10:00")},
		{"a span over a holiday", cal, at("2027-03-01 08:00"), 3, at("2027-03-05 08:00")},
		{"a make-up Saturday counts", cal, at("2027-03-12 16:00"), 1, at("2027-03-13 16:00")},
		{"Saturday counts from its date", cal, at("2027-03-06 10:00"), 1, at("2027-03-08 10:00")},
		{"a holiday range is skipped", cal, at("2027-03-31 12:00"), 1, at("2027-04-05 12:00")},
		{"the start in another zone keeps Shanghai's local time", cal,
			time.Date(2027, 3, 5, 9, 0, 0, 0, time.UTC), 1, at("2027-03-08 17:00")},
		// The default file's 2026 calendar.
		{"default: Friday 2026-11-20 17:00 + 1 is Monday", def, at("2026-11-20 17:00"), 1, at("2026-11-23 17:00")},
		{"default: National Day week is skipped", def, at("2026-09-30 10:00"), 1, at("2026-10-08 10:00")},
		{"default: make-up Saturday 2026-10-10 counts", def, at("2026-10-09 10:00"), 1, at("2026-10-10 10:00")},
		{"default: Spring Festival make-up Saturday 2026-02-14", def, at("2026-02-13 17:00"), 1, at("2026-02-14 17:00")},
		{"default: Spring Festival", def, at("2026-02-14 17:00"), 1, at("2026-02-24 17:00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.AddWorkingDays(tc.start, tc.n); !got.Equal(tc.want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.start, tc.n, got.In(shanghai), tc.want)
			}
		})
	}
	if cal.IsWorkingDay(at("2027-03-03 12:00")) || !cal.IsWorkingDay(at("2027-03-13 12:00")) || cal.IsWorkingDay(at("2027-03-14 12:00")) {
		t.Error("IsWorkingDay disagrees with the calendar")
	}
}

func TestClocks(t *testing.T) {
	r := mustParse(t, withSection(t, "calendar", testCalendar))
	fri := at("2027-03-05 17:00")
	type clock struct {
		Kind          ClockKind
		Due, RemindAt time.Time
	}
	conv := func(cs []ClockSpec) []clock {
		var out []clock
		for _, c := range cs {
			out = append(out, clock{c.Kind, c.DueAt.In(shanghai), c.RemindAt.In(shanghai)})
		}
		return out
	}
	remind := func(start time.Time, d time.Duration) time.Time { return start.Add(time.Duration(0.8 * float64(d))) }
	for _, tc := range []struct {
		name  string
		tier  gridwarn.Tier
		level gridwarn.Level
		want  []clock
	}{
		{"enterprise: 1 working day, 7 days, 15 days", gridwarn.TierEnterprise, gridwarn.LevelBlue, []clock{
			{ClockAccept, at("2027-03-08 17:00"), remind(fri, 72*time.Hour)},
			{ClockContact, fri.Add(7 * 24 * time.Hour), remind(fri, 7*24*time.Hour)},
			{ClockResolve, fri.Add(15 * 24 * time.Hour), remind(fri, 15*24*time.Hour)},
		}},
		{"town, yellow: 1 working day, 3 days, 15 days", gridwarn.TierTown, gridwarn.LevelYellow, []clock{
			{ClockAccept, at("2027-03-08 17:00"), remind(fri, 72*time.Hour)},
			{ClockContact, fri.Add(3 * 24 * time.Hour), remind(fri, 3*24*time.Hour)},
			{ClockResolve, fri.Add(15 * 24 * time.Hour), remind(fri, 15*24*time.Hour)},
		}},
		{"town, orange: 2 h, 24 h, 15 days", gridwarn.TierTown, gridwarn.LevelOrange, []clock{
			{ClockAccept, fri.Add(2 * time.Hour), remind(fri, 2*time.Hour)},
			{ClockContact, fri.Add(24 * time.Hour), remind(fri, 24*time.Hour)},
			{ClockResolve, fri.Add(15 * 24 * time.Hour), remind(fri, 15*24*time.Hour)},
		}},
		{"county: 30 min, same day (8 h), 15 days", gridwarn.TierCounty, gridwarn.LevelRed, []clock{
			{ClockAccept, fri.Add(30 * time.Minute), fri.Add(24 * time.Minute)},
			{ClockContact, fri.Add(8 * time.Hour), remind(fri, 8*time.Hour)},
			{ClockResolve, fri.Add(15 * 24 * time.Hour), remind(fri, 15*24*time.Hour)},
		}},
		{"county, escalated blue: the county's limits", gridwarn.TierCounty, gridwarn.LevelBlue, []clock{
			{ClockAccept, fri.Add(30 * time.Minute), fri.Add(24 * time.Minute)},
			{ClockContact, fri.Add(8 * time.Hour), remind(fri, 8*time.Hour)},
			{ClockResolve, fri.Add(15 * 24 * time.Hour), remind(fri, 15*24*time.Hour)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, conv(r.Clocks(tc.tier, tc.level, fri))); diff != "" {
				t.Errorf("Clocks (-want +got):\n%s", diff)
			}
		})
	}
	if got := r.Clocks("province", gridwarn.LevelRed, fri); got != nil {
		t.Errorf("an unknown tier has clocks: %v", got)
	}
	if r.ReminderFraction() != 0.8 || !r.CountyAbsorbs() {
		t.Errorf("ReminderFraction = %v, CountyAbsorbs = %v", r.ReminderFraction(), r.CountyAbsorbs())
	}
	// A time scale shrinks every clock, working days included.
	fast := r.WithTimeScale(0.01)
	c := fast.Clocks(gridwarn.TierEnterprise, gridwarn.LevelBlue, fri)[0]
	if want := fri.Add(72 * time.Hour / 100); !c.DueAt.Equal(want) {
		t.Errorf("scaled accept due %s, want %s", c.DueAt, want)
	}
	if r.Clocks(gridwarn.TierEnterprise, gridwarn.LevelBlue, fri)[0].DueAt.Equal(c.DueAt) {
		t.Error("WithTimeScale changed the original")
	}
}

func TestParseLimit(t *testing.T) {
	for in, want := range map[string]Limit{
		"30m": {Wall: 30 * time.Minute}, "2h": {Wall: 2 * time.Hour}, "1h30m": {Wall: 90 * time.Minute},
		"7d": {Wall: 7 * 24 * time.Hour}, "1wd": {WorkingDays: 1}, "10wd": {WorkingDays: 10},
	} {
		got, err := parseLimit(in)
		if err != nil || got != want {
			t.Errorf("parseLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := parseLimit(got.String()); back != want {
			t.Errorf("%q prints as %q", in, got.String())
		}
	}
	for _, in := range []string{"", "0h", "-2h", "1.5d", "0wd", "xwd", "1w", "soon", "-1d"} {
		if _, err := parseLimit(in); err == nil {
			t.Errorf("parseLimit(%q) accepted", in)
		}
	}
}
