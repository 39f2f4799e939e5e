package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

func testWorkServer(t *testing.T, now time.Time) *server {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return &server{loc: loc, now: func() time.Time { return now }}
}

func TestQueueCursor(t *testing.T) {
	due := time.Date(2026, 11, 20, 9, 30, 0, 123, time.UTC)
	for _, k := range []gridwarn.QueueKey{{LevelRank: 4, Due: &due, ID: 17}, {LevelRank: 1, ID: 3}} {
		got := queueAfter(k.Cursor())
		if got == nil || got.LevelRank != k.LevelRank || got.ID != k.ID || (k.Due == nil) != (got.Due == nil) ||
			k.Due != nil && !got.Due.Equal(*k.Due) {
			t.Errorf("cursor of %+v came back as %+v", k, got)
		}
	}
	for _, bad := range []string{"", "x", "cTF8NXwtfDE", gridwarn.QueueKey{LevelRank: 9, ID: 1}.Cursor()} {
		if k := queueAfter(bad); k != nil {
			t.Errorf("cursor %q read as %+v, want the top", bad, k)
		}
	}
}

func TestActionNames(t *testing.T) {
	for _, a := range workflow.Actions {
		if got, ok := actionOf(actionPath(a)); !ok || got != a {
			t.Errorf("%s: its URL name %q reads back as %q", a, actionPath(a), got)
		}
		if got, ok := actionOf(string(a)); !ok || got != a {
			t.Errorf("%s by its workflow name reads as %q", a, got)
		}
		for _, key := range []string{"work.action.", "work.done.", "work.history."} {
			for _, l := range languages {
				if catalogue[l][key+string(a)] == "" {
					t.Errorf("no %s message %s%s", l, key, a)
				}
			}
		}
	}
	for _, p := range []string{"hand-down", "notes", "contacts", "follow-ups"} {
		if _, ok := actionOf(p); !ok {
			t.Errorf("the API's name %q is not an action", p)
		}
	}
	if _, ok := actionOf("explode"); ok {
		t.Error("an unknown action was accepted")
	}
	for _, o := range gridwarn.Outcomes {
		if catalogue["en"]["work.outcome."+o] == "" {
			t.Errorf("no label of the outcome %s", o)
		}
	}
}

func TestActionBody(t *testing.T) {
	s := testWorkServer(t, time.Now())
	cases := []struct {
		name   string
		action workflow.Action
		form   url.Values
		want   func(b gridwarn.ActionBody) bool
		errors []string // the fields in error
	}{
		{"reply", workflow.ActionReply, url.Values{"outcome_result": {"paid_in_part"}, "amount_recovered_cny": {"¥180,000.5"},
			"workers_covered": {"40"}, "agreement_date": {"2026-01-10"}, "promised_payments": {"2026-02-01，2026-03-01\n2026-02-01"}},
			func(b gridwarn.ActionBody) bool {
				o := b.Outcome
				return o != nil && o.Result == "paid_in_part" && o.AmountRecoveredCNY == 180000.5 && o.WorkersCovered == 40 &&
					o.AgreementDate == "2026-01-10" && slices.Equal(o.PromisedPayments, []string{"2026-02-01", "2026-03-01"})
			}, nil},
		{"reply without a result", workflow.ActionReply, url.Values{"amount_recovered_cny": {"5"}},
			func(b gridwarn.ActionBody) bool { return b.Outcome == nil }, nil},
		{"unreadable reply", workflow.ActionReply, url.Values{"outcome_result": {"won"}, "amount_recovered_cny": {"lots"},
			"workers_covered": {"2.5"}}, nil, []string{"amount_recovered_cny", "workers_covered"}},
		{"bad reply", workflow.ActionReply, url.Values{"outcome_result": {"won"}, "amount_recovered_cny": {"-1"},
			"workers_covered": {"-2"}, "agreement_date": {"10/01/2026"}, "promised_payments": {"soon"}},
			nil, []string{"outcome_result", "amount_recovered_cny", "agreement_date", "workers_covered", "promised_payments"}},
		{"review", workflow.ActionReview, url.Values{"approved": {"no"}, "note": {" redo "}},
			func(b gridwarn.ActionBody) bool { return b.Approved != nil && !*b.Approved && b.Note == "redo" }, nil},
		{"review unanswered", workflow.ActionReview, url.Values{},
			func(b gridwarn.ActionBody) bool { return b.Approved == nil }, nil},
		{"callback", workflow.ActionCallback, url.Values{"satisfied": {"maybe"}}, nil, []string{"satisfied"}},
		{"extend", workflow.ActionExtend, url.Values{"due_at": {"2026-12-01T09:00"}, "reason": {"waiting"}},
			func(b gridwarn.ActionBody) bool {
				return b.DueAt != nil && b.DueAt.Equal(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)) && b.Reason == "waiting"
			}, nil},
		{"merge", workflow.ActionMerge, url.Values{"into": {"#42"}},
			func(b gridwarn.ActionBody) bool { return b.Into == 42 }, nil},
		{"merge into nothing", workflow.ActionMerge, url.Values{"into": {"forty"}}, nil, []string{"into"}},
		{"refer", workflow.ActionRefer, url.Values{"body": {"court"}, "reference": {"(2026)苏0924民初1号"}},
			func(b gridwarn.ActionBody) bool { return b.Body == "court" && b.Reference == "(2026)苏0924民初1号" }, nil},
		{"refer elsewhere", workflow.ActionRefer, url.Values{"body": {"press"}}, nil, []string{"body"}},
		{"note", workflow.ActionNote, url.Values{"note": {"<b>x</b>"}, "visibility": {"shareable"}},
			func(b gridwarn.ActionBody) bool { return b.Note == "<b>x</b>" && b.Visibility == "shareable" }, nil},
		{"long note", workflow.ActionNote, url.Values{"note": {string(make([]rune, 2001))}}, nil, []string{"note"}},
		{"contact", workflow.ActionContact, url.Values{"contact_kind": {"site_visit"}, "held_at": {"2026-11-20T10:00"},
			"place": {"厂区"}, "attendees": {"张三、李四,\n王五"}, "summary": {"ok"}},
			func(b gridwarn.ActionBody) bool {
				c := b.Contact
				return c != nil && c.Kind == "site_visit" && c.HeldAt.Equal(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)) &&
					slices.Equal(c.Attendees, []string{"张三", "李四", "王五"}) && c.Place == "厂区"
			}, nil},
		{"empty contact", workflow.ActionContact, url.Values{}, nil, []string{"contact_kind", "held_at"}},
		{"follow-up", workflow.ActionFollowUp, url.Values{"follow_up_on": {"2026-02-01"}, "paid": {"yes"}},
			func(b gridwarn.ActionBody) bool { return b.FollowUpOn == "2026-02-01" && b.Paid != nil && *b.Paid }, nil},
		{"hand down", workflow.ActionHandDown, url.Values{"instructions": {"visit them"}, "note": {"ignored"}},
			func(b gridwarn.ActionBody) bool { return b.Instructions == "visit them" && b.Note == "" }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The form is parsed here and checked by the domain, as the
			// service does; the page names the form's fields.
			b, bad := s.actionBody(c.form, c.action)
			if len(bad) == 0 {
				r := gridwarn.ActionRequest{TicketID: 1, Action: string(c.action), IfMatch: 1, Body: b}
				err := r.Validate()
				bad, b = gridwarn.ErrorFields(err), r.Body
			}
			var fields []string
			for _, f := range fieldMsgs("", bad) {
				fields = append(fields, f.Field)
			}
			slices.Sort(fields)
			want := slices.Clone(c.errors)
			slices.Sort(want)
			if !slices.Equal(fields, want) {
				t.Fatalf("fields in error %v, want %v (%+v)", fields, want, bad)
			}
			if c.want != nil && !c.want(b) {
				body, _ := json.Marshal(b)
				t.Errorf("body %s", body)
			}
		})
	}
}

// fakeWork is a queue of n tickets in the queue's order.
type fakeWork struct {
	gridwarn.WorkService
	items  []gridwarn.QueueItem
	filter gridwarn.QueueFilter
}

func (f *fakeWork) Queue(_ context.Context, _ *gridwarn.Principal, _ gridwarn.Visibility, q gridwarn.QueueFilter) ([]gridwarn.QueueItem, error) {
	f.filter = q
	start := 0
	if q.After != nil {
		start = slices.IndexFunc(f.items, func(it gridwarn.QueueItem) bool { return it.ID == q.After.ID }) + 1
	}
	return f.items[start:min(len(f.items), start+q.Limit)], nil
}

// The queue pages with the API's cursor, keeping the filters.
func TestQueuePaging(t *testing.T) {
	gin.SetMode(gin.TestMode)
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := testWorkServer(t, now)
	pages, err := parsePages(s)
	if err != nil {
		t.Fatal(err)
	}
	s.pages, s.log = pages, slog.New(slog.DiscardHandler)
	work := &fakeWork{}
	for i := 1; i <= 120; i++ {
		due := now.Add(time.Duration(i-3) * time.Hour)
		work.items = append(work.items, gridwarn.QueueItem{Ticket: gridwarn.Ticket{ID: int64(i), Level: gridwarn.LevelRed,
			Tier: gridwarn.TierTown, Status: gridwarn.StatusDispatched, Category: gridwarn.CategoryWageArrears,
			Enterprise: fmt.Sprintf("E%03d", i), Version: 1}, DueAt: &due})
	}
	s.svc.Work = work
	p := &gridwarn.Principal{User: gridwarn.User{Username: "m1", Role: gridwarn.RoleMediator,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: "320924100"}}}
	get := func(target string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, target, nil)
		c.Set(principalKey, p)
		c.Set(actionKey, authz.ChangeTickets)
		s.queuePage(c)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	more := regexp.MustCompile(`class="more" href="([^"]+)"`)
	rows := regexp.MustCompile(`<tr data-ticket-id="(\d+)"`)
	target, seen := "/ui/queue?level=red&mine=1", 0
	for page := 1; ; page++ {
		body := get(target)
		got := rows.FindAllStringSubmatch(body, -1)
		if len(got) == 0 || got[0][1] != fmt.Sprint(seen+1) {
			t.Fatalf("page %d starts at %v, want ticket %d", page, got, seen+1)
		}
		seen += len(got)
		if work.filter.Level != gridwarn.LevelRed || !work.filter.Mine || work.filter.Limit != queuePageSize+1 {
			t.Errorf("page %d asked for %+v", page, work.filter)
		}
		if page == 1 && (!strings.Contains(body, "已超时 2 小时 0 分") || !strings.Contains(body, `class="due overdue"`) || strings.Contains(body, `<a class="top"`)) {
			t.Errorf("page 1: the first ticket is overdue 2 h, shown in red, and there is no link to the top")
		}
		if page > 1 && !strings.Contains(body, `<a class="top" href="/ui/queue?level=red&amp;mine=1"`) {
			t.Errorf("page %d lacks the link to the first page", page)
		}
		m := more.FindStringSubmatch(body)
		if m == nil {
			break
		}
		target = html.UnescapeString(m[1])
		if !strings.Contains(target, "level=red") || !strings.Contains(target, "mine=1") {
			t.Errorf("the next page %s drops the filters", target)
		}
	}
	if seen != 120 {
		t.Errorf("the pages showed %d tickets, want 120", seen)
	}
}
