package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

const reportsURL = "/api/v1/reports"

// reportBody is a valid report about enterprise with the given id ("" for none).
func reportBody(id, enterprise string) string {
	b := fmt.Sprintf(okReportBody, enterprise)
	if id != "" {
		b = `{"id":"` + id + `",` + b[1:]
	}
	return b
}

func reportReq(token, body, key string) request {
	r := request{method: "POST", target: reportsURL, contentType: "application/json", body: body, token: token}
	if key != "" {
		r.header = map[string]string{"Idempotency-Key": key}
	}
	return r
}

func TestReport(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	for _, tc := range []struct {
		name, token, body, key string
		want                   gridwarn.ReportReceipt
	}{
		{"id in the body", tokGridWorker, reportBody("evt-1", testEnterprise), "", gridwarn.ReportReceipt{EventID: "evt-1"}},
		{"id from Idempotency-Key", tokGridWorker, reportBody("", testEnterprise2), "key-2", gridwarn.ReportReceipt{EventID: "key-2"}},
		{"both, equal", tokReporter, reportBody("evt-3", testEnterprise), "evt-3", gridwarn.ReportReceipt{EventID: "evt-3"}},
		{"retry", tokGridWorker, reportBody("", testEnterprise2), "key-2", gridwarn.ReportReceipt{EventID: "key-2", Duplicate: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(t, reportReq(tc.token, tc.body, tc.key))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
			}
			raw := decodeJSONBody[map[string]any](t, rec.Body.Bytes())
			if len(raw) != 2 || raw["event_id"] == nil || raw["duplicate"] == nil {
				t.Errorf("receipt must be exactly {event_id, duplicate}: %s", rec.Body)
			}
			if diff := cmp.Diff(tc.want, decodeJSONBody[gridwarn.ReportReceipt](t, rec.Body.Bytes())); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
	}
	want := []string{"gw1 evt-1 " + testEnterprise, "gw1 key-2 " + testEnterprise2, "drp1 evt-3 " + testEnterprise}
	if diff := cmp.Diff(want, a.reports.reports); diff != "" {
		t.Errorf("reports reaching the service, as whom (-want +got):\n%s", diff)
	}
}

func TestReportRefused(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	unknown := creditCode(999)
	wrongCheck := testEnterprise[:17] + map[bool]string{true: "1", false: "0"}[testEnterprise[17] == '0']
	for _, tc := range []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
		wantFields []string
	}{
		{"id differs from key", reportReq(tokGridWorker, reportBody("evt-1", testEnterprise), "evt-2"), 400, "invalid", []string{"id"}},
		{"id not a string, with key", reportReq(tokGridWorker, strings.Replace(reportBody("x", testEnterprise), `"x"`, `5`, 1), "5"), 400, "invalid", []string{"id"}},
		{"no id at all", reportReq(tokGridWorker, reportBody("", testEnterprise), ""), 400, "invalid", []string{"id"}},
		{"bad key", reportReq(tokGridWorker, reportBody("", testEnterprise), "has space"), 400, "invalid", []string{"Idempotency-Key"}},
		{"key too long", reportReq(tokGridWorker, reportBody("", testEnterprise), strings.Repeat("k", 65)), 400, "invalid", []string{"Idempotency-Key"}},
		{"reporter set by the caller", reportReq(tokGridWorker, strings.Replace(reportBody("evt-9", testEnterprise), "{", `{"reporter":{"kind":"hotline"},`, 1), ""), 400, "invalid", []string{"reporter"}},
		{"reporter null", reportReq(tokGridWorker, strings.Replace(reportBody("evt-9", testEnterprise), "{", `{"reporter":null,`, 1), ""), 400, "invalid", []string{"reporter"}},
		{"unknown field", reportReq(tokGridWorker, strings.Replace(reportBody("evt-9", testEnterprise), "{", `{"severity":"high",`, 1), ""), 400, "invalid", []string{"severity"}},
		{"breaks the contract", reportReq(tokGridWorker, strings.Replace(reportBody("evt-9", testEnterprise), "wage_arrears", "Wage", 1), ""), 400, "invalid", []string{"category"}},
		{"malformed JSON", reportReq(tokGridWorker, `{"id":`, ""), 400, "invalid", []string{""}},
		{"array", reportReq(tokGridWorker, `[]`, "k1"), 400, "invalid", []string{""}},
		{"null with key", reportReq(tokGridWorker, `null`, "k1"), 400, "invalid", []string{""}},
		{"null", reportReq(tokGridWorker, `null`, ""), 400, "invalid", []string{""}},
		{"two objects", reportReq(tokGridWorker, reportBody("evt-9", testEnterprise)+"{}", ""), 400, "invalid", []string{""}},
		{"empty body", reportReq(tokGridWorker, ``, "k1"), 400, "invalid", []string{""}},
		{"unknown query parameter", func() request {
			r := reportReq(tokGridWorker, reportBody("evt-9", testEnterprise), "")
			r.target += "?async=1"
			return r
		}(), 400, "invalid", []string{"async"}},
		{"outside the grid worker's grid", reportReq(tokGridWorker, reportBody("evt-10", testEnterpriseB), ""), 422, "unprocessable", []string{"enterprise"}},
		{"unknown enterprise", reportReq(tokReporter, reportBody("evt-11", unknown), ""), 422, "unprocessable", []string{"enterprise"}},
		{"wrong check character", reportReq(tokReporter, reportBody("evt-12", wrongCheck), ""), 400, "invalid", []string{"enterprise"}},
		{"oversize", reportReq(tokGridWorker, strings.Replace(reportBody("evt-9", testEnterprise), "{", `{"summary":"`+strings.Repeat("x", testMaxBodyBytes)+`",`, 1), ""), 413, "too_large", nil},
		{"no content type", func() request {
			r := reportReq(tokGridWorker, reportBody("evt-9", testEnterprise), "")
			r.contentType = ""
			return r
		}(), 415, "unsupported_media_type", nil},
		{"form content type", func() request {
			r := reportReq(tokGridWorker, reportBody("evt-9", testEnterprise), "")
			r.contentType = "application/x-www-form-urlencoded"
			return r
		}(), 415, "unsupported_media_type", nil},
		{"no token", func() request {
			r := reportReq("", reportBody("evt-9", testEnterprise), "")
			r.auth = ptr("")
			return r
		}(), 401, "unauthorized", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(t, tc.req)
			p := mustProblem(t, rec, reportsURL, tc.wantStatus, tc.wantCode)
			if tc.wantFields != nil {
				if diff := cmp.Diff(tc.wantFields, fieldNames(p)); diff != "" {
					t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, rec.Body)
				}
			}
		})
	}
	if len(a.reports.reports) != 0 {
		t.Errorf("refused reports reached the service: %v", a.reports.reports)
	}
}
