package csvio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// wantEnterprises is what testdata/enterprises_{en,zh}.csv hold.
var wantEnterprises = []gridwarn.Enterprise{
	{CreditCode: "91320924MA1N2K3L44", Name: "射阳县华丰纺织有限公司", IndustryCode: "C1713", Ownership: "private", Headcount: 320,
		HasUnion: true, HasMediationCommittee: true, ComplianceGrade: "A", RegisteredCapitalCNY: 5000000, KeyEnterprise: true,
		TownCode: "320924100", GridCode: "320924100-I01"},
	{CreditCode: "91320924MA1P7Q8R2W", Name: "江苏海晟机械制造有限公司", IndustryCode: "C3412", Ownership: "joint_venture", Headcount: 85,
		HasUnion: true, ComplianceGrade: "B", RegisteredCapitalCNY: 1200000, TownCode: "320924100", GridCode: "320924100-J01"},
	{CreditCode: "91320924MA20KLM3XE", Name: "射阳县永兴建筑劳务有限公司", IndustryCode: "E4710", Ownership: "private", Headcount: 150,
		ComplianceGrade: "C", RegisteredCapitalCNY: 500000.5, TownCode: "320924101"},
	{CreditCode: "91320924MA1W5T6E9P", Name: "射阳经济开发区华晶电子科技有限公司", IndustryCode: "C3981", Ownership: "foreign", Headcount: 1640,
		HasUnion: true, HasMediationCommittee: true, ComplianceGrade: "A", RegisteredCapitalCNY: 30000000, KeyEnterprise: true,
		TownCode: "320924400", GridCode: "320924400-P01"},
	{CreditCode: "93320924MA1Y2C4D6L", Name: "射阳县新洋蔬菜专业合作社", IndustryCode: "A0141", Ownership: "collective", Headcount: 45,
		ComplianceGrade: "B", TownCode: "320924101", GridCode: "320924101-J02"},
	{CreditCode: "913209241389004560", Name: "射阳县港城物流有限公司", IndustryCode: "G543", Ownership: "state", Headcount: 60,
		HasUnion: true, ComplianceGrade: "B", RegisteredCapitalCNY: 2000000, TownCode: "320924100"},
}

var wantGrids = []gridwarn.Grid{
	{Code: "320924100-I01", TownCode: "320924100", Kind: "independent", Name: "射阳县华丰纺织有限公司独立网格", Workers: []string{"zhang.wei"}},
	{Code: "320924100-J01", TownCode: "320924100", Kind: "joint", Name: "合德镇制造业联合网格", Industry: "C", Workers: []string{"zhang.wei", "li.na"}},
	{Code: "320924101-J01", TownCode: "320924101", Kind: "joint", Name: "临海镇建筑业联合网格", Industry: "E", Workers: []string{"wang.fang"}},
	{Code: "320924101-J02", TownCode: "320924101", Kind: "joint", Name: "临海镇农业联合网格", Industry: "A", Workers: []string{"wang.fang", "chen.jie"}},
	{Code: "320924400-P01", TownCode: "320924400", Kind: "park", Name: "射阳经济开发区园区大网格", Workers: []string{"chen.jie"}},
}

var wantUsers = []gridwarn.User{
	{Username: "admin", DisplayName: "县总工会管理员", Role: "admin", Scope: gridwarn.Scope{Kind: "county", UnitCode: "320924"}},
	{Username: "zhou.min", DisplayName: "周敏", Role: "leader", Scope: gridwarn.Scope{Kind: "county", UnitCode: "320924"}, TierHead: true},
	{Username: "sun.li", DisplayName: "孙丽", Role: "mediator", Scope: gridwarn.Scope{Kind: "town", UnitCode: "320924100"}, TierHead: true},
	{Username: "zhang.wei", DisplayName: "张伟", Role: "grid_worker",
		Scope: gridwarn.Scope{Kind: "grids", UnitCode: "320924", GridCodes: []string{"320924100-I01", "320924100-J01"}}},
	{Username: "li.na", DisplayName: "李娜", Role: "grid_worker", Scope: gridwarn.Scope{Kind: "grids", UnitCode: "320924", GridCodes: []string{"320924100-J01"}}},
	{Username: "wang.fang", DisplayName: "王芳", Role: "grid_worker",
		Scope: gridwarn.Scope{Kind: "grids", UnitCode: "320924", GridCodes: []string{"320924101-J01", "320924101-J02"}}},
	{Username: "chen.jie", DisplayName: "陈杰", Role: "grid_worker",
		Scope: gridwarn.Scope{Kind: "grids", UnitCode: "320924", GridCodes: []string{"320924101-J02", "320924400-P01"}}},
	{Username: "huafeng.report", DisplayName: "华丰纺织直报点", Role: "reporter", Scope: gridwarn.Scope{Kind: "town", UnitCode: "320924100"}},
}

func mustReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// rowErrors returns the Errors in err, failing the test if err is another
// error or nil.
func rowErrors(tb testing.TB, err error) Errors {
	tb.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		tb.Fatalf("error = %v (%T), want Errors", err, err)
	}
	return errs
}

func TestReadTestdata(t *testing.T) {
	for _, tc := range []struct {
		file string
		read func(io.Reader) (any, error)
		want any
	}{
		{"enterprises_en.csv", readAny(ReadEnterprises), wantEnterprises},
		{"enterprises_zh.csv", readAny(ReadEnterprises), wantEnterprises},
		{"grids.csv", readAny(ReadGrids), wantGrids},
		{"users.csv", readAny(ReadUsers), wantUsers},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := tc.read(bytes.NewReader(mustReadFile(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func readAny[T any](read func(io.Reader) ([]T, error)) func(io.Reader) (any, error) {
	return func(r io.Reader) (any, error) { return read(r) }
}

func TestBOM(t *testing.T) {
	en := mustReadFile(t, "enterprises_en.csv")
	for _, tc := range []struct {
		name   string
		input  []byte
		reason string // "" for success
	}{
		{"none", en, ""},
		{"utf-8", append([]byte(BOM), en...), ""},
		{"utf-16le", append([]byte{0xFF, 0xFE}, en...), `the file is UTF-16; save it as "CSV UTF-8"`},
		{"utf-16be", append([]byte{0xFE, 0xFF}, en...), `the file is UTF-16; save it as "CSV UTF-8"`},
		{"bom only", []byte(BOM), "the file is empty; its first line must be the header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadEnterprises(bytes.NewReader(tc.input))
			if tc.reason != "" {
				want := Errors{{Line: 1, Reason: tc.reason}}
				if diff := cmp.Diff(want, rowErrors(t, err), ignoreProblem); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantEnterprises, got, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file   string
		header string
		trip   func(t *testing.T, in []byte) (out1, out2 []byte)
	}{
		{"enterprises_zh.csv", "credit_code,name,industry_code,ownership,headcount,has_union,has_mediation_committee," +
			"compliance_grade,registered_capital_cny,key_enterprise,town_code,grid_code,village\n", trip(ReadEnterprises, WriteEnterprises)},
		{"grids.csv", "code,town_code,kind,name,industry,workers\n", trip(ReadGrids, WriteGrids)},
		{"users.csv", "username,display_name,role,scope_kind,scope_unit,scope_grids,tier_head\n", trip(ReadUsers, WriteUsers)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out1, out2 := tc.trip(t, mustReadFile(t, tc.file))
			if !bytes.HasPrefix(out1, []byte(tc.header)) {
				t.Errorf("written file starts with %q, want %q", firstLine(out1), tc.header)
			}
			if !bytes.Equal(out1, out2) {
				t.Errorf("writing what was read back gives another file:\n%s\n---\n%s", out1, out2)
			}
		})
	}
}

// trip reads in, writes the result, reads that back and checks it is the
// same; it returns both written files.
func trip[T any](read func(io.Reader) ([]T, error), write func(io.Writer, []T) error) func(*testing.T, []byte) ([]byte, []byte) {
	return func(t *testing.T, in []byte) ([]byte, []byte) {
		t.Helper()
		v1, err := read(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		var out1, out2 bytes.Buffer
		if err := write(&out1, v1); err != nil {
			t.Fatal(err)
		}
		// As a download for Excel would be written.
		v2, err := read(io.MultiReader(strings.NewReader(BOM), bytes.NewReader(out1.Bytes())))
		if err != nil {
			t.Fatalf("reading back %s: %v", out1.Bytes(), err)
		}
		if diff := cmp.Diff(v1, v2, ignoreProblem); diff != "" {
			t.Errorf("round trip (-read +read back):\n%s", diff)
		}
		if err := write(&out2, v2); err != nil {
			t.Fatal(err)
		}
		return out1.Bytes(), out2.Bytes()
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

func TestThreeBadRows(t *testing.T) {
	_, err := ReadEnterprises(bytes.NewReader(mustReadFile(t, "enterprises_3bad.csv")))
	want := Errors{
		{Line: 4, Column: "credit_code", Value: "91320924MA1P7Q8R2X", Reason: "character 18 (check character) is 'X', want 'W'"},
		{Line: 6, Column: "headcount", Value: "-5", Reason: "must be a whole number ≥ 0"},
		{Line: 9, Column: "town_code", Value: "32092410", Reason: "must be a 9-digit town code such as 320924100"},
	}
	if diff := cmp.Diff(want, rowErrors(t, err), ignoreProblem); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	const msg = `line 4, column credit_code ("91320924MA1P7Q8R2X"): character 18 (check character) is 'X', want 'W'; ` +
		`line 6, column headcount ("-5"): must be a whole number ≥ 0; ` +
		`line 9, column town_code ("32092410"): must be a 9-digit town code such as 320924100`
	if err.Error() != msg {
		t.Errorf("Error() = %s\nwant      %s", err, msg)
	}
}

// file builds a CSV file from a header and records of cells.
func file(header string, rows ...string) string {
	return header + "\n" + strings.Join(rows, "\n") + "\n"
}

// readOne reads a file of one record and returns its errors, which must be
// Errors if any.
func readOne(t *testing.T, read func(io.Reader) (any, error), input string) Errors {
	t.Helper()
	_, err := read(strings.NewReader(input))
	if err == nil {
		return nil
	}
	return rowErrors(t, err)
}

func TestCreditCode(t *testing.T) {
	const header = "credit_code,name,town_code"
	for _, tc := range []struct {
		name, code, reason string // reason "" for a valid code
	}{
		{"valid", "91320924MA1N2K3L44", ""},
		{"valid published example", "91350100M000100Y43", ""},
		{"wrong check character", "91320924MA1N2K3L45", "character 18 (check character) is '5', want '4'"},
		{"too short", "91320924MA1N2K3L4", "a credit code has 18 characters, got 17"},
		{"too long", "91320924MA1N2K3L440", "a credit code has 18 characters, got 19"},
		{"lowercase", "91320924ma1N2K3L44", `character 9 ('m') is lowercase; credit codes use capital letters ('M')`},
		{"full-width digit", "９1320924MA1N2K3L44", `character 1 ('９') is full-width; type credit codes in half-width (ASCII) letters and digits`},
		{"full-width letter", "91320924ＭA1N2K3L44", `character 9 ('Ｍ') is full-width; type credit codes in half-width (ASCII) letters and digits`},
		{"ideographic space", "91320924MA1N2K3\u3000L44", `character 16 ('\u3000') is full-width; type credit codes in half-width (ASCII) letters and digits`},
		{"chinese character", "91320924MA1N2K3L4号", `character 18 ('号') is not allowed; a credit code has only digits and capital letters`},
		{"letter in division code", "913209A4MA1N2K3L44", `character 7 ('A') is not a digit; characters 3–8 are the administrative division code`},
		{"letter not used", "91320924MI1N2K3L44", `character 10 ('I') is not allowed in a credit code: I, O, S, V and Z are never used`},
		{"punctuation", "91320924MA-N2K3L44", `character 11 ('-') is not allowed in a credit code`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := readOne(t, readAny(ReadEnterprises), file(header, tc.code+",某公司,320924100"))
			var want Errors
			if tc.reason != "" {
				want = Errors{{Line: 2, Column: "credit_code", Value: tc.code, Reason: tc.reason}}
			}
			if diff := cmp.Diff(want, errs, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	const row = "91320924MA1N2K3L44,某公司,320924100"
	for _, tc := range []struct {
		name   string
		header string
		row    string
		want   Errors
	}{
		{"case and spaces", " Credit_Code ,NAME,  Town_Code", row, nil},
		{"chinese", "统一社会信用代码,企业名称,镇街代码", row, nil},
		{"mixed", "统一社会信用代码,Name,镇街代码", row, nil},
		{"any order", "town_code,credit_code,name", "320924100,91320924MA1N2K3L44,某公司", nil},
		{"unknown", "credit_code,name,town_code,remarks", row + ",", Errors{{Line: 1, Column: "remarks",
			Reason: "unknown column; the columns of enterprises files are credit_code, name, industry_code, ownership, headcount, " +
				"has_union, has_mediation_committee, compliance_grade, registered_capital_cny, key_enterprise, town_code, grid_code, village"}}},
		{"missing", "credit_code,name", "91320924MA1N2K3L44,某公司", Errors{{Line: 1, Column: "town_code",
			Reason: "required column is missing (header town_code or 镇街代码)"}}},
		{"duplicate", "credit_code,name,town_code,统一社会信用代码", row + ",91320924MA1N2K3L44", Errors{{Line: 1, Column: "统一社会信用代码",
			Reason: "duplicate column: cell 1 (credit_code) is the same column"}}},
		{"duplicate same name", "credit_code,name,town_code,Name", row + ",x", Errors{{Line: 1, Column: "Name",
			Reason: "duplicate column: cell 2 (name) is the same column"}}},
		{"empty cell", "credit_code,,name,town_code", "91320924MA1N2K3L44,,某公司,320924100", Errors{{Line: 1,
			Reason: "header cell 2 is empty"}}},
		{"not utf-8", "credit_code,name,\xd5\xf2\xbd\xd6\xb4\xfa\xc2\xeb", row, Errors{{Line: 1,
			Reason: `the file is not UTF-8 (saved as GBK?); save it as "CSV UTF-8" and import it again`}}},
		{"several", "credit_code,foo,bar", "1,2,3", Errors{
			{Line: 1, Column: "foo", Reason: "unknown column; the columns of enterprises files are credit_code, name, industry_code, ownership, " +
				"headcount, has_union, has_mediation_committee, compliance_grade, registered_capital_cny, key_enterprise, town_code, grid_code, village"},
			{Line: 1, Column: "bar", Reason: "unknown column; the columns of enterprises files are credit_code, name, industry_code, ownership, " +
				"headcount, has_union, has_mediation_committee, compliance_grade, registered_capital_cny, key_enterprise, town_code, grid_code, village"},
			{Line: 1, Column: "name", Reason: "required column is missing (header name or 企业名称)"},
			{Line: 1, Column: "town_code", Reason: "required column is missing (header town_code or 镇街代码)"},
		}},
		{"empty file", "", "", Errors{{Line: 1, Reason: "the file is empty; its first line must be the header"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := file(tc.header, tc.row)
			if tc.header == "" {
				input = "\n\n"
			}
			errs := readOne(t, readAny(ReadEnterprises), input)
			if diff := cmp.Diff(tc.want, errs, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBoolAliases(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"true", true}, {"TRUE", true}, {"yes", true}, {"Yes", true}, {"1", true}, {"y", true}, {"Y", true}, {"是", true},
		{"false", false}, {"False", false}, {"no", false}, {"NO", false}, {"0", false}, {"n", false}, {"N", false}, {"否", false},
		{"", false}, {"  ", false},
	} {
		t.Run(tc.value, func(t *testing.T) {
			es, err := ReadEnterprises(strings.NewReader(file("credit_code,name,town_code,has_union", "91320924MA1N2K3L44,某公司,320924100,"+tc.value)))
			if err != nil {
				t.Fatal(err)
			}
			if es[0].HasUnion != tc.want {
				t.Errorf("has_union %q = %v, want %v", tc.value, es[0].HasUnion, tc.want)
			}
		})
	}
	for _, value := range []string{"2", "t", "f", "ok", "有", "√"} {
		t.Run("bad "+value, func(t *testing.T) {
			errs := readOne(t, readAny(ReadEnterprises), file("credit_code,name,town_code,has_union", "91320924MA1N2K3L44,某公司,320924100,"+value))
			want := Errors{{Line: 2, Column: "has_union", Value: value, Reason: "must be true or false (also yes/no, 1/0, Y/N, 是/否)"}}
			if diff := cmp.Diff(want, errs, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnershipAliases(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  gridwarn.Ownership
	}{
		{"state", "state"}, {"State", "state"}, {"国有", "state"},
		{"collective", "collective"}, {"集体", "collective"},
		{"private", "private"}, {"私营", "private"}, {"民营", "private"},
		{"foreign", "foreign"}, {"外资", "foreign"},
		{"hk_macao_taiwan", "hk_macao_taiwan"}, {"港澳台", "hk_macao_taiwan"},
		{"joint_venture", "joint_venture"}, {"JOINT_VENTURE", "joint_venture"}, {"合资", "joint_venture"},
		{"other", "other"}, {"其他", "other"}, {"其它", "other"},
		{"", ""},
	} {
		t.Run(tc.value, func(t *testing.T) {
			es, err := ReadEnterprises(strings.NewReader(file("credit_code,name,town_code,所有制", "91320924MA1N2K3L44,某公司,320924100,"+tc.value)))
			if err != nil {
				t.Fatal(err)
			}
			if es[0].Ownership != tc.want {
				t.Errorf("ownership %q = %q, want %q", tc.value, es[0].Ownership, tc.want)
			}
		})
	}
	errs := readOne(t, readAny(ReadEnterprises), file("credit_code,name,town_code,所有制", "91320924MA1N2K3L44,某公司,320924100,股份制"))
	want := Errors{{Line: 2, Column: "所有制", Value: "股份制",
		Reason: "must be one of state, collective, private, foreign, hk_macao_taiwan, joint_venture, other (or its Chinese name)"}}
	if diff := cmp.Diff(want, errs, ignoreProblem); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestValues checks the rule of each column, one record at a time: the
// record is a valid one with one column changed.
func TestValues(t *testing.T) {
	enterprise := map[string]string{
		"credit_code": "91320924MA1N2K3L44", "name": "射阳县华丰纺织有限公司", "industry_code": "C1713", "ownership": "private",
		"headcount": "320", "has_union": "true", "has_mediation_committee": "true", "compliance_grade": "A",
		"registered_capital_cny": "5000000", "key_enterprise": "true", "town_code": "320924100", "grid_code": "320924100-I01",
	}
	grid := map[string]string{
		"code": "320924100-J01", "town_code": "320924100", "kind": "joint", "name": "合德镇制造业联合网格", "industry": "C", "workers": "zhang.wei;li.na",
	}
	user := map[string]string{
		"username": "zhang.wei", "display_name": "张伟", "role": "grid_worker", "scope_kind": "grids", "scope_unit": "320924",
		"scope_grids": "320924100-I01;320924100-J01", "tier_head": "false",
	}
	for _, tc := range []struct {
		name   string
		kind   string            // enterprises, grids or users
		set    map[string]string // columns changed from the valid record
		column string            // the column of the error, if any
		reason string            // "" if the record is valid
	}{
		{"name long", "enterprises", map[string]string{"name": strings.Repeat("企", 200)}, "", ""},
		{"name too long", "enterprises", map[string]string{"name": strings.Repeat("企", 201)}, "name", "has 201 characters, at most 200 are allowed"},
		{"name formula", "enterprises", map[string]string{"name": "=1+2"}, "name", `must not start with '=' (a spreadsheet would run it as a formula)`},
		{"name minus", "enterprises", map[string]string{"name": "-2+3"}, "name", `must not start with '-' (a spreadsheet would run it as a formula)`},
		{"name control", "enterprises", map[string]string{"name": "某\x07公司"}, "name", "must not hold control characters such as tabs or line breaks (found U+0007)"},
		{"name newline", "enterprises", map[string]string{"name": "\"某\n公司\""}, "name", "must not hold control characters such as tabs or line breaks (found U+000A)"},
		{"name missing", "enterprises", map[string]string{"name": ""}, "name", "is required"},
		{"industry section", "enterprises", map[string]string{"industry_code": "C"}, "", ""},
		{"industry division", "enterprises", map[string]string{"industry_code": "C17"}, "", ""},
		{"industry empty", "enterprises", map[string]string{"industry_code": ""}, "", ""},
		{"industry lowercase", "enterprises", map[string]string{"industry_code": "c1713"}, "industry_code", "the section letter must be a capital"},
		{"industry section U", "enterprises", map[string]string{"industry_code": "U"}, "industry_code", "must be a GB/T 4754 code: a section letter A–T and up to 4 digits, such as C, C17 or C1713"},
		{"industry 5 digits", "enterprises", map[string]string{"industry_code": "C17131"}, "industry_code", "must be a GB/T 4754 code: a section letter A–T and up to 4 digits, such as C, C17 or C1713"},
		{"headcount separators", "enterprises", map[string]string{"headcount": "\"1,200\""}, "", ""},
		{"headcount decimal", "enterprises", map[string]string{"headcount": "12.5"}, "headcount", "must be a whole number"},
		{"headcount huge", "enterprises", map[string]string{"headcount": "3000000000"}, "headcount", "is too large (at most 2147483647)"},
		{"headcount full-width", "enterprises", map[string]string{"headcount": "１２"}, "headcount", "must be a whole number ≥ 0; it has full-width characters, type half-width (ASCII) digits and letters"},
		{"grade lowercase", "enterprises", map[string]string{"compliance_grade": "b"}, "", ""},
		{"grade D", "enterprises", map[string]string{"compliance_grade": "D"}, "compliance_grade", "must be A, B or C"},
		{"capital separators", "enterprises", map[string]string{"registered_capital_cny": "\"1,000,000.50\""}, "", ""},
		{"capital bad separators", "enterprises", map[string]string{"registered_capital_cny": "\"1,00,000\""}, "registered_capital_cny", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50"},
		{"capital negative", "enterprises", map[string]string{"registered_capital_cny": "-1"}, "registered_capital_cny", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50"},
		{"capital exponent", "enterprises", map[string]string{"registered_capital_cny": "1E+06"}, "registered_capital_cny", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50"},
		{"capital wan", "enterprises", map[string]string{"registered_capital_cny": "500万"}, "registered_capital_cny", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50"},
		{"capital 3 decimals", "enterprises", map[string]string{"registered_capital_cny": "1.005"}, "registered_capital_cny", "has more than 2 decimals"},
		{"capital huge", "enterprises", map[string]string{"registered_capital_cny": "999999999999999.99"}, "registered_capital_cny", "is too large (at most 999,999,999,999,999.99 yuan)"},
		{"town full-width", "enterprises", map[string]string{"town_code": "３２０９２４１００"}, "town_code", "must be a 9-digit town code such as 320924100; it has full-width characters, type half-width (ASCII) digits and letters"},
		{"grid empty", "enterprises", map[string]string{"grid_code": ""}, "", ""},
		{"grid format", "enterprises", map[string]string{"grid_code": "320924100-X01"}, "grid_code", "must be a grid code: the 9-digit town code, '-', P, I or J and 2 or more digits, such as 320924100-J01"},
		{"grid other town", "enterprises", map[string]string{"grid_code": "320924101-J01"}, "grid_code", "is a grid of town 320924101, not of the enterprise's town 320924100"},
		{"field count", "enterprises", map[string]string{"extra": "x"}, "", "has 14 fields, the header has 13"},

		{"grid derived town and kind", "grids", map[string]string{"town_code": "", "kind": ""}, "", ""},
		{"grid chinese kind", "grids", map[string]string{"kind": "联合网格"}, "", ""},
		{"grid other town", "grids", map[string]string{"town_code": "320924101"}, "town_code", "is not the town of grid 320924100-J01"},
		{"grid kind not code's", "grids", map[string]string{"kind": "park"}, "kind", "grid 320924100-J01 is a joint grid (letter J)"},
		{"grid kind unknown", "grids", map[string]string{"kind": "big"}, "kind", "must be one of park, independent, joint (or its Chinese name)"},
		{"grid joint without industry", "grids", map[string]string{"industry": ""}, "industry", "is required for a joint grid"},
		{"grid park with industry", "grids", map[string]string{"code": "320924400-P01", "town_code": "320924400", "kind": "园区"}, "industry", "must be empty for a park grid"},
		{"grid industry not a section", "grids", map[string]string{"industry": "C17"}, "industry", "must be a GB/T 4754 section letter A–T, such as C"},
		{"grid code missing", "grids", map[string]string{"code": ""}, "code", "is required"},
		{"grid no workers", "grids", map[string]string{"workers": ""}, "", ""},
		{"grid workers full-width separator and spaces", "grids", map[string]string{"workers": " zhang.wei ；li.na; "}, "", ""},
		{"grid worker twice", "grids", map[string]string{"workers": "zhang.wei;zhang.wei"}, "workers", "lists username zhang.wei twice"},
		{"grid worker uppercase", "grids", map[string]string{"workers": "Zhang.Wei"}, "workers", `username "Zhang.Wei" must be lowercase`},

		{"user chinese role and scope", "users", map[string]string{"role": "网格员", "scope_kind": "网格"}, "", ""},
		{"user username uppercase", "users", map[string]string{"username": "Zhang.Wei"}, "username", "must be lowercase"},
		{"user username short", "users", map[string]string{"username": "z"}, "username", "must be 2 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"},
		{"user username chinese", "users", map[string]string{"username": "张伟"}, "username", "must be 2 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"},
		{"user role unknown", "users", map[string]string{"role": "boss"}, "role", "must be one of grid_worker, reporter, mediator, leader, admin, hotline_operator (or its Chinese name)"},
		{"user role missing", "users", map[string]string{"role": ""}, "role", "is required"},
		{"user grids without grids", "users", map[string]string{"scope_grids": ""}, "scope_grids", "is required when the scope is grids"},
		{"user grids of another county", "users", map[string]string{"scope_grids": "320924100-J01;320925100-J01"}, "scope_grids", "grid 320925100-J01 is not in county 320924"},
		{"user grids with town unit", "users", map[string]string{"scope_unit": "320924100"}, "scope_unit", "must be a 6-digit county code when the scope is grids"},
		{"user town", "users", map[string]string{"scope_kind": "镇", "scope_unit": "320924100", "scope_grids": ""}, "", ""},
		{"user town with county unit", "users", map[string]string{"scope_kind": "town", "scope_unit": "320924", "scope_grids": ""}, "scope_unit", "must be a 9-digit town code when the scope is a town"},
		{"user town with grids", "users", map[string]string{"scope_kind": "town", "scope_unit": "320924100"}, "scope_grids", "must be empty when the scope is town"},
		{"user county", "users", map[string]string{"scope_kind": "县", "scope_grids": ""}, "", ""},
		{"user county with town unit", "users", map[string]string{"scope_kind": "county", "scope_unit": "320924100", "scope_grids": ""}, "scope_unit", "must be a 6-digit county code when the scope is county"},
		{"user unit bad", "users", map[string]string{"scope_kind": "county", "scope_unit": "3209", "scope_grids": ""}, "scope_unit", "must be a 6-digit county code such as 320924 or a 9-digit town code such as 320924100"},
		{"user scope kind unknown", "users", map[string]string{"scope_kind": "city"}, "scope_kind", "must be one of county, town, grids (or its Chinese name)"},
		{"user bad grid code", "users", map[string]string{"scope_grids": "320924100-J1"}, "scope_grids", `grid code "320924100-J1" must be a grid code: the 9-digit town code, '-', P, I or J and 2 or more digits, such as 320924100-J01`},
		{"user display name formula", "users", map[string]string{"display_name": "@SUM(A1)"}, "display_name", "must not start with '@' (a spreadsheet would run it as a formula)"},
	} {
		t.Run(tc.kind+" "+tc.name, func(t *testing.T) {
			var base map[string]string
			var s *schema
			var read func(io.Reader) (any, error)
			switch tc.kind {
			case "enterprises":
				base, s, read = enterprise, enterpriseSchema, readAny(ReadEnterprises)
			case "grids":
				base, s, read = grid, gridSchema, readAny(ReadGrids)
			case "users":
				base, s, read = user, userSchema, readAny(ReadUsers)
			}
			header, cells := s.names(), make([]string, 0, len(s.cols)+1)
			for _, h := range header {
				v, ok := tc.set[h]
				if !ok {
					v = base[h]
				}
				cells = append(cells, v)
			}
			if v, ok := tc.set["extra"]; ok {
				cells = append(cells, v)
			}
			errs := readOne(t, read, file(strings.Join(header, ","), strings.Join(cells, ",")))
			var want Errors
			if tc.reason != "" {
				v, ok := tc.set[tc.column]
				if !ok {
					v = base[tc.column]
				}
				want = Errors{{Line: 2, Column: tc.column, Value: clip(strings.Trim(v, `" `), 100), Reason: tc.reason}}
			}
			if diff := cmp.Diff(want, errs, ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		read  func(io.Reader) (any, error)
		input string
		want  Errors
	}{
		{"enterprises", readAny(ReadEnterprises), file("credit_code,name,town_code",
			"91320924MA1N2K3L44,甲公司,320924100",
			"91320924MA1P7Q8R2W,乙公司,320924100",
			"91320924MA1N2K3L44,丙公司,320924100",
			"91320924MA1N2K3L44,丁公司,320924100"),
			Errors{
				{Line: 4, Column: "credit_code", Value: "91320924MA1N2K3L44", Reason: "duplicate: line 2 has the same credit_code"},
				{Line: 5, Column: "credit_code", Value: "91320924MA1N2K3L44", Reason: "duplicate: line 2 has the same credit_code"},
			}},
		{"grids", readAny(ReadGrids), file("网格编码,网格名称", "320924100-I01,甲", "320924100-I02,乙", "", "320924100-I01,丙"),
			Errors{{Line: 5, Column: "网格编码", Value: "320924100-I01", Reason: "duplicate: line 2 has the same code"}}},
		{"users", readAny(ReadUsers), file("username,role,scope_kind,scope_unit", "li.na,admin,county,320924", "li.na,leader,county,320924"),
			Errors{{Line: 3, Column: "username", Value: "li.na", Reason: "duplicate: line 2 has the same username"}}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, readOne(t, tc.read, tc.input), ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLines(t *testing.T) {
	const header = "credit_code,name,town_code"
	for _, tc := range []struct {
		name  string
		input string
		want  Errors // nil: the file is read without error
		n     int    // records read when want is nil
	}{
		{"trailing empty lines", header + "\n91320924MA1N2K3L44,甲,320924100\n\n\n", nil, 1},
		{"trailing blank records", header + "\r\n91320924MA1N2K3L44,甲,320924100\r\n,,\r\n  ,  ,\r\n", nil, 1},
		{"no final newline", header + "\n91320924MA1N2K3L44,甲,320924100", nil, 1},
		{"header only", header + "\n", nil, 0},
		{"quoted newline moves lines", header + "\n91320924MA1N2K3L44,\"甲\n乙\",320924100\n9132092X,乙,320924100\n", Errors{
			{Line: 2, Column: "name", Value: "甲\n乙", Reason: "must not hold control characters such as tabs or line breaks (found U+000A)"},
			{Line: 4, Column: "credit_code", Value: "9132092X", Reason: "a credit code has 18 characters, got 8"},
		}, 0},
		{"field count", header + "\n91320924MA1N2K3L44,甲\n91320924MA1P7Q8R2W,乙,320924100,x\n", Errors{
			{Line: 2, Reason: "has 2 fields, the header has 3"},
			{Line: 3, Reason: "has 4 fields, the header has 3"},
		}, 0},
		{"invalid utf-8", header + "\n91320924MA1N2K3L44,\xbc\xd7,320924100\n", Errors{
			{Line: 2, Reason: `the file is not UTF-8 (saved as GBK?); save it as "CSV UTF-8" and import it again`},
		}, 0},
		{"bare quote", header + "\n91320924MA1N2K3L44,5\" pipes,320924100\n91320924MA1P7Q8R2W,乙,bad\n", Errors{
			{Line: 2, Reason: `malformed CSV on line 2: bare " in non-quoted-field; the rest of the file was not read`},
		}, 0},
		{"errors before a syntax error", header + "\n91320924MA1N2K3L44,甲,bad\n91320924MA1P7Q8R2W,\"乙,320924100\n", Errors{
			{Line: 2, Column: "town_code", Value: "bad", Reason: "must be a 9-digit town code such as 320924100"},
			{Line: 3, Reason: `malformed CSV on line 3: extraneous or missing " in quoted-field; the rest of the file was not read`},
		}, 0},
		{"spaces around quotes", header + "\n91320924MA1N2K3L44, \"甲,乙\" ,320924100\n", Errors{
			{Line: 2, Reason: `malformed CSV on line 2: extraneous or missing " in quoted-field; the rest of the file was not read`},
		}, 0},
		{"space before quote", header + "\n91320924MA1N2K3L44, \"甲,乙\",320924100\n", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, err := ReadEnterprises(strings.NewReader(tc.input))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(es) != tc.n {
					t.Errorf("read %d enterprises, want %d", len(es), tc.n)
				}
				return
			}
			if diff := cmp.Diff(tc.want, rowErrors(t, err), ignoreProblem); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsString(t *testing.T) {
	var errs Errors
	for i := range 25 {
		errs = append(errs, RowError{Line: i + 2, Column: "headcount", Value: "x", Reason: "must be a whole number ≥ 0"})
	}
	s := errs.Error()
	if got := strings.Count(s, "line "); got != 20 {
		t.Errorf("Error() lists %d problems, want 20: %s", got, s)
	}
	if !strings.HasSuffix(s, `line 21, column headcount ("x"): must be a whole number ≥ 0; and 5 more`) {
		t.Errorf("Error() = %s", s)
	}
	long := RowError{Line: 2, Column: "name", Value: strings.Repeat("企", 50), Reason: "r"}
	if want := `line 2, column name ("` + strings.Repeat("企", 40) + `…"): r`; long.String() != want {
		t.Errorf("String() = %s, want %s", long.String(), want)
	}
	if want := "line 3: has 2 fields, the header has 3"; (RowError{Line: 3, Reason: "has 2 fields, the header has 3"}).String() != want {
		t.Errorf("String() without column, want %s", want)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestReaderError(t *testing.T) {
	cause := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"at once", failingReader{cause}},
		{"after the header", io.MultiReader(strings.NewReader("credit_code,name,town_code\n91320924MA1N2K3L44,甲,320924100\n"), failingReader{cause})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadEnterprises(tc.r)
			var errs Errors
			if !errors.Is(err, cause) || errors.As(err, &errs) {
				t.Errorf("error = %v, want the reader's error, not Errors", err)
			}
		})
	}
}

// generateEnterprises returns n valid enterprises with distinct codes, as
// many as the reference county registered.
func generateEnterprises(tb testing.TB, n int) []gridwarn.Enterprise {
	tb.Helper()
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	owners := gridwarn.Ownerships
	es := make([]gridwarn.Enterprise, n)
	for i := range es {
		first := fmt.Sprintf("91320924MA%c%c%05d", alphabet[i%31], alphabet[(i/31)%31], i)
		check, err := gridwarn.CreditCodeCheckChar(first[:17])
		if err != nil {
			tb.Fatal(err)
		}
		town := fmt.Sprintf("320924%03d", 100+i%15)
		grid := ""
		if i%3 != 0 {
			grid = fmt.Sprintf("%s-J%02d", town, i%7+1)
		}
		es[i] = gridwarn.Enterprise{
			CreditCode: first[:17] + string(check), Name: fmt.Sprintf("射阳县第%d企业有限公司", i+1),
			IndustryCode: fmt.Sprintf("C%d", 13+i%30), Ownership: owners[i%len(owners)], Headcount: i * 7 % 1500,
			HasUnion: i%2 == 0, HasMediationCommittee: i%5 == 0, ComplianceGrade: string("ABC"[i%3]),
			RegisteredCapitalCNY: float64(i*12345) + float64(i%100)/100, KeyEnterprise: i%11 == 0,
			TownCode: town, GridCode: grid,
		}
	}
	return es
}

func TestManyEnterprises(t *testing.T) {
	want := generateEnterprises(t, 539)
	var buf bytes.Buffer
	if err := WriteEnterprises(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEnterprises(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignoreProblem); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func BenchmarkReadEnterprises(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteEnterprises(&buf, generateEnterprises(b, 539)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := ReadEnterprises(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSchemas checks that no two headers of a file kind clash.
func TestSchemas(t *testing.T) {
	for _, s := range []*schema{enterpriseSchema, gridSchema, userSchema, unionSchema, contactSchema} {
		if len(s.lookup) != 2*len(s.cols) {
			t.Errorf("%s: %d headers for %d columns: two clash", s.kind, len(s.lookup), len(s.cols))
		}
		if s.key >= 0 && !s.cols[s.key].required {
			t.Errorf("%s: the key column %s is not required", s.kind, s.cols[s.key].name)
		}
	}
}

// TestHeadersDoc checks that HEADERS.md and the package documentation list
// every column, in order, with both headers.
func TestHeadersDoc(t *testing.T) {
	md := mustOpenDoc(t, "HEADERS.md", regexp.MustCompile("^\\| `([a-z_]+)` +\\| `([^`]+)`"))
	doc := mustOpenDoc(t, "doc.go", regexp.MustCompile(`^//\t([a-z_]+) +([\p{Han}（）]+) `))
	var want [][2]string
	for _, s := range []*schema{enterpriseSchema, gridSchema, userSchema, unionSchema, contactSchema} {
		for _, c := range s.cols {
			want = append(want, [2]string{c.name, c.zh})
		}
	}
	if diff := cmp.Diff(want, md, ignoreProblem); diff != "" {
		t.Errorf("HEADERS.md (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, doc, ignoreProblem); diff != "" {
		t.Errorf("doc.go (-want +got):\n%s", diff)
	}
}

func mustOpenDoc(t *testing.T, name string, re *regexp.Regexp) [][2]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, [2]string{m[1], m[2]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ignoreProblem compares RowErrors by their English reason; the Problem
// behind it is checked by TestProblems.
var ignoreProblem = cmpopts.IgnoreFields(RowError{}, "Problem")

// TestProblems: a file in GBK is one problem, not one per cell; every
// problem carries the code and arguments a translation needs, and a wrong
// credit code its gridwarn.CreditCodeError.
func TestProblems(t *testing.T) {
	gbkHeader := "\xcd\xb3\xd2\xbb\xc9\xe7\xbb\xe1\xd0\xc5\xd3\xc3\xb4\xfa\xc2\xeb,\xc3\xfb\xb3\xc6,\xd5\xf2\xbd\xd6\xb4\xfa\xc2\xeb"
	for name, data := range map[string]string{
		"GBK header": gbkHeader + "\n91320924MA1N2K3L44,\xbc\xd7,320924100\n91320924MA1P7Q8R2W,\xd2\xd2,320924100\n",
		"GBK data":   "credit_code,name,town_code\n91320924MA1N2K3L44,\xbc\xd7,320924100\n91320924MA1P7Q8R2W,\xd2\xd2,320924100\n",
	} {
		errs := readOne(t, readAny(ReadEnterprises), data)
		if len(errs) != 1 || errs[0].Problem == nil || errs[0].Problem.Code != "not_utf8" {
			t.Errorf("%s: %v, want the one not_utf8 problem", name, errs)
		}
	}
	errs := readOne(t, readAny(ReadEnterprises), "credit_code,name,town_code,headcount\n91320924MA1N2K3L40,甲,320924100,1.5\n")
	if len(errs) != 2 {
		t.Fatalf("%v, want two problems", errs)
	}
	var ce *gridwarn.CreditCodeError
	if !errors.As(errs[0].Problem, &ce) || ce.Problem != gridwarn.CreditCodeCheck {
		t.Errorf("credit code: %#v, want a CreditCodeError of the check character", errs[0].Problem)
	}
	if p := errs[1].Problem; p == nil || p.Code != "whole" {
		t.Errorf("headcount: %#v, want the problem whole", p)
	}
	for _, e := range errs {
		if e.Problem.Error() != e.Reason {
			t.Errorf("Reason %q is not the problem's text %q", e.Reason, e.Problem.Error())
		}
	}
}
