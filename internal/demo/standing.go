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

// Contacts are the county's "1+x" assignments (seed 004): the leader and
// each mediator (not the simulated ones) linked to one enterprise of their
// scope — a key enterprise where there is one — following one to three
// workers in difficulty, recorded by hardship-file number only.
func (d CountyData) Contacts(today time.Time) []gridwarn.ContactRow {
	r := rand.New(rand.NewPCG(standingSeedHi, standingSeedLo+2))
	byTown := map[string][]gridwarn.Enterprise{}
	var county []gridwarn.Enterprise
	for _, e := range d.Enterprises {
		byTown[e.TownCode] = append(byTown[e.TownCode], e)
		county = append(county, e)
	}
	taken := map[string]bool{}
	pick := func(es []gridwarn.Enterprise) string {
		var keys, rest []string
		for _, e := range es {
			if taken[e.CreditCode] {
				continue
			}
			if e.KeyEnterprise {
				keys = append(keys, e.CreditCode)
			} else {
				rest = append(rest, e.CreditCode)
			}
		}
		from := keys
		if len(from) == 0 {
			from = rest
		}
		if len(from) == 0 {
			return ""
		}
		c := from[r.IntN(len(from))]
		taken[c] = true
		return c
	}
	kinds := []gridwarn.Difficulty{gridwarn.DifficultyIllness, gridwarn.DifficultyIllness, gridwarn.DifficultyDisability,
		gridwarn.DifficultyJobLoss, gridwarn.DifficultyWageArrears, gridwarn.DifficultySchooling, gridwarn.DifficultyInjury}
	notes := []string{"已申请医疗互助。", "子女就学，已纳入金秋助学。", "每月电话联系一次。", ""}
	var out []gridwarn.ContactRow
	file := 0
	for _, u := range d.Users {
		if IsSimulated(u.Username) || (u.Role != gridwarn.RoleLeader && u.Role != gridwarn.RoleMediator) {
			continue
		}
		es := county
		if u.Scope.Kind == gridwarn.ScopeTown {
			es = byTown[u.Scope.UnitCode]
		}
		code := pick(es)
		if code == "" {
			continue
		}
		row := gridwarn.ContactRow{Person: u.Username, Enterprise: code, Workers: []gridwarn.ContactWorker{}}
		for range 1 + r.IntN(3) {
			file++
			row.Workers = append(row.Workers, gridwarn.ContactWorker{
				Label:      fmt.Sprintf("KN-%d-%04d", today.Year()-r.IntN(3), file),
				Difficulty: kinds[r.IntN(len(kinds))],
				Since:      today.AddDate(0, -1-r.IntN(30), -r.IntN(28)).Format(time.DateOnly),
				Note:       notes[r.IntN(len(notes))],
			})
		}
		out = append(out, row)
	}
	return out
}

// ContactVisits are the contact people's visits to their enterprises this
// year: most went, some did not yet (the listing shows who).
func (d CountyData) ContactVisits(today time.Time) []gridwarn.Visit {
	r := rand.New(rand.NewPCG(standingSeedHi, standingSeedLo+3))
	jan1 := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	var out []gridwarn.Visit
	for _, c := range d.Contacts(today) {
		if r.IntN(100) >= 70 {
			continue
		}
		day := jan1.AddDate(0, 0, r.IntN(int(today.Sub(jan1).Hours()/24)+1))
		out = append(out, gridwarn.Visit{
			ID:         fmt.Sprintf("demo-contact-%s-%s", c.Person, day.Format("20060102")),
			Enterprise: c.Enterprise, VisitedOn: day.Format(time.DateOnly), Kind: gridwarn.VisitInterview,
			PeopleMet: "企业负责人、工会主席、困难职工", Findings: "走访联系企业，了解困难职工近况。", Visitor: c.Person,
		})
	}
	return out
}
