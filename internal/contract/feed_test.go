package contract

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The README's example event satisfies the schema it documents.
func TestREADMEFeedExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- feed-example:")
	if !ok {
		t.Fatal("README: no feed-example block")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	block, _, _ := strings.Cut(rest, "```")
	if err := ValidateTicketChange([]byte(block)); err != nil {
		t.Errorf("the README's example event breaks the schema: %v\n%s", err, block)
	}
}

// Every event FeedEventOf builds satisfies the schema, and free text in
// from/to never leaves.
func TestFeedEventOfSatisfiesTheSchema(t *testing.T) {
	base := gridwarn.FeedRecord{Position: 1, TicketID: 7, Seq: 1, At: time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		Actor: "system:engine", Kind: "opened", To: "yellow", Status: "new", Level: "yellow", Tier: "town", Category: "wage_arrears",
		CreditCode: "91320924MA1XXXXXX0", EnterpriseName: "某公司", CountyCode: "320924", TownCode: "320924100"}
	for name, mod := range map[string]func(*gridwarn.FeedRecord){
		"opened":          func(*gridwarn.FeedRecord) {},
		"before the feed": func(r *gridwarn.FeedRecord) { r.Status, r.Level, r.Tier = "", "", "" },
		"person": func(r *gridwarn.FeedRecord) {
			r.Actor, r.Kind, r.From, r.To = "user:张三", "accept", "dispatched", "accepted"
		},
		"free text in to":  func(r *gridwarn.FeedRecord) { r.To = "call 13912345678" },
		"no town, no name": func(r *gridwarn.FeedRecord) { r.TownCode, r.EnterpriseName = "", "" },
	} {
		r := base
		mod(&r)
		raw, _ := json.Marshal(gridwarn.FeedEventOf(r))
		if err := ValidateTicketChange(raw); err != nil {
			t.Errorf("%s: %v\n%s", name, err, raw)
		}
		if strings.Contains(string(raw), "139") || strings.Contains(string(raw), "张三") {
			t.Errorf("%s: personal data leaves: %s", name, raw)
		}
	}
}
