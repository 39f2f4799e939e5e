package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/natsbus"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// cluster runs the cluster script: kill|start|pause|resume NAME.
func (r *run) cluster(ctx context.Context, verb, name string) error {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, "bash", r.o.Cluster, verb, name).CombinedOutput()
	r.log.Info("drill: cluster", "verb", verb, "name", name, "err", err)
	if err != nil {
		return fmt.Errorf("%s %s %s: %w: %s", r.o.Cluster, verb, name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// streamNodes returns the GRIDWARN_EVENTS leader and its followers (the
// servers' names are the cluster script's process names).
func (r *run) streamNodes(ctx context.Context) (string, []string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		ictx, cancel := context.WithTimeout(ctx, 3*time.Second)
		s, err := r.hubJS.Stream(ictx, natsbus.StreamName)
		if err == nil {
			info, ierr := s.Info(ictx)
			err = ierr
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
				cancel()
				var followers []string
				for _, p := range info.Cluster.Replicas {
					followers = append(followers, p.Name)
				}
				return info.Cluster.Leader, followers, nil
			}
			if err == nil {
				err = fmt.Errorf("stream %s has no leader now", natsbus.StreamName)
			}
		}
		cancel()
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", nil, fmt.Errorf("the stream's leader: %w", err)
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// inject runs one scenario's fault, holds it, heals it and returns when
// it healed.
func (r *run) inject(ctx context.Context, name string) (time.Time, string, error) {
	hold := func(verb, node, healVerb string, d time.Duration) (time.Time, error) {
		if err := r.cluster(ctx, verb, node); err != nil {
			return time.Time{}, err
		}
		sleep(ctx, d)
		if err := r.cluster(ctx, healVerb, node); err != nil {
			return time.Time{}, err
		}
		return time.Now(), nil
	}
	switch name {
	case FaultNATSKill, FaultLeaderKill, FaultNATSPause:
		leader, followers, err := r.streamNodes(ctx)
		if err != nil {
			return time.Time{}, "", err
		}
		node := leader
		if name == FaultNATSKill {
			if len(followers) == 0 {
				return time.Time{}, "", fmt.Errorf("stream %s has no followers (replicas: 1?)", natsbus.StreamName)
			}
			node = followers[0]
		}
		verb, heal, note := "kill", "start", "kill -9 "+node
		if name == FaultNATSPause {
			verb, heal, note = "pause", "resume", "SIGSTOP "+node
		} else if name == FaultLeaderKill {
			note += ", the leader"
		}
		at, err := hold(verb, node, heal, r.o.FaultTime)
		return at, fmt.Sprintf("%s for %s", note, r.o.FaultTime), err
	case FaultReplicaKill:
		at, err := hold("kill", r.o.Replica, "start", r.o.FaultTime)
		return at, fmt.Sprintf("kill -9 %s for %s", r.o.Replica, r.o.FaultTime), err
	case FaultPGRestart:
		at, err := hold("kill", "pg-primary", "start", r.o.FaultTime)
		return at, fmt.Sprintf("primary down %s", r.o.FaultTime), err
	case FaultLeafCut:
		county := r.o.LeafToCut
		if county == "" {
			county = r.counties()[0]
		}
		at, err := hold("kill", "proxy-"+county, "start", r.o.LeafCut)
		return at, fmt.Sprintf("county %s cut off %s", county, r.o.LeafCut), err
	default: // the baseline
		sleep(ctx, r.o.Baseline)
		return time.Now(), "", nil
	}
}

// recover waits until every event acknowledged before healed is in the
// inbox, and says how long after healed that was.
func (r *run) recover(ctx context.Context, healed time.Time) (time.Duration, bool) {
	deadline := healed.Add(r.o.RecoverTimeout)
	for {
		r.mu.Lock()
		var missing []string
		for id, a := range r.acks {
			if !a.at.After(healed) && !r.stored[id] {
				missing = append(missing, id)
			}
		}
		r.mu.Unlock()
		if len(missing) == 0 {
			return time.Since(healed), false
		}
		found, err := r.inInbox(ctx, missing)
		if err == nil {
			r.mu.Lock()
			for _, id := range found {
				r.stored[id] = true
			}
			r.mu.Unlock()
			if len(found) == len(missing) {
				return time.Since(healed), false
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Since(healed), true
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

func (r *run) inInbox(ctx context.Context, ids []string) ([]string, error) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := r.db.Pool().Query(qctx, `SELECT event_id FROM inbox WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (r *run) counts(ctx context.Context, q string) (map[string]int, error) {
	rows, err := r.db.Pool().Query(ctx, q, r.prefix+"%")
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var (
		id string
		n  int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, err
}

func (r *run) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := r.db.Pool().QueryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// check compares every acknowledged event with PostgreSQL and checks the
// invariants over the drill's enterprises.
func (r *run) check(ctx context.Context, res *Result) error {
	events, err := r.counts(ctx, `SELECT id, count(*)::int FROM events WHERE id LIKE $1 GROUP BY id`)
	if err != nil {
		return fmt.Errorf("drill: check events: %w", err)
	}
	inbox, err := r.counts(ctx, `SELECT event_id, count(*)::int FROM inbox WHERE event_id LIKE $1 GROUP BY event_id`)
	if err != nil {
		return fmt.Errorf("drill: check inbox: %w", err)
	}
	r.mu.Lock()
	for id, a := range r.acks {
		row := &res.Rows[min(a.phase, len(res.Rows)-1)]
		row.Acked++
		switch {
		case events[id] == 0 || inbox[id] == 0:
			row.Lost++
			if row.Lost <= 5 {
				r.log.Error("drill: acknowledged event lost", "event_id", id, "events", events[id], "inbox", inbox[id])
			}
		case events[id] > 1 || inbox[id] > 1:
			row.Duplicate++
			r.log.Error("drill: event stored more than once", "event_id", id, "events", events[id], "inbox", inbox[id])
		}
	}
	r.mu.Unlock()
	ents := r.allEnterprises()
	const tickets = `SELECT count(*) || ' tickets' FROM tickets WHERE enterprise = ANY($1)`
	checks := []struct{ name, q, of string }{
		{"no enterprise+category with two open tickets",
			`SELECT count(*) FROM (SELECT 1 FROM tickets WHERE enterprise = ANY($1) AND status <> 'closed'
			 GROUP BY enterprise, category HAVING count(*) > 1) x`, tickets},
		{"ticket event counts add up",
			`SELECT count(*) FROM tickets t WHERE t.enterprise = ANY($1)
			 AND t.event_count <> (SELECT count(*) FROM events e WHERE e.ticket_id = t.id)`, tickets},
		{"no escalation sent twice",
			`SELECT count(*) FROM (SELECT 1 FROM outbox WHERE topic IN ('ticket.tier_changed', 'ticket.breach')
			 AND payload->>'enterprise' = ANY($1)
			 GROUP BY topic, payload->>'ticket_id', payload->>'tier', coalesce(payload->>'clock', '') HAVING count(*) > 1) x`,
			`SELECT count(*) FILTER (WHERE topic = 'ticket.tier_changed') || ' tier changes, ' ||
			        count(*) FILTER (WHERE topic = 'ticket.breach') || ' breaches'
			 FROM outbox WHERE topic IN ('ticket.tier_changed', 'ticket.breach') AND payload->>'enterprise' = ANY($1)`},
		{"no drill event set aside as a dead letter",
			`SELECT count(*) FROM dead_letters WHERE event_id LIKE '` + r.prefix + `%' AND $1::text[] IS NOT NULL`, ""},
	}
	for _, c := range checks {
		n, err := r.count(ctx, c.q, ents)
		if err != nil {
			return fmt.Errorf("drill: check %s: %w", c.name, err)
		}
		chk := Check{Name: c.name, Violations: n}
		if c.of != "" {
			if err := r.db.Pool().QueryRow(ctx, c.of, ents).Scan(&chk.Of); err != nil {
				return fmt.Errorf("drill: check %s: %w", c.name, err)
			}
		}
		res.Checks = append(res.Checks, chk)
	}
	return nil
}
