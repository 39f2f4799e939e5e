package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Calendar says which days are working days: every day that is not a
// weekend day or a holiday, plus the extra working days (China's 调休
// make-up days), in one time zone.
type Calendar struct {
	loc     *time.Location
	weekend [7]bool
	holiday map[civilDate]bool
	extra   map[civilDate]bool
}

type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether the local date of t (in the calendar's time
// zone) is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.working(dateOf(t.In(c.loc)), t.In(c.loc).Weekday())
}

func (c *Calendar) working(d civilDate, wd time.Weekday) bool {
	switch {
	case c.extra[d]:
		return true
	case c.holiday[d]:
		return false
	default:
		return !c.weekend[wd]
	}
}

// AddWorkingDays returns the same local time (in the calendar's time zone)
// on the nth working day after t's local date. t's own date does not count,
// whether or not it is a working day: Friday 17:00 + 1 is Monday 17:00,
// Saturday 10:00 + 1 is Monday 10:00 (in a week without holidays).
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	lt := t.In(c.loc)
	y, m, d := lt.Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC) // noon UTC: plain date arithmetic
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.working(dateOf(day), day.Weekday()) {
			n--
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), c.loc)
}

// Limit is a time limit: a wall-clock duration or a number of working days.
type Limit struct {
	Wall        time.Duration
	WorkingDays int
}

// Due is when a limit started at start runs out.
func (l Limit) Due(c *Calendar, start time.Time) time.Time {
	if l.WorkingDays > 0 {
		return c.AddWorkingDays(start, l.WorkingDays)
	}
	return start.Add(l.Wall)
}

func (l Limit) String() string {
	if l.WorkingDays > 0 {
		return strconv.Itoa(l.WorkingDays) + "wd"
	}
	if l.Wall%(24*time.Hour) == 0 {
		return strconv.Itoa(int(l.Wall/(24*time.Hour))) + "d"
	}
	return l.Wall.String()
}

// parseLimit reads 30m, 2h, 1h30m, 7d or 1wd.
func parseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(s, "wd"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "wd"))
		if err != nil || n <= 0 {
			return Limit{}, fmt.Errorf("%q: working days must be a whole number above 0, like 1wd", s)
		}
		return Limit{WorkingDays: n}, nil
	case strings.HasSuffix(s, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 {
			return Limit{}, fmt.Errorf("%q: days must be a whole number above 0, like 7d", s)
		}
		return Limit{Wall: time.Duration(n) * 24 * time.Hour}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Limit{}, fmt.Errorf("%q is not a time limit: use 30m, 2h, 7d or 1wd", s)
	}
	return Limit{Wall: d}, nil
}

// Limits are a tier's three time limits.
type Limits struct {
	Accept, Contact, Resolve Limit
}

// ClockKind names one of a tier's time limits: accept, contact, resolve.
type ClockKind = gridwarn.ClockKind

// ClockSpec is when one clock of a tier entered at some moment reminds and
// is due (gridwarn.ClockPlan: Kind, RemindAt, DueAt).
type ClockSpec = gridwarn.ClockPlan

// Clock kinds.
const (
	ClockAccept  = gridwarn.ClockAccept
	ClockContact = gridwarn.ClockContact
	ClockResolve = gridwarn.ClockResolve
)

// Clocks gives the accept, contact and resolve clocks of a ticket of level
// that entered tier at start: each is due when its limit runs out (see
// Calendar.AddWorkingDays for working days) and reminds at
// start + ReminderFraction × (due − start) in wall time. An unknown tier or
// level has no clocks.
func (r *Rules) Clocks(tier gridwarn.Tier, level gridwarn.Level, start time.Time) []ClockSpec {
	ls, ok := r.limits[tier][level]
	if !ok {
		return nil
	}
	out := make([]ClockSpec, 0, 3)
	for _, c := range []struct {
		kind ClockKind
		l    Limit
	}{{ClockAccept, ls.Accept}, {ClockContact, ls.Contact}, {ClockResolve, ls.Resolve}} {
		span := c.l.Due(r.cal, start).Sub(start)
		if r.timeScale != 1 {
			span = time.Duration(float64(span) * r.timeScale)
		}
		out = append(out, ClockSpec{
			Kind:     c.kind,
			DueAt:    start.Add(span),
			RemindAt: start.Add(time.Duration(float64(span) * r.reminder)),
		})
	}
	return out
}

// Limits returns the time limits of a ticket of level at tier.
func (r *Rules) Limits(tier gridwarn.Tier, level gridwarn.Level) (Limits, bool) {
	ls, ok := r.limits[tier][level]
	return ls, ok
}

// ReminderFraction is the part of each limit after which a reminder is due.
func (r *Rules) ReminderFraction() float64 { return r.reminder }

// Calendar is the working-day calendar of the rules.
func (r *Rules) Calendar() *Calendar { return r.cal }

// CountyAbsorbs reports whether an open county-tier ticket of an enterprise
// absorbs new tickets of the enterprise that would start at a lower tier.
func (r *Rules) CountyAbsorbs() bool { return r.countyAbsorbs }

// WithTimeScale returns a copy of the rules whose clocks run f times as
// long (0 < f ≤ 1 in a demo, so that escalations happen within minutes;
// 1 in production). Decisions are unchanged.
func (r *Rules) WithTimeScale(f float64) *Rules {
	if f <= 0 {
		f = 1
	}
	c := r.clone()
	c.timeScale = f
	return c
}
