package app_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// DOMAIN.md's level table for an owner, end to end through the engine: a
// bare owner_absconded report is red at the county; a reporter who can only
// say the owner has not been reachable for more than 24 h (the console's
// "the owner" field) gets orange at the town — never blue, never the
// enterprise tier.
func TestOwnerAbscondedAndUnreachable(t *testing.T) {
	w := newWorld(t)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	var ents []gridwarn.Enterprise
	for _, e := range w.county.Enterprises {
		if e.GridCode == w.gridA && e.CreditCode != w.entA.CreditCode {
			ents = append(ents, e)
		}
	}
	if len(ents) < 2 {
		t.Fatalf("the grid has %d other enterprises, want 2", len(ents))
	}
	fled, missing := ents[0], ents[1]

	body := map[string]any{"id": "owner-fled-1", "enterprise": fled.CreditCode, "category": "owner_absconded",
		"occurred_at": time.Now().Add(-30 * time.Minute).Format(time.RFC3339)}
	if code, out := w.do(t, gw, "POST", "/api/v1/reports", body); code != http.StatusAccepted {
		t.Fatalf("report: %d %s", code, out)
	}
	if tk := waitTicket(t, w, fled.CreditCode); tk.Level != gridwarn.LevelRed || tk.Tier != gridwarn.TierCounty {
		t.Errorf("a bare owner_absconded report: %s at the %s, want red at the county", tk.Level, tk.Tier)
	}

	c := signIn(t, w.a, gw)
	if code, _ := c.get("/ui/report?enterprise=" + missing.CreditCode); code != http.StatusOK {
		t.Fatalf("form: %d", code)
	}
	form := url.Values{"id": {"owner-missing-1"}, "enterprise": {missing.CreditCode}, "category": {"owner_absconded"},
		"owner_status": {"unreachable"}, "occurred_at": {time.Now().Add(-30 * time.Hour).In(shanghai(t)).Format("2006-01-02T15:04")}}
	if code, loc := c.post("/ui/report", form); code != http.StatusSeeOther {
		t.Fatalf("form: %d %s", code, loc)
	}
	if tk := waitTicket(t, w, missing.CreditCode); tk.Level != gridwarn.LevelOrange || tk.Tier != gridwarn.TierTown {
		t.Errorf("owner unreachable for 30 h: %s at the %s, want orange at the town", tk.Level, tk.Tier)
	}
}
