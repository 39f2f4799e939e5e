package rules

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"

	"github.com/expr-lang/expr/vm"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Rules is a compiled rules file. It is immutable and safe for concurrent
// use; Decide does no I/O.
type Rules struct {
	version       string
	name          string
	levels        map[gridwarn.Level]Label
	rules         []*rule                       // level rules, in file order
	byCategory    map[gridwarn.Category][]*rule // `any` and the category's rules, in file order
	raises        []*rule                       // in file order
	routing       map[gridwarn.Level]gridwarn.Tier
	limits        map[gridwarn.Tier]map[gridwarn.Level]Limits
	reminder      float64
	timeScale     float64
	cal           *Calendar
	countyAbsorbs bool
	bodies        map[string]BodyLimits // outside_bodies; nil: defaultBodies
	score         scoreSpec
	historyDays   int
	states        *sync.Pool // of *state, shared by copies
	// hotline: the time limit of each 12351 case class.
	hotline map[gridwarn.CaseClass]Limit
}

var (
	_ gridwarn.Decider      = (*Rules)(nil)
	_ gridwarn.ClockPlanner = (*Rules)(nil)
)

// Label is a level's or a rule's name in Chinese and English.
type Label struct {
	ZH, EN string
}

// rule is a level rule or a raise.
type rule struct {
	id       string
	category gridwarn.Category // "" for `any` and for raises
	level    gridwarn.Level    // level rules
	fallback bool              // fires only when no other level rule did
	steps    int               // raises
	relapse  bool              // raises
	when     *vm.Program
	values   []valueProg
	label    Label
	line     int
}

// scoreSpec is the score model and its optional overlay.
type scoreSpec struct {
	overlay                            bool
	windowDays, growthDays, repeatDays int
	weights                            [nComponents]float64
	full                               [nComponents]float64
	red, orange, yellow                int
	label                              Label
}

// Score components, in the order of weights and full.
const (
	compCases = iota
	compPeople
	compGrowth
	compRepeat
	compAmount
	nComponents
)

var componentNames = [nComponents]string{"cases", "people", "growth", "repeat_employer", "amount"}

// ScoreOverlayRule is the rule id of the firing added when the score
// overlay raises a level.
const ScoreOverlayRule = "score_overlay"

// minHistoryDays is the least history the engine is asked for.
const minHistoryDays = 90

// Load reads and compiles a rules file.
func Load(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return Parse(data, path)
}

// Version is the version of the rules file, stored with every decision.
func (r *Rules) Version() string { return r.version }

// Name is where the rules were read from.
func (r *Rules) Name() string { return r.name }

// HistoryDays is the longest history window any rule or the score reads,
// at least 90 days.
func (r *Rules) HistoryDays() int { return r.historyDays }

// RuleCount is the number of level rules and raises.
func (r *Rules) RuleCount() int { return len(r.rules) + len(r.raises) }

// StartingTier is the tier a new ticket of level starts at (routing).
func (r *Rules) StartingTier(l gridwarn.Level) gridwarn.Tier {
	if t, ok := r.routing[l]; ok {
		return t
	}
	return gridwarn.TierEnterprise
}

// LevelLabel is a level's name from the file.
func (r *Rules) LevelLabel(l gridwarn.Level) Label { return r.levels[l] }

// ScoreOverlay reports whether the score may raise levels.
func (r *Rules) ScoreOverlay() bool { return r.score.overlay }

// WithScoreOverlay returns a copy of the rules with the score overlay on
// or off.
func (r *Rules) WithScoreOverlay(on bool) *Rules {
	c := r.clone()
	c.score.overlay = on
	return c
}

func (r *Rules) clone() *Rules {
	c := *r
	return &c
}

// Decide makes the decision about one event. A rule whose expression fails
// at run time (which the type check makes rare: an integer division by
// zero) does not fire; Evaluate reports such failures.
func (r *Rules) Decide(in gridwarn.DecisionInput) gridwarn.Decision {
	d, _ := r.Evaluate(in)
	return d
}

// Evaluate is Decide that also returns the run-time failures of rules.
func (r *Rules) Evaluate(in gridwarn.DecisionInput) (gridwarn.Decision, error) {
	s := r.states.Get().(*state)
	defer func() {
		s.clear()
		r.states.Put(s)
	}()
	s.reset(&in)

	var errs []error
	run := func(ru *rule) bool {
		out, err := s.vm.Run(ru.when, &s.env)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", ru.id, err))
			return false
		}
		b, _ := out.(bool)
		return b
	}
	fire := func(ru *rule, l gridwarn.Level) gridwarn.Firing {
		f := gridwarn.Firing{Rule: ru.id, Level: l, LabelZH: ru.label.ZH, LabelEN: ru.label.EN}
		if len(ru.values) > 0 {
			f.Values = make(map[string]any, len(ru.values))
			for _, v := range ru.values {
				out, err := s.vm.Run(v.prog, &s.env)
				if err != nil {
					errs = append(errs, fmt.Errorf("rule %s: value %s: %w", ru.id, v.key, err))
					continue
				}
				f.Values[v.key] = evalValue(out)
			}
		}
		return f
	}

	d := gridwarn.Decision{Level: gridwarn.LevelBlue, RulesVersion: r.version}
	var fallbacks []*rule
	rs, ok := r.byCategory[in.Event.Category]
	if !ok {
		rs = r.byCategory[""]
	}
	for _, ru := range rs {
		if ru.fallback {
			fallbacks = append(fallbacks, ru)
			continue
		}
		if run(ru) {
			d.Fired = append(d.Fired, fire(ru, ru.level))
			d.Level = gridwarn.MaxLevel(d.Level, ru.level)
		}
	}
	if len(d.Fired) == 0 {
		for _, ru := range fallbacks {
			if run(ru) {
				d.Fired = append(d.Fired, fire(ru, ru.level))
				d.Level = gridwarn.MaxLevel(d.Level, ru.level)
			}
		}
	}
	for _, ru := range r.raises {
		if run(ru) {
			d.Level = raise(d.Level, ru.steps)
			d.Fired = append(d.Fired, fire(ru, d.Level))
			d.Relapse = d.Relapse || ru.relapse
		}
	}
	score, parts := r.score.compute(&in, d.Level)
	d.Score = score
	if band := r.score.band(score); r.score.overlay && band.Rank() > d.Level.Rank() {
		d.Level = band
		values := map[string]any{"score": score}
		for i, p := range parts {
			values["score."+componentNames[i]] = math.Round(p*1000) / 1000
		}
		d.Fired = append(d.Fired, gridwarn.Firing{Rule: ScoreOverlayRule, Level: band, Values: values,
			LabelZH: r.score.label.ZH, LabelEN: r.score.label.EN})
	}
	d.Tier = r.StartingTier(d.Level)
	return d, errors.Join(errs...)
}

// raise moves a level up by steps, red at most.
func raise(l gridwarn.Level, steps int) gridwarn.Level {
	i := max(l.Rank()-1, 0) + steps
	return gridwarn.Levels[min(i, len(gridwarn.Levels)-1)]
}

// compute is the 0–100 score of an event decided at level, and its
// components scaled to 0–1.
func (sc *scoreSpec) compute(in *gridwarn.DecisionInput, level gridwarn.Level) (int, [nComponents]float64) {
	var c [nComponents]float64
	now, e := in.Now, in.Event
	winFrom, growFrom, prevFrom := cutoff(now, sc.windowDays), cutoff(now, sc.growthDays), cutoff(now, 2*sc.growthDays)
	cases := float64(max(level.Rank(), 1))
	people := 0
	if e.WorkersInvolved != nil {
		people = *e.WorkersInvolved
	}
	recent, previous := 1, 0
	for _, sg := range in.History.Signals {
		if e.ID != "" && sg.EventID == e.ID {
			continue
		}
		if !sg.OccurredAt.Before(winFrom) {
			cases += float64(max(sg.Level.Rank(), 1))
			people = max(people, sg.Workers)
		}
		switch {
		case !sg.OccurredAt.Before(growFrom):
			recent++
		case !sg.OccurredAt.Before(prevFrom):
			previous++
		}
	}
	c[compCases] = cases
	c[compPeople] = float64(people)
	c[compGrowth] = float64(recent - previous)
	c[compRepeat] = float64(closedSince(&in.History, "", cutoff(now, sc.repeatDays)))
	if e.AmountOwedCNY != nil {
		c[compAmount] = *e.AmountOwedCNY
	}
	var sum, wsum float64
	for i := range c {
		c[i] = min(max(c[i]/sc.full[i], 0), 1)
		sum += sc.weights[i] * c[i]
		wsum += sc.weights[i]
	}
	return int(math.Round(100 * sum / wsum)), c
}

// band is the level a score falls in.
func (sc *scoreSpec) band(score int) gridwarn.Level {
	switch {
	case score >= sc.red:
		return gridwarn.LevelRed
	case score >= sc.orange:
		return gridwarn.LevelOrange
	case score >= sc.yellow:
		return gridwarn.LevelYellow
	default:
		return gridwarn.LevelBlue
	}
}

// Rule describes one rule of the file, for tools (`gridwarn rules check`).
type Rule struct {
	ID       string
	Category gridwarn.Category // "" for `any` and raises
	Level    gridwarn.Level    // "" for raises
	Raise    int               // steps, for raises
	Fallback bool
	Relapse  bool
	Label    Label
	Line     int
	When     string // the condition, as written
}

// Rules lists the level rules then the raises, in file order.
func (r *Rules) Rules() []Rule {
	var out []Rule
	for _, ru := range slices.Concat(r.rules, r.raises) {
		out = append(out, Rule{ID: ru.id, Category: ru.category, Level: ru.level, Raise: ru.steps,
			Fallback: ru.fallback, Relapse: ru.relapse, Label: ru.label, Line: ru.line, When: ru.when.Source().String()})
	}
	return out
}
