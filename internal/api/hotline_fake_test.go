package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// tokHotline is the county's 12351 hotline operator.
const tokHotline = "tok-hotline"

func init() {
	testPeople[tokHotline] = gridwarn.User{ID: 8, Username: "hotline", DisplayName: "Hotline operator", Role: gridwarn.RoleHotlineOperator,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testCounty}}
	roleTokens[gridwarn.RoleHotlineOperator] = tokHotline
}

// fakeHotline holds one case, 1, held at the county for identification.
type fakeHotline struct{}

func fakeCase() gridwarn.HotlineCase {
	return gridwarn.HotlineCase{ID: 1, WorkOrder: "12351-20250301-0001", CountyCode: testCounty, Status: gridwarn.HotlineToIdentify,
		IntakeType: gridwarn.IntakeHelp, Class: gridwarn.ClassOrdinary, CallerName: gridwarn.MaskName("王小明"),
		CallerPhone: gridwarn.MaskPhone("13812345678"), EnterpriseName: "无名厂", Category: gridwarn.CategoryWageArrears,
		FiledBy: "hotline", FiledAt: testTime, DueAt: testTime.Add(72 * time.Hour)}
}

func (fakeHotline) FileCase(_ context.Context, p *gridwarn.Principal, f gridwarn.HotlineFiling) (gridwarn.HotlineCase, error) {
	if err := authz.Check(p, authz.FileHotlineCases); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	f.Normalize()
	if err := f.Validate(); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	return fakeCase(), nil
}

// seesCounty: only a county-wide view sees the held case.
func seesCounty(v gridwarn.Visibility) bool {
	return v.All || v.CountyCode == testCounty && v.TownCode == "" && len(v.GridCodes) == 0
}

func (fakeHotline) HotlineCases(_ context.Context, _ *gridwarn.Principal, v gridwarn.Visibility, _ gridwarn.HotlineFilter) ([]gridwarn.HotlineCase, error) {
	if !seesCounty(v) {
		return nil, nil
	}
	return []gridwarn.HotlineCase{fakeCase()}, nil
}

func (fakeHotline) HotlineCase(_ context.Context, _ *gridwarn.Principal, v gridwarn.Visibility, id int64) (gridwarn.HotlineCase, error) {
	if id != 1 || !seesCounty(v) {
		return gridwarn.HotlineCase{}, gridwarn.Errorf(gridwarn.ENOTFOUND, "hotline case not found")
	}
	return fakeCase(), nil
}

func (h fakeHotline) LinkCase(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id int64, enterprise string) (gridwarn.HotlineCase, error) {
	c, err := h.HotlineCase(ctx, p, v, id)
	if err != nil {
		return c, err
	}
	now := testTime.Add(time.Minute)
	c.Status, c.Enterprise, c.EventID, c.LinkedBy, c.LinkedAt, c.PublishedAt = gridwarn.HotlineForwarded, enterprise,
		gridwarn.HotlineEventID(testCounty, id), p.Username, &now, &now
	return c, nil
}

func (fakeHotline) HotlineCounts(_ context.Context, _ *gridwarn.Principal, v gridwarn.Visibility, p gridwarn.Period) (gridwarn.HotlineCounts, error) {
	c := gridwarn.NewHotlineCounts(p)
	if seesCounty(v) {
		c.Total, c.ByIntakeType[gridwarn.IntakeHelp], c.ByClass[gridwarn.ClassOrdinary], c.ByStatus[gridwarn.HotlineToIdentify] = 1, 1, 1, 1
	}
	return c, nil
}

// The port: a filing's bad fields are 400 before anything is stored; a
// town's administrator does not see the county's held case.
func TestHotlineRoutes(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	js := "application/json"
	rec := a.do(t, request{method: "POST", target: "/api/v1/hotline/cases", contentType: js, token: tokHotline,
		body: `{"caller_name":"王小明","caller_phone":"13812345678","intake_type":"help","class":"ordinary","enterprise_name":"无名厂","category":"wage_arrears"}`})
	if rec.Code != http.StatusCreated || strings.Contains(rec.Body.String(), "13812345678") {
		t.Fatalf("file: %d %s", rec.Code, rec.Body)
	}
	p := mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/hotline/cases", contentType: js, token: tokHotline,
		body: `{"caller_name":"","caller_phone":"x","intake_type":"help","class":"ordinary"}`}), "/api/v1/hotline/cases", 400, gridwarn.EINVALID)
	fields := map[string]bool{}
	for _, f := range p.Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"caller_name", "caller_phone", "enterprise", "category"} {
		if !fields[f] {
			t.Errorf("no field error on %s: %+v", f, p.Errors)
		}
	}
	mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/hotline/cases", contentType: js, token: tokHotline,
		body: `{"caller_name":"a","caller_phone":"13812345678","intake_type":"help","class":"ordinary","reporter":"x"}`}), "/api/v1/hotline/cases", 400, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: "/api/v1/hotline/cases/1", token: tokAdminB}), "/api/v1/hotline/cases/1", 404, gridwarn.ENOTFOUND)
	mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/hotline/cases/1/link", contentType: js, token: tokAdminB,
		body: `{"enterprise":"` + testEnterpriseB + `"}`}), "/api/v1/hotline/cases/1/link", 404, gridwarn.ENOTFOUND)
	mustProblem(t, a.do(t, request{target: "/api/v1/hotline/cases?status=open"}), "/api/v1/hotline/cases", 400, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{target: "/api/v1/hotline/counts?period=2026-13"}), "/api/v1/hotline/counts", 400, gridwarn.EINVALID)
	if rec := a.do(t, request{target: "/api/v1/hotline/counts?period=2026-Q4"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"total":1`) {
		t.Errorf("counts: %d %s", rec.Code, rec.Body)
	}
	if rec := a.do(t, request{target: "/api/v1/hotline/cases?status=to_identify"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "12351-20250301-0001") {
		t.Errorf("list: %d %s", rec.Code, rec.Body)
	}
}
