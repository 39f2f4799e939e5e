package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Asia/Shanghai even where the system has no zoneinfo

	"go.yaml.in/yaml/v3"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// parser walks the YAML tree of a rules file and collects every problem.
type parser struct {
	name    string
	errs    []*Error
	consts  map[string]float64
	loc     *time.Location
	windows int // the longest history window read by an expression
	ids     map[string]int
}

func (p *parser) fail(n *yaml.Node, rule, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.name, Line: line, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// field is one key of a mapping.
type field struct {
	key  string
	k, v *yaml.Node
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping returns the keys of a mapping node in order; keys outside allowed
// (when given) are errors naming the key.
func (p *parser) mapping(n *yaml.Node, rule, where string, allowed ...string) []field {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		p.fail(n, rule, "%swant a mapping of keys to values", prefix(where))
		return nil
	}
	var out []field
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch {
		case allowed != nil && !slices.Contains(allowed, k.Value):
			p.fail(k, rule, "%sunknown key %q (known: %s)", prefix(where), k.Value, strings.Join(allowed, ", "))
		case seen[k.Value]:
			p.fail(k, rule, "%skey %q appears twice", prefix(where), k.Value)
		default:
			seen[k.Value] = true
			out = append(out, field{k.Value, k, v})
		}
	}
	return out
}

func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

func (p *parser) sequence(n *yaml.Node, rule, where string) []*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.fail(n, rule, "%s: want a list", where)
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

func (p *parser) scalar(n *yaml.Node, rule, where string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, rule, "%s: want a single value", where)
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(n *yaml.Node, rule, where string) string {
	s, ok := p.scalar(n, rule, where)
	if ok && strings.TrimSpace(s) == "" {
		p.fail(n, rule, "%s: must not be empty", where)
	}
	return s
}

func (p *parser) number(n *yaml.Node, rule, where string) float64 {
	s, ok := p.scalar(n, rule, where)
	if !ok {
		return 0
	}
	if n.Tag != "!!int" && n.Tag != "!!float" {
		p.fail(n, rule, "%s: want a number, got %q", where, s)
		return 0
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		p.fail(n, rule, "%s: want a number, got %q", where, s)
	}
	return f
}

func (p *parser) integer(n *yaml.Node, rule, where string, least int) int {
	s, ok := p.scalar(n, rule, where)
	if !ok {
		return 0
	}
	i, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if n.Tag != "!!int" || err != nil {
		p.fail(n, rule, "%s: want a whole number, got %q", where, s)
		return 0
	}
	if i < least {
		p.fail(n, rule, "%s: must be at least %d", where, least)
	}
	return i
}

func (p *parser) boolean(n *yaml.Node, rule, where string) bool {
	s, ok := p.scalar(n, rule, where)
	if !ok {
		return false
	}
	if n.Tag != "!!bool" {
		p.fail(n, rule, "%s: want true or false, got %q", where, s)
		return false
	}
	return s == "true" || s == "True" || s == "TRUE"
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Parse compiles a rules file; name is used in error messages. Every
// problem found is reported, as a *ParseError.
func Parse(data []byte, name string) (*Rules, error) {
	p := &parser{name: name, consts: map[string]float64{}, ids: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := strings.TrimPrefix(yamlLine.ReplaceAllString(err.Error(), ""), "yaml: ")
		return nil, &ParseError{Errs: []*Error{{File: name, Line: line, Msg: strings.TrimLeft(msg, ": ")}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &ParseError{Errs: []*Error{{File: name, Msg: "empty rules file"}}}
	}
	r := p.file(doc.Content[0])
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, &ParseError{Errs: p.errs}
	}
	return r, nil
}

var (
	constName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	ruleID    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

func (p *parser) file(root *yaml.Node) *Rules {
	r := &Rules{
		name:          p.name,
		levels:        map[gridwarn.Level]Label{},
		byCategory:    map[gridwarn.Category][]*rule{},
		routing:       map[gridwarn.Level]gridwarn.Tier{},
		limits:        map[gridwarn.Tier]map[gridwarn.Level]Limits{},
		reminder:      0.8,
		timeScale:     1,
		countyAbsorbs: true,
		score:         defaultScore(),
		states:        &sync.Pool{New: func() any { return newState() }},
		hotline:       defaultHotlineLimits(),
	}
	p.loc, _ = time.LoadLocation("Asia/Shanghai")
	r.cal = &Calendar{loc: p.loc, weekend: [7]bool{time.Saturday: true, time.Sunday: true},
		holiday: map[civilDate]bool{}, extra: map[civilDate]bool{}}

	top := map[string]field{}
	for _, f := range p.mapping(root, "", "top level", "version", "constants", "levels", "routing", "rules",
		"raises", "score", "time_limits", "calendar", "grouping", "hotline",
		"outside_bodies") {
		top[f.key] = f
	}
	for _, req := range []string{"version", "levels", "routing", "rules", "time_limits"} {
		if _, ok := top[req]; !ok {
			p.fail(root, "", "%s: is required", req)
		}
	}
	// Constants and the calendar's time zone first: expressions use them.
	if f, ok := top["version"]; ok {
		r.version = p.str(f.v, "", "version")
	}
	if f, ok := top["constants"]; ok {
		for _, c := range p.mapping(f.v, "", "constants") {
			if !constName.MatchString(c.key) {
				p.fail(c.k, "", "constants: %q: a constant's name is UPPER_CASE", c.key)
				continue
			}
			p.consts[c.key] = p.number(c.v, "", "constants."+c.key)
		}
	}
	if f, ok := top["calendar"]; ok {
		p.calendar(f.v, r.cal)
		p.loc = r.cal.loc
	}
	if f, ok := top["levels"]; ok {
		p.levels(f.v, r)
	}
	if f, ok := top["routing"]; ok {
		p.routing(f.v, r)
	}
	if f, ok := top["rules"]; ok {
		p.rules(f.v, r)
	}
	if f, ok := top["raises"]; ok {
		for i, n := range p.sequence(f.v, "", "raises") {
			if ru := p.rule(n, fmt.Sprintf("raises[%d]", i+1), "", true); ru != nil {
				r.raises = append(r.raises, ru)
			}
		}
	}
	if f, ok := top["score"]; ok {
		p.score(f.v, &r.score)
	}
	if f, ok := top["time_limits"]; ok {
		p.timeLimits(f.v, r)
	}
	if f, ok := top["hotline"]; ok {
		p.hotline(f.v, r)
	}
	if f, ok := top["outside_bodies"]; ok {
		p.outsideBodies(f.v, r)
	}
	if f, ok := top["grouping"]; ok {
		for _, g := range p.mapping(f.v, "", "grouping", "county_absorbs") {
			r.countyAbsorbs = p.boolean(g.v, "", "grouping.county_absorbs")
		}
	}
	sc := r.score
	r.historyDays = max(minHistoryDays, p.windows, sc.windowDays, 2*sc.growthDays, sc.repeatDays)
	return r
}

func (p *parser) levels(n *yaml.Node, r *Rules) {
	for _, f := range p.mapping(n, "", "levels") {
		l := gridwarn.Level(f.key)
		if !l.Valid() {
			p.fail(f.k, "", "levels: unknown level %q (the levels are blue, yellow, orange, red)", f.key)
			continue
		}
		var lb Label
		for _, g := range p.mapping(f.v, "", "levels."+f.key, "label_zh", "label_en") {
			switch g.key {
			case "label_zh":
				lb.ZH = p.str(g.v, "", "levels."+f.key+".label_zh")
			case "label_en":
				lb.EN = p.str(g.v, "", "levels."+f.key+".label_en")
			}
		}
		if lb.ZH == "" || lb.EN == "" {
			p.fail(f.k, "", "levels.%s: needs label_zh and label_en", f.key)
		}
		r.levels[l] = lb
	}
	for _, l := range gridwarn.Levels {
		if _, ok := r.levels[l]; !ok {
			p.fail(n, "", "levels: %s is missing", l)
		}
	}
}

func (p *parser) routing(n *yaml.Node, r *Rules) {
	for _, f := range p.mapping(n, "", "routing") {
		l := gridwarn.Level(f.key)
		if !l.Valid() {
			p.fail(f.k, "", "routing: unknown level %q", f.key)
			continue
		}
		t := gridwarn.Tier(p.str(f.v, "", "routing."+f.key))
		if !t.Valid() {
			p.fail(f.v, "", "routing.%s: unknown tier %q (the tiers are enterprise, town, county)", f.key, t)
			continue
		}
		r.routing[l] = t
	}
	for _, l := range gridwarn.Levels {
		if _, ok := r.routing[l]; !ok {
			p.fail(n, "", "routing: no tier for %s", l)
		}
	}
}

// anyCategory is the key of the rules that apply to every category.
const anyCategory = "any"

func (p *parser) rules(n *yaml.Node, r *Rules) {
	type placed struct {
		ru  *rule
		seq int
	}
	var all []placed
	for _, f := range p.mapping(n, "", "rules") {
		c := gridwarn.Category(f.key)
		if f.key != anyCategory && !c.Valid() {
			p.fail(f.k, "", "rules: unknown category %q (use a category code or %q)", f.key, anyCategory)
			continue
		}
		if f.key == anyCategory {
			c = ""
		}
		for i, rn := range p.sequence(f.v, "", "rules."+f.key) {
			if ru := p.rule(rn, fmt.Sprintf("rules.%s[%d]", f.key, i+1), c, false); ru != nil {
				all = append(all, placed{ru, rn.Line})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b placed) int { return a.seq - b.seq })
	for _, pl := range all {
		r.rules = append(r.rules, pl.ru)
	}
	if len(r.rules) == 0 && len(p.errs) == 0 {
		p.fail(n, "", "rules: there are no rules")
	}
	// Each category's list: the rules of `any` and its own, in file order.
	for _, c := range append([]gridwarn.Category{""}, gridwarn.Categories...) {
		for _, ru := range r.rules {
			if ru.category == "" || ru.category == c {
				r.byCategory[c] = append(r.byCategory[c], ru)
			}
		}
	}
}

// rule reads a level rule (category "" for any) or a raise; place names it
// until its id is known.
func (p *parser) rule(n *yaml.Node, place string, c gridwarn.Category, isRaise bool) *rule {
	keys := []string{"id", "level", "fallback", "when", "values", "label_zh", "label_en"}
	if isRaise {
		keys = []string{"id", "steps", "relapse", "when", "values", "label_zh", "label_en"}
	}
	n = deref(n)
	ru := &rule{category: c, line: n.Line, steps: 0}
	name := place
	// The id first, so that every other problem names the rule.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := deref(n.Content[i+1]); n.Content[i].Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				name, ru.id = v.Value, v.Value
			}
		}
	}
	before := len(p.errs)
	fields := p.mapping(n, name, "", keys...)
	var when *yaml.Node
	var values []*yaml.Node
	for _, f := range fields {
		switch f.key {
		case "id":
			if p.str(f.v, name, "id") == "" {
				break
			} else if !ruleID.MatchString(ru.id) {
				p.fail(f.v, name, "id: use lower-case letters, digits and _ (like arrears_over_2_months)")
			} else if ru.id == ScoreOverlayRule {
				p.fail(f.v, name, "id: %s is reserved for the score overlay", ScoreOverlayRule)
			} else if line, dup := p.ids[ru.id]; dup {
				p.fail(f.v, name, "id: already used by the rule on line %d", line)
			} else {
				p.ids[ru.id] = f.v.Line
			}
		case "level":
			ru.level = gridwarn.Level(p.str(f.v, name, "level"))
			if ru.level != "" && !ru.level.Valid() {
				p.fail(f.v, name, "level: unknown level %q (blue, yellow, orange, red)", ru.level)
			}
		case "fallback":
			ru.fallback = p.boolean(f.v, name, "fallback")
		case "steps":
			ru.steps = p.integer(f.v, name, "steps", 1)
		case "relapse":
			ru.relapse = p.boolean(f.v, name, "relapse")
		case "when":
			if _, ok := p.scalar(f.v, name, "when"); ok {
				when = f.v
			}
		case "values":
			for _, v := range p.sequence(f.v, name, "values") {
				if _, ok := p.scalar(v, name, "values"); ok {
					values = append(values, v)
				}
			}
		case "label_zh":
			ru.label.ZH = p.str(f.v, name, "label_zh")
		case "label_en":
			ru.label.EN = p.str(f.v, name, "label_en")
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if ru.id == "" && !slices.ContainsFunc(fields, func(f field) bool { return f.key == "id" }) {
		p.fail(n, name, "id: every rule needs an id")
	}
	if !isRaise && ru.level == "" && !slices.ContainsFunc(fields, func(f field) bool { return f.key == "level" }) {
		p.fail(n, name, "level: is required")
	}
	if isRaise && ru.steps == 0 {
		ru.steps = 1
	}
	if when == nil && !slices.ContainsFunc(fields, func(f field) bool { return f.key == "when" }) {
		p.fail(n, name, "when: is required")
	}
	if ru.label.ZH == "" || ru.label.EN == "" {
		p.fail(n, name, "needs label_zh and label_en")
	}
	ru.when, ru.values = p.compileWhen(when, name, values)
	if len(p.errs) > before {
		return nil
	}
	return ru
}

func defaultScore() scoreSpec {
	return scoreSpec{
		windowDays: 30, growthDays: 30, repeatDays: 90,
		weights: [nComponents]float64{0.30, 0.25, 0.15, 0.15, 0.15},
		full:    [nComponents]float64{10, 100, 3, 2, 300000},
		red:     80, orange: 60, yellow: 40,
		label: Label{ZH: "综合风险评分", EN: "Risk score"},
	}
}

func (p *parser) score(n *yaml.Node, sc *scoreSpec) {
	const w = "score"
	for _, f := range p.mapping(n, "", w, "overlay", "window_days", "growth_days", "repeat_days",
		"weights", "full", "bands", "label_zh", "label_en") {
		where := w + "." + f.key
		switch f.key {
		case "overlay":
			sc.overlay = p.boolean(f.v, "", where)
		case "window_days":
			sc.windowDays = p.integer(f.v, "", where, 1)
		case "growth_days":
			sc.growthDays = p.integer(f.v, "", where, 1)
		case "repeat_days":
			sc.repeatDays = p.integer(f.v, "", where, 1)
		case "weights", "full":
			names := componentNames[:]
			if f.key == "full" {
				names = []string{"cases", "people", "growth", "repeat_employer", "amount_cny"}
			}
			var sum float64
			for _, g := range p.mapping(f.v, "", where, names...) {
				x := p.number(g.v, "", where+"."+g.key)
				i := slices.Index(names, g.key)
				if f.key == "weights" {
					if x < 0 {
						p.fail(g.v, "", "%s.%s: must not be negative", where, g.key)
					}
					sc.weights[i] = x
				} else {
					if x <= 0 {
						p.fail(g.v, "", "%s.%s: must be above 0", where, g.key)
					}
					sc.full[i] = x
				}
				sum += x
			}
			if f.key == "weights" && sum <= 0 {
				p.fail(f.v, "", "%s: at least one weight must be above 0", where)
			}
		case "bands":
			for _, g := range p.mapping(f.v, "", where, "red", "orange", "yellow") {
				x := p.integer(g.v, "", where+"."+g.key, 1)
				switch g.key {
				case "red":
					sc.red = x
				case "orange":
					sc.orange = x
				case "yellow":
					sc.yellow = x
				}
			}
			if !(0 < sc.yellow && sc.yellow < sc.orange && sc.orange < sc.red && sc.red <= 100) {
				p.fail(f.v, "", "%s: want 0 < yellow < orange < red ≤ 100", where)
			}
		case "label_zh":
			sc.label.ZH = p.str(f.v, "", where)
		case "label_en":
			sc.label.EN = p.str(f.v, "", where)
		}
	}
}

func (p *parser) timeLimits(n *yaml.Node, r *Rules) {
	const w = "time_limits"
	for _, f := range p.mapping(n, "", w, "reminder_fraction", "enterprise", "town", "county") {
		if f.key == "reminder_fraction" {
			r.reminder = p.number(f.v, "", w+".reminder_fraction")
			if r.reminder <= 0 || r.reminder >= 1 {
				p.fail(f.v, "", "%s.reminder_fraction: must be between 0 and 1", w)
			}
			continue
		}
		tier := gridwarn.Tier(f.key)
		byLevel := map[gridwarn.Level]Limits{}
		var def *Limits
		for _, g := range p.mapping(f.v, "", w+"."+f.key) {
			where := w + "." + f.key + "." + g.key
			l := gridwarn.Level(g.key)
			if g.key != "default" && !l.Valid() {
				p.fail(g.k, "", "%s.%s: unknown level %q (a level or default)", w, f.key, g.key)
				continue
			}
			var ls Limits
			got := map[string]bool{}
			for _, h := range p.mapping(g.v, "", where, "accept", "contact", "resolve") {
				lim, err := parseLimit(p.str(h.v, "", where+"."+h.key))
				if err != nil {
					p.fail(h.v, "", "%s.%s: %v", where, h.key, err)
				}
				got[h.key] = true
				switch h.key {
				case "accept":
					ls.Accept = lim
				case "contact":
					ls.Contact = lim
				case "resolve":
					ls.Resolve = lim
				}
			}
			for _, k := range []string{"accept", "contact", "resolve"} {
				if !got[k] {
					p.fail(g.v, "", "%s: %s is required", where, k)
				}
			}
			if g.key == "default" {
				def = &ls
			} else {
				byLevel[l] = ls
			}
		}
		for _, l := range gridwarn.Levels {
			if _, ok := byLevel[l]; !ok {
				if def == nil {
					p.fail(f.k, "", "%s.%s: no limits for %s (add it or a default)", w, f.key, l)
					continue
				}
				byLevel[l] = *def
			}
		}
		r.limits[tier] = byLevel
	}
	for _, t := range gridwarn.Tiers {
		if _, ok := r.limits[t]; !ok {
			p.fail(n, "", "%s: the %s tier has no limits", w, t)
		}
	}
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

func (p *parser) calendar(n *yaml.Node, c *Calendar) {
	const w = "calendar"
	var holidays, extras *yaml.Node
	for _, f := range p.mapping(n, "", w, "time_zone", "weekend", "holidays", "extra_working_days") {
		switch f.key {
		case "time_zone":
			name := p.str(f.v, "", w+".time_zone")
			loc, err := time.LoadLocation(name)
			if err != nil || name == "" || name == "Local" {
				p.fail(f.v, "", "%s.time_zone: unknown time zone %q (like Asia/Shanghai)", w, name)
				continue
			}
			c.loc = loc
		case "weekend":
			c.weekend = [7]bool{}
			n := 0
			for _, d := range p.sequence(f.v, "", w+".weekend") {
				wd, ok := weekdays[strings.ToLower(d.Value)]
				if !ok {
					p.fail(d, "", "%s.weekend: unknown day %q (like saturday)", w, d.Value)
					continue
				}
				c.weekend[wd] = true
				n++
			}
			if n >= 7 {
				p.fail(f.v, "", "%s.weekend: a week needs a working day", w)
			}
		case "holidays":
			holidays = f.v
		case "extra_working_days":
			extras = f.v
		}
	}
	if holidays != nil {
		p.dates(holidays, w+".holidays", c.holiday)
	}
	if extras != nil {
		p.dates(extras, w+".extra_working_days", c.extra)
	}
	for d := range c.extra {
		if c.holiday[d] {
			p.fail(extras, "", "%s: %04d-%02d-%02d is both a holiday and an extra working day", w, d.y, d.m, d.d)
		}
	}
}

// dates reads a list of YYYY-MM-DD dates and YYYY-MM-DD..YYYY-MM-DD ranges.
func (p *parser) dates(n *yaml.Node, where string, into map[civilDate]bool) {
	parse := func(s string) (time.Time, bool) {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		return t, err == nil
	}
	for _, d := range p.sequence(n, "", where) {
		from, to, isRange := strings.Cut(d.Value, "..")
		a, ok := parse(from)
		b := a
		if isRange {
			var ok2 bool
			b, ok2 = parse(to)
			ok = ok && ok2
		}
		if !ok || b.Before(a) || b.Sub(a) > 366*24*time.Hour {
			p.fail(d, "", "%s: %q is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)", where, d.Value)
			continue
		}
		for t := a; !t.After(b); t = t.AddDate(0, 0, 1) {
			into[dateOf(t)] = true
		}
	}
}

// hotline reads `hotline: {time_limits: {ordinary: 3wd, difficult: 13wd,
// complex: 30wd}}`; a class not named keeps its default.
func (p *parser) hotline(n *yaml.Node, r *Rules) {
	for _, f := range p.mapping(n, "", "hotline", "time_limits") {
		for _, c := range p.mapping(f.v, "", "hotline.time_limits", "ordinary", "difficult", "complex") {
			s, ok := p.scalar(c.v, "", "hotline.time_limits."+c.key)
			if !ok {
				continue
			}
			l, err := parseLimit(s)
			if err != nil {
				p.fail(c.v, "", "hotline.time_limits.%s: %v", c.key, err)
				continue
			}
			r.hotline[gridwarn.CaseClass(c.key)] = l
		}
	}
}
