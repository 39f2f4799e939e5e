package gridwarn

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fieldRule is what a caller branches on in a field error.
type fieldRule struct{ Field, Rule string }

func fieldRules(err error) []fieldRule {
	var out []fieldRule
	for _, f := range ErrorFields(err) {
		out = append(out, fieldRule{f.Field, f.Rule})
	}
	return out
}

func TestActionRequestValidate(t *testing.T) {
	held := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	long := strings.Repeat("é", MaxTextChars+1)
	for _, tc := range []struct {
		name string
		in   ActionBody
		want ActionBody  // the body after normalisation, when valid
		bad  []fieldRule // the fields in error, in this order
	}{
		{name: "empty", in: ActionBody{}, want: ActionBody{}},
		{name: "text is trimmed, CRLF becomes LF",
			in:   ActionBody{Note: "  called\r\nthe boss \n", Reason: "\twaiting ", Instructions: " visit ", Reference: " (2026)1号 ", Assignee: " m1 "},
			want: ActionBody{Note: "called\nthe boss", Reason: "waiting", Instructions: "visit", Reference: "(2026)1号", Assignee: "m1"}},
		{name: "choices are trimmed",
			in:   ActionBody{Visibility: " shareable ", Body: "court\n", FollowUpOn: " 2026-02-01 "},
			want: ActionBody{Visibility: "shareable", Body: "court", FollowUpOn: "2026-02-01"}},
		{name: "a text of 2000 characters", in: ActionBody{Note: strings.Repeat("é", MaxTextChars)}, want: ActionBody{Note: strings.Repeat("é", MaxTextChars)}},
		{name: "texts too long or with NUL or not UTF-8",
			in:  ActionBody{Note: long, Reason: "a\x00b", Instructions: "\xff", Reference: long, Assignee: long},
			bad: []fieldRule{{"note", "text"}, {"reason", "text"}, {"instructions", "text"}, {"assignee", "text"}, {"reference", "text"}}},
		{name: "unknown choices",
			in:  ActionBody{Visibility: "public", Body: "press"},
			bad: []fieldRule{{"visibility", "enum"}, {"body", "enum"}}},
		{name: "dates", in: ActionBody{FollowUpOn: "01/02/2026"}, bad: []fieldRule{{"follow_up_on", "date"}}},
		{name: "merge into a negative ticket", in: ActionBody{Into: -3}, bad: []fieldRule{{"into", "number"}}},
		{name: "an outcome",
			in: ActionBody{Outcome: &Outcome{Result: " paid_in_part ", AmountRecoveredCNY: 180000.5, WorkersCovered: 40,
				AgreementDate: " 2026-01-10", PromisedPayments: []string{"2026-02-01 ", "", "2026-03-01", " 2026-02-01"}}},
			want: ActionBody{Outcome: &Outcome{Result: "paid_in_part", AmountRecoveredCNY: 180000.5, WorkersCovered: 40,
				AgreementDate: "2026-01-10", PromisedPayments: []string{"2026-02-01", "2026-03-01"}}}},
		{name: "a bad outcome",
			in: ActionBody{Outcome: &Outcome{Result: "won", AmountRecoveredCNY: -1, WorkersCovered: -2,
				AgreementDate: "10/01/2026", PromisedPayments: []string{"2026-02-01", "soon"}}},
			bad: []fieldRule{{"outcome.result", "enum"}, {"outcome.amount_recovered_cny", "number"}, {"outcome.workers_covered", "number"},
				{"outcome.agreement_date", "date"}, {"outcome.promised_payments", "date"}}},
		{name: "an outcome without a result, amounts out of range",
			in:  ActionBody{Outcome: &Outcome{AmountRecoveredCNY: math.NaN(), WorkersCovered: MaxWorkers + 1}},
			bad: []fieldRule{{"outcome.result", "required"}, {"outcome.amount_recovered_cny", "number"}, {"outcome.workers_covered", "number"}}},
		{name: "too many promised payments",
			in:  ActionBody{Outcome: &Outcome{Result: "paid_in_part", PromisedPayments: manyDates(MaxPromisedPayments + 1)}},
			bad: []fieldRule{{"outcome.promised_payments", "too_many"}}},
		{name: "a contact",
			in: ActionBody{Contact: &Contact{Kind: "site_visit ", HeldAt: held, Place: " 厂区 ",
				Attendees: []string{" 张三", "", "李四 ", "张三"}, Summary: " ok\r\n"}},
			want: ActionBody{Contact: &Contact{Kind: "site_visit", HeldAt: held, Place: "厂区", Attendees: []string{"张三", "李四"}, Summary: "ok"}}},
		{name: "an empty contact",
			in:  ActionBody{Contact: &Contact{}},
			bad: []fieldRule{{"contact.kind", "required"}, {"contact.held_at", "required"}}},
		{name: "a bad contact",
			in: ActionBody{Contact: &Contact{Kind: "letter", HeldAt: held, Place: long, Summary: long,
				Attendees: []string{strings.Repeat("x", MaxNameChars+1)}}},
			bad: []fieldRule{{"contact.kind", "enum"}, {"contact.place", "text"}, {"contact.attendees", "text"}, {"contact.summary", "text"}}},
		{name: "too many attendees",
			in:  ActionBody{Contact: &Contact{Kind: "phone_call", HeldAt: held, Attendees: manyDates(MaxAttendees + 1)}},
			bad: []fieldRule{{"contact.attendees", "too_many"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ActionRequest{TicketID: 1, Action: "note", IfMatch: 3, Body: tc.in}
			err := r.Validate()
			if diff := cmp.Diff(tc.bad, fieldRules(err)); diff != "" {
				t.Fatalf("fields in error (-want +got):\n%s\n%v", diff, err)
			}
			if tc.bad != nil {
				if ErrorCode(err) != EINVALID {
					t.Errorf("code %q, want %q", ErrorCode(err), EINVALID)
				}
				return
			}
			if diff := cmp.Diff(tc.want, r.Body); diff != "" {
				t.Errorf("normalised body (-want +got):\n%s", diff)
			}
		})
	}
}

// The request itself: a ticket and the version the caller saw.
func TestActionRequestValidateRequest(t *testing.T) {
	for _, tc := range []struct {
		r    ActionRequest
		code string
	}{
		{ActionRequest{TicketID: 1, Action: "claim", IfMatch: 1}, ""},
		{ActionRequest{TicketID: 0, Action: "claim", IfMatch: 1}, ENOTFOUND},
		{ActionRequest{TicketID: 1, Action: "claim", IfMatch: 0}, EPRECONDITIONREQUIRED},
		{ActionRequest{TicketID: 1, Action: "", IfMatch: 1}, EINVALID},
	} {
		if got := ErrorCode(tc.r.Validate()); got != tc.code {
			t.Errorf("%+v: code %q, want %q", tc.r, got, tc.code)
		}
	}
}

// Validating twice changes nothing more: the service may be handed a
// request a port already normalised.
func TestActionRequestValidateIsIdempotent(t *testing.T) {
	r := ActionRequest{TicketID: 1, Action: "reply", IfMatch: 1, Body: ActionBody{Note: " x ",
		Outcome: &Outcome{Result: "paid_in_full ", PromisedPayments: []string{"2026-02-01", "2026-02-01 "}}}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	once := r
	once.Body.Outcome = new(*r.Body.Outcome)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(once, r); diff != "" {
		t.Errorf("second validation changed the request (-once +twice):\n%s", diff)
	}
}

func manyDates(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}
