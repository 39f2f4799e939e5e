// Package formula is the one place that keeps a spreadsheet from running what
// the project writes: every CSV and XLSX writer (the registry's CSV files,
// the ticket export, the weekly summary) passes its text cells through
// Defuse. What may be stored is the domain's rule
// (gridwarn.LooksLikeFormula); Defuse also covers what was stored before
// that rule.
package formula

import "github.com/gridwarn/gridwarn/internal/gridwarn"

// Defuse returns s with an apostrophe in front when a spreadsheet would
// take it for a formula: it starts, after any spaces and tabs, with = + -
// or @, or it starts with a tab or a carriage return (OWASP's CSV
// injection advice). Other text is returned as it is. Numbers are not
// text: a caller writes a negative number without Defuse.
func Defuse(s string) string {
	if s != "" && (s[0] == '\t' || s[0] == '\r' || gridwarn.LooksLikeFormula(s)) {
		return "'" + s
	}
	return s
}
