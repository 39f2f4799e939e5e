package gridwarn

import (
	"errors"
	"fmt"
	"time"
)

// Rules of the event window (FieldError.Rule).
const (
	// RuleFuture: the date lies further in the future than clocks can be off.
	RuleFuture = "future"
	// RuleTooOld: the date lies before the oldest date a report may have.
	RuleTooOld = "too_old"
)

// MaxFutureLimit is the most EventWindow.MaxFuture may be (the
// configuration refuses more). Every stored event therefore occurred at
// most this long after it was received — received_at, the partition key
// of events, is the database's time of the insert — and the engine's
// history read relies on it to skip the partitions received too long ago
// (postgres.historySignalsSQL).
const MaxFutureLimit = 24 * time.Hour

// EventWindow bounds the dates of an event: occurred_at may lie at most
// MaxFuture after the time the event was received (clocks of phones and
// reporters' machines are not exact) and at most MaxAge before it (the
// one-year limitation of a labor dispute plus a margin); reported_at may
// not lie beyond the same future bound. A date outside it is not a fact
// about a dispute — 1900 or 9999 would set a ticket's first and last event
// dates and fire its limitation alarms — so it is refused on every path:
// 422 on the API and the console, a dead letter (date_out_of_window) on the
// bus, and `gridwarn publish` does not send it. The zero window checks
// nothing (tools and tests without a configuration).
type EventWindow struct {
	MaxFuture time.Duration
	MaxAge    time.Duration
}

// IsZero reports whether w checks nothing.
func (w EventWindow) IsZero() bool { return w.MaxFuture == 0 && w.MaxAge == 0 }

// ValidateWindow checks the event's dates against w around now, the time
// the event is received (the API, the console, `gridwarn publish`).
func (e Event) ValidateWindow(now time.Time, w EventWindow) error {
	return e.ValidateWindowAt(now, now, w)
}

// ValidateWindowAt checks the event's dates against w for an event that
// the broker stored at stored and that is judged at now (the engine's
// clock). The future bound counts from stored: a date in the future when
// it was sent does not become acceptable by waiting in the stream. The age
// counts from the earlier of the two: an event that was in the window when
// stored does not age out while it waits out a database outage.
func (e Event) ValidateWindowAt(stored, now time.Time, w EventWindow) error {
	if w.IsZero() {
		return nil
	}
	var fields []FieldError
	if latest := stored.Add(w.MaxFuture); e.OccurredAt.After(latest) {
		fields = append(fields, FieldError{Field: "occurred_at", Rule: RuleFuture,
			Message: fmt.Sprintf("lies in the future: %s is after %s (%s after the time it was received)",
				e.OccurredAt.Format(time.RFC3339), latest.UTC().Format(time.RFC3339), w.MaxFuture)})
	}
	if oldest := minTime(stored, now).Add(-w.MaxAge); e.OccurredAt.Before(oldest) {
		fields = append(fields, FieldError{Field: "occurred_at", Rule: RuleTooOld,
			Message: fmt.Sprintf("is too old: %s is before %s (%s before the time it was received)",
				e.OccurredAt.Format(time.RFC3339), oldest.UTC().Format(time.RFC3339), w.MaxAge)})
	}
	if r := e.ReportedAt; r != nil {
		if latest := stored.Add(w.MaxFuture); r.After(latest) {
			fields = append(fields, FieldError{Field: "reported_at", Rule: RuleFuture,
				Message: fmt.Sprintf("lies in the future: %s is after %s", r.Format(time.RFC3339), latest.UTC().Format(time.RFC3339))})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EUNPROCESSABLE, Message: "the event's date lies outside the accepted window", Fields: fields,
		Err: errOutOfWindow}
}

var errOutOfWindow = errors.New("event date out of window")

// IsOutOfWindow reports whether err is ValidateWindow's refusal.
func IsOutOfWindow(err error) bool { return errors.Is(err, errOutOfWindow) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
