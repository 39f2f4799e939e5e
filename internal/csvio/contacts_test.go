package csvio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// A town's "1+x" list with Chinese headers: a line per followed worker, a
// person who follows none on a line of their own.
func TestReadContacts(t *testing.T) {
	in := "用户名,统一社会信用代码,困难职工编号,困难类型,困难起始日期,备注\n" +
		"mediator-320924100-1,91320924MA0000001D,KN-2025-017,因病,2025/3/1,女儿大病\n" +
		"leader,91320924MA0000002G,,,,\n" +
		"mediator-320924100-1,91320924MA0000001D,KN-2026-003,欠薪,,\n"
	got, err := ReadContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []gridwarn.ContactRow{
		{Line: 2, Person: "mediator-320924100-1", Enterprise: "91320924MA0000001D", Workers: []gridwarn.ContactWorker{
			{Label: "KN-2025-017", Difficulty: gridwarn.DifficultyIllness, Since: "2025-03-01", Note: "女儿大病"},
			{Label: "KN-2026-003", Difficulty: gridwarn.DifficultyWageArrears}}},
		{Line: 3, Person: "leader", Enterprise: "91320924MA0000002G", Workers: []gridwarn.ContactWorker{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	var buf bytes.Buffer
	if err := WriteContacts(&buf, got); err != nil {
		t.Fatal(err)
	}
	back, err := ReadContacts(&buf)
	for i := range back { // lines differ: the file written has the person's lines together
		back[i].Line = got[i].Line
	}
	if err != nil || cmp.Diff(got, back) != "" {
		t.Errorf("written and read back: %v %s", err, cmp.Diff(got, back))
	}
}

// Every problem of a file, with its line: a second enterprise for one
// person, a name for a label, a label twice, a difficulty without a label.
func TestReadContactsErrors(t *testing.T) {
	in := "username,credit_code,worker,difficulty,since,note\n" +
		"gw1,91320924MA0000001D,K1,illness,,\n" +
		"gw1,91320924MA0000002G,K2,illness,,\n" +
		"gw2,91320924MA0000001D,张三,illness,,\n" +
		"gw1,91320924MA0000001D,K1,other,,\n" +
		"gw3,91320924MA0000001D,,illness,,\n" +
		"gw4,91320924MA0000001D,K9,,,=cmd\n"
	_, err := ReadContacts(strings.NewReader(in))
	es, ok := err.(Errors)
	if !ok {
		t.Fatalf("%v", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.String())
	}
	want := []string{
		`line 3, column credit_code ("91320924MA0000002G"): differs from line 2: a person is linked to one enterprise`,
		`line 4, column worker ("张三"): must be the hardship file's number or a tag of at most 32 letters, digits and . _ - / # (never a name)`,
		`line 5, column worker ("K1"): duplicate: line 2 has the same worker`,
		`line 6, column worker: is required when a difficulty, a day or a note is given`,
		`line 7, column note ("=cmd"): must not start with '=' (a spreadsheet would run it as a formula)`,
		`line 7, column difficulty: is required`,
	}
	if cmp.Diff(want, got) != "" {
		t.Errorf("errors:\n%s", strings.Join(got, "\n"))
	}
}

// FuzzReadContacts: no input makes ReadContacts panic, every failure is
// Errors with sensible lines, and what it accepts is written and read back
// to the same assignments.
func FuzzReadContacts(f *testing.F) {
	f.Add([]byte("用户名,统一社会信用代码,困难职工编号,困难类型,困难起始日期,备注\n" +
		"gw1,91320924MA0000001D,KN-2025-017,因病,2025/3/1,女儿大病\ngw2,91320924MA0000002G,,,,\n" +
		"gw1,91320924MA0000001D,KN-2026-003,欠薪,,\n"))
	f.Add([]byte("username,credit_code,worker\ngw1,91320924MA0000001D,K1\ngw1,91320924MA0000002G,K1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadContacts(bytes.NewReader(data))
		if err != nil {
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("error = %v (%T), want Errors", err, err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Reason == "" {
					t.Fatalf("bad RowError %+v", e)
				}
			}
			return
		}
		var out bytes.Buffer
		if err := WriteContacts(&out, rows); err != nil {
			t.Fatal(err)
		}
		back, err := ReadContacts(&out)
		if err != nil {
			t.Fatalf("reading back what was written: %v\n%s", err, out.Bytes())
		}
		for i := range rows {
			rows[i].Line = 0
		}
		for i := range back {
			back[i].Line = 0
		}
		if diff := cmp.Diff(rows, back); diff != "" {
			t.Fatalf("round trip (-read +read back):\n%s", diff)
		}
	})
}
