package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// Referrals whose outcome comes back (issue 17 item 2). The refer action
// (door.go) records each referral in referrals and starts the body's
// clocks; the body's partner account posts updates here, through the
// workflow (action body_update, actor the receiving body) and planChange
// like any change of a ticket; a court's commission opens its ticket
// through the engine's batch path (applyBatch), as a signal would.

var _ gridwarn.ReferralService = (*DB)(nil)

// partnerOf is the partner whose account p is, or EFORBIDDEN.
func partnerOf(ctx context.Context, q pgx.Tx, p *gridwarn.Principal) (gridwarn.Partner, error) {
	var pt gridwarn.Partner
	if p == nil || p.Role != gridwarn.RolePartner {
		return pt, gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a partner (a receiving body's account) may do this")
	}
	err := q.QueryRow(ctx, `SELECT id, county_code, kind, name, created_at FROM partners WHERE user_id = $1`, p.ID).
		Scan(&pt.ID, &pt.CountyCode, &pt.Kind, &pt.Name, &pt.CreatedAt)
	if err == pgx.ErrNoRows {
		return pt, gridwarn.Errorf(gridwarn.EFORBIDDEN, "this account is not a receiving body's")
	}
	pt.Username = p.Username
	return pt, err
}

// CreatePartner registers a receiving body of the caller's county with its
// account (role partner, county scope) and a token, in one transaction;
// the token's secret is returned once. Only a county-wide administrator
// may (v names a county and nothing narrower): a town's gets EFORBIDDEN.
func (db *DB) CreatePartner(ctx context.Context, v gridwarn.Visibility, req gridwarn.NewPartner) (*gridwarn.Partner, *gridwarn.Token, string, error) {
	if v.CountyCode == "" || v.TownCode != "" || len(v.GridCodes) > 0 || v.ReporterID != "" {
		return nil, nil, "", gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a county administrator registers the county's receiving bodies")
	}
	if err := req.Validate(); err != nil {
		return nil, nil, "", err
	}
	u := gridwarn.User{Username: req.Username, DisplayName: req.Name, Role: gridwarn.RolePartner,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: v.CountyCode}}
	if len([]rune(u.DisplayName)) > gridwarn.MaxDisplayName {
		u.DisplayName = string([]rune(u.DisplayName)[:gridwarn.MaxDisplayName])
	}
	if err := checkUser(u, true); err != nil {
		return nil, nil, "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, "", err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	pt := gridwarn.Partner{CountyCode: v.CountyCode, Kind: req.Kind, Name: req.Name, Username: req.Username}
	var t gridwarn.Token
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var uid int64
		if err := tx.QueryRow(ctx, `
INSERT INTO users (username, display_name, role, scope_kind, scope_unit) VALUES ($1, $2, 'partner', 'county', $3) RETURNING id`,
			u.Username, u.DisplayName, u.Scope.UnitCode).Scan(&uid); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
INSERT INTO partners (county_code, kind, name, user_id) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
			pt.CountyCode, pt.Kind, pt.Name, uid).Scan(&pt.ID, &pt.CreatedAt); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
INSERT INTO tokens (user_id, name, prefix, hash) VALUES ($1, $2, $3, $4)
RETURNING id, user_id, name, prefix, created_at, expires_at`, uid, req.TokenName, secret[:10], hashToken(secret)).
			Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt)
	})
	if err != nil {
		return nil, nil, "", translate(err, "partner")
	}
	t.Username = pt.Username
	return &pt, &t, secret, nil
}

// Partners lists the receiving bodies of the counties v sees.
func (db *DB) Partners(ctx context.Context, v gridwarn.Visibility) ([]gridwarn.Partner, error) {
	var w where
	if !v.All {
		w.add("p.county_code = %s", v.CountyCode)
	}
	rows, _ := db.pool.Query(ctx, `SELECT p.id, p.county_code, p.kind, p.name, u.username, p.created_at
FROM partners p JOIN users u ON u.id = p.user_id`+w.sql()+" ORDER BY p.id", w.args...)
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.Partner, error) {
		var p gridwarn.Partner
		return p, r.Scan(&p.ID, &p.CountyCode, &p.Kind, &p.Name, &p.Username, &p.CreatedAt)
	})
	if ps == nil {
		ps = []gridwarn.Partner{}
	}
	return ps, translate(err, "partners")
}

const referralColumns = `r.id, r.ticket_id, r.direction, r.kind, r.body_name, coalesce(r.partner_id, 0), r.reference, r.collective,
coalesce(r.due_on::text, ''), r.summary, r.created_at, t.enterprise, t.status`

func scanReferral(row pgx.CollectableRow) (gridwarn.ReferralRecord, error) {
	var r gridwarn.ReferralRecord
	err := row.Scan(&r.ID, &r.TicketID, &r.Direction, &r.Kind, &r.BodyName, &r.PartnerID, &r.Reference, &r.Collective,
		&r.DueOn, &r.Summary, &r.CreatedAt, &r.Enterprise, &r.Status)
	return r, err
}

// referralsWhere reads referrals with their updates and the body's clocks.
func referralsWhere(ctx context.Context, tx pgx.Tx, cond string, args ...any) ([]gridwarn.ReferralRecord, error) {
	rows, _ := tx.Query(ctx, "SELECT "+referralColumns+" FROM referrals r JOIN tickets t ON t.id = r.ticket_id WHERE "+cond+" ORDER BY r.id", args...)
	rs, err := pgx.CollectRows(rows, scanReferral)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Updates, err = referralUpdates(ctx, tx, rs[i].ID); err != nil {
			return nil, err
		}
		rows, _ := tx.Query(ctx, `SELECT tier, kind, started_at, remind_at, due_at, reminded_at, breached_at, stopped_at, coalesce(stop_reason, '')
FROM ticket_clocks WHERE ticket_id = $1 AND kind IN ('body_accept', 'body_decide') AND started_at >= $2 ORDER BY id`, rs[i].TicketID, rs[i].CreatedAt)
		if rs[i].Clocks, err = pgx.CollectRows(rows, scanClock); err != nil {
			return nil, err
		}
		if rs[i].Direction == gridwarn.ReferralIn {
			rs[i].Clocks = []gridwarn.Clock{} // the union's clocks are not the court's business
		}
	}
	if rs == nil {
		rs = []gridwarn.ReferralRecord{}
	}
	return rs, nil
}

func referralUpdates(ctx context.Context, tx pgx.Tx, referralID int64) ([]gridwarn.ReferralUpdate, error) {
	rows, _ := tx.Query(ctx, `SELECT id, kind, on_date::text, hearing_at, amount_cny::float8, owed_cny::float8, coalesce(pay_by::text, ''),
       note, author, created_at FROM referral_updates WHERE referral_id = $1 ORDER BY id`, referralID)
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.ReferralUpdate, error) {
		var u gridwarn.ReferralUpdate
		return u, r.Scan(&u.ID, &u.Kind, &u.OnDate, &u.HearingAt, &u.AmountCNY, &u.OwedCNY, &u.PayBy, &u.Note, &u.Author, &u.CreatedAt)
	})
	if us == nil {
		us = []gridwarn.ReferralUpdate{}
	}
	return us, err
}

// Referrals lists the referrals sent to p's body and the commissions it
// sent, oldest first.
func (db *DB) Referrals(ctx context.Context, p *gridwarn.Principal) ([]gridwarn.ReferralRecord, error) {
	var out []gridwarn.ReferralRecord
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		pt, err := partnerOf(ctx, tx, p)
		if err != nil {
			return err
		}
		out, err = referralsWhere(ctx, tx, "r.partner_id = $1", pt.ID)
		return err
	})
	return out, translate(err, "referrals")
}

// Referral is one referral of p's body; another body's is ENOTFOUND.
func (db *DB) Referral(ctx context.Context, p *gridwarn.Principal, id int64) (*gridwarn.ReferralRecord, error) {
	var out *gridwarn.ReferralRecord
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		out, err = db.referralOf(ctx, tx, p, id)
		return err
	})
	return out, translate(err, "referral")
}

func (db *DB) referralOf(ctx context.Context, tx pgx.Tx, p *gridwarn.Principal, id int64) (*gridwarn.ReferralRecord, error) {
	pt, err := partnerOf(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	rs, err := referralsWhere(ctx, tx, "r.id = $1 AND r.partner_id = $2", id, pt.ID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "referral not found")
	}
	return &rs[0], nil
}

// PostUpdate records a body's update on one of its referrals: the ticket
// changes through the workflow (body_update: the ticket must still be
// referred to this body, 409 otherwise) and planChange, with a history
// line, the clocks' effects, a payment follow-up for money owed and a
// notification to the unit that works the ticket.
func (db *DB) PostUpdate(ctx context.Context, p *gridwarn.Principal, req gridwarn.UpdateRequest) (*gridwarn.ReferralRecord, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out *gridwarn.ReferralRecord
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		ref, err := db.referralOf(ctx, tx, p, req.ReferralID)
		if err != nil {
			return err
		}
		r, err := lockTicketRow(ctx, tx, ref.TicketID)
		if err != nil {
			return err
		}
		// The body the ticket is referred to now: its latest outbound referral.
		var current int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM referrals WHERE ticket_id = $1 AND direction = 'out'`, r.ID).Scan(&current); err != nil {
			return err
		}
		who := workflow.Actor{Role: gridwarn.RolePartner, Receiver: ref.Direction == gridwarn.ReferralOut && current == ref.ID}
		tr, err := workflow.Decide(r.Status, workflow.ActionBodyUpdate, who, workflow.Input{Tier: r.Tier})
		if err != nil {
			return err
		}
		now := db.now()
		c := change{r: r, tr: tr, by: changer{name: "partner:" + p.Username, username: p.Username}, now: now,
			clocks: db.clockPlanner(), update: &bodyUpdate{req: req, referral: *ref}}
		if req.Kind == gridwarn.UpdateExtended {
			var started *time.Time
			err := tx.QueryRow(ctx, `SELECT started_at FROM ticket_clocks WHERE ticket_id = $1 AND kind = 'body_decide' AND stopped_at IS NULL
ORDER BY id DESC LIMIT 1`, r.ID).Scan(&started)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if started == nil {
				return gridwarn.Invalid("nothing to extend", gridwarn.FieldError{Field: "kind", Rule: "state",
					Message: "an extension needs a running decision clock: post accepted first"})
			}
			c.update.decideStarted = *started
		}
		pl, err := planChange(c)
		if err != nil {
			return err
		}
		if err := applyPlans(ctx, tx, pl); err != nil {
			return err
		}
		out, err = db.referralOf(ctx, tx, p, req.ReferralID)
		return err
	})
	if err != nil {
		return nil, translate(err, "referral")
	}
	return out, nil
}

// bodyUpdate is what planChange needs for a body_update.
type bodyUpdate struct {
	req      gridwarn.UpdateRequest
	referral gridwarn.ReferralRecord
	// decideStarted is when the running decision clock started (extended).
	decideStarted time.Time
}

// chinaTime is the zone of the dates bodies write (no DST: a fixed zone).
var chinaTime = time.FixedZone("CST", 8*3600)

// planBodyUpdate adds a body's update to a plan being built: the update
// row, the clocks (accepted: accept met, decision clock starts; extended:
// the decision clock moves; a final update stops the body's clocks),
// a payment follow-up for money owed, and the data of the history line.
func planBodyUpdate(c change, record func(string, ...any), data map[string]any) {
	u, ref, now, id := c.update.req, c.update.referral, c.now, c.r.ID
	record(`
INSERT INTO referral_updates (referral_id, ticket_id, kind, on_date, hearing_at, amount_cny, owed_cny, pay_by, note, author, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, '')::date, $9, $10, $11)`,
		ref.ID, id, u.Kind, u.OnDate, u.HearingAt, u.AmountCNY, u.OwedCNY, u.PayBy, u.Note, c.by.username, now)
	bp, _ := c.clocks.(gridwarn.BodyClockPlanner)
	stop := func(kind gridwarn.ClockKind, reason string) {
		record(`UPDATE ticket_clocks SET stopped_at = $3, stop_reason = $4 WHERE ticket_id = $1 AND kind = $2 AND stopped_at IS NULL`,
			id, string(kind), now, reason)
	}
	switch {
	case u.Kind == gridwarn.UpdateAccepted:
		stop(gridwarn.ClockBodyAccept, "met")
		start, _ := time.ParseInLocation(time.DateOnly, u.OnDate, chinaTime)
		if start.After(now) || start.IsZero() {
			start = now
		}
		if bp != nil {
			if cp, ok := bp.BodyClock(ref.Kind, gridwarn.ClockBodyDecide, start, false); ok {
				record(`INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at) VALUES ($1, $2, 'body_decide', $3, $4, $5)`,
					id, string(c.r.Tier), start, cp.RemindAt, cp.DueAt)
			}
		}
	case u.Kind == gridwarn.UpdateExtended:
		if bp != nil {
			if cp, ok := bp.BodyClock(ref.Kind, gridwarn.ClockBodyDecide, c.update.decideStarted, true); ok {
				record(`UPDATE ticket_clocks SET due_at = $2, remind_at = least(greatest(remind_at, started_at), $2)
WHERE ticket_id = $1 AND kind = 'body_decide' AND stopped_at IS NULL`, id, cp.DueAt)
				data["due_at"] = cp.DueAt
			}
		}
	case gridwarn.FinalUpdate(u.Kind):
		reason := "met"
		if u.Kind == gridwarn.UpdateWithdrawn {
			reason = "withdrawn"
		}
		stop(gridwarn.ClockBodyAccept, reason)
		stop(gridwarn.ClockBodyDecide, reason)
	}
	if u.Owes() {
		// The payment follow-up that the reply's promised payments start:
		// the mediator records on pay_by whether the money came (follow_up).
		record(`INSERT INTO payment_followups (ticket_id, due_on, tier) VALUES ($1, $2, $3) ON CONFLICT (ticket_id, due_on) DO NOTHING`,
			id, u.PayBy, string(c.r.Tier))
		data["pay_by"], data["owed_cny"] = u.PayBy, *u.OwedCNY
	}
	data["referral_id"], data["update"], data["on_date"] = ref.ID, u.Kind, u.OnDate
	if u.AmountCNY != nil {
		data["amount_cny"] = *u.AmountCNY
	}
	if u.HearingAt != nil {
		data["hearing_at"] = *u.HearingAt
	}
	data["body"], data["body_name"] = ref.Kind, ref.BodyName
}

// referralTarget is the body a refer action sends the ticket to, as looked
// up for planChange.
type referralTarget struct {
	name       string
	partnerID  *int64
	collective bool
}

// lookupReferralTarget finds the receiving body of a refer action: the
// county's partner of that kind with that name, or — when no name is
// given — the county's one partner of that kind. A named body without an
// account is recorded by name (it cannot post updates). Collective: the
// ticket's signals involve 10 or more workers with a common demand
// (DOMAIN.md, art. 7; DECISIONS D12: a referral to arbitration says so).
func lookupReferralTarget(ctx context.Context, tx pgx.Tx, t gridwarn.Ticket, kind, name string) (referralTarget, error) {
	var rt referralTarget
	rows, _ := tx.Query(ctx, `SELECT id, name FROM partners WHERE county_code = $1 AND kind = $2 AND ($3 = '' OR name = $3) ORDER BY id LIMIT 2`,
		t.CountyCode, kind, name)
	type pn struct {
		id   int64
		name string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pn, error) {
		var x pn
		return x, r.Scan(&x.id, &x.name)
	})
	if err != nil {
		return rt, err
	}
	rt.name = name
	if len(found) == 1 {
		rt.name, rt.partnerID = found[0].name, &found[0].id
	}
	err = tx.QueryRow(ctx, `SELECT coalesce(max(workers_involved), 0) >= 10 FROM events WHERE ticket_id = $1`, t.ID).Scan(&rt.collective)
	return rt, err
}

// planRefer adds a refer action's records: the referral row, the tier's
// clocks stopped (the ticket waits on the body) and the body's accept
// clock started.
func planRefer(c change, record func(string, ...any), data map[string]any) {
	rt, id, now := c.target, c.r.ID, c.now
	record(`
INSERT INTO referrals (ticket_id, direction, kind, body_name, partner_id, reference, collective, created_at)
VALUES ($1, 'out', $2, $3, $4, $5, $6, $7)`, id, c.body.Body, rt.name, rt.partnerID, c.body.Reference, rt.collective, now)
	record(`UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'referred' WHERE ticket_id = $1 AND stopped_at IS NULL`, id, now)
	if bp, ok := c.clocks.(gridwarn.BodyClockPlanner); ok {
		if cp, ok := bp.BodyClock(c.body.Body, gridwarn.ClockBodyAccept, now, false); ok {
			record(`INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at) VALUES ($1, $2, 'body_accept', $3, $4, $5)`,
				id, string(c.r.Tier), now, cp.RemindAt, cp.DueAt)
		}
	}
	data["body_name"], data["collective"] = rt.name, rt.collective
}

// commissionEventID is the id of the signal a court's commission files:
// one per court and reference, so a repeated commission is a duplicate.
func commissionEventID(partnerID int64, reference string) string {
	h := sha256.Sum256([]byte(reference))
	return fmt.Sprintf("court-%d-%s", partnerID, hex.EncodeToString(h[:12]))
}

// CommissionLevel is the level of a court's commission: it opens at the
// county (the union's station sits with the court), orange at least.
const CommissionLevel = gridwarn.LevelOrange

// Commission opens the ticket of a court's commission (委托调解) once per
// (court, reference): a signal about the enterprise, filed as department
// data by the court and decided as a county-tier case, takes the engine's
// batch path (the inbox, a new ticket dispatched to the county or an open
// one of the enterprise's category absorbing it, the history, the
// notification); the commission is then recorded beside it and the
// county's resolve clock is set to the court's deadline.
func (db *DB) Commission(ctx context.Context, p *gridwarn.Principal, cm gridwarn.Commission) (*gridwarn.ReferralRecord, bool, error) {
	if err := cm.Validate(); err != nil {
		return nil, false, err
	}
	var (
		out     *gridwarn.ReferralRecord
		created bool
	)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		pt, err := partnerOf(ctx, tx, p)
		if err != nil {
			return err
		}
		if pt.Kind != gridwarn.BodyCourt {
			return gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a court commissions the union to mediate")
		}
		// One commission per reference: lock the court's partner row so
		// that two requests with the same reference take turns.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM partners WHERE id = $1 FOR UPDATE`, pt.ID); err != nil {
			return err
		}
		var existing int64
		err = tx.QueryRow(ctx, `SELECT id FROM referrals WHERE partner_id = $1 AND reference = $2 AND direction = 'in'`, pt.ID, cm.Reference).Scan(&existing)
		if err == nil {
			out, err = db.referralOf(ctx, tx, p, existing)
			return err
		}
		if err != pgx.ErrNoRows {
			return err
		}
		now := db.now()
		due, _ := time.ParseInLocation(time.DateOnly, cm.DueOn, chinaTime)
		due = due.Add(24*time.Hour - time.Second) // the end of the court's day
		if !due.After(now) {
			return gridwarn.Invalid("invalid commission", gridwarn.FieldError{Field: "due_on", Rule: "future", Message: "must not be in the past"})
		}
		rows, _ := tx.Query(ctx, "SELECT "+enterpriseReadColumns+" FROM enterprises e WHERE e.credit_code = $1", cm.Enterprise)
		ents, err := pgx.CollectRows(rows, scanEnterprise)
		if err != nil {
			return err
		}
		ok := len(ents) == 1
		var ent gridwarn.Enterprise
		if ok {
			ent = ents[0]
		}
		if !ok || gridwarn.CountyOf(ent.TownCode) != pt.CountyCode {
			return gridwarn.Invalid("invalid commission", gridwarn.FieldError{Field: "enterprise", Rule: "registered",
				Message: "is not an enterprise registered in the court's county"})
		}
		ev := gridwarn.Event{ID: commissionEventID(pt.ID, cm.Reference), Enterprise: cm.Enterprise, Category: cm.Category,
			OccurredAt: now, Summary: cm.Summary, Reporter: &gridwarn.Reporter{Kind: "department_data", ID: p.Username}}
		if cm.Workers > 0 {
			ev.WorkersInvolved = &cm.Workers
		}
		if cm.AmountCNY > 0 {
			ev.AmountOwedCNY = &cm.AmountCNY
		}
		in := gridwarn.Incoming{Event: ev, Enterprise: ent, Subject: ev.Subject(),
			Decision: gridwarn.Decision{Level: CommissionLevel, Tier: gridwarn.TierCounty, RulesVersion: "commission",
				Fired: []gridwarn.Firing{{Rule: "court_commission", Level: CommissionLevel, LabelZH: "法院委托调解", LabelEN: "commissioned by a court",
					Values: map[string]any{"reference": cm.Reference, "court": pt.Name, "due_on": cm.DueOn}}}}}
		numbered, err := db.feedNumbered(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := applyBatch(ctx, tx, []gridwarn.Incoming{in}, nil, db.clockPlanner(), now, numbered); err != nil {
			return err
		}
		var ticketID int64
		if err := tx.QueryRow(ctx, `SELECT ticket_id FROM events WHERE id = $1`, ev.ID).Scan(&ticketID); err != nil {
			return fmt.Errorf("the commission's signal has no ticket: %w", err)
		}
		var refID int64
		if err := tx.QueryRow(ctx, `
INSERT INTO referrals (ticket_id, direction, kind, body_name, partner_id, reference, collective, due_on, summary, created_at)
VALUES ($1, 'in', 'court', $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			ticketID, pt.Name, pt.ID, cm.Reference, cm.Workers >= 10, cm.DueOn, cm.Summary, now).Scan(&refID); err != nil {
			return err
		}
		// The court's deadline is the county's deadline to resolve.
		if _, err := tx.Exec(ctx, `
UPDATE ticket_clocks SET due_at = $2, remind_at = least(remind_at, $2)
WHERE ticket_id = $1 AND tier = 'county' AND kind = 'resolve' AND stopped_at IS NULL AND breached_at IS NULL`, ticketID, due); err != nil {
			return err
		}
		created = true
		out, err = db.referralOf(ctx, tx, p, refID)
		return err
	})
	if err != nil {
		return nil, false, translate(err, "commission")
	}
	return out, created, nil
}

// ticketReferrals are a ticket's referrals with their updates, for its
// detail.
func ticketReferrals(ctx context.Context, tx pgx.Tx, ticketID int64) ([]gridwarn.ReferralRecord, error) {
	return referralsWhere(ctx, tx, "r.ticket_id = $1", ticketID)
}
