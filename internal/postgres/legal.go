package postgres

import (
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// legalRules are the legal clocks' settings.
type legalRules struct {
	mediation, limitation int
	alarms                []int
}

// clocks computes a ticket's legal clocks at now: the mediation clock from
// acceptance at a mediating tier (suggesting arbitration when it ran out
// without agreement) and the limitation period from the earliest
// occurred_at, with its alarm once a configured day is reached.
func (l legalRules) clocks(acceptedAt *time.Time, earliest time.Time, settled bool, now time.Time) *gridwarn.LegalClocks {
	mediation, limitation := l.mediation, l.limitation
	if mediation <= 0 {
		mediation = 15
	}
	if limitation <= 0 {
		limitation = 365
	}
	alarms := l.alarms
	if alarms == nil {
		alarms = []int{300, 350}
	}
	c := &gridwarn.LegalClocks{
		LimitationStartsAt: earliest,
		LimitationEndsAt:   earliest.AddDate(0, 0, limitation),
		LimitationDay:      int(now.Sub(earliest).Hours() / 24),
	}
	for _, a := range alarms {
		if c.LimitationDay >= a {
			c.LimitationAlarm = a
		}
	}
	if acceptedAt != nil {
		due := acceptedAt.AddDate(0, 0, mediation)
		left := int(due.Sub(now).Hours() / 24)
		c.MediationStartedAt, c.MediationDueAt, c.MediationDaysLeft = acceptedAt, &due, &left
		c.SuggestArbitration = !settled && now.After(due)
	}
	return c
}
