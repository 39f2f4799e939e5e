package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A week's summary: built once by two schedulers, missed weeks caught up,
// served as JSON, HTML, CSV and XLSX with agreeing numbers, and only to
// leaders of its scope.
func TestWeeklySummary(t *testing.T) {
	a := MustRunApp(t)
	ctx := context.Background()
	county := testutil.MustSeedDemoCounty(t, a.DB())
	pub := natsbus.Publisher{JS: a.JetStream()}
	loc := isoweek.Shanghai
	thisWeek := isoweek.Of(time.Now(), loc)
	// The events happened this week: an hour ago, or at the week's start
	// when the week began less than an hour ago (a run at 00:30 on a
	// Monday in Shanghai put them in last week's summary).
	start, _ := isoweek.Bounds(thisWeek, loc)
	occurred := time.Now().Add(-time.Hour)
	if occurred.Before(start) {
		occurred = start
	}
	for i, e := range county.Enterprises[:5] {
		w := 20 * (i + 1)
		ev := gridwarn.Event{ID: "sum-" + e.CreditCode, Enterprise: e.CreditCode, Category: "wage_arrears",
			OccurredAt: occurred, WorkersInvolved: &w}
		data, _ := json.Marshal(ev)
		if _, err := pub.PublishRaw(ctx, ev.Subject(), ev.ID, data); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		_ = a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n)
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events stored: %d, want 5", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The week has not ended: no summary of it yet (issue #14: a future
	// week was built, listed first, "702 overdue").
	if _, err := (&app.Summaries{DB: a.DB(), Loc: loc, Log: testLogger(t)}).Build(ctx, thisWeek, "", "cli", true); gridwarn.ErrorCode(err) != gridwarn.EINVALID ||
		!strings.Contains(err.Error(), "has not ended") {
		t.Fatalf("building the running week: %v, want invalid: has not ended", err)
	}
	// At the week's end it builds.
	_, end := isoweek.Bounds(thisWeek, loc)
	sums := &app.Summaries{DB: a.DB(), Loc: loc, Log: testLogger(t), Now: func() time.Time { return end }}
	// Two schedulers at the trigger time: one summary per unit.
	for range 2 {
		if _, err := sums.Build(ctx, thisWeek, "", "schedule", false); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	_ = a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM weekly_summaries WHERE week = $1", isoweek.Format(thisWeek)).Scan(&rows)
	if rows != 16 {
		t.Fatalf("stored %d summaries for the week, want 16 (the county and its 15 towns), once each", rows)
	}
	// Down over Mondays: the start builds every missed week since the last stored one.
	three := isoweek.Previous(isoweek.Previous(isoweek.Previous(thisWeek)))
	if _, err := sums.Build(ctx, three, testutil.County, "schedule", false); err != nil {
		t.Fatal(err)
	}
	_, _ = a.DB().Pool().Exec(ctx, "DELETE FROM weekly_summaries WHERE week = $1", isoweek.Format(thisWeek))
	if err := sums.Scheduled(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []gridwarn.Week{isoweek.Next(three), isoweek.Previous(thisWeek)} {
		var n int
		_ = a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM weekly_summaries WHERE week = $1 AND unit_code = $2", isoweek.Format(w), testutil.County).Scan(&n)
		if n != 1 {
			t.Errorf("missed week %s: %d county summaries, want 1", isoweek.Format(w), n)
		}
	}
	if _, err := sums.Build(ctx, thisWeek, "", "schedule", false); err != nil {
		t.Fatal(err)
	}

	leader := testutil.MustToken(t, a.DB(), "leader")
	iso := isoweek.Format(thisWeek)
	get := func(token, path string) (int, []byte) {
		req, _ := http.NewRequest("GET", "http://"+a.APIAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := get(leader, "/api/v1/summaries/weekly/"+iso)
	var s gridwarn.WeeklySummary
	if code != 200 || json.Unmarshal(body, &s) != nil || s.Headline.Events != 5 || s.UnitCode != testutil.County {
		t.Fatalf("JSON: %d %s", code, body)
	}
	code, html := get(leader, "/api/v1/summaries/weekly/"+iso+"?format=html")
	if code != 200 || !bytes.Contains(html, []byte("<svg")) || !bytes.Contains(html, []byte(s.ISO)) {
		t.Errorf("HTML: %d, no chart or week", code)
	}
	code, csv := get(leader, "/api/v1/summaries/weekly/"+iso+"?format=csv&lang=en")
	if code != 200 || !strings.Contains(string(csv), ",5") {
		t.Errorf("CSV: %d", code)
	}
	code, xlsx := get(leader, "/api/v1/summaries/weekly/"+iso+"?format=xlsx")
	if code != 200 {
		t.Fatalf("XLSX: %d", code)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil || len(f.GetSheetList()) < 5 {
		t.Fatalf("XLSX unreadable or thin: %v", err)
	}
	found := false
	rowsX, _ := f.GetRows(f.GetSheetList()[0])
	for _, r := range rowsX {
		for _, c := range r {
			if c == "5" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the XLSX headline does not show the 5 events: %v", rowsX)
	}
	// A town leader reads their town's summary, not another town's nor the county's.
	town, _ := a.DB().CreateUser(ctx, gridwarn.Visibility{All: true}, gridwarn.User{Username: "leader-town-a", Role: gridwarn.RoleLeader,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testutil.TownA}})
	_ = town
	tl := testutil.MustToken(t, a.DB(), "leader-town-a")
	if code, _ := get(tl, "/api/v1/summaries/weekly/"+iso); code != 200 {
		t.Errorf("town leader's own summary: %d", code)
	}
	for _, unit := range []string{testutil.TownB, testutil.County} {
		if code, _ := get(tl, "/api/v1/summaries/weekly/"+iso+"?unit="+unit); code != http.StatusNotFound {
			t.Errorf("town leader reads %s: %d, want 404", unit, code)
		}
	}
	// The completion is announced through the outbox.
	var notes int
	_ = a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM outbox WHERE topic = 'summary.weekly' AND subject = $1", "gridwarn.summaries.weekly."+testutil.County).Scan(&notes)
	if notes < 1 {
		t.Errorf("no summary.weekly notification for the county")
	}
}

func testLogger(t *testing.T) *slog.Logger { return slog.New(slog.DiscardHandler) }

// weeksEnded is a clock at which this week is over, for tests that build
// the summary of the week their events occur in.
func weeksEnded() time.Time { return time.Now().AddDate(0, 0, 8) }
