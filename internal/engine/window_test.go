package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// deadLetters returns the dead letters by event id.
func (h *harness) deadLetters() map[string]gridwarn.DeadLetter {
	h.t.Helper()
	ds, err := h.db.ListDeadLetters(context.Background(), gridwarn.Visibility{All: true}, gridwarn.DeadLetterFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	out := make(map[string]gridwarn.DeadLetter, len(ds))
	for _, d := range ds {
		out[d.EventID] = d
	}
	return out
}

// twoMonthsAhead is an engine clock two months ahead of the broker's, as
// after a long outage; it moves, so the engine's pauses end.
func twoMonthsAhead() time.Time { return time.Now().Add(60 * 24 * time.Hour) }

// Dates outside the window become dead letters date_out_of_window and never
// touch a ticket. The window is judged at the time the broker stored the
// message: the engine's clock here is two months ahead (as after a long
// outage), so an event in the future when it was sent stays refused and an
// event that was inside the window when it was sent is still stored.
func TestDatesOutsideTheWindowAreDeadLetters(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	sent := time.Now()
	w := gridwarn.EventWindow{MaxFuture: 5 * time.Minute, MaxAge: 395 * 24 * time.Hour}
	h.start(h.db, engine.Options{Window: w, Now: twoMonthsAhead})

	at := func(id string, occurred time.Time) gridwarn.Event {
		e := event(id, entA, "wage_arrears")
		e.OccurredAt = occurred
		return e
	}
	h.publishEvent(at("in-1900", time.Date(1900, 1, 1, 9, 0, 0, 0, time.UTC)))
	h.publishEvent(at("in-9999", time.Date(9999, 12, 31, 9, 0, 0, 0, time.UTC)))
	h.publishEvent(at("an-hour-ahead", sent.Add(time.Hour))) // within the engine's clock, not the broker's
	h.publishEvent(at("390-days-old", sent.Add(-390*24*time.Hour)))
	reported := sent.Add(time.Hour)
	ahead := at("reported-ahead", sent.Add(-time.Hour))
	ahead.ReportedAt = &reported
	h.publishEvent(ahead)
	h.drained(10 * time.Second)

	ds := h.deadLetters()
	for id, want := range map[string]string{"in-1900": "occurred_at: is too old", "in-9999": "occurred_at: lies in the future",
		"an-hour-ahead": "occurred_at: lies in the future", "reported-ahead": "reported_at: lies in the future"} {
		d, ok := ds[id]
		if !ok || d.Reason != gridwarn.ReasonDateOutOfWindow || !strings.Contains(d.Detail, want) {
			t.Errorf("%s: dead letter %+v (found %t), want reason %s and %q", id, d, ok, gridwarn.ReasonDateOutOfWindow, want)
		}
	}
	if len(ds) != 4 {
		t.Errorf("dead letters = %d, want 4", len(ds))
	}
	if n := h.count("SELECT count(*) FROM events WHERE id = '390-days-old'"); n != 1 {
		t.Errorf("an event inside the window when it was sent was not stored after waiting")
	}
	if n := h.count("SELECT count(*) FROM tickets WHERE first_event_at < '2000-01-01' OR last_event_at > '3000-01-01'"); n != 0 {
		t.Errorf("%d tickets carry a date of 1900 or 9999", n)
	}
}

// The rescuer judges a message fetched again by the time the broker stored
// it, like the engine.
func TestRescuedMessageIsJudgedByItsStoredTime(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{MaxDeliver: 2}, nil)
	sent := time.Now()
	w := gridwarn.EventWindow{MaxFuture: 5 * time.Minute, MaxAge: 395 * 24 * time.Hour}
	store := &flaky{EventStore: h.db}
	store.left.Store(2) // both deliveries fail: the rescuer fetches it again
	h.start(store, engine.Options{Window: w, Now: twoMonthsAhead, NakDelays: []time.Duration{10 * time.Millisecond}})
	e := event("rescued-ahead", entA, "wage_arrears")
	e.OccurredAt = sent.Add(time.Hour) // inside the window by the engine's clock, not by the broker's
	h.publishEvent(e)
	waitFor(t, "the dead letter", func() bool { return len(h.deadLetters()) == 1 })
	if d := h.deadLetters()["rescued-ahead"]; d.Reason != gridwarn.ReasonDateOutOfWindow {
		t.Errorf("dead letter %+v, want %s", d, gridwarn.ReasonDateOutOfWindow)
	}
}

// The subject's county must be the county of the enterprise the event is
// about: a publisher may publish only its county's subjects, so an event
// about another county's enterprise — or on a subject with no county at
// all — is set aside as wrong_county and opens no ticket.
func TestEventOnAnotherCountysSubjectIsADeadLetter(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{})
	pub := func(subject, id string) {
		data, _ := json.Marshal(event(id, entA, "wage_arrears"))
		h.publish(subject, id, data)
	}
	pub("gridwarn.events.999999", "other-county")
	pub("gridwarn.events.abc.def", "no-county")
	pub("gridwarn.events."+testutil.County+".town-a", "own-county-deeper")
	h.drained(10 * time.Second)

	ds := h.deadLetters()
	for id, subject := range map[string]string{"other-county": "gridwarn.events.999999", "no-county": "gridwarn.events.abc.def"} {
		d, ok := ds[id]
		if !ok || d.Reason != gridwarn.ReasonWrongCounty || d.Subject != subject ||
			!strings.Contains(d.Detail, testutil.County) || !strings.Contains(d.Detail, entA) {
			t.Errorf("%s: dead letter %+v (found %t), want %s naming county %s and %s", id, d, ok, gridwarn.ReasonWrongCounty, testutil.County, entA)
		}
	}
	if len(ds) != 2 {
		t.Errorf("dead letters = %d, want 2", len(ds))
	}
	if n := h.count("SELECT count(*) FROM events WHERE id = 'own-county-deeper'"); n != 1 {
		t.Errorf("an event on a deeper subject of its own county was not stored")
	}
	if n := h.count("SELECT count(*) FROM tickets"); n != 1 {
		t.Errorf("tickets = %d, want 1 (from the own-county event only)", n)
	}
}
