package api

import (
	"context"
	"sync"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakePrivacy records what the port asked; the rules themselves are tested
// against PostgreSQL (internal/postgres/privacy_test.go).
type fakePrivacy struct {
	mu      sync.Mutex
	reasons []string
	grants  map[int64]bool
}

func (f *fakePrivacy) ReporterIdentities(_ context.Context, _ *gridwarn.Principal, _ gridwarn.Visibility, id int64, reason string) ([]gridwarn.EventReporter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reasons = append(f.reasons, reason)
	return []gridwarn.EventReporter{{EventID: "e1", Kind: "grid_worker", Pseudonym: "anon-0123456789", ID: "gw1"}}, nil
}

func (f *fakePrivacy) SetIdentityReader(_ context.Context, _ *gridwarn.Principal, userID int64, granted bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.grants == nil {
		f.grants = map[int64]bool{}
	}
	f.grants[userID] = granted
	return nil
}

func (f *fakePrivacy) IdentityReads(context.Context, *gridwarn.Principal, int64, int) ([]gridwarn.IdentityRead, error) {
	return nil, nil
}

// The port parses and passes on; a missing answer is 400 before the service.
func TestPrivacyRoutes(t *testing.T) {
	a := mustNewAPI(t, 3, 3, nil, nil)
	js := "application/json"
	rec := a.do(t, request{method: "POST", target: "/api/v1/tickets/1/reporters", contentType: js, body: `{"reason":"回访"}`, token: tokMediator})
	if rec.Code != 200 || len(a.privacy.reasons) != 1 || a.privacy.reasons[0] != "回访" {
		t.Errorf("reporters: %d %s, reasons %v", rec.Code, rec.Body, a.privacy.reasons)
	}
	mustProblem(t, a.do(t, request{method: "POST", target: "/api/v1/tickets/1/reporters", contentType: js, body: `{"why":"x"}`, token: tokMediator}),
		"/api/v1/tickets/1/reporters", 400, gridwarn.EINVALID)
	mustProblem(t, a.do(t, request{method: "PUT", target: "/api/v1/users/7/identity-reader", contentType: js, body: `{}`}),
		"/api/v1/users/7/identity-reader", 400, gridwarn.EINVALID)
	if rec := a.do(t, request{method: "PUT", target: "/api/v1/users/7/identity-reader", contentType: js, body: `{"granted":true}`}); rec.Code != 200 || !a.privacy.grants[7] {
		t.Errorf("grant: %d %s", rec.Code, rec.Body)
	}
	if p := pageOf[gridwarn.IdentityRead](t, a.do(t, request{target: "/api/v1/audit/identity-reads"})); len(p.Items) != 0 {
		t.Errorf("log = %+v", p)
	}
}
