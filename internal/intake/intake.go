// Package intake accepts reports from people over HTTP and puts them on the
// event stream, so that every event takes one path: broker → engine →
// PostgreSQL.
package intake

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// Service implements gridwarn.ReportService.
type Service struct {
	Registry  gridwarn.RegistryService
	Publisher natsbus.Publisher
	Now       func() time.Time
	// Window bounds the event's dates (config events.*); the engine checks
	// the same window, so a report refused here would be a dead letter there.
	Window gridwarn.EventWindow

	inScope scopeCache // enterprises found in a visibility, for ScopeCacheTTL
}

var _ gridwarn.ReportService = (*Service)(nil)

// reporterKinds says which reporter kind each reporting role is.
var reporterKinds = map[gridwarn.Role]gridwarn.ReporterKind{
	gridwarn.RoleGridWorker: "grid_worker",
	gridwarn.RoleReporter:   "direct_report_point",
}

// Report checks the event's dates against the window and that the
// enterprise exists inside the caller's scope (422 otherwise), fills in the
// reporter from the caller, and publishes the event with its id as
// Nats-Msg-Id. A retry with the same id is one event:
// the stream drops it within its duplicate window, the inbox after.
func (s *Service) Report(ctx context.Context, p *gridwarn.Principal, e gridwarn.Event) (gridwarn.ReportReceipt, error) {
	if err := authz.Check(p, authz.CreateReports); err != nil {
		return gridwarn.ReportReceipt{}, err
	}
	if err := e.ValidateWindow(s.Now(), s.Window); err != nil {
		return gridwarn.ReportReceipt{}, err
	}
	ent, err := s.enterprise(ctx, authz.Visibility(p, authz.CreateReports), e.Enterprise)
	if err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
			return gridwarn.ReportReceipt{}, &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE,
				Message: "the enterprise is not in the registry or not in your part of the territory",
				Fields:  []gridwarn.FieldError{{Field: "enterprise", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
		}
		return gridwarn.ReportReceipt{}, err
	}
	e.Reporter = &gridwarn.Reporter{Kind: reporterKinds[p.Role], ID: p.Username}
	if e.ReportedAt == nil {
		now := s.Now()
		e.ReportedAt = &now
	}
	data, err := json.Marshal(e)
	if err != nil {
		return gridwarn.ReportReceipt{}, err
	}
	// On the county the enterprise lies in, which the engine checks (a
	// credit code may have been issued by another division).
	res, err := s.Publisher.PublishRaw(ctx, ent.EventSubject(), e.ID, data)
	if err != nil {
		return gridwarn.ReportReceipt{}, &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "the event stream is unavailable; retry with the same id", Err: err}
	}
	return gridwarn.ReportReceipt{EventID: e.ID, Duplicate: res.Duplicate}, nil
}

// enterprise is the registry's enterprise code as v sees it, from the
// scope cache when it was found there within ScopeCacheTTL.
func (s *Service) enterprise(ctx context.Context, v gridwarn.Visibility, code string) (*gridwarn.Enterprise, error) {
	key := scopeKey(v, code)
	now := time.Now()
	if ent, ok := s.inScope.get(key, now); ok {
		return &ent, nil
	}
	ent, err := s.Registry.Enterprise(ctx, v, code)
	if err != nil {
		return nil, err
	}
	s.inScope.put(key, *ent, now.Add(ScopeCacheTTL))
	return ent, nil
}
