package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.PrivacyService = (*DB)(nil)

// defaultIdentityRetention is how long after a ticket closed its reporters'
// identities are kept (Options.IdentityRetention).
const defaultIdentityRetention = 365 * 24 * time.Hour

// privacyKey returns the key of the pseudonyms, which only the database
// holds (migration 00013), read once.
func (db *DB) privacyKey(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]byte, error) {
	db.key.mu.Lock()
	defer db.key.mu.Unlock()
	if db.key.b == nil {
		var k string
		if err := q.QueryRow(ctx, "SELECT key FROM privacy_key").Scan(&k); err != nil {
			return nil, err
		}
		db.key.b = []byte(k)
	}
	return db.key.b, nil
}

// pseudonym is the stable stand-in for a reporter: the same reporter has
// the same pseudonym on every ticket, and nobody without the key can tell
// who it is.
func pseudonym(key []byte, kind gridwarn.ReporterKind, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(string(kind) + "\x00" + id))
	return gridwarn.PseudonymPrefix + hex.EncodeToString(m.Sum(nil))[:10]
}

// pseudonymize replaces every reporter identity of d by its pseudonym.
func pseudonymize(key []byte, d *gridwarn.TicketDetail) {
	for i := range d.Events {
		if r := d.Events[i].Reporter; r != nil && r.ID != "" {
			d.Events[i].Reporter = &gridwarn.Reporter{Kind: r.Kind, ID: pseudonym(key, r.Kind, r.ID)}
		}
	}
}

// canReadIdentities: a mediator or leader the county administrator granted
// identity reads to.
func canReadIdentities(ctx context.Context, tx pgx.Tx, p *gridwarn.Principal) (bool, error) {
	if p.Role != gridwarn.RoleMediator && p.Role != gridwarn.RoleLeader {
		return false, nil
	}
	var ok bool
	err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM identity_readers WHERE user_id = $1)", p.ID).Scan(&ok)
	return ok, err
}

// ReporterIdentities returns who reported each event of a ticket and logs
// the read. See gridwarn.PrivacyService.
func (db *DB) ReporterIdentities(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, ticketID int64, reason string) ([]gridwarn.EventReporter, error) {
	reason = strings.TrimSpace(reason)
	var out []gridwarn.EventReporter
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A ticket outside v is not found, grant or not: its existence is
		// not revealed.
		var w where
		w.add("t.id = %s", ticketID)
		w.tickets(v)
		var id int64
		if err := tx.QueryRow(ctx, "SELECT t.id FROM tickets t"+w.sql(), w.args...).Scan(&id); err != nil {
			return err
		}
		ok, err := canReadIdentities(ctx, tx, p)
		if err != nil {
			return err
		}
		if !ok {
			return gridwarn.Errorf(gridwarn.EFORBIDDEN, "reading reporters' identities needs a grant from the county administrator")
		}
		switch {
		case reason == "":
			return gridwarn.Invalid("a reason is required", gridwarn.FieldError{Field: "reason", Rule: "required", Message: "is required"})
		case utf8.RuneCountInString(reason) > gridwarn.MaxReasonChars || !utf8.ValidString(reason) || strings.ContainsRune(reason, 0):
			return gridwarn.Invalid("invalid reason", gridwarn.FieldError{Field: "reason", Rule: "text",
				Message: fmt.Sprintf("must be plain text of at most %d characters", gridwarn.MaxReasonChars)})
		}
		key, err := db.privacyKey(ctx, tx)
		if err != nil {
			return err
		}
		// A 12351 case's reporter is its caller (hotline_cases, migration
		// 00027): the same read, the same log line.
		rows, _ := tx.Query(ctx, `
SELECT ev.id, ev.reporter_kind, coalesce(ev.reporter_id, ''), coalesce(h.caller_name, ''), coalesce(h.caller_phone, '')
FROM events ev LEFT JOIN hotline_cases h ON ev.reporter_kind = 'hotline' AND h.event_id = ev.id
WHERE ev.ticket_id = $1 AND ev.reporter_kind IS NOT NULL ORDER BY ev.occurred_at, ev.id`, id)
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.EventReporter, error) {
			var e gridwarn.EventReporter
			if err := r.Scan(&e.EventID, &e.Kind, &e.ID, &e.CallerName, &e.CallerPhone); err != nil {
				return e, err
			}
			if e.ID != "" {
				e.Pseudonym = pseudonym(key, e.Kind, e.ID)
			}
			return e, nil
		})
		if err != nil {
			return err
		}
		n := 0
		for _, e := range out {
			if e.ID != "" {
				n++
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO identity_reads (at, reader_id, reader, ticket_id, reason, identities) VALUES ($1, $2, $3, $4, $5, $6)`,
			db.now(), p.ID, p.Username, id, reason, n)
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	if out == nil {
		out = []gridwarn.EventReporter{}
	}
	return out, nil
}

// countyAdmin: a county-wide administrator, who alone grants identity
// reads and reads their log.
func countyAdmin(p *gridwarn.Principal) error {
	if p.Role != gridwarn.RoleAdmin || p.Scope.Kind != gridwarn.ScopeCounty {
		return gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a county-wide administrator may")
	}
	return nil
}

// SetIdentityReader grants or withdraws identity reads.
func (db *DB) SetIdentityReader(ctx context.Context, p *gridwarn.Principal, userID int64, granted bool) error {
	if err := countyAdmin(p); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var role gridwarn.Role
		var unit string
		err := tx.QueryRow(ctx, `SELECT role, scope_unit FROM users WHERE id = $1`, userID).Scan(&role, &unit)
		if err != nil || !strings.HasPrefix(unit, p.Scope.UnitCode) {
			return pgx.ErrNoRows // another county's person is not found
		}
		if role != gridwarn.RoleMediator && role != gridwarn.RoleLeader {
			return gridwarn.Invalid("identity reads are for mediators and leaders",
				gridwarn.FieldError{Field: "user", Rule: "role", Message: "must be a mediator or a leader"})
		}
		if !granted {
			_, err := tx.Exec(ctx, `DELETE FROM identity_readers WHERE user_id = $1`, userID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO identity_readers (user_id, granted_by, granted_at) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO NOTHING`, userID, p.Username, db.now())
		return err
	})
	return translate(err, "user")
}

// IdentityReads lists the log of the administrator's county, newest first.
func (db *DB) IdentityReads(ctx context.Context, p *gridwarn.Principal, afterID int64, limit int) ([]gridwarn.IdentityRead, error) {
	if err := countyAdmin(p); err != nil {
		return nil, err
	}
	var w where
	w.add("t.county_code = %s", p.Scope.UnitCode)
	if afterID > 0 {
		w.add("r.id < %s", afterID)
	}
	rows, _ := db.pool.Query(ctx, `SELECT r.id, r.at, r.reader, r.ticket_id, r.reason, r.identities
FROM identity_reads r JOIN tickets t ON t.id = r.ticket_id`+w.sql()+" ORDER BY r.id DESC LIMIT "+w.arg(limitOrDefault(limit)), w.args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.IdentityRead, error) {
		var x gridwarn.IdentityRead
		return x, r.Scan(&x.ID, &x.At, &x.Reader, &x.TicketID, &x.Reason, &x.Identities)
	})
	return out, translate(err, "identity reads")
}

// eraseIdentities erases the reporters' identities of tickets closed
// before cutoff, with a history line on each ticket, at most maxSweep
// tickets at a time.
func eraseIdentities(ctx context.Context, tx pgx.Tx, cutoff, now time.Time) (int, error) {
	const q = `
WITH due AS (
    SELECT t.id FROM tickets t
    WHERE t.status = 'closed' AND t.closed_at < $1
      AND EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.reporter_id IS NOT NULL)
    ORDER BY t.closed_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED),
erased AS (
    UPDATE events e SET reporter_id = NULL FROM due
    WHERE e.ticket_id = due.id AND e.reporter_id IS NOT NULL RETURNING e.ticket_id)
INSERT INTO ticket_history (ticket_id, at, actor, kind, note, data)
SELECT ticket_id, $3, $4, $5, 'the reporters'' identities were erased after the retention period',
       jsonb_build_object('events', count(*))
FROM erased GROUP BY ticket_id`
	tag, err := tx.Exec(ctx, q, cutoff, maxSweep, now, gridwarn.ActorSweeper, string(gridwarn.HistoryIdentitiesErased))
	return int(tag.RowsAffected()), err
}

func (db *DB) identityRetention() time.Duration {
	if db.retention > 0 {
		return db.retention
	}
	return defaultIdentityRetention
}
