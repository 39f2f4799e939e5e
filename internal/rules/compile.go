package rules

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/patcher"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// maxWindowDays bounds a history window (ten years).
const maxWindowDays = 3650

// valueProg computes one value reported with a firing.
type valueProg struct {
	key  string
	prog *vm.Program
}

// constPatcher replaces the file's UPPER_CASE constants by their values
// before the type check.
type constPatcher map[string]float64

func (c constPatcher) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	v, ok := c[id.Value]
	if !ok {
		return
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		ast.Patch(node, &ast.IntegerNode{Value: int(v)})
	} else {
		ast.Patch(node, &ast.FloatNode{Value: v})
	}
}

// exprOptions are the options of every expression of a file.
func (p *parser) exprOptions(extra ...expr.Option) []expr.Option {
	return append([]expr.Option{
		expr.Env(Env{}),
		expr.DisableBuiltin("now"), // the wall clock would make decisions impure; use `now`
		expr.Patch(constPatcher(p.consts)),
		expr.Patch(patcher.WithTimezone{Location: p.loc}),
	}, extra...)
}

// compileWhen compiles a rule's condition and the values it reports: the
// event., enterprise. and now fields and the history calls the condition
// reads, then the rule's own values list.
func (p *parser) compileWhen(n *yaml.Node, rule string, values []*yaml.Node) (*vm.Program, []valueProg) {
	if n == nil {
		return nil, nil
	}
	src := n.Value
	if strings.TrimSpace(src) == "" {
		p.fail(n, rule, "when: empty expression")
		return nil, nil
	}
	prog, err := expr.Compile(src, p.exprOptions(expr.AsBool())...)
	if err != nil {
		p.exprFail(n, rule, "when", err)
		return nil, nil
	}
	keys := p.reads(n, rule, "when")
	var out []valueProg
	seen := map[string]bool{}
	add := func(n *yaml.Node, key string, where string) {
		if seen[key] {
			return
		}
		seen[key] = true
		vp, err := expr.Compile(key, p.exprOptions()...)
		if err != nil {
			p.exprFail(n, rule, where, err)
			return
		}
		out = append(out, valueProg{key: key, prog: vp})
	}
	for _, k := range keys {
		add(n, k, "when")
	}
	for _, v := range values {
		if strings.TrimSpace(v.Value) == "" {
			p.fail(v, rule, "values: empty expression")
			continue
		}
		p.reads(v, rule, "values")
		add(v, strings.TrimSpace(v.Value), "values")
	}
	return prog, out
}

// reads lists what an expression reads (event.x, enterprise.x, now and
// history calls, in source order) and checks each history call's window.
func (p *parser) reads(n *yaml.Node, rule, where string) []string {
	tree, err := exprparser.Parse(n.Value)
	if err != nil {
		p.exprFail(n, rule, where, err)
		return nil
	}
	var c collector
	ast.Walk(&tree.Node, &c)
	for _, call := range c.calls {
		p.checkHistoryCall(n, rule, where, call)
	}
	for _, id := range c.idents {
		p.fail(n, rule, "%s: %s is a function: call it, like %s(\"\", 30)", where, id.Value, id.Value)
	}
	slices.SortStableFunc(c.reads, func(a, b read) int { return a.pos - b.pos })
	var keys []string
	for _, r := range c.reads {
		if !slices.Contains(keys, r.key) {
			keys = append(keys, r.key)
		}
	}
	return keys
}

type read struct {
	key string
	pos int
}

// collector gathers the reads of an expression tree. ast.Walk visits
// children before their parent.
type collector struct {
	reads  []read
	calls  []*ast.CallNode
	idents []*ast.IdentifierNode // history functions named but (so far) not called
}

func (c *collector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, ok2 := n.Property.(*ast.StringNode)
		if ok && ok2 && (id.Value == "event" || id.Value == "enterprise") {
			c.reads = append(c.reads, read{id.Value + "." + prop.Value, n.Location().From})
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if ok && historyFuncs[id.Value] {
			c.calls = append(c.calls, n)
			c.reads = append(c.reads, read{n.String(), n.Location().From})
			// The callee was visited first: it is called, not bare.
			c.idents = slices.DeleteFunc(c.idents, func(x *ast.IdentifierNode) bool { return x == id })
		}
	case *ast.IdentifierNode:
		if n.Value == "now" {
			c.reads = append(c.reads, read{"now", n.Location().From})
		}
		if historyFuncs[n.Value] {
			c.idents = append(c.idents, n)
		}
	}
}

// checkHistoryCall requires a history call's window to be a whole-number
// literal or constant (so that HistoryDays is known) and a literal
// category to be a known one.
func (p *parser) checkHistoryCall(n *yaml.Node, rule, where string, call *ast.CallNode) {
	if len(call.Arguments) != 2 {
		return // the type check has reported it
	}
	if s, ok := call.Arguments[0].(*ast.StringNode); ok && s.Value != "" && !gridwarn.Category(s.Value).Valid() {
		p.fail(n, rule, "%s: %s: unknown category %q", where, call.String(), s.Value)
	}
	var days float64
	switch a := call.Arguments[1].(type) {
	case *ast.IntegerNode:
		days = float64(a.Value)
	case *ast.IdentifierNode:
		v, ok := p.consts[a.Value]
		if !ok {
			p.fail(n, rule, "%s: %s: the days must be a whole-number literal or constant", where, call.String())
			return
		}
		days = v
	default:
		p.fail(n, rule, "%s: %s: the days must be a whole-number literal or constant", where, call.String())
		return
	}
	if days != math.Trunc(days) || days < 1 || days > maxWindowDays {
		p.fail(n, rule, "%s: %s: the days must be a whole number from 1 to %d", where, call.String(), maxWindowDays)
		return
	}
	p.windows = max(p.windows, int(days))
}

// envNamer names the environment's types as expressions name them.
var envNamer = strings.NewReplacer("type rules.EventEnv", "event", "type rules.EnterpriseEnv", "enterprise",
	"rules.EventEnv", "event", "rules.EnterpriseEnv", "enterprise", "rules.Env", "the environment",
	"time.Time is not callable", "now is a time, not a function (the wall clock is not available)")

// exprFail reports an expression error at its line in the file.
func (p *parser) exprFail(n *yaml.Node, rule, where string, err error) {
	line := n.Line
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Column > 0 || fe.Line > 1 {
			msg = fmt.Sprintf("%s (column %d)", fe.Message, fe.Column+1)
		}
		switch n.Style {
		case yaml.LiteralStyle, yaml.FoldedStyle:
			line += max(fe.Line, 1) // a block scalar starts on the next line
		default:
			line += max(fe.Line-1, 0)
		}
	}
	p.errs = append(p.errs, &Error{File: p.name, Line: line, Rule: rule, Msg: where + ": " + envNamer.Replace(msg)})
}

// evalValue makes a value safe to report as JSON.
func evalValue(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	case time.Time:
		if x.IsZero() {
			return nil
		}
	}
	return v
}
