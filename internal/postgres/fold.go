package postgres

import (
	"regexp"
	"strconv"
	"strings"
)

// Folding the statements of several plans into fewer round-trip units.
//
// A batch of the engine opens up to a batch's worth of tickets, and each
// opened ticket's dispatch plan is the same few statements: the ticket row,
// a history line, its clocks, its notifications. Sent one by one (even in
// one pgx batch) each costs the server a parse, bind and execute. When the
// plans are for distinct tickets, foldPlans writes them in rounds — the
// k-th statement of every plan in round k, so each plan keeps its own order
// — and joins the single-row INSERTs of one round that share their text
// into one multi-row INSERT. Statements of different tickets touch
// different rows, so only their order across tickets changes, never what
// they write.

// maxFoldParams stays below PostgreSQL's 65,535 parameters per statement.
const maxFoldParams = 60_000

var (
	// INSERT INTO t (cols) VALUES (tuple): the tuple of parameters and
	// simple expressions, without sub-queries.
	insertValuesRe = regexp.MustCompile(`(?s)^\s*(INSERT INTO [a-z_]+ \([a-z_, ]+\)\s*VALUES\s*)\(([$0-9a-z_(), ':]*)\)\s*$`)
	// INSERT INTO t (cols) SELECT exprs, with no top-level FROM (the
	// outbox's insert, whose sub-queries are in parentheses).
	insertSelectRe = regexp.MustCompile(`(?s)^\s*(INSERT INTO [a-z_]+ \([a-z_, ]+\))\s*(SELECT .*)$`)
	paramRe        = regexp.MustCompile(`\$(\d+)`)
	literalRe      = regexp.MustCompile(`'(?:[^']|'')*'`)
)

// foldable reports how a statement can be joined with others of the same
// text: its head and its row part, and whether rows join by a comma
// (VALUES) or by UNION ALL (SELECT).
func foldable(sql string) (head, row string, union, ok bool) {
	if m := insertValuesRe.FindStringSubmatch(sql); m != nil && !dollarInLiteral(m[2]) {
		return m[1], "(" + m[2] + ")", false, true
	}
	if m := insertSelectRe.FindStringSubmatch(sql); m != nil && !topLevelFrom(m[2]) &&
		!strings.Contains(m[2], "ON CONFLICT") && !strings.Contains(m[2], "RETURNING") {
		return m[1] + "\n", m[2], true, true
	}
	return "", "", false, false
}

// dollarInLiteral reports whether a string literal of s holds a $ (which
// renumber must not touch), or a quote is left open.
func dollarInLiteral(s string) bool {
	for _, lit := range literalRe.FindAllString(s, -1) {
		if strings.Contains(lit, "$") {
			return true
		}
	}
	return strings.Count(literalRe.ReplaceAllString(s, ""), "'") > 0
}

// topLevelFrom reports whether a SELECT has a FROM outside parentheses (or
// a literal it cannot judge).
func topLevelFrom(sel string) bool {
	depth := 0
	up := strings.ToUpper(sel)
	for i := 0; i < len(up); i++ {
		switch up[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'': // skip a literal; one with a $ in it is not renumbered safely
			end := strings.IndexByte(up[i+1:], '\'')
			if end < 0 || strings.Contains(up[i+1:i+1+end], "$") {
				return true
			}
			i += end + 1
		case 'F':
			if depth == 0 && strings.HasPrefix(up[i:], "FROM") {
				return true
			}
		}
	}
	return false
}

// renumber shifts the parameters $n of s by off.
func renumber(s string, off int) string {
	if off == 0 {
		return s
	}
	return paramRe.ReplaceAllStringFunc(s, func(p string) string {
		n, _ := strconv.Atoi(p[1:])
		return "$" + strconv.Itoa(n+off)
	})
}

// foldPlans returns the statements of plans to send in order, folded as
// described above, or the plans' statements one after the other when the
// plans are not all for distinct tickets (a plan without a ticket — the
// batch's own notifications — may only come after those with one).
func foldPlans(plans []plan) []stmt {
	seen := make(map[int64]bool, len(plans))
	distinct, tail := true, false
	for _, p := range plans {
		switch {
		case p.ticketID == 0:
			tail = true
		case tail || seen[p.ticketID]:
			distinct = false
		}
		seen[p.ticketID] = true
	}
	var out []stmt
	if !distinct || len(plans) < 2 {
		for _, p := range plans {
			out = append(out, p.stmts...)
		}
		return out
	}
	// The plans with a ticket in rounds, then the others in order.
	var withTicket []plan
	for _, p := range plans {
		if p.ticketID != 0 {
			withTicket = append(withTicket, p)
		}
	}
	for k := 0; ; k++ {
		var round []stmt
		for _, p := range withTicket {
			if k < len(p.stmts) {
				round = append(round, p.stmts[k])
			}
		}
		if len(round) == 0 {
			break
		}
		out = append(out, foldRound(round)...)
	}
	var rest []stmt
	for _, p := range plans {
		if p.ticketID == 0 {
			rest = append(rest, p.stmts...)
		}
	}
	return append(out, foldRound(rest)...)
}

// foldRound joins the foldable statements of one round that share their
// text, each group where its first statement was; the others stay as they
// are, in their order. Statements of a round may be reordered: they belong
// to different tickets (or are notifications, which only insert).
func foldRound(round []stmt) []stmt {
	type acc struct {
		head  string
		union bool
		rows  []string
		args  []any
	}
	var out []stmt
	at := map[string]int{} // sql → index in out of its group
	byIdx := map[int]*acc{}
	for _, s := range round {
		head, row, union, ok := foldable(s.sql)
		if !ok {
			out = append(out, s)
			continue
		}
		i, seen := at[s.sql]
		if seen {
			g := byIdx[i]
			if len(g.args)+len(s.args) <= maxFoldParams {
				g.rows = append(g.rows, renumber(row, len(g.args)))
				g.args = append(g.args, s.args...)
				continue
			}
		}
		g := &acc{head: head, union: union, rows: []string{row}, args: append([]any(nil), s.args...)}
		at[s.sql] = len(out)
		byIdx[len(out)] = g
		out = append(out, s) // replaced below when it got company
	}
	for i, g := range byIdx {
		if len(g.rows) < 2 {
			continue
		}
		sep := ",\n"
		if g.union {
			sep = "\nUNION ALL\n"
		}
		out[i] = stmt{sql: g.head + strings.Join(g.rows, sep), args: g.args}
	}
	return out
}
