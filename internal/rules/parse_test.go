package rules

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// TestConfigsCopy: configs/rules.yaml is the embedded default, byte for byte.
func TestConfigsCopy(t *testing.T) {
	b, err := os.ReadFile("../../configs/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(DefaultYAML) {
		t.Fatal("configs/rules.yaml differs from internal/rules/default.yaml: copy one onto the other")
	}
	r, err := Load("../../configs/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != Default().Version() || r.RuleCount() != Default().RuleCount() {
		t.Errorf("Load and Default disagree")
	}
}

func TestDefault(t *testing.T) {
	r := Default()
	if r.Version() != "2026.12-1" {
		t.Errorf("version %q", r.Version())
	}
	if r.HistoryDays() != 90 {
		t.Errorf("HistoryDays = %d, want 90 (relapse window)", r.HistoryDays())
	}
	if r.ScoreOverlay() {
		t.Error("the score overlay is on by default")
	}
	for l, want := range map[string]string{"blue": "enterprise", "yellow": "town", "orange": "town", "red": "county"} {
		if got := StartingTier(gridwarn.Level(l)); string(got) != want {
			t.Errorf("StartingTier(%s) = %s, want %s", l, got, want)
		}
	}
	for _, ru := range r.Rules() {
		if ru.Label.ZH == "" || ru.Label.EN == "" || ru.Line == 0 {
			t.Errorf("rule %+v lacks a label or a line", ru)
		}
	}
}

// TestParseErrors: a bad file is rejected with the rule, the line and the
// reason. The line is the one marked "# <-" in the case's file.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		section string // the top-level section replaced
		yaml    string
		rule    string
		msg     string
	}{
		{"a type error", "rules", `
rules:
  any:
    - id: bad_type
      level: red
      when: event.months_in_arrears > "two"   # <-
      label_zh: 坏
      label_en: bad
`, "bad_type", `mismatched types float64 and string`},
		{"an unknown field of the event", "rules", `
rules:
  any:
    - id: unknown_field
      level: red
      when: event.months_owed > 2   # <-
      label_zh: 坏
      label_en: bad
`, "unknown_field", `event has no field months_owed`},
		{"an unknown field of the enterprise in a block expression", "rules", `
rules:
  wage_arrears:
    - id: ok_rule
      level: blue
      when: "true"
      label_zh: 好
      label_en: good
    - id: block
      level: red
      when: |
        event.months_in_arrears > 2 &&
        enterprise.capital > 0   // <-
      label_zh: 坏
      label_en: bad
`, "block", `enterprise has no field capital`},
		{"an unknown name", "rules", `
rules:
  any:
    - id: unknown_name
      level: red
      when: months_in_arrears > 2   # <-
      label_zh: 坏
      label_en: bad
`, "unknown_name", `unknown name months_in_arrears`},
		{"not a boolean", "rules", `
rules:
  any:
    - id: not_bool
      level: red
      when: event.workers_involved   # <-
      label_zh: 坏
      label_en: bad
`, "not_bool", `bool`},
		{"a syntax error", "rules", `
rules:
  any:
    - id: syntax
      level: red
      when: event.workers_involved >=   # <-
      label_zh: 坏
      label_en: bad
`, "syntax", `unexpected token`},
		{"a rule without an id", "rules", `
rules:
  any:
    - level: red   # <-
      when: "true"
      label_zh: 坏
      label_en: bad
`, "rules.any[1]", `every rule needs an id`},
		{"an unknown key in a rule", "rules", `
rules:
  any:
    - id: typo
      level: red
      when: "true"
      lable_en: bad   # <-
      label_zh: 坏
      label_en: bad
`, "typo", `unknown key "lable_en"`},
		{"an unknown level", "rules", `
rules:
  any:
    - id: purple
      level: purple   # <-
      when: "true"
      label_zh: 坏
      label_en: bad
`, "purple", `unknown level "purple"`},
		{"an unknown category", "rules", `
rules:
  wages:   # <-
    - id: x
      level: red
      when: "true"
      label_zh: 坏
      label_en: bad
`, "", `unknown category "wages"`},
		{"a duplicate id", "rules", `
rules:
  any:
    - id: twice
      level: red
      when: "true"
      label_zh: 坏
      label_en: bad
    - id: twice   # <-
      level: red
      when: "true"
      label_zh: 坏
      label_en: bad
`, "twice", `already used by the rule on line`},
		{"a missing label", "rules", `
rules:
  any:
    - id: unlabelled   # <-
      level: red
      when: "true"
`, "unlabelled", `needs label_zh and label_en`},
		{"a history window that is not a constant", "raises", `
raises:
  - id: window
    when: signals("", event.workers_involved) > 2   # <-
    label_zh: 坏
    label_en: bad
`, "window", `the days must be a whole-number literal or constant`},
		{"a history call with an unknown category", "raises", `
raises:
  - id: cat
    when: signals("wages", 30) > 2   # <-
    label_zh: 坏
    label_en: bad
`, "cat", `unknown category "wages"`},
		{"a history function not called", "raises", `
raises:
  - id: bare
    when: signals != nil   # <-
    label_zh: 坏
    label_en: bad
`, "bare", `is a function`},
		{"the wall clock is not available", "raises", `
raises:
  - id: clock
    when: now() > event.occurred_at   # <-
    label_zh: 坏
    label_en: bad
`, "clock", ``},
		{"an unknown key in a raise", "raises", `
raises:
  - id: steps_typo
    step: 2   # <-
    when: "true"
    label_zh: 坏
    label_en: bad
`, "steps_typo", `unknown key "step"`},
		{"an unknown top-level key", "grouping", `
grouping:
  county_absorbs: true
groupping:   # <-
  county_absorbs: false
`, "", `unknown key "groupping"`},
		{"an unknown calendar key", "calendar", `
calendar:
  time_zone: Asia/Shanghai
  holiday: [2026-10-01]   # <-
`, "", `calendar: unknown key "holiday"`},
		{"a bad date", "calendar", `
calendar:
  holidays: [2026-13-01]   # <-
`, "", `is not a date`},
		{"a bad time zone", "calendar", `
calendar:
  time_zone: Asia/Beijing   # <-
`, "", `unknown time zone`},
		{"a bad time limit", "time_limits", `
time_limits:
  enterprise:
    default: {accept: 1wd, contact: 7d, resolve: 15d}
  town:
    default: {accept: soon, contact: 3d, resolve: 15d}   # <-
  county:
    default: {accept: 30m, contact: 8h, resolve: 15d}
`, "", `not a time limit`},
		{"a tier without limits for a level", "time_limits", `
time_limits:
  enterprise:
    default: {accept: 1wd, contact: 7d, resolve: 15d}
  town:   # <-
    yellow: {accept: 1wd, contact: 3d, resolve: 15d}
  county:
    default: {accept: 30m, contact: 8h, resolve: 15d}
`, "", `no limits for blue`},
		{"score bands out of order", "score", `
score:
  bands: {red: 50, orange: 60, yellow: 40}   # <-
`, "", `want 0 < yellow < orange < red`},
		{"an unknown routing tier", "routing", `
routing:
  blue: enterprise
  yellow: town
  orange: province   # <-
  red: county
`, "", `unknown tier "province"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := withSection(t, tc.section, tc.yaml)
			line := 0
			for i, l := range strings.Split(src, "\n") {
				if strings.Contains(l, "# <-") || strings.Contains(l, "// <-") {
					line = i + 1
				}
			}
			_, err := Parse([]byte(src), "bad.yaml")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			for _, e := range pe.Errs {
				if e.Line == line && e.Rule == tc.rule && strings.Contains(e.Msg, tc.msg) && e.File == "bad.yaml" {
					if s := e.Error(); !strings.Contains(s, "bad.yaml:") || (tc.rule != "" && !strings.Contains(s, "rule "+tc.rule)) {
						t.Errorf("message %q does not name the file, line and rule", s)
					}
					return
				}
			}
			t.Errorf("want an error on line %d, rule %q, containing %q; got:\n%v", line, tc.rule, tc.msg, err)
		})
	}
}

func TestParseRejectsMalformedYAML(t *testing.T) {
	for _, src := range []string{"", "version: [", "- a\n- b\n", "version: x\n\tlevels: {}\n"} {
		if _, err := Parse([]byte(src), "bad.yaml"); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml") {
			t.Errorf("Parse(%q) = %v, want an error naming the file", src, err)
		}
	}
	if _, err := Load("testdata/no-such-file.yaml"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// FuzzParse: whatever the bytes, Parse returns rules or an error, never panics.
func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML)
	f.Add([]byte(withSection(f, "raises", "raises:\n  - id: x\n    when: signals(\"\", 30) > 1\n    label_zh: x\n    label_en: y\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, "fuzz.yaml")
		if (r == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v", r, err)
		}
	})
}
