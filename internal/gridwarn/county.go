package gridwarn

import "strings"

// CountyCode is the county the enterprise lies in: its town's county in the
// registry, else the division code of its credit code (characters 3–8).
// Its tickets belong to this county, and its events must arrive on this
// county's subject.
func (e Enterprise) CountyCode() string {
	if e.TownCode != "" {
		return CountyOf(e.TownCode)
	}
	return Event{Enterprise: e.CreditCode}.CountyCode()
}

// EventSubject is the subject the enterprise's events are published on:
// gridwarn.events.<county>.
func (e Enterprise) EventSubject() string { return EventSubjectPrefix + e.CountyCode() }

// SubjectCounty is the county token of an event subject
// (gridwarn.events.<county>[.…]): the token after the prefix, "" when the
// subject has none. The broker lets a publisher publish only on its own
// county's subjects, so this is the county the publisher may speak for.
func SubjectCounty(subject string) string {
	rest, ok := strings.CutPrefix(subject, EventSubjectPrefix)
	if !ok {
		return ""
	}
	county, _, _ := strings.Cut(rest, ".")
	return county
}
