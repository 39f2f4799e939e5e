package rules

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The clocks of the outside bodies a ticket is referred to (issue 17 item
// 2; DOMAIN.md "Legal clocks", "Outside bodies and the 12351 hotline"):
// rules.yaml's outside_bodies, one entry per kind of body, each with
// accept (from the referral to the body's decision to take the case),
// decide (from its acceptance to its award or finding) and extension (what
// an approved extension adds to decide). A body without an entry (a court,
// legal aid) has no clocks.

// BodyLimits are the clocks of one kind of outside body.
type BodyLimits struct {
	Accept, Decide, Extension Limit
}

// defaultBodies are the law's numbers: the Labor Dispute Mediation and
// Arbitration Law arts. 29 and 43, and the labour inspection rules.
func defaultBodies() map[string]BodyLimits {
	return map[string]BodyLimits{
		gridwarn.BodyArbitration: {Accept: Limit{Wall: 5 * 24 * time.Hour}, Decide: Limit{Wall: 45 * 24 * time.Hour},
			Extension: Limit{Wall: 15 * 24 * time.Hour}},
		gridwarn.BodyLaborInspection: {Accept: Limit{WorkingDays: 5}, Decide: Limit{WorkingDays: 60}, Extension: Limit{WorkingDays: 30}},
	}
}

func (p *parser) outsideBodies(n *yaml.Node, r *Rules) {
	const w = "outside_bodies"
	r.bodies = map[string]BodyLimits{}
	for _, f := range p.mapping(n, "", w, gridwarn.ReferralBodies...) {
		where := w + "." + f.key
		var bl BodyLimits
		got := map[string]bool{}
		for _, g := range p.mapping(f.v, "", where, "accept", "decide", "extension") {
			lim, err := parseLimit(p.str(g.v, "", where+"."+g.key))
			if err != nil {
				p.fail(g.v, "", "%s.%s: %v", where, g.key, err)
			}
			got[g.key] = true
			switch g.key {
			case "accept":
				bl.Accept = lim
			case "decide":
				bl.Decide = lim
			case "extension":
				bl.Extension = lim
			}
		}
		for _, k := range []string{"accept", "decide"} {
			if !got[k] {
				p.fail(f.v, "", "%s: %s is required", where, k)
			}
		}
		r.bodies[f.key] = bl
	}
}

// Bodies returns the clocks of each kind of outside body.
func (r *Rules) Bodies() map[string]BodyLimits {
	if r.bodies == nil {
		return defaultBodies()
	}
	return r.bodies
}

// BodyClock is when the clock kind of a body of kind body started at start
// reminds and is due; extended adds the approved extension to decide.
func (r *Rules) BodyClock(body string, kind gridwarn.ClockKind, start time.Time, extended bool) (gridwarn.ClockPlan, bool) {
	bl, ok := r.Bodies()[body]
	if !ok {
		return gridwarn.ClockPlan{}, false
	}
	var due time.Time
	switch kind {
	case gridwarn.ClockBodyAccept:
		due = bl.Accept.Due(r.cal, start)
	case gridwarn.ClockBodyDecide:
		due = bl.Decide.Due(r.cal, start)
		if extended && (bl.Extension.Wall > 0 || bl.Extension.WorkingDays > 0) {
			due = bl.Extension.Due(r.cal, due)
		}
	default:
		return gridwarn.ClockPlan{}, false
	}
	span := due.Sub(start)
	if r.timeScale != 1 {
		span = time.Duration(float64(span) * r.timeScale)
	}
	if span <= 0 {
		return gridwarn.ClockPlan{}, false
	}
	return gridwarn.ClockPlan{Kind: kind, DueAt: start.Add(span), RemindAt: start.Add(time.Duration(float64(span) * r.reminder))}, true
}

var _ gridwarn.BodyClockPlanner = (*Rules)(nil)
