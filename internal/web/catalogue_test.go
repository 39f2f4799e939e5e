package web

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// ruleSources are the packages whose field errors reach the console: the
// domain, the event contract, the store, the intake and the console itself.
var ruleSources = []string{"../gridwarn", "../contract", "../postgres", "../intake", "../workflow", "../authz", "."}

// domainRules collects every FieldError rule the sources can produce: the
// Rule of a FieldError literal, the string passed as the parameter named
// "rule" of any function or closure, and the Rule* string constants.
func domainRules(tb testing.TB) []string {
	tb.Helper()
	found := map[string]bool{}
	// A service's field error without a rule could only be shown as its
	// English message: every one outside the console must name a rule.
	// (The console's own, already translated, may leave it empty.)
	ruleless := func(dir string, fset *token.FileSet, lit *ast.CompositeLit, elts []ast.Expr) {
		if dir == "." || len(elts) == 0 {
			return
		}
		for _, el := range elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Rule" {
					return
				}
			} else {
				return // positional: the rule is there
			}
		}
		tb.Errorf("%s: a FieldError without a Rule", fset.Position(lit.Pos()))
	}
	for _, dir := range ruleSources {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			tb.Fatal(err)
		}
		fset := token.NewFileSet()
		var parsed []*ast.File
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				tb.Fatal(err)
			}
			parsed = append(parsed, af)
		}
		// Functions with a parameter named rule, by name → its index.
		ruleParam := map[string]int{}
		consts := map[string]string{}
		paramIndex := func(ft *ast.FuncType) int {
			i := 0
			for _, f := range ft.Params.List {
				for _, n := range f.Names {
					if n.Name == "rule" {
						return i
					}
					i++
				}
				if len(f.Names) == 0 {
					i++
				}
			}
			return -1
		}
		for _, af := range parsed {
			ast.Inspect(af, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.FuncDecl:
					if i := paramIndex(x.Type); i >= 0 {
						ruleParam[x.Name.Name] = i
					}
				case *ast.AssignStmt:
					for k, rhs := range x.Rhs {
						if fl, ok := rhs.(*ast.FuncLit); ok && k < len(x.Lhs) {
							if id, ok := x.Lhs[k].(*ast.Ident); ok {
								if i := paramIndex(fl.Type); i >= 0 {
									ruleParam[id.Name] = i
								}
							}
						}
					}
				case *ast.ValueSpec:
					for k, name := range x.Names {
						if strings.HasPrefix(name.Name, "Rule") && k < len(x.Values) {
							if s, ok := stringLit(x.Values[k]); ok {
								consts[name.Name] = s
								found[s] = true
							}
						}
					}
				}
				return true
			})
		}
		value := func(e ast.Expr) (string, bool) {
			if s, ok := stringLit(e); ok {
				return s, true
			}
			switch x := e.(type) {
			case *ast.Ident:
				s, ok := consts[x.Name]
				return s, ok
			case *ast.SelectorExpr:
				if strings.HasPrefix(x.Sel.Name, "Rule") {
					return "", true // a constant of another scanned package, found there
				}
			}
			return "", false
		}
		for _, af := range parsed {
			ast.Inspect(af, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CompositeLit:
					var elts []ast.Expr
					switch {
					case isFieldError(x.Type):
						elts = x.Elts
						ruleless(dir, fset, x, x.Elts)
					case isFieldErrorList(x.Type):
						// []FieldError{{Field: ..., Rule: ...}}: the
						// elements' type is elided.
						for _, el := range x.Elts {
							if cl, ok := el.(*ast.CompositeLit); ok && cl.Type == nil {
								elts = append(elts, cl.Elts...)
								ruleless(dir, fset, cl, cl.Elts)
							}
						}
					default:
						return true
					}
					for _, el := range elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Rule" {
								if s, ok := value(kv.Value); ok && s != "" {
									found[s] = true
								}
							}
						}
					}
				case *ast.CallExpr:
					var name string
					switch f := x.Fun.(type) {
					case *ast.Ident:
						name = f.Name
					case *ast.SelectorExpr:
						name = f.Sel.Name
					}
					if i, ok := ruleParam[name]; ok && i < len(x.Args) {
						if s, ok := value(x.Args[i]); ok && s != "" {
							found[s] = true
						}
					}
				}
				return true
			})
		}
	}
	// The event contract's rules are the JSON Schema keywords of its schema.
	var schema any
	if err := json.Unmarshal(contract.EventSchemaV1, &schema); err != nil {
		tb.Fatal(err)
	}
	for _, kw := range schemaKeywords(schema) {
		found[kw] = true
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range found {
			if !yield(k) {
				return
			}
		}
	})
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

func isFieldErrorList(e ast.Expr) bool {
	at, ok := e.(*ast.ArrayType)
	return ok && isFieldError(at.Elt)
}

func isFieldError(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "FieldError"
	case *ast.SelectorExpr:
		return t.Sel.Name == "FieldError"
	}
	return false
}

// validationKeywords are the JSON Schema keywords that can fail.
var validationKeywords = []string{"type", "enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
	"exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "required",
	"additionalProperties", "minProperties", "maxProperties"}

func schemaKeywords(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if slices.Contains(validationKeywords, k) && k != "additionalProperties" && k != "required" {
				out = append(out, k)
			}
			out = append(out, schemaKeywords(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, schemaKeywords(e)...)
		}
	}
	return out
}

// TestEveryRuleTranslated: every rule of a field error the domain, the
// contract, the store or the console can produce has a message in every
// language, so no page shows a service's English sentence.
func TestEveryRuleTranslated(t *testing.T) {
	rules := domainRules(t)
	for _, must := range []string{"max_length", "control", "formula", "required", "credit_code", "future", "too_old", "scope"} {
		if !slices.Contains(rules, must) {
			t.Errorf("the scan missed rule %q: it no longer finds what the sources produce", must)
		}
	}
	for _, l := range languages {
		for _, r := range rules {
			if _, ok := catalogue[l]["rule."+r]; !ok {
				t.Errorf("%s: rule %q has no message rule.%s", l, r, r)
			}
		}
	}
}

// TestEveryErrorCodeTranslated: every problem+json code — the domain's
// (the E... constants of internal/gridwarn/error.go) and the API's own
// (the e... constants of internal/api/problem.go) — has a title and an
// explanation in every language, so the error page never shows a
// service's English message.
func TestEveryErrorCodeTranslated(t *testing.T) {
	var codes []string
	for file, prefix := range map[string]string{"../gridwarn/error.go": "E", "../api/problem.go": "e"} {
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for k, name := range vs.Names {
					if strings.HasPrefix(name.Name, prefix) && len(name.Name) > 1 && k < len(vs.Values) {
						if s, ok := stringLit(vs.Values[k]); ok {
							codes = append(codes, s)
						}
					}
				}
			}
			return true
		})
	}
	if !slices.Contains(codes, "method_not_allowed") {
		t.Fatalf("the scan missed the API's codes: %v", codes)
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d error codes in error.go: %v", len(codes), codes)
	}
	for _, l := range languages {
		for _, code := range codes {
			for _, key := range []string{"error." + code, "error.detail." + code} {
				if _, ok := catalogue[l][key]; !ok {
					t.Errorf("%s: error code %q has no message %s", l, code, key)
				}
			}
		}
	}
}

// TestEveryActionTranslated: every authz action has its words for the
// refusal page ("A grid worker may not work on tickets").
func TestEveryActionTranslated(t *testing.T) {
	for _, l := range languages {
		for _, a := range authz.Actions {
			if _, ok := catalogue[l]["authz."+string(a)]; !ok {
				t.Errorf("%s: authz action %q has no message authz.%s", l, a, a)
			}
		}
	}
}

// TestEveryCSVProblemTranslated: every problem code internal/csvio can
// give a line of an imported file (problem("code", ...), codeError(s,
// "code", ...)) and every list it names has a message in every language.
func TestEveryCSVProblemTranslated(t *testing.T) {
	files, err := filepath.Glob("../csvio/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			if id, ok := call.Fun.(*ast.Ident); ok {
				name = id.Name
			}
			arg := map[string]int{"problem": 0, "codeError": 1, "parseList": 1}[name]
			if name == "" || arg >= len(call.Args) {
				return true
			}
			s, ok := stringLit(call.Args[arg])
			if !ok {
				return true
			}
			switch name {
			case "problem", "codeError":
				keys = append(keys, "csv."+s)
			case "parseList":
				keys = append(keys, "csv.what."+s)
			}
			return true
		})
	}
	if len(keys) < 30 {
		t.Fatalf("found only %d problem codes in internal/csvio: %v", len(keys), keys)
	}
	for _, l := range languages {
		for _, k := range keys {
			if _, ok := catalogue[l][k]; !ok {
				t.Errorf("%s: no message %s", l, k)
			}
		}
	}
}

// TestCSVReasons: a file in GBK is one message in the page's language;
// a wrong check character and a bad number say what is wrong, in Chinese.
func TestCSVReasons(t *testing.T) {
	gbk := "\xcd\xb3\xd2\xbb\xc9\xe7\xbb\xe1\xd0\xc5\xd3\xc3\xb4\xfa\xc2\xeb,\xc3\xfb\xb3\xc6,\xd5\xf2\xbd\xd6\xb4\xfa\xc2\xeb\n" +
		"91320924MA1N2K3L44,\xbc\xd7,320924100\n"
	_, err := csvio.ReadEnterprises(strings.NewReader(gbk))
	var rows csvio.Errors
	if !errors.As(err, &rows) || len(rows) != 1 {
		t.Fatalf("GBK file: %v, want one problem", err)
	}
	if got := csvReason("zh", rows[0].Problem); !strings.Contains(got, "不是 UTF-8 编码") {
		t.Errorf("GBK file: %q", got)
	}
	_, err = csvio.ReadEnterprises(strings.NewReader("credit_code,name,town_code,headcount,grid_code\n" +
		"91320924MA1N2K3L40,甲,320924100,-3,320924100-Ｊ01\n"))
	if !errors.As(err, &rows) || len(rows) != 3 {
		t.Fatalf("%v, want three problems", err)
	}
	for i, want := range []string{"第 18 位（校验位）是“0”，应为“4”", "应为不小于 0 的整数", "其中有全角字符"} {
		if got := csvReason("zh", rows[i].Problem); !strings.Contains(got, want) {
			t.Errorf("line 2 problem %d: %q, want %q", i, got, want)
		}
		if got := csvReason("en", rows[i].Problem); got == "" || strings.ContainsFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("line 2 problem %d in English: %q", i, got)
		}
	}
}

// historySamples are the data of history lines as the store's writers
// record them (internal/postgres: door.go, batch.go, sweep.go, work.go,
// privacy.go), built from the domain's own types with every field set,
// so that a field added to them needs a label.
func historySamples(t *testing.T) []json.RawMessage {
	t.Helper()
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	paid := true
	enc := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	decision := gridwarn.Decision{Level: gridwarn.LevelRed, Tier: gridwarn.TierCounty, Score: 80, RulesVersion: "2026.12-1",
		Relapse: true, Fired: []gridwarn.Firing{{Rule: "workers_100", Level: gridwarn.LevelRed, LabelZH: "涉及100名以上职工",
			LabelEN: "100 or more workers involved", Values: map[string]any{"event.workers_involved": 120}}}}
	return []json.RawMessage{
		enc(map[string]any{"assignee": "mediator-1"}),
		enc(map[string]any{"tier": map[string]any{"from": gridwarn.TierTown, "to": gridwarn.TierCounty}}),
		enc(map[string]any{"contact": gridwarn.Contact{Kind: "site_visit", HeldAt: at, Place: "厂区", Attendees: []string{"张三", "李四"}, Summary: "谈话"}}),
		enc(map[string]any{"visibility": "shareable"}),
		enc(map[string]any{"outcome": gridwarn.Outcome{Result: "paid_in_full", AmountRecoveredCNY: 150000, WorkersCovered: 12,
			AgreementDate: "2026-11-20", PromisedPayments: []string{"2026-12-01", "2027-01-01"}, RecordedAt: &at}}),
		enc(map[string]any{"approved": true}), enc(map[string]any{"approved": false}),
		enc(map[string]any{"satisfied": false}),
		enc(map[string]any{"body": "arbitration", "reference": "射劳仲案〔2026〕12号"}),
		enc(map[string]any{"into": 12}),
		enc(map[string]any{"due_at": at}),
		enc(map[string]any{"follow_up_on": "2026-12-01", "paid": paid}),
		enc(map[string]any{"lapsed": "mediator-2"}),
		enc(map[string]any{"clock": "accept", "clock_tier": gridwarn.TierTown, "due_at": at}),
		enc(map[string]any{"tier": gridwarn.TierTown, "rules_version": "2026.12-1", "relapse_of": 7}),
		enc(map[string]any{"ticket": 9}),
		enc(decision),
		enc(map[string]any{"decision": decision, "absorbed_category": gridwarn.Category("layoff")}),
		enc(map[string]any{"events": 3}),
		enc(map[string]any{"body": "arbitration", "reference": "射劳仲案〔2026〕12号", "body_name": "射阳县劳动人事争议仲裁委员会", "collective": true}),
		enc(map[string]any{"referral_id": 3, "update": "award", "on_date": "2026-12-01", "amount_cny": 120000, "owed_cny": 86000,
			"pay_by": "2027-01-20", "hearing_at": at, "body": "arbitration", "body_name": "射阳县劳动人事争议仲裁委员会"}),
	}
}

// TestHistoryKeysTranslated: every value a history line carries has a
// label in every language, and the notes column shows no raw key, no
// JSON and no English code in Chinese.
func TestHistoryKeysTranslated(t *testing.T) {
	s := testWorkServer(t, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	for _, l := range languages {
		for _, data := range historySamples(t) {
			v := s.historyOf(gridwarn.HistoryEntry{Kind: "note", Actor: "user:x", Data: data}, l)
			if len(v.Details) == 0 {
				t.Errorf("%s: %s shows nothing", l, data)
			}
			for _, d := range v.Details {
				if d.Label == d.Key || d.Label == "" {
					t.Errorf("%s: key %q of %s has no label hist.%s", l, d.Key, data, d.Key)
				}
				if strings.ContainsAny(d.Value, "{}[]\"") {
					t.Errorf("%s: %s = %q is raw JSON", l, d.Key, d.Value)
				}
				if l == "zh" && regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`).MatchString(d.Value) {
					t.Errorf("zh: %s = %q is a code, not words", d.Key, d.Value)
				}
			}
		}
	}
	// The examples, as a person reads them.
	v := s.historyOf(gridwarn.HistoryEntry{Kind: "reply", Actor: "user:x", Data: historySamples(t)[4]}, "zh")
	got := map[string]string{}
	for _, d := range v.Details {
		got[d.Label] = d.Value
	}
	if got["追回金额"] != "¥150,000" || got["处理结果"] != "全额支付" || got["惠及职工"] != "12 人" {
		t.Errorf("the reply reads %v", got)
	}
	v = s.historyOf(gridwarn.HistoryEntry{Kind: "review", Actor: "user:x", Data: json.RawMessage(`{"approved":true}`)}, "zh")
	if len(v.Details) != 1 || v.Details[0].Label != "审核意见" || v.Details[0].Value != "通过" {
		t.Errorf("the review reads %+v", v.Details)
	}
	// A system line's English note is not shown; its details say it.
	v = s.historyOf(gridwarn.HistoryEntry{Kind: "escalate", Actor: gridwarn.ActorSweeper, Note: "the accept time limit of the town tier passed",
		Data: historySamples(t)[13]}, "zh")
	if v.Note != "" || len(v.Details) != 3 {
		t.Errorf("the sweeper's escalation: note %q, details %+v", v.Note, v.Details)
	}
}

// TestHistoryKindsTranslated: every kind of history line (the domain's
// and every workflow action) has a name in every language.
func TestHistoryKindsTranslated(t *testing.T) {
	kinds := []string{string(gridwarn.HistoryOpened), string(gridwarn.HistoryEventAttached), string(gridwarn.HistoryLevelRaised),
		string(gridwarn.HistoryTierChanged), string(gridwarn.HistoryClosed), string(gridwarn.HistoryReminder),
		string(gridwarn.HistoryBreached), string(gridwarn.HistoryOverdue), string(gridwarn.HistoryHandedDown),
		string(gridwarn.HistoryRelapsed), string(gridwarn.HistoryIdentitiesErased)}
	for _, a := range append(slices.Clone(workflow.Actions), workflow.OutsideActions...) {
		kinds = append(kinds, string(a))
	}
	for _, l := range languages {
		for _, k := range kinds {
			if _, ok := catalogue[l]["work.history."+k]; !ok {
				t.Errorf("%s: history kind %q has no name work.history.%s", l, k, k)
			}
		}
	}
}
