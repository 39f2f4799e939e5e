package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// mustProblem checks that rec is a well-formed problem with the status and
// code given, and returns it.
func mustProblem(tb testing.TB, rec *httptest.ResponseRecorder, path string, status int, code string) problem {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status = %d, want %d; body: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("decode problem: %v; body: %s", err, rec.Body)
	}
	want := problem{
		Type: problemTypeBase + code, Title: http.StatusText(status), Status: status,
		Detail: p.Detail, Code: code, Errors: p.Errors, Allowed: p.Allowed, Instance: path,
	}
	if p.Allowed != nil && status != http.StatusConflict {
		tb.Fatalf("allowed on a %d: %s", status, rec.Body)
	}
	if diff := cmp.Diff(want, p); diff != "" {
		tb.Fatalf("problem (-want +got):\n%s", diff)
	}
	if p.Detail == "" {
		tb.Fatalf("problem has no detail: %s", rec.Body)
	}
	loadDoc(tb).validate(tb, "/components/schemas/Problem", rec.Body.Bytes())
	return p
}

// withField adds a member to the front of a JSON object.
func withField(obj, member string) string {
	return "{" + member + "," + strings.TrimPrefix(obj, "{")
}

func fieldNames(p problem) []string {
	var names []string
	for _, f := range p.Errors {
		names = append(names, f.Field)
	}
	return names
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for key := range item {
			if slices.Contains(methods, key) {
				documented[strings.ToUpper(key)+" "+path] = true
			}
		}
	}
	registered := map[string]bool{}
	for _, r := range mustNewAPI(t, 0, 0, nil, nil).h.Routes() {
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
				segs[i] = "{" + s[1:] + "}"
			}
		}
		registered[r.Method+" "+strings.Join(segs, "/")] = true
	}
	for route := range registered {
		if !documented[route] {
			t.Errorf("route %s is not documented in openapi.yaml", route)
		}
	}
	for route := range documented {
		if !registered[route] {
			t.Errorf("openapi.yaml documents %s, which is not registered", route)
		}
	}
}

// TestOpenAPIRefsResolve checks that every local $ref in openapi.yaml points
// at something.
func TestOpenAPIRefsResolve(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(openAPI, &root); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	resolve := func(ref string) bool {
		n := root.Content[0]
		for _, key := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			key = strings.NewReplacer("~1", "/", "~0", "~").Replace(key)
			if n.Kind != yaml.MappingNode {
				return false
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return false
			}
			n = next
		}
		return true
	}
	refs := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "$ref" {
					refs++
					if ref := n.Content[i+1].Value; !strings.HasPrefix(ref, "#/") || !resolve(ref) {
						t.Errorf("$ref %q (line %d) does not resolve", ref, n.Content[i+1].Line)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	if refs == 0 {
		t.Fatal("no $ref found: is the document empty?")
	}
}

// TestOpenAPIEnumsMatchDomain keeps the document's enums in step with the
// values the domain (and so the handlers) accept, and the problem codes in
// step with the codes writeError can send.
func TestOpenAPIEnumsMatchDomain(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum       []string `yaml:"enum"`
				Properties map[string]struct {
					Enum []string `yaml:"enum"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	for name, want := range map[string][]string{
		"Level":            strs(gridwarn.Levels),
		"Tier":             strs(gridwarn.Tiers),
		"Status":           strs(gridwarn.Statuses),
		"Category":         strs(gridwarn.Categories),
		"DeadLetterReason": strs(gridwarn.DeadLetterReasons),
		"Role":             strs(gridwarn.Roles),
		"GridKind":         strs(gridwarn.GridKinds),
		"Ownership":        strs(gridwarn.Ownerships),
		"Action":           strs(workflow.Actions),
		"AllowedAction":    append(strs(workflow.Actions), "hand_off", "handoff_accept", "handoff_decline"),
		"OutcomeResult":    gridwarn.Outcomes,
		"OwnerStatus":      strs(gridwarn.OwnerStatuses),
		// The domain has no lists of these: name every constant.
		"UnitKind":  strs([]gridwarn.UnitKind{gridwarn.UnitCounty, gridwarn.UnitTown}),
		"TownType":  strs([]gridwarn.TownType{gridwarn.TownTown, gridwarn.TownSubdistrict, gridwarn.TownPark}),
		"ScopeKind": strs([]gridwarn.ScopeKind{gridwarn.ScopeCounty, gridwarn.ScopeTown, gridwarn.ScopeGrids}),
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		if diff := cmp.Diff(want, s.Enum); diff != "" {
			t.Errorf("openapi.yaml schema %s enum (-domain +document):\n%s", name, diff)
		}
	}

	// Properties with an enum of their own.
	for _, p := range []struct {
		schema, property string
		want             []string
	}{
		{"Clock", "kind", strs([]gridwarn.ClockKind{gridwarn.ClockAccept, gridwarn.ClockContact, gridwarn.ClockResolve, gridwarn.ClockBodyAccept, gridwarn.ClockBodyDecide})},
		{"ReferralUpdateRequest", "kind", gridwarn.ReferralUpdateKinds},
		{"ContactInput", "kind", gridwarn.ContactKinds},
		{"ReferRequest", "body", gridwarn.ReferralBodies},
		{"NoteRequest", "visibility", gridwarn.NoteVisibilities},
		{"Event", "action", strs(gridwarn.Actions)},
		{"ReportRequest", "action", strs(gridwarn.Actions)},
	} {
		got := doc.Components.Schemas[p.schema].Properties[p.property].Enum
		if diff := cmp.Diff(slices.Sorted(slices.Values(p.want)), slices.Sorted(slices.Values(got))); diff != "" {
			t.Errorf("openapi.yaml %s.%s enum (-domain +document):\n%s", p.schema, p.property, diff)
		}
	}

	// The event's reporter kind, one level down.
	var raw map[string]any
	if err := yaml.Unmarshal(openAPI, &raw); err != nil {
		t.Fatal(err)
	}
	var node any = raw
	for _, k := range []string{"components", "schemas", "Event", "properties", "reporter", "properties", "kind", "enum"} {
		m, _ := node.(map[string]any)
		node = m[k]
	}
	list, ok := node.([]any)
	if !ok {
		t.Fatal("openapi.yaml has no enum at Event.reporter.kind")
	}
	var gotKinds []string
	for _, v := range list {
		gotKinds = append(gotKinds, v.(string))
	}
	if diff := cmp.Diff(strs(gridwarn.ReporterKinds), gotKinds); diff != "" {
		t.Errorf("openapi.yaml Event.reporter.kind enum (-domain +document):\n%s", diff)
	}

	// A clock stops as met, closed or stale, or with the name of the
	// action that moved its ticket to another tier's clocks or reopened it
	// (internal/postgres/door.go); clocks stopped before version 1 say
	// escalated or handed_down.
	// A referral stops the tier's clocks (referred); the body's clocks stop
	// met, withdrawn or settled (internal/postgres/referrals.go).
	// A hand-off pauses them (handed_off; internal/postgres/handoffs.go).
	wantStops := []string{"met", "closed", "stale", "escalated", "handed_down", "referred", "settled", "withdrawn", "handed_off"}
	for _, a := range workflow.Actions {
		r := workflow.Table[a]
		for _, o := range []workflow.Outcome{r.Outcome, r.No} {
			if o.Tier != workflow.TierStay || o.Reopen {
				wantStops = append(wantStops, string(a))
				break
			}
		}
	}
	slices.Sort(wantStops)
	gotStops := slices.Sorted(slices.Values(doc.Components.Schemas["Clock"].Properties["stop_reason"].Enum))
	if diff := cmp.Diff(wantStops, gotStops); diff != "" {
		t.Errorf("openapi.yaml Clock.stop_reason enum (-the store's reasons +document):\n%s", diff)
	}

	var wantCodes []string
	for code := range codes {
		wantCodes = append(wantCodes, code)
	}
	slices.Sort(wantCodes)
	gotCodes := slices.Sorted(slices.Values(doc.Components.Schemas["Problem"].Properties["code"].Enum))
	if diff := cmp.Diff(wantCodes, gotCodes); diff != "" {
		t.Errorf("openapi.yaml Problem.code enum (-writeError's codes +document):\n%s", diff)
	}
}

// strs converts a list of string-like values.
func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// badInputWork scripts the work service for TestBadInput: ticket 424242
// does not exist, every ticket is at workVersion, 204 is in progress (the
// workflow refuses close), and the domain validates the body.
func badInputWork(c workCall) (*gridwarn.Ticket, error) {
	switch {
	case c.req.TicketID == 424242:
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "ticket %d not found", c.req.TicketID)
	case c.req.IfMatch != workVersion:
		return nil, gridwarn.Errorf(gridwarn.EPRECONDITION, "ticket %d is at version %d, not %d", c.req.TicketID, workVersion, c.req.IfMatch)
	case c.req.TicketID == wfInProgress:
		med1 := workflow.Actor{Role: gridwarn.RoleMediator, TierHead: true, AtTicketTier: true, Claimer: true}
		if _, err := workflow.Decide(gridwarn.StatusInProgress, workflow.Action(c.req.Action), med1, workflow.Input{Tier: gridwarn.TierTown, Leased: true}); err != nil {
			return nil, err
		}
	}
	return validating(c)
}

func TestBadInput(t *testing.T) {
	// The work service is scripted by badInputWork.
	const closeURL = "/api/v1/tickets/206/close"
	okBody := `{"note":"resolved by mediation"}`
	ifm := map[string]string{"If-Match": etag(workVersion)}
	bigNote := strings.Repeat("x", testMaxBodyBytes)
	entURL := "/api/v1/enterprises/" + testEnterprise
	for _, tc := range []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
		wantFields []string // nil: not checked
	}{
		// Lists: limit.
		{"limit too large", request{target: "/api/v1/tickets?limit=100000"}, 400, "invalid", []string{"limit"}},
		{"limit 101", request{target: "/api/v1/tickets?limit=101"}, 400, "invalid", []string{"limit"}},
		{"limit negative", request{target: "/api/v1/tickets?limit=-1"}, 400, "invalid", []string{"limit"}},
		{"limit zero", request{target: "/api/v1/tickets?limit=0"}, 400, "invalid", []string{"limit"}},
		{"limit not a number", request{target: "/api/v1/tickets?limit=abc"}, 400, "invalid", []string{"limit"}},
		{"limit with sign", request{target: "/api/v1/tickets?limit=%2B5"}, 400, "invalid", []string{"limit"}},
		{"limit float", request{target: "/api/v1/tickets?limit=5.0"}, 400, "invalid", []string{"limit"}},
		{"limit overflows", request{target: "/api/v1/tickets?limit=99999999999999999999999"}, 400, "invalid", []string{"limit"}},
		{"limit repeated", request{target: "/api/v1/tickets?limit=5&limit=6"}, 400, "invalid", []string{"limit"}},
		{"dead letters limit", request{target: "/api/v1/dead-letters?limit=1000"}, 400, "invalid", []string{"limit"}},

		// Lists: cursor.
		{"cursor random base64", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("\x8f\x01random-bytes"))}, 400, "invalid", []string{"cursor"}},
		{"cursor wrong prefix", request{target: "/api/v1/tickets?cursor=" + encodeCursor(deadLetterCursor, 5)}, 400, "invalid", []string{"cursor"}},
		{"cursor of tickets on dead letters", request{target: "/api/v1/dead-letters?cursor=" + encodeCursor(ticketCursor, 5)}, 400, "invalid", []string{"cursor"}},
		{"cursor not base64", request{target: "/api/v1/tickets?cursor=%21%21%21not-base64"}, 400, "invalid", []string{"cursor"}},
		{"cursor padded", request{target: "/api/v1/tickets?cursor=" + base64.URLEncoding.EncodeToString([]byte("t1:5"))}, 400, "invalid", []string{"cursor"}},
		{"cursor leading zero", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t1:05"))}, 400, "invalid", []string{"cursor"}},
		{"cursor zero id", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t1:0"))}, 400, "invalid", []string{"cursor"}},
		{"cursor negative id", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t1:-5"))}, 400, "invalid", []string{"cursor"}},
		{"cursor trailing data", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t1:5 "))}, 400, "invalid", []string{"cursor"}},
		{"cursor id overflows", request{target: "/api/v1/tickets?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t1:9223372036854775808"))}, 400, "invalid", []string{"cursor"}},

		// Lists: filters and parameters.
		{"unknown status", request{target: "/api/v1/tickets?status=open"}, 400, "invalid", []string{"status"}},
		{"unknown level", request{target: "/api/v1/tickets?level=purple"}, 400, "invalid", []string{"level"}},
		{"unknown category", request{target: "/api/v1/tickets?category=Layoff"}, 400, "invalid", []string{"category"}},
		{"bad enterprise", request{target: "/api/v1/tickets?enterprise=91350100m000100Y43"}, 400, "invalid", []string{"enterprise"}},
		{"short enterprise", request{target: "/api/v1/tickets?enterprise=913501"}, 400, "invalid", []string{"enterprise"}},
		{"unknown reason", request{target: "/api/v1/dead-letters?reason=bored"}, 400, "invalid", []string{"reason"}},
		{"unknown parameter", request{target: "/api/v1/tickets?sort=id"}, 400, "invalid", []string{"sort"}},
		{"dead letter filter on tickets", request{target: "/api/v1/tickets?reason=oversize"}, 400, "invalid", []string{"reason"}},
		{"ticket filter on dead letters", request{target: "/api/v1/dead-letters?status=new"}, 400, "invalid", []string{"status"}},
		{"several problems", request{target: "/api/v1/tickets?zz=1&aa=2&level=x&limit=0"}, 400, "invalid", []string{"aa", "zz", "level", "limit"}},
		{"malformed query", request{target: "/api/v1/tickets", rawQuery: ptr("limit=%zz")}, 400, "invalid", []string{"query"}},
		{"semicolon query", request{target: "/api/v1/tickets", rawQuery: ptr("limit=5;status=new")}, 400, "invalid", []string{"query"}},

		// Ticket ids.
		{"unknown ticket", request{target: "/api/v1/tickets/424242"}, 404, "not_found", nil},
		{"id abc", request{target: "/api/v1/tickets/abc"}, 400, "invalid", []string{"id"}},
		{"id zero", request{target: "/api/v1/tickets/0"}, 400, "invalid", []string{"id"}},
		{"id negative", request{target: "/api/v1/tickets/-1"}, 400, "invalid", []string{"id"}},
		{"id overflows", request{target: "/api/v1/tickets/9223372036854775808"}, 400, "invalid", []string{"id"}},
		{"id with sign", request{target: "/api/v1/tickets/+1"}, 400, "invalid", []string{"id"}},
		{"close id abc", request{method: "POST", target: "/api/v1/tickets/abc/close", body: okBody, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{"id"}},
		{"close unknown ticket", request{method: "POST", target: "/api/v1/tickets/424242/close", body: okBody, token: tokMediator, header: ifm, contentType: "application/json"}, 404, "not_found", nil},

		// Action bodies (more in work_test.go).
		{"no If-Match", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, contentType: "application/json"}, 428, "precondition_required", nil},
		{"stale If-Match", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, contentType: "application/json", header: map[string]string{"If-Match": etag(1)}}, 412, "precondition_failed", nil},
		{"bad If-Match", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, contentType: "application/json", header: map[string]string{"If-Match": "abc"}}, 400, "invalid", []string{"If-Match"}},
		{"close an open ticket", request{method: "POST", target: "/api/v1/tickets/204/close", body: okBody, token: tokMediator, contentType: "application/json", header: ifm}, 409, "conflict", nil},
		{"malformed JSON", request{method: "POST", target: closeURL, body: `{"note":`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"not JSON", request{method: "POST", target: closeURL, body: `note=x`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"array body", request{method: "POST", target: closeURL, body: `["x"]`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"unknown field", request{method: "POST", target: closeURL, body: `{"note":"x","reason":"y"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{"reason"}},
		{"unknown field with quote", request{method: "POST", target: closeURL, body: `{"no\"te":"x"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{`no"te`}},
		{"trailing object", request{method: "POST", target: closeURL, body: okBody + `{"note":"again"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"trailing garbage", request{method: "POST", target: closeURL, body: okBody + `x`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"wrong type", request{method: "POST", target: closeURL, body: `{"note":5}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{"note"}},
		{"body null", request{method: "POST", target: closeURL, body: `null`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{""}},
		{"note with NUL", request{method: "POST", target: closeURL, body: `{"note":"a\u0000b"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{"note"}},
		{"note too long", request{method: "POST", target: closeURL, body: `{"note":"` + strings.Repeat("é", gridwarn.MaxTextChars+1) + `"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 400, "invalid", []string{"note"}},
		{"oversize body", request{method: "POST", target: closeURL, body: `{"note":"` + bigNote + `"}`, token: tokMediator, header: ifm, contentType: "application/json"}, 413, "too_large", nil},
		{"oversize chunked body", request{method: "POST", target: closeURL, body: `{"note":"` + bigNote + `"}`, token: tokMediator, header: ifm, contentType: "application/json", chunked: true}, 413, "too_large", nil},
		{"oversize trailing data", request{method: "POST", target: closeURL, body: okBody + strings.Repeat(" ", testMaxBodyBytes), token: tokMediator, header: ifm, contentType: "application/json", chunked: true}, 413, "too_large", nil},
		{"no content type", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, header: ifm}, 415, "unsupported_media_type", nil},
		{"text content type", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, header: ifm, contentType: "text/plain"}, 415, "unsupported_media_type", nil},
		{"form content type", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, header: ifm, contentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", nil},
		{"other charset", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, header: ifm, contentType: "application/json; charset=latin1"}, 415, "unsupported_media_type", nil},
		{"malformed content type", request{method: "POST", target: closeURL, body: okBody, token: tokMediator, header: ifm, contentType: "application/json; ="}, 415, "unsupported_media_type", nil},

		// Registry and people lists: limits, cursors, filters, parameters.
		{"grids limit too large", request{target: "/api/v1/grids?limit=100000"}, 400, "invalid", []string{"limit"}},
		{"grids limit negative", request{target: "/api/v1/grids?limit=-1"}, 400, "invalid", []string{"limit"}},
		{"enterprises limit not a number", request{target: "/api/v1/enterprises?limit=abc"}, 400, "invalid", []string{"limit"}},
		{"users limit zero", request{target: "/api/v1/users?limit=0"}, 400, "invalid", []string{"limit"}},
		{"grids cursor of enterprises", request{target: "/api/v1/grids?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(enterpriseCursor+testEnterprise))}, 400, "invalid", []string{"cursor"}},
		{"enterprises cursor of grids", request{target: "/api/v1/enterprises?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(gridCursor+testGridA))}, 400, "invalid", []string{"cursor"}},
		{"enterprises cursor of tickets", request{target: "/api/v1/enterprises?cursor=" + encodeCursor(ticketCursor, 5)}, 400, "invalid", []string{"cursor"}},
		{"grids cursor without key", request{target: "/api/v1/grids?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(gridCursor))}, 400, "invalid", []string{"cursor"}},
		{"grids cursor too long", request{target: "/api/v1/grids?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(gridCursor+strings.Repeat("9", 65)))}, 400, "invalid", []string{"cursor"}},
		{"grids cursor with NUL", request{target: "/api/v1/grids?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(gridCursor+"a\x00"))}, 400, "invalid", []string{"cursor"}},
		{"grids cursor padded", request{target: "/api/v1/grids?cursor=" + base64.URLEncoding.EncodeToString([]byte(gridCursor+testGridA))}, 400, "invalid", []string{"cursor"}},
		{"grids cursor random", request{target: "/api/v1/grids?cursor=Zz"}, 400, "invalid", []string{"cursor"}},
		{"users cursor of tickets", request{target: "/api/v1/users?cursor=" + encodeCursor(ticketCursor, 5)}, 400, "invalid", []string{"cursor"}},
		{"users cursor forged", request{target: "/api/v1/users?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("u1:-1"))}, 400, "invalid", []string{"cursor"}},
		{"unknown grid kind", request{target: "/api/v1/grids?kind=square"}, 400, "invalid", []string{"kind"}},
		{"grid kind wrong case", request{target: "/api/v1/grids?kind=Park"}, 400, "invalid", []string{"kind"}},
		{"bad town filter", request{target: "/api/v1/grids?town=3209241"}, 400, "invalid", []string{"town"}},
		{"bad town filter on enterprises", request{target: "/api/v1/enterprises?town=32092410x"}, 400, "invalid", []string{"town"}},
		{"bad grid filter", request{target: "/api/v1/enterprises?grid=320924100-X01"}, 400, "invalid", []string{"grid"}},
		{"query with %", request{target: "/api/v1/enterprises?q=100%25"}, 400, "invalid", []string{"q"}},
		{"query with _", request{target: "/api/v1/enterprises?q=a_b"}, 400, "invalid", []string{"q"}},
		{"query not UTF-8", request{target: "/api/v1/enterprises?q=%FF"}, 400, "invalid", []string{"q"}},
		{"query too long", request{target: "/api/v1/enterprises?q=" + strings.Repeat("企", 101)}, 400, "invalid", []string{"q"}},
		{"unknown role", request{target: "/api/v1/users?role=boss"}, 400, "invalid", []string{"role"}},
		{"role wrong case", request{target: "/api/v1/users?role=Admin"}, 400, "invalid", []string{"role"}},
		{"units take no parameters", request{target: "/api/v1/units?limit=5"}, 400, "invalid", []string{"limit"}},
		{"me takes no parameters", request{target: "/api/v1/me?verbose=1"}, 400, "invalid", []string{"verbose"}},
		{"export takes no parameters", request{target: "/api/v1/enterprises/export?format=xlsx"}, 400, "invalid", []string{"format"}},
		{"unknown parameter on grids", request{target: "/api/v1/grids?sort=code"}, 400, "invalid", []string{"sort"}},
		{"ticket filter on enterprises", request{target: "/api/v1/enterprises?enterprise=" + testEnterprise}, 400, "invalid", []string{"enterprise"}},
		{"tokens take no parameters", request{target: "/api/v1/users/3/tokens?limit=5"}, 400, "invalid", []string{"limit"}},

		// Registry codes and people ids.
		{"unknown unit", request{target: "/api/v1/units/320999"}, 404, "not_found", nil},
		{"unknown town", request{target: "/api/v1/units/320924999"}, 404, "not_found", nil},
		{"unit code short", request{target: "/api/v1/units/32092"}, 400, "invalid", []string{"code"}},
		{"unit code 7 digits", request{target: "/api/v1/units/3209241"}, 400, "invalid", []string{"code"}},
		{"unit code letters", request{target: "/api/v1/units/32092A"}, 400, "invalid", []string{"code"}},
		{"unknown grid", request{target: "/api/v1/grids/320924100-J99"}, 404, "not_found", nil},
		{"grid code bad letter", request{target: "/api/v1/grids/320924100-X01"}, 400, "invalid", []string{"code"}},
		{"grid code no number", request{target: "/api/v1/grids/320924100-J"}, 400, "invalid", []string{"code"}},
		{"unknown enterprise", request{target: "/api/v1/enterprises/" + creditCode(999)}, 404, "not_found", nil},
		{"enterprise code lower case", request{target: "/api/v1/enterprises/91320924ma0000001d"}, 400, "invalid", []string{"code"}},
		{"enterprise code short", request{target: "/api/v1/enterprises/913209"}, 400, "invalid", []string{"code"}},
		{"unknown user", request{target: "/api/v1/users/424242"}, 404, "not_found", nil},
		{"user id abc", request{target: "/api/v1/users/abc"}, 400, "invalid", []string{"id"}},
		{"user id zero", request{target: "/api/v1/users/0"}, 400, "invalid", []string{"id"}},
		{"tokens of unknown user", request{target: "/api/v1/users/424242/tokens"}, 404, "not_found", nil},
		{"tokens user id negative", request{target: "/api/v1/users/-3/tokens"}, 400, "invalid", []string{"id"}},
		{"token for unknown user", request{method: "POST", target: "/api/v1/users/424242/tokens", contentType: "application/json", body: `{}`}, 404, "not_found", nil},
		{"revoke unknown token", request{method: "POST", target: "/api/v1/tokens/424242/revoke"}, 404, "not_found", nil},
		{"revoke id abc", request{method: "POST", target: "/api/v1/tokens/abc/revoke"}, 400, "invalid", []string{"id"}},
		{"revoke id overflows", request{method: "POST", target: "/api/v1/tokens/9223372036854775808/revoke"}, 400, "invalid", []string{"id"}},

		// PUT bodies: the path names the object; the body may not (mass assignment).
		{"enterprise updated_at", request{method: "PUT", target: entURL, contentType: "application/json", body: withField(okEnterpriseBody, `"updated_at":"2000-01-01T00:00:00Z"`)}, 400, "invalid", []string{"updated_at"}},
		{"enterprise credit_code", request{method: "PUT", target: entURL, contentType: "application/json", body: withField(okEnterpriseBody, `"credit_code":"`+testEnterprise2+`"`)}, 400, "invalid", []string{"credit_code"}},
		{"enterprise unknown field", request{method: "PUT", target: entURL, contentType: "application/json", body: withField(okEnterpriseBody, `"verified":true`)}, 400, "invalid", []string{"verified"}},
		{"enterprise wrong type", request{method: "PUT", target: entURL, contentType: "application/json", body: `{"headcount":"many"}`}, 400, "invalid", []string{"headcount"}},
		{"enterprise headcount overflows", request{method: "PUT", target: entURL, contentType: "application/json", body: `{"headcount":1e99}`}, 400, "invalid", []string{"headcount"}},
		{"enterprise wrong check character", request{method: "PUT", target: "/api/v1/enterprises/" + wrongCheckChar(testEnterprise), contentType: "application/json", body: okEnterpriseBody}, 400, "invalid", []string{"code"}},
		{"enterprise code too short", request{method: "PUT", target: "/api/v1/enterprises/913209", contentType: "application/json", body: okEnterpriseBody}, 400, "invalid", []string{"code"}},
		{"enterprise malformed JSON", request{method: "PUT", target: entURL, contentType: "application/json", body: `{"name":`}, 400, "invalid", []string{""}},
		{"enterprise two objects", request{method: "PUT", target: entURL, contentType: "application/json", body: okEnterpriseBody + `{}`}, 400, "invalid", []string{""}},
		{"enterprise oversize", request{method: "PUT", target: entURL, contentType: "application/json", body: withField(okEnterpriseBody, `"name":"`+bigNote+`"`)}, 413, "too_large", nil},
		{"enterprise text content type", request{method: "PUT", target: entURL, contentType: "text/plain", body: okEnterpriseBody}, 415, "unsupported_media_type", nil},
		{"enterprise CSV content type", request{method: "PUT", target: entURL, contentType: "text/csv", body: okEnterpriseBody}, 415, "unsupported_media_type", nil},
		{"unit code in body", request{method: "PUT", target: "/api/v1/units/320924102", contentType: "application/json", body: withField(okUnitBody, `"code":"320924103"`)}, 400, "invalid", []string{"code"}},
		{"unit bad code", request{method: "PUT", target: "/api/v1/units/32092410", contentType: "application/json", body: okUnitBody}, 400, "invalid", []string{"code"}},
		{"unit no content type", request{method: "PUT", target: "/api/v1/units/320924102", body: okUnitBody}, 415, "unsupported_media_type", nil},
		{"grid bad code", request{method: "PUT", target: "/api/v1/grids/320924100-Q01", contentType: "application/json", body: okGridBody}, 400, "invalid", []string{"code"}},
		{"grid code of a county", request{method: "PUT", target: "/api/v1/grids/320924-J01", contentType: "application/json", body: okGridBody}, 400, "invalid", []string{"code"}},
		{"grid code in body", request{method: "PUT", target: "/api/v1/grids/" + testGridA, contentType: "application/json", body: withField(okGridBody, `"code":"320924100-J02"`)}, 400, "invalid", []string{"code"}},
		{"grid workers not a list", request{method: "PUT", target: "/api/v1/grids/" + testGridA, contentType: "application/json", body: `{"workers":"gw1"}`}, 400, "invalid", []string{"workers"}},

		// POST /users: id, created_at and disabled belong to the server.
		{"user id", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: withField(okUserBody, `"id":1`)}, 400, "invalid", []string{"id"}},
		{"user created_at", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: withField(okUserBody, `"created_at":"2000-01-01T00:00:00Z"`)}, 400, "invalid", []string{"created_at"}},
		{"user disabled", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: withField(okUserBody, `"disabled":false`)}, 400, "invalid", []string{"disabled"}},
		{"user scope unknown field", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: `{"username":"x","scope":{"kind":"county","all":true}}`}, 400, "invalid", []string{"all"}},
		{"user scope wrong type", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: `{"scope":{"kind":5}}`}, 400, "invalid", []string{"scope.kind"}},
		{"user unknown role", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: strings.Replace(okUserBody, `"mediator"`, `"root"`, 1)}, 400, "invalid", []string{"role"}},
		{"user malformed JSON", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: `{`}, 400, "invalid", []string{""}},
		{"user no content type", request{method: "POST", target: "/api/v1/users", body: okUserBody}, 415, "unsupported_media_type", nil},
		{"user oversize", request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: withField(okUserBody, `"display_name":"`+bigNote+`"`), chunked: true}, 413, "too_large", nil},

		// POST /users/{id}/tokens.
		{"token secret", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{"name":"x","secret":"gw_mine"}`}, 400, "invalid", []string{"secret"}},
		{"token user_id", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{"user_id":1}`}, 400, "invalid", []string{"user_id"}},
		{"token expired", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{"expires_at":"2020-01-01T00:00:00Z"}`}, 400, "invalid", []string{"expires_at"}},
		{"token name too long", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{"name":"` + strings.Repeat("n", 101) + `"}`}, 400, "invalid", []string{"name"}},
		{"token name wrong type", request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{"name":5}`}, 400, "invalid", []string{"name"}},
		{"token bad id", request{method: "POST", target: "/api/v1/users/x/tokens", contentType: "application/json", body: `{}`}, 400, "invalid", []string{"id"}},
		{"token no content type", request{method: "POST", target: "/api/v1/users/3/tokens", body: `{}`}, 415, "unsupported_media_type", nil},

		// POST /reports (more in TestReportRefused).
		{"report reporter", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: withField(reportBody("evt-1", testEnterprise), `"reporter":{"kind":"grid_worker","id":"someone"}`)}, 400, "invalid", []string{"reporter"}},
		{"report id differs from key", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: reportBody("evt-1", testEnterprise), header: map[string]string{"Idempotency-Key": "evt-2"}}, 400, "invalid", []string{"id"}},
		{"report malformed JSON", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: `{"id":"x",`}, 400, "invalid", []string{""}},
		{"report unknown field", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: withField(reportBody("evt-1", testEnterprise), `"priority":1`)}, 400, "invalid", []string{"priority"}},
		{"report oversize", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: withField(reportBody("evt-1", testEnterprise), `"summary":"`+bigNote+`"`), chunked: true}, 413, "too_large", nil},
		{"report text content type", request{method: "POST", target: "/api/v1/reports", contentType: "text/plain", token: tokGridWorker, body: reportBody("evt-1", testEnterprise)}, 415, "unsupported_media_type", nil},
		{"report unknown enterprise", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", token: tokGridWorker, body: reportBody("evt-1", creditCode(999))}, 422, "unprocessable", []string{"enterprise"}},

		// POST /enterprises/import: a CSV body.
		{"import JSON content type", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "application/json", body: `{}`}, 415, "unsupported_media_type", nil},
		{"import no content type", request{method: "POST", target: "/api/v1/enterprises/import", body: okCSVHeader}, 415, "unsupported_media_type", nil},
		{"import malformed content type", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv; =", body: okCSVHeader}, 415, "unsupported_media_type", nil},
		{"import dry_run not a boolean", request{method: "POST", target: "/api/v1/enterprises/import?dry_run=yes", contentType: "text/csv", body: okCSVHeader}, 400, "invalid", []string{"dry_run"}},
		{"import unknown parameter", request{method: "POST", target: "/api/v1/enterprises/import?mode=replace", contentType: "text/csv", body: okCSVHeader}, 400, "invalid", []string{"mode"}},
		{"import empty file", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv"}, 400, "invalid", []string{"line 1"}},
		{"import unknown column", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv", body: "credit_code,name,town_code,owner\n"}, 400, "invalid", []string{"line 1: owner"}},
		{"import broken quote", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv", body: okCSVHeader + "\"abc\n"}, 400, "invalid", []string{"line 2"}},
		{"import row errors", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv", body: okCSVHeader +
			testEnterprise + ",ok,C17,private,1,false,false,B,0,false,320924100,\n" +
			wrongCheckChar(testEnterprise2) + ",x,C17,private,1,false,false,B,0,false,320924100,\n" +
			testEnterprise + ",dup,C17,private,1,false,false,B,0,false,320924100,\n" +
			creditCode(70) + ",x,C17,private,1,maybe,false,D,0,false,320924100,\n" +
			creditCode(71) + ",x\n"},
			400, "invalid", []string{"line 3: credit_code", "line 4: credit_code", "line 5: has_union", "line 5: compliance_grade", "line 6"}},
		{"import oversize", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "text/csv", body: okCSVHeader + strings.Repeat("x", 64*testMaxBodyBytes), chunked: true}, 413, "too_large", nil},

		// Authentication: checked before anything else.
		{"no token", request{target: "/api/v1/tickets", auth: ptr("")}, 401, "unauthorized", nil},
		{"wrong token", request{target: "/api/v1/tickets", auth: ptr("Bearer not-the-token")}, 401, "unauthorized", nil},
		{"token prefix", request{target: "/api/v1/tickets", auth: ptr("Bearer " + tokAdmin[:5])}, 401, "unauthorized", nil},
		{"token longer", request{target: "/api/v1/tickets", auth: ptr("Bearer " + tokAdmin + "x")}, 401, "unauthorized", nil},
		{"basic auth", request{target: "/api/v1/tickets", auth: ptr("Basic " + tokAdmin)}, 401, "unauthorized", nil},
		{"bare token", request{target: "/api/v1/tickets", auth: ptr(tokAdmin)}, 401, "unauthorized", nil},
		{"empty bearer", request{target: "/api/v1/tickets", auth: ptr("Bearer ")}, 401, "unauthorized", nil},
		{"no token on ticket", request{target: "/api/v1/tickets/abc", auth: ptr("")}, 401, "unauthorized", nil},
		{"no token on close", request{method: "POST", target: closeURL, body: `{`, auth: ptr("")}, 401, "unauthorized", nil},
		{"no token on dead letters", request{target: "/api/v1/dead-letters?limit=abc", auth: ptr("")}, 401, "unauthorized", nil},

		{"no token on me", request{target: "/api/v1/me", auth: ptr("")}, 401, "unauthorized", nil},
		{"wrong token on me", request{target: "/api/v1/me", token: "tok-nobody"}, 401, "unauthorized", nil},
		{"no token on reports", request{method: "POST", target: "/api/v1/reports", contentType: "application/json", body: `{`, auth: ptr("")}, 401, "unauthorized", nil},
		{"no token on import", request{method: "POST", target: "/api/v1/enterprises/import", contentType: "application/json", auth: ptr("")}, 401, "unauthorized", nil},
		{"no token on users", request{target: "/api/v1/users?role=boss", auth: ptr("")}, 401, "unauthorized", nil},
		{"no token on export", request{target: "/api/v1/enterprises/export", auth: ptr("Bearer " + tokAdmin + " x")}, 401, "unauthorized", nil},

		// Authorization: after authentication, before anything else.
		{"grid worker edits an enterprise", request{method: "PUT", target: entURL, contentType: "application/json", body: `{"updated_at":1}`, token: tokGridWorker}, 403, "forbidden", nil},
		{"reporter lists tickets", request{target: "/api/v1/tickets?limit=abc", token: tokReporter}, 403, "forbidden", nil},
		{"admin closes a ticket", request{method: "POST", target: closeURL, contentType: "application/json", body: okBody, token: tokAdmin, header: ifm}, 403, "forbidden", nil},
		{"grid worker claims a ticket", request{method: "POST", target: "/api/v1/tickets/202/claim", token: tokGridWorker, header: ifm}, 403, "forbidden", nil},
		{"reporter reads the queue", request{target: "/api/v1/queue?limit=abc", token: tokReporter}, 403, "forbidden", nil},

		// Routing.
		{"unknown route", request{target: "/nope"}, 404, "not_found", nil},
		{"unknown api route", request{target: "/api/v1/nope"}, 404, "not_found", nil},
		{"trailing slash", request{target: "/api/v1/tickets/"}, 404, "not_found", nil},
		{"wrong method", request{method: "DELETE", target: "/api/v1/tickets"}, 405, "method_not_allowed", nil},
		{"GET close", request{target: closeURL}, 405, "method_not_allowed", nil},
		{"GET reports", request{target: "/api/v1/reports"}, 405, "method_not_allowed", nil},
		{"DELETE user", request{method: "DELETE", target: "/api/v1/users/3"}, 405, "method_not_allowed", nil},
		{"PUT enterprise list", request{method: "PUT", target: "/api/v1/enterprises"}, 405, "method_not_allowed", nil},
		{"GET revoke", request{target: "/api/v1/tokens/30/revoke"}, 405, "method_not_allowed", nil},
		{"POST me", request{method: "POST", target: "/api/v1/me"}, 405, "method_not_allowed", nil},
		{"unknown token route", request{target: "/api/v1/tokens/30"}, 404, "not_found", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNewAPI(t, 3, 3, nil, nil)
			a.work.act = badInputWork
			rec := a.do(t, tc.req)
			path := strings.SplitN(tc.req.target, "?", 2)[0]
			p := mustProblem(t, rec, path, tc.wantStatus, tc.wantCode)
			if tc.wantFields != nil {
				if diff := cmp.Diff(tc.wantFields, fieldNames(p)); diff != "" {
					t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
				}
			}
			if tc.wantCode == "unauthorized" {
				if p.Detail != "authentication required" || len(p.Errors) != 0 {
					t.Errorf("401 says too much: %s", rec.Body)
				}
				if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
			}
			if tc.wantCode == "method_not_allowed" && rec.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

// TestNoAuthenticatorRefusesAll: without an authenticator nobody gets in,
// whatever the token.
func TestNoAuthenticatorRefusesAll(t *testing.T) {
	h := New(Services{Tickets: newFakeTickets(1), DeadLetters: newFakeDeadLetters(1)}, Options{})
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer  ", "Bearer " + tokAdmin} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/tickets", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		mustProblem(t, rec, "/api/v1/tickets", 401, "unauthorized")
	}
}

// pageOf decodes a list answer.
func pageOf[T any](tb testing.TB, rec *httptest.ResponseRecorder) gridwarn.Page[T] {
	tb.Helper()
	if rec.Code != http.StatusOK {
		tb.Fatalf("status = %d, want 200; body: %s", rec.Code, rec.Body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		tb.Fatalf("decode page: %v", err)
	}
	if string(raw["items"]) == "null" || raw["items"] == nil || raw["next_cursor"] == nil || len(raw) != 2 {
		tb.Fatalf("page must have exactly items (an array) and next_cursor: %s", rec.Body)
	}
	var p gridwarn.Page[T]
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		tb.Fatalf("decode page: %v", err)
	}
	return p
}

func TestListPagination(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n, limit int
		want     []int
	}{
		{"120 by 50", 120, 50, []int{50, 50, 20}},
		{"100 by 50", 100, 50, []int{50, 50}},
		{"120 by default", 120, 0, []int{50, 50, 20}},
		{"120 by 100", 120, 100, []int{100, 20}},
		{"3 by 1", 3, 1, []int{1, 1, 1}},
		{"empty", 0, 50, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNewAPI(t, tc.n, 0, nil, nil)
			var sizes []int
			var ids []int64
			cursor := ""
			for page := 0; ; page++ {
				if page > tc.n+1 {
					t.Fatal("pagination does not end")
				}
				target := "/api/v1/tickets?cursor=" + cursor
				if tc.limit > 0 {
					target += fmt.Sprintf("&limit=%d", tc.limit)
				}
				p := pageOf[gridwarn.Ticket](t, a.do(t, request{target: target}))
				sizes = append(sizes, len(p.Items))
				for _, it := range p.Items {
					ids = append(ids, it.ID)
				}
				f := a.tickets.lastFilter()
				want := tc.limit + 1
				if tc.limit == 0 {
					want = defaultLimit + 1
				}
				if f.Limit != want {
					t.Errorf("service asked for %d, want %d", f.Limit, want)
				}
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
			}
			if diff := cmp.Diff(tc.want, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			for i, id := range ids {
				if want := int64(tc.n - i); id != want {
					t.Fatalf("item %d has id %d, want %d (newest first, none skipped or repeated)", i, id, want)
				}
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	a := mustNewAPI(t, 10, 10, nil, nil)
	rec := a.do(t, request{target: "/api/v1/tickets?status=closed&level=red&category=layoff&enterprise=" + testEnterprise +
		"&limit=7&cursor=" + encodeCursor(ticketCursor, 9)})
	pageOf[gridwarn.Ticket](t, rec)
	want := gridwarn.TicketFilter{
		Status: gridwarn.StatusClosed, Level: gridwarn.LevelRed, Category: gridwarn.CategoryLayoff,
		Enterprise: testEnterprise, AfterID: 9, Limit: 8,
	}
	if diff := cmp.Diff(want, a.tickets.lastFilter()); diff != "" {
		t.Errorf("ticket filter (-want +got):\n%s", diff)
	}

	// Empty values are absent parameters.
	pageOf[gridwarn.Ticket](t, a.do(t, request{target: "/api/v1/tickets?status=&level=&cursor=&limit="}))
	if diff := cmp.Diff(gridwarn.TicketFilter{Limit: defaultLimit + 1}, a.tickets.lastFilter()); diff != "" {
		t.Errorf("ticket filter (-want +got):\n%s", diff)
	}

	for _, reason := range gridwarn.DeadLetterReasons {
		p := pageOf[gridwarn.DeadLetter](t, a.do(t, request{target: "/api/v1/dead-letters?reason=" + string(reason)}))
		if diff := cmp.Diff(gridwarn.DeadLetterFilter{Reason: reason, Limit: defaultLimit + 1}, a.deadLetters.lastFilter()); diff != "" {
			t.Errorf("dead-letter filter (-want +got):\n%s", diff)
		}
		for _, d := range p.Items {
			if d.Reason != reason {
				t.Errorf("dead letter %d has reason %q, want %q", d.ID, d.Reason, reason)
			}
		}
	}
}

func TestDeadLetterPagination(t *testing.T) {
	a := mustNewAPI(t, 0, 7, nil, nil)
	p1 := pageOf[gridwarn.DeadLetter](t, a.do(t, request{target: "/api/v1/dead-letters?limit=5"}))
	if len(p1.Items) != 5 || p1.NextCursor != encodeCursor(deadLetterCursor, 3) {
		t.Fatalf("page 1: %d items, cursor %q", len(p1.Items), p1.NextCursor)
	}
	p2 := pageOf[gridwarn.DeadLetter](t, a.do(t, request{target: "/api/v1/dead-letters?limit=5&cursor=" + p1.NextCursor}))
	if len(p2.Items) != 2 || p2.NextCursor != "" || p2.Items[0].ID != 2 {
		t.Fatalf("page 2: %+v", p2)
	}
}

func TestEmptyListIsArray(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	for _, target := range []string{"/api/v1/tickets", "/api/v1/dead-letters"} {
		rec := a.do(t, request{target: target})
		if got, want := strings.TrimSpace(rec.Body.String()), `{"items":[],"next_cursor":""}`; got != want {
			t.Errorf("GET %s = %s, want %s", target, got, want)
		}
	}
}

func TestGetTicket(t *testing.T) {
	a := mustNewAPI(t, 3, 0, nil, nil)
	rec := a.do(t, request{target: "/api/v1/tickets/2"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["id"] != float64(2) || got["enterprise"] != testEnterprise {
		t.Errorf("ticket = %v", got)
	}
	for _, key := range []string{"events", "history"} {
		if _, ok := got[key].([]any); !ok {
			t.Errorf("%s = %v, want an array", key, got[key])
		}
	}
}

func TestInternalErrors(t *testing.T) {
	for _, tc := range []struct {
		name, target, wantLog string
	}{
		{"plain error", fmt.Sprintf("/api/v1/tickets/%d", brokenTicketID), secretText},
		{"panic", fmt.Sprintf("/api/v1/tickets/%d", panicTicketID), "panic: fake: " + secretText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNewAPI(t, 1, 0, nil, nil)
			rec := a.do(t, request{target: tc.target})
			p := mustProblem(t, rec, tc.target, http.StatusInternalServerError, gridwarn.EINTERNAL)
			if p.Detail != "internal error" || strings.Contains(rec.Body.String(), "hunter2") {
				t.Errorf("500 says too much: %s", rec.Body)
			}
			logs := a.logs.String()
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, tc.wantLog) {
				t.Errorf("the full error is not logged at error level:\n%s", logs)
			}
		})
	}
}

func TestRequestLog(t *testing.T) {
	a := mustNewAPI(t, 1, 0, nil, nil)
	a.do(t, request{target: "/api/v1/tickets?limit=abc"})
	logs := a.logs.String()
	for _, want := range []string{"level=DEBUG", "method=GET", "path=/api/v1/tickets", "status=400", "duration=", "limit"} {
		if !strings.Contains(logs, want) {
			t.Errorf("request log lacks %q:\n%s", want, logs)
		}
	}
}

func TestServiceEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwarn_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	a := mustNewAPI(t, 0, 0, nil, reg)
	noAuth := ptr("")
	for _, tc := range []struct {
		target, wantType string
		wantBody         []byte
		contains         string
	}{
		{"/healthz", "application/json; charset=utf-8", []byte(`{"status":"ok"}`), ""},
		{"/readyz", "application/json; charset=utf-8", []byte(`{"status":"ready"}`), ""},
		{"/openapi.yaml", "application/yaml", openAPI, ""},
		{"/schemas/event-v1.json", "application/schema+json", contract.EventSchemaV1, ""},
		{"/metrics", "", nil, "gridwarn_test_total 1"},
	} {
		rec := a.do(t, request{target: tc.target, auth: noAuth})
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: status %d; body: %s", tc.target, rec.Code, rec.Body)
			continue
		}
		if tc.wantType != "" && rec.Header().Get("Content-Type") != tc.wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.target, rec.Header().Get("Content-Type"), tc.wantType)
		}
		if tc.wantBody != nil && !bytes.Equal(bytes.TrimSpace(rec.Body.Bytes()), bytes.TrimSpace(tc.wantBody)) {
			t.Errorf("GET %s: body %q", tc.target, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.target, tc.contains)
		}
	}

	// No registry: an empty one.
	if rec := mustNewAPI(t, 0, 0, nil, nil).do(t, request{target: "/metrics", auth: noAuth}); rec.Code != http.StatusOK {
		t.Errorf("GET /metrics without registry: status %d", rec.Code)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantDetail string
	}{
		{"named dependency", gridwarn.Errorf(gridwarn.EUNAVAILABLE, "database unavailable"), "database unavailable"},
		{"wrapped", fmt.Errorf("ping: %w", gridwarn.Errorf(gridwarn.EINTERNAL, "nats unavailable")), "nats unavailable"},
		{"plain error", errors.New(secretText), "not ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNewAPI(t, 0, 0, func(context.Context) error { return tc.err }, nil)
			rec := a.do(t, request{target: "/readyz", auth: ptr("")})
			p := mustProblem(t, rec, "/readyz", http.StatusServiceUnavailable, gridwarn.EUNAVAILABLE)
			if p.Detail != tc.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tc.wantDetail)
			}
			if !strings.Contains(a.logs.String(), "level=ERROR") {
				t.Errorf("not logged at error level:\n%s", a.logs)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 9, 10, 120, 1 << 40, 1<<63 - 1} {
		for _, prefix := range []string{ticketCursor, deadLetterCursor} {
			got, ok := decodeCursor(prefix, encodeCursor(prefix, id))
			if !ok || got != id {
				t.Errorf("decodeCursor(encodeCursor(%q, %d)) = %d, %v", prefix, id, got, ok)
			}
		}
	}
}
