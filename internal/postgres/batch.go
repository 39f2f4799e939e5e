package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.EventStore = (*DB)(nil)

// ApplyBatch records a batch in one transaction: the dead letters, each new
// event once (the inbox), the tickets the events are grouped into (opened or
// updated, one open ticket per enterprise and category) and the history of
// every change. Either all of it commits or none of it does; the caller
// acknowledges the messages only after this returns nil.
func (db *DB) ApplyBatch(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter) (gridwarn.BatchResult, error) {
	var res gridwarn.BatchResult
	p := db.clockPlanner()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		res, err = applyBatch(ctx, tx, items, dead, p)
		return err
	})
	if err != nil {
		return gridwarn.BatchResult{}, translate(err, "apply batch")
	}
	return res, nil
}

func applyBatch(ctx context.Context, tx pgx.Tx, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, p gridwarn.ClockPlanner) (gridwarn.BatchResult, error) {
	var res gridwarn.BatchResult
	n, err := insertDeadLetters(ctx, tx, dead)
	if err != nil {
		return res, err
	}
	res.DeadLetters = n
	if len(items) == 0 {
		return res, nil
	}

	fresh, err := claimInbox(ctx, tx, items)
	if err != nil {
		return res, err
	}
	res.Stored, res.Duplicates = len(fresh), len(items)-len(fresh)
	if len(fresh) == 0 {
		return res, nil
	}

	groups := groupByTicket(fresh)
	opened, err := resolveTickets(ctx, tx, groups, absorbs(p))
	if err != nil {
		return res, err
	}
	res.TicketsOpened = opened
	groups = mergeByTicket(groups)

	if err := updateTickets(ctx, tx, groups); err != nil {
		return res, err
	}
	if err := copyEvents(ctx, tx, groups); err != nil {
		return res, err
	}
	if err := copyHistory(ctx, tx, groups); err != nil {
		return res, err
	}
	return res, startAndAnnounce(ctx, tx, groups, p)
}

// startAndAnnounce starts the clocks of every ticket that entered a tier
// and writes the notifications of the batch into the outbox.
func startAndAnnounce(ctx context.Context, tx pgx.Tx, groups []*group, p gridwarn.ClockPlanner) error {
	var now time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return err
	}
	var st stmts
	for _, g := range groups {
		n := ticketNote{TicketID: g.ticket, Enterprise: g.key.enterprise, Category: g.key.category, Level: g.newLevel,
			Tier: g.newTier, CountyCode: gridwarn.Event{Enterprise: g.key.enterprise}.CountyCode(), TownCode: g.ent.TownCode, At: now}
		if g.ent.TownCode != "" {
			n.CountyCode = gridwarn.CountyOf(g.ent.TownCode)
		}
		if g.opened || g.newTier != g.oldTier {
			startClocks(&st, p, g.ticket, g.newTier, g.newLevel, now, "escalated", g.opened)
		}
		switch {
		case g.opened:
			enqueue(&st, "ticket.opened", n)
			continue
		case g.newTier != g.oldTier:
			t := n
			t.FromTier = string(g.oldTier)
			enqueue(&st, "ticket.tier_changed", t)
		}
		if g.newLevel != g.oldLevel {
			l := n
			l.FromLevel = string(g.oldLevel)
			enqueue(&st, "ticket.level_raised", l)
		}
	}
	if err := st.send(ctx, tx); err != nil {
		return fmt.Errorf("clocks and notifications: %w", err)
	}
	return nil
}

// claimInbox records the batch's event ids and returns the items seen for
// the first time, in batch order. An id repeated within the batch counts
// once (the first occurrence wins). A concurrent engine holding the same id
// makes this wait for its commit and then skip the id.
func claimInbox(ctx context.Context, tx pgx.Tx, items []gridwarn.Incoming) ([]gridwarn.Incoming, error) {
	first := make(map[string]int, len(items))
	ids := make([]string, 0, len(items))
	for i, it := range items {
		if _, dup := first[it.Event.ID]; !dup {
			first[it.Event.ID] = i
			ids = append(ids, it.Event.ID)
		}
	}
	// Claim in one order so that two engines claiming overlapping ids wait
	// for each other instead of deadlocking.
	slices.Sort(ids)
	seqs := make([]int64, len(ids))
	for i, id := range ids {
		seqs[i] = int64(items[first[id]].StreamSeq)
	}
	const q = `
INSERT INTO inbox (event_id, stream_seq)
SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id`
	rows, err := tx.Query(ctx, q, ids, seqs)
	if err != nil {
		return nil, fmt.Errorf("claim inbox: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("claim inbox: %w", err)
	}
	idx := make([]int, 0, len(claimed))
	for _, id := range claimed {
		idx = append(idx, first[id])
	}
	slices.Sort(idx)
	out := make([]gridwarn.Incoming, 0, len(idx))
	for _, i := range idx {
		out = append(out, items[i])
	}
	return out, nil
}

type ticketKey struct {
	enterprise string
	category   gridwarn.Category
}

// group is the new events of one (enterprise, category) and the ticket they
// join: its state before this batch and after.
type group struct {
	key    ticketKey
	ent    gridwarn.Enterprise
	items  []gridwarn.Incoming
	level  gridwarn.Level // the highest decided level in the batch
	tier   gridwarn.Tier  // the highest decided tier in the batch
	first  time.Time
	last   time.Time
	rules  string
	ticket int64
	opened bool // the ticket was opened by this batch
	// absorbed: the events joined the enterprise's open county-tier ticket
	// of another category instead of opening a lower-tier ticket.
	absorbed bool
	// The ticket before the batch (for existing tickets) and after.
	oldLevel, newLevel gridwarn.Level
	oldTier, newTier   gridwarn.Tier
}

// groupByTicket groups events by (enterprise, category), sorted by key so
// that concurrent engines lock tickets in one order and cannot deadlock.
func groupByTicket(items []gridwarn.Incoming) []*group {
	m := make(map[ticketKey]*group)
	var out []*group
	for _, it := range items {
		k := ticketKey{it.Event.Enterprise, it.Event.Category}
		g := m[k]
		if g == nil {
			g = &group{key: k, ent: it.Enterprise, first: it.Event.OccurredAt, last: it.Event.OccurredAt}
			m[k] = g
			out = append(out, g)
		}
		g.items = append(g.items, it)
		g.level = gridwarn.MaxLevel(g.level, it.Decision.Level)
		g.tier = gridwarn.MaxTier(g.tier, it.Decision.Tier)
		if it.Event.OccurredAt.Before(g.first) {
			g.first = it.Event.OccurredAt
		}
		if it.Event.OccurredAt.After(g.last) {
			g.last = it.Event.OccurredAt
		}
		g.rules = it.Decision.RulesVersion
	}
	slices.SortFunc(out, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.key.enterprise, b.key.enterprise), cmp.Compare(a.key.category, b.key.category))
	})
	return out
}

// resolveTickets finds (and locks) the open ticket of every group or opens
// one. It returns how many it opened.
func resolveTickets(ctx context.Context, tx pgx.Tx, groups []*group, absorb bool) (int, error) {
	pending := groups
	opened := 0
	// Each round locks the open tickets that exist and opens the missing
	// ones. A ticket another engine opened meanwhile makes the insert skip
	// that key (after the other commits), and the next round locks it. A
	// round only repeats when a race was lost, so a few rounds suffice.
	for round := 0; round < 5 && len(pending) > 0; round++ {
		if err := lockOpenTickets(ctx, tx, pending); err != nil {
			return opened, err
		}
		var missing []*group
		for _, g := range pending {
			if g.ticket == 0 {
				missing = append(missing, g)
			}
		}
		if absorb {
			if err := absorbIntoCounty(ctx, tx, missing); err != nil {
				return opened, err
			}
			missing = slices.DeleteFunc(missing, func(g *group) bool { return g.ticket != 0 })
		}
		n, err := openTickets(ctx, tx, missing)
		if err != nil {
			return opened, err
		}
		opened += n
		pending = pending[:0:0]
		for _, g := range missing {
			if g.ticket == 0 {
				pending = append(pending, g)
			}
		}
	}
	if len(pending) > 0 {
		return opened, &gridwarn.Error{Code: gridwarn.EUNAVAILABLE,
			Message: fmt.Sprintf("could not settle the open ticket of %d enterprise/category pairs; retry", len(pending))}
	}
	return opened, nil
}

// absorbs reports whether the rules want an open county-tier ticket to
// absorb an enterprise's new lower-tier signals.
func absorbs(p gridwarn.ClockPlanner) bool {
	a, ok := p.(interface{ CountyAbsorbs() bool })
	return ok && a.CountyAbsorbs()
}

// absorbIntoCounty attaches each group that would open a lower-tier ticket
// to its enterprise's open county-tier ticket, if it has one.
func absorbIntoCounty(ctx context.Context, tx pgx.Tx, groups []*group) error {
	var ents []string
	for _, g := range groups {
		if g.tier != gridwarn.TierCounty {
			ents = append(ents, g.key.enterprise)
		}
	}
	if len(ents) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, `
SELECT id, enterprise, category, level FROM tickets
WHERE enterprise = ANY($1) AND status NOT IN ('closed', 'merged') AND tier = 'county'
ORDER BY enterprise, id
FOR UPDATE`, ents)
	type county struct {
		id       int64
		category gridwarn.Category
		level    gridwarn.Level
	}
	found := map[string]county{}
	var (
		c   county
		ent string
	)
	if _, err := pgx.ForEachRow(rows, []any{&c.id, &ent, &c.category, &c.level}, func() error {
		if _, dup := found[ent]; !dup {
			found[ent] = c
		}
		return nil
	}); err != nil {
		return fmt.Errorf("absorb: %w", err)
	}
	for _, g := range groups {
		c, ok := found[g.key.enterprise]
		if !ok || g.tier == gridwarn.TierCounty {
			continue
		}
		g.ticket, g.absorbed = c.id, true
		g.key.category = c.category
		g.oldLevel, g.oldTier = c.level, gridwarn.TierCounty
		g.newLevel, g.newTier = gridwarn.MaxLevel(c.level, g.level), gridwarn.TierCounty
	}
	return nil
}

// mergeByTicket folds groups that landed on the same ticket (absorbed into
// one county ticket) into one, so each ticket is updated once.
func mergeByTicket(groups []*group) []*group {
	byTicket := make(map[int64]*group, len(groups))
	out := groups[:0]
	for _, g := range groups {
		m, ok := byTicket[g.ticket]
		if !ok {
			byTicket[g.ticket] = g
			out = append(out, g)
			continue
		}
		m.items = append(m.items, g.items...)
		m.level, m.tier = gridwarn.MaxLevel(m.level, g.level), gridwarn.MaxTier(m.tier, g.tier)
		m.newLevel, m.newTier = gridwarn.MaxLevel(m.newLevel, g.newLevel), gridwarn.MaxTier(m.newTier, g.newTier)
		if g.first.Before(m.first) {
			m.first = g.first
		}
		if g.last.After(m.last) {
			m.last = g.last
		}
		m.absorbed = m.absorbed || g.absorbed
	}
	return out
}

func lockOpenTickets(ctx context.Context, tx pgx.Tx, groups []*group) error {
	ents, cats := keys(groups)
	const q = `
SELECT t.id, t.enterprise, t.category, t.level, t.tier
FROM tickets t
JOIN unnest($1::text[], $2::text[]) AS k(enterprise, category)
  ON t.enterprise = k.enterprise AND t.category = k.category
WHERE t.status NOT IN ('closed', 'merged')
ORDER BY t.enterprise, t.category
FOR UPDATE OF t`
	rows, err := tx.Query(ctx, q, ents, cats)
	if err != nil {
		return fmt.Errorf("lock open tickets: %w", err)
	}
	byKey := make(map[ticketKey]*group, len(groups))
	for _, g := range groups {
		byKey[g.key] = g
	}
	var (
		id         int64
		ent, cat   string
		level, tir string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &ent, &cat, &level, &tir}, func() error {
		g := byKey[ticketKey{ent, gridwarn.Category(cat)}]
		g.ticket = id
		g.oldLevel, g.oldTier = gridwarn.Level(level), gridwarn.Tier(tir)
		g.newLevel = gridwarn.MaxLevel(g.oldLevel, g.level)
		g.newTier = gridwarn.MaxTier(g.oldTier, g.tier) // the tier only rises automatically
		return nil
	})
	if err != nil {
		return fmt.Errorf("lock open tickets: %w", err)
	}
	return nil
}

func openTickets(ctx context.Context, tx pgx.Tx, groups []*group) (int, error) {
	if len(groups) == 0 {
		return 0, nil
	}
	n := len(groups)
	ents, cats := keys(groups)
	levels, tiers := make([]string, n), make([]string, n)
	counts := make([]int32, n)
	firsts, lasts := make([]time.Time, n), make([]time.Time, n)
	rules := make([]string, n)
	counties, towns, grids := make([]string, n), make([]*string, n), make([]*string, n)
	for i, g := range groups {
		levels[i], tiers[i], counts[i] = string(g.level), string(g.tier), int32(len(g.items))
		firsts[i], lasts[i], rules[i] = g.first, g.last, g.rules
		counties[i] = gridwarn.Event{Enterprise: g.key.enterprise}.CountyCode()
		if g.ent.TownCode != "" {
			counties[i] = gridwarn.CountyOf(g.ent.TownCode)
		}
		towns[i], grids[i] = nilIfEmpty(g.ent.TownCode), nilIfEmpty(g.ent.GridCode)
	}
	const q = `
INSERT INTO tickets (status, enterprise, category, level, tier, event_count, first_event_at, last_event_at, rules_version,
                     county_code, town_code, grid_code)
SELECT 'dispatched', * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::text[],
                     $9::text[], $10::text[], $11::text[])
ON CONFLICT (enterprise, category) WHERE status NOT IN ('closed', 'merged') DO NOTHING
RETURNING id, enterprise, category`
	rows, err := tx.Query(ctx, q, ents, cats, levels, tiers, counts, firsts, lasts, rules, counties, towns, grids)
	if err != nil {
		return 0, fmt.Errorf("open tickets: %w", err)
	}
	byKey := make(map[ticketKey]*group, n)
	for _, g := range groups {
		byKey[g.key] = g
	}
	var (
		id       int64
		ent, cat string
		opened   int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &ent, &cat}, func() error {
		g := byKey[ticketKey{ent, gridwarn.Category(cat)}]
		g.ticket, g.opened = id, true
		g.newLevel, g.newTier = g.level, g.tier
		opened++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("open tickets: %w", err)
	}
	return opened, nil
}

func keys(groups []*group) (ents, cats []string) {
	ents, cats = make([]string, len(groups)), make([]string, len(groups))
	for i, g := range groups {
		ents[i], cats[i] = g.key.enterprise, string(g.key.category)
	}
	return ents, cats
}

// updateTickets applies the batch to the tickets that existed before it.
func updateTickets(ctx context.Context, tx pgx.Tx, groups []*group) error {
	var (
		ids           []int64
		levels, tiers []string
		counts        []int32
		firsts, lasts []time.Time
	)
	for _, g := range groups {
		if g.opened {
			continue
		}
		ids = append(ids, g.ticket)
		levels, tiers = append(levels, string(g.newLevel)), append(tiers, string(g.newTier))
		counts = append(counts, int32(len(g.items)))
		firsts, lasts = append(firsts, g.first), append(lasts, g.last)
	}
	if len(ids) == 0 {
		return nil
	}
	const q = `
UPDATE tickets t SET
    level          = u.level,
    tier           = u.tier,
    event_count    = t.event_count + u.n,
    first_event_at = least(t.first_event_at, u.first),
    last_event_at  = greatest(t.last_event_at, u.last),
    updated_at     = now(),
    version        = t.version + 1
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])
    AS u(id, level, tier, n, first, last)
WHERE t.id = u.id`
	if _, err := tx.Exec(ctx, q, ids, levels, tiers, counts, firsts, lasts); err != nil {
		return fmt.Errorf("update tickets: %w", err)
	}
	return nil
}

var eventColumns = []string{
	"id", "ticket_id", "enterprise", "category", "occurred_at", "reported_at", "workers_involved",
	"amount_owed_cny", "months_in_arrears", "collective", "action", "summary", "reporter_kind",
	"reporter_id", "level", "decision", "subject", "stream_seq",
}

func copyEvents(ctx context.Context, tx pgx.Tx, groups []*group) error {
	var rows [][]any
	for _, g := range groups {
		for _, it := range g.items {
			e := it.Event
			var kind, rid *string
			if e.Reporter != nil {
				k := string(e.Reporter.Kind)
				kind, rid = &k, nilIfEmpty(e.Reporter.ID)
			}
			dec, err := json.Marshal(it.Decision)
			if err != nil {
				return fmt.Errorf("encode decision: %w", err)
			}
			rows = append(rows, []any{
				e.ID, g.ticket, e.Enterprise, string(e.Category), e.OccurredAt, e.ReportedAt, e.WorkersInvolved,
				e.AmountOwedCNY, e.MonthsInArrears, e.Collective, nilIfEmpty(string(e.Action)), nilIfEmpty(e.Summary), kind,
				rid, string(it.Decision.Level), dec, it.Subject, int64(it.StreamSeq),
			})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	return nil
}

var historyColumns = []string{"ticket_id", "actor", "kind", "event_id", "from_value", "to_value", "data"}

func copyHistory(ctx context.Context, tx pgx.Tx, groups []*group) error {
	var rows [][]any
	add := func(g *group, kind gridwarn.HistoryKind, eventID, from, to string, data []byte) {
		rows = append(rows, []any{g.ticket, gridwarn.ActorEngine, string(kind), nilIfEmpty(eventID), nilIfEmpty(from), nilIfEmpty(to), data})
	}
	for _, g := range groups {
		if g.opened {
			data, _ := json.Marshal(map[string]any{"tier": g.newTier, "rules_version": g.rules})
			add(g, gridwarn.HistoryOpened, "", "", string(g.newLevel), data)
		}
		for _, it := range g.items {
			data, err := json.Marshal(it.Decision)
			if err != nil {
				return fmt.Errorf("encode decision: %w", err)
			}
			if it.Event.Category != g.key.category { // absorbed into the county ticket of another category
				data, _ = json.Marshal(map[string]any{"decision": it.Decision, "absorbed_category": it.Event.Category})
			}
			add(g, gridwarn.HistoryEventAttached, it.Event.ID, "", string(it.Decision.Level), data)
		}
		if !g.opened && g.newLevel != g.oldLevel {
			add(g, gridwarn.HistoryLevelRaised, "", string(g.oldLevel), string(g.newLevel), nil)
		}
		if !g.opened && g.newTier != g.oldTier {
			add(g, gridwarn.HistoryTierChanged, "", string(g.oldTier), string(g.newTier), nil)
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ticket_history"}, historyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy history: %w", err)
	}
	return nil
}

func insertDeadLetters(ctx context.Context, tx pgx.Tx, dead []gridwarn.DeadLetter) (int, error) {
	if len(dead) == 0 {
		return 0, nil
	}
	n := len(dead)
	streams, subjects, msgIDs, eventIDs := make([]string, n), make([]string, n), make([]*string, n), make([]*string, n)
	reasons, details := make([]string, n), make([]string, n)
	raws := make([][]byte, n)
	seqs := make([]int64, n)
	deliveries := make([]int32, n)
	for i, d := range dead {
		streams[i], subjects[i], msgIDs[i], eventIDs[i] = d.Stream, d.Subject, nilIfEmpty(d.MsgID), nilIfEmpty(d.EventID)
		reasons[i], details[i], raws[i], seqs[i], deliveries[i] = string(d.Reason), d.Detail, d.Raw, int64(d.StreamSeq), int32(d.Deliveries)
		if raws[i] == nil {
			raws[i] = []byte{}
		}
	}
	const q = `
INSERT INTO dead_letters (stream, stream_seq, subject, msg_id, event_id, reason, detail, raw, deliveries)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::int[])
ON CONFLICT (stream, stream_seq) DO NOTHING`
	tag, err := tx.Exec(ctx, q, streams, seqs, subjects, msgIDs, eventIDs, reasons, details, raws, deliveries)
	if err != nil {
		return 0, fmt.Errorf("insert dead letters: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
