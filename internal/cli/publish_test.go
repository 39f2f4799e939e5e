package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/cli"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// withWrongCheck returns code with its check character replaced by another.
func withWrongCheck(code string) string {
	if code[17] == '0' {
		return code[:17] + "1"
	}
	return code[:17] + "0"
}

// `gridwarn publish` refuses an event whose credit code has a wrong check
// character, naming the character, and publishes nothing for it; the good
// event beside it goes out.
func TestPublishNamesTheWrongCheckCharacter(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	stream, err := natsbus.EnsureStream(context.Background(), js,
		natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxMsgSize: 1 << 20, DuplicateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	good := testutil.CreditCode(7)
	bad := withWrongCheck(good)
	occurred := time.Now().Add(-time.Hour).Format(time.RFC3339)
	const line = `{"id":%q,"enterprise":%q,"category":"wage_arrears","occurred_at":%q}` + "\n"
	in := fmt.Sprintf(line, "bad-1", bad, occurred) + fmt.Sprintf(line, "good-1", good, occurred)

	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"publish", "--nats-url", s.ClientURL()}, strings.NewReader(in),
		&out, &errb, nil, nil)
	msg := fmt.Sprintf("enterprise: character 18 (check character) is '%c', want '%c'", bad[17], good[17])
	if code != cli.ExitFailure || !strings.Contains(errb.String(), `not published: id="bad-1"`) ||
		!strings.Contains(errb.String(), msg) || !strings.Contains(errb.String(), "published 1 event(s), 1 failed") {
		t.Errorf("exit %d, stderr:\n%s\nwant the refusal of bad-1 with %q", code, errb.String(), msg)
	}
	if !strings.Contains(out.String(), "published id=good-1") || strings.Contains(out.String(), "bad-1") {
		t.Errorf("stdout:\n%s", out.String())
	}
	info, err := stream.Info(context.Background())
	if err != nil || info.State.Msgs != 1 {
		t.Errorf("stream holds %+v (%v), want only the good event", info.State, err)
	}
}

// `gridwarn dead-letters replay` leaves a dead letter of a wrong credit code
// unless asked for it by reason: replaying it cannot help.
func TestReplayLeavesInvalidCreditCodes(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	raw := fmt.Sprintf(`{"id":"bad-1","enterprise":%q,"category":"other","occurred_at":"2026-11-20T09:00:00+08:00"}`,
		withWrongCheck(testutil.CreditCode(7)))
	dl := gridwarn.DeadLetter{Stream: natsbus.StreamName, StreamSeq: 1, Subject: "gridwarn.events.320924", MsgID: "bad-1",
		EventID: "bad-1", Reason: gridwarn.ReasonInvalidCreditCode, Detail: "enterprise: character 18", Raw: []byte(raw), Deliveries: 1}
	if _, err := db.ApplyBatch(context.Background(), nil, []gridwarn.DeadLetter{dl}); err != nil {
		t.Fatal(err)
	}
	env := []string{"GRIDWARN_DATABASE_URL=" + url}
	code, out, errs := run(t, env, "dead-letters", "replay", "--nats-url", "nats://127.0.0.1:1")
	if code != cli.ExitOK || out != "" || !strings.Contains(errs, "nothing to replay") {
		t.Errorf("replay: exit %d, stdout %q, stderr %q; want nothing replayed", code, out, errs)
	}
	code, out, _ = run(t, env, "dead-letters", "list", "--reason", "invalid_credit_code")
	if code != cli.ExitOK || !strings.Contains(out, "bad-1") || !strings.Contains(out, "invalid_credit_code") {
		t.Errorf("list --reason invalid_credit_code: exit %d\n%s", code, out)
	}
}

// `gridwarn publish` refuses dates outside the configured window (events.*)
// with the domain's words and publishes nothing for them; --no-validate
// sends them anyway (they become dead letters date_out_of_window).
func TestPublishRefusesDatesOutsideTheWindow(t *testing.T) {
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	stream, err := natsbus.EnsureStream(context.Background(), js,
		natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxMsgSize: 1 << 20, DuplicateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	code7 := testutil.CreditCode(7)
	const line = `{"id":%q,"enterprise":%q,"category":"wage_arrears","occurred_at":%q}` + "\n"
	in := fmt.Sprintf(line, "in-1900", code7, "1900-01-01T09:00:00+08:00") +
		fmt.Sprintf(line, "in-9999", code7, "9999-12-31T09:00:00+08:00") +
		fmt.Sprintf(line, "today", code7, time.Now().Add(-time.Hour).Format(time.RFC3339))

	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"publish", "--nats-url", s.ClientURL()}, strings.NewReader(in),
		&out, &errb, nil, nil)
	for _, want := range []string{`not published: id="in-1900"`, "occurred_at: is too old", `not published: id="in-9999"`,
		"occurred_at: lies in the future", "published 1 event(s), 2 failed"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	if code != cli.ExitFailure || !strings.Contains(out.String(), "published id=today") {
		t.Errorf("exit %d, stdout:\n%s", code, out.String())
	}
	info, err := stream.Info(context.Background())
	if err != nil || info.State.Msgs != 1 {
		t.Errorf("stream holds %+v (%v), want only today's event", info.State, err)
	}
	// A shorter window from the configuration applies.
	errb.Reset()
	code = cli.Main(context.Background(), []string{"publish", "--nats-url", s.ClientURL()},
		strings.NewReader(fmt.Sprintf(line, "last-year", code7, time.Now().AddDate(0, 0, -380).Format(time.RFC3339))),
		&out, &errb, []string{"GRIDWARN_EVENTS_AGE_MARGIN_DAYS=0"}, nil)
	if code != cli.ExitFailure || !strings.Contains(errb.String(), "occurred_at: is too old") {
		t.Errorf("with a margin of 0 days: exit %d, stderr:\n%s", code, errb.String())
	}
}
