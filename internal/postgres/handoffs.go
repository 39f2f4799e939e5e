package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// Hand-offs between counties (issue 17 item 3). Every change of a ticket
// goes through the door: the sender's hand_off and the system's
// handoff_reply on the sending ticket, the receiving county's
// handoff_accept, handoff_decline (and its ordinary steps up to close) on
// the linked case. The hand-off row follows: written by the plan of the
// step that changes it. When the other county is on another deployment,
// the message and the answers leave through the outbox (one writer:
// queueHandoffMessage) and arrive through ReceiveHandoff and
// ReceiveHandoffReply, once per id.

var (
	_ gridwarn.HandoffService = (*DB)(nil)
	_ gridwarn.HandoffInbox   = (*DB)(nil)
)

// ActorHandoff is the history actor of the answers that come back.
const ActorHandoff = "system:handoff"

var handoffChanger = changer{name: ActorHandoff}

const handoffColumns = `h.id::text, coalesce(h.ticket_id, 0), coalesce(h.linked_ticket_id, 0), h.from_county, h.to_county, h.mode,
h.reason, h.workers_home_county, h.note, h.pause_clocks, h.enterprise, h.enterprise_name, h.category, h.level, h.summary, h.sent_by,
h.state, h.decline_reason, h.answered_by, h.answered_at, h.outcome, h.closed_at, h.created_at`

func handoffDest(h *gridwarn.Handoff) []any {
	return []any{&h.ID, &h.TicketID, &h.LinkedTicketID, &h.FromCounty, &h.ToCounty, &h.Mode, &h.Reason, &h.WorkersHomeCounty,
		&h.Note, &h.PauseClocks, &h.Enterprise, &h.EnterpriseName, &h.Category, &h.Level, &h.Summary, &h.SentBy, &h.State,
		&h.DeclineReason, &h.AnsweredBy, &h.AnsweredAt, &h.Outcome, &h.ClosedAt, &h.CreatedAt}
}

// lockHandoff reads a hand-off for update; pgx.ErrNoRows when unknown.
func lockHandoff(ctx context.Context, tx pgx.Tx, id string) (*gridwarn.Handoff, error) {
	var h gridwarn.Handoff
	if err := tx.QueryRow(ctx, "SELECT "+handoffColumns+" FROM handoffs h WHERE h.id = $1 FOR UPDATE", id).Scan(handoffDest(&h)...); err != nil {
		return nil, err
	}
	return &h, nil
}

// ticketsCond is the condition, on alias t, that v sees a ticket; its
// parameters are added to w.
func (w *where) ticketsCond(v gridwarn.Visibility) string {
	sub := where{args: w.args}
	sub.tickets(v)
	w.args = sub.args
	if len(sub.conds) == 0 {
		return "true"
	}
	return strings.Join(sub.conds, " AND ")
}

// handoffsWhere reads the hand-offs v sees: those whose sending ticket or
// linked case v sees (a town's mediator sees their town's tickets' hand-
// offs; the linked case is the receiving county's, at the county tier).
func handoffsWhere(ctx context.Context, q pgx.Tx, v gridwarn.Visibility, cond string, args ...any) ([]gridwarn.Handoff, error) {
	w := where{args: args}
	out := "EXISTS (SELECT 1 FROM tickets t WHERE t.id = h.ticket_id AND " + w.ticketsCond(v) + ")"
	in := "EXISTS (SELECT 1 FROM tickets t WHERE t.id = h.linked_ticket_id AND " + w.ticketsCond(v) + ")"
	rows, _ := q.Query(ctx, "SELECT "+handoffColumns+", CASE WHEN "+out+" THEN 'out' ELSE 'in' END FROM handoffs h WHERE ("+
		out+" OR "+in+") AND "+cond+" ORDER BY h.created_at DESC, h.id", w.args...)
	var h gridwarn.Handoff
	var hs []gridwarn.Handoff
	_, err := pgx.ForEachRow(rows, append(handoffDest(&h), &h.Direction), func() error {
		hs = append(hs, h)
		return nil
	})
	if hs == nil {
		hs = []gridwarn.Handoff{}
	}
	return hs, err
}

// Handoffs lists the hand-offs v sees, newest first; ticketID > 0 keeps
// those of one ticket (sent from it, or it is their linked case).
func (db *DB) Handoffs(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, ticketID int64) ([]gridwarn.Handoff, error) {
	var out []gridwarn.Handoff
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if ticketID > 0 {
			out, err = handoffsWhere(ctx, tx, v, "(h.ticket_id = $1 OR h.linked_ticket_id = $1)", ticketID)
		} else {
			out, err = handoffsWhere(ctx, tx, v, "true")
		}
		return err
	})
	return out, translate(err, "hand-offs")
}

// Handoff is one hand-off v sees; any other is ENOTFOUND.
func (db *DB) Handoff(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id string) (*gridwarn.Handoff, error) {
	var out *gridwarn.Handoff
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		out, err = handoffOf(ctx, tx, v, id)
		return err
	})
	return out, translate(err, "hand-off")
}

func handoffOf(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, id string) (*gridwarn.Handoff, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "hand-off not found")
	}
	hs, err := handoffsWhere(ctx, tx, v, "h.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "hand-off not found")
	}
	return &hs[0], nil
}

// countyHere reports whether a county is registered in this deployment.
func countyHere(ctx context.Context, tx pgx.Tx, code string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1 AND kind = 'county')`, code).Scan(&ok)
	return ok, err
}

// HandOff records p's hand-off of a ticket v sees: the workflow decides
// (hand_off: the claimer or the tier head, in dispatched, accepted or
// in_progress), the plan writes the hand-off row, pauses the sender's
// clocks when the reason says so and the history line; then the linked
// case opens in the receiving county, here or — on another deployment —
// through the outbox.
func (db *DB) HandOff(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, req gridwarn.HandoffRequest) (*gridwarn.Handoff, error) {
	var out *gridwarn.Handoff
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, v, req.TicketID)
		if err != nil {
			return err
		}
		if r.Version != req.IfMatch {
			return gridwarn.Errorf(gridwarn.EPRECONDITION, "ticket %d is at version %d, not %d: someone changed it; reload", r.ID, r.Version, req.IfMatch)
		}
		if err := req.Validate(r.CountyCode); err != nil {
			return err
		}
		now := db.now()
		who, in := db.workflowFacts(p, r, now)
		in.LinkedCase = r.handoffID != nil
		tr, err := workflow.Decide(r.Status, workflow.ActionHandOff, who, in)
		if err != nil {
			return err
		}
		local, err := countyHere(ctx, tx, req.ToCounty)
		if err != nil {
			return err
		}
		if !local && !db.handoffPeers[req.ToCounty] {
			return gridwarn.Invalid("invalid hand-off", gridwarn.FieldError{Field: "to_county", Rule: "known_county",
				Message: "is neither a county of this deployment nor a configured hand-off peer"})
		}
		var open bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM handoffs WHERE ticket_id = $1 AND state IN ('sent', 'accepted'))`, r.ID).Scan(&open); err != nil {
			return err
		}
		if open {
			return gridwarn.Errorf(gridwarn.ECONFLICT, "ticket %d has a hand-off still open: wait for its end", r.ID)
		}
		h := gridwarn.Handoff{ID: uuid.NewString(), TicketID: r.ID, FromCounty: r.CountyCode, ToCounty: req.ToCounty, Mode: req.Mode,
			Reason: req.Reason, WorkersHomeCounty: req.WorkersHomeCounty, Note: req.Note, PauseClocks: gridwarn.PausesClocks(req.Reason, req.Mode),
			Enterprise: r.Enterprise, Category: r.Category, Level: r.Level, SentBy: p.Username, State: gridwarn.HandoffSent, CreatedAt: now}
		err = tx.QueryRow(ctx, `SELECT coalesce((SELECT name FROM enterprises WHERE credit_code = $1), ''),
       coalesce((SELECT summary FROM events WHERE ticket_id = $2 AND summary IS NOT NULL ORDER BY occurred_at DESC LIMIT 1), '')`,
			r.Enterprise, r.ID).Scan(&h.EnterpriseName, &h.Summary)
		if err != nil {
			return err
		}
		pl, err := planChange(change{r: r, tr: tr, by: personChanger(p), now: now, clocks: db.clockPlanner(), handoff: &h})
		if err != nil {
			return err
		}
		if err := applyPlans(ctx, tx, pl); err != nil {
			return err
		}
		if local {
			if _, err := db.openLinkedCase(ctx, tx, handoffMessage(h), now); err != nil {
				return err
			}
		} else {
			var st stmts
			queueHandoffMessage(&st, gridwarn.TopicHandoffSend, gridwarn.HandoffSubject(h.ToCounty), handoffMessage(h))
			if err := st.send(ctx, tx); err != nil {
				return err
			}
		}
		out, err = handoffOf(ctx, tx, gridwarn.Visibility{All: true}, h.ID)
		if out != nil {
			out.Direction = "out"
		}
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return out, nil
}

func handoffMessage(h gridwarn.Handoff) gridwarn.HandoffMessage {
	return gridwarn.HandoffMessage{ID: h.ID, FromCounty: h.FromCounty, ToCounty: h.ToCounty, Mode: h.Mode, Reason: h.Reason,
		WorkersHomeCounty: h.WorkersHomeCounty, Note: h.Note, PauseClocks: h.PauseClocks, Enterprise: h.Enterprise,
		EnterpriseName: h.EnterpriseName, Category: h.Category, Level: h.Level, Summary: h.Summary, SentBy: h.SentBy,
		CreatedAt: h.CreatedAt}
}

// openLinkedCase opens the receiving county's case of a hand-off: a
// county-tier ticket of the receiving county, opened as new (like the
// engine's) with its history line, and dispatched by the workflow to the
// county's queue, which starts its clocks; the receiving county is
// notified as of any new ticket. The hand-off row (written by the sender's
// plan here, or by ReceiveHandoff) learns the case's id.
func (db *DB) openLinkedCase(ctx context.Context, tx pgx.Tx, m gridwarn.HandoffMessage, now time.Time) (int64, error) {
	rows, _ := tx.Query(ctx, `
INSERT INTO tickets (status, enterprise, category, level, tier, event_count, first_event_at, last_event_at, rules_version,
                     county_code, opened_at, updated_at, handoff_id)
VALUES ('new', $1, $2, $3, 'county', 1, $4, $4, 'handoff', $5, $6, $6, $7)
RETURNING `+strings.ReplaceAll(ticketColumns, "t.", "tickets."), m.Enterprise, string(m.Category), string(m.Level), m.CreatedAt, m.ToCounty, now, m.ID)
	t, err := pgx.CollectExactlyOneRow(rows, scanTicket)
	if err != nil {
		return 0, err
	}
	data, _ := json.Marshal(map[string]any{"handoff_id": m.ID, "from_county": m.FromCounty, "mode": m.Mode, "reason": m.Reason,
		"workers_home_county": m.WorkersHomeCounty})
	var st stmts
	st.add(`INSERT INTO ticket_history (ticket_id, at, actor, kind, to_value, note, data) VALUES ($1, $2, $3, $4, 'new', nullif($5, ''), $6)`,
		t.ID, now, ActorHandoff, string(gridwarn.HistoryOpened), m.Note, data)
	st.add(`UPDATE handoffs SET linked_ticket_id = $2 WHERE id = $1`, m.ID, t.ID)
	enqueue(&st, gridwarn.TopicTicketOpened, noteOf(t, now))
	if err := st.send(ctx, tx); err != nil {
		return 0, err
	}
	pl, err := systemStep(ticketRow{Ticket: t}, workflow.ActionDispatch, handoffChanger, workflow.Input{}, now, db.clockPlanner(),
		"hand-off from "+m.FromCounty, map[string]any{"handoff_id": m.ID})
	if err != nil {
		return 0, err
	}
	return t.ID, applyPlans(ctx, tx, pl)
}

// AnswerHandoff accepts or declines a hand-off received by a county v
// sees, as the workflow step handoff_accept or handoff_decline on its
// linked case (a mediator of the receiving county; 409 once answered).
func (db *DB) AnswerHandoff(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, a gridwarn.HandoffAnswer) (*gridwarn.Handoff, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	var out *gridwarn.Handoff
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		h, err := handoffOf(ctx, tx, v, a.HandoffID)
		if err != nil {
			return err
		}
		if h.LinkedTicketID == 0 {
			return gridwarn.Errorf(gridwarn.ENOTFOUND, "hand-off not found")
		}
		r, err := lockForAction(ctx, tx, v, h.LinkedTicketID)
		if err == pgx.ErrNoRows {
			// The sender's side sees it, the receiving county does not:
			// answering is the receiver's.
			return gridwarn.Errorf(gridwarn.EFORBIDDEN, "only the receiving county answers a hand-off")
		}
		if err != nil {
			return err
		}
		act := workflow.ActionHandoffAccept
		if !a.Accept {
			act = workflow.ActionHandoffDecline
		}
		if _, err := db.act(ctx, tx, p, r, gridwarn.ActionRequest{TicketID: r.ID, Action: string(act), Body: gridwarn.ActionBody{Reason: a.Reason}}); err != nil {
			return err
		}
		out, err = handoffOf(ctx, tx, v, a.HandoffID)
		return err
	})
	if err != nil {
		return nil, translate(err, "hand-off")
	}
	return out, nil
}

// followLinked records on the hand-off row what a step on its linked case
// means to the sender — accepted (handoff_accept, or an ordinary accept
// before any answer), declined, or closed with the case's outcome — and
// sends that answer back: applied here to the sender's ticket when the
// sender is on this deployment, queued for the sender's deployment
// otherwise.
func (db *DB) followLinked(ctx context.Context, tx pgx.Tx, h *gridwarn.Handoff, a workflow.Action, tr workflow.Transition, by changer, b gridwarn.ActionBody, now time.Time) error {
	rp := gridwarn.HandoffReply{ID: h.ID, FromCounty: h.FromCounty, ToCounty: h.ToCounty, AnsweredBy: by.username, At: now}
	switch {
	case h.State == gridwarn.HandoffSent && (a == workflow.ActionHandoffAccept || a == workflow.ActionAccept):
		rp.State = gridwarn.HandoffAccepted
	case h.State == gridwarn.HandoffSent && a == workflow.ActionHandoffDecline:
		rp.State, rp.DeclineReason = gridwarn.HandoffDeclined, b.Reason
	case h.State == gridwarn.HandoffAccepted && tr.To == gridwarn.StatusClosed:
		rp.State, rp.ClosedAt = gridwarn.HandoffClosed, &now
		if err := tx.QueryRow(ctx, `SELECT outcome FROM tickets WHERE id = $1`, h.LinkedTicketID).Scan(&rp.Outcome); err != nil {
			return err
		}
	default:
		return nil
	}
	return db.applyReply(ctx, tx, h, rp, true)
}

// applyReply moves the hand-off row to the reply's state and brings the
// answer to the sender: through the workflow (handoff_reply by the
// system) when the sender's ticket is here, through the outbox when it is
// on another deployment and the answer was given here (local).
func (db *DB) applyReply(ctx context.Context, tx pgx.Tx, h *gridwarn.Handoff, rp gridwarn.HandoffReply, local bool) error {
	var st stmts
	st.add(`UPDATE handoffs SET state = $2, decline_reason = CASE WHEN $2 = 'declined' THEN $3 ELSE decline_reason END,
       answered_by = CASE WHEN $2 IN ('accepted', 'declined') THEN $4 ELSE answered_by END,
       answered_at = CASE WHEN $2 IN ('accepted', 'declined') THEN $5 ELSE answered_at END,
       outcome = coalesce($6, outcome), closed_at = $7
WHERE id = $1`, h.ID, rp.State, rp.DeclineReason, rp.AnsweredBy, rp.At, rp.Outcome, rp.ClosedAt)
	if h.TicketID == 0 {
		if local {
			queueHandoffMessage(&st, gridwarn.TopicHandoffReply, gridwarn.HandoffReplySubject(h.FromCounty), rp)
		}
		return st.send(ctx, tx)
	}
	if err := st.send(ctx, tx); err != nil {
		return err
	}
	r, err := lockTicketRow(ctx, tx, h.TicketID)
	if err != nil {
		return err
	}
	tr, err := workflow.Decide(r.Status, workflow.ActionHandoffReply, workflow.Actor{System: true}, workflow.Input{Tier: r.Tier})
	if err != nil {
		// A merged ticket takes no line: the hand-off row has the answer.
		return nil
	}
	pl, err := planChange(change{r: r, tr: tr, by: handoffChanger, now: db.now(), clocks: db.clockPlanner(),
		reply: &handoffAnswer{reply: rp, handoff: *h}})
	if err != nil {
		return err
	}
	return applyPlans(ctx, tx, pl)
}

// handoffAnswer is what planChange needs for handoff_reply.
type handoffAnswer struct {
	reply   gridwarn.HandoffReply
	handoff gridwarn.Handoff
}

// planHandOff adds a hand_off's records: the hand-off row, the sender's
// clocks paused when the reason says so.
func planHandOff(c change, record func(string, ...any), data map[string]any) {
	h := c.handoff
	record(`
INSERT INTO handoffs (id, ticket_id, from_county, to_county, mode, reason, workers_home_county, note, pause_clocks, enterprise,
                      enterprise_name, category, level, summary, sent_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		h.ID, c.r.ID, h.FromCounty, h.ToCounty, h.Mode, h.Reason, h.WorkersHomeCounty, h.Note, h.PauseClocks, h.Enterprise,
		h.EnterpriseName, string(h.Category), string(h.Level), h.Summary, h.SentBy, c.now)
	if h.PauseClocks {
		record(`UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'handed_off'
WHERE ticket_id = $1 AND stopped_at IS NULL AND breached_at IS NULL AND kind IN ('accept', 'contact', 'resolve')`, c.r.ID, c.now)
	}
	data["handoff_id"], data["to_county"], data["mode"], data["reason"] = h.ID, h.ToCounty, h.Mode, h.Reason
	data["workers_home_county"], data["pause_clocks"] = h.WorkersHomeCounty, h.PauseClocks
}

// planHandoffReply adds an answer's records to the sender's ticket: on a
// decline or an outcome, the clocks the hand-off paused resume with the
// time they had left (when the ticket is still open at the tier they
// belong to and no clock of their kind runs).
func planHandoffReply(c change, record func(string, ...any), data map[string]any) {
	rp, h := c.reply.reply, c.reply.handoff
	data["handoff_id"], data["state"], data["to_county"] = h.ID, rp.State, h.ToCounty
	if rp.DeclineReason != "" {
		data["decline_reason"] = rp.DeclineReason
	}
	if rp.Outcome != nil {
		data["outcome"] = rp.Outcome
	}
	if rp.AnsweredBy != "" {
		data["answered_by"] = rp.AnsweredBy
	}
	if h.PauseClocks && rp.State != gridwarn.HandoffAccepted && c.r.Status.Open() {
		record(`
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at, reminded_at)
SELECT k.ticket_id, k.tier, k.kind, $2, greatest($2, k.remind_at + ($2 - k.stopped_at)), greatest($2, k.due_at + ($2 - k.stopped_at)), k.reminded_at
FROM ticket_clocks k
WHERE k.ticket_id = $1 AND k.stop_reason = 'handed_off' AND k.stopped_at = $3 AND k.tier = $4
  AND NOT EXISTS (SELECT 1 FROM ticket_clocks r WHERE r.ticket_id = k.ticket_id AND r.kind = k.kind AND r.stopped_at IS NULL)`,
			c.r.ID, c.now, h.CreatedAt, string(c.r.Tier))
		data["clocks_resumed"] = true
	}
}

// ReceiveHandoff stores a hand-off sent by another deployment once: the
// first delivery writes the row and opens the linked case in the
// receiving county; a repeat (same id) finds the row, changes nothing and
// gets the same acknowledgement, marked duplicate. Two deliveries racing
// take turns on the row's primary key.
func (db *DB) ReceiveHandoff(ctx context.Context, m gridwarn.HandoffMessage) (gridwarn.HandoffAck, error) {
	if err := m.Validate(); err != nil {
		return gridwarn.HandoffAck{}, err
	}
	ack := gridwarn.HandoffAck{ID: m.ID, Stored: true}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		here, err := countyHere(ctx, tx, m.ToCounty)
		if err != nil {
			return err
		}
		if !here {
			return gridwarn.Invalid("invalid hand-off message", gridwarn.FieldError{Field: "to_county", Rule: "known_county",
				Message: "is not a county of this deployment"})
		}
		tag, err := tx.Exec(ctx, `
INSERT INTO handoffs (id, from_county, to_county, mode, reason, workers_home_county, note, pause_clocks, enterprise,
                      enterprise_name, category, level, summary, sent_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (id) DO NOTHING`, m.ID, m.FromCounty, m.ToCounty, m.Mode, m.Reason, m.WorkersHomeCounty, m.Note, m.PauseClocks,
			m.Enterprise, m.EnterpriseName, string(m.Category), string(m.Level), m.Summary, m.SentBy, m.CreatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			ack.Duplicate = true
			return nil
		}
		_, err = db.openLinkedCase(ctx, tx, m, db.now())
		return err
	})
	if err != nil {
		return gridwarn.HandoffAck{}, translate(err, "hand-off")
	}
	return ack, nil
}

// ReceiveHandoffReply applies another deployment's answer to a hand-off
// sent from here, once: an answer the row already has (or has passed) is
// acknowledged as a duplicate and changes nothing. An outcome that
// overtakes its acceptance counts as both.
func (db *DB) ReceiveHandoffReply(ctx context.Context, rp gridwarn.HandoffReply) (gridwarn.HandoffAck, error) {
	if err := rp.Validate(); err != nil {
		return gridwarn.HandoffAck{}, err
	}
	ack := gridwarn.HandoffAck{ID: rp.ID, Stored: true}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		h, err := lockHandoff(ctx, tx, rp.ID)
		if err == pgx.ErrNoRows || err == nil && (h.TicketID == 0 || h.ToCounty != rp.ToCounty || h.FromCounty != rp.FromCounty) {
			return gridwarn.Errorf(gridwarn.ENOTFOUND, "no hand-off %s was sent from here to %s", rp.ID, rp.ToCounty)
		}
		if err != nil {
			return err
		}
		if h.State == gridwarn.HandoffSent && rp.State == gridwarn.HandoffClosed {
			acc := rp
			acc.State, acc.Outcome, acc.ClosedAt = gridwarn.HandoffAccepted, nil, nil
			if err := db.applyReply(ctx, tx, h, acc, false); err != nil {
				return err
			}
			h.State = gridwarn.HandoffAccepted
		}
		if !gridwarn.HandoffNext(h.State, rp.State) {
			ack.Duplicate = true
			return nil
		}
		return db.applyReply(ctx, tx, h, rp, false)
	})
	if err != nil {
		return gridwarn.HandoffAck{}, translate(err, "hand-off")
	}
	return ack, nil
}

// HandoffCounties are the counties of this deployment's registry: the
// hand-offs (and answers) it receives over NATS are theirs.
func (db *DB) HandoffCounties(ctx context.Context) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT code FROM units WHERE kind = 'county' ORDER BY code`)
	cs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return cs, translate(err, "counties")
}
