package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// D1: a token revoked through one replica is refused by every other
// replica at once. gridwarn keeps no cache of tokens or sessions: each
// request checks them on the primary (never on database.read_url), so the
// bound is the time of one query. The test measures and logs how long the
// second replica took to refuse; it asserts the refusal, never a duration.
func TestRevocationReachesEveryReplicaAtOnce(t *testing.T) {
	url := testutil.MustCreateDatabase(t)
	_, readURL := testutil.MustOpenDB(t) // a read replica that never sees the revocation
	shared := func(c *config.Config) {
		c.Database.URL = url
		c.Database.ReadURL = readURL
	}
	one := MustRunApp(t, shared)
	two := MustRunApp(t, shared, func(c *config.Config) { c.Roles.Engine, c.Roles.Scheduler, c.Roles.Relay = false, false, false })
	testutil.MustSeedDemoCounty(t, one.DB())
	admin := testutil.MustToken(t, one.DB(), "admin")

	ctx := context.Background()
	u, err := one.DB().UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := one.DB().CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "to revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{one.APIAddr(), two.APIAddr()} {
		if code := get(t, a, secret, "/api/v1/tickets"); code != http.StatusOK {
			t.Fatalf("before the revocation %s answered %d, want 200", a, code)
		}
	}

	if code := call(t, one, admin, "POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tok.ID), nil, nil); code >= 300 {
		t.Fatalf("revoke on replica one: %d", code)
	}
	at := time.Now()
	code := get(t, two.APIAddr(), secret, "/api/v1/tickets")
	t.Logf("replica two answered %d to the revoked token %s after the revocation returned", code, time.Since(at))
	if code != http.StatusUnauthorized {
		t.Errorf("replica two answered %d to the first request with the revoked token, want 401", code)
	}
	if code := get(t, one.APIAddr(), secret, "/api/v1/tickets"); code != http.StatusUnauthorized {
		t.Errorf("replica one answered %d to the revoked token, want 401", code)
	}
}

func get(t *testing.T, addr, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
