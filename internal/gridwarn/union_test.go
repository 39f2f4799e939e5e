package gridwarn_test

import (
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The unionization list's rules at their boundaries (seed 001): 25
// workers, a year (365 days) in operation, a joint union's member
// reaching 25, and the hundred-plus drive.
func TestUnionizationReason(t *testing.T) {
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	day := func(daysAgo int) string { return today.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	for _, c := range []struct {
		name   string
		e      gridwarn.Enterprise
		reason gridwarn.UnionizationReason
	}{
		{"25 workers, 365 days", gridwarn.Enterprise{Headcount: 25, OpenedOn: day(365)}, gridwarn.ReasonNoUnion},
		{"24 workers", gridwarn.Enterprise{Headcount: 24, OpenedOn: day(3000)}, ""},
		{"364 days", gridwarn.Enterprise{Headcount: 500, OpenedOn: day(364)}, ""},
		{"opening unknown", gridwarn.Enterprise{Headcount: 500}, ""},
		{"has a union", gridwarn.Enterprise{Headcount: 500, OpenedOn: day(3000), HasUnion: true}, ""},
		{"joint member of 25", gridwarn.Enterprise{Headcount: 25, OpenedOn: day(10), JointUnion: "合德镇电商联合工会"}, gridwarn.ReasonJointMember},
		{"joint member of 24", gridwarn.Enterprise{Headcount: 24, OpenedOn: day(3000), JointUnion: "合德镇电商联合工会"}, ""},
	} {
		if got := gridwarn.UnionizationReasonOf(c.e, today); got != c.reason {
			t.Errorf("%s: %q, want %q", c.name, got, c.reason)
		}
	}
	if !gridwarn.HundredPlus(gridwarn.Enterprise{Headcount: 100}) || gridwarn.HundredPlus(gridwarn.Enterprise{Headcount: 99}) {
		t.Error("the hundred-plus drive starts at 100 workers")
	}
}

func TestUnionStatusValidate(t *testing.T) {
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	ok := gridwarn.UnionStatus{HasUnion: true, UnionSince: "2019-05-01", UnionMembers: 40, OpenedOn: "2015-03-01"}
	if err := ok.Validate(today); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		edit  func(*gridwarn.UnionStatus)
		field string
	}{
		{"founded tomorrow", func(u *gridwarn.UnionStatus) { u.UnionSince = "2026-12-06" }, "union_since"},
		{"not a date", func(u *gridwarn.UnionStatus) { u.OpenedOn = "2015-02-30" }, "opened_on"},
		{"a date without a union", func(u *gridwarn.UnionStatus) { u.HasUnion, u.UnionMembers = false, 0 }, "union_since"},
		{"members without a union", func(u *gridwarn.UnionStatus) { u.HasUnion, u.UnionSince = false, "" }, "union_members"},
		{"negative members", func(u *gridwarn.UnionStatus) { u.UnionMembers = -1 }, "union_members"},
		{"own union and a joint one", func(u *gridwarn.UnionStatus) { u.JointUnion = "某联合工会" }, "joint_union"},
		{"joint union a formula", func(u *gridwarn.UnionStatus) {
			u.HasUnion, u.UnionSince, u.UnionMembers, u.JointUnion = false, "", 0, "=1"
		}, "joint_union"},
	} {
		u := ok
		c.edit(&u)
		var got []string
		for _, f := range gridwarn.ErrorFields(u.Validate(today)) {
			got = append(got, f.Field)
		}
		if len(got) != 1 || got[0] != c.field {
			t.Errorf("%s: fields %v, want [%s]", c.name, got, c.field)
		}
	}
}
