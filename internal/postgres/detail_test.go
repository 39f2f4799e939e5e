package postgres_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The detail reads every part of a ticket in one statement, each part an
// array of records (issue 18, goal 5). Every field of every part must come
// back as a plain read of its table gives it: nulls, arrays, JSON,
// reporters, the stream sequence and the order included.
func TestTicketDetailPartsAsStored(t *testing.T) {
	db, _ := testutil.MustOpenDB(t)
	d := testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	e := d.Enterprises[0]
	owed, months, collective := 120000.5, 2.5, true
	workers := 40
	var ins []gridwarn.Incoming
	for i, at := range []time.Time{t0.Add(2 * time.Hour), t0, t0.Add(time.Hour)} { // stored out of order
		in := incoming([]string{"dp-c", "dp-a", "dp-b"}[i], e.CreditCode, "wage_arrears", workers, at)
		in.Enterprise = e
		in.StreamSeq = uint64(7 + i)
		if i == 1 {
			in.Event.AmountOwedCNY, in.Event.MonthsInArrears, in.Event.Collective = &owed, &months, &collective
			in.Event.Action, in.Event.Summary = "petition", "两个月未发工资"
			in.Event.Reporter = &gridwarn.Reporter{Kind: gridwarn.ReporterKind("grid_worker"), ID: "gw-1"}
		}
		ins = append(ins, in)
	}
	if _, err := db.ApplyBatch(ctx, ins, nil); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Pool().QueryRow(ctx, `SELECT ticket_id FROM events WHERE id = 'dp-a'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `WITH n AS (
INSERT INTO ticket_notes (ticket_id, author, visibility, body) VALUES ($1, 'a', 'internal', 'one'), ($1, 'b', 'shareable', 'two')), c AS (
INSERT INTO ticket_contacts (ticket_id, author, kind, held_at, place, attendees, summary)
VALUES ($1, 'a', 'site_visit', '2026-11-02 09:30+08', '厂区', '{张三,李四}', 'ok'), ($1, 'b', 'phone_call', '2026-11-03 10:00+08', '', '{}', '')), p AS (
INSERT INTO payment_followups (ticket_id, due_on, tier, paid, recorded_at)
VALUES ($1, '2026-12-20', 'town', NULL, NULL), ($1, '2026-12-10', 'town', true, '2026-12-10 18:00+08'))
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at, reminded_at, stopped_at, stop_reason)
VALUES ($1, 'town', 'accept', '2026-11-01 08:00+08', '2026-11-01 20:00+08', '2026-11-02 08:00+08', '2026-11-01 20:01+08', '2026-11-01 21:00+08', 'accepted'),
       ($1, 'town', 'resolve', '2026-11-01 08:00+08', '2026-11-20 08:00+08', '2026-11-30 08:00+08', NULL, NULL, NULL)`,
		id); err != nil {
		t.Fatal(err)
	}

	got, err := db.Ticket(ctx, gridwarn.Visibility{All: true}, id)
	if err != nil {
		t.Fatal(err)
	}

	// What each table holds, read row by row.
	q := func(sql string, scan func(pgx.Rows) error) {
		t.Helper()
		rows, _ := db.Pool().Query(ctx, sql, id)
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var events []gridwarn.StoredEvent
	q(`SELECT id, occurred_at, amount_owed_cny::float8, months_in_arrears::float8, collective, coalesce(action, ''),
       coalesce(summary, ''), reporter_kind, coalesce(reporter_id, ''), stream_seq, received_at, decision, level
FROM events WHERE ticket_id = $1 ORDER BY occurred_at, id`, func(r pgx.Rows) error {
		var (
			ev   gridwarn.StoredEvent
			kind *string
			rid  string
			seq  int64
		)
		err := r.Scan(&ev.ID, &ev.OccurredAt, &ev.AmountOwedCNY, &ev.MonthsInArrears, &ev.Collective, &ev.Action,
			&ev.Summary, &kind, &rid, &seq, &ev.ReceivedAt, &ev.Decision, &ev.Level)
		if kind != nil {
			ev.Reporter = &gridwarn.Reporter{Kind: gridwarn.ReporterKind(*kind), ID: rid}
		}
		ev.StreamSeq = uint64(seq)
		events = append(events, ev)
		return err
	})
	if len(got.Events) != 3 || len(events) != 3 {
		t.Fatalf("events: detail %d, table %d, want 3", len(got.Events), len(events))
	}
	for i, w := range events {
		g := got.Events[i]
		if g.ID != w.ID || !g.OccurredAt.Equal(w.OccurredAt) || !reflect.DeepEqual(g.AmountOwedCNY, w.AmountOwedCNY) ||
			!reflect.DeepEqual(g.MonthsInArrears, w.MonthsInArrears) || !reflect.DeepEqual(g.Collective, w.Collective) ||
			g.Action != w.Action || g.Summary != w.Summary || g.StreamSeq != w.StreamSeq || !g.ReceivedAt.Equal(w.ReceivedAt) ||
			!reflect.DeepEqual(g.Decision, w.Decision) || g.Level != w.Level || g.TicketID != id || g.Enterprise != e.CreditCode ||
			g.Category != "wage_arrears" || g.WorkersInvolved == nil || *g.WorkersInvolved != workers {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
		if (g.Reporter == nil) != (w.Reporter == nil) || g.Reporter != nil && g.Reporter.Kind != w.Reporter.Kind {
			t.Errorf("event %d: reporter %+v, want %+v", i, g.Reporter, w.Reporter)
		}
	}
	if got.Events[0].ID != "dp-a" || got.Events[2].ID != "dp-c" || got.Events[0].StreamSeq != 8 {
		t.Errorf("events in the order %s %s %s (first seq %d), want dp-a dp-b dp-c (8)", got.Events[0].ID, got.Events[1].ID, got.Events[2].ID, got.Events[0].StreamSeq)
	}
	if r := got.Events[0].Reporter; r == nil || r.Kind != gridwarn.ReporterKind("grid_worker") || r.ID == "gw-1" || r.ID == "" {
		t.Errorf("the grid worker's event has reporter %+v, want its pseudonym", r)
	}

	var history []gridwarn.HistoryEntry
	q(`SELECT id, ticket_id, at, actor, kind, coalesce(event_id, ''), coalesce(from_value, ''), coalesce(to_value, ''),
       coalesce(note, ''), data FROM ticket_history WHERE ticket_id = $1 ORDER BY id`, func(r pgx.Rows) error {
		var h gridwarn.HistoryEntry
		err := r.Scan(&h.ID, &h.TicketID, &h.At, &h.Actor, &h.Kind, &h.EventID, &h.From, &h.To, &h.Note, &h.Data)
		history = append(history, h)
		return err
	})
	if len(history) < 3 || !reflect.DeepEqual(got.History, history) {
		t.Errorf("history:\n got %+v\nwant %+v", got.History, history)
	}

	var clocks []gridwarn.Clock
	q(`SELECT tier, kind, started_at, remind_at, due_at, reminded_at, breached_at, stopped_at, coalesce(stop_reason, '')
FROM ticket_clocks WHERE ticket_id = $1 ORDER BY id`, func(r pgx.Rows) error {
		var c gridwarn.Clock
		err := r.Scan(&c.Tier, &c.Kind, &c.StartedAt, &c.RemindAt, &c.DueAt, &c.RemindedAt, &c.BreachedAt, &c.StoppedAt, &c.StopReason)
		clocks = append(clocks, c)
		return err
	})
	if len(clocks) < 2 || !reflect.DeepEqual(got.Clocks, clocks) {
		t.Errorf("clocks:\n got %+v\nwant %+v", got.Clocks, clocks)
	}

	if len(got.Notes) != 2 || got.Notes[0].Body != "one" || got.Notes[1].Visibility != "shareable" || got.Notes[1].Author != "b" ||
		got.Notes[0].ID >= got.Notes[1].ID || got.Notes[0].CreatedAt.IsZero() {
		t.Errorf("notes: %+v", got.Notes)
	}
	held := time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)
	if len(got.Contacts) != 2 || !got.Contacts[0].HeldAt.Equal(held) || got.Contacts[0].Place != "厂区" ||
		!reflect.DeepEqual(got.Contacts[0].Attendees, []string{"张三", "李四"}) || got.Contacts[0].Kind != "site_visit" ||
		got.Contacts[0].Summary != "ok" || len(got.Contacts[1].Attendees) != 0 || got.Contacts[1].Kind != "phone_call" {
		t.Errorf("contacts: %+v", got.Contacts)
	}
	if len(got.FollowUps) != 2 || got.FollowUps[0].DueOn != "2026-12-10" || got.FollowUps[0].Paid == nil || !*got.FollowUps[0].Paid ||
		got.FollowUps[0].RecordedAt == nil || got.FollowUps[1].DueOn != "2026-12-20" || got.FollowUps[1].Paid != nil ||
		got.FollowUps[1].RecordedAt != nil || got.FollowUps[1].Tier != gridwarn.TierTown {
		t.Errorf("follow-ups: %+v", got.FollowUps)
	}
	if got.Referrals == nil || len(got.Referrals) != 0 {
		t.Errorf("referrals: %#v, want an empty list", got.Referrals)
	}
}
