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

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// This file holds in-memory fakes of the services and the helpers the tests
// share. They test the HTTP layer only; the PostgreSQL services have their
// own tests against a real database. Every fake honours the Visibility it
// is given, so that the tests can tell that the handlers pass the caller's.

const (
	testMaxBodyBytes = 4096

	// The test territory: county 320924 with towns A and B, each with a
	// joint grid; town A also has an independent grid.
	testCounty = "320924"
	testTownA  = "320924100"
	testTownB  = "320924101"
	testGridA  = "320924100-J01"
	testGridAI = "320924100-I01"
	testGridB  = "320924101-J01"

	// Bearer tokens of the fake authenticator, one per role (see testPeople).
	tokAdmin      = "tok-admin"       // admin, county 320924
	tokAdminB     = "tok-admin-b"     // admin, town B only
	tokLeader     = "tok-leader"      // leader, county 320924
	tokMediator   = "tok-mediator"    // mediator med1, town A, head of the town's tier
	tokMediator2  = "tok-mediator2"   // mediator med2, town A, not a tier head
	tokGridWorker = "tok-gw"          // grid worker gw1, grid A
	tokReporter   = "tok-reporter"    // reporter drp1, town A
	tokDown       = "tok-unavailable" // the authenticator's store is down
	tokPartner    = "tok-partner"     // partner arb1: the county's arbitration commission (referral 1 is its)

	// Ticket ids the fake treats specially.
	panicTicketID  = 666 // Ticket panics
	brokenTicketID = 500 // Ticket returns a plain error
	secretText     = "dial tcp 10.9.8.7:5432: password=hunter2"

	// gwUsername reported the odd-numbered tickets.
	gwUsername = "gw1"
)

var testTime = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// creditCode returns the n-th valid credit code of the test county.
func creditCode(n int) string {
	first17 := fmt.Sprintf("91%sMA%07d", testCounty, n)
	c, err := gridwarn.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// Enterprises of the fake registry: 1 and 2 in town A (grid A), 3 in town B.
var (
	testEnterprise  = creditCode(1)
	testEnterprise2 = creditCode(2)
	testEnterpriseB = creditCode(3)
)

// testPeople are the people behind the tokens, by token; their ids are
// those of the fake user service.
var testPeople = map[string]gridwarn.User{
	tokAdmin: {ID: 1, Username: "admin", DisplayName: "Admin", Role: gridwarn.RoleAdmin,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testCounty}},
	tokLeader: {ID: 2, Username: "leader", DisplayName: "Leader", Role: gridwarn.RoleLeader,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testCounty}, TierHead: true},
	tokMediator: {ID: 3, Username: "med1", DisplayName: "Mediator", Role: gridwarn.RoleMediator,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}, TierHead: true},
	tokMediator2: {ID: 7, Username: "med2", DisplayName: "Second mediator", Role: gridwarn.RoleMediator,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}},
	tokGridWorker: {ID: 4, Username: gwUsername, DisplayName: "Grid worker", Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: testCounty, GridCodes: []string{testGridA}}},
	tokReporter: {ID: 5, Username: "drp1", DisplayName: "Direct report point", Role: gridwarn.RoleReporter,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}},
	tokPartner: {ID: 8, Username: "arb1", DisplayName: "Arbitration commission", Role: gridwarn.RolePartner,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testCounty}},
	tokAdminB: {ID: 6, Username: "admin.b", DisplayName: "Admin of town B", Role: gridwarn.RoleAdmin,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownB}},
}

// roleTokens is one token per role.
var roleTokens = map[gridwarn.Role]string{
	gridwarn.RoleAdmin: tokAdmin, gridwarn.RoleLeader: tokLeader, gridwarn.RoleMediator: tokMediator,
	gridwarn.RoleGridWorker: tokGridWorker, gridwarn.RoleReporter: tokReporter, gridwarn.RolePartner: tokPartner,
}

// --- authentication

// fakeAuth is a gridwarn.Authenticator over a map of tokens.
type fakeAuth map[string]*gridwarn.Principal

func newFakeAuth() fakeAuth {
	a := fakeAuth{}
	for tok, u := range testPeople {
		u.CreatedAt = testTime
		a[tok] = &gridwarn.Principal{User: u, TokenID: u.ID * 10}
	}
	return a
}

func (a fakeAuth) Authenticate(_ context.Context, token string) (*gridwarn.Principal, error) {
	if token == tokDown {
		return nil, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "token store unavailable")
	}
	p, ok := a[token]
	if !ok {
		// Says more than the API may: the handler must hide it.
		return nil, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "token %q is unknown", token)
	}
	cp := *p
	return &cp, nil
}

// --- tickets

// fakeTickets is an in-memory gridwarn.TicketService.
type fakeTickets struct {
	mu        sync.Mutex
	tickets   map[int64]gridwarn.Ticket
	reporters map[int64][]string // grid workers whose reports fed each ticket
	filters   []gridwarn.TicketFilter
	views     []gridwarn.Visibility // the visibility of every call
	history   map[int64][]gridwarn.HistoryEntry
}

func testTicket(id int64, town, grid string) gridwarn.Ticket {
	return gridwarn.Ticket{
		ID:           id,
		Enterprise:   testEnterprise,
		Category:     gridwarn.Categories[int(id)%len(gridwarn.Categories)],
		Level:        gridwarn.Levels[int(id)%len(gridwarn.Levels)],
		Tier:         gridwarn.TierEnterprise,
		Status:       gridwarn.StatusNew,
		EventCount:   1,
		FirstEventAt: testTime,
		LastEventAt:  testTime,
		OpenedAt:     testTime,
		UpdatedAt:    testTime,
		RulesVersion: "test",
		Version:      1,
		CountyCode:   gridwarn.CountyOf(town),
		TownCode:     town,
		GridCode:     grid,
	}
}

// newFakeTickets holds tickets 1..n in town A; gw1 reported the odd ones.
func newFakeTickets(n int) *fakeTickets {
	f := &fakeTickets{tickets: map[int64]gridwarn.Ticket{}, reporters: map[int64][]string{}, history: map[int64][]gridwarn.HistoryEntry{}}
	for i := int64(1); i <= int64(n); i++ {
		f.tickets[i] = testTicket(i, testTownA, testGridA)
		if i == 2 { // one ticket a tier up, to be handed down
			t := f.tickets[i]
			t.Tier = gridwarn.TierTown
			f.tickets[i] = t
		}
		if i%2 == 1 {
			f.reporters[i] = []string{gwUsername}
		}
	}
	return f
}

// add puts a ticket in the fake.
func (f *fakeTickets) add(t gridwarn.Ticket, reporters ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tickets[t.ID] = t
	f.reporters[t.ID] = reporters
}

// visible reports whether v sees t; f.mu is held.
func (f *fakeTickets) visible(v gridwarn.Visibility, t gridwarn.Ticket) bool {
	if !v.Sees(t.CountyCode, t.TownCode, t.GridCode) {
		return false
	}
	return v.ReporterID == "" || slices.Contains(f.reporters[t.ID], v.ReporterID)
}

func (f *fakeTickets) ListTickets(_ context.Context, v gridwarn.Visibility, flt gridwarn.TicketFilter) ([]gridwarn.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	f.views = append(f.views, v)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit) // a bug in the handler: surfaces as 500
	}
	var out []gridwarn.Ticket
	for _, t := range f.tickets {
		if f.visible(v, t) &&
			(flt.Status == "" || t.Status == flt.Status) &&
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

func (f *fakeTickets) Ticket(_ context.Context, v gridwarn.Visibility, id int64) (*gridwarn.TicketDetail, error) {
	switch id {
	case panicTicketID:
		panic("fake: " + secretText)
	case brokenTicketID:
		return nil, fmt.Errorf("load ticket %d: %w", id, errors.New(secretText))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.views = append(f.views, v)
	t, ok := f.tickets[id]
	if !ok || !f.visible(v, t) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", id)
	}
	return &gridwarn.TicketDetail{Ticket: t, History: slices.Clone(f.history[id])}, nil
}

// fakeRules is the rules in force: version v1; a reload fails when bad.
type fakeRules struct {
	mu  sync.Mutex
	bad bool
}

func (f *fakeRules) RulesInfo() gridwarn.RulesInfo {
	return gridwarn.RulesInfo{Version: "v1", RuleCount: 23, LoadedAt: testTime}
}

func (f *fakeRules) ReloadRules() (gridwarn.RulesInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bad {
		info := f.RulesInfo()
		info.LastError = "rules.yaml:12: rule x: unknown field"
		return info, errors.New(info.LastError)
	}
	return f.RulesInfo(), nil
}

func (f *fakeTickets) lastFilter() gridwarn.TicketFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.filters) == 0 {
		return gridwarn.TicketFilter{}
	}
	return f.filters[len(f.filters)-1]
}

func (f *fakeTickets) lastView() gridwarn.Visibility {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.views) == 0 {
		return gridwarn.Visibility{}
	}
	return f.views[len(f.views)-1]
}

// --- the workflow

// Ticket ids the action samples name, one per state they start from. The
// stub serves any id; the ids only tell the requests apart.
const (
	workVersion = 4 // the If-Match the samples send

	wfNew        int64 = 201
	wfDispatched int64 = 202
	wfAccepted   int64 = 203
	wfInProgress int64 = 204
	wfReplied    int64 = 205
	wfReviewed   int64 = 206
	wfClosed     int64 = 207
)

// workCall is one call the handlers made to the WorkService: who asked,
// with which visibility, and what for.
type workCall struct {
	method   string // "Act", "Queue", "ClaimNext" or "Allowed"
	username string
	view     gridwarn.Visibility
	req      gridwarn.ActionRequest // Act
	filter   gridwarn.QueueFilter   // Queue
	ticketID int64                  // Allowed
}

// fakeWork is a recording stub of gridwarn.WorkService: it keeps every
// call and answers what the test scripted. It decides nothing: the
// workflow's steps, the queue's filters and order and ClaimNext are tested
// against the real database (internal/postgres). Unscripted, Act answers
// the ticket at the next version (workTicket), Queue an empty list,
// ClaimNext wfDispatched claimed by the caller, Allowed nothing.
type fakeWork struct {
	mu    sync.Mutex
	calls []workCall

	act   func(workCall) (*gridwarn.Ticket, error) // Act's answer
	items []gridwarn.QueueItem                     // Queue's list, cut to the filter's limit
	claim func(workCall) (*gridwarn.Ticket, error) // ClaimNext's answer
}

var _ gridwarn.WorkService = (*fakeWork)(nil)

// workTicket is a town-tier ticket of town A at a version.
func workTicket(id int64, version int) *gridwarn.Ticket {
	t := testTicket(id, testTownA, testGridA)
	t.Tier, t.Status, t.Version = gridwarn.TierTown, gridwarn.StatusInProgress, version
	return &t
}

// record keeps a call and returns it.
func (w *fakeWork) record(c workCall, p *gridwarn.Principal, v gridwarn.Visibility) workCall {
	c.username, c.view = p.Username, v
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, c)
	return c
}

func (w *fakeWork) Act(_ context.Context, p *gridwarn.Principal, v gridwarn.Visibility, req gridwarn.ActionRequest) (*gridwarn.Ticket, error) {
	c := w.record(workCall{method: "Act", req: req}, p, v)
	if w.act != nil {
		return w.act(c)
	}
	return workTicket(req.TicketID, req.IfMatch+1), nil
}

func (w *fakeWork) Queue(_ context.Context, p *gridwarn.Principal, v gridwarn.Visibility, f gridwarn.QueueFilter) ([]gridwarn.QueueItem, error) {
	w.record(workCall{method: "Queue", filter: f}, p, v)
	if f.Limit < 1 || f.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", f.Limit) // a bug in the handler: surfaces as 500
	}
	return slices.Clone(w.items[:min(len(w.items), f.Limit)]), nil
}

func (w *fakeWork) ClaimNext(_ context.Context, p *gridwarn.Principal, v gridwarn.Visibility) (*gridwarn.Ticket, error) {
	c := w.record(workCall{method: "ClaimNext"}, p, v)
	if w.claim != nil {
		return w.claim(c)
	}
	t := workTicket(wfDispatched, workVersion+1)
	t.Status, t.ClaimedBy, t.LeaseExpiresAt = gridwarn.StatusDispatched, p.Username, ptr(testTime.Add(30*time.Minute))
	return t, nil
}

// Allowed is not used by the API (the console offers only the allowed
// forms; an action's 409 lists the allowed actions itself).
func (w *fakeWork) Allowed(_ context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id int64) ([]string, error) {
	w.record(workCall{method: "Allowed", ticketID: id}, p, v)
	return nil, nil
}

// callsOf returns the calls of one method, in order.
func (w *fakeWork) callsOf(method string) []workCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []workCall
	for _, c := range w.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// acts returns every request Act was given.
func (w *fakeWork) acts() []gridwarn.ActionRequest {
	var out []gridwarn.ActionRequest
	for _, c := range w.callsOf("Act") {
		out = append(out, c.req)
	}
	return out
}

// lastCall returns the last call (zero when none).
func (w *fakeWork) lastCall() workCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.calls) == 0 {
		return workCall{}
	}
	return w.calls[len(w.calls)-1]
}

// validating scripts Act as the service's own checks of a request, the
// domain's (gridwarn.ActionRequest.Validate, workflow.CheckBody), then the
// default answer: for tests of what reaches the service from the bytes.
func validating(c workCall) (*gridwarn.Ticket, error) {
	req := c.req
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := workflow.CheckBody(workflow.Action(req.Action), req.Body.Has); err != nil {
		return nil, err
	}
	return workTicket(req.TicketID, req.IfMatch+1), nil
}

// --- dead letters

// fakeDeadLetters is an in-memory gridwarn.DeadLetterService; every dead
// letter is of the test county.
type fakeDeadLetters struct {
	mu      sync.Mutex
	letters []gridwarn.DeadLetter
	filters []gridwarn.DeadLetterFilter
}

func newFakeDeadLetters(n int) *fakeDeadLetters {
	f := &fakeDeadLetters{}
	for i := int64(1); i <= int64(n); i++ {
		f.letters = append(f.letters, gridwarn.DeadLetter{
			ID: i, Stream: "EVENTS", StreamSeq: uint64(i), Subject: gridwarn.EventSubjectPrefix + testCounty,
			Reason: gridwarn.DeadLetterReasons[int(i)%len(gridwarn.DeadLetterReasons)], Detail: "test",
			Raw: []byte("{"), Deliveries: 1, Attempts: 1, CreatedAt: testTime,
		})
	}
	return f
}

func (f *fakeDeadLetters) ListDeadLetters(_ context.Context, v gridwarn.Visibility, flt gridwarn.DeadLetterFilter) ([]gridwarn.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit)
	}
	var out []gridwarn.DeadLetter
	for _, d := range f.letters {
		county := strings.TrimPrefix(d.Subject, gridwarn.EventSubjectPrefix)
		if (v.All || v.CountyCode == county) &&
			(flt.Reason == "" || d.Reason == flt.Reason) && (flt.AfterID == 0 || d.ID < flt.AfterID) {
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

// --- registry

// fakeRegistry is an in-memory gridwarn.RegistryService.
type fakeRegistry struct {
	mu          sync.Mutex
	units       map[string]gridwarn.Unit
	grids       map[string]gridwarn.Grid
	enterprises map[string]gridwarn.Enterprise
	puts        []any // every unit, grid or enterprise a Put or Import was given
	gridFilters []gridwarn.GridFilter
	entFilters  []gridwarn.EnterpriseFilter
}

// newFakeRegistry holds the test territory and nEnterprises enterprises
// (at least the three named ones): even-numbered in town A's joint grid,
// odd in town B's, except that 1 is in town A.
func newFakeRegistry(nEnterprises int) *fakeRegistry {
	f := &fakeRegistry{
		units: map[string]gridwarn.Unit{
			testCounty: {Code: testCounty, Kind: gridwarn.UnitCounty, NameZH: "射阳县", NameEN: "Sheyang"},
			testTownA:  {Code: testTownA, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testCounty, NameZH: "合德镇"},
			testTownB:  {Code: testTownB, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testCounty, NameZH: "临海镇"},
		},
		grids: map[string]gridwarn.Grid{
			testGridA:  {Code: testGridA, TownCode: testTownA, Kind: gridwarn.GridJoint, Name: "合德镇联合网格", Industry: "C", Workers: []string{gwUsername}},
			testGridAI: {Code: testGridAI, TownCode: testTownA, Kind: gridwarn.GridIndependent, Name: "合德镇独立网格", Workers: []string{}},
			testGridB:  {Code: testGridB, TownCode: testTownB, Kind: gridwarn.GridJoint, Name: "临海镇联合网格", Industry: "C", Workers: []string{}},
		},
		enterprises: map[string]gridwarn.Enterprise{},
	}
	for i := 1; i <= max(nEnterprises, 3); i++ {
		town, grid := testTownA, testGridA
		if i%2 == 1 && i != 1 {
			town, grid = testTownB, testGridB
		}
		code := creditCode(i)
		f.enterprises[code] = gridwarn.Enterprise{CreditCode: code, Name: fmt.Sprintf("测试企业%d", i), IndustryCode: "C17",
			Ownership: "private", Headcount: 50, ComplianceGrade: "B", TownCode: town, GridCode: grid, UpdatedAt: testTime}
	}
	return f
}

// unitVisible reports whether v sees unit u: its county, and for a town
// or grid scope only the town(s) of the scope; f.mu is held.
func (f *fakeRegistry) unitVisible(v gridwarn.Visibility, u gridwarn.Unit) bool {
	if v.All {
		return true
	}
	if v.CountyCode == "" || gridwarn.CountyOf(u.Code) != v.CountyCode {
		return false
	}
	if u.Kind == gridwarn.UnitCounty || (v.TownCode == "" && len(v.GridCodes) == 0) {
		return true
	}
	if v.TownCode != "" && u.Code != v.TownCode {
		return false
	}
	if len(v.GridCodes) > 0 {
		return slices.ContainsFunc(v.GridCodes, func(g string) bool { return f.grids[g].TownCode == u.Code })
	}
	return true
}

func (f *fakeRegistry) record(v any) { f.puts = append(f.puts, v) }

func (f *fakeRegistry) lastPut() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.puts) == 0 {
		return nil
	}
	return f.puts[len(f.puts)-1]
}

func outsideScope(field string) error {
	return gridwarn.Invalid("outside your scope", gridwarn.FieldError{Field: field, Rule: "scope", Message: "lies outside your part of the territory"})
}

func (f *fakeRegistry) Units(_ context.Context, v gridwarn.Visibility) ([]gridwarn.Unit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []gridwarn.Unit
	for _, u := range f.units {
		if f.unitVisible(v, u) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.Unit) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

func (f *fakeRegistry) Unit(_ context.Context, v gridwarn.Visibility, code string) (*gridwarn.Unit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.units[code]
	if !ok || !f.unitVisible(v, u) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "unit %s not found", code)
	}
	return &u, nil
}

func (f *fakeRegistry) PutUnit(_ context.Context, v gridwarn.Visibility, u gridwarn.Unit) (*gridwarn.Unit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(u)
	if old, ok := f.units[u.Code]; ok && !f.unitVisible(v, old) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "unit %s not found", u.Code)
	}
	if u.Kind != gridwarn.UnitCounty && u.Kind != gridwarn.UnitTown {
		return nil, gridwarn.Invalid("invalid unit", gridwarn.FieldError{Field: "kind", Rule: "enum", Message: "must be county or town"})
	}
	if !v.All && (u.Kind == gridwarn.UnitCounty || !v.Sees(gridwarn.CountyOf(u.Code), u.Code, "") || v.TownCode != "" || len(v.GridCodes) > 0) {
		return nil, outsideScope("code")
	}
	f.units[u.Code] = u
	return &u, nil
}

// gridVisible reports whether v sees g.
func gridVisible(v gridwarn.Visibility, g gridwarn.Grid) bool {
	return v.Sees(gridwarn.CountyOf(g.TownCode), g.TownCode, g.Code)
}

func (f *fakeRegistry) Grids(_ context.Context, v gridwarn.Visibility, flt gridwarn.GridFilter) ([]gridwarn.Grid, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gridFilters = append(f.gridFilters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit)
	}
	var out []gridwarn.Grid
	for _, g := range f.grids {
		if gridVisible(v, g) && (flt.TownCode == "" || g.TownCode == flt.TownCode) &&
			(flt.Kind == "" || g.Kind == flt.Kind) && g.Code > flt.After {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.Grid) int { return strings.Compare(a.Code, b.Code) })
	return out[:min(len(out), flt.Limit)], nil
}

func (f *fakeRegistry) Grid(_ context.Context, v gridwarn.Visibility, code string) (*gridwarn.Grid, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.grids[code]
	if !ok || !gridVisible(v, g) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "grid %s not found", code)
	}
	return &g, nil
}

func (f *fakeRegistry) PutGrid(_ context.Context, v gridwarn.Visibility, g gridwarn.Grid) (*gridwarn.Grid, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(g)
	if old, ok := f.grids[g.Code]; ok && !gridVisible(v, old) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "grid %s not found", g.Code)
	}
	if !gridVisible(v, g) || len(v.GridCodes) > 0 {
		return nil, outsideScope("town_code")
	}
	if g.Workers == nil {
		g.Workers = f.grids[g.Code].Workers
	}
	f.grids[g.Code] = g
	return &g, nil
}

// enterpriseVisible reports whether v sees e.
func enterpriseVisible(v gridwarn.Visibility, e gridwarn.Enterprise) bool {
	return v.Sees(gridwarn.CountyOf(e.TownCode), e.TownCode, e.GridCode)
}

func (f *fakeRegistry) Enterprises(_ context.Context, v gridwarn.Visibility, flt gridwarn.EnterpriseFilter) ([]gridwarn.Enterprise, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entFilters = append(f.entFilters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit)
	}
	var out []gridwarn.Enterprise
	for _, e := range f.enterprises {
		if enterpriseVisible(v, e) && (flt.TownCode == "" || e.TownCode == flt.TownCode) &&
			(flt.GridCode == "" || e.GridCode == flt.GridCode) &&
			(flt.Query == "" || strings.Contains(e.Name, flt.Query) || strings.HasPrefix(e.CreditCode, flt.Query)) &&
			e.CreditCode > flt.After {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.Enterprise) int { return strings.Compare(a.CreditCode, b.CreditCode) })
	return out[:min(len(out), flt.Limit)], nil
}

func (f *fakeRegistry) Enterprise(_ context.Context, v gridwarn.Visibility, code string) (*gridwarn.Enterprise, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.enterprises[code]
	if !ok || !enterpriseVisible(v, e) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "enterprise %s not found", code)
	}
	return &e, nil
}

func (f *fakeRegistry) PutEnterprise(_ context.Context, v gridwarn.Visibility, e gridwarn.Enterprise) (*gridwarn.Enterprise, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(e)
	if old, ok := f.enterprises[e.CreditCode]; ok && !enterpriseVisible(v, old) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "enterprise %s not found", e.CreditCode)
	}
	if err := f.checkEnterprise(v, e, ""); err != nil {
		return nil, err
	}
	e.UpdatedAt = testTime.Add(time.Hour)
	f.enterprises[e.CreditCode] = e
	return &e, nil
}

// checkEnterprise checks what the database would: a known town, a grid of
// it and the caller's scope; f.mu is held.
func (f *fakeRegistry) checkEnterprise(v gridwarn.Visibility, e gridwarn.Enterprise, prefix string) error {
	if _, ok := f.units[e.TownCode]; !ok || len(e.TownCode) != 9 {
		return gridwarn.Invalid("unknown town", gridwarn.FieldError{Field: prefix + "town_code", Rule: "exists", Message: "is not a town of the registry"})
	}
	if g, ok := f.grids[e.GridCode]; e.GridCode != "" && (!ok || g.TownCode != e.TownCode) {
		return gridwarn.Invalid("unknown grid", gridwarn.FieldError{Field: prefix + "grid_code", Rule: "exists", Message: "is not a grid of the town"})
	}
	if !enterpriseVisible(v, e) {
		return outsideScope(prefix + "town_code")
	}
	return nil
}

func (f *fakeRegistry) ImportEnterprises(_ context.Context, v gridwarn.Visibility, es []gridwarn.Enterprise, dryRun bool) (gridwarn.ImportResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := gridwarn.ImportResult{Rows: len(es), DryRun: dryRun}
	// Like the database: every problem at once; an enterprise registered
	// outside the caller's scope may not be taken over.
	var fs []gridwarn.FieldError
	for i, e := range es {
		f.record(e)
		if err := f.checkEnterprise(v, e, fmt.Sprintf("[%d].", i)); err != nil {
			fs = append(fs, gridwarn.ErrorFields(err)...)
		}
		if old, ok := f.enterprises[e.CreditCode]; ok && !enterpriseVisible(v, old) {
			fs = append(fs, gridwarn.FieldError{Field: "credit_code", Rule: "scope",
				Message: e.CreditCode + " is registered outside your part of the territory"})
		}
	}
	if len(fs) > 0 {
		return gridwarn.ImportResult{}, gridwarn.Invalid("invalid enterprises", fs...)
	}
	for _, e := range es {
		old, ok := f.enterprises[e.CreditCode]
		e.UpdatedAt = old.UpdatedAt
		switch {
		case !ok:
			res.Created++
		case old == e:
			res.Unchanged++
			continue
		default:
			res.Updated++
		}
		if !dryRun {
			e.UpdatedAt = testTime.Add(time.Hour)
			f.enterprises[e.CreditCode] = e
		}
	}
	return res, nil
}

func (f *fakeRegistry) ExportEnterprises(_ context.Context, v gridwarn.Visibility, w func(gridwarn.Enterprise) error) error {
	f.mu.Lock()
	var out []gridwarn.Enterprise
	for _, e := range f.enterprises {
		if enterpriseVisible(v, e) {
			out = append(out, e)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b gridwarn.Enterprise) int { return strings.Compare(a.CreditCode, b.CreditCode) })
	for _, e := range out {
		if err := w(e); err != nil {
			return err
		}
	}
	return nil
}

// --- users

// fakeUsers is an in-memory gridwarn.UserService holding the people of
// testPeople and nExtra more mediators of town A.
type fakeUsers struct {
	mu      sync.Mutex
	users   map[int64]gridwarn.User
	tokens  map[int64]gridwarn.Token
	nextID  int64
	filters []gridwarn.UserFilter
	created []gridwarn.User // every user CreateUser was given
}

func newFakeUsers(nExtra int) *fakeUsers {
	f := &fakeUsers{users: map[int64]gridwarn.User{}, tokens: map[int64]gridwarn.Token{}}
	for _, u := range testPeople {
		u.CreatedAt = testTime
		f.users[u.ID] = u
		f.tokens[u.ID*10] = gridwarn.Token{ID: u.ID * 10, UserID: u.ID, Username: u.Username, Name: "test", Prefix: "gw_test", CreatedAt: testTime}
		f.nextID = max(f.nextID, u.ID)
	}
	for range nExtra {
		f.nextID++
		f.users[f.nextID] = gridwarn.User{ID: f.nextID, Username: fmt.Sprintf("med%d", f.nextID), Role: gridwarn.RoleMediator,
			Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}, CreatedAt: testTime}
	}
	return f
}

// userVisible reports whether v sees a person: one whose scope lies in it.
func userVisible(v gridwarn.Visibility, u gridwarn.User) bool {
	if v.All {
		return true
	}
	if v.CountyCode == "" || gridwarn.CountyOf(u.Scope.UnitCode) != v.CountyCode {
		return false
	}
	if v.TownCode != "" && u.Scope.UnitCode != v.TownCode &&
		!slices.ContainsFunc(u.Scope.GridCodes, func(g string) bool { return strings.HasPrefix(g, v.TownCode+"-") }) {
		return false
	}
	if len(v.GridCodes) > 0 && !slices.ContainsFunc(u.Scope.GridCodes, func(g string) bool { return slices.Contains(v.GridCodes, g) }) {
		return false
	}
	return true
}

func (f *fakeUsers) Users(_ context.Context, v gridwarn.Visibility, flt gridwarn.UserFilter) ([]gridwarn.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if flt.Limit < 1 || flt.Limit > maxLimit+1 {
		return nil, fmt.Errorf("fake: limit %d out of range", flt.Limit)
	}
	var out []gridwarn.User
	for _, u := range f.users {
		if userVisible(v, u) && (flt.Role == "" || u.Role == flt.Role) && u.ID > flt.AfterID {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.User) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(len(out), flt.Limit)], nil
}

func (f *fakeUsers) user(v gridwarn.Visibility, id int64) (gridwarn.User, error) {
	u, ok := f.users[id]
	if !ok || !userVisible(v, u) {
		return gridwarn.User{}, gridwarn.Errorf(gridwarn.ENOTFOUND, "user %d not found", id)
	}
	return u, nil
}

func (f *fakeUsers) User(_ context.Context, v gridwarn.Visibility, id int64) (*gridwarn.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.user(v, id)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func (f *fakeUsers) CreateUser(_ context.Context, v gridwarn.Visibility, u gridwarn.User) (*gridwarn.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, u)
	if !u.Role.Valid() {
		return nil, gridwarn.Invalid("invalid user", gridwarn.FieldError{Field: "role", Rule: "enum", Message: "is not a role"})
	}
	if !userVisible(v, u) || (u.Scope.Kind == gridwarn.ScopeCounty && (v.TownCode != "" || len(v.GridCodes) > 0)) {
		return nil, outsideScope("scope")
	}
	for _, o := range f.users {
		if o.Username == u.Username {
			return nil, gridwarn.Errorf(gridwarn.ECONFLICT, "username %s is taken", u.Username)
		}
	}
	f.nextID++
	u.ID, u.CreatedAt = f.nextID, testTime.Add(time.Hour)
	f.users[u.ID] = u
	return &u, nil
}

func (f *fakeUsers) CreateToken(_ context.Context, v gridwarn.Visibility, userID int64, name string, expiresAt *time.Time) (*gridwarn.Token, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.user(v, userID)
	if err != nil {
		return nil, "", err
	}
	id := int64(1000 + len(f.tokens))
	secret := fmt.Sprintf("gw_secret%04d", id)
	t := gridwarn.Token{ID: id, UserID: u.ID, Username: u.Username, Name: name, Prefix: secret[:10], CreatedAt: testTime, ExpiresAt: expiresAt}
	f.tokens[id] = t
	return &t, secret, nil
}

func (f *fakeUsers) Tokens(_ context.Context, v gridwarn.Visibility, userID int64) ([]gridwarn.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []gridwarn.Token
	for _, t := range f.tokens {
		if u, err := f.user(v, t.UserID); err == nil && (userID == 0 || u.ID == userID) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b gridwarn.Token) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fakeUsers) RevokeToken(_ context.Context, v gridwarn.Visibility, tokenID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[tokenID]
	if !ok {
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "token not found")
	}
	if _, err := f.user(v, t.UserID); err != nil {
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "token not found")
	}
	if t.RevokedAt == nil {
		at := testTime.Add(time.Hour)
		t.RevokedAt = &at
		f.tokens[tokenID] = t
	}
	return nil
}

func (f *fakeUsers) lastFilter() gridwarn.UserFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.filters) == 0 {
		return gridwarn.UserFilter{}
	}
	return f.filters[len(f.filters)-1]
}

// --- reports

// fakeReports is a gridwarn.ReportService that, like the real one, accepts
// a report only about an enterprise of the registry inside the caller's
// scope (EUNPROCESSABLE otherwise) and treats a repeated id as one event.
type fakeReports struct {
	registry *fakeRegistry
	mu       sync.Mutex
	reports  []string // "username id enterprise" of every report accepted
	seen     map[string]bool
}

func (f *fakeReports) Report(ctx context.Context, p *gridwarn.Principal, e gridwarn.Event) (gridwarn.ReportReceipt, error) {
	if e.Reporter != nil {
		return gridwarn.ReportReceipt{}, fmt.Errorf("fake: the handler passed a reporter %+v", e.Reporter)
	}
	if _, err := f.registry.Enterprise(ctx, authz.Visibility(p, authz.CreateReports), e.Enterprise); err != nil {
		return gridwarn.ReportReceipt{}, &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE,
			Message: "the enterprise is not in the registry or not in your part of the territory",
			Fields:  []gridwarn.FieldError{{Field: "enterprise", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen[e.ID] {
		return gridwarn.ReportReceipt{EventID: e.ID, Duplicate: true}, nil
	}
	f.seen[e.ID] = true
	f.reports = append(f.reports, fmt.Sprintf("%s %s %s", p.Username, e.ID, e.Enterprise))
	return gridwarn.ReportReceipt{EventID: e.ID}, nil
}

// --- the API under test

// testAPI is an engine over fakes, with its log captured.
type testAPI struct {
	h           *gin.Engine
	tickets     *fakeTickets
	work        *fakeWork
	deadLetters *fakeDeadLetters
	registry    *fakeRegistry
	users       *fakeUsers
	reports     *fakeReports
	privacy     *fakePrivacy
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
// nDeadLetters dead letters (and the test territory and people); ready is
// the readiness check (nil: ready).
func mustNewAPI(tb testing.TB, nTickets, nDeadLetters int, ready func(context.Context) error, reg *prometheus.Registry) *testAPI {
	tb.Helper()
	a := &testAPI{
		tickets: newFakeTickets(nTickets), deadLetters: newFakeDeadLetters(nDeadLetters),
		registry: newFakeRegistry(3), users: newFakeUsers(0), logs: &syncBuffer{},
	}
	a.reports = &fakeReports{registry: a.registry, seen: map[string]bool{}}
	a.work = &fakeWork{}
	a.privacy = &fakePrivacy{}
	if ready == nil {
		ready = func(context.Context) error { return nil }
	}
	a.h = New(
		Services{
			Auth: newFakeAuth(), Tickets: a.tickets, DeadLetters: a.deadLetters,
			Registry: a.registry, Users: a.users, Reports: a.reports, Ready: ready, Rules: &fakeRules{}, Summaries: fakeSummaries{},
			Work: a.work, Privacy: a.privacy, Visits: fakeVisits{}, Union: fakeVisits{}, Circulars: fakeVisits{}, PeriodReports: fakeVisits{},
			Contacts:  fakeContacts{},
			Hotline:   fakeHotline{},
			Feed:      fakeFeed{},
			Referrals: fakeReferrals{},
			Handoffs:  fakeHandoffs{},
			// The signed peer routes (package handoff tests them): here
			// every request is unsigned.
			HandoffInbound: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"type":"https://gridwarn.dev/problems/unauthorized","title":"Unauthorized","status":401,` +
					`"detail":"authentication required","code":"unauthorized","instance":"` + r.URL.Path + `"}`))
			}),
		},
		Options{
			MaxBodyBytes: testMaxBodyBytes,
			Logger:       slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Registry:     reg,
		},
	)
	return a
}

// request describes one call; zero values mean GET as the county admin
// with no body.
type request struct {
	method      string
	target      string
	rawQuery    *string // replaces the query of target verbatim when set
	body        string
	contentType string
	token       string  // bearer token when auth is nil; "" means tokAdmin
	auth        *string // Authorization header; nil means "Bearer "+token, "" means none
	header      map[string]string
	chunked     bool // send the body without a Content-Length
	// answerOnly checks only the answer against openapi.yaml: the fuzz
	// tests send what the document rules out to stand-in services that do
	// not validate it.
	answerOnly bool
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
		req.Header.Set("Authorization", "Bearer "+cmp.Or(r.token, tokAdmin))
	case *r.auth != "":
		req.Header.Set("Authorization", *r.auth)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.chunked {
		req.ContentLength = -1
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	// Every answer must be documented: its status for the operation, its
	// body by the schema (openapi_test.go).
	checkAnswer(tb, req, r.body, rec, r.answerOnly)
	return rec
}

func ptr[T any](v T) *T { return &v }

// fakeSummaries holds one summary: the county's 2026-W47 (towns see none).
type fakeSummaries struct{}

func (fakeSummaries) WeeklySummaries(_ context.Context, v gridwarn.Visibility, _ int) ([]gridwarn.SummaryInfo, error) {
	if v.CountyCode != testCounty || v.TownCode != "" || len(v.GridCodes) > 0 {
		return nil, nil
	}
	return []gridwarn.SummaryInfo{{UnitCode: testCounty, Week: "2026-W47", Revision: 1, BuiltAt: testTime, BuiltBy: "schedule"}}, nil
}

func (fakeSummaries) WeeklySummary(_ context.Context, v gridwarn.Visibility, unit, week string) (*gridwarn.WeeklySummary, error) {
	if unit != testCounty || week != "2026-W47" || v.CountyCode != testCounty || v.TownCode != "" || len(v.GridCodes) > 0 {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "summary not found")
	}
	return &gridwarn.WeeklySummary{ISO: week, UnitCode: unit, Week: gridwarn.Week{Year: 2026, Week: 47},
		ByLevel: map[gridwarn.Level]int{}, ByCat: map[gridwarn.Category]int{}}, nil
}
