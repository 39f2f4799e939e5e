package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func decodeJSONBody[T any](tb testing.TB, body []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("decode: %v; body: %s", err, body)
	}
	return v
}

func TestUnits(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	rec := a.do(t, request{target: "/api/v1/units"})
	p := pageOf[gridwarn.Unit](t, rec)
	var codes []string
	for _, u := range p.Items {
		codes = append(codes, u.Code)
	}
	if diff := cmp.Diff([]string{testCounty, testTownA, testTownB}, codes); diff != "" || p.NextCursor != "" {
		t.Errorf("units (-want +got):\n%s; cursor %q", diff, p.NextCursor)
	}
	// A town's people see their county and their town.
	p = pageOf[gridwarn.Unit](t, a.do(t, request{target: "/api/v1/units", token: tokMediator}))
	if len(p.Items) != 2 || p.Items[1].Code != testTownA {
		t.Errorf("town A mediator's units: %+v", p.Items)
	}

	rec = a.do(t, request{target: "/api/v1/units/" + testTownA})
	if u := decodeJSONBody[gridwarn.Unit](t, rec.Body.Bytes()); rec.Code != 200 || u.ParentCode != testCounty {
		t.Errorf("GET unit: %d %s", rec.Code, rec.Body)
	}

	rec = a.do(t, request{method: "PUT", target: "/api/v1/units/320924102", contentType: "application/json", body: okUnitBody})
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT unit: %d %s", rec.Code, rec.Body)
	}
	want := gridwarn.Unit{Code: "320924102", Kind: gridwarn.UnitTown, TownType: gridwarn.TownSubdistrict, ParentCode: testCounty, NameZH: "新街道", NameEN: "New"}
	if diff := cmp.Diff(want, a.registry.lastPut()); diff != "" {
		t.Errorf("unit given to the service (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, decodeJSONBody[gridwarn.Unit](t, rec.Body.Bytes())); diff != "" {
		t.Errorf("PUT answer (-want +got):\n%s", diff)
	}
	// A town-wide admin may not add a town: the service says where.
	rec = a.do(t, request{method: "PUT", target: "/api/v1/units/320924103", contentType: "application/json", body: okUnitBody, token: tokAdminB})
	if p := mustProblem(t, rec, "/api/v1/units/320924103", 400, gridwarn.EINVALID); !cmp.Equal(fieldNames(p), []string{"code"}) {
		t.Errorf("fields = %v", fieldNames(p))
	}
}

func TestGrids(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	// Pages of one, by code.
	var got []string
	cursor := ""
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("pagination does not end")
		}
		p := pageOf[gridwarn.Grid](t, a.do(t, request{target: "/api/v1/grids?limit=1&cursor=" + cursor}))
		for _, g := range p.Items {
			got = append(got, g.Code)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff([]string{testGridAI, testGridA, testGridB}, got); diff != "" {
		t.Errorf("grids (-want +got):\n%s", diff)
	}

	// Filters reach the service.
	pageOf[gridwarn.Grid](t, a.do(t, request{target: "/api/v1/grids?town=" + testTownA + "&kind=joint&limit=7&cursor=" +
		base64.RawURLEncoding.EncodeToString([]byte(gridCursor+testGridAI))}))
	want := gridwarn.GridFilter{TownCode: testTownA, Kind: gridwarn.GridJoint, After: testGridAI, Limit: 8}
	if diff := cmp.Diff(want, a.registry.gridFilters[len(a.registry.gridFilters)-1]); diff != "" {
		t.Errorf("grid filter (-want +got):\n%s", diff)
	}
	for _, k := range gridwarn.GridKinds {
		if rec := a.do(t, request{target: "/api/v1/grids?kind=" + string(k)}); rec.Code != http.StatusOK {
			t.Errorf("kind %s: %d %s", k, rec.Code, rec.Body)
		}
	}

	rec := a.do(t, request{target: "/api/v1/grids/" + testGridA})
	if g := decodeJSONBody[gridwarn.Grid](t, rec.Body.Bytes()); rec.Code != 200 || g.Kind != gridwarn.GridJoint {
		t.Errorf("GET grid: %d %s", rec.Code, rec.Body)
	}

	rec = a.do(t, request{method: "PUT", target: "/api/v1/grids/320924100-J02", contentType: "application/json", body: okGridBody})
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT grid: %d %s", rec.Code, rec.Body)
	}
	wantGrid := gridwarn.Grid{Code: "320924100-J02", TownCode: testTownA, Kind: gridwarn.GridJoint, Name: "合德镇联合网格二", Industry: "E", Workers: []string{"gw1"}}
	if diff := cmp.Diff(wantGrid, a.registry.lastPut()); diff != "" {
		t.Errorf("grid given to the service (-want +got):\n%s", diff)
	}
}

func TestEnterprises(t *testing.T) {
	b := mustNewAPI(t, 0, 0, nil, nil)
	b.registry.mu.Lock()
	for i := 4; i <= 12; i++ {
		e := gridwarn.Enterprise{CreditCode: creditCode(i), Name: "企业", TownCode: testTownA, GridCode: testGridA}
		b.registry.enterprises[e.CreditCode] = e
	}
	b.registry.mu.Unlock()

	// 12 enterprises in pages of 5: 5, 5, 2, in credit-code order.
	var sizes []int
	var codes []string
	cursor := ""
	for i := 0; ; i++ {
		if i > 12 {
			t.Fatal("pagination does not end")
		}
		p := pageOf[gridwarn.Enterprise](t, b.do(t, request{target: "/api/v1/enterprises?limit=5&cursor=" + cursor}))
		sizes = append(sizes, len(p.Items))
		for _, e := range p.Items {
			codes = append(codes, e.CreditCode)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff([]int{5, 5, 2}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	for i := 1; i < len(codes); i++ {
		if codes[i] <= codes[i-1] {
			t.Fatalf("not in credit-code order or repeated: %v", codes)
		}
	}

	pageOf[gridwarn.Enterprise](t, b.do(t, request{target: "/api/v1/enterprises?town=" + testTownA + "&grid=" + testGridA + "&q=%E4%BC%81%E4%B8%9A&limit=3"}))
	want := gridwarn.EnterpriseFilter{TownCode: testTownA, GridCode: testGridA, Query: "企业", Limit: 4}
	if diff := cmp.Diff(want, b.registry.entFilters[len(b.registry.entFilters)-1]); diff != "" {
		t.Errorf("enterprise filter (-want +got):\n%s", diff)
	}

	rec := b.do(t, request{target: "/api/v1/enterprises/" + testEnterprise})
	if e := decodeJSONBody[gridwarn.Enterprise](t, rec.Body.Bytes()); rec.Code != 200 || e.CreditCode != testEnterprise {
		t.Errorf("GET enterprise: %d %s", rec.Code, rec.Body)
	}
}

// TestPutEnterprise: the code comes from the path, updated_at from the
// server; the body can set neither (the mass-assignment check).
func TestPutEnterprise(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	target := "/api/v1/enterprises/" + testEnterprise
	rec := a.do(t, request{method: "PUT", target: target, contentType: "application/json", body: okEnterpriseBody})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	want := gridwarn.Enterprise{CreditCode: testEnterprise, Name: "测试企业", IndustryCode: "C1713", Ownership: "private",
		Headcount: 320, HasUnion: true, ComplianceGrade: "A", RegisteredCapitalCNY: 5000000, KeyEnterprise: true,
		TownCode: testTownA, GridCode: testGridA}
	if diff := cmp.Diff(want, a.registry.lastPut()); diff != "" {
		t.Errorf("enterprise given to the service (-want +got):\n%s", diff)
	}
	got := decodeJSONBody[gridwarn.Enterprise](t, rec.Body.Bytes())
	if got.UpdatedAt.IsZero() || got.CreditCode != testEnterprise {
		t.Errorf("answer = %+v", got)
	}

	for _, field := range []string{"credit_code", "updated_at"} {
		body := strings.TrimSuffix(okEnterpriseBody, "}") + `,"` + field + `":"` + testEnterprise2 + `"}`
		if field == "updated_at" {
			body = strings.TrimSuffix(okEnterpriseBody, "}") + `,"updated_at":"2000-01-01T00:00:00Z"}`
		}
		p := mustProblem(t, a.do(t, request{method: "PUT", target: target, contentType: "application/json", body: body}), target, 400, gridwarn.EINVALID)
		if diff := cmp.Diff([]string{field}, fieldNames(p)); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", field, diff)
		}
	}
	// The service's own refusal comes through with its field.
	body := strings.Replace(okEnterpriseBody, testGridA, testGridB, 1)
	p := mustProblem(t, a.do(t, request{method: "PUT", target: target, contentType: "application/json", body: body}), target, 400, gridwarn.EINVALID)
	if diff := cmp.Diff([]string{"grid_code"}, fieldNames(p)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

const importTarget = "/api/v1/enterprises/import"

func TestImportEnterprises(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	newCode := creditCode(50)
	csvEN := okCSVHeader +
		newCode + ",射阳县新企业有限公司,C1713,private,\"1,200\",是,否,A,\"1,000,000.50\",yes,320924100,320924100-J01\n" +
		testEnterprise2 + ",测试企业二,C17,private,50,false,false,B,0,false,320924100,320924100-J01\n"

	// A dry run says what would change and changes nothing.
	rec := a.do(t, request{method: "POST", target: importTarget + "?dry_run=true", contentType: "text/csv; charset=utf-8", body: csvio.BOM + csvEN})
	if rec.Code != http.StatusOK {
		t.Fatalf("dry run: %d %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(gridwarn.ImportResult{Rows: 2, Created: 1, Updated: 1, DryRun: true}, decodeJSONBody[gridwarn.ImportResult](t, rec.Body.Bytes())); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if rec := a.do(t, request{target: "/api/v1/enterprises/" + newCode}); rec.Code != http.StatusNotFound {
		t.Errorf("the dry run stored the enterprise: %d", rec.Code)
	}

	for _, q := range []string{"", "?dry_run=false", "?dry_run="} {
		a := mustNewAPI(t, 0, 0, nil, nil)
		rec := a.do(t, request{method: "POST", target: importTarget + q, contentType: "text/csv", body: csvEN})
		if diff := cmp.Diff(gridwarn.ImportResult{Rows: 2, Created: 1, Updated: 1}, decodeJSONBody[gridwarn.ImportResult](t, rec.Body.Bytes())); rec.Code != 200 || diff != "" {
			t.Errorf("import%s: %d (-want +got):\n%s", q, rec.Code, diff)
		}
		rec = a.do(t, request{target: "/api/v1/enterprises/" + newCode})
		if e := decodeJSONBody[gridwarn.Enterprise](t, rec.Body.Bytes()); e.Headcount != 1200 || e.RegisteredCapitalCNY != 1000000.50 || !e.HasUnion {
			t.Errorf("imported %+v", e)
		}
	}

	// Chinese headers, in another order.
	csvZH := "企业名称,统一社会信用代码,镇街代码\n测试企业,  " + newCode + " ,320924100\n"
	if rec := a.do(t, request{method: "POST", target: importTarget, contentType: "text/csv", body: csvZH}); rec.Code != http.StatusOK {
		t.Errorf("Chinese headers: %d %s", rec.Code, rec.Body)
	}

	// Row errors: all listed by line and column, nothing imported.
	bad := okCSVHeader +
		testEnterprise + ",好企业,C17,private,50,false,false,B,0,false,320924100,\n" +
		wrongCheckChar(testEnterprise) + ",坏代码,C17,private,50,false,false,B,0,false,320924100,\n" +
		creditCode(60) + ",负人数,C17,private,-5,false,false,B,0,false,320924100,\n" +
		creditCode(61) + ",=cmd(),C17,private,5,false,false,B,0,false,3209241,\n"
	before := len(a.registry.puts)
	rec = a.do(t, request{method: "POST", target: importTarget, contentType: "text/csv", body: bad})
	p := mustProblem(t, rec, importTarget, http.StatusBadRequest, gridwarn.EINVALID)
	want := []string{"line 3: credit_code", "line 4: headcount", "line 5: name", "line 5: town_code"}
	if diff := cmp.Diff(want, fieldNames(p)); diff != "" {
		t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
	}
	if len(a.registry.puts) != before {
		t.Error("a file with row errors reached the service")
	}

	// The service's own refusal (a town outside the caller's scope).
	a = mustNewAPI(t, 0, 0, nil, nil)
	rec = a.do(t, request{method: "POST", target: importTarget, contentType: "text/csv", body: csvEN, token: tokAdminB})
	if p := mustProblem(t, rec, importTarget, 400, gridwarn.EINVALID); !cmp.Equal(fieldNames(p), []string{"[0].town_code", "[1].town_code", "credit_code"}) {
		t.Errorf("fields = %v", fieldNames(p))
	}
}

func TestExportEnterprises(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	for _, tc := range []struct {
		token string
		want  []string
	}{
		{tokAdmin, []string{testEnterprise, testEnterprise2, testEnterpriseB}},
		{tokGridWorker, []string{testEnterprise, testEnterprise2}},
		{tokAdminB, []string{testEnterpriseB}},
	} {
		rec := a.do(t, request{target: "/api/v1/enterprises/export", token: tc.token})
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition = %q", cd)
		}
		es, err := csvio.ReadEnterprises(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatalf("the export does not read back: %v\n%s", err, rec.Body)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.CreditCode)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s exports (-want +got):\n%s", tc.token, diff)
		}
	}

	// What is exported imports again unchanged.
	rec := a.do(t, request{target: "/api/v1/enterprises/export"})
	rec = a.do(t, request{method: "POST", target: importTarget + "?dry_run=true", contentType: "text/csv", body: rec.Body.String()})
	if diff := cmp.Diff(gridwarn.ImportResult{Rows: 3, Unchanged: 3, DryRun: true}, decodeJSONBody[gridwarn.ImportResult](t, rec.Body.Bytes())); diff != "" {
		t.Errorf("re-import (-want +got):\n%s", diff)
	}
}

// wrongCheckChar returns code with another check character.
func wrongCheckChar(code string) string {
	if code[17] == '0' {
		return code[:17] + "1"
	}
	return code[:17] + "0"
}
