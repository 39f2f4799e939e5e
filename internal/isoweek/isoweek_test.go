package isoweek

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func wk(y, n int) gridwarn.Week { return gridwarn.Week{Year: y, Week: n} }

func TestParseWeek(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want gridwarn.Week
	}{
		{"2026-W47", wk(2026, 47)},
		{"2026-W01", wk(2026, 1)},
		{"2026-W53", wk(2026, 53)}, // 2026 starts on a Thursday
		{"2020-W53", wk(2020, 53)}, // leap year starting on a Wednesday
		{"2027-W52", wk(2027, 52)},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if s := Format(got); s != tc.in {
			t.Errorf("Format(%v) = %q; want %q", got, s, tc.in)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"2026-W00", "ISO weeks start at W01"},
		{"2026-W54", "2026 has 53 ISO weeks"},
		{"2027-W53", "2027 has 52 ISO weeks"},
		{"2025-W53", "2025 has 52 ISO weeks"},
		{"0000-W10", "out of range"},
		{"", "YYYY-Www"},
		{"2026W47", "YYYY-Www"},
		{"2026-47", "YYYY-Www"},
		{"2026-w47", "YYYY-Www"},
		{"26-W47", "YYYY-Www"},
		{"2026-W7", "YYYY-Www"},
		{"2026-W047", "YYYY-Www"},
		{" 2026-W47", "YYYY-Www"},
		{"2026-W47\n", "YYYY-Www"},
		{"2026-W4７", "YYYY-Www"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error = %v; want one containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestWeeksInYear(t *testing.T) {
	for y, n := range map[int]int{2015: 53, 2020: 53, 2021: 52, 2025: 52, 2026: 53, 2027: 52, 2032: 53, 2037: 53} {
		if got := WeeksInYear(y); got != n {
			t.Errorf("WeeksInYear(%d) = %d; want %d", y, got, n)
		}
	}
}

func sh(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		w        gridwarn.Week
		from, to string
	}{
		{wk(2026, 47), "2026-11-16 00:00:00", "2026-11-23 00:00:00"},
		{wk(2026, 1), "2025-12-29 00:00:00", "2026-01-05 00:00:00"},
		{wk(2026, 53), "2026-12-28 00:00:00", "2027-01-04 00:00:00"},
		{wk(2027, 1), "2027-01-04 00:00:00", "2027-01-11 00:00:00"},
		{wk(2021, 1), "2021-01-04 00:00:00", "2021-01-11 00:00:00"},
	} {
		from, to := Bounds(tc.w, Shanghai)
		if !from.Equal(sh(tc.from)) || !to.Equal(sh(tc.to)) {
			t.Errorf("Bounds(%s) = %v, %v; want %s, %s", Format(tc.w), from, to, tc.from, tc.to)
		}
		if from.Weekday() != time.Monday {
			t.Errorf("Bounds(%s) starts on %v", Format(tc.w), from.Weekday())
		}
	}
	from, _ := Bounds(wk(2026, 47), nil)
	if _, off := from.Zone(); off != 8*3600 {
		t.Errorf("nil location: offset %d; want Shanghai's +08:00", off)
	}
	// 2026-W47 starts at 2026-11-15 16:00 UTC.
	if got := from.UTC().Format(time.RFC3339); got != "2026-11-15T16:00:00Z" {
		t.Errorf("2026-W47 starts at %s UTC", got)
	}
}

func TestWeekOfMidnight(t *testing.T) {
	sun := sh("2026-11-22 23:59:59")
	mon := sh("2026-11-23 00:00:00")
	if got := Of(sun, Shanghai); got != wk(2026, 47) {
		t.Errorf("Sunday 23:59:59 is in %s; want 2026-W47", Format(got))
	}
	if got := Of(mon, Shanghai); got != wk(2026, 48) {
		t.Errorf("Monday 00:00:00 is in %s; want 2026-W48", Format(got))
	}
	// The same instants given in UTC land in the same weeks: the zone of
	// the summary decides, not the zone of the time value.
	if Of(sun.UTC(), nil) != wk(2026, 47) || Of(mon.UTC(), nil) != wk(2026, 48) {
		t.Error("WeekOf depends on the time value's zone")
	}
	// In UTC, Shanghai's Monday 00:00 is still Sunday.
	if got := Of(mon, time.UTC); got != wk(2026, 47) {
		t.Errorf("in UTC Monday 00:00 Shanghai is in %s; want 2026-W47", Format(got))
	}
	// Bounds agree: the Sunday is before the end, the Monday is the end.
	_, to := Bounds(wk(2026, 47), Shanghai)
	if !sun.Before(to) || !mon.Equal(to) {
		t.Errorf("week end %v; Sunday %v, Monday %v", to, sun, mon)
	}
}

func TestWeekOfYearBoundaries(t *testing.T) {
	for _, tc := range []struct {
		day  string
		want gridwarn.Week
	}{
		{"2026-01-01 12:00:00", wk(2026, 1)},  // Thursday
		{"2025-12-29 00:00:00", wk(2026, 1)},  // Monday of 2026-W01
		{"2025-12-28 23:59:59", wk(2025, 52)}, // the Sunday before
		{"2026-12-31 12:00:00", wk(2026, 53)}, // Thursday
		{"2027-01-01 00:00:00", wk(2026, 53)}, // Friday
		{"2027-01-03 23:59:59", wk(2026, 53)}, // Sunday
		{"2027-01-04 00:00:00", wk(2027, 1)},  // Monday
		{"2021-01-03 10:00:00", wk(2020, 53)},
		{"2024-12-30 10:00:00", wk(2025, 1)},
	} {
		if got := Of(sh(tc.day), Shanghai); got != tc.want {
			t.Errorf("Of(%s) = %s; want %s", tc.day, Format(got), Format(tc.want))
		}
	}
}

// TestBoundsRoundTrip checks every week of a span of years, also in zones
// with daylight saving time.
func TestBoundsRoundTrip(t *testing.T) {
	locs := []*time.Location{Shanghai, time.UTC}
	for _, name := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe"} {
		if loc, err := time.LoadLocation(name); err == nil {
			locs = append(locs, loc)
		}
	}
	for _, loc := range locs {
		w := wk(2019, 1)
		var prevTo time.Time
		for ; w.Year <= 2031; w = Next(w) {
			from, to := Bounds(w, loc)
			if got := Of(from, loc); got != w {
				t.Fatalf("%s: Of(start of %s) = %s", loc, Format(w), Format(got))
			}
			if got := Of(to.Add(-time.Nanosecond), loc); got != w {
				t.Fatalf("%s: Of(end of %s) = %s", loc, Format(w), Format(got))
			}
			if lf := from.In(loc); lf.Weekday() != time.Monday || lf.Hour() != 0 || lf.Minute() != 0 {
				t.Fatalf("%s: %s starts %v", loc, Format(w), lf)
			}
			if !prevTo.IsZero() && !prevTo.Equal(from) {
				t.Fatalf("%s: gap before %s", loc, Format(w))
			}
			if loc == Shanghai && to.Sub(from) != 7*24*time.Hour {
				t.Fatalf("%s lasts %v", Format(w), to.Sub(from))
			}
			prevTo = to
			if p := Previous(Next(w)); p != w {
				t.Fatalf("Previous(Next(%s)) = %s", Format(w), Format(p))
			}
		}
	}
}

func TestPreviousNext(t *testing.T) {
	for _, tc := range []struct{ w, prev gridwarn.Week }{
		{wk(2026, 47), wk(2026, 46)},
		{wk(2026, 1), wk(2025, 52)},
		{wk(2027, 1), wk(2026, 53)},
		{wk(2021, 1), wk(2020, 53)},
	} {
		if got := Previous(tc.w); got != tc.prev {
			t.Errorf("Previous(%s) = %s; want %s", Format(tc.w), Format(got), Format(tc.prev))
		}
		if got := Next(tc.prev); got != tc.w {
			t.Errorf("Next(%s) = %s; want %s", Format(tc.prev), Format(got), Format(tc.w))
		}
	}
}

func isos(ws []gridwarn.Week) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = Format(w)
	}
	return out
}

func TestLastWeeks(t *testing.T) {
	got := isos(Last(wk(2026, 47), 8))
	want := []string{"2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"}
	if !slices.Equal(got, want) {
		t.Errorf("Last(2026-W47, 8) = %v", got)
	}
	got = isos(Last(wk(2027, 2), 4))
	want = []string{"2026-W52", "2026-W53", "2027-W01", "2027-W02"}
	if !slices.Equal(got, want) {
		t.Errorf("Last(2027-W02, 4) = %v", got)
	}
	if got := Last(wk(2026, 47), 1); len(got) != 1 || got[0] != wk(2026, 47) {
		t.Errorf("Last(w, 1) = %v", got)
	}
	if got := Last(wk(2026, 47), 0); got != nil {
		t.Errorf("Last(w, 0) = %v", got)
	}
}

func TestWeeksBetween(t *testing.T) {
	got := isos(Between(wk(2026, 52), wk(2027, 2)))
	if want := []string{"2026-W52", "2026-W53", "2027-W01", "2027-W02"}; !slices.Equal(got, want) {
		t.Errorf("WeeksBetween = %v; want %v", got, want)
	}
	if got := Between(wk(2026, 47), wk(2026, 47)); len(got) != 1 {
		t.Errorf("Between(w, w) = %v", got)
	}
	if got := Between(wk(2026, 47), wk(2026, 46)); got != nil {
		t.Errorf("Between(a > b) = %v", got)
	}
	if n := len(Between(wk(2026, 1), wk(2026, 53))); n != 53 {
		t.Errorf("2026 has %d weeks", n)
	}
	if !slices.Equal(Between(wk(2025, 50), wk(2026, 47)), Last(wk(2026, 47), 50)) {
		t.Error("WeeksBetween and LastWeeks disagree")
	}
}

func TestLocation(t *testing.T) {
	if loc, err := Location(""); err != nil || loc != Shanghai {
		t.Errorf("Location(\"\") = %v, %v", loc, err)
	}
	if _, err := Location("Mars/Olympus_Mons"); err == nil {
		t.Error("unknown zone accepted")
	}
}
