package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Differ is the what-if of a rules change (`gridwarn rules diff` and the
// console's rules page): it decides stored events, oldest first, under two
// rules files. Each event sees the enterprise's events before it as
// history, as the engine would, with the levels the old rules gave them.
// It does no I/O: the caller reads the events and hands them in one by one.
type Differ struct {
	old, new *Rules
	hist     map[string]*gridwarn.History
	total    int
	counts   map[Transition]int
}

// NewDiffer starts a replay of events under oldR and newR.
func NewDiffer(oldR, newR *Rules) *Differ {
	return &Differ{old: oldR, new: newR, hist: map[string]*gridwarn.History{}, counts: map[Transition]int{}}
}

// Transition is a decision's level and starting tier under the old rules
// and under the new ones.
type Transition struct {
	OldLevel gridwarn.Level
	OldTier  gridwarn.Tier
	NewLevel gridwarn.Level
	NewTier  gridwarn.Tier
}

// Changed reports whether the level or the tier differs.
func (t Transition) Changed() bool { return t.OldLevel != t.NewLevel || t.OldTier != t.NewTier }

func (t Transition) String() string {
	return fmt.Sprintf("%s/%s → %s/%s", t.OldLevel, t.OldTier, t.NewLevel, t.NewTier)
}

// Outcome is one event decided under both rules files.
type Outcome struct {
	Event    gridwarn.Event
	Old, New gridwarn.Decision
}

// Transition is the outcome's change of level and tier.
func (o Outcome) Transition() Transition {
	return Transition{OldLevel: o.Old.Level, OldTier: o.Old.Tier, NewLevel: o.New.Level, NewTier: o.New.Tier}
}

// Changed reports whether the level or the tier would change.
func (o Outcome) Changed() bool { return o.Transition().Changed() }

// NewRules are the ids of the rules that fired under the new rules.
func (o Outcome) NewRules() []string {
	ids := make([]string, 0, len(o.New.Fired))
	for _, f := range o.New.Fired {
		ids = append(ids, f.Rule)
	}
	return ids
}

// Decide decides the next event (events must come oldest first) about
// enterprise ent under both rules files, and adds it to the enterprise's
// history for the events after it. The decision is made as of the moment
// the event occurred.
func (d *Differ) Decide(ev gridwarn.Event, ent gridwarn.Enterprise) Outcome {
	d.total++
	h := d.hist[ev.Enterprise]
	if h == nil {
		h = &gridwarn.History{}
		d.hist[ev.Enterprise] = h
	}
	in := gridwarn.DecisionInput{Event: ev, Enterprise: ent, History: *h, Now: ev.OccurredAt}
	o := Outcome{Event: ev, Old: d.old.Decide(in), New: d.new.Decide(in)}
	workers := 0
	if ev.WorkersInvolved != nil {
		workers = *ev.WorkersInvolved
	}
	h.Signals = append([]gridwarn.Signal{{EventID: ev.ID, Category: ev.Category,
		OccurredAt: ev.OccurredAt, Workers: workers, Level: o.Old.Level}}, h.Signals...)
	d.counts[o.Transition()]++
	return o
}

// Total is the number of events decided.
func (d *Differ) Total() int { return d.total }

// TransitionCount is how many events took one transition.
type TransitionCount struct {
	Transition
	Events int
}

// Counts lists how many events changed in each way, ordered by the
// transition's text; with unchanged, the transitions that change nothing
// too.
func (d *Differ) Counts(unchanged bool) []TransitionCount {
	var out []TransitionCount
	for t, n := range d.counts {
		if t.Changed() || unchanged {
			out = append(out, TransitionCount{Transition: t, Events: n})
		}
	}
	slices.SortFunc(out, func(a, b TransitionCount) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Changed is the number of events whose level or tier would change.
func (d *Differ) Changed() int {
	n := 0
	for t, c := range d.counts {
		if t.Changed() {
			n += c
		}
	}
	return n
}
