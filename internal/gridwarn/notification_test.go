package gridwarn

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNotifySubjects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tier         Tier
		county, town string
		want         string
	}{
		{TierEnterprise, "320924", "320924100", "gridwarn.notify.enterprise.320924100"},
		{TierTown, "320924", "320924100", "gridwarn.notify.town.320924100"},
		{TierCounty, "320924", "320924100", "gridwarn.notify.county.320924"},
		{TierTown, "320924", "", "gridwarn.notify.town.320924"}, // no town: the county hears of it
	} {
		if got := NotifySubject(tc.tier, NotifyUnit(tc.tier, tc.county, tc.town)); got != tc.want {
			t.Errorf("%s %s/%s: subject %s, want %s", tc.tier, tc.county, tc.town, got, tc.want)
		}
	}
	if got := SummarySubject(SummaryKindWeekly, "320924"); got != "gridwarn.summaries.weekly.320924" {
		t.Errorf("SummarySubject = %s", got)
	}
}

func TestNotificationValidate(t *testing.T) {
	t.Parallel()
	ok := NotifySubject(TierTown, "320924100")
	for _, tc := range []struct {
		name string
		n    Notification
		ok   bool
	}{
		{"ticket", Notification{Topic: TopicTicketOpened, Subject: ok}, true},
		{"summary", Notification{Topic: TopicSummaryWeekly, Subject: SummarySubject(SummaryKindWeekly, "320924")}, true},
		{"no topic", Notification{Subject: ok}, false},
		{"outside the stream", Notification{Topic: TopicTicketOpened, Subject: "gridwarn.events.320924"}, false},
		{"empty unit", Notification{Topic: TopicTicketOpened, Subject: NotifySubject(TierTown, "")}, false},
		{"wildcard", Notification{Topic: TopicTicketOpened, Subject: NotifySubject(TierTown, "*")}, false},
		{"space", Notification{Topic: TopicTicketOpened, Subject: NotifySubject(TierTown, "3209 24")}, false},
	} {
		err := tc.n.Validate()
		if tc.ok != (err == nil) || err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate() = %v, want ok %t", tc.name, err, tc.ok)
		}
	}
}

// The announcement of a summary carries its period (Monday to Sunday in
// its time zone) and the counts the robots' cards show.
func TestNewSummaryPayload(t *testing.T) {
	t.Parallel()
	sh := time.FixedZone("CST", 8*3600)
	s := &WeeklySummary{
		ISO: "2026-W46", UnitCode: "320924", UnitName: "射阳县", Revision: 2, TimeZone: "Asia/Shanghai",
		From: time.Date(2026, 11, 9, 0, 0, 0, 0, sh), To: time.Date(2026, 11, 16, 0, 0, 0, 0, sh),
		Headline: Headline{Events: 40, NewTickets: 12, Closed: 10, Overdue: 1},
		Backlog:  []AgeBucket{{Label: "< 1 day", Count: 2}, {Label: "1–7 days", Count: 3}, {Label: "> 30 days", Count: 1}},
		Red:      []RedTicket{{TicketID: 1}, {TicketID: 7}},
	}
	want := SummaryPayload{UnitCode: "320924", UnitName: "射阳县", Week: "2026-W46", Revision: 2,
		PeriodStart: "2026-11-09", PeriodEnd: "2026-11-15", TimeZone: "Asia/Shanghai",
		Events: 40, Opened: 12, Closed: 10, Open: 6, Red: 2, Overdue: 1}
	if diff := cmp.Diff(want, NewSummaryPayload(s)); diff != "" {
		t.Errorf("NewSummaryPayload (-want +got):\n%s", diff)
	}
}

func TestWithLink(t *testing.T) {
	t.Parallel()
	const base = "https://gridwarn.example.cn/"
	for _, tc := range []struct {
		name, topic, payload, base, wantURL string
	}{
		{"ticket", TopicBreach, `{"ticket_id":42,"level":"red"}`, base, "https://gridwarn.example.cn/ui/tickets/42"},
		{"summary", TopicSummaryWeekly, `{"week":"2026-W46","unit_code":"320924100"}`, base,
			"https://gridwarn.example.cn/ui/summaries/2026-W46?unit=320924100"},
		{"no public URL", TopicBreach, `{"ticket_id":42}`, "", ""},
		{"a link already", TopicBreach, `{"ticket_id":42,"url":"https://elsewhere/x"}`, base, "https://elsewhere/x"},
		{"no ticket id", TopicBreach, `{"level":"red"}`, base, ""},
		{"summary without its week", TopicSummaryWeekly, `{"unit_code":"320924"}`, base, ""},
		{"not an object", TopicBreach, `[1,2]`, base, ""},
	} {
		got := WithLink(tc.topic, []byte(tc.payload), tc.base)
		var p map[string]any
		_ = json.Unmarshal(got, &p)
		u, _ := p["url"].(string)
		if u != tc.wantURL {
			t.Errorf("%s: url %q, want %q (payload %s)", tc.name, u, tc.wantURL, got)
		}
		if tc.wantURL == "" && string(got) != tc.payload {
			t.Errorf("%s: payload changed to %s", tc.name, got)
		}
	}
}
