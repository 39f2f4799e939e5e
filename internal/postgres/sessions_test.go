package postgres_test

import (
	"context"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

func TestSignInAndSessions(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	testutil.MustSeedDemoCounty(t, db)
	all := gridwarn.Visibility{All: true}
	u, err := db.UserByName(ctx, "mediator-county-1")
	if err != nil {
		t.Fatalf("demo user: %v", err)
	}

	// No password yet: nobody signs in.
	if _, _, _, err := db.SignIn(ctx, u.Username, "anything-at-all", gridwarn.SignInMeta{}); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("sign-in without a password: %v, want unauthorized", err)
	}
	if err := db.SetPassword(ctx, all, u.ID, "short"); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Fatalf("short password: %v, want invalid", err)
	}
	if err := db.SetPassword(ctx, all, u.ID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	p, s, secret, err := db.SignIn(ctx, u.Username, "correct horse battery", gridwarn.SignInMeta{IP: "127.0.0.1", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Username != u.Username || p.Role != u.Role || s.CSRF == "" || secret == "" || !s.ExpiresAt.After(s.CreatedAt) {
		t.Fatalf("sign-in: %+v %+v %q", p, s, secret)
	}
	p2, s2, err := db.Session(ctx, secret)
	if err != nil || p2.ID != u.ID || s2.ID != s.ID || s2.CSRF != s.CSRF {
		t.Fatalf("session: %+v %+v %v", p2, s2, err)
	}
	if _, _, err := db.Session(ctx, secret+"x"); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("unknown session: %v", err)
	}

	// A new password ends every session of the person.
	if err := db.SetPassword(ctx, all, u.ID, "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Session(ctx, secret); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("session after a password change: %v, want unauthorized", err)
	}
	_, _, secret, err = db.SignIn(ctx, u.Username, "another long password", gridwarn.SignInMeta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SignOut(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Session(ctx, secret); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("session after sign-out: %v, want unauthorized", err)
	}

	// A town leader sets passwords only for the people of their town.
	town := gridwarn.Visibility{CountyCode: "320924", TownCode: "320924100"}
	if err := db.SetPassword(ctx, town, u.ID, "a third long password"); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Fatalf("password outside the scope: %v, want not found", err)
	}
}

func TestSignInLockOut(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	testutil.MustSeedDemoCounty(t, db)
	testutil.MustPassword(t, db, "mediator-county-1", "correct horse battery")
	max := postgres.SessionDefaults.MaxFailures
	for _, name := range []string{"mediator-county-1", "no-such-person"} {
		for i := 1; i <= max; i++ {
			_, _, _, err := db.SignIn(ctx, name, "wrong password!", gridwarn.SignInMeta{})
			want := gridwarn.EUNAUTHORIZED
			if i == max {
				want = gridwarn.ETOOMANY
			}
			if gridwarn.ErrorCode(err) != want {
				t.Fatalf("%s: failure %d: %v, want %s", name, i, err, want)
			}
		}
		// Locked: even the right password is refused, the same way for a
		// known and an unknown username.
		if _, _, _, err := db.SignIn(ctx, name, "correct horse battery", gridwarn.SignInMeta{}); gridwarn.ErrorCode(err) != gridwarn.ETOOMANY {
			t.Fatalf("%s: sign-in while locked: %v, want too_many", name, err)
		}
	}
	// The lock ends: simulate its expiry.
	if _, err := db.Pool().Exec(ctx, "UPDATE login_failures SET locked_until = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.SignIn(ctx, "mediator-county-1", "correct horse battery", gridwarn.SignInMeta{}); err != nil {
		t.Fatalf("sign-in after the lock: %v", err)
	}
	// Success forgets the failures: one more failure does not lock again.
	if _, _, _, err := db.SignIn(ctx, "mediator-county-1", "wrong password!", gridwarn.SignInMeta{}); gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
		t.Fatalf("after success: %v, want unauthorized", err)
	}
}

// A stranger guessing a person's password locks out only their own address:
// the person signs in from theirs meanwhile, and no address learns anything
// the other does not.
func TestStrangerLocksOnlyThemselves(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	testutil.MustSeedDemoCounty(t, db)
	testutil.MustPassword(t, db, "mediator-county-1", "correct horse battery")
	stranger := gridwarn.SignInMeta{IP: "203.0.113.7"}
	owner := gridwarn.SignInMeta{IP: "198.51.100.20"}
	for i := 1; i <= postgres.SessionDefaults.MaxFailures; i++ {
		_, _, _, err := db.SignIn(ctx, "mediator-county-1", "wrong password!", stranger)
		if i == postgres.SessionDefaults.MaxFailures && gridwarn.ErrorCode(err) != gridwarn.ETOOMANY {
			t.Fatalf("failure %d: %v, want the stranger locked out", i, err)
		}
	}
	if _, _, _, err := db.SignIn(ctx, "mediator-county-1", "correct horse battery", stranger); gridwarn.ErrorCode(err) != gridwarn.ETOOMANY {
		t.Errorf("the stranger's address while locked: %v, want too_many", err)
	}
	if _, _, _, err := db.SignIn(ctx, "mediator-county-1", "correct horse battery", owner); err != nil {
		t.Errorf("the owner's address while a stranger is locked out: %v, want signed in", err)
	}
}
