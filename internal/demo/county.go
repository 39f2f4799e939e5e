package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// CountyData is the whole demo territory, shaped like the reference county
// of DOMAIN.md (Sheyang county, Jiangsu): 15 towns (13 towns and 2 parks),
// 539 enterprises, and under the default threshold 2 park grids, 29
// independent grids and 62 joint grids.
type CountyData struct {
	County      gridwarn.Unit
	Towns       []gridwarn.Unit       // 15: 13 towns + 2 parks (TownType park)
	Grids       []gridwarn.Grid       // park, independent and joint grids, by town
	Enterprises []gridwarn.Enterprise // 539, GridCode set by gridwarn.Placement
	Users       []gridwarn.User       // grid workers, reporters, mediators, leader, admin (ID 0)
}

// Sizes of the demo county (DOMAIN.md, "The territory").
const (
	demoEnterpriseCount = 539
	demoKeyEnterprises  = 18
)

// Fixed seeds: the demo county is the same on every call.
const (
	countySeedHi, countySeedLo = 0x320924, 0x53_48_45_59 // enterprises
	usersSeedHi, usersSeedLo   = 0x320924, 0x55_53_45_52 // people
)

// townSpec describes one town of the demo county. joint and indep are the
// plan under the default threshold: the sections of the town's joint grids
// and of its enterprises with 200 or more workers. Grids themselves are
// derived from gridwarn.Placement, never from this plan.
type townSpec struct {
	suffix   string // the 3 digits after the county code
	zh, en   string
	stem     string // a brand syllable taken from the place name
	park     bool
	parkSize int      // parks: number of enterprises
	joint    []string // towns: sections of the joint grids
	cWeight  int      // towns: share of the manufacturing enterprises
	indep    []string // towns: sections of the large enterprises
	special  []string // industry codes the town is known for
	others   []string // parks: non-manufacturing industry codes
}

var townSpecs = []townSpec{
	{suffix: "100", zh: "合德镇", en: "Hede Town", stem: "合德", joint: []string{"C", "E", "F", "G", "H", "I", "L", "O"}, cWeight: 30,
		indep: []string{"C", "C", "C", "E", "F"}, special: []string{"C1810", "C3982", "C3484"}},
	{suffix: "101", zh: "临海镇", en: "Linhai Town", stem: "临海", joint: []string{"C", "E", "F", "G", "A"}, cWeight: 18,
		indep: []string{"C", "C", "E"}, special: []string{"C1311", "C3670"}},
	{suffix: "102", zh: "千秋镇", en: "Qianqiu Town", stem: "千秋", joint: []string{"C", "E", "F", "A"}, cWeight: 12,
		indep: []string{"C", "C"}, special: []string{"C1711", "C1810"}},
	{suffix: "103", zh: "四明镇", en: "Siming Town", stem: "四明", joint: []string{"C", "E", "F", "G"}, cWeight: 14,
		indep: []string{"C", "E"}, special: []string{"C1311", "C2110"}},
	{suffix: "104", zh: "海河镇", en: "Haihe Town", stem: "海河", joint: []string{"C", "E", "F", "A"}, cWeight: 12,
		indep: []string{"C", "C"}, special: []string{"C1711", "C1713"}},
	{suffix: "105", zh: "海通镇", en: "Haitong Town", stem: "海通", joint: []string{"C", "E", "F", "G"}, cWeight: 16,
		indep: []string{"C", "G"}, special: []string{"C3484", "C2929"}},
	{suffix: "106", zh: "兴桥镇", en: "Xingqiao Town", stem: "兴桥", joint: []string{"C", "E", "F", "G", "H"}, cWeight: 18,
		indep: []string{"C", "C", "C"}, special: []string{"C3670", "C3484"}},
	{suffix: "107", zh: "新坍镇", en: "Xintan Town", stem: "新坍", joint: []string{"C", "E", "F", "A"}, cWeight: 12,
		indep: []string{"C"}, special: []string{"C1361", "C1311"}},
	{suffix: "108", zh: "长荡镇", en: "Changdang Town", stem: "长荡", joint: []string{"C", "E", "F", "A", "H"}, cWeight: 14,
		indep: []string{"C", "C"}, special: []string{"C1361", "C1810"}},
	{suffix: "109", zh: "盘湾镇", en: "Panwan Town", stem: "盘湾", joint: []string{"C", "E", "F", "G"}, cWeight: 13,
		indep: []string{"C", "E"}, special: []string{"C1711", "C2231"}},
	{suffix: "110", zh: "特庸镇", en: "Teyong Town", stem: "特庸", joint: []string{"C", "E", "F", "G", "H"}, cWeight: 16,
		indep: []string{"C", "C"}, special: []string{"C1711", "C3311"}},
	{suffix: "111", zh: "洋马镇", en: "Yangma Town", stem: "洋马", joint: []string{"C", "E", "F", "A", "H"}, cWeight: 14,
		indep: []string{"C", "C"}, special: []string{"C2710", "C1371"}},
	{suffix: "112", zh: "黄沙港镇", en: "Huangshagang Town", stem: "黄沙", joint: []string{"C", "F", "G", "H", "A"}, cWeight: 15,
		indep: []string{"C"}, special: []string{"C1361"}},
	{suffix: "400", zh: "射阳经济开发区", en: "Sheyang Economic Development Zone", park: true, parkSize: 52,
		special: []string{"C1711", "C1810", "C3484", "C3670", "C3982", "C3841", "C2929"},
		others:  []string{"G5431", "F5199", "I6513", "L7263"}},
	{suffix: "401", zh: "射阳港经济开发区", en: "Sheyang Port Economic Development Zone", park: true, parkSize: 44,
		special: []string{"C3415", "C3825", "C3311", "C2641", "C1361", "C3021"},
		others:  []string{"G5532", "G5920", "F5165"}},
}

// industry is a GB/T 4754-2017 class with the words a company name uses
// for it ("|"-separated alternatives).
type industry struct {
	code  string
	words string
}

var industries = []industry{
	{"C1311", "米业|粮油"}, {"C1361", "水产食品|海洋食品"}, {"C1371", "食品|农产品加工"},
	{"C1711", "纺织|棉纺"}, {"C1713", "印染"}, {"C1810", "服装|服饰|制衣"}, {"C1951", "鞋业"},
	{"C2110", "家具|木业"}, {"C2231", "包装|纸业"}, {"C2319", "印务|彩印"}, {"C2641", "涂料"},
	{"C2710", "药业|生物医药"}, {"C2929", "塑业|塑胶"}, {"C3021", "建材|管桩"}, {"C3311", "钢结构|钢构"},
	{"C3415", "风电设备|风能装备"}, {"C3484", "机械|精密机械"}, {"C3670", "汽车配件|汽车部件"},
	{"C3825", "光伏科技|新能源"}, {"C3841", "电池|新能源科技"}, {"C3982", "电子|电子科技"}, {"C4090", "仪表|仪器"},
	{"E4710", "建设工程|建设"}, {"E4790", "建筑|建工"}, {"E4812", "路桥工程|交通工程"}, {"E4910", "电力安装|机电安装"},
	{"E5011", "装饰工程|装饰"}, {"E5090", "建筑劳务|劳务"},
	{"F5165", "建材贸易"}, {"F5171", "农机"}, {"F5199", "商贸|贸易"}, {"F5211", "百货"}, {"F5212", "超市|购物中心"},
	{"F5261", "汽车销售"},
	{"G5411", "公交客运"}, {"G5431", "物流|运输"}, {"G5532", "港务|港口服务"}, {"G5910", "装卸"}, {"G5920", "仓储"},
	{"H6110", "大酒店"}, {"H6121", "酒店管理"}, {"H6210", "餐饮"}, {"H6241", "团餐配送"},
	{"I6450", "网络科技"}, {"I6513", "软件"}, {"I6531", "信息技术"},
	{"L7263", "人力资源|劳务派遣"}, {"L7271", "保安服务"}, {"L7299", "企业服务"},
	{"O8010", "家政服务"}, {"O8030", "洗涤服务"}, {"O8111", "汽车维修"},
	{"A0111", "农业发展"}, {"A0143", "花卉园艺"}, {"A0411", "水产养殖"}, {"A0412", "渔业"}, {"A0511", "种业"},
}

// sectionOrder orders the joint grids of a town.
const sectionOrder = "CEFGHILOA"

// sectionLabels name a section in a joint grid's name.
var sectionLabels = map[string]string{
	"A": "农业水产", "C": "制造业", "E": "建筑业", "F": "商贸", "G": "交通物流",
	"H": "住宿餐饮", "I": "信息服务", "L": "商务服务", "O": "居民服务",
}

// smallMax is the largest headcount of a small enterprise by section.
var smallMax = map[string]int{"A": 100, "C": 199, "E": 199, "F": 120, "G": 150, "H": 90, "I": 80, "L": 199, "O": 60}

const brandChars = "海达恒瑞华鑫源盛泰丰隆兴宏通鹏润嘉诚信联创邦腾飞祥和安康美佳新天宇德金永昌茂富利远广博正鸿运星辰益顺汇力科伟中凯盈瀚鼎晟旭鹤滨湾荣峰"

const (
	surnames   = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
	givenChars = "建国明华军平红英芳丽敏静伟强磊洋勇艳杰娟涛斌超霞刚桂兰秀玉梅春海波鹏辉宇晨鑫婷雪琴峰亮飞荣文志德林燕萍慧颖新宏成俊金凤云"
)

const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// County builds the demo county. threshold is the headcount from which an
// enterprise outside a park gets its own independent grid (≤ 0 means
// gridwarn.DefaultIndependentThreshold). The enterprises are the same for
// every threshold; the grids, the enterprises' GridCode and the grid
// workers follow gridwarn.Placement. The result is the same on every call.
func County(threshold int) CountyData {
	if threshold <= 0 {
		threshold = gridwarn.DefaultIndependentThreshold
	}
	d := CountyData{County: gridwarn.Unit{Code: CountyCode, Kind: gridwarn.UnitCounty, NameZH: "射阳县", NameEN: "Sheyang County"}}
	for _, t := range townSpecs {
		d.Towns = append(d.Towns, townUnit(t))
	}
	var shorts []string
	d.Enterprises, shorts = buildEnterprises(rand.New(rand.NewPCG(countySeedHi, countySeedLo)))
	d.Grids = placeEnterprises(d.Towns, d.Enterprises, shorts, threshold)
	d.Users = buildUsers(rand.New(rand.NewPCG(usersSeedHi, usersSeedLo)), &d)
	addVillages(&d)
	return d
}

// villageNames are the villages and communities (村、社区) of the towns
// whose registry carries them in the demo: invented names, like the
// enterprises'. The other towns' registry has no village column (D12).
var villageNames = map[int][]string{
	0: {"新港村", "兴盛社区", "东风村", "海河村", "利民社区"},
	1: {"红旗村", "新民村", "望海社区", "振兴村"},
}

// addVillages names the village of the enterprises of the first two towns
// (not a park's), with its own random source so the rest of the county
// stays as it was.
func addVillages(d *CountyData) {
	r := rand.New(rand.NewPCG(countySeedHi, countySeedLo+16))
	towns := map[string][]string{}
	n := 0
	for _, t := range d.Towns {
		if t.TownType == gridwarn.TownPark {
			continue
		}
		if names, ok := villageNames[n]; ok {
			towns[t.Code] = names
		}
		n++
	}
	for i, e := range d.Enterprises {
		if names := towns[e.TownCode]; names != nil {
			d.Enterprises[i].Village = names[r.IntN(len(names))]
		}
	}
}

// DemoLogins returns one representative username per role of the default
// demo county, for the demo to print tokens for: the admin, the leader, the
// first town's first mediator, the worker of the first town's first joint
// grid, the first town's direct report point and the 12351 hotline
// operator.
func DemoLogins() map[gridwarn.Role]string {
	d := County(gridwarn.DefaultIndependentThreshold)
	first := d.Towns[0].Code
	out := map[gridwarn.Role]string{
		gridwarn.RoleAdmin:           "admin",
		gridwarn.RoleLeader:          "leader",
		gridwarn.RoleMediator:        townMediatorName(first, 1),
		gridwarn.RoleReporter:        townReporterName(first),
		gridwarn.RoleHotlineOperator: HotlineLogin,
	}
	for _, g := range d.Grids {
		if g.TownCode == first && g.Kind == gridwarn.GridJoint && len(g.Workers) > 0 {
			out[gridwarn.RoleGridWorker] = g.Workers[0]
			break
		}
	}
	return out
}

// SimulatorEnterprises returns the county's enterprises in the form the
// event simulator takes.
func (d CountyData) SimulatorEnterprises() []Enterprise {
	workers := make(map[string]string, len(d.Grids))
	for _, g := range d.Grids {
		if len(g.Workers) > 0 {
			workers[g.Code] = g.Workers[0]
		}
	}
	out := make([]Enterprise, len(d.Enterprises))
	for i, e := range d.Enterprises {
		out[i] = Enterprise{CreditCode: e.CreditCode, Name: e.Name, Headcount: e.Headcount, GridWorker: workers[e.GridCode]}
	}
	return out
}

func townUnit(t townSpec) gridwarn.Unit {
	typ := gridwarn.TownTown
	if t.park {
		typ = gridwarn.TownPark
	}
	return gridwarn.Unit{Code: CountyCode + t.suffix, Kind: gridwarn.UnitTown, TownType: typ, ParentCode: CountyCode, NameZH: t.zh, NameEN: t.en}
}

func townReporterName(town string) string        { return "rpt-" + town }
func townMediatorName(town string, n int) string { return fmt.Sprintf("mediator-%s-%d", town, n) }

// entPlan is one enterprise to generate: its town, its section (empty for
// a park) and its size class.
type entPlan struct {
	town    int
	section string
	large   bool
}

// plans lays out the 539 enterprises: per town its large enterprises, then
// its small ones by joint section; the parks' enterprises.
func plans(r *rand.Rand) []entPlan {
	parkTotal, largeTotal, weights := 0, 0, 0
	for _, t := range townSpecs {
		parkTotal += t.parkSize
		largeTotal += len(t.indep)
		weights += t.cWeight
	}
	small := demoEnterpriseCount - parkTotal - largeTotal
	// Every non-manufacturing joint grid gets 2–6 enterprises, manufacturing
	// takes the rest, shared by weight.
	counts := make([][]int, len(townSpecs))
	other := 0
	for i, t := range townSpecs {
		counts[i] = make([]int, len(t.joint))
		for j, s := range t.joint {
			if s != "C" {
				counts[i][j] = 2 + r.IntN(5)
				other += counts[i][j]
			}
		}
	}
	manufacturing := small - other
	given := 0
	for i, t := range townSpecs {
		if j := slices.Index(t.joint, "C"); j >= 0 {
			counts[i][j] = manufacturing * t.cWeight / weights
			given += counts[i][j]
		}
	}
	for i := 0; given < manufacturing; i = (i + 1) % len(townSpecs) {
		if j := slices.Index(townSpecs[i].joint, "C"); j >= 0 {
			counts[i][j]++
			given++
		}
	}
	var out []entPlan
	for i, t := range townSpecs {
		for range t.parkSize {
			out = append(out, entPlan{town: i})
		}
		for _, s := range t.indep {
			out = append(out, entPlan{town: i, section: s, large: true})
		}
		for j, s := range t.joint {
			if counts[i][j] < 2 {
				panic("demo: a joint grid plan has fewer than 2 enterprises")
			}
			for range counts[i][j] {
				out = append(out, entPlan{town: i, section: s})
			}
		}
	}
	if len(out) != demoEnterpriseCount {
		panic(fmt.Sprintf("demo: planned %d enterprises, want %d", len(out), demoEnterpriseCount))
	}
	return out
}

type entGen struct {
	r      *rand.Rand
	shorts map[string]bool
	names  map[string]bool
	codes  map[string]bool
}

// buildEnterprises generates the enterprises (GridCode empty) and their
// short names.
func buildEnterprises(r *rand.Rand) ([]gridwarn.Enterprise, []string) {
	g := &entGen{r: r, shorts: map[string]bool{}, names: map[string]bool{}, codes: map[string]bool{}}
	ps := plans(r)
	ents := make([]gridwarn.Enterprise, len(ps))
	shorts := make([]string, len(ps))
	for i, p := range ps {
		t := townSpecs[p.town]
		code := g.industryCode(t, p.section)
		hc := g.headcount(t, p, code[:1])
		words := strings.Split(industryWords(code), "|")
		name, short := g.name(t, words[r.IntN(len(words))], hc >= 300)
		hasUnion := g.chance(unionPercent(hc))
		ents[i] = gridwarn.Enterprise{
			CreditCode:            g.creditCode(),
			Name:                  name,
			IndustryCode:          code,
			Ownership:             g.ownership(t.park),
			Headcount:             hc,
			HasUnion:              hasUnion,
			HasMediationCommittee: hasUnion && g.chance(mediationPercent(hc)),
			ComplianceGrade:       g.grade(),
			RegisteredCapitalCNY:  g.capital(hc),
			TownCode:              CountyCode + t.suffix,
		}
		shorts[i] = short
	}
	// The largest enterprises are the key enterprises (direct report points).
	order := make([]int, len(ents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return ents[b].Headcount - ents[a].Headcount })
	for _, i := range order[:demoKeyEnterprises] {
		ents[i].KeyEnterprise = true
		ents[i].HasUnion = true
	}
	return ents, shorts
}

func (g *entGen) chance(percent int) bool { return g.r.IntN(100) < percent }

func (g *entGen) industryCode(t townSpec, section string) string {
	if t.park {
		if len(t.others) > 0 && g.chance(15) {
			return t.others[g.r.IntN(len(t.others))]
		}
		return t.special[g.r.IntN(len(t.special))]
	}
	if section == "C" && len(t.special) > 0 && g.chance(50) {
		return t.special[g.r.IntN(len(t.special))]
	}
	var codes []string
	for _, ind := range industries {
		if gridwarn.IndustrySection(ind.code) == section {
			codes = append(codes, ind.code)
		}
	}
	return codes[g.r.IntN(len(codes))]
}

func industryWords(code string) string {
	for _, ind := range industries {
		if ind.code == code {
			return ind.words
		}
	}
	panic("demo: unknown industry " + code)
}

// skewed draws from [lo, hi], most draws near lo.
func (g *entGen) skewed(lo, hi int) int {
	u := g.r.Float64()
	return min(hi, lo+int(float64(hi-lo+1)*u*u))
}

func (g *entGen) headcount(t townSpec, p entPlan, section string) int {
	switch {
	case p.large:
		return g.skewed(gridwarn.DefaultIndependentThreshold, 1500)
	case t.park && g.chance(16):
		return g.skewed(gridwarn.DefaultIndependentThreshold, 2000)
	case t.park:
		return g.skewed(8, 199)
	}
	return g.skewed(8, smallMax[section])
}

func (g *entGen) name(t townSpec, word string, large bool) (full, short string) {
	brands := []rune(brandChars)
	for {
		brand := t.stem
		if brand == "" || !g.chance(15) {
			a := g.r.IntN(len(brands))
			b := (a + 1 + g.r.IntN(len(brands)-1)) % len(brands)
			brand = string(brands[a]) + string(brands[b])
		}
		short = brand + word
		prefix := []string{"射阳县", "射阳县", "射阳县", "江苏", "江苏", "盐城", "射阳"}[g.r.IntN(7)]
		suffix := "有限公司"
		if large && g.chance(30) {
			suffix = "股份有限公司"
		}
		full = prefix + short + suffix
		if g.shorts[short] || g.names[full] {
			continue
		}
		g.shorts[short], g.names[full] = true, true
		return full, short
	}
}

// creditCode draws a unique unified social credit code of a company
// registered in the county: 91 + county code + a 9-character organisation
// code (new "MA…" style or old 8 digits + check) + check character.
func (g *entGen) creditCode() string {
	for {
		var b strings.Builder
		b.WriteString("91" + CountyCode)
		if g.chance(70) {
			b.WriteString("MA")
			for range 7 {
				b.WriteByte(creditAlphabet[g.r.IntN(len(creditAlphabet))])
			}
		} else {
			for range 8 {
				b.WriteByte(creditAlphabet[g.r.IntN(10)])
			}
			b.WriteByte("0123456789X"[g.r.IntN(11)])
		}
		first17 := b.String()
		check, err := gridwarn.CreditCodeCheckChar(first17)
		if err != nil {
			panic(err) // the alphabet above is the credit code's
		}
		code := first17 + string(check)
		if !g.codes[code] {
			g.codes[code] = true
			return code
		}
	}
}

func (g *entGen) ownership(park bool) gridwarn.Ownership {
	// Weights follow gridwarn.Ownerships: state, collective, private,
	// foreign, hk_macao_taiwan, joint_venture, other.
	weights := []int{4, 3, 78, 4, 4, 4, 3}
	if park {
		weights = []int{5, 1, 62, 12, 9, 9, 2}
	}
	n := g.r.IntN(100)
	for i, w := range weights {
		if n < w {
			return gridwarn.Ownerships[i]
		}
		n -= w
	}
	return "private"
}

func (g *entGen) grade() string {
	switch n := g.r.IntN(100); {
	case n < 45:
		return "A"
	case n < 87:
		return "B"
	}
	return "C"
}

// capital is the registered capital: ¥20,000–¥250,000 per worker, rounded
// to ¥10,000, within ¥500,000–¥200,000,000.
func (g *entGen) capital(headcount int) float64 {
	perHead := 20_000 + g.r.IntN(230_001)
	c := float64(headcount) * float64(perHead)
	c = math.Round(c/10_000) * 10_000
	return min(max(c, 500_000), 200_000_000)
}

func unionPercent(headcount int) int {
	switch {
	case headcount >= 200:
		return 95
	case headcount >= 100:
		return 85
	case headcount >= 50:
		return 65
	case headcount >= 25:
		return 45
	}
	return 25
}

func mediationPercent(headcount int) int {
	switch {
	case headcount >= 200:
		return 85
	case headcount >= 100:
		return 55
	case headcount >= 50:
		return 30
	}
	return 10
}

// placeEnterprises derives the grids from gridwarn.Placement and sets every
// enterprise's GridCode. Per town: the park grid, the independent grids in
// enterprise order, the joint grids in section order.
func placeEnterprises(towns []gridwarn.Unit, ents []gridwarn.Enterprise, shorts []string, threshold int) []gridwarn.Grid {
	var grids []gridwarn.Grid
	for _, t := range towns {
		var joint []string
		jointOf := map[string][]int{}
		independent := 0
		for i := range ents {
			e := &ents[i]
			if e.TownCode != t.Code {
				continue
			}
			switch gridwarn.Placement(t, e.Headcount, threshold) {
			case gridwarn.GridPark:
				code := t.Code + "-P01"
				if len(grids) == 0 || grids[len(grids)-1].Code != code {
					grids = append(grids, gridwarn.Grid{Code: code, TownCode: t.Code, Kind: gridwarn.GridPark, Name: t.NameZH + "园区大网格"})
				}
				e.GridCode = code
			case gridwarn.GridIndependent:
				independent++
				e.GridCode = fmt.Sprintf("%s-I%02d", t.Code, independent)
				grids = append(grids, gridwarn.Grid{Code: e.GridCode, TownCode: t.Code, Kind: gridwarn.GridIndependent, Name: shorts[i] + "独立网格"})
			default:
				s := gridwarn.IndustrySection(e.IndustryCode)
				if _, ok := jointOf[s]; !ok {
					joint = append(joint, s)
				}
				jointOf[s] = append(jointOf[s], i)
			}
		}
		slices.SortFunc(joint, func(a, b string) int {
			ia, ib := strings.Index(sectionOrder, a), strings.Index(sectionOrder, b)
			if ia < 0 {
				ia = len(sectionOrder)
			}
			if ib < 0 {
				ib = len(sectionOrder)
			}
			if ia != ib {
				return ia - ib
			}
			return strings.Compare(a, b)
		})
		for n, s := range joint {
			code := fmt.Sprintf("%s-J%02d", t.Code, n+1)
			label, ok := sectionLabels[s]
			if !ok {
				label = s + "门类"
			}
			grids = append(grids, gridwarn.Grid{Code: code, TownCode: t.Code, Kind: gridwarn.GridJoint, Name: t.NameZH + label + "联合网格", Industry: s})
			for _, i := range jointOf[s] {
				ents[i].GridCode = code
			}
		}
	}
	return grids
}

type nameGen struct {
	r    *rand.Rand
	used map[string]bool
}

// person draws a unique Chinese personal name.
func (g *nameGen) person() string {
	sn, gn := []rune(surnames), []rune(givenChars)
	for {
		name := string(sn[g.r.IntN(len(sn))]) + string(gn[g.r.IntN(len(gn))])
		if g.r.IntN(100) < 70 {
			name += string(gn[g.r.IntN(len(gn))])
		}
		if !g.used[name] {
			g.used[name] = true
			return name
		}
	}
}

// buildUsers creates the people of the county and sets every grid's
// Workers. Order: admin, leader, county mediators; per town its direct
// report point, mediators and grid workers; the key enterprises' reporters.
func buildUsers(r *rand.Rand, d *CountyData) []gridwarn.User {
	names := &nameGen{r: r, used: map[string]bool{}}
	county := gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: CountyCode}
	users := []gridwarn.User{
		{Username: "admin", DisplayName: "系统管理员", Role: gridwarn.RoleAdmin, Scope: county},
		{Username: "leader", DisplayName: names.person() + "（县总工会主席）", Role: gridwarn.RoleLeader, Scope: county},
	}
	for n := 1; n <= 3; n++ {
		users = append(users, gridwarn.User{Username: fmt.Sprintf("mediator-county-%d", n), DisplayName: names.person(),
			Role: gridwarn.RoleMediator, Scope: county, TierHead: n == 1})
	}
	perGrid := map[string]int{}
	for _, e := range d.Enterprises {
		perGrid[e.GridCode]++
	}
	for _, t := range d.Towns {
		town := gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: t.Code}
		users = append(users, gridwarn.User{Username: townReporterName(t.Code), DisplayName: t.NameZH + "直报点",
			Role: gridwarn.RoleReporter, Scope: town})
		for n := 1; n <= 2; n++ {
			users = append(users, gridwarn.User{Username: townMediatorName(t.Code, n), DisplayName: names.person(),
				Role: gridwarn.RoleMediator, Scope: town, TierHead: n == 1})
		}
		var gs []int
		for i := range d.Grids {
			if d.Grids[i].TownCode == t.Code {
				gs = append(gs, i)
			}
		}
		assign := func(workers int, grids ...int) {
			codes := make([]string, len(grids))
			for k, gi := range grids {
				codes[k] = d.Grids[gi].Code
			}
			for n := 1; n <= workers; n++ {
				u := gridwarn.User{
					Username:    fmt.Sprintf("gw-%s-%d", strings.ToLower(codes[0]), n),
					DisplayName: names.person(),
					Role:        gridwarn.RoleGridWorker,
					Scope:       gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: CountyCode, GridCodes: slices.Clone(codes)},
				}
				users = append(users, u)
				for _, gi := range grids {
					d.Grids[gi].Workers = append(d.Grids[gi].Workers, u.Username)
				}
			}
		}
		pending := -1 // a small joint grid waiting for a second one
		for _, gi := range gs {
			n := perGrid[d.Grids[gi].Code]
			switch d.Grids[gi].Kind {
			case gridwarn.GridPark:
				assign(max(2, (n+19)/20), gi)
			case gridwarn.GridIndependent:
				assign(1, gi)
			default:
				switch {
				case n >= 30:
					assign(2, gi)
				case n >= 10:
					assign(1, gi)
				case pending >= 0:
					assign(1, pending, gi)
					pending = -1
				default:
					pending = gi
				}
			}
		}
		if pending >= 0 {
			assign(1, pending)
		}
	}
	for _, e := range d.Enterprises {
		if !e.KeyEnterprise {
			continue
		}
		users = append(users, gridwarn.User{Username: "rpt-" + strings.ToLower(e.CreditCode), DisplayName: e.Name + "直报点",
			Role: gridwarn.RoleReporter, Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: CountyCode, GridCodes: []string{e.GridCode}}})
	}
	for i := range d.Grids {
		if d.Grids[i].Workers == nil {
			d.Grids[i].Workers = []string{}
		}
	}
	// The simulated mediators who work the demo's tickets: accounts of
	// their own, named as such, so that nothing they do happens in the
	// name of a person signed in to the demo.
	users = append(users, simMediators(county, "county", "县")...)
	for _, t := range d.Towns {
		users = append(users, simMediators(gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: t.Code}, t.Code, t.NameZH)...)
	}
	// The county's 12351 hotline operator (issue 17), last so that no
	// other person's id or name moves.
	users = append(users, gridwarn.User{Username: HotlineLogin, DisplayName: "12351热线接线员", Role: gridwarn.RoleHotlineOperator, Scope: county})
	return users
}

// HotlineLogin is the demo's 12351 hotline operator.
const HotlineLogin = "hotline"

// SimMediatorPrefix starts the username of every simulated mediator.
const SimMediatorPrefix = "sim-mediator-"

// SimMediatorName is the username of unit's n-th simulated mediator
// (unit: "county" or a town's code); the first is the unit's tier head.
func SimMediatorName(unit string, n int) string {
	return fmt.Sprintf("%s%s-%d", SimMediatorPrefix, unit, n)
}

// IsSimulated reports whether username is one of the demo's simulated
// mediators.
func IsSimulated(username string) bool { return strings.HasPrefix(username, SimMediatorPrefix) }

// simMediators are a unit's simulated mediators: a tier head who
// dispatches and reviews, and two who claim and work tickets.
func simMediators(scope gridwarn.Scope, unit, unitName string) []gridwarn.User {
	var out []gridwarn.User
	for n := 1; n <= 3; n++ {
		out = append(out, gridwarn.User{Username: SimMediatorName(unit, n), DisplayName: fmt.Sprintf("模拟调解员%d（%s）", n, unitName),
			Role: gridwarn.RoleMediator, Scope: scope, TierHead: n == 1})
	}
	return out
}
