package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// LevelsDoc renders the level table the rules implement as Markdown: each
// level with its labels, the tier a new ticket starts at and that tier's
// time limits; then every rule that sets a level, by level and category,
// with its condition; then the raises. docs/levels.md is this document of
// the built-in rules (TestLevelsDoc keeps it current).
func (r *Rules) LevelsDoc() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	p("# Warning levels\n\n")
	p("Generated from the rules in force (`%s`, version `%s`) by `go test ./internal/rules -run TestLevelsDoc -update-levels`;\n", r.name, r.version)
	p("do not edit by hand. [`configs/rules.yaml`](../configs/rules.yaml) is the source; a deployment that loads another\n")
	p("file has that file's table (`gridwarn rules check FILE` lists its rules).\n\n")
	p("A decision takes the highest level of the rules that fire (a `fallback` rule fires only when no other does), then\n")
	p("each raise that holds lifts it one step per `steps` (red stays red). The tier is where a new ticket starts; the\n")
	p("time limits are that tier's (`wd`: working days of the calendar).\n\n")

	p("| level | 中文 | English | starts at | accept | contact | resolve |\n|---|---|---|---|---|---|---|\n")
	for _, l := range slices.Backward(gridwarn.Levels) {
		lb := r.levels[l]
		tier := r.StartingTier(l)
		ls, _ := r.Limits(tier, l)
		p("| `%s` | %s | %s | %s | %s | %s | %s |\n", l, cell(lb.ZH), cell(lb.EN), tier, limitText(ls.Accept), limitText(ls.Contact), limitText(ls.Resolve))
	}

	p("\n## Time limits of every tier\n\n| tier | level | accept | contact | resolve |\n|---|---|---|---|---|\n")
	for _, t := range gridwarn.Tiers {
		for _, l := range slices.Backward(gridwarn.Levels) {
			if ls, ok := r.Limits(t, l); ok {
				p("| %s | `%s` | %s | %s | %s |\n", t, l, limitText(ls.Accept), limitText(ls.Contact), limitText(ls.Resolve))
			}
		}
	}
	p("\nA reminder is due after %.0f %% of each limit.\n", r.ReminderFraction()*100)

	all := r.Rules()
	for _, l := range slices.Backward(gridwarn.Levels) {
		p("\n## %s — %s\n\n| rule | category | 中文 | English | when |\n|---|---|---|---|---|\n", r.levels[l].EN, r.levels[l].ZH)
		for _, ru := range all {
			if ru.Level != l {
				continue
			}
			cat := string(ru.Category)
			if cat == "" {
				cat = "any"
			}
			id := "`" + ru.ID + "`"
			if ru.Fallback {
				id += " (fallback)"
			}
			p("| %s | %s | %s | %s | `%s` |\n", id, cat, cell(ru.Label.ZH), cell(ru.Label.EN), cell(ru.When))
		}
	}
	p("\n## Raises\n\n| rule | steps | 中文 | English | when |\n|---|---|---|---|---|\n")
	for _, ru := range all {
		if ru.Level != "" {
			continue
		}
		id := "`" + ru.ID + "`"
		if ru.Relapse {
			id += " (relapse)"
		}
		p("| %s | %d | %s | %s | `%s` |\n", id, ru.Raise, cell(ru.Label.ZH), cell(ru.Label.EN), cell(ru.When))
	}
	return b.String()
}

// limitText writes a limit as the rules file does: 30m, 8h, 1h30m, 15d, 1wd.
func limitText(l Limit) string {
	if l.WorkingDays > 0 || l.Wall%(24*time.Hour) == 0 {
		return l.String()
	}
	s := l.Wall.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
