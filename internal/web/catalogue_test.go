package web

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/csvio"
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
					case isFieldErrorList(x.Type):
						// []FieldError{{Field: ..., Rule: ...}}: the
						// elements' type is elided.
						for _, el := range x.Elts {
							if cl, ok := el.(*ast.CompositeLit); ok && cl.Type == nil {
								elts = append(elts, cl.Elts...)
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

// TestEveryErrorCodeTranslated: every error code of the domain (the
// E... constants of internal/gridwarn/error.go) has a title and an
// explanation in every language, so the error page never shows a
// service's English message.
func TestEveryErrorCodeTranslated(t *testing.T) {
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "../gridwarn/error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(af, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for k, name := range vs.Names {
				if strings.HasPrefix(name.Name, "E") && k < len(vs.Values) {
					if s, ok := stringLit(vs.Values[k]); ok {
						codes = append(codes, s)
					}
				}
			}
		}
		return true
	})
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
