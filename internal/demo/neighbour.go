package demo

import (
	"fmt"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The neighbouring county of the demo (issue 17 item 3): 阜宁县, where
// many of Sheyang's migrant workers come from, with two towns, a joint grid
// each, three enterprises and its union's people, so that a newcomer can
// hand a case off from 320924 and accept it in 320923 on one deployment.

// NeighbourCode is the second demo county's code.
const NeighbourCode = "320923"

// NeighbourMediator is the neighbouring county's head mediator: the login
// the demo prints for reviewing the linked case's reply.
const NeighbourMediator = "mediator-320923-1"

// NeighbourWorker is the neighbouring county's other mediator: the login
// the demo prints for accepting a hand-off and working the linked case (a
// reply is reviewed by a tier head other than its author, so the second
// county needs both to close a case).
const NeighbourWorker = "mediator-320923-2"

// Neighbour returns the second demo county.
func Neighbour() CountyData {
	d := CountyData{County: gridwarn.Unit{Code: NeighbourCode, Kind: gridwarn.UnitCounty, NameZH: "阜宁县", NameEN: "Funing County"}}
	towns := []struct{ suffix, zh, en, ind string }{
		{"100", "阜城街道", "Fucheng Subdistrict", "C"},
		{"101", "沟墩镇", "Goudun Town", "E"},
	}
	ents := []struct {
		town      int
		name, ind string
		headcount int
	}{
		{0, "阜宁县恒达纺织有限公司", "C1713", 86},
		{0, "阜宁县新城电子科技有限公司", "C3982", 140},
		{1, "阜宁县沟墩建筑工程有限公司", "E4790", 60},
	}
	county := gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: NeighbourCode}
	d.Users = []gridwarn.User{
		{Username: "leader-320923", DisplayName: "阜宁县总工会主席", Role: gridwarn.RoleLeader, Scope: county},
		{Username: NeighbourMediator, DisplayName: "阜宁县调解员一", Role: gridwarn.RoleMediator, Scope: county, TierHead: true},
		{Username: NeighbourWorker, DisplayName: "阜宁县调解员二", Role: gridwarn.RoleMediator, Scope: county},
	}
	for _, t := range towns {
		code := NeighbourCode + t.suffix
		d.Towns = append(d.Towns, gridwarn.Unit{Code: code, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown,
			ParentCode: NeighbourCode, NameZH: t.zh, NameEN: t.en})
		gw := "gw-" + code + "-1"
		d.Grids = append(d.Grids, gridwarn.Grid{Code: code + "-J01", TownCode: code, Kind: gridwarn.GridJoint,
			Name: t.zh + "第一联合网格", Industry: t.ind, Workers: []string{gw}})
		d.Users = append(d.Users, gridwarn.User{Username: gw, DisplayName: t.zh + "网格员", Role: gridwarn.RoleGridWorker,
			Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: NeighbourCode, GridCodes: []string{code + "-J01"}}})
	}
	for i, e := range ents {
		first17 := fmt.Sprintf("91%sMA%07d", NeighbourCode, i+1)
		c, err := gridwarn.CreditCodeCheckChar(first17)
		if err != nil {
			panic(err) // a fixed pattern: cannot fail
		}
		town := d.Towns[e.town]
		d.Enterprises = append(d.Enterprises, gridwarn.Enterprise{CreditCode: first17 + string(c), Name: e.name, IndustryCode: e.ind,
			Ownership: "private", Headcount: e.headcount, ComplianceGrade: "B", RegisteredCapitalCNY: 5_000_000,
			TownCode: town.Code, GridCode: town.Code + "-J01"})
	}
	return d
}
