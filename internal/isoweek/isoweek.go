// Package isoweek is ISO 8601 week arithmetic in a time zone: the weeks
// of the weekly summary, the dashboard's trend and the summary schedule.
// It is pure (no database, no clock) and imports only the domain, so the
// store can use it without linking the summary's renderers.
package isoweek

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// DefaultTimeZone is the zone summaries are computed in unless configured.
const DefaultTimeZone = "Asia/Shanghai"

// Shanghai is Asia/Shanghai from the system's zone database, or a fixed
// UTC+8 zone named CST when the database is missing (China has had no
// daylight saving time since 1991, so both give the same week bounds).
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimeZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// Location returns the named zone; the empty name or DefaultTimeZone give
// Shanghai (which works without a zone database).
func Location(name string) (*time.Location, error) {
	if name == "" || name == DefaultTimeZone {
		return Shanghai, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

var weekRE = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseWeek parses an ISO 8601 week such as "2026-W47". It rejects week
// 00, weeks above 53 and week 53 in a year that has only 52 weeks.
func Parse(s string) (gridwarn.Week, error) {
	m := weekRE.FindStringSubmatch(s)
	if m == nil {
		return gridwarn.Week{}, fmt.Errorf("week %q: want an ISO week as YYYY-Www, e.g. 2026-W47", s)
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	w := gridwarn.Week{Year: y, Week: n}
	if err := Valid(w); err != nil {
		return gridwarn.Week{}, fmt.Errorf("week %q: %w", s, err)
	}
	return w, nil
}

// ValidWeek reports whether w is a week that exists: year 1 to 9999, week
// 1 to the year's number of ISO weeks.
func Valid(w gridwarn.Week) error {
	switch {
	case w.Year < 1 || w.Year > 9999:
		return fmt.Errorf("year %d is out of range 0001–9999", w.Year)
	case w.Week < 1:
		return fmt.Errorf("week %02d does not exist: ISO weeks start at W01", w.Week)
	case w.Week > WeeksInYear(w.Year):
		return fmt.Errorf("week %02d does not exist: %d has %d ISO weeks", w.Week, w.Year, WeeksInYear(w.Year))
	}
	return nil
}

// WeeksInYear is the number of ISO weeks of year y: 53 when the year
// starts on a Thursday, or is a leap year starting on a Wednesday; else 52.
// (28 December is always in the last week.)
func WeeksInYear(y int) int {
	_, n := time.Date(y, time.December, 28, 12, 0, 0, 0, time.UTC).ISOWeek()
	return n
}

// WeekString formats w as "2026-W47".
func Format(w gridwarn.Week) string {
	return fmt.Sprintf("%04d-W%02d", w.Year, w.Week)
}

// Bounds returns the start of w (Monday 00:00 in loc) and the start of the
// next week: events e of the week satisfy from <= e < to. A nil loc means
// Shanghai.
func Bounds(w gridwarn.Week, loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = Shanghai
	}
	// 4 January is always in week 1; step back to its Monday.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	back := (int(jan4.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	day := 4 - back + (w.Week-1)*7
	// time.Date normalises day overflow and, with loc, daylight saving.
	return time.Date(w.Year, time.January, day, 0, 0, 0, 0, loc),
		time.Date(w.Year, time.January, day+7, 0, 0, 0, 0, loc)
}

// WeekOf is the ISO week that contains t in loc (nil means Shanghai).
func Of(t time.Time, loc *time.Location) gridwarn.Week {
	if loc == nil {
		loc = Shanghai
	}
	y, n := t.In(loc).ISOWeek()
	return gridwarn.Week{Year: y, Week: n}
}

// Previous is the week before w.
func Previous(w gridwarn.Week) gridwarn.Week {
	if w.Week > 1 {
		return gridwarn.Week{Year: w.Year, Week: w.Week - 1}
	}
	return gridwarn.Week{Year: w.Year - 1, Week: WeeksInYear(w.Year - 1)}
}

// Next is the week after w.
func Next(w gridwarn.Week) gridwarn.Week {
	if w.Week < WeeksInYear(w.Year) {
		return gridwarn.Week{Year: w.Year, Week: w.Week + 1}
	}
	return gridwarn.Week{Year: w.Year + 1, Week: 1}
}

// Compare returns -1, 0 or +1 as a is before, equal to or after b.
func Compare(a, b gridwarn.Week) int {
	if c := cmp.Compare(a.Year, b.Year); c != 0 {
		return c
	}
	return cmp.Compare(a.Week, b.Week)
}

// LastWeeks returns the n weeks ending with w, oldest first (nil when
// n <= 0). Last(w, 8) are the weeks of a summary's trend.
func Last(w gridwarn.Week, n int) []gridwarn.Week {
	if n <= 0 {
		return nil
	}
	out := make([]gridwarn.Week, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = w
		w = Previous(w)
	}
	return out
}

// WeeksBetween returns the weeks from a to b, both included, oldest first;
// nil when a is after b.
func Between(a, b gridwarn.Week) []gridwarn.Week {
	var out []gridwarn.Week
	for w := a; Compare(w, b) <= 0; w = Next(w) {
		out = append(out, w)
	}
	return out
}
