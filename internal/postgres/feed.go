package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// This file owns the feed tables (migration 00030): feed, feed_state and
// feed_destinations. The feed is derived from ticket_history, whoever
// wrote the line; nothing here writes a ticket or the history.
//
// Order (DECISIONS D3). Each history line carries its ticket's sequence
// and its transaction's id (xact), both written by the history's trigger
// in the transaction of the change. Positions are assigned by one step at
// a time (an advisory lock) and only to lines whose transaction lies below
// the oldest transaction still in flight (pg_snapshot_xmin), so a line can
// never appear behind a position a reader has already passed; and a
// ticket's line only once the line before it is positioned, so positions
// keep each ticket's sequence order.

var _ gridwarn.FeedService = (*DB)(nil)

// feedStep is the most lines one positioning step reads.
const feedStep = 2000

// feedLock is the advisory lock of the positioning step.
const feedLock = "gridwarn.feed"

// PositionFeed positions the history lines that are ready, in serialized
// steps, and returns how many it positioned. When another replica is
// positioning it returns at once.
func (db *DB) PositionFeed(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := db.positionFeed(ctx, feedStep)
		total += n
		if err != nil || !more || n == 0 {
			return total, err
		}
	}
}

type feedLine struct {
	id       int64
	at       time.Time
	ticketID int64
	seq      int64
	xact     uint64
}

func (db *DB) positionFeed(ctx context.Context, limit int) (n int, more bool, err error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, false, translate(err, "feed")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, feedLock).Scan(&ok); err != nil {
		return 0, false, translate(err, "feed lock")
	}
	if !ok {
		return 0, false, nil
	}
	// The horizon first: every transaction below it has ended, so the
	// later statements see all that it committed.
	var horizonText, lowText string
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text, (SELECT low::text FROM feed_state)`).
		Scan(&horizonText, &lowText); err != nil {
		return 0, false, translate(err, "feed horizon")
	}
	horizon, _ := strconv.ParseUint(horizonText, 10, 64)
	scan := func(rows pgx.Rows) ([]feedLine, error) {
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (feedLine, error) {
			var l feedLine
			var x string
			err := r.Scan(&l.id, &l.at, &l.ticketID, &l.seq, &x)
			l.xact, _ = strconv.ParseUint(x, 10, 64)
			return l, err
		})
	}
	rows, _ := tx.Query(ctx, `
SELECT h.id, h.at, h.ticket_id, h.seq, h.xact::text FROM ticket_history h
WHERE h.xact IS NOT NULL AND h.xact >= $1::text::xid8 AND h.xact < $2::text::xid8
  AND NOT EXISTS (SELECT 1 FROM feed f WHERE f.ticket_id = h.ticket_id AND f.seq = h.seq)
ORDER BY h.xact, h.id LIMIT $3`, lowText, horizonText, limit)
	page, err := scan(rows)
	if err != nil {
		return 0, false, translate(err, "feed lines")
	}
	full := len(page) == limit
	newLow := horizon
	if full {
		newLow = page[len(page)-1].xact
	}
	var assigned []feedPosition
	if len(page) > 0 {
		// Every ready line of the page's tickets, so that a line whose
		// predecessor lies beyond the page is not held for nothing.
		tickets := make([]int64, 0, len(page))
		for _, l := range page {
			tickets = append(tickets, l.ticketID)
		}
		slices.Sort(tickets)
		tickets = slices.Compact(tickets)
		rows, _ := tx.Query(ctx, `
SELECT h.id, h.at, h.ticket_id, h.seq, h.xact::text FROM ticket_history h
WHERE h.ticket_id = ANY($1) AND h.xact IS NOT NULL AND h.xact < $2::text::xid8
  AND h.seq > coalesce((SELECT max(f.seq) FROM feed f WHERE f.ticket_id = h.ticket_id), 0)`, tickets, horizonText)
		lines, err := scan(rows)
		if err != nil {
			return 0, false, translate(err, "feed lines")
		}
		last := map[int64]int64{}
		rows, _ = tx.Query(ctx, `SELECT ticket_id, max(seq) FROM feed WHERE ticket_id = ANY($1) GROUP BY ticket_id`, tickets)
		var t, s int64
		if _, err := pgx.ForEachRow(rows, []any{&t, &s}, func() error { last[t] = s; return nil }); err != nil {
			return 0, false, translate(err, "feed sequences")
		}
		var next int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(position), 0) + 1 FROM feed`).Scan(&next); err != nil {
			return 0, false, translate(err, "feed position")
		}
		var held []feedLine
		assigned, held = planPositions(lines, last, next)
		for _, h := range held {
			newLow = min(newLow, h.xact)
		}
	}
	if len(assigned) > 0 {
		n := len(assigned)
		pos, tickets, seqs, ids := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ats := make([]time.Time, n)
		for i, a := range assigned {
			pos[i], tickets[i], seqs[i], ids[i], ats[i] = a.position, a.line.ticketID, a.line.seq, a.line.id, a.line.at
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO feed (position, ticket_id, seq, history_id, history_at, county_code)
SELECT u.position, u.ticket_id, u.seq, u.history_id, u.history_at, t.county_code
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[]) AS u(position, ticket_id, seq, history_id, history_at)
JOIN tickets t ON t.id = u.ticket_id`, pos, tickets, seqs, ids, ats); err != nil {
			return 0, false, translate(err, "feed positions")
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE feed_state SET low = greatest(low, $1::text::xid8)`, strconv.FormatUint(newLow, 10)); err != nil {
		return 0, false, translate(err, "feed state")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, translate(err, "feed")
	}
	return len(assigned), full, nil
}

type feedPosition struct {
	position int64
	line     feedLine
}

// planPositions decides the positions of ready lines: a ticket's lines are
// positioned only in an unbroken run after its last positioned sequence
// (last), the rest are held; the positions, from next on, follow the
// lines' (transaction, id) order, except that each ticket's lines take its
// slots in sequence order. It is pure.
func planPositions(lines []feedLine, last map[int64]int64, next int64) (assigned []feedPosition, held []feedLine) {
	byTicket := map[int64][]feedLine{}
	for _, l := range lines {
		byTicket[l.ticketID] = append(byTicket[l.ticketID], l)
	}
	var chosen []feedLine
	bySeq := map[int64][]feedLine{}
	for t, ls := range byTicket {
		slices.SortFunc(ls, func(a, b feedLine) int { return compareInt(a.seq, b.seq) })
		want := last[t] + 1
		i := 0
		for ; i < len(ls) && ls[i].seq == want; i++ {
			want++
		}
		if i < len(ls) && ls[i].seq < want {
			// A duplicate sequence cannot happen (the trigger counts under
			// the ticket's lock); keep it out rather than position it twice.
			i = len(ls)
		}
		chosen = append(chosen, ls[:i]...)
		bySeq[t] = ls[:i]
		held = append(held, ls[i:]...)
	}
	slices.SortFunc(chosen, func(a, b feedLine) int {
		if a.xact != b.xact {
			if a.xact < b.xact {
				return -1
			}
			return 1
		}
		return compareInt(a.id, b.id)
	})
	taken := map[int64]int{}
	for i, slot := range chosen {
		t := slot.ticketID
		l := bySeq[t][taken[t]]
		taken[t]++
		assigned = append(assigned, feedPosition{position: next + int64(i), line: l})
	}
	return assigned, held
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const feedColumns = `f.position, f.ticket_id, f.seq, h.at, h.actor, h.kind, coalesce(h.from_value, ''), coalesce(h.to_value, ''),
       coalesce(h.status, ''), coalesce(h.level, ''), coalesce(h.tier, ''), t.category, t.enterprise, coalesce(e.name, ''),
       t.county_code, coalesce(t.town_code, ''), coalesce(wo.work_order, ''), coalesce(wo.platform_order, '')`

const feedFrom = `
FROM feed f
JOIN ticket_history h ON h.id = f.history_id AND h.at = f.history_at
JOIN tickets t ON t.id = f.ticket_id
LEFT JOIN enterprises e ON e.credit_code = t.enterprise
LEFT JOIN LATERAL (
    -- The first 12351 work order from a city or province platform that
    -- fed the ticket (its event is on the ticket): the reply goes back
    -- with its number. The partial index of migration 00037 holds only
    -- such cases, so a ticket of an enterprise without one costs a probe.
    SELECT hc.work_order, hc.platform_order FROM hotline_cases hc
    WHERE hc.enterprise = t.enterprise AND hc.platform_order IS NOT NULL AND hc.event_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM events ev WHERE ev.id = hc.event_id AND ev.ticket_id = t.id)
    ORDER BY hc.id LIMIT 1) wo ON true`

func scanFeed(r pgx.CollectableRow) (gridwarn.FeedEvent, error) {
	var x gridwarn.FeedRecord
	err := r.Scan(&x.Position, &x.TicketID, &x.Seq, &x.At, &x.Actor, &x.Kind, &x.From, &x.To, &x.Status, &x.Level, &x.Tier,
		&x.Category, &x.CreditCode, &x.EnterpriseName, &x.CountyCode, &x.TownCode, &x.WorkOrder, &x.PlatformOrder)
	return gridwarn.FeedEventOf(x), err
}

// Feed implements gridwarn.FeedService: it positions what is ready, then
// reads the changes after position after inside v.
func (db *DB) Feed(ctx context.Context, v gridwarn.Visibility, after int64, limit int) (gridwarn.FeedPage, error) {
	page := gridwarn.FeedPage{Events: []gridwarn.FeedEvent{}, NextAfter: after}
	if !v.All && (v.CountyCode == "" || len(v.GridCodes) > 0 || v.ReporterID != "") {
		return page, gridwarn.Errorf(gridwarn.EFORBIDDEN, "the feed is served to a county or town scope")
	}
	if limit <= 0 {
		limit = gridwarn.FeedDefaultLimit
	}
	limit = min(limit, gridwarn.FeedMaxLimit)
	if _, err := db.PositionFeed(ctx); err != nil {
		return page, err
	}
	var w where
	w.add("f.position > %s", after)
	if !v.All {
		w.add("f.county_code = %s", v.CountyCode)
		if v.TownCode != "" {
			w.add("t.town_code = %s", v.TownCode)
		}
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+feedColumns+feedFrom+w.sql()+" ORDER BY f.position LIMIT "+w.arg(limit), w.args...)
	evs, err := pgx.CollectRows(rows, scanFeed)
	if err != nil {
		return page, translate(err, "feed")
	}
	page.Events = evs
	if len(evs) > 0 {
		page.NextAfter = evs[len(evs)-1].Position
	}
	return page, nil
}

// DeliverFeed hands the events after destination dest's position to
// deliver, oldest first, at most limit, and moves the position past those
// delivered. The destination's row stays locked meanwhile, so one relay
// delivers a destination at a time, in order. A destination whose last
// attempt failed waits until its next attempt is due; backoff says how
// long after a failure. It returns how many were delivered.
func (db *DB) DeliverFeed(ctx context.Context, dest string, now time.Time, limit int, backoff func(attempts int) time.Duration,
	deliver func(context.Context, []gridwarn.FeedEvent) (int, error)) (int, error) {
	if _, err := db.pool.Exec(ctx, `INSERT INTO feed_destinations (name, next_attempt_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, dest, now); err != nil {
		return 0, translate(err, "feed destination")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "feed destination")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var pos int64
	var attempts int
	err = tx.QueryRow(ctx, `SELECT position, attempts FROM feed_destinations WHERE name = $1 AND next_attempt_at <= $2
FOR UPDATE SKIP LOCKED`, dest, now).Scan(&pos, &attempts)
	if err == pgx.ErrNoRows {
		return 0, nil // not due, or another relay has it
	}
	if err != nil {
		return 0, translate(err, "feed destination")
	}
	rows, _ := tx.Query(ctx, "SELECT "+feedColumns+feedFrom+" WHERE f.position > $1 ORDER BY f.position LIMIT $2", pos, limit)
	evs, err := pgx.CollectRows(rows, scanFeed)
	if err != nil {
		return 0, translate(err, "feed")
	}
	if len(evs) == 0 {
		return 0, nil
	}
	n, derr := deliver(ctx, evs)
	n = min(max(n, 0), len(evs))
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if n > 0 {
		pos = evs[n-1].Position
	}
	if derr != nil {
		attempts++
		msg := derr.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		if n > 0 {
			attempts = 1
		}
		_, err = tx.Exec(dctx, `UPDATE feed_destinations SET position = $2, attempts = $3, next_attempt_at = $4, last_error = $5, updated_at = $6
WHERE name = $1`, dest, pos, attempts, now.Add(backoff(attempts)), msg, now)
	} else {
		_, err = tx.Exec(dctx, `UPDATE feed_destinations SET position = $2, attempts = 0, next_attempt_at = $3, last_error = NULL, updated_at = $3
WHERE name = $1`, dest, pos, now)
	}
	if err != nil {
		return n, translate(err, "feed destination")
	}
	if err := tx.Commit(dctx); err != nil {
		return n, translate(err, "feed destination")
	}
	if derr != nil {
		return n, fmt.Errorf("feed %s: %w", dest, derr)
	}
	return n, nil
}

// CreatePlatform registers the governance platform's account (role
// platform, the county's scope: it reads the feed and nothing else) with a
// token, in one transaction; the token's secret is returned once. Only a
// county-wide administrator may (v names a county and nothing narrower).
func (db *DB) CreatePlatform(ctx context.Context, v gridwarn.Visibility, req gridwarn.NewPlatform) (*gridwarn.User, *gridwarn.Token, string, error) {
	if v.CountyCode == "" || v.TownCode != "" || len(v.GridCodes) > 0 || v.ReporterID != "" {
		return nil, nil, "", gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a county administrator registers the county's platform accounts")
	}
	if err := req.Validate(); err != nil {
		return nil, nil, "", err
	}
	u := gridwarn.User{Username: req.Username, DisplayName: req.Name, Role: gridwarn.RolePlatform,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: v.CountyCode}}
	if err := checkUser(u, true); err != nil {
		return nil, nil, "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, "", err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var t gridwarn.Token
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
INSERT INTO users (username, display_name, role, scope_kind, scope_unit) VALUES ($1, $2, 'platform', 'county', $3)
RETURNING id, created_at`, u.Username, u.DisplayName, u.Scope.UnitCode).Scan(&u.ID, &u.CreatedAt); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
INSERT INTO tokens (user_id, name, prefix, hash) VALUES ($1, $2, $3, $4)
RETURNING id, user_id, name, prefix, created_at, expires_at`, u.ID, req.TokenName, secret[:10], hashToken(secret)).
			Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt)
	})
	if err != nil {
		return nil, nil, "", translate(err, "platform")
	}
	t.Username = u.Username
	return &u, &t, secret, nil
}
