package intake

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// Hotline implements gridwarn.HotlineService: it stores 12351 cases and
// turns each case about a registered enterprise into an event on the
// stream — the path every report takes (broker → engine → rules → ticket),
// with reporter kind "hotline" — so a hotline case is decided, routed and
// escalated like any signal, and a red one reaches the county at once.
type Hotline struct {
	Store     *postgres.DB
	Registry  gridwarn.RegistryService
	Publisher natsbus.Publisher
	Clock     gridwarn.HotlineClock
	Now       func() time.Time
	// Location is the county's calendar's time zone: the day in the
	// work-order number.
	Location *time.Location
	Window   gridwarn.EventWindow
}

var _ gridwarn.HotlineService = (*Hotline)(nil)

func (h *Hotline) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Hotline) loc() *time.Location {
	if h.Location != nil {
		return h.Location
	}
	return time.UTC
}

// notInRegistry is the 422 of a credit code the caller's scope does not see.
func notInRegistry() error {
	return &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE,
		Message: "the enterprise is not in the registry or not in your part of the territory; file the case with enterprise_name instead",
		Fields:  []gridwarn.FieldError{{Field: "enterprise", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
}

// FileCase: see gridwarn.HotlineService.
func (h *Hotline) FileCase(ctx context.Context, p *gridwarn.Principal, f gridwarn.HotlineFiling) (gridwarn.HotlineCase, error) {
	if err := authz.Check(p, authz.FileHotlineCases); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	if p.Scope.Kind != gridwarn.ScopeCounty {
		return gridwarn.HotlineCase{}, gridwarn.Errorf(gridwarn.EFORBIDDEN, "a hotline operator works for the whole county")
	}
	f.Normalize()
	if err := f.Validate(); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	now := h.now()
	if f.OccurredAt == nil && !f.ClosesAtOnce() {
		f.OccurredAt = &now
	}
	if f.OccurredAt != nil {
		// The same window as every event: the case's event must not become
		// a dead letter.
		e := gridwarn.Event{OccurredAt: *f.OccurredAt}
		if err := e.ValidateWindow(now, h.Window); err != nil {
			return gridwarn.HotlineCase{}, err
		}
	}
	status := gridwarn.HotlineToIdentify
	switch {
	case f.ClosesAtOnce():
		status = gridwarn.HotlineClosed
	case f.Enterprise != "":
		if _, err := h.Registry.Enterprise(ctx, authz.Visibility(p, authz.ReadRegistry), f.Enterprise); err != nil {
			if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
				return gridwarn.HotlineCase{}, notInRegistry()
			}
			return gridwarn.HotlineCase{}, err
		}
		status = gridwarn.HotlineForwarded
	}
	if f.Class == "" {
		f.Class = gridwarn.ClassOrdinary
	}
	local := now.In(h.loc())
	c, err := h.Store.InsertHotlineCase(ctx, postgres.HotlineRecord{
		Filing: f, County: p.Scope.UnitCode, FiledBy: p.Username, FiledAt: now,
		Day:   time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC),
		DueAt: h.Clock.HotlineDue(f.Class, now), Status: status,
	})
	if err != nil {
		return c, err
	}
	if c.Status == gridwarn.HotlineForwarded {
		return h.publish(ctx, c)
	}
	return c, nil
}

// publish puts the case's event on the stream (its id derived from the
// case id, so a retry is the same event) and records when it went.
func (h *Hotline) publish(ctx context.Context, c gridwarn.HotlineCase) (gridwarn.HotlineCase, error) {
	ent, err := h.Registry.Enterprise(ctx, gridwarn.Visibility{All: true}, c.Enterprise)
	if err != nil {
		return c, err
	}
	occurred := c.FiledAt
	if c.OccurredAt != nil {
		occurred = *c.OccurredAt
	}
	e := gridwarn.Event{
		ID: c.EventID, Enterprise: c.Enterprise, Category: c.Category, OccurredAt: occurred, ReportedAt: &c.FiledAt,
		WorkersInvolved: c.WorkersInvolved, AmountOwedCNY: c.AmountOwedCNY, Summary: c.Summary,
		Reporter: &gridwarn.Reporter{Kind: "hotline", ID: gridwarn.HotlineReporterID(c.ID)},
	}
	if c.Collective {
		e.Collective = &c.Collective
	}
	data, err := json.Marshal(e)
	if err != nil {
		return c, err
	}
	if _, err := h.Publisher.PublishRaw(ctx, ent.EventSubject(), e.ID, data); err != nil {
		return c, &gridwarn.Error{Code: gridwarn.EUNAVAILABLE,
			Message: "the case is saved as " + c.WorkOrder + " but the event stream is unavailable; link it again to retry", Err: err}
	}
	at := h.now()
	if err := h.Store.MarkHotlinePublished(ctx, c.ID, at); err != nil {
		return c, err
	}
	if c.PublishedAt == nil {
		c.PublishedAt = &at
	}
	return c, nil
}

// HotlineCases: see gridwarn.HotlineService.
func (h *Hotline) HotlineCases(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, f gridwarn.HotlineFilter) ([]gridwarn.HotlineCase, error) {
	if err := authz.Check(p, authz.ReadHotlineCases); err != nil {
		return nil, err
	}
	return h.Store.HotlineCasesIn(ctx, v, f)
}

// HotlineCase: see gridwarn.HotlineService.
func (h *Hotline) HotlineCase(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id int64) (gridwarn.HotlineCase, error) {
	if err := authz.Check(p, authz.ReadHotlineCases); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	return h.Store.HotlineCaseIn(ctx, v, id)
}

// LinkCase: see gridwarn.HotlineService. The enterprise must be in the
// registry within the administrator's scope (create it first through the
// registry, PUT /api/v1/enterprises/{code}).
func (h *Hotline) LinkCase(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id int64, enterprise string) (gridwarn.HotlineCase, error) {
	if err := authz.Check(p, authz.LinkHotlineCases); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	if err := gridwarn.ValidateCreditCode(enterprise); err != nil {
		return gridwarn.HotlineCase{}, gridwarn.Invalid("invalid link",
			gridwarn.FieldError{Field: "enterprise", Rule: gridwarn.RuleCreditCode, Message: err.Error()})
	}
	// The case first: one outside v is not found, whatever the body says.
	if _, err := h.Store.HotlineCaseIn(ctx, v, id); err != nil {
		return gridwarn.HotlineCase{}, err
	}
	if _, err := h.Registry.Enterprise(ctx, v, enterprise); err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
			return gridwarn.HotlineCase{}, notInRegistry()
		}
		return gridwarn.HotlineCase{}, err
	}
	c, err := h.Store.LinkHotlineCase(ctx, v, id, enterprise, p.Username)
	if err != nil {
		return c, err
	}
	return h.publish(ctx, c)
}

// HotlineCounts: see gridwarn.HotlineService. The period's days are the
// county's calendar's.
func (h *Hotline) HotlineCounts(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, period gridwarn.Period) (gridwarn.HotlineCounts, error) {
	if err := authz.Check(p, authz.ReadHotlineCases); err != nil {
		return gridwarn.HotlineCounts{}, err
	}
	local := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, h.loc()) }
	return h.Store.HotlineCountsIn(ctx, v, period, local(period.From), local(period.To))
}
