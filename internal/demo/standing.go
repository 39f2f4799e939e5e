package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The union's standing work in the demo county (issue 16): each
// enterprise's union status beyond has_union, and grid workers' visits over
// the last months with realistic gaps — a few grids fall behind. The
// county's share of unionized enterprises is not published: the demo's
// (unionPercent: about a quarter of the small, most of the large) is a
// plausible choice, not a figure from the sources.

const (
	standingSeedHi, standingSeedLo = 0x5eed_0016, 0x0000_0016
	// visitMonths is how many months back the demo's visits go.
	visitMonths = 4
)

// UnionStatuses are the union status rows of the county's enterprises on
// day today: when each began operating (a few within the last year), when
// its union was founded and its members, and for some without a union of
// their own the joint union of their town's trade they belong to.
func (d CountyData) UnionStatuses(today time.Time) []gridwarn.UnionRow {
	r := rand.New(rand.NewPCG(standingSeedHi, standingSeedLo))
	towns := map[string]string{}
	for _, t := range d.Towns {
		towns[t.Code] = t.NameZH
	}
	out := make([]gridwarn.UnionRow, 0, len(d.Enterprises))
	for _, e := range d.Enterprises {
		opened := today.AddDate(-2-r.IntN(14), -r.IntN(12), -r.IntN(28))
		if r.IntN(100) < 8 { // opened within the last year: not listed yet
			opened = today.AddDate(0, 0, -30-r.IntN(330))
		}
		u := gridwarn.UnionRow{CreditCode: e.CreditCode, UnionStatus: gridwarn.UnionStatus{HasUnion: e.HasUnion,
			HasMediationCommittee: e.HasMediationCommittee, OpenedOn: opened.Format(time.DateOnly)}}
		switch {
		case e.HasUnion:
			since := opened.AddDate(0, 3+r.IntN(36), 0)
			if since.After(today) {
				since = today.AddDate(0, -1, 0)
			}
			u.UnionSince = since.Format(time.DateOnly)
			u.UnionMembers = max(1, e.Headcount*(60+r.IntN(36))/100)
		case e.Headcount < 60 && r.IntN(100) < 35:
			// A small enterprise in its town's joint union of its trade;
			// those that grew past 25 may now form their own.
			u.JointUnion = strings.TrimSuffix(strings.TrimSuffix(towns[e.TownCode], "镇"), "街道") + sectionLabels[gridwarn.IndustrySection(e.IndustryCode)] + "联合工会"
		}
		out = append(out, u)
	}
	return out
}

// Visits are the grid workers' visits of the last visitMonths months up to
// today (a day of the county's calendar): key enterprises about monthly,
// the rest about quarterly, a few grids behind; mostly patrols, some
// interviews and workers' forums. Each visit is by its grid's first
// worker; its id is fixed, so loading them again stores nothing new.
func (d CountyData) Visits(today time.Time) []gridwarn.Visit {
	r := rand.New(rand.NewPCG(standingSeedHi, standingSeedLo+1))
	workers := map[string]string{}
	var grids []string
	for _, g := range d.Grids {
		if len(g.Workers) > 0 {
			workers[g.Code] = g.Workers[0]
			grids = append(grids, g.Code)
		}
	}
	slices.Sort(grids)
	behind := map[string]bool{}
	for i := 0; i < len(grids); i += 7 { // one grid in seven falls behind
		behind[grids[i]] = true
	}
	kinds := []gridwarn.VisitKind{gridwarn.VisitPatrol, gridwarn.VisitPatrol, gridwarn.VisitPatrol, gridwarn.VisitInterview, gridwarn.VisitWorkersForum}
	findings := []string{"工资按月发放，未发现异常。", "职工反映加班较多，已提醒企业依法安排休息。", "企业订单减少，关注后续用工变化。",
		"劳动合同签订齐全。", "食堂和宿舍条件已改善。", "工会活动正常开展。"}
	var out []gridwarn.Visit
	for _, e := range d.Enterprises {
		w := workers[e.GridCode]
		if w == "" {
			continue
		}
		every, chance := 3, 75 // months between visits, and the chance one happens
		if e.KeyEnterprise {
			every, chance = 1, 85
		}
		if behind[e.GridCode] {
			chance = 35
		}
		for m := 0; m < visitMonths; m += every {
			if r.IntN(100) >= chance {
				continue
			}
			day := today.AddDate(0, -m, -r.IntN(28))
			if day.After(today) {
				day = today
			}
			out = append(out, gridwarn.Visit{
				ID:         fmt.Sprintf("demo-visit-%s-%s", e.CreditCode, day.Format("20060102")),
				Enterprise: e.CreditCode, VisitedOn: day.Format(time.DateOnly), Kind: kinds[r.IntN(len(kinds))],
				PeopleMet: "企业负责人、工会主席", Findings: findings[r.IntN(len(findings))], Visitor: w,
			})
		}
	}
	return out
}
