package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// This file holds in-memory fakes of the services and the helpers the tests
// share. They test the HTTP layer only; the PostgreSQL services have their
// own tests against a real database.

const (
	testToken        = "test-token-0123456789"
	testMaxBodyBytes = 4096
	testEnterprise   = "91350100M000100Y43"

	// Ticket ids the fake treats specially.
	panicTicketID  = 666 // Ticket panics
	brokenTicketID = 500 // Ticket returns a plain error
	secretText     = "dial tcp 10.9.8.7:5432: password=hunter2"
)

var testTime = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeTickets is an in-memory gridwarn.TicketService.
type fakeTickets struct {
	mu      sync.Mutex
	tickets map[int64]gridwarn.Ticket
	filters []gridwarn.TicketFilter // every filter ListTickets was called with
	closes  []string                // "id actor note" of every close
}

func newFakeTickets(n int) *fakeTickets {
	f := &fakeTickets{tickets: map[int64]gridwarn.Ticket{}}
	for i := int64(1); i <= int64(n); i++ {
		f.tickets[i] = gridwarn.Ticket{
			ID:           i,
			Enterprise:   testEnterprise,
			Category:     gridwarn.Categories[int(i)%len(gridwarn.Categories)],
			Level:        gridwarn.Levels[int(i)%len(gridwarn.Levels)],
			Tier:         gridwarn.TierEnterprise,
			Status:       gridwarn.StatusNew,
			EventCount:   1,
			FirstEventAt: testTime,
			LastEventAt:  testTime,
			OpenedAt:     testTime,
			UpdatedAt:    testTime,
			RulesVersion: "test",
			Version:      1,
		}
	}
	return f
}

func (f *fakeTickets) ListTickets(_ context.Context, flt gridwarn.TicketFilter) ([]gridwarn.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit) // a bug in the handler: surfaces as 500
	}
	var out []gridwarn.Ticket
	for _, t := range f.tickets {
		if (flt.Status == "" || t.Status == flt.Status) &&
			(flt.Level == "" || t.Level == flt.Level) &&
			(flt.Category == "" || t.Category == flt.Category) &&
			(flt.Enterprise == "" || t.Enterprise == flt.Enterprise) &&
			(flt.AfterID == 0 || t.ID < flt.AfterID) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.Ticket) int { return cmp.Compare(b.ID, a.ID) })
	return out[:min(len(out), flt.Limit)], nil
}

func (f *fakeTickets) Ticket(_ context.Context, id int64) (*gridwarn.TicketDetail, error) {
	switch id {
	case panicTicketID:
		panic("fake: " + secretText)
	case brokenTicketID:
		return nil, fmt.Errorf("load ticket %d: %w", id, errors.New(secretText))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tickets[id]
	if !ok {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", id)
	}
	return &gridwarn.TicketDetail{Ticket: t}, nil
}

func (f *fakeTickets) CloseTicket(_ context.Context, id int64, actor, note string) (*gridwarn.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tickets[id]
	switch {
	case !ok:
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", id)
	case t.Status == gridwarn.StatusClosed:
		return nil, gridwarn.Errorf(gridwarn.ECONFLICT, "ticket %d is already closed", id)
	}
	at := testTime.Add(time.Hour)
	t.Status, t.ClosedAt, t.UpdatedAt, t.Version = gridwarn.StatusClosed, &at, at, t.Version+1
	f.tickets[id] = t
	f.closes = append(f.closes, fmt.Sprintf("%d %s %s", id, actor, note))
	return &t, nil
}

func (f *fakeTickets) lastFilter() gridwarn.TicketFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.filters) == 0 {
		return gridwarn.TicketFilter{}
	}
	return f.filters[len(f.filters)-1]
}

// fakeDeadLetters is an in-memory gridwarn.DeadLetterService.
type fakeDeadLetters struct {
	mu      sync.Mutex
	letters []gridwarn.DeadLetter
	filters []gridwarn.DeadLetterFilter
}

func newFakeDeadLetters(n int) *fakeDeadLetters {
	f := &fakeDeadLetters{}
	for i := int64(1); i <= int64(n); i++ {
		f.letters = append(f.letters, gridwarn.DeadLetter{
			ID: i, Stream: "EVENTS", StreamSeq: uint64(i), Subject: "gridwarn.events.350100",
			Reason: deadLetterReasons[int(i)%len(deadLetterReasons)], Detail: "test",
			Raw: []byte("{"), Deliveries: 1, CreatedAt: testTime,
		})
	}
	return f
}

func (f *fakeDeadLetters) ListDeadLetters(_ context.Context, flt gridwarn.DeadLetterFilter) ([]gridwarn.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit)
	}
	var out []gridwarn.DeadLetter
	for _, d := range f.letters {
		if (flt.Reason == "" || d.Reason == flt.Reason) && (flt.AfterID == 0 || d.ID < flt.AfterID) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.DeadLetter) int { return cmp.Compare(b.ID, a.ID) })
	return out[:min(len(out), flt.Limit)], nil
}

func (f *fakeDeadLetters) lastFilter() gridwarn.DeadLetterFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.filters) == 0 {
		return gridwarn.DeadLetterFilter{}
	}
	return f.filters[len(f.filters)-1]
}

// testAPI is an engine over fakes, with its log captured.
type testAPI struct {
	h           *gin.Engine
	tickets     *fakeTickets
	deadLetters *fakeDeadLetters
	logs        *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mustNewAPI returns an API over fakes holding nTickets tickets and
// nDeadLetters dead letters; ready is the readiness check (nil: ready).
func mustNewAPI(tb testing.TB, nTickets, nDeadLetters int, ready func(context.Context) error, reg *prometheus.Registry) *testAPI {
	tb.Helper()
	a := &testAPI{tickets: newFakeTickets(nTickets), deadLetters: newFakeDeadLetters(nDeadLetters), logs: &syncBuffer{}}
	if ready == nil {
		ready = func(context.Context) error { return nil }
	}
	a.h = New(
		Services{Tickets: a.tickets, DeadLetters: a.deadLetters, Ready: ready},
		Options{
			Token:        testToken,
			MaxBodyBytes: testMaxBodyBytes,
			Logger:       slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Registry:     reg,
		},
	)
	return a
}

// request describes one call; zero values mean GET with the valid token and
// no body.
type request struct {
	method      string
	target      string
	rawQuery    *string // replaces the query of target verbatim when set
	body        string
	contentType string
	auth        *string // Authorization header; nil means "Bearer "+testToken, "" means none
	chunked     bool    // send the body without a Content-Length
}

func (a *testAPI) do(tb testing.TB, r request) *httptest.ResponseRecorder {
	tb.Helper()
	method := cmp.Or(r.method, http.MethodGet)
	req := httptest.NewRequest(method, r.target, strings.NewReader(r.body))
	if r.rawQuery != nil {
		req.URL.RawQuery = *r.rawQuery
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	switch {
	case r.auth == nil:
		req.Header.Set("Authorization", "Bearer "+testToken)
	case *r.auth != "":
		req.Header.Set("Authorization", *r.auth)
	}
	if r.chunked {
		req.ContentLength = -1
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

func ptr[T any](v T) *T { return &v }
