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
		"a platform's work order": func(r *gridwarn.FeedRecord) {
			r.WorkOrder, r.PlatformOrder = "12351-20261206-0007", "YC12351-2026-000123"
		},
		"the reply to it": func(r *gridwarn.FeedRecord) {
			r.Kind, r.From, r.To, r.WorkOrder, r.PlatformOrder = "reply", "in_progress", "replied", "12351-20261206-0007", "YC12351-2026-000123"
		},
		"free text as a platform order": func(r *gridwarn.FeedRecord) {
			r.WorkOrder, r.PlatformOrder = "12351-20261206-0007", "call 13912345678"
		},
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

// The reply (回单) to a platform's work order: the reply action answers
// it, close closes it; every other change of the ticket names the order
// without replying; free text never passes for an order number.
func TestFeedWorkOrderReply(t *testing.T) {
	r := gridwarn.FeedRecord{Position: 1, TicketID: 7, Seq: 5, At: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Actor: "user:med1",
		Category: "wage_arrears", CreditCode: "91320924MA1XXXXXX0", CountyCode: "320924",
		WorkOrder: "12351-20261206-0007", PlatformOrder: "YC12351-2026-000123"}
	for kind, want := range map[string]string{"reply": gridwarn.WorkOrderAnswered, "close": gridwarn.WorkOrderClosed, "accept": ""} {
		r.Kind = kind
		wo := gridwarn.FeedEventOf(r).Data.WorkOrder
		if wo == nil || wo.Number != r.WorkOrder || wo.PlatformNumber != r.PlatformOrder || wo.Reply != want {
			t.Errorf("%s: work order %+v, want the numbers and reply %q", kind, wo, want)
		}
	}
	for _, bad := range [][2]string{{"", "YC1"}, {"12351-20261206-0007", ""}, {"12351-20261206-0007", "王小明 13812345678"}, {"call me", "YC1"}} {
		r.WorkOrder, r.PlatformOrder = bad[0], bad[1]
		if wo := gridwarn.FeedEventOf(r).Data.WorkOrder; wo != nil {
			t.Errorf("%q: work order %+v, want none", bad, wo)
		}
	}
}
