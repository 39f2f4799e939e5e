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

// UnionList is a union status list of a day (a month's social-insurance
// list), loaded through the union status import with that day (as of).
type UnionList struct {
	AsOf string
	Rows []gridwarn.UnionRow
}

// UnionListMonths is how many past months' lists the demo loads.
const UnionListMonths = 4

// UnionHistory is the county's unionization drive over the last months,
// for a fresh demo: the registry as it was on a day before them (the
// day, and its enterprises: those that unionize or grow into the list
// later not yet so), then the list of each of the last UnionListMonths
// months before today's, dated the month's last day, in order — each
// month some enterprises of 25 or more workers form a union and some
// small ones grow to 25 and join the list (others join it as they reach a
// year in operation). The last list is the registry's state now (its
// has_union and headcount are d.Enterprises'), so a restart that loads
// the registry again changes nothing. The registry's day is the end of
// the month before the first list, or the end of last year if earlier, so
// the year's list (at January 1st) is known.
func (d CountyData) UnionHistory(today time.Time) (string, []gridwarn.Enterprise, []UnionList) {
	r := rand.New(rand.NewPCG(standingSeedHi, standingSeedLo+4))
	monthEnd := func(back int) time.Time { // the last day of the month back months before today's
		return time.Date(today.Year(), today.Month()-time.Month(back)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	registryDay := monthEnd(UnionListMonths + 1)
	if yearEnd := time.Date(today.Year()-1, 12, 31, 0, 0, 0, 0, time.UTC); yearEnd.Before(registryDay) {
		registryDay = yearEnd
	}
	final := d.UnionStatuses(today)
	// from[i] is the list (1…UnionListMonths) from which enterprise i has
	// its union, or its headcount of 25 or more; 0: as in the registry.
	from := make([]int, len(final))
	base := slices.Clone(d.Enterprises)
	small := make([]int, len(final))
	for i, e := range d.Enterprises {
		u := &final[i]
		// Opened before the registry's day (one opening day for every
		// list); those opened within the year before it reach a year in
		// operation over the months, and join the list then.
		if opened, _ := time.Parse(time.DateOnly, u.OpenedOn); opened.After(registryDay.AddDate(0, 0, -30)) {
			u.OpenedOn = registryDay.AddDate(0, 0, -30-r.IntN(330)).Format(time.DateOnly)
		}
		switch {
		case e.HasUnion && e.Headcount >= gridwarn.UnionizationHeadcount && r.IntN(100) < 12:
			from[i] = 1 + r.IntN(UnionListMonths)
			base[i].HasUnion = false
		case !e.HasUnion && e.Headcount >= gridwarn.UnionizationHeadcount && e.Headcount < 60 && r.IntN(100) < 30:
			from[i] = 1 + r.IntN(UnionListMonths)
			small[i] = 15 + r.IntN(gridwarn.UnionizationHeadcount-15)
			base[i].Headcount = small[i]
		}
		// One founding day for every list: not after the list that first
		// shows the union.
		if u.HasUnion {
			first := registryDay
			if from[i] > 0 {
				first = monthEnd(UnionListMonths - from[i] + 1)
				u.UnionSince = first.AddDate(0, 0, -r.IntN(first.Day())).Format(time.DateOnly)
			} else if since, _ := time.Parse(time.DateOnly, u.UnionSince); since.After(first) {
				u.UnionSince = first.AddDate(0, -1-r.IntN(24), 0).Format(time.DateOnly)
			}
		}
	}
	lists := make([]UnionList, 0, UnionListMonths)
	for k := 1; k <= UnionListMonths; k++ {
		l := UnionList{AsOf: monthEnd(UnionListMonths - k + 1).Format(time.DateOnly), Rows: make([]gridwarn.UnionRow, len(final))}
		for i, u := range final {
			n := d.Enterprises[i].Headcount
			if from[i] > k { // not yet
				if small[i] > 0 {
					n = small[i]
				} else {
					u.UnionStatus = gridwarn.UnionStatus{HasMediationCommittee: u.HasMediationCommittee, OpenedOn: u.OpenedOn}
				}
			}
			u.Headcount = &n
			l.Rows[i] = u
		}
		lists = append(lists, l)
	}
	return registryDay.Format(time.DateOnly), base, lists
}
