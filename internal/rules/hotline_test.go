package rules

import (
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The 12351 classes' clocks run on the working-day calendar of the shipped
// rules: a case filed on a Friday with 3 working days is due on Wednesday,
// and holidays and make-up days count as the calendar says.
func TestHotlineClassClocks(t *testing.T) {
	r := Default()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name  string
		class gridwarn.CaseClass
		filed string
		want  string
	}{
		{"Friday + 3wd is Wednesday", gridwarn.ClassOrdinary, "2026-12-04 10:30", "2026-12-09 10:30"},
		{"Saturday + 3wd is Wednesday", gridwarn.ClassOrdinary, "2026-12-05 09:00", "2026-12-09 09:00"},
		// 2026-09-25..27 (中秋) and 10-01..07 (国庆) are holidays; 09-28..30 work.
		{"across the National Day holidays", gridwarn.ClassOrdinary, "2026-09-24 16:00", "2026-09-30 16:00"},
		{"into the National Day week", gridwarn.ClassOrdinary, "2026-09-29 16:00", "2026-10-09 16:00"},
		// 2026-10-10 (a Saturday) is a make-up working day.
		{"a make-up Saturday counts", gridwarn.ClassOrdinary, "2026-10-08 11:00", "2026-10-12 11:00"},
		// 13 working days from Monday 2026-12-07: two weeks and three days.
		{"difficult: 13wd", gridwarn.ClassDifficult, "2026-12-07 08:00", "2026-12-24 08:00"},
		// 30 working days from Tuesday 2026-12-01: six weeks, the holiday
		// of 2027 is not in the 2026 calendar.
		{"complex: 30wd", gridwarn.ClassComplex, "2026-12-01 14:00", "2027-01-12 14:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.HotlineDue(tc.class, at(tc.filed)); !got.Equal(at(tc.want)) {
				t.Errorf("due %s, want %s", got.In(sh).Format("Mon 2006-01-02 15:04"), tc.want)
			}
		})
	}
	for c, want := range map[gridwarn.CaseClass]int{gridwarn.ClassOrdinary: 3, gridwarn.ClassDifficult: 13, gridwarn.ClassComplex: 30} {
		if l, ok := r.HotlineLimit(c); !ok || l.WorkingDays != want {
			t.Errorf("%s: %v, want %dwd (the default)", c, l, want)
		}
	}
}

func TestHotlineLimitsParse(t *testing.T) {
	src := string(DefaultYAML)
	r, err := Parse([]byte(src), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := r.HotlineLimit(gridwarn.ClassComplex); l.WorkingDays != 30 {
		t.Errorf("complex = %v", l)
	}
	bad := []byte(src + "\n")
	bad = []byte(replaceOnce(string(bad), "complex: 30wd", "complicated: 30wd"))
	if _, err := Parse(bad, "x.yaml"); err == nil {
		t.Error("an unknown class was accepted")
	}
	bad = []byte(replaceOnce(src, "ordinary: 3wd", "ordinary: 0wd"))
	if _, err := Parse(bad, "x.yaml"); err == nil {
		t.Error("0wd was accepted")
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("not found: " + old)
}
