package csvio

import (
	"io"
	"strconv"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The columns of an enterprises file, in the order Write uses.
const (
	eCreditCode = iota
	eName
	eIndustryCode
	eOwnership
	eHeadcount
	eHasUnion
	eHasMediationCommittee
	eComplianceGrade
	eRegisteredCapital
	eKeyEnterprise
	eTownCode
	eGridCode
	eVillage
)

var enterpriseSchema = newSchema("enterprises", eCreditCode, []column{
	eCreditCode:            {"credit_code", "统一社会信用代码", true},
	eName:                  {"name", "企业名称", true},
	eIndustryCode:          {"industry_code", "行业代码", false},
	eOwnership:             {"ownership", "所有制", false},
	eHeadcount:             {"headcount", "职工人数", false},
	eHasUnion:              {"has_union", "是否建会", false},
	eHasMediationCommittee: {"has_mediation_committee", "是否有调解委员会", false},
	eComplianceGrade:       {"compliance_grade", "合规等级", false},
	eRegisteredCapital:     {"registered_capital_cny", "注册资本", false},
	eKeyEnterprise:         {"key_enterprise", "重点企业", false},
	eTownCode:              {"town_code", "镇街代码", true},
	eGridCode:              {"grid_code", "网格编码", false},
	eVillage:               {"village", "村（社区）", false},
})

// ReadEnterprises parses an enterprises file. It returns every enterprise,
// or Errors listing every problem of the file; any other error comes from
// r. UpdatedAt is left zero. An empty GridCode means "place by the rule";
// an empty Ownership or ComplianceGrade means the file does not say.
func ReadEnterprises(r io.Reader) ([]gridwarn.Enterprise, error) {
	return read(r, enterpriseSchema, parseEnterprise)
}

func parseEnterprise(rw *row) gridwarn.Enterprise {
	e := gridwarn.Enterprise{
		CreditCode:            field(rw, eCreditCode, parseCreditCode),
		Name:                  field(rw, eName, parseText(gridwarn.MaxEnterpriseName)),
		IndustryCode:          field(rw, eIndustryCode, parseIndustryCode),
		Ownership:             field(rw, eOwnership, parseOwnership),
		Headcount:             field(rw, eHeadcount, parseCount),
		HasUnion:              field(rw, eHasUnion, parseBool),
		HasMediationCommittee: field(rw, eHasMediationCommittee, parseBool),
		ComplianceGrade:       field(rw, eComplianceGrade, parseGrade),
		RegisteredCapitalCNY:  field(rw, eRegisteredCapital, parseAmount),
		KeyEnterprise:         field(rw, eKeyEnterprise, parseBool),
		TownCode:              field(rw, eTownCode, parseTownCode),
		GridCode:              field(rw, eGridCode, parseGridCode),
		Village:               field(rw, eVillage, parseText(gridwarn.MaxVillageName)),
	}
	if rw.ok(eTownCode) && rw.ok(eGridCode) && e.TownCode != "" && e.GridCode != "" && e.GridCode[:9] != e.TownCode {
		rw.fail(eGridCode, problem("grid_other_town", "is a grid of town %s, not of the enterprise's town %s", e.GridCode[:9], e.TownCode))
	}
	return e
}

// WriteEnterprises writes an enterprises file with English headers, which
// ReadEnterprises reads back to the same values (UpdatedAt is not written).
func WriteEnterprises(w io.Writer, es []gridwarn.Enterprise) error {
	return write(w, enterpriseSchema, len(es), func(i int, rec []string) {
		e := &es[i]
		rec[eCreditCode] = e.CreditCode
		rec[eName] = e.Name
		rec[eIndustryCode] = e.IndustryCode
		rec[eOwnership] = string(e.Ownership)
		rec[eHeadcount] = strconv.Itoa(e.Headcount)
		rec[eHasUnion] = formatBool(e.HasUnion)
		rec[eHasMediationCommittee] = formatBool(e.HasMediationCommittee)
		rec[eComplianceGrade] = e.ComplianceGrade
		rec[eRegisteredCapital] = formatAmount(e.RegisteredCapitalCNY)
		rec[eKeyEnterprise] = formatBool(e.KeyEnterprise)
		rec[eTownCode] = e.TownCode
		rec[eGridCode] = e.GridCode
		rec[eVillage] = e.Village
	})
}
