package csvio

import (
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The columns of a union status file (the monthly social-insurance list).
const (
	uCreditCode = iota
	uHasUnion
	uUnionSince
	uUnionMembers
	uJointUnion
	uHasMediationCommittee
	uOpenedOn
	uHeadcount
)

var unionSchema = newSchema("union", uCreditCode, []column{
	uCreditCode:            {"credit_code", "统一社会信用代码", true},
	uHasUnion:              {"has_union", "是否建会", false},
	uUnionSince:            {"union_since", "建会日期", false},
	uUnionMembers:          {"union_members", "会员人数", false},
	uJointUnion:            {"joint_union", "所属联合工会", false},
	uHasMediationCommittee: {"has_mediation_committee", "是否有调解委员会", false},
	uOpenedOn:              {"opened_on", "开业日期", false},
	uHeadcount:             {"headcount", "职工人数", false},
})

// ReadUnionStatus parses a union status file: each row is an enterprise's
// whole union status (an empty cell is no, none or unknown); an empty
// headcount leaves the registry's as it is.
func ReadUnionStatus(r io.Reader) ([]gridwarn.UnionRow, error) {
	return read(r, unionSchema, func(rw *row) gridwarn.UnionRow {
		u := gridwarn.UnionRow{
			CreditCode: field(rw, uCreditCode, parseCreditCode),
			UnionStatus: gridwarn.UnionStatus{
				HasUnion:              field(rw, uHasUnion, parseBool),
				UnionSince:            field(rw, uUnionSince, parseDate),
				UnionMembers:          field(rw, uUnionMembers, parseCount),
				JointUnion:            field(rw, uJointUnion, parseText(gridwarn.MaxJointUnionName)),
				HasMediationCommittee: field(rw, uHasMediationCommittee, parseBool),
				OpenedOn:              field(rw, uOpenedOn, parseDate),
			},
		}
		if rw.vals[uHeadcount] != "" {
			n := field(rw, uHeadcount, parseCount)
			u.Headcount = &n
		}
		return u
	})
}

// WriteUnionStatus writes a union status file with English headers, which
// ReadUnionStatus reads back to the same values.
func WriteUnionStatus(w io.Writer, us []gridwarn.UnionRow) error {
	return write(w, unionSchema, len(us), func(i int, rec []string) {
		u := &us[i]
		rec[uCreditCode] = u.CreditCode
		rec[uHasUnion] = formatBool(u.HasUnion)
		rec[uUnionSince] = u.UnionSince
		rec[uUnionMembers] = strconv.Itoa(u.UnionMembers)
		rec[uJointUnion] = u.JointUnion
		rec[uHasMediationCommittee] = formatBool(u.HasMediationCommittee)
		rec[uOpenedOn] = u.OpenedOn
		if u.Headcount != nil {
			rec[uHeadcount] = strconv.Itoa(*u.Headcount)
		}
	})
}

// dateLayouts are the ways a spreadsheet in a Chinese locale writes a day.
var dateLayouts = []string{time.DateOnly, "2006/1/2", "2006-1-2", "2006.1.2", "2006年1月2日"}

// parseDate reads a day as YYYY-MM-DD ("" stays "").
func parseDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, l := range dateLayouts {
		if d, err := time.Parse(l, s); err == nil {
			return d.Format(time.DateOnly), nil
		}
	}
	return "", errors.New("must be a day such as 2019-05-01 or 2019/5/1")
}
