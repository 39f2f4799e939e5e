package notify

import (
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func ptr[T any](v T) *T { return &v }

var formatCases = []struct {
	name    string
	topic   string
	payload any
}{
	{"opened", gridwarn.TopicTicketOpened, gridwarn.TicketPayload{
		TicketID: 1024, Enterprise: "91320924MA0000001X", EnterpriseName: "射阳县某纺织有限公司", Category: "wage_arrears",
		Level: "red", Tier: "town", UnitCode: "320924100", UnitName: "合德镇", URL: "https://gridwarn.example.cn/tickets/1024",
	}},
	{"level_raised", gridwarn.TopicLevelRaised, gridwarn.TicketPayload{
		TicketID: 1024, EnterpriseName: "射阳县某纺织有限公司", Category: "wage_arrears", FromLevel: "yellow", Level: "orange", Tier: "town",
	}},
	{"tier_changed", gridwarn.TopicTierChanged, gridwarn.TicketPayload{
		TicketID: 7, Enterprise: "91320924MA0000002X", Category: "collective_action", Level: "red", FromTier: "town", Tier: "county",
		UnitName: "射阳县", Note: "镇级调解未果，移交县级",
	}},
	{"reminder", gridwarn.TopicReminder, gridwarn.TicketPayload{
		TicketID: 7, EnterpriseName: "某电子厂", Level: "yellow", Tier: "enterprise", Clock: "accept",
		DueAt: ptr(time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)),
	}},
	{"breach", gridwarn.TopicBreach, gridwarn.TicketPayload{
		TicketID: 7, EnterpriseName: "某电子厂", Level: "blue", Tier: "county", Clock: "resolve",
		DueAt: ptr(time.Date(2026, 11, 21, 16, 0, 0, 0, time.UTC)),
	}},
	{"returned", gridwarn.TopicReturned, gridwarn.TicketPayload{TicketID: 9, FromTier: "county", Tier: "town", Note: "材料不全，退回补充"}},
	{"reopened", gridwarn.TopicReopened, gridwarn.TicketPayload{
		TicketID: 9, EnterpriseName: "某电子厂", Level: "yellow", Tier: "town", UnitName: "合德镇",
	}},
	{"summary_weekly", gridwarn.TopicSummaryWeekly, gridwarn.SummaryPayload{
		UnitCode: "320924", UnitName: "射阳县", Week: "2026-W47", PeriodStart: "2026-11-16", PeriodEnd: "2026-11-22",
		Events: 40, Opened: 12, Closed: 10, Open: 5, Red: 2, Overdue: 1, URL: "https://gridwarn.example.cn/ui/summaries/2026-W47?unit=320924",
	}},
	{"circular_unionization", gridwarn.TopicCircularUnionization, gridwarn.CircularPayload{
		UnitCode: "320924100", UnitName: "合德镇", Period: "2026-11", Revision: 1, Listed: 7, NewlyListed: 2, NewlyUnionized: 3,
	}},
	{"summary_quarterly", gridwarn.TopicSummaryPeriod, gridwarn.PeriodPayload{
		UnitCode: "320924", UnitName: "射阳县", Kind: gridwarn.PeriodQuarter, Period: "2026-Q3", Revision: 1, Events: 310, Opened: 95, Closed: 90, Red: 4,
	}},
	{"not_an_object", "ticket.unknown", []int{1, 2}},
}

func TestRobotBodiesGolden(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("UTC+8", 8*60*60)
	for _, tc := range formatCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			payload, err := json.Marshal(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			env := Envelope{DeliveryID: "d", Topic: tc.topic, Subject: "gridwarn.notify.town.320924100", CreatedAt: time.Unix(0, 0).UTC(), Payload: payload}
			for format, build := range map[string]func(Envelope, *time.Location) ([]byte, error){
				FormatWeCom: WeComBody, FormatDingTalk: DingTalkBody,
			} {
				body, err := build(env, loc)
				if err != nil {
					t.Fatal(err)
				}
				checkShape(t, format, body)
				golden(t, filepath.Join("testdata", format+"_"+tc.name+".json"), body)
			}
		})
	}
}

// checkShape checks the robots' documented message shapes.
func checkShape(t *testing.T, format string, body []byte) {
	t.Helper()
	var m struct {
		MsgType  string         `json:"msgtype"`
		Markdown map[string]any `json:"markdown"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s body %s: %v", format, body, err)
	}
	want := []string{"content"}
	if format == FormatDingTalk {
		want = []string{"text", "title"}
	}
	var keys []string
	for k, v := range m.Markdown {
		if s, ok := v.(string); !ok || s == "" {
			t.Errorf("%s markdown.%s = %v, want text", format, k, v)
		}
		keys = append(keys, k)
	}
	if m.MsgType != "markdown" || len(keys) != len(want) {
		t.Errorf("%s body %s: want msgtype markdown with %v", format, body, want)
	}
	for _, k := range want {
		if _, ok := m.Markdown[k]; !ok {
			t.Errorf("%s body lacks markdown.%s", format, k)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(strings.TrimSuffix(string(want), "\n"), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestWeComContentIsCut(t *testing.T) {
	t.Parallel()
	payload, _ := json.Marshal(gridwarn.TicketPayload{TicketID: 1, Note: strings.Repeat("很长的说明", 1000)})
	body, err := WeComBody(Envelope{Topic: gridwarn.TopicTicketOpened, Payload: payload}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Markdown struct{ Content string } `json:"markdown"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Markdown.Content); n > weComMaxContent || n < weComMaxContent-10 {
		t.Errorf("content is %d bytes, want just under %d", n, weComMaxContent)
	}
	if !json.Valid(body) || !strings.HasSuffix(m.Markdown.Content, "…") {
		t.Errorf("content not cut cleanly: ...%q", m.Markdown.Content[len(m.Markdown.Content)-20:])
	}
}

// The DingTalk signature of a known vector, computed independently with
// DingTalk's documented Python recipe:
//
//	string_to_sign = "{}\n{}".format(timestamp, secret)
//	hmac_code = hmac.new(secret.encode(), string_to_sign.encode(), digestmod=hashlib.sha256).digest()
//	sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))
const (
	dingSecret    = "SEC4d2c0f6b9e1a8f7c3b5d2e9a0c1f4b7e8d6a3c5b2e1f0a9d8c7b6a5e4f3d2c1b"
	dingTimestamp = 1700000000000
	dingSign      = "aV7oXRVYTncGH/iExJNdqzJDD6IBP6MPe9lx0rloBDM="
	dingSignURL   = "aV7oXRVYTncGH%2FiExJNdqzJDD6IBP6MPe9lx0rloBDM%3D"
)

func TestDingTalkSignKnownVector(t *testing.T) {
	t.Parallel()
	if got := DingTalkSign(dingSecret, dingTimestamp); got != dingSign {
		t.Errorf("DingTalkSign = %q, want %q", got, dingSign)
	}
	u, err := dingTalkURL("https://oapi.dingtalk.com/robot/send?access_token=abc", dingSecret, dingTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://oapi.dingtalk.com/robot/send?access_token=abc&sign=" + dingSignURL + "&timestamp=1700000000000"
	if u != want {
		t.Errorf("url = %s\nwant  %s", u, want)
	}
}

// Through the relay: the robots get their shapes, DingTalk its signature
// on the injected clock, and an errcode in a 200 answer is a failure.
func TestRobotsThroughTheRelay(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	e.clock.at = at
	ding := startReceiver(t, &receiver{okBody: func(int) string { return `{"errcode":0,"errmsg":"ok"}` }})
	// WeCom's rate limit answers 200 with an error code the first time.
	wecom := startReceiver(t, &receiver{okBody: func(attempt int) string {
		if attempt == 1 {
			return `{"errcode":45009,"errmsg":"api freq out of limit"}`
		}
		return `{"errcode":0,"errmsg":"ok"}`
	}})
	r := mustRelay(t, e, []Webhook{
		{Name: "ding", URL: ding.URL + "/robot/send?access_token=tok", Secret: dingSecret, Format: FormatDingTalk},
		{Name: "wecom", URL: wecom.URL + "/cgi-bin/webhook/send?key=k", Format: FormatWeCom, Topics: []string{"ticket.*"}},
	}, Options{Concurrency: 1})
	mustEnqueue(t, e.db, gridwarn.Notification{Topic: formatCases[0].topic, Subject: gridwarn.NotifySubject("town", "320924100"), Payload: formatCases[0].payload})

	if _, err := r.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	log, err := e.db.DeliveryLog(t.Context(), mustOutbox(t, e.db)[0].id)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[1].Webhook != "wecom" || log[1].Status != gridwarn.DeliveryPending || log[1].LastStatusCode != 200 ||
		log[1].LastError != "wecom errcode 45009: api freq out of limit" || !log[1].NextAttemptAt.Equal(at.Add(testBackoff[0])) {
		t.Fatalf("after one round: %+v", log)
	}
	runUntil(t, r, e.clock, allDone(t, e.db))

	got := ding.got()
	if len(got) != 1 {
		t.Fatalf("dingtalk got %d requests", len(got))
	}
	q := got[0].query
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	if q.Get("access_token") != "tok" || q.Get("timestamp") != ts || q.Get("sign") != DingTalkSign(dingSecret, at.UnixMilli()) ||
		!strings.Contains(got[0].rawQuery, "sign="+url.QueryEscape(DingTalkSign(dingSecret, at.UnixMilli()))) {
		t.Errorf("dingtalk query %q, want signed at %s", got[0].rawQuery, ts)
	}
	golden(t, filepath.Join("testdata", "dingtalk_opened.json"), got[0].body)
	checkShape(t, FormatDingTalk, got[0].body)

	wg := wecom.got()
	if len(wg) != 2 || wg[0].deliveryID != wg[1].deliveryID || string(wg[0].body) != string(wg[1].body) {
		t.Fatalf("wecom got %d requests, want the same one twice", len(wg))
	}
	golden(t, filepath.Join("testdata", "wecom_opened.json"), wg[1].body)
	if wg[1].query.Get("key") != "k" || wg[1].signature != "" {
		t.Errorf("wecom request %+v", wg[1])
	}
}

// Any payload makes a valid robot message within the robots' limits.
func FuzzRobotBodies(f *testing.F) {
	for _, tc := range formatCases {
		p, _ := json.Marshal(tc.payload)
		f.Add(tc.topic, p)
	}
	f.Add("ticket.opened", []byte(`{"ticket_id":"<b>","level":{"x":1},"note":"\u0000\ufffd"}`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		if !json.Valid(payload) {
			return // the outbox column is jsonb
		}
		env := Envelope{Topic: topic, Payload: payload}
		for format, build := range map[string]func(Envelope, *time.Location) ([]byte, error){
			FormatWeCom: WeComBody, FormatDingTalk: DingTalkBody,
		} {
			body, err := build(env, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Markdown struct{ Content, Title, Text string } `json:"markdown"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%s: %s: %v", format, body, err)
			}
			if len(m.Markdown.Content) > weComMaxContent || len(m.Markdown.Text) > dingTalkMaxText+len("…") ||
				len(m.Markdown.Title) > dingTalkMaxTitle+len("…") {
				t.Fatalf("%s: over the size limits", format)
			}
		}
	})
}
