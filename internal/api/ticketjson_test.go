package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// randomFill sets every field of the struct v points to (recursively
// through embedded structs) to a random value, or its zero value one time
// in three, so that every omitempty rule is taken both ways. A field added
// to gridwarn.Ticket is filled too, so TestTicketJSONIsEncodingJSON fails
// until ticketjson.go writes it.
func randomFill(t *testing.T, rng *rand.Rand, v reflect.Value) {
	t.Helper()
	strs := []string{"", "320924100", "wage_arrears", "mediator-1", "张三", "a<b>&c", "quote\"back\\slash", "tab\tnew\nline\x01",
		"\u2028line\u2029", "bad\xffutf8", "91320924MA00001013"}
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("W", -5*3600-30*60), time.Local}
	randTime := func() time.Time {
		tm := time.Unix(rng.Int64N(4_000_000_000), 0).In(zones[rng.IntN(len(zones))])
		switch rng.IntN(3) {
		case 0:
			return tm.Add(time.Duration(rng.IntN(1_000_000_000)))
		case 1:
			return tm.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		}
		return tm
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if rng.IntN(3) == 0 && v.Type().Field(i).Type.Kind() != reflect.Struct {
			f.SetZero()
			continue
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(randTime()))
		case f.Type() == reflect.TypeFor[*time.Time]():
			tm := randTime()
			f.Set(reflect.ValueOf(&tm))
		case f.Kind() == reflect.Struct:
			randomFill(t, rng, f)
		case f.Kind() == reflect.String:
			f.SetString(strs[rng.IntN(len(strs))])
		case f.Kind() == reflect.Int, f.Kind() == reflect.Int64:
			f.SetInt(rng.Int64N(1 << 40))
		default:
			t.Fatalf("randomFill: field %s of kind %s: teach the test (and ticketjson.go) about it", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestTicketJSONIsEncodingJSON: the hand-written encoding of the ticket
// lists writes exactly the bytes c.JSON (encoding/json) wrote, for random
// tickets and queue items with every optional field present or absent,
// odd strings and times in several zones.
func TestTicketJSONIsEncodingJSON(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	rng := rand.New(rand.NewPCG(18, 5))
	serve := func(h gin.HandlerFunc) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		h(c)
		return w
	}
	same := func(name string, want, got *httptest.ResponseRecorder) {
		t.Helper()
		if !bytes.Equal(want.Body.Bytes(), got.Body.Bytes()) {
			t.Fatalf("%s: hand-written JSON differs from encoding/json:\nwant %s\ngot  %s", name, want.Body, got.Body)
		}
		if want.Code != got.Code || want.Header().Get("Content-Type") != got.Header().Get("Content-Type") {
			t.Fatalf("%s: status or Content-Type differ: %d %q, %d %q", name, want.Code, want.Header().Get("Content-Type"), got.Code, got.Header().Get("Content-Type"))
		}
	}
	for round := range 300 {
		n := rng.IntN(4)
		if round%50 == 0 {
			n = 60
		}
		tickets := make([]gridwarn.Ticket, n)
		queue := make([]gridwarn.QueueItem, n)
		for i := range n {
			randomFill(t, rng, reflect.ValueOf(&tickets[i]).Elem())
			randomFill(t, rng, reflect.ValueOf(&queue[i]).Elem())
		}
		cursor := []string{"", "dDE6MTIz", "q<&>"}[rng.IntN(3)]
		tp := gridwarn.Page[gridwarn.Ticket]{Items: tickets, NextCursor: cursor}
		qp := gridwarn.Page[gridwarn.QueueItem]{Items: queue, NextCursor: cursor}
		same("tickets", serve(func(c *gin.Context) { c.JSON(http.StatusOK, tp) }), serve(func(c *gin.Context) { writeTicketPage(c, tp, ticketOf) }))
		same("queue", serve(func(c *gin.Context) { c.JSON(http.StatusOK, qp) }), serve(func(c *gin.Context) { writeTicketPage(c, qp, queueItemOf) }))
	}
	// A year encoding/json refuses: the same refusal (c.JSON's) either way.
	bad := gridwarn.Page[gridwarn.Ticket]{Items: []gridwarn.Ticket{{ID: 1, OpenedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("encoding/json encoded the year 10000; the fallback is untested")
	}
	same("year 10000", serve(func(c *gin.Context) { c.JSON(http.StatusOK, bad) }), serve(func(c *gin.Context) { writeTicketPage(c, bad, ticketOf) }))
}

// BenchmarkTicketPage encodes a page of 50 tickets as the list answers it,
// with encoding/json (c.JSON) and by hand (writeTicketPage).
func BenchmarkTicketPage(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	now := time.Now()
	items := make([]gridwarn.QueueItem, 50)
	for i := range items {
		due := now.Add(time.Hour)
		items[i] = gridwarn.QueueItem{Ticket: gridwarn.Ticket{ID: int64(900000 + i), Enterprise: "91320924MA00001013", Category: "wage_arrears",
			Level: "orange", Tier: "town", Status: "dispatched", EventCount: 3, FirstEventAt: now, LastEventAt: now, OpenedAt: now,
			UpdatedAt: now, RulesVersion: "2026.11-a1b2c3", Version: 2, CountyCode: "320924", TownCode: "320924100", GridCode: "320924100-J01"}, DueAt: &due}
	}
	p := gridwarn.Page[gridwarn.QueueItem]{Items: items, NextCursor: "cTE6MzoyMDI2"}
	for _, c := range []struct {
		name string
		h    gin.HandlerFunc
	}{{"encoding_json", func(c *gin.Context) { c.JSON(http.StatusOK, p) }}, {"by_hand", func(c *gin.Context) { writeTicketPage(c, p, queueItemOf) }}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			ctx, _ := gin.CreateTestContext(w)
			for b.Loop() {
				w.Body.Reset()
				c.h(ctx)
			}
		})
	}
}
