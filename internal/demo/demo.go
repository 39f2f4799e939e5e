// Package demo holds the demo county's enterprises and a simulator that
// publishes plausible risk events about them, as grid workers and direct
// report points would.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// CountyCode is the demo county's administrative code (Sheyang county,
// Jiangsu, the reference county of DOMAIN.md).
const CountyCode = "320924"

// Enterprise is a demo enterprise.
type Enterprise struct {
	CreditCode string
	Name       string
	Headcount  int
	// GridWorker is the username of a grid worker of the enterprise's
	// grid: the simulator's grid-worker reports come from them, so the
	// demo's grid worker sees the tickets "their" reports fed.
	GridWorker string
}

// Simulator publishes a random event about a random demo enterprise every
// interval until its context ends.
type Simulator struct {
	Publisher   natsbus.Publisher
	Enterprises []Enterprise
	Interval    time.Duration
	Rand        *rand.Rand
	Logger      *slog.Logger
	Now         func() time.Time
}

// Run publishes until ctx ends.
func (s *Simulator) Run(ctx context.Context) error {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if err := s.PublishOne(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("simulator: publish failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PublishOne publishes one random event.
func (s *Simulator) PublishOne(ctx context.Context) error {
	e := s.Event()
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	res, err := s.Publisher.PublishRaw(ctx, e.Subject(), e.ID, data)
	if err != nil {
		return err
	}
	s.Logger.Debug("simulator: event published", "event_id", e.ID, "enterprise", e.Enterprise, "category", e.Category, "stream_seq", res.Sequence)
	return nil
}

type scenario struct {
	category gridwarn.Category
	weight   int
	build    func(r *rand.Rand, ent Enterprise, e *gridwarn.Event)
}

func intp(n int) *int           { return &n }
func floatp(f float64) *float64 { return &f }
func boolp(b bool) *bool        { return &b }

var scenarios = []scenario{
	{gridwarn.CategoryWageArrears, 30, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		w := 1 + r.IntN(min(ent.Headcount, 120))
		months := float64(r.IntN(7)) / 2
		e.WorkersInvolved, e.MonthsInArrears = intp(w), floatp(months)
		e.AmountOwedCNY = floatp(float64(w) * 5200 * max(months, 0.5))
		e.Collective = boolp(w >= 10)
		e.Summary = fmt.Sprintf("%d名职工反映%s拖欠工资约%.1f个月", w, ent.Name, months)
	}},
	{gridwarn.CategorySocialInsuranceArrears, 10, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.MonthsInArrears = floatp(float64(1 + r.IntN(5)))
		e.Summary = "企业欠缴社会保险费，职工到工会咨询"
	}},
	{gridwarn.CategoryLayoff, 8, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.WorkersInvolved = intp(5 + r.IntN(ent.Headcount/2+1))
		e.Summary = "企业计划裁员，未提前三十日向工会说明情况"
	}},
	{gridwarn.CategoryOvertimeRest, 12, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.WorkersInvolved = intp(3 + r.IntN(40))
		e.Summary = "车间连续加班，每月超过36小时，无周休息日"
	}},
	{gridwarn.CategoryCollectiveAction, 6, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		actions := []gridwarn.Action{"stoppage", "gathering", "petition", "sit_in", "online_only"}
		e.Action = actions[r.IntN(len(actions))]
		e.WorkersInvolved = intp(8 + r.IntN(90))
		e.Collective = boolp(true)
		e.Summary = "部分职工因工资问题聚集，要求与企业负责人对话"
	}},
	{gridwarn.CategoryOwnerAbsconded, 1, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.WorkersInvolved = intp(ent.Headcount)
		e.Summary = "企业法定代表人联系不上，厂区设备被搬离"
	}},
	{gridwarn.CategoryContract, 10, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.WorkersInvolved = intp(1 + r.IntN(12))
		e.Summary = "新入职职工未签订书面劳动合同"
	}},
	{gridwarn.CategoryOnlineSentiment, 5, func(r *rand.Rand, ent Enterprise, e *gridwarn.Event) {
		e.Action = "online_only"
		e.Summary = "网络平台出现职工求助帖"
	}},
}

var reporterKinds = []gridwarn.ReporterKind{"grid_worker", "grid_worker", "direct_report_point", "hotline", "enterprise_system"}

// Event builds one random event.
func (s *Simulator) Event() gridwarn.Event {
	r := s.Rand
	ent := s.Enterprises[r.IntN(len(s.Enterprises))]
	total := 0
	for _, sc := range scenarios {
		total += sc.weight
	}
	pick := r.IntN(total)
	var sc scenario
	for _, sc = range scenarios {
		if pick < sc.weight {
			break
		}
		pick -= sc.weight
	}
	now := s.Now().Truncate(time.Second)
	loc := time.FixedZone("CST", 8*3600)
	occurred := now.Add(-time.Duration(r.IntN(72)) * time.Hour).In(loc)
	// Within the week it is reported in (Asia/Shanghai), so that a week's
	// summary, once built, does not change under later reports.
	if from, _ := isoweek.Bounds(isoweek.Of(now, loc), loc); occurred.Before(from) {
		occurred = from.Add(time.Duration(r.Int64N(int64(now.Sub(from)) + 1))).Truncate(time.Second).In(loc)
	}
	reported := now.In(loc)
	kind := reporterKinds[r.IntN(len(reporterKinds))]
	e := gridwarn.Event{
		ID:         "sim-" + uuid.NewString(),
		Enterprise: ent.CreditCode,
		Category:   sc.category,
		OccurredAt: occurred,
		ReportedAt: &reported,
		Reporter:   &gridwarn.Reporter{Kind: kind, ID: fmt.Sprintf("%s-%02d", kind, 1+r.IntN(20))},
	}
	if kind == "grid_worker" && ent.GridWorker != "" {
		e.Reporter.ID = ent.GridWorker
	}
	sc.build(r, ent, &e)
	return e
}
