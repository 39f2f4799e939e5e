package rules

import (
	"fmt"
	"strings"
)

// Error is one problem in a rules file: where it is, which rule it is in
// (if any) and what is wrong.
type Error struct {
	File string
	Line int
	// Rule is the rule's id; a rule without one is named by its place,
	// like "rules.wage_arrears[2]".
	Rule string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %s: ", e.Rule)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ParseError is every problem found in a rules file, in file order. A file
// with any problem is rejected as a whole.
type ParseError struct {
	Errs []*Error
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, x := range e.Errs {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As.
func (e *ParseError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, x := range e.Errs {
		out[i] = x
	}
	return out
}
