package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// D1 with the auth cache: two replicas (two DBs on one database) both
// have a token cached; a revocation through one is refused by it at once,
// and by the other as soon as the NOTIFY of migration 00026 reaches it —
// and in any case after postgres.AuthCacheTTL, which D1 bounds by 5 s. A
// person deactivated by any writer (here plain SQL) is refused the same way.
// The waits poll with a generous timeout; nothing asserts a duration.
func TestAuthCacheRevocationReachesEveryReplica(t *testing.T) {
	if postgres.AuthCacheTTL > 5*time.Second {
		t.Fatalf("AuthCacheTTL is %s; DECISIONS D1 allows at most 5s", postgres.AuthCacheTTL)
	}
	a, url := testutil.MustOpenDB(t)
	ctx := context.Background()
	b, err := postgres.Open(ctx, postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	testutil.MustSeedDemoCounty(t, a)
	waitFor(t, "both replicas listen", func() bool {
		la, _ := a.AuthCacheState()
		lb, _ := b.AuthCacheState()
		return la && lb
	})

	u, err := a.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := a.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "to revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*postgres.DB{a, b} {
		for range 2 { // the second answer comes from the cache
			if _, err := db.Authenticate(ctx, secret); err != nil {
				t.Fatalf("before the revocation: %v", err)
			}
		}
	}

	_, genA := a.AuthCacheState()
	_, genB := b.AuthCacheState()
	if err := a.RevokeToken(ctx, gridwarn.Visibility{All: true}, tok.ID); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if _, err := a.Authenticate(ctx, secret); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("the replica that revoked answered %v, want EUNAUTHORIZED at once", err)
	}
	waitFor(t, "the other replica hears of the revocation", func() bool {
		_, g := b.AuthCacheState()
		return g != genB
	})
	// The replica that revoked emptied its cache itself, then hears its
	// own notification: wait for that too before the next part.
	waitFor(t, "the revoking replica hears its own notification", func() bool {
		_, g := a.AuthCacheState()
		return g >= genA+2
	})
	t.Logf("the other replica dropped its cache %s after the revocation returned", time.Since(at))
	if _, err := b.Authenticate(ctx, secret); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("the other replica answered %v after the notification, want EUNAUTHORIZED", err)
	}

	// A deactivation by any writer reaches both replicas' caches.
	leader := testutil.MustToken(t, a, "leader")
	for _, db := range []*postgres.DB{a, b} {
		if _, err := db.Authenticate(ctx, leader); err != nil {
			t.Fatal(err)
		}
	}
	_, genA = a.AuthCacheState()
	_, genB = b.AuthCacheState()
	if _, err := a.Pool().Exec(ctx, "UPDATE users SET disabled = true WHERE username = 'leader'"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both replicas hear of the deactivation", func() bool {
		_, ga := a.AuthCacheState()
		_, gb := b.AuthCacheState()
		return ga != genA && gb != genB
	})
	for _, db := range []*postgres.DB{a, b} {
		if _, err := db.Authenticate(ctx, leader); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
			t.Fatalf("a deactivated person's token: %v, want EUNAUTHORIZED", err)
		}
	}
}

// waitFor polls cond until it holds, failing after a generous timeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
