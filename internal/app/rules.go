package app

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
)

// liveRules are the rules in force. A reload swaps them atomically: the
// engine's next decision and the next tier change use the new rules, what
// was decided before keeps the version it was decided with, and a bad file
// leaves the old rules in force.
type liveRules struct {
	file  string
	scale float64
	cur   atomic.Pointer[rules.Rules]
	mu    sync.Mutex // one reload at a time; guards the fields below
	at    time.Time
	err   string
}

var (
	_ gridwarn.Decider          = (*liveRules)(nil)
	_ gridwarn.ClockPlanner     = (*liveRules)(nil)
	_ gridwarn.HotlineClock     = (*liveRules)(nil)
	_ gridwarn.BodyClockPlanner = (*liveRules)(nil)
)

// HotlineDue is the 12351 class clock of the rules in force.
func (l *liveRules) HotlineDue(c gridwarn.CaseClass, filed time.Time) time.Time {
	return l.cur.Load().HotlineDue(c, filed)
}

func loadRules(file string, scale float64) (*liveRules, error) {
	l := &liveRules{file: file, scale: scale}
	if _, err := l.Reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// Reload re-reads the rules file (the built-in default when none is
// configured) and returns the version now in force.
func (l *liveRules) Reload() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := rules.Default()
	if l.file != "" {
		var err error
		if r, err = rules.Load(l.file); err != nil {
			l.err = err.Error()
			return l.Version(), fmt.Errorf("rules %s: %w", l.file, err)
		}
	}
	if l.scale > 0 && l.scale != 1 {
		r = r.WithTimeScale(l.scale)
	}
	l.cur.Store(r)
	l.at, l.err = time.Now(), ""
	return r.Version(), nil
}

// RulesInfo describes the rules in force.
func (l *liveRules) RulesInfo() gridwarn.RulesInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.cur.Load()
	return gridwarn.RulesInfo{Version: r.Version(), File: l.file, RuleCount: r.RuleCount(), LoadedAt: l.at, LastError: l.err}
}

// ReloadRules reloads and describes the result.
func (l *liveRules) ReloadRules() (gridwarn.RulesInfo, error) {
	_, err := l.Reload()
	return l.RulesInfo(), err
}

func (l *liveRules) Decide(in gridwarn.DecisionInput) gridwarn.Decision {
	return l.cur.Load().Decide(in)
}

func (l *liveRules) Version() string {
	if r := l.cur.Load(); r != nil {
		return r.Version()
	}
	return ""
}

func (l *liveRules) HistoryDays() int { return l.cur.Load().HistoryDays() }

func (l *liveRules) Clocks(tier gridwarn.Tier, level gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	return l.cur.Load().Clocks(tier, level, start)
}

// BodyClock gives an outside body's clocks (rules: outside_bodies).
func (l *liveRules) BodyClock(body string, kind gridwarn.ClockKind, start time.Time, extended bool) (gridwarn.ClockPlan, bool) {
	return l.cur.Load().BodyClock(body, kind, start, extended)
}

// CountyAbsorbs says whether an open county-tier ticket absorbs an
// enterprise's new lower-tier signals (rules: grouping).
func (l *liveRules) CountyAbsorbs() bool { return l.cur.Load().CountyAbsorbs() }
