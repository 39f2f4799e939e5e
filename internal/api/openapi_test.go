package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
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

// checkAnswer checks that rec's status is documented for the operation and
// that its JSON body matches the documented schema.
func checkAnswer(tb testing.TB, method, path string, rec *httptest.ResponseRecorder) {
	tb.Helper()
	body := rec.Body.Bytes()
	d := loadDoc(tb)
	op, tmpl := d.operation(method, path)
	if op == nil {
		return // no such route: 404 or 405, checked elsewhere
	}
	res := rec.Result()
	status := strconv.Itoa(res.StatusCode)
	responses, _ := op["responses"].(map[string]any)
	r, ok := responses[status].(map[string]any)
	if !ok {
		tb.Errorf("%s %s answered %s, which openapi.yaml does not document; body: %s", method, tmpl, status, body)
		return
	}
	if ref, ok := r["$ref"].(string); ok {
		r = d.resolve(ref)
	}
	ct := res.Header.Get("Content-Type")
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			tb.Errorf("%s %s %s: documented without a body, got %s", method, tmpl, status, body)
		}
		return
	}
	mt := strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])
	if _, ok := content[mt]; !ok {
		tb.Errorf("%s %s %s: Content-Type %q is not documented", method, tmpl, status, ct)
		return
	}
	if mt != "application/json" && mt != "application/problem+json" {
		return
	}
	var pointer string
	switch s := content[mt].(map[string]any)["schema"].(map[string]any); {
	case s["$ref"] != nil:
		pointer = strings.TrimPrefix(s["$ref"].(string), "#")
	default:
		pointer = "/paths/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tmpl) + "/" + strings.ToLower(method) +
			"/responses/" + status + "/content/" + strings.NewReplacer("/", "~1").Replace(mt) + "/schema"
	}
	d.validate(tb, pointer, body)
}

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
			if rt.action == authz.CreateReports {
				req.token = tokGridWorker
			}
			rec := a.do(t, req)
			if rec.Code >= 300 {
				t.Fatalf("sample request failed: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
