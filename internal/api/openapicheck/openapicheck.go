// Package openapicheck holds the API to its document: it checks HTTP
// exchanges — the request a client sent and the answer it got — against
// openapi.yaml, so that a test suite which talks to the API fails when the
// code and the document part ways.
//
// The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12
// (`type: [array, "null"]` and the like), so the schemas are compiled with
// santhosh-tekuri/jsonschema (a 2020-12 validator) rather than kin-openapi's
// openapi3filter, which implements OpenAPI 3.0's schema dialect.
//
// What is checked, for every exchange whose path the document knows:
//
//   - the answer's status is documented for the operation, its Content-Type
//     is one the document lists for that status, a JSON body matches the
//     schema, and a documented required response header is present;
//   - a request the document calls invalid (a path or query parameter that
//     does not match its schema, a query parameter the operation does not
//     declare, a missing required parameter or header, a JSON body that
//     does not match, no credentials on a secured operation) is refused: an
//     answer below 400 to it means the code accepts what the document rules
//     out.
//
// A path under /api/ that the document does not know must be answered 404
// or 405.
package openapicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const docURL = "https://gridwarn.invalid/openapi.json"

// Doc is an OpenAPI document compiled for checking. It is safe for
// concurrent use.
type Doc struct {
	raw      map[string]any
	paths    map[string]any
	compiler *jsonschema.Compiler

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

// Load parses and compiles an OpenAPI 3.1 document (YAML or JSON).
func Load(spec []byte) (*Doc, error) {
	var y any
	if err := yaml.Unmarshal(spec, &y); err != nil {
		return nil, fmt.Errorf("openapicheck: parse: %w", err)
	}
	b, err := json.Marshal(y)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	j, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, j); err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	raw, _ := j.(map[string]any)
	paths, _ := raw["paths"].(map[string]any)
	return &Doc{raw: raw, paths: paths, compiler: c, schemas: map[string]*jsonschema.Schema{}}, nil
}

// schema compiles the schema at a JSON pointer of the document.
func (d *Doc) schema(pointer string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[pointer]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(docURL + "#" + pointer)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", pointer, err)
	}
	d.schemas[pointer] = s
	return s, nil
}

func escape(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

// resolve follows a local $ref (if n is one) and returns the node and its
// pointer.
func (d *Doc) resolve(n map[string]any, pointer string) (map[string]any, string) {
	for range 8 {
		ref, ok := n["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return n, pointer
		}
		pointer = strings.TrimPrefix(ref, "#")
		n = d.node(pointer)
	}
	return n, pointer
}

// Operation finds the documented operation that serves method and a
// concrete path, as Gin routes it (a literal segment beats a parameter):
// the operation, its path template and the path parameters' values.
func (d *Doc) Operation(method, path string) (op map[string]any, tmpl string, params map[string]string) {
	opOf := func(t string) map[string]any {
		item, _ := d.paths[t].(map[string]any)
		o, _ := item[strings.ToLower(method)].(map[string]any)
		return o
	}
	if o := opOf(path); o != nil {
		return o, path, map[string]string{}
	}
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	var bestParams map[string]string
	for t := range d.paths {
		tsegs := strings.Split(t, "/")
		if len(tsegs) != len(segs) || opOf(t) == nil {
			continue
		}
		ps, literals := map[string]string{}, 0
		match := true
		for i := range tsegs {
			switch {
			case tsegs[i] == segs[i]:
				literals++
			case strings.HasPrefix(tsegs[i], "{") && segs[i] != "":
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					v = segs[i]
				}
				ps[strings.Trim(tsegs[i], "{}")] = v
			default:
				match = false
			}
			if !match {
				break
			}
		}
		if match && literals > bestLiterals {
			best, bestLiterals, bestParams = t, literals, ps
		}
	}
	if best == "" {
		return nil, "", nil
	}
	return opOf(best), best, bestParams
}

// Known reports whether the document describes path with any method.
func (d *Doc) Known(path string) bool {
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if op, _, _ := d.Operation(m, path); op != nil {
			return true
		}
	}
	return false
}

// Check checks one exchange: req with its body, and the answer res with
// its body. It returns nil when both are as documented, else an error that
// lists every difference.
func (d *Doc) Check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	return d.check(req, reqBody, res, resBody, true)
}

// CheckAnswer checks only the answer: for tests whose server runs on
// stand-in services that do not validate what they are given.
func (d *Doc) CheckAnswer(req *http.Request, res *http.Response, resBody []byte) error {
	return d.check(req, nil, res, resBody, false)
}

func (d *Doc) check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte, checkRequest bool) error {
	method, path := req.Method, req.URL.Path
	op, tmpl, pathParams := d.Operation(method, path)
	if op == nil {
		if strings.HasPrefix(path, "/api/") && res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s: not in openapi.yaml, yet answered %d", method, path, res.StatusCode)
		}
		return nil
	}
	opPointer := "/paths/" + escape(tmpl) + "/" + strings.ToLower(method)
	name := method + " " + tmpl
	var problems []string
	if checkRequest && res.StatusCode < 400 {
		for _, p := range d.requestProblems(op, opPointer, tmpl, req, reqBody, pathParams) {
			problems = append(problems, "request the document rules out was answered "+strconv.Itoa(res.StatusCode)+": "+p)
		}
	}
	problems = append(problems, d.responseProblems(op, opPointer, res, resBody)...)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s (%s %s) answered %d:\n\t%s", name, method, req.URL.RequestURI(), res.StatusCode, strings.Join(problems, "\n\t"))
}

// parameters are the operation's parameters with the path item's, by
// (in, name), each with the pointer of its schema.
type parameter struct {
	in, name, schemaPointer string
	required                bool
}

func (d *Doc) parameters(op map[string]any, opPointer, tmpl string) []parameter {
	var out []parameter
	seen := map[string]bool{}
	add := func(list []any, pointer string) {
		for i, raw := range list {
			n, _ := raw.(map[string]any)
			p, ptr := d.resolve(n, pointer+"/"+strconv.Itoa(i))
			in, _ := p["in"].(string)
			nm, _ := p["name"].(string)
			req, _ := p["required"].(bool)
			key := in + "\x00" + strings.ToLower(nm)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, parameter{in: in, name: nm, required: req || in == "path", schemaPointer: ptr + "/schema"})
		}
	}
	ops, _ := op["parameters"].([]any)
	add(ops, opPointer+"/parameters")
	item, _ := d.paths[tmpl].(map[string]any)
	items, _ := item["parameters"].([]any)
	add(items, "/paths/"+escape(tmpl)+"/parameters")
	return out
}

// value turns a parameter's text into the JSON value its schema expects.
func (d *Doc) value(schemaPointer, text string) any {
	n := d.node(schemaPointer)
	n, _ = d.resolve(n, schemaPointer)
	types := map[string]bool{}
	switch t := n["type"].(type) {
	case string:
		types[t] = true
	case []any:
		for _, e := range t {
			s, _ := e.(string)
			types[s] = true
		}
	}
	switch {
	case types["integer"] || types["number"]:
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	case types["boolean"]:
		if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
			return b
		}
	}
	return text
}

// node is the document's node at pointer.
func (d *Doc) node(pointer string) map[string]any {
	var cur any = d.raw
	for _, key := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		switch n := cur.(type) {
		case map[string]any:
			cur = n[strings.NewReplacer("~1", "/", "~0", "~").Replace(key)]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			cur = n[i]
		default:
			return nil
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

func (d *Doc) validate(pointer string, v any) error {
	s, err := d.schema(pointer)
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// requestProblems lists what about the request the document rules out.
func (d *Doc) requestProblems(op map[string]any, opPointer, tmpl string, req *http.Request, body []byte, pathParams map[string]string) []string {
	var problems []string
	query := req.URL.Query()
	declared := map[string]bool{}
	for _, p := range d.parameters(op, opPointer, tmpl) {
		var values []string
		switch p.in {
		case "path":
			if v, ok := pathParams[p.name]; ok {
				values = []string{v}
			}
		case "query":
			// An empty value is the same as an absent parameter
			// (openapi.yaml, "Errors and input"), and one may not repeat.
			declared[p.name] = true
			values = slices.DeleteFunc(slices.Clone(query[p.name]), func(v string) bool { return v == "" })
			if len(values) > 1 {
				problems = append(problems, fmt.Sprintf("query parameter %q is repeated", p.name))
			}
		case "header":
			values = req.Header.Values(p.name)
		default:
			continue
		}
		if len(values) == 0 {
			if p.required {
				problems = append(problems, fmt.Sprintf("required %s parameter %q is missing", p.in, p.name))
			}
			continue
		}
		for _, v := range values {
			if err := d.validate(p.schemaPointer, d.value(p.schemaPointer, v)); err != nil {
				problems = append(problems, fmt.Sprintf("%s parameter %q = %q: %v", p.in, p.name, v, err))
			}
		}
	}
	for k := range query {
		if !declared[k] {
			problems = append(problems, fmt.Sprintf("query parameter %q is not documented", k))
		}
	}
	sec, has := op["security"].([]any)
	if !has {
		sec, _ = d.raw["security"].([]any)
	}
	if len(sec) > 0 && req.Header.Get("Authorization") == "" {
		problems = append(problems, "no Authorization header on a secured operation")
	}
	rb, _ := op["requestBody"].(map[string]any)
	if rb == nil {
		return problems
	}
	rb, rbPointer := d.resolve(rb, opPointer+"/requestBody")
	required, _ := rb["required"].(bool)
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			problems = append(problems, "the required request body is missing")
		}
		return problems
	}
	content, _ := rb["content"].(map[string]any)
	mt := mediaType(req.Header.Get("Content-Type"))
	if _, ok := content[mt]; !ok {
		problems = append(problems, fmt.Sprintf("request Content-Type %q is not documented", req.Header.Get("Content-Type")))
		return problems
	}
	if !isJSON(mt) {
		return problems
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return append(problems, fmt.Sprintf("request body is not JSON: %v", err))
	}
	if err := d.validate(rbPointer+"/content/"+escape(mt)+"/schema", v); err != nil {
		problems = append(problems, fmt.Sprintf("request body: %v", err))
	}
	return problems
}

// responseProblems lists how the answer differs from the document.
func (d *Doc) responseProblems(op map[string]any, opPointer string, res *http.Response, body []byte) []string {
	status := strconv.Itoa(res.StatusCode)
	responses, _ := op["responses"].(map[string]any)
	key := status
	if responses[key] == nil {
		key = status[:1] + "XX"
	}
	if responses[key] == nil {
		key = "default"
	}
	r, _ := responses[key].(map[string]any)
	if r == nil {
		return []string{fmt.Sprintf("status %s is not documented; body: %s", status, clip(body))}
	}
	r, rPointer := d.resolve(r, opPointer+"/responses/"+key)
	var problems []string
	headers, _ := r["headers"].(map[string]any)
	for h, raw := range headers {
		n, _ := raw.(map[string]any)
		n, _ = d.resolve(n, "")
		if req, _ := n["required"].(bool); req && res.Header.Get(h) == "" {
			problems = append(problems, fmt.Sprintf("required response header %s is missing", h))
		}
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			problems = append(problems, fmt.Sprintf("documented without a body, got %s", clip(body)))
		}
		return problems
	}
	ct := res.Header.Get("Content-Type")
	mt := mediaType(ct)
	if _, ok := content[mt]; !ok {
		return append(problems, fmt.Sprintf("Content-Type %q is not documented (%s)", ct, strings.Join(sortedKeys(content), ", ")))
	}
	if !isJSON(mt) {
		return problems
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return append(problems, fmt.Sprintf("body is not JSON: %v: %s", err, clip(body)))
	}
	if err := d.validate(rPointer+"/content/"+escape(mt)+"/schema", v); err != nil {
		problems = append(problems, fmt.Sprintf("body does not match the schema: %v\n\tbody: %s", err, clip(body)))
	}
	return problems
}

func mediaType(ct string) string {
	return strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
}

func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Transport is an http.RoundTripper that checks every exchange it carries
// against the document and keeps the differences. Install it on the
// clients of a test suite (TestMain) and fail the suite on Problems.
type Transport struct {
	Doc  *Doc
	Base http.RoundTripper // nil: http.DefaultTransport

	mu       sync.Mutex
	problems []string
	checked  int
}

// RoundTrip sends req, then checks the request and the answer.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	res, err := base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	if req.Method == http.MethodHead || res.StatusCode == http.StatusSwitchingProtocols {
		return res, nil
	}
	resBody, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if rerr != nil {
		// A streamed answer cut short (the client went away): nothing to judge.
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(resBody), errReader{rerr}))
		return res, nil
	}
	t.Observe(req, reqBody, res, resBody)
	return res, nil
}

// Observe checks one exchange and keeps its differences.
func (t *Transport) Observe(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	err := t.Doc.Check(req, reqBody, res, resBody)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checked++
	if err != nil {
		t.problems = append(t.problems, err.Error())
	}
}

// Problems are the differences found so far.
func (t *Transport) Problems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.problems)
}

// Checked is how many exchanges were checked.
func (t *Transport) Checked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// ErrDrift is returned by Verdict when exchanges differed from the document.
var ErrDrift = errors.New("openapicheck: answers or requests differ from openapi.yaml")

// Verdict is nil when every exchange matched, else ErrDrift with the list.
func (t *Transport) Verdict() error {
	ps := t.Problems()
	if len(ps) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%d of %d exchanges):\n%s", ErrDrift, len(ps), t.Checked(), strings.Join(ps, "\n"))
}
