package rules

import (
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.HotlineClock = (*Rules)(nil)

// defaultHotlineLimits are the 12351 case classes' time limits when the
// file names none: 一般 3, 难点 13, 特别复杂 30 working days. The official
// limits are not published; these are defaults (DOMAIN.md).
func defaultHotlineLimits() map[gridwarn.CaseClass]Limit {
	return map[gridwarn.CaseClass]Limit{
		gridwarn.ClassOrdinary:  {WorkingDays: 3},
		gridwarn.ClassDifficult: {WorkingDays: 13},
		gridwarn.ClassComplex:   {WorkingDays: 30},
	}
}

// HotlineLimit is the time limit of a 12351 case class.
func (r *Rules) HotlineLimit(c gridwarn.CaseClass) (Limit, bool) {
	l, ok := r.hotline[c]
	return l, ok
}

// HotlineDue is when a case of class c filed at filed runs out of time: its
// limit on the working-day calendar (Calendar.AddWorkingDays), shortened
// like every clock by the time scale of a demo. An unknown class gets the
// ordinary class's limit.
func (r *Rules) HotlineDue(c gridwarn.CaseClass, filed time.Time) time.Time {
	l, ok := r.hotline[c]
	if !ok {
		l = r.hotline[gridwarn.ClassOrdinary]
	}
	span := l.Due(r.cal, filed).Sub(filed)
	if r.timeScale != 1 {
		span = time.Duration(float64(span) * r.timeScale)
	}
	return filed.Add(span)
}
