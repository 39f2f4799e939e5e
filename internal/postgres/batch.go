package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
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
	now := db.now()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		numbered, err := db.feedNumbered(ctx, tx)
		if err != nil {
			return err
		}
		res, err = applyBatch(ctx, tx, items, dead, p, now, numbered)
		return err
	})
	if err != nil {
		return gridwarn.BatchResult{}, translate(err, "apply batch")
	}
	return res, nil
}

// ApplyDecided implements gridwarn.EventStore: the enterprises' locks, their
// histories and the decisions are taken inside the transaction that
// records the batch. The locks and the history's queries go in one round
// trip (they run in order, so the history is read under the locks).
func (db *DB) ApplyDecided(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, since time.Time, decide gridwarn.DecideFunc) (gridwarn.BatchResult, error) {
	var res gridwarn.BatchResult
	p := db.clockPlanner()
	now := db.now()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		codes, keys := enterpriseKeys(items)
		b := &pgx.Batch{}
		for _, k := range keys {
			b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, int32(enterpriseLockClass), k)
		}
		read := !since.IsZero() && len(codes) > 0
		if read {
			b.Queue(historySignalsSQL, codes, since, receivedSince(since))
			b.Queue(historyClosedSQL, codes, since)
		}
		var history map[string]gridwarn.History
		if b.Len() > 0 {
			br := tx.SendBatch(ctx, b)
			for range keys {
				if _, err := br.Exec(); err != nil {
					br.Close()
					return fmt.Errorf("lock enterprises: %w", err)
				}
			}
			if read {
				history = make(map[string]gridwarn.History, len(codes))
				rows, _ := br.Query()
				if err := collectSignals(rows, history); err != nil {
					br.Close()
					return err
				}
				rows, _ = br.Query()
				if err := collectClosed(rows, history); err != nil {
					br.Close()
					return err
				}
			}
			if err := br.Close(); err != nil {
				return fmt.Errorf("lock enterprises: %w", err)
			}
		}
		numbered, err := db.feedNumbered(ctx, tx)
		if err != nil {
			return err
		}
		res, err = applyBatch(ctx, tx, decide(history), dead, p, now, numbered)
		return err
	})
	if err != nil {
		return gridwarn.BatchResult{}, translate(err, "apply batch")
	}
	return res, nil
}

// enterpriseLockClass is the first key of the enterprises' advisory locks
// (pg_advisory_xact_lock(int, int)), apart from every other lock of gridwarn.
const enterpriseLockClass = 0x67770001

// enterpriseKeys returns the enterprises of items and the keys of their
// transaction-scoped advisory locks, in ascending order so that two
// batches sharing enterprises wait for each other instead of
// deadlocking. Two codes may hash to one key: they then merely wait for
// each other.
func enterpriseKeys(items []gridwarn.Incoming) (codes []string, keys []int32) {
	seen := map[string]bool{}
	for _, it := range items {
		code := it.Event.Enterprise
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
		h := fnv.New32a()
		_, _ = h.Write([]byte(code))
		keys = append(keys, int32(h.Sum32()))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	return codes, keys
}

func applyBatch(ctx context.Context, tx pgx.Tx, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, p gridwarn.ClockPlanner, now time.Time, numbered bool) (gridwarn.BatchResult, error) {
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
	res.StoredIDs = make([]string, len(fresh))
	for i, it := range fresh {
		res.StoredIDs[i] = it.Event.ID
	}
	if len(fresh) == 0 {
		return res, nil
	}

	groups := groupByTicket(fresh)
	opened, err := resolveTickets(ctx, tx, groups, p != nil && p.CountyAbsorbs(), now, numbered)
	if err != nil {
		return res, err
	}
	res.TicketsOpened = opened
	groups = mergeByTicket(groups)

	// The ladder's steps are decided first (pure), so that every history
	// line of the batch, the steps' own too, is numbered before any ticket
	// row is written (feed sequence, migrations 00030 and 00038).
	steps, err := moveTickets(groups, p, now)
	if err != nil {
		return res, err
	}
	lines, err := historyLines(groups, now)
	if err != nil {
		return res, err
	}
	if numbered {
		if err := numberHistory(groups, lines, steps); err != nil {
			return res, err
		}
	}
	plans := make([]plan, 0, len(steps)+2)
	for _, s := range steps {
		pl, err := planChange(s.c)
		if err != nil {
			return res, fmt.Errorf("ticket %d: %w", s.g.ticket, err)
		}
		plans = append(plans, pl)
	}

	if err := copyEvents(ctx, tx, groups); err != nil {
		return res, err
	}
	if err := copyHistory(ctx, tx, lines, numbered); err != nil {
		return res, err
	}
	news, err := announce(groups, now)
	if err != nil {
		return res, err
	}
	// One round trip: the tickets that existed, the ladder's steps, the
	// notifications, and the daily rollup last (its rows are shared by
	// every engine).
	return res, applyPlansAfter(ctx, tx, ticketUpdates(groups, now, numbered), append(plans, news, rollupPlan(groups))...)
}

// ladderStep is a step the batch takes on a ticket's ladder, decided but
// not yet planned (its history line's sequence is not known yet).
type ladderStep struct {
	g *group
	c change
}

// moveTickets decides, through the workflow with the engine as the actor,
// the steps the batch takes on the ladder: a ticket it opened is
// dispatched to the tier the rules route it to (its clocks start), and a
// ticket whose new signals route it higher than its tier is escalated
// straight to that tier (lease released, clocks of the new tier, a
// notification), as a tier head's escalation would. A referred ticket is
// not escalated (the workflow refuses): its level rises and its tier stays.
func moveTickets(groups []*group, p gridwarn.ClockPlanner, now time.Time) ([]ladderStep, error) {
	var steps []ladderStep
	for _, g := range groups {
		r := g.row
		r.Level = g.newLevel
		var (
			c   change
			err error
		)
		switch {
		case g.opened:
			c, err = systemChange(r, workflow.ActionDispatch, engineChanger, workflow.Input{}, now, p, "", nil)
		case g.newTier.Rank() > g.oldTier.Rank():
			c, err = systemChange(r, workflow.ActionEscalate, engineChanger, workflow.Input{ToTier: g.newTier}, now, p,
				fmt.Sprintf("new signals route the ticket to the %s tier", g.newTier), nil)
			var illegal *workflow.IllegalError
			if errors.As(err, &illegal) {
				g.newTier, err = g.oldTier, nil
				continue
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ticket %d: %w", g.ticket, err)
		}
		steps = append(steps, ladderStep{g: g, c: c})
	}
	return steps, nil
}

// announce plans the batch's own notifications: a ticket opened, a level
// raised. (A tier change is announced by the escalation's plan.)
func announce(groups []*group, now time.Time) (plan, error) {
	var st stmts
	for _, g := range groups {
		n := noteOf(g.row.Ticket, now)
		n.Level, n.Tier = g.newLevel, g.newTier
		switch {
		case g.opened:
			enqueue(&st, gridwarn.TopicTicketOpened, n)
		case g.newLevel != g.oldLevel:
			n.FromLevel = string(g.oldLevel)
			enqueue(&st, gridwarn.TopicLevelRaised, n)
		}
	}
	var p plan
	return p, p.take(&st)
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
	// row is the ticket as the batch found it (locked) or opened it: what
	// the workflow decides on.
	row    ticketRow
	opened bool // the ticket was opened by this batch
	// relapse: a decision of the group found a recently closed ticket of
	// the enterprise and category (the new ticket records which).
	relapse   bool
	relapseOf int64
	// absorbed: the events joined the enterprise's open county-tier ticket
	// of another category instead of opening a lower-tier ticket.
	absorbed bool
	// The ticket before the batch (for existing tickets) and after.
	oldLevel, newLevel gridwarn.Level
	oldTier, newTier   gridwarn.Tier
	// lastSeq is the feed sequence of the ticket's last history line of
	// the batch (numberHistory).
	lastSeq int64
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
		g.relapse = g.relapse || it.Decision.Relapse
	}
	slices.SortFunc(out, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.key.enterprise, b.key.enterprise), cmp.Compare(a.key.category, b.key.category))
	})
	return out
}

// resolveTickets finds (and locks) the open ticket of every group or opens
// one. It returns how many it opened.
func resolveTickets(ctx context.Context, tx pgx.Tx, groups []*group, absorb bool, now time.Time, numbered bool) (int, error) {
	pending := groups
	opened := 0
	// Each round locks the open tickets that exist and opens the missing
	// ones. A ticket another engine opened meanwhile makes the insert skip
	// that key (after the other commits), and the next round locks it. A
	// round only repeats when a race was lost, so a few rounds suffice.
	for round := 0; round < 5 && len(pending) > 0; round++ {
		if err := lockOpenTickets(ctx, tx, pending, numbered); err != nil {
			return opened, err
		}
		var missing []*group
		for _, g := range pending {
			if g.ticket == 0 {
				missing = append(missing, g)
			}
		}
		if absorb {
			if err := absorbIntoCounty(ctx, tx, missing, numbered); err != nil {
				return opened, err
			}
			missing = slices.DeleteFunc(missing, func(g *group) bool { return g.ticket != 0 })
		}
		n, err := openTickets(ctx, tx, missing, now)
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

// absorbIntoCounty attaches each group that would open a lower-tier ticket
// to its enterprise's open county-tier ticket, if it has one.
func absorbIntoCounty(ctx context.Context, tx pgx.Tx, groups []*group, numbered bool) error {
	var ents []string
	for _, g := range groups {
		if g.tier != gridwarn.TierCounty {
			ents = append(ents, g.key.enterprise)
		}
	}
	if len(ents) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+`, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback, `+historySeqColumn(numbered)+`
FROM tickets t
WHERE t.enterprise = ANY($1) AND t.status IN `+openStatusesSQL+` AND t.tier = 'county' AND t.rules_version <> 'handoff'
ORDER BY t.enterprise, t.id
FOR UPDATE OF t`, ents)
	found := map[string]ticketRow{}
	var r ticketRow
	if _, err := pgx.ForEachRow(rows, append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback, &r.historySeq), func() error {
		if _, dup := found[r.Enterprise]; !dup {
			found[r.Enterprise] = r
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
		g.ticket, g.row, g.absorbed = c.ID, c, true
		g.key.category = c.Category
		g.oldLevel, g.oldTier = c.Level, gridwarn.TierCounty
		g.newLevel, g.newTier = gridwarn.MaxLevel(c.Level, g.level), gridwarn.TierCounty
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

func lockOpenTickets(ctx context.Context, tx pgx.Tx, groups []*group, numbered bool) error {
	ents, cats := keys(groups)
	q := "SELECT " + ticketColumns + `, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback, ` + historySeqColumn(numbered) + `
FROM tickets t
JOIN unnest($1::text[], $2::text[]) AS k(enterprise, category)
  ON t.enterprise = k.enterprise AND t.category = k.category
WHERE t.status IN ` + openStatusesSQL + ` AND t.rules_version <> 'handoff'
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
	var r ticketRow
	_, err = pgx.ForEachRow(rows, append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback, &r.historySeq), func() error {
		g := byKey[ticketKey{r.Enterprise, r.Category}]
		g.ticket, g.row = r.ID, r
		g.oldLevel, g.oldTier = r.Level, r.Tier
		g.newLevel = gridwarn.MaxLevel(g.oldLevel, g.level)
		g.newTier = gridwarn.MaxTier(g.oldTier, g.tier) // the tier only rises automatically
		return nil
	})
	if err != nil {
		return fmt.Errorf("lock open tickets: %w", err)
	}
	return nil
}

func openTickets(ctx context.Context, tx pgx.Tx, groups []*group, now time.Time) (int, error) {
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
	relapses := make([]bool, n)
	for i, g := range groups {
		relapses[i] = g.relapse
		levels[i], tiers[i], counts[i] = string(g.level), string(g.tier), int32(len(g.items))
		firsts[i], lasts[i], rules[i] = g.first, g.last, g.rules
		counties[i] = gridwarn.Event{Enterprise: g.key.enterprise}.CountyCode()
		if g.ent.TownCode != "" {
			counties[i] = gridwarn.CountyOf(g.ent.TownCode)
		}
		towns[i], grids[i] = nilIfEmpty(g.ent.TownCode), nilIfEmpty(g.ent.GridCode)
	}
	// Opened as new; the workflow's dispatch (moveTickets) puts each in its
	// tier's queue. A relapse records the enterprise's most recently closed
	// ticket of the category.
	q := `
INSERT INTO tickets (status, enterprise, category, level, tier, event_count, first_event_at, last_event_at, rules_version,
                     county_code, town_code, grid_code, opened_at, updated_at, relapse_of)
SELECT 'new', k.enterprise, k.category, k.level, k.tier, k.n, k.first, k.last, k.rules, k.county, k.town, k.grid, $13, $13,
       CASE WHEN k.relapse THEN (SELECT c.id FROM tickets c
           WHERE c.enterprise = k.enterprise AND c.category = k.category AND c.status = 'closed' AND c.rules_version <> 'handoff'
           ORDER BY c.closed_at DESC, c.id DESC LIMIT 1) END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::text[],
            $9::text[], $10::text[], $11::text[], $12::bool[])
     AS k(enterprise, category, level, tier, n, first, last, rules, county, town, grid, relapse)
ON CONFLICT (enterprise, category) WHERE status NOT IN ` + endedStatusesSQL + ` AND rules_version <> 'handoff' DO NOTHING
RETURNING ` + strings.ReplaceAll(ticketColumns, "t.", "tickets.")
	rows, err := tx.Query(ctx, q, ents, cats, levels, tiers, counts, firsts, lasts, rules, counties, towns, grids, relapses, now)
	if err != nil {
		return 0, fmt.Errorf("open tickets: %w", err)
	}
	byKey := make(map[ticketKey]*group, n)
	for _, g := range groups {
		byKey[g.key] = g
	}
	var (
		t      gridwarn.Ticket
		opened int
	)
	_, err = pgx.ForEachRow(rows, ticketDest(&t), func() error {
		g := byKey[ticketKey{t.Enterprise, t.Category}]
		g.ticket, g.opened, g.row, g.relapseOf = t.ID, true, ticketRow{Ticket: t}, t.RelapseOf
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

// ticketUpdates is the statement applying the batch's signals to the tickets that existed
// before it: the level (the maximum), the count and the time span. The
// tier changes only through the workflow (moveTickets).
func ticketUpdates(groups []*group, now time.Time, numbered bool) []stmt {
	var (
		ids           []int64
		levels        []string
		counts        []int32
		firsts, lasts []time.Time
		seqs          []int64
	)
	for _, g := range groups {
		if g.opened {
			continue
		}
		ids = append(ids, g.ticket)
		levels = append(levels, string(g.newLevel))
		counts = append(counts, int32(len(g.items)))
		firsts, lasts = append(firsts, g.first), append(lasts, g.last)
		seqs = append(seqs, g.lastSeq)
	}
	if len(ids) == 0 {
		return nil
	}
	// The ticket's feed sequence moves past the batch's lines in the same
	// row version (numberHistory); a database without the feed has none.
	seqSet := ",\n    history_seq    = u.seq"
	if !numbered {
		seqSet = ""
	}
	q := `
UPDATE tickets t SET
    level          = u.level,
    event_count    = t.event_count + u.n,
    first_event_at = least(t.first_event_at, u.first),
    last_event_at  = greatest(t.last_event_at, u.last),
    updated_at     = $6,
    version        = t.version + 1` + seqSet + `
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $7::bigint[])
    AS u(id, level, n, first, last, seq)
WHERE t.id = u.id`
	return []stmt{{q, []any{ids, levels, counts, firsts, lasts, now, seqs}}}
}

var eventColumns = []string{
	"id", "ticket_id", "enterprise", "category", "occurred_at", "reported_at", "workers_involved",
	"amount_owed_cny", "months_in_arrears", "collective", "action", "summary", "reporter_kind",
	"reporter_id", "level", "decision", "subject", "stream_seq", "owner_status",
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
				rid, string(it.Decision.Level), dec, it.Subject, int64(it.StreamSeq), nilIfEmpty(string(e.OwnerStatus)),
			})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	return nil
}

var historyColumns = []string{"ticket_id", "at", "actor", "kind", "event_id", "from_value", "to_value", "data"}

// historyLines are the batch's own history lines (rows of historyColumns,
// ticket id first), each ticket's in the order they happen.
func historyLines(groups []*group, now time.Time) ([][]any, error) {
	var rows [][]any
	addTo := func(ticket int64, kind gridwarn.HistoryKind, eventID, from, to string, data []byte) {
		rows = append(rows, []any{ticket, now, gridwarn.ActorEngine, string(kind), nilIfEmpty(eventID), nilIfEmpty(from), nilIfEmpty(to), data})
	}
	add := func(g *group, kind gridwarn.HistoryKind, eventID, from, to string, data []byte) {
		addTo(g.ticket, kind, eventID, from, to, data)
	}
	for _, g := range groups {
		if g.opened {
			opened := map[string]any{"tier": g.newTier, "rules_version": g.rules}
			if g.relapseOf != 0 {
				opened["relapse_of"] = g.relapseOf
				data, _ := json.Marshal(map[string]any{"ticket": g.ticket})
				addTo(g.relapseOf, gridwarn.HistoryRelapsed, "", "", strconv.FormatInt(g.ticket, 10), data)
			}
			data, _ := json.Marshal(opened)
			add(g, gridwarn.HistoryOpened, "", "", string(g.newLevel), data)
		}
		for _, it := range g.items {
			data, err := json.Marshal(it.Decision)
			if err != nil {
				return nil, fmt.Errorf("encode decision: %w", err)
			}
			if it.Event.Category != g.key.category { // absorbed into the county ticket of another category
				data, _ = json.Marshal(map[string]any{"decision": it.Decision, "absorbed_category": it.Event.Category})
			}
			add(g, gridwarn.HistoryEventAttached, it.Event.ID, "", string(it.Decision.Level), data)
		}
		if !g.opened && g.newLevel != g.oldLevel {
			add(g, gridwarn.HistoryLevelRaised, "", string(g.oldLevel), string(g.newLevel), nil)
		}
	}
	return rows, nil
}

// numberedHistoryColumns are historyColumns with what numberHistory adds.
var numberedHistoryColumns = append(append([]string(nil), historyColumns...), "seq", "status", "level", "tier")

// numberHistory gives the batch's history lines their tickets' feed
// sequence and state (migration 00030), as the history's trigger would
// line by line, but without a statement of its own: the batch holds every
// ticket it writes (locked, or opened by it), so it counts on from the
// sequence it read with the lock (ticketRow.historySeq; 0 for a ticket it
// opened). A ladder step's line comes last and takes its change's
// sequence (change.seq); the ticket row keeps the last sequence, written
// by the step's UPDATE or by updateTickets (group.lastSeq). A line on a
// ticket the batch does not hold (a relapsed ticket's) is left to the
// trigger, which numbers it under that ticket's row lock.
func numberHistory(groups []*group, rows [][]any, steps []ladderStep) error {
	byTicket := make(map[int64]*group, len(groups))
	for _, g := range groups {
		g.lastSeq = g.row.historySeq
		byTicket[g.ticket] = g
	}
	for i, r := range rows {
		g := byTicket[r[0].(int64)]
		if g == nil {
			rows[i] = append(r, nil, nil, nil, nil) // the trigger numbers it
			continue
		}
		g.lastSeq++
		rows[i] = append(r, g.lastSeq, string(g.row.Status), string(g.newLevel), string(g.row.Tier))
	}
	stepped := make(map[int64]bool, len(steps))
	for i := range steps {
		g := steps[i].g
		g.lastSeq++
		steps[i].c.seq = g.lastSeq
		stepped[g.ticket] = true
	}
	for _, g := range groups {
		if g.opened && !stepped[g.ticket] { // the step's UPDATE is the only write of an opened ticket's sequence
			return fmt.Errorf("number history: ticket %d opened without a dispatch", g.ticket)
		}
	}
	return nil
}

// copyHistory writes the batch's history lines, numbered when the
// database has the feed.
func copyHistory(ctx context.Context, tx pgx.Tx, rows [][]any, numbered bool) error {
	cols := historyColumns
	if numbered {
		cols = numberedHistoryColumns
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ticket_history"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy history: %w", err)
	}
	return nil
}

// historySeqColumn is the column of a ticket's feed sequence, or 0 in a
// database without the feed (before migration 00030).
func historySeqColumn(numbered bool) string {
	if numbered {
		return "t.history_seq"
	}
	return "0::bigint"
}

// feedNumbered reports whether the database has the feed (migration
// 00030), whose history lines the batch numbers. Once seen it is
// remembered until the next migration.
func (db *DB) feedNumbered(ctx context.Context, tx pgx.Tx) (bool, error) {
	if db.feedSchema.Load() {
		return true, nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('feed_state') IS NOT NULL`).Scan(&ok); err != nil {
		return false, fmt.Errorf("feed schema: %w", err)
	}
	if ok {
		db.feedSchema.Store(true)
	}
	return ok, nil
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
