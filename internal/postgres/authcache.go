package postgres

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// AuthCacheTTL is how long a resolved bearer token is trusted without
// asking the database again. DECISIONS D1 bounds it: a revoked token or a
// deactivated person is refused at once by the replica that did it (its
// cache is cleared in the same call) and by every other replica as soon as
// the NOTIFY on authChannel reaches it, and in any case within this TTL
// (a replica whose listening connection is down still expires entries).
const AuthCacheTTL = 2 * time.Second

// authChannel is the PostgreSQL NOTIFY channel on which a replica that
// revokes a token or changes a person tells the others to drop their
// cached tokens.
const authChannel = "gridwarn_auth"

// authCacheMax bounds the cache; a full cache is emptied (tokens are few:
// one or two per person).
const authCacheMax = 10_000

type authEntry struct {
	p     gridwarn.Principal
	until time.Time
}

// authCache holds resolved tokens by their SHA-256 for at most AuthCacheTTL.
type authCache struct {
	mu  sync.RWMutex
	m   map[[sha256.Size]byte]authEntry
	gen uint64 // rises at every clear, so a lookup begun before a clear stores nothing
	// listening is true while listenAuth waits on authChannel.
	listening atomic.Bool
}

func (c *authCache) get(h [sha256.Size]byte, now time.Time) (gridwarn.Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return gridwarn.Principal{}, false
	}
	return e.p, true
}

func (c *authCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores p unless the cache was cleared since gen was read.
func (c *authCache) put(h [sha256.Size]byte, p gridwarn.Principal, until time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= authCacheMax {
		c.m = make(map[[sha256.Size]byte]authEntry)
	}
	c.m[h] = authEntry{p: p, until: until}
}

func (c *authCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// authChanged drops this replica's cached tokens at once, after a
// revocation or a change of people committed here. The other replicas hear
// of it from the triggers of migration 00026, which NOTIFY authChannel on
// every change of tokens, people and their grids, whoever writes them.
func (db *DB) authChanged() { db.auth.clear() }

// listenAuth drops the cache whenever another replica (or this one)
// notifies authChannel, until ctx ends. While it is not listening (the
// database is away) the cache is cleared at every reconnection and
// entries still expire after AuthCacheTTL.
func (db *DB) listenAuth(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(db.listenDone)
	for wait := 100 * time.Millisecond; ctx.Err() == nil; {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+authChannel); err == nil {
				db.auth.clear() // whatever was missed while not listening
				db.auth.listening.Store(true)
				wait = 100 * time.Millisecond
				for err == nil {
					_, err = conn.WaitForNotification(ctx)
					if err == nil {
						db.auth.clear()
					}
				}
			}
			db.auth.listening.Store(false)
			_ = conn.Close(context.WithoutCancel(ctx))
		}
		if ctx.Err() != nil {
			return
		}
		db.log.Debug("auth cache: listening for revocations", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, AuthCacheTTL)
	}
}
