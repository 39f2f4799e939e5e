package csvio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// A town's monthly list with Chinese headers, dates as a spreadsheet in a
// Chinese locale writes them; an empty headcount keeps the registry's.
func TestReadUnionStatus(t *testing.T) {
	in := "统一社会信用代码,是否建会,建会日期,会员人数,所属联合工会,是否有调解委员会,开业日期,职工人数\n" +
		"91320924MA0000001D,是,2019/5/1,40,,是,2015年3月1日,52\n" +
		"91320924MA0000002G,否,,,合德镇电商联合工会,否,2024-06-01,\n"
	got, err := ReadUnionStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	n := 52
	want := []gridwarn.UnionRow{
		{CreditCode: "91320924MA0000001D", UnionStatus: gridwarn.UnionStatus{HasUnion: true, UnionSince: "2019-05-01", UnionMembers: 40,
			HasMediationCommittee: true, OpenedOn: "2015-03-01"}, Headcount: &n},
		{CreditCode: "91320924MA0000002G", UnionStatus: gridwarn.UnionStatus{JointUnion: "合德镇电商联合工会", OpenedOn: "2024-06-01"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	var buf bytes.Buffer
	if err := WriteUnionStatus(&buf, got); err != nil {
		t.Fatal(err)
	}
	back, err := ReadUnionStatus(&buf)
	if err != nil || cmp.Diff(got, back) != "" {
		t.Errorf("written and read back: %v %s", err, cmp.Diff(got, back))
	}
	_, err = ReadUnionStatus(strings.NewReader("统一社会信用代码,建会日期\n91320924MA0000001D,2019-13-01\n"))
	if es, ok := err.(Errors); !ok || len(es) != 1 || es[0].Column != "建会日期" {
		t.Errorf("a bad day: %v", err)
	}
}
