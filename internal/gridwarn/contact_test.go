package gridwarn

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The one rule for the workers of an assignment, at its edges: a label is
// a file number or tag (a name does not fit), once per person; a known
// difficulty; a day not after today; a note held to CheckText.
func TestValidateContactWorkers(t *testing.T) {
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	ok := ContactWorker{Label: "KN-2025/017#a", Difficulty: DifficultyIllness, Since: "2026-12-05", Note: "每月电话联系。"}
	for _, tc := range []struct {
		name  string
		ws    []ContactWorker
		field string
		rule  string
	}{
		{"fine", []ContactWorker{ok}, "", ""},
		{"none", nil, "", ""},
		{"a name", []ContactWorker{{Label: "张三", Difficulty: DifficultyOther}}, "workers[0].label", "pattern"},
		{"a name in pinyin with a space", []ContactWorker{{Label: "Zhang San", Difficulty: DifficultyOther}}, "workers[0].label", "pattern"},
		{"a leading dash", []ContactWorker{{Label: "-1", Difficulty: DifficultyOther}}, "workers[0].label", "pattern"},
		{"33 characters", []ContactWorker{{Label: strings.Repeat("K", 33), Difficulty: DifficultyOther}}, "workers[0].label", "pattern"},
		{"32 characters", []ContactWorker{{Label: strings.Repeat("K", 32), Difficulty: DifficultyOther}}, "", ""},
		{"no label", []ContactWorker{{Difficulty: DifficultyOther}}, "workers[0].label", "required"},
		{"twice", []ContactWorker{ok, ok}, "workers[1].label", "unique"},
		{"unknown difficulty", []ContactWorker{{Label: "K1", Difficulty: "poor"}}, "workers[0].difficulty", "enum"},
		{"tomorrow", []ContactWorker{{Label: "K1", Difficulty: DifficultyOther, Since: "2026-12-06"}}, "workers[0].since", "not_future"},
		{"not a day", []ContactWorker{{Label: "K1", Difficulty: DifficultyOther, Since: "2026/12/1"}}, "workers[0].since", "date"},
		{"a formula", []ContactWorker{{Label: "K1", Difficulty: DifficultyOther, Note: "@SUM(1)"}}, "workers[0].note", "formula"},
		{"a line break", []ContactWorker{{Label: "K1", Difficulty: DifficultyOther, Note: "a\nb"}}, "workers[0].note", "control"},
		{"a long note", []ContactWorker{{Label: "K1", Difficulty: DifficultyOther, Note: strings.Repeat("字", MaxContactNote+1)}}, "workers[0].note", "max_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := ValidateContactWorkers(tc.ws, today)
			if tc.field == "" {
				if len(fs) != 0 {
					t.Errorf("%+v, want none", fs)
				}
				return
			}
			if !slices.ContainsFunc(fs, func(f FieldError) bool { return f.Field == tc.field && f.Rule == tc.rule }) {
				t.Errorf("%+v, want %s %s", fs, tc.field, tc.rule)
			}
		})
	}
	many := make([]ContactWorker, MaxContactWorkers+1)
	for i := range many {
		many[i] = ContactWorker{Label: fmt.Sprintf("K%d", i), Difficulty: DifficultyOther}
	}
	if fs := ValidateContactWorkers(many, today); len(fs) != 1 || fs[0].Rule != "max_items" {
		t.Errorf("%d workers: %+v", len(many), fs)
	}
	if err := (ContactAssignment{Enterprise: "nope"}).Validate(today); len(ErrorFields(err)) != 2 {
		t.Errorf("no person, a bad credit code: %v", err)
	}
}
