package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/notify"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// publicURL is api.public_url in these tests.
const publicURL = "http://127.0.0.1:8080"

// robotBodies is what the WeCom and DingTalk robots got for one
// notification, with the notification's payload as the relay sent it.
type robotBodies struct {
	topic           string
	payload         json.RawMessage // from the NATS envelope
	wecom, dingtalk []byte
}

// relayToRobots delivers db's outbox with the real relay, to NATS and to a
// WeCom and a DingTalk robot, and returns what they got in outbox order.
func relayToRobots(t *testing.T, db *postgres.DB) []robotBodies {
	t.Helper()
	ctx := t.Context()
	s := testutil.MustRunJetStream(t)
	nc, js := testutil.MustConnect(t, s)
	if _, err := notify.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync("gridwarn.>")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]map[string][]byte{} // format → delivery id → body
	robot := func(format string) *httptest.Server {
		got[format] = map[string][]byte{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got[format][r.Header.Get(notify.HeaderDelivery)] = body
			mu.Unlock()
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	wecom, ding := robot(notify.FormatWeCom), robot(notify.FormatDingTalk)
	r, err := notify.New(db, js, []notify.Webhook{
		{Name: "wecom", URL: wecom.URL + "/cgi-bin/webhook/send?key=k", Format: notify.FormatWeCom},
		{Name: "ding", URL: ding.URL + "/robot/send?access_token=t", Format: notify.FormatDingTalk, Secret: "SECtest"},
	}, notify.Options{PublicURL: publicURL})
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; ; round++ {
		b, err := db.OutboxBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Unpublished == 0 && b.PendingDeliveries == 0 {
			if b.FailedDeliveries != 0 {
				t.Fatalf("backlog %+v", b)
			}
			break
		}
		if round == 10 {
			t.Fatalf("the outbox is not delivered after 10 rounds: %+v", b)
		}
		if _, err := r.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	type row struct {
		ID    int64
		Topic string
	}
	rows, _ := db.Pool().Query(ctx, `SELECT id, topic FROM outbox ORDER BY id`)
	notes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	var out []robotBodies
	for _, n := range notes {
		id, rb := n.ID, robotBodies{topic: n.Topic}
		log, err := db.DeliveryLog(ctx, id)
		if err != nil || len(log) != 2 {
			t.Fatalf("delivery log of %d: %+v, %v", id, log, err)
		}
		rb.dingtalk, rb.wecom = got[notify.FormatDingTalk][log[0].DeliveryID], got[notify.FormatWeCom][log[1].DeliveryID]
		if rb.wecom == nil || rb.dingtalk == nil {
			t.Fatalf("notification %d (%s) did not reach both robots", id, rb.topic)
		}
		msg, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("notification %d on NATS: %v", id, err)
		}
		var env notify.Envelope
		if err := json.Unmarshal(msg.Data, &env); err != nil || env.DeliveryID != fmt.Sprintf("%s%d", notify.MsgIDPrefix, id) {
			t.Fatalf("NATS message %s (%v), want notification %d", msg.Data, err, id)
		}
		rb.payload = env.Payload
		out = append(out, rb)
	}
	return out
}

// compareRobotGolden compares body with testdata/notify/name, or rewrites
// it with -update (check a rewritten file by hand).
func compareRobotGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", "notify", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(body, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run RobotsGolden -update, then check the files by hand)", err)
	}
	if diff := cmp.Diff(strings.TrimSuffix(string(want), "\n"), string(body)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// robotText is the markdown a robot shows.
func robotText(t *testing.T, body []byte) string {
	t.Helper()
	var m struct {
		Markdown struct{ Content, Text, Title string } `json:"markdown"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return m.Markdown.Content + m.Markdown.Text
}

// The cards of a ticket that climbs the ladder, from the rows the engine's
// batch writer and the real sweeper wrote: every card names the enterprise
// and the unit addressed, and links to the ticket in the console.
func TestTicketRobotsGolden(t *testing.T) {
	db, d := mustOpenBlueTicket(t)
	ctx := context.Background()
	ent := d.Enterprise
	start := d.Clocks[0].StartedAt
	// Reminder and breach at the enterprise (→ town), then at the town (→ county).
	for _, at := range []time.Duration{8 * time.Second, 10 * time.Second, 18 * time.Second, 20 * time.Second} {
		if _, err := db.Sweep(ctx, start.Add(at)); err != nil {
			t.Fatal(err)
		}
	}

	loc := time.FixedZone("UTC+8", 8*3600) // the relay's default
	link := fmt.Sprintf("[查看详情](%s/ui/tickets/%d)", publicURL, d.ID)
	want := []struct{ topic, unit string }{
		{gridwarn.TopicTicketOpened, "合德镇"},
		{gridwarn.TopicReminder, "合德镇"}, {gridwarn.TopicBreach, "合德镇"}, {gridwarn.TopicTierChanged, "合德镇"},
		{gridwarn.TopicReminder, "合德镇"}, {gridwarn.TopicBreach, "合德镇"}, {gridwarn.TopicTierChanged, "射阳县"},
	}
	got := relayToRobots(t, db)
	if len(got) != len(want) {
		t.Fatalf("%d notifications, want %d", len(got), len(want))
	}
	for i, g := range got {
		var p gridwarn.TicketPayload
		if err := json.Unmarshal(g.payload, &p); err != nil {
			t.Fatal(err)
		}
		if g.topic != want[i].topic || p.TicketID != d.ID || p.Enterprise != ent || p.EnterpriseName != "测试企业"+ent[10:] ||
			p.UnitName != want[i].unit || p.URL != gridwarn.TicketURL(publicURL, d.ID) {
			t.Errorf("notification %d: %s %s, want %s to %s with the enterprise's name and a link", i, g.topic, g.payload, want[i].topic, want[i].unit)
		}
		for format, body := range map[string][]byte{notify.FormatWeCom: g.wecom, notify.FormatDingTalk: g.dingtalk} {
			text := robotText(t, body)
			for _, line := range []string{"企业：" + p.EnterpriseName + "（" + ent + "）", "承办：" + want[i].unit, link} {
				if !strings.Contains(text, line) {
					t.Errorf("notification %d (%s), %s: no %q in\n%s", i, g.topic, format, line, text)
				}
			}
			// Due times depend on when the test runs: the golden files
			// hold a placeholder where the card shows the row's due time.
			if p.DueAt != nil {
				due := p.DueAt.In(loc).Format("2006-01-02 15:04")
				if !strings.Contains(text, "时限："+due) {
					t.Errorf("notification %d (%s), %s: no due time %s in\n%s", i, g.topic, format, due, text)
				}
				body = []byte(strings.ReplaceAll(string(body), due, "<due_at>"))
			}
			compareRobotGolden(t, fmt.Sprintf("%s_ticket_%d_%s.json", format, i+1, g.topic), body)
		}
	}
}

// The card of each weekly summary the real build stored: its period and
// the counts, and a link to the summary in the console.
func TestSummaryRobotsGolden(t *testing.T) {
	county := gridwarn.Unit{Code: "320924", Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	townA := gridwarn.Unit{Code: "320924100", Kind: gridwarn.UnitTown, NameZH: "合德镇", ParentCode: "320924"}
	db := MustOpenDB(t)
	sums := buildGoldenIn(t, db, county, townA)
	got := relayToRobots(t, db)
	if len(got) != len(sums) {
		t.Fatalf("%d notifications, want one per summary (%d)", len(got), len(sums))
	}
	// The county's counts, worked out by hand in TestWeeklySummaryGolden:
	// 6 new, 2 closed, 8 open at the end (backlog 2+1+3+1+1), 1 red ticket,
	// 3 overdue, 11 events.
	wantCounty := gridwarn.SummaryPayload{UnitCode: "320924", UnitName: "射阳县", Week: "2026-W46", Revision: 1,
		PeriodStart: "2026-11-09", PeriodEnd: "2026-11-15", TimeZone: "Asia/Shanghai",
		Events: 11, Opened: 6, Closed: 2, Open: 8, Red: 1, Overdue: 3,
		URL: publicURL + "/ui/summaries/2026-W46?unit=320924"}
	for i, g := range got {
		var p gridwarn.SummaryPayload
		if err := json.Unmarshal(g.payload, &p); err != nil {
			t.Fatal(err)
		}
		want := gridwarn.NewSummaryPayload(sums[i])
		want.URL = gridwarn.SummaryURL(publicURL, want.Week, want.UnitCode)
		if g.topic != gridwarn.TopicSummaryWeekly || p != want {
			t.Errorf("notification %d: %s %s, want the summary of %s", i, g.topic, g.payload, sums[i].UnitCode)
		}
		if i == 0 {
			if diff := cmp.Diff(wantCounty, p); diff != "" {
				t.Errorf("county summary payload (-want +got):\n%s", diff)
			}
		}
		for format, body := range map[string][]byte{notify.FormatWeCom: g.wecom, notify.FormatDingTalk: g.dingtalk} {
			text := robotText(t, body)
			for _, line := range []string{"范围：" + p.UnitName, "周期：2026-11-09 至 2026-11-15（2026-W46）",
				fmt.Sprintf("工单：新增 %d，办结 %d，在办 %d，红色 %d，超时 %d", p.Opened, p.Closed, p.Open, p.Red, p.Overdue),
				"[查看详情](" + p.URL + ")"} {
				if !strings.Contains(text, line) {
					t.Errorf("summary of %s, %s: no %q in\n%s", p.UnitCode, format, line, text)
				}
			}
			compareRobotGolden(t, fmt.Sprintf("%s_summary_%s.json", format, p.UnitCode), body)
		}
	}
}
