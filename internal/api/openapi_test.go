package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/api/openapicheck"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// This file checks the answers against openapi.yaml: their bodies against
// the documented schemas, their statuses against the documented responses.

// openAPIDoc is openapi.yaml as JSON values.
type openAPIDoc struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

const openAPIURL = "https://gridwarn.dev/openapi.json"

var (
	docOnce sync.Once
	doc     *openAPIDoc
	docErr  error
)

// loadDoc parses openapi.yaml once.
func loadDoc(tb testing.TB) *openAPIDoc {
	tb.Helper()
	docOnce.Do(func() {
		var y any
		if docErr = yaml.Unmarshal(openAPI, &y); docErr != nil {
			return
		}
		b, err := json.Marshal(y)
		if err != nil {
			docErr = err
			return
		}
		j, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			docErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if docErr = c.AddResource(openAPIURL, j); docErr != nil {
			return
		}
		raw, _ := j.(map[string]any)
		doc = &openAPIDoc{raw: raw, compiler: c, schemas: map[string]*jsonschema.Schema{}}
	})
	if docErr != nil {
		tb.Fatalf("openapi.yaml: %v", docErr)
	}
	return doc
}

// schema compiles the schema at pointer (e.g. "/components/schemas/User").
func (d *openAPIDoc) schema(tb testing.TB, pointer string) *jsonschema.Schema {
	tb.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[pointer]; ok {
		return s
	}
	s, err := d.compiler.Compile(openAPIURL + "#" + pointer)
	if err != nil {
		tb.Fatalf("compile %s: %v", pointer, err)
	}
	d.schemas[pointer] = s
	return s
}

// validate checks body against the schema at pointer.
func (d *openAPIDoc) validate(tb testing.TB, pointer string, body []byte) {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	if err := d.schema(tb, pointer).Validate(v); err != nil {
		tb.Errorf("answer does not match %s: %v\nbody: %s", pointer, err, body)
	}
}

// operation finds the documented operation that serves method and a
// concrete path, as Gin routes it (a literal segment beats a parameter),
// and its path template; nil if none.
func (d *openAPIDoc) operation(method, path string) (map[string]any, string) {
	paths, _ := d.raw["paths"].(map[string]any)
	opOf := func(tmpl string) map[string]any {
		item, _ := paths[tmpl].(map[string]any)
		op, _ := item[strings.ToLower(method)].(map[string]any)
		return op
	}
	if op := opOf(path); op != nil {
		return op, path
	}
	segs := strings.Split(path, "/")
	for tmpl := range paths {
		tsegs := strings.Split(tmpl, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		match := true
		for i := range tsegs {
			if tsegs[i] != segs[i] && !(strings.HasPrefix(tsegs[i], "{") && segs[i] != "") {
				match = false
				break
			}
		}
		if op := opOf(tmpl); match && op != nil {
			return op, tmpl
		}
	}
	return nil, ""
}

// checkAnswer checks the exchange against openapi.yaml with the checker
// every suite that talks to the API uses (openapicheck): the answer's
// status, Content-Type and body, and that a request the document rules out
// was refused.
func checkAnswer(tb testing.TB, req *http.Request, body string, rec *httptest.ResponseRecorder, answerOnly bool) {
	tb.Helper()
	checkerOnce.Do(func() { checker, checkerErr = openapicheck.Load(openAPI) })
	if checkerErr != nil {
		tb.Fatal(checkerErr)
	}
	check := func() error { return checker.Check(req, []byte(body), rec.Result(), rec.Body.Bytes()) }
	if answerOnly {
		check = func() error { return checker.CheckAnswer(req, rec.Result(), rec.Body.Bytes()) }
	}
	if err := check(); err != nil {
		tb.Error(err)
	}
}

var (
	checkerOnce sync.Once
	checker     *openapicheck.Doc
	checkerErr  error
)

// resolve follows a local $ref.
func (d *openAPIDoc) resolve(ref string) map[string]any {
	var n any = d.raw
	for _, key := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := n.(map[string]any)
		n = m[key]
	}
	m, _ := n.(map[string]any)
	return m
}

// TestAnswersMatchOpenAPI sends every /api/v1 route's sample as a role
// that may call it: each succeeds, and (as every answer in these tests, see
// testAPI.do) matches the document.
func TestAnswersMatchOpenAPI(t *testing.T) {
	for _, rt := range v1Routes() {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			a := mustNewAPI(t, 3, 3, nil, nil)
			roles := rolesFor(rt.action)
			req := rt.sample
			req.method = rt.method
			req.token = roleTokens[gridwarn.Role(roles[len(roles)-1])]
			switch rt.action {
			case authz.CreateReports:
				req.token = tokGridWorker
			case authz.ChangeTickets:
				req.token = tokMediator
			}
			rec := a.do(t, req)
			if rec.Code >= 300 {
				t.Fatalf("sample request failed: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// TestOpenAPIActions checks each action of the state machine against its
// operation: an operationId, an English summary with the Chinese term, the
// required If-Match, a body schema of exactly the action's fields (which
// accepts the action's sample), the ETag of the answer and every status the
// handler and the state machine may answer.
func TestOpenAPIActions(t *testing.T) {
	d := loadDoc(t)
	wantStatuses := []string{"200", "400", "401", "403", "404", "409", "412", "413", "415", "428", "500", "503"}
	ids := map[string]bool{}
	for _, a := range workflow.Actions {
		path := "/api/v1/tickets/{id}/" + actionRoutes[a]
		op, _ := d.operation("POST", path)
		if op == nil {
			t.Errorf("%s: not documented", path)
			continue
		}
		id, _ := op["operationId"].(string)
		summary, _ := op["summary"].(string)
		description, _ := op["description"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", path, id)
		}
		ids[id] = true
		if !strings.ContainsFunc(summary, func(r rune) bool { return unicode.Is(unicode.Han, r) }) ||
			!strings.ContainsFunc(summary, func(r rune) bool { return r >= 'A' && r <= 'z' }) {
			t.Errorf("%s: summary %q is not English with the Chinese term", path, summary)
		}
		for _, want := range []string{"`" + string(a) + "`", "If-Match", "The state machine decides which of these may take it now (403/409)", "`allowed`"} {
			if !strings.Contains(strings.Join(strings.Fields(description), " "), want) {
				t.Errorf("%s: the description does not say %q", path, want)
			}
		}

		// If-Match, required.
		var ifMatch map[string]any
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				pm = d.resolve(ref)
			}
			if pm["name"] == "If-Match" && pm["in"] == "header" {
				ifMatch = pm
			}
		}
		if ifMatch == nil || ifMatch["required"] != true {
			t.Errorf("%s: no required If-Match header parameter", path)
		}

		// The body: exactly the action's fields.
		rb, _ := op["requestBody"].(map[string]any)
		content, _ := rb["content"].(map[string]any)
		js, _ := content["application/json"].(map[string]any)
		ref, _ := js["schema"].(map[string]any)["$ref"].(string)
		schema := d.resolve(ref)
		props, _ := schema["properties"].(map[string]any)
		var fields []string
		for f := range props {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		want := slices.Sorted(slices.Values(actionFields[a]))
		if !slices.Equal(want, fields) || schema["additionalProperties"] != false {
			t.Errorf("%s: body schema %s has fields %v (additionalProperties %v), want exactly %v", path, ref, fields, schema["additionalProperties"], want)
		}
		if rb["required"] != (len(workflow.Table[a].Needs) > 0) {
			t.Errorf("%s: requestBody.required = %v, want %v", path, rb["required"], len(workflow.Table[a].Needs) > 0)
		}
		body := actionSamples[a].body
		if body == "" {
			body = "{}"
		}
		d.validate(t, strings.TrimPrefix(ref, "#"), []byte(body))

		// The answers.
		responses, _ := op["responses"].(map[string]any)
		var got []string
		for code := range responses {
			got = append(got, code)
		}
		slices.Sort(got)
		if !slices.Equal(wantStatuses, got) {
			t.Errorf("%s: documents %v, want %v", path, got, wantStatuses)
		}
		ok, _ := responses["200"].(map[string]any)
		if r, isRef := ok["$ref"].(string); isRef {
			ok = d.resolve(r)
		}
		if headers, _ := ok["headers"].(map[string]any); headers["ETag"] == nil {
			t.Errorf("%s: 200 without the ETag header", path)
		}
	}
}
