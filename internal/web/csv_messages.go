package web

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// csvMessages say what is wrong with a line of an imported CSV file, one
// per csvio.Problem code ("csv.<code>", its arguments in order; a code
// argument such as a grid kind is put into words first).
// TestEveryCSVProblemTranslated scans internal/csvio for every code.
var csvMessages = []message{
	{"csv.utf16", "文件是 UTF-16 编码，请另存为“CSV UTF-8（逗号分隔）”。", `The file is UTF-16; save it as "CSV UTF-8".`},
	{"csv.not_utf8", "文件不是 UTF-8 编码（是否存成了 GBK？）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新导入。",
		`The file is not UTF-8 (saved as GBK?). Save it as "CSV UTF-8" in Excel and import it again.`},
	{"csv.empty", "文件是空的；第一行应为表头。", "The file is empty; its first line must be the header."},
	{"csv.field_count", "有 %d 列，表头有 %d 列", "has %d fields, the header has %d"},
	{"csv.required", "必填", "is required"},
	{"csv.duplicate", "与第 %d 行的%s重复", "duplicate: line %d has the same %s"},
	{"csv.header_empty", "表头第 %d 格是空的", "header cell %d is empty"},
	{"csv.unknown_column", "未知的列；%s文件的列为：%s", "unknown column; the columns of %s files are %s"},
	{"csv.duplicate_column", "重复的列：与第 %d 格（%s）是同一列", "duplicate column: cell %d (%s) is the same column"},
	{"csv.missing_column", "缺少必需的列（表头 %s 或 %s）", "required column is missing (header %s or %s)"},
	{"csv.syntax", "第 %[1]d 行的 CSV 格式有误（引号不配对？），其后的内容未读取", "malformed CSV on line %[1]d (an unmatched quote?); the rest of the file was not read"},
	{"csv.grid_other_town", "是镇（街道）%s 的网格，不属于企业所在的 %s", "is a grid of town %s, not of the enterprise's town %s"},
	{"csv.not_town_of_grid", "不是网格 %s 所在的镇（街道）", "is not the town of grid %s"},
	{"csv.grid_kind", "网格 %s 是%s（字母 %c）", "grid %s is a %s (letter %c)"},
	{"csv.industry_joint", "联合网格必须填写行业", "is required for a joint grid"},
	{"csv.industry_not_joint", "%s不填写行业", "must be empty for a %s"},
	{"csv.scope_town_code", "工作范围为镇（街道）时，应为 9 位镇（街道）代码", "must be a 9-digit town code when the scope is a town"},
	{"csv.scope_county_code", "工作范围为%s时，应为 6 位县（区）代码", "must be a 6-digit county code when the scope is %s"},
	{"csv.scope_grids_empty", "工作范围为%s时应为空", "must be empty when the scope is %s"},
	{"csv.scope_grids_required", "工作范围为网格时必填", "is required when the scope is grids"},
	{"csv.grid_not_in_county", "网格 %s 不在县（区）%s", "grid %s is not in county %s"},
	{"csv.cc_full_width", "第 %d 位“%c”是全角字符，请用半角（英文）字母和数字", "character %d (%c) is full-width; type credit codes in half-width (ASCII) letters and digits"},
	{"csv.cc_lowercase", "第 %d 位“%c”是小写，统一社会信用代码用大写字母（%c）", "character %d (%c) is lowercase; credit codes use capital letters (%c)"},
	{"csv.cc_not_allowed", "第 %d 位“%c”不允许：统一社会信用代码只有数字和大写字母", "character %d (%c) is not allowed; a credit code has only digits and capital letters"},
	{"csv.cc_division", "第 %d 位“%c”不是数字：第 3–8 位是行政区划代码", "character %d (%c) is not a digit; characters 3–8 are the administrative division code"},
	{"csv.town_code", "应为 9 位镇（街道）代码，如 320924100", "must be a 9-digit town code such as 320924100"},
	{"csv.unit_code", "应为 6 位县（区）代码（如 320924）或 9 位镇（街道）代码（如 320924100）", "must be a 6-digit county code such as 320924 or a 9-digit town code such as 320924100"},
	{"csv.grid_code", "应为网格编码：9 位镇（街道）代码、“-”、P、I 或 J 加 2 位以上数字，如 320924100-J01", "must be a grid code: the 9-digit town code, '-', P, I or J and 2 or more digits, such as 320924100-J01"},
	{"csv.username", "应为 2 至 64 个字符：小写字母、数字、“.”“_”“-”，以字母或数字开头", "must be 2 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"},
	{"csv.lowercase", "应为小写", "must be lowercase"},
	{"csv.industry_code", "应为国民经济行业分类（GB/T 4754）代码：门类字母 A–T 加至多 4 位数字，如 C、C17、C1713", "must be a GB/T 4754 code: a section letter A–T and up to 4 digits, such as C, C17 or C1713"},
	{"csv.section", "应为国民经济行业分类（GB/T 4754）门类字母 A–T，如 C", "must be a GB/T 4754 section letter A–T, such as C"},
	{"csv.section_capital", "门类字母应为大写", "the section letter must be a capital"},
	{"csv.count", "应为不小于 0 的整数", "must be a whole number ≥ 0"},
	{"csv.whole", "应为整数", "must be a whole number"},
	{"csv.count_too_large", "数值过大（最大 %d）", "is too large (at most %d)"},
	{"csv.amount", "应为不小于 0 的金额（元），如 1000000 或 1,000,000.50", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50"},
	{"csv.decimals", "小数不能超过 2 位", "has more than 2 decimals"},
	{"csv.amount_too_large", "金额过大（最多 999,999,999,999,999.99 元）", "is too large (at most 999,999,999,999,999.99 yuan)"},
	{"csv.bool", "应为 是 或 否（也可写 true/false、yes/no、1/0、Y/N）", "must be true or false (also yes/no, 1/0, Y/N, 是/否)"},
	{"csv.grade", "应为 A、B 或 C", "must be A, B or C"},
	{"csv.enum", "应为以下之一：%s（或其中文名称）", "must be one of %s (or its Chinese name)"},
	{"csv.list_item", "%s“%s”", "%s %q"},
	{"csv.list_twice", "%s %s 出现了两次", "lists %s %s twice"},
	{"csv.text", "%s", "%s"},
	{"csv.text_max_length", "超过 %d 个字", "is longer than %d characters"},
	{"csv.full_width_hint", "；其中有全角字符，请用半角数字和字母", "; it has full-width characters, type half-width (ASCII) digits and letters"},
	{"csv.what.grid code", "网格编码", "grid code"},
	{"csv.what.username", "用户名", "username"},
	{"csv.kind.enterprises", "企业", "enterprises"},
	{"csv.kind.grids", "网格", "grids"},
	{"csv.kind.users", "人员", "users"},
	{"csv.kind.contacts", "联系人（1+x）", "contacts"},
	{"csv.contact_label", "应为困难职工档案编号或标签：最多 %d 个字母、数字或 . _ - / #（不填姓名）",
		"must be the hardship file's number or a tag of at most %d letters, digits and . _ - / # (never a name)"},
	{"csv.contact_worker_required", "填写了困难类型、日期或备注时必填", "is required when a difficulty, a day or a note is given"},
	{"csv.contact_one_enterprise", "与第 %d 行不同：每人只联系一个企业", "differs from line %d: a person is linked to one enterprise"},
}

// csvReason says in the page's language what a csvio.Problem is; the
// rule's "invalid value" when it has no code (a bug the catalogue test
// reports).
func csvReason(lang string, err error) string {
	m := catalogue[lang]
	var p *csvio.Problem
	if !errors.As(err, &p) {
		var ce *gridwarn.CreditCodeError
		if errors.As(err, &ce) {
			return creditCodeErrorText(lang, ce)
		}
		return m["rule.value"]
	}
	args := p.Args
	switch p.Code {
	case "":
		return csvReason(lang, p.Err) // a wrapper without words of its own
	case "list_item":
		what, _ := args[0].(string)
		return fmt.Sprintf(m["csv.list_item"], csvArg(lang, "csv.what.", what), args[1]) + " " + csvReason(lang, p.Err)
	case "list_twice":
		what, _ := args[0].(string)
		return fmt.Sprintf(m["csv.list_twice"], csvArg(lang, "csv.what.", what), args[1])
	case "text":
		rule, _ := args[0].(string)
		if rule == "max_length" {
			return fmt.Sprintf(m["csv.text_max_length"], args[1])
		}
		return ruleText(lang, gridwarn.FieldError{Rule: rule})
	case "unknown_column":
		kind, _ := args[0].(string)
		args = []any{csvArg(lang, "csv.kind.", kind), args[1]}
	case "grid_kind":
		args = []any{args[0], csvArg(lang, "admin.gridkind.", fmt.Sprint(args[1])), args[2]}
	case "industry_not_joint":
		args = []any{csvArg(lang, "admin.gridkind.", fmt.Sprint(args[0]))}
	case "scope_county_code", "scope_grids_empty":
		args = []any{csvArg(lang, "admin.scope.", fmt.Sprint(args[0]))}
	}
	f, ok := m["csv."+p.Code]
	if !ok {
		return m["rule.value"]
	}
	text := fmt.Sprintf(f, args...)
	if p.FullWidth {
		text += m["csv.full_width_hint"]
	}
	return text
}

// csvArg puts a code argument of a problem into words, or leaves it.
func csvArg(lang, prefix, code string) string {
	if t, ok := catalogue[lang][prefix+code]; ok {
		return t
	}
	return strings.TrimSpace(code)
}

// creditCodeErrorText is creditCodeText for an error already at hand.
func creditCodeErrorText(lang string, ce *gridwarn.CreditCodeError) string {
	m := catalogue[lang]
	switch ce.Problem {
	case gridwarn.CreditCodeLength:
		return fmt.Sprintf(m["cc.length"], ce.Length)
	case gridwarn.CreditCodeCheck:
		return fmt.Sprintf(m["cc.check"], ce.Got, ce.Want)
	}
	if f, ok := m["cc."+ce.Problem]; ok {
		return fmt.Sprintf(f, ce.Pos, ce.Got)
	}
	return m["rule.credit_code"]
}
