package demo

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

const defaultThreshold = gridwarn.DefaultIndependentThreshold

func TestCountyIsDeterministic(t *testing.T) {
	a, b := County(defaultThreshold), County(defaultThreshold)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two calls differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(a, County(0)); diff != "" {
		t.Fatalf("threshold 0 is not the default (-default +zero):\n%s", diff)
	}
	if diff := cmp.Diff(DemoLogins(), DemoLogins()); diff != "" {
		t.Fatalf("DemoLogins differ:\n%s", diff)
	}
}

func TestCountyUnits(t *testing.T) {
	d := County(defaultThreshold)
	want := gridwarn.Unit{Code: "320924", Kind: gridwarn.UnitCounty, NameZH: "射阳县", NameEN: "Sheyang County"}
	if d.County != want {
		t.Errorf("county = %+v, want %+v", d.County, want)
	}
	if len(d.Towns) != 15 {
		t.Fatalf("%d towns, want 15", len(d.Towns))
	}
	codeRe := regexp.MustCompile(`^320924\d{3}$`)
	codes, namesZH, namesEN := map[string]bool{}, map[string]bool{}, map[string]bool{}
	parks := 0
	for _, u := range d.Towns {
		if !codeRe.MatchString(u.Code) || u.Kind != gridwarn.UnitTown || u.ParentCode != "320924" {
			t.Errorf("town %+v: bad code, kind or parent", u)
		}
		if codes[u.Code] || namesZH[u.NameZH] || namesEN[u.NameEN] {
			t.Errorf("town %+v: duplicate code or name", u)
		}
		codes[u.Code], namesZH[u.NameZH], namesEN[u.NameEN] = true, true, true
		if !hasHan(u.NameZH) || u.NameEN == "" || !isASCII(u.NameEN) {
			t.Errorf("town %+v: want a Chinese and an English name", u)
		}
		switch u.TownType {
		case gridwarn.TownPark:
			parks++
			if !strings.HasSuffix(u.NameZH, "开发区") {
				t.Errorf("park %s is not a development zone", u.NameZH)
			}
		case gridwarn.TownTown, gridwarn.TownSubdistrict:
		default:
			t.Errorf("town %s: type %q", u.NameZH, u.TownType)
		}
	}
	if parks != 2 {
		t.Errorf("%d parks, want 2", parks)
	}
	for _, name := range []string{"合德镇", "临海镇", "千秋镇", "四明镇", "海河镇", "海通镇", "兴桥镇", "新坍镇", "长荡镇", "盘湾镇", "特庸镇", "洋马镇", "黄沙港镇", "射阳经济开发区", "射阳港经济开发区"} {
		if !namesZH[name] {
			t.Errorf("town %s missing", name)
		}
	}
}

func TestCountyMatchesTheReferenceCounty(t *testing.T) {
	d := County(defaultThreshold)
	kinds := map[gridwarn.GridKind]int{}
	for _, g := range d.Grids {
		kinds[g.Kind]++
	}
	if kinds[gridwarn.GridPark] != 2 || kinds[gridwarn.GridIndependent] != 29 || kinds[gridwarn.GridJoint] != 62 || len(d.Grids) != 93 {
		t.Errorf("grids = %v (%d), want 2 park, 29 independent, 62 joint (93)", kinds, len(d.Grids))
	}
	if len(d.Enterprises) != 539 {
		t.Errorf("%d enterprises, want 539", len(d.Enterprises))
	}
	key := 0
	for _, e := range d.Enterprises {
		if e.KeyEnterprise {
			key++
		}
	}
	if key != 18 {
		t.Errorf("%d key enterprises, want 18", key)
	}
	// Direct report points: all 15 towns and the 18 key enterprises.
	reporters := 0
	for _, u := range d.Users {
		if u.Role == gridwarn.RoleReporter {
			reporters++
		}
	}
	if reporters != 15+18 {
		t.Errorf("%d reporters, want 33", reporters)
	}
}

func TestEnterprisesAreWellFormed(t *testing.T) {
	d := County(defaultThreshold)
	industryRe := regexp.MustCompile(`^[A-T]\d{4}$`)
	codes, names := map[string]bool{}, map[string]bool{}
	towns := map[string]gridwarn.Unit{}
	for _, u := range d.Towns {
		towns[u.Code] = u
	}
	private, graded := 0, map[string]int{}
	var bigOutsideParks, parkSizes = 0, map[string]int{}
	for _, e := range d.Enterprises {
		if err := gridwarn.ValidateCreditCode(e.CreditCode); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		if !strings.HasPrefix(e.CreditCode, "91320924") {
			t.Errorf("%s: credit code %s not a company of the county", e.Name, e.CreditCode)
		}
		if codes[e.CreditCode] {
			t.Errorf("credit code %s repeated", e.CreditCode)
		}
		codes[e.CreditCode] = true
		if names[e.Name] || !strings.HasSuffix(e.Name, "有限公司") || !hasHan(e.Name) {
			t.Errorf("name %q repeated or not a company name", e.Name)
		}
		names[e.Name] = true
		if !industryRe.MatchString(e.IndustryCode) {
			t.Errorf("%s: industry code %q", e.Name, e.IndustryCode)
		}
		if !slices.Contains(gridwarn.Ownerships, e.Ownership) {
			t.Errorf("%s: ownership %q", e.Name, e.Ownership)
		}
		if e.Ownership == "private" {
			private++
		}
		if e.Headcount < 8 || e.Headcount > 2000 {
			t.Errorf("%s: headcount %d", e.Name, e.Headcount)
		}
		graded[e.ComplianceGrade]++
		if !slices.Contains([]string{"A", "B", "C"}, e.ComplianceGrade) {
			t.Errorf("%s: grade %q", e.Name, e.ComplianceGrade)
		}
		if e.RegisteredCapitalCNY < 500_000 || e.RegisteredCapitalCNY > 200_000_000 {
			t.Errorf("%s: capital %.0f", e.Name, e.RegisteredCapitalCNY)
		}
		if e.HasMediationCommittee && !e.HasUnion {
			t.Errorf("%s: mediation committee without a union", e.Name)
		}
		town, ok := towns[e.TownCode]
		if !ok {
			t.Errorf("%s: unknown town %s", e.Name, e.TownCode)
			continue
		}
		if town.TownType == gridwarn.TownPark {
			parkSizes[town.Code]++
		} else if e.Headcount >= defaultThreshold {
			bigOutsideParks++
		}
	}
	if bigOutsideParks != 29 {
		t.Errorf("%d enterprises outside the parks with ≥ %d workers, want 29", bigOutsideParks, defaultThreshold)
	}
	for code, n := range parkSizes {
		if n < 40 || n > 60 {
			t.Errorf("park %s has %d enterprises, want 40–60", code, n)
		}
	}
	if private*2 < len(d.Enterprises) {
		t.Errorf("only %d of %d enterprises private", private, len(d.Enterprises))
	}
	if graded["C"] >= graded["A"] || graded["C"] >= graded["B"] {
		t.Errorf("grades %v: want mostly A and B", graded)
	}
	small := 0
	for _, e := range d.Enterprises {
		if e.Headcount < 200 {
			small++
		}
	}
	if small*10 < len(d.Enterprises)*8 {
		t.Errorf("only %d of %d enterprises below 200 workers", small, len(d.Enterprises))
	}
}

// The key enterprises are the largest ones.
func TestKeyEnterprisesAreTheLargest(t *testing.T) {
	d := County(defaultThreshold)
	smallestKey, largestOther := 1<<31, 0
	for _, e := range d.Enterprises {
		if e.KeyEnterprise {
			smallestKey = min(smallestKey, e.Headcount)
			if !e.HasUnion {
				t.Errorf("key enterprise %s has no union", e.Name)
			}
		} else {
			largestOther = max(largestOther, e.Headcount)
		}
	}
	if smallestKey < largestOther {
		t.Errorf("a key enterprise has %d workers, an ordinary one %d", smallestKey, largestOther)
	}
}

func TestGridsAreWellFormed(t *testing.T) {
	d := County(defaultThreshold)
	towns := map[string]gridwarn.Unit{}
	for _, u := range d.Towns {
		towns[u.Code] = u
	}
	perGrid := map[string]int{}
	for _, e := range d.Enterprises {
		perGrid[e.GridCode]++
	}
	codes, names := map[string]bool{}, map[string]bool{}
	jointKey := map[string]bool{}
	prefix := map[gridwarn.GridKind]string{gridwarn.GridPark: "P", gridwarn.GridIndependent: "I", gridwarn.GridJoint: "J"}
	for _, g := range d.Grids {
		town, ok := towns[g.TownCode]
		if !ok {
			t.Errorf("grid %s: unknown town %s", g.Code, g.TownCode)
			continue
		}
		if !regexp.MustCompile(`^` + g.TownCode + `-` + prefix[g.Kind] + `\d{2}$`).MatchString(g.Code) {
			t.Errorf("grid code %s does not fit kind %s of town %s", g.Code, g.Kind, g.TownCode)
		}
		if codes[g.Code] || names[g.Name] || !hasHan(g.Name) {
			t.Errorf("grid %s: code or name %q repeated or not Chinese", g.Code, g.Name)
		}
		codes[g.Code], names[g.Name] = true, true
		switch g.Kind {
		case gridwarn.GridPark:
			if town.TownType != gridwarn.TownPark || !strings.HasSuffix(g.Code, "-P01") || g.Name != town.NameZH+"园区大网格" {
				t.Errorf("park grid %s %s in town %s", g.Code, g.Name, town.NameZH)
			}
			if n := perGrid[g.Code]; n < 40 || n > 60 {
				t.Errorf("park grid %s has %d enterprises", g.Code, n)
			}
		case gridwarn.GridIndependent:
			if town.TownType == gridwarn.TownPark || perGrid[g.Code] != 1 || !strings.HasSuffix(g.Name, "独立网格") {
				t.Errorf("independent grid %s %s: %d enterprises", g.Code, g.Name, perGrid[g.Code])
			}
		case gridwarn.GridJoint:
			if town.TownType == gridwarn.TownPark || !strings.HasPrefix(g.Name, town.NameZH) || !strings.HasSuffix(g.Name, "联合网格") {
				t.Errorf("joint grid %s %s in town %s", g.Code, g.Name, town.NameZH)
			}
			if len(g.Industry) != 1 || g.Industry < "A" || g.Industry > "T" {
				t.Errorf("joint grid %s: industry %q", g.Code, g.Industry)
			}
			if jointKey[g.TownCode+g.Industry] {
				t.Errorf("joint grid %s: a second grid for town %s section %s", g.Code, g.TownCode, g.Industry)
			}
			jointKey[g.TownCode+g.Industry] = true
			if perGrid[g.Code] < 2 {
				t.Errorf("joint grid %s has %d enterprises, want ≥ 2", g.Code, perGrid[g.Code])
			}
		default:
			t.Errorf("grid %s: kind %q", g.Code, g.Kind)
		}
		if g.Kind != gridwarn.GridJoint && g.Industry != "" {
			t.Errorf("grid %s (%s) has industry %q", g.Code, g.Kind, g.Industry)
		}
	}
	sections := map[string]int{}
	for _, g := range d.Grids {
		if g.Kind == gridwarn.GridJoint {
			sections[g.Industry]++
		}
	}
	for _, s := range []string{"C", "E", "F", "G", "H"} {
		if sections[s] == 0 {
			t.Errorf("no joint grid of section %s: %v", s, sections)
		}
	}
}

// Placement is respected under the default and other thresholds.
func TestPlacementIsRespected(t *testing.T) {
	for _, threshold := range []int{defaultThreshold, 50, 100, 300, 1000, 100000} {
		d := County(threshold)
		checkPlacement(t, d, threshold)
		checkWorkers(t, d)
	}
	// The enterprises themselves do not depend on the threshold.
	a, b := County(defaultThreshold), County(100)
	for i := range a.Enterprises {
		a.Enterprises[i].GridCode, b.Enterprises[i].GridCode = "", ""
	}
	if diff := cmp.Diff(a.Enterprises, b.Enterprises); diff != "" {
		t.Errorf("enterprises depend on the threshold:\n%s", diff)
	}
}

func checkPlacement(t *testing.T, d CountyData, threshold int) {
	t.Helper()
	towns := map[string]gridwarn.Unit{}
	for _, u := range d.Towns {
		towns[u.Code] = u
	}
	grids := map[string]gridwarn.Grid{}
	used := map[string]int{}
	for _, g := range d.Grids {
		grids[g.Code] = g
	}
	for _, e := range d.Enterprises {
		g, ok := grids[e.GridCode]
		if !ok {
			t.Errorf("threshold %d: %s in unknown grid %q", threshold, e.Name, e.GridCode)
			continue
		}
		used[g.Code]++
		if g.TownCode != e.TownCode {
			t.Errorf("threshold %d: %s of town %s in grid %s of town %s", threshold, e.Name, e.TownCode, g.Code, g.TownCode)
		}
		want := gridwarn.Placement(towns[e.TownCode], e.Headcount, threshold)
		if g.Kind != want {
			t.Errorf("threshold %d: %s (%d workers) in a %s grid, want %s", threshold, e.Name, e.Headcount, g.Kind, want)
		}
		if want == gridwarn.GridJoint && g.Industry != gridwarn.IndustrySection(e.IndustryCode) {
			t.Errorf("threshold %d: %s (%s) in joint grid %s of section %s", threshold, e.Name, e.IndustryCode, g.Code, g.Industry)
		}
	}
	for _, g := range d.Grids {
		if used[g.Code] == 0 {
			t.Errorf("threshold %d: grid %s has no enterprise", threshold, g.Code)
		}
	}
}

func checkWorkers(t *testing.T, d CountyData) {
	t.Helper()
	users := map[string]gridwarn.User{}
	for _, u := range d.Users {
		users[u.Username] = u
	}
	grids := map[string]gridwarn.Grid{}
	for _, g := range d.Grids {
		grids[g.Code] = g
		if len(g.Workers) == 0 {
			t.Errorf("grid %s has no worker", g.Code)
		}
		for _, w := range g.Workers {
			u, ok := users[w]
			if !ok || u.Role != gridwarn.RoleGridWorker || !slices.Contains(u.Scope.GridCodes, g.Code) {
				t.Errorf("grid %s: worker %q unknown, not a grid worker or not scoped to it", g.Code, w)
			}
		}
	}
	for _, u := range d.Users {
		if u.Role != gridwarn.RoleGridWorker {
			continue
		}
		if n := len(u.Scope.GridCodes); n < 1 || n > 2 {
			t.Errorf("worker %s covers %d grids", u.Username, n)
		}
		for _, code := range u.Scope.GridCodes {
			g := grids[code]
			if !slices.Contains(g.Workers, u.Username) {
				t.Errorf("worker %s scoped to grid %s which does not list them", u.Username, code)
			}
			if first := grids[u.Scope.GridCodes[0]]; g.TownCode != first.TownCode {
				t.Errorf("worker %s covers grids of two towns", u.Username)
			}
			if len(u.Scope.GridCodes) > 1 && g.Kind != gridwarn.GridJoint {
				t.Errorf("worker %s covers %s grid %s with another", u.Username, g.Kind, code)
			}
		}
	}
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func TestUsers(t *testing.T) {
	d := County(defaultThreshold)
	towns := map[string]bool{}
	for _, u := range d.Towns {
		towns[u.Code] = true
	}
	grids := map[string]bool{}
	for _, g := range d.Grids {
		grids[g.Code] = true
	}
	seen := map[string]bool{}
	byRole := map[gridwarn.Role]int{}
	mediators := map[string]int{}
	heads := map[string]int{}
	sims, simHeads := map[string]int{}, map[string]int{}
	for _, u := range d.Users {
		if seen[u.Username] || !usernameRe.MatchString(u.Username) {
			t.Errorf("username %q repeated or not lowercase ASCII", u.Username)
		}
		seen[u.Username] = true
		if u.ID != 0 || !u.Role.Valid() || !hasHan(u.DisplayName) {
			t.Errorf("user %+v: id, role or display name", u)
		}
		byRole[u.Role]++
		switch u.Scope.Kind {
		case gridwarn.ScopeCounty:
			if u.Scope.UnitCode != "320924" || len(u.Scope.GridCodes) != 0 {
				t.Errorf("user %s: county scope %+v", u.Username, u.Scope)
			}
		case gridwarn.ScopeTown:
			if !towns[u.Scope.UnitCode] || len(u.Scope.GridCodes) != 0 {
				t.Errorf("user %s: town scope %+v", u.Username, u.Scope)
			}
		case gridwarn.ScopeGrids:
			if u.Scope.UnitCode != "320924" || len(u.Scope.GridCodes) == 0 {
				t.Errorf("user %s: grids scope %+v", u.Username, u.Scope)
			}
			for _, g := range u.Scope.GridCodes {
				if !grids[g] {
					t.Errorf("user %s: unknown grid %s", u.Username, g)
				}
			}
		default:
			t.Errorf("user %s: scope kind %q", u.Username, u.Scope.Kind)
		}
		switch u.Role {
		case gridwarn.RoleGridWorker:
			if u.Scope.Kind != gridwarn.ScopeGrids {
				t.Errorf("grid worker %s: scope %s", u.Username, u.Scope.Kind)
			}
		case gridwarn.RoleMediator:
			if u.Scope.Kind == gridwarn.ScopeGrids {
				t.Errorf("mediator %s scoped to grids", u.Username)
			}
			if IsSimulated(u.Username) {
				sims[u.Scope.UnitCode]++
				if u.TierHead {
					simHeads[u.Scope.UnitCode]++
				}
				if !strings.Contains(u.DisplayName, "模拟") {
					t.Errorf("simulated mediator %s is not named as such: %q", u.Username, u.DisplayName)
				}
				break
			}
			mediators[u.Scope.UnitCode]++
			if u.TierHead {
				heads[u.Scope.UnitCode]++
			}
		case gridwarn.RoleLeader, gridwarn.RoleAdmin:
			if u.Scope.Kind != gridwarn.ScopeCounty {
				t.Errorf("%s %s: scope %s", u.Role, u.Username, u.Scope.Kind)
			}
		}
		if u.TierHead && u.Role != gridwarn.RoleMediator {
			t.Errorf("%s %s is a tier head", u.Role, u.Username)
		}
	}
	if byRole[gridwarn.RoleAdmin] != 1 || byRole[gridwarn.RoleLeader] != 1 {
		t.Errorf("roles %v: want one admin and one leader", byRole)
	}
	if byRole[gridwarn.RoleGridWorker] < len(d.Grids)/2 {
		t.Errorf("%d grid workers for %d grids", byRole[gridwarn.RoleGridWorker], len(d.Grids))
	}
	if mediators["320924"] != 3 || heads["320924"] != 1 {
		t.Errorf("county: %d mediators, %d heads; want 3 and 1", mediators["320924"], heads["320924"])
	}
	// The simulated mediators are accounts of their own, none of them a
	// demo login (issue #14): three per unit, the first its tier head.
	for code := range towns {
		if sims[code] != 3 || simHeads[code] != 1 {
			t.Errorf("town %s: %d simulated mediators, %d heads; want 3 and 1", code, sims[code], simHeads[code])
		}
	}
	if sims["320924"] != 3 || simHeads["320924"] != 1 {
		t.Errorf("county: %d simulated mediators, %d heads; want 3 and 1", sims["320924"], simHeads["320924"])
	}
	for _, login := range DemoLogins() {
		if IsSimulated(login) {
			t.Errorf("demo login %s is a simulated mediator", login)
		}
	}
	for code := range towns {
		if mediators[code] != 2 || heads[code] != 1 {
			t.Errorf("town %s: %d mediators, %d heads; want 2 and 1", code, mediators[code], heads[code])
		}
		if !seen["rpt-"+code] {
			t.Errorf("town %s has no direct report point", code)
		}
	}
	for _, e := range d.Enterprises {
		if !e.KeyEnterprise {
			continue
		}
		name := "rpt-" + strings.ToLower(e.CreditCode)
		i := slices.IndexFunc(d.Users, func(u gridwarn.User) bool { return u.Username == name })
		if i < 0 {
			t.Errorf("key enterprise %s has no reporter", e.Name)
			continue
		}
		if u := d.Users[i]; u.Role != gridwarn.RoleReporter || !u.Scope.Contains(e.TownCode, e.GridCode) || len(u.Scope.GridCodes) != 1 {
			t.Errorf("reporter %s: %+v", name, u)
		}
	}
	checkWorkers(t, d)
}

func TestDemoLogins(t *testing.T) {
	d := County(defaultThreshold)
	users := map[string]gridwarn.User{}
	for _, u := range d.Users {
		users[u.Username] = u
	}
	logins := DemoLogins()
	// A partner (a receiving body's account) and the platform have a
	// token, no login: the demo registers them and prints their tokens.
	roles := gridwarn.PersonRoles()
	if len(logins) != len(roles) {
		t.Errorf("logins %v: want one per role", logins)
	}
	for _, role := range roles {
		u, ok := users[logins[role]]
		if !ok || u.Role != role {
			t.Errorf("login for %s: %q is not a user with that role", role, logins[role])
		}
	}
	first := d.Towns[0].Code
	if logins[gridwarn.RoleAdmin] != "admin" || logins[gridwarn.RoleLeader] != "leader" {
		t.Errorf("logins %v", logins)
	}
	if m := users[logins[gridwarn.RoleMediator]]; m.Scope.Kind != gridwarn.ScopeTown || m.Scope.UnitCode != first {
		t.Errorf("mediator login %s: scope %+v, want town %s", m.Username, m.Scope, first)
	}
	if r := users[logins[gridwarn.RoleReporter]]; r.Username != "rpt-"+first || r.Scope.Kind != gridwarn.ScopeTown {
		t.Errorf("reporter login %+v", r)
	}
	i := slices.IndexFunc(d.Grids, func(g gridwarn.Grid) bool { return g.TownCode == first && g.Kind == gridwarn.GridJoint })
	if i < 0 || !slices.Contains(d.Grids[i].Workers, logins[gridwarn.RoleGridWorker]) {
		t.Errorf("grid worker login %s does not work the first joint grid of %s", logins[gridwarn.RoleGridWorker], first)
	}
}

func TestSimulatorEnterprises(t *testing.T) {
	d := County(defaultThreshold)
	sim := d.SimulatorEnterprises()
	if len(sim) != len(d.Enterprises) {
		t.Fatalf("%d simulator enterprises, want %d", len(sim), len(d.Enterprises))
	}
	for i, e := range sim {
		if e.CreditCode != d.Enterprises[i].CreditCode || e.Name != d.Enterprises[i].Name || e.Headcount != d.Enterprises[i].Headcount {
			t.Errorf("simulator enterprise %d = %+v", i, e)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}
