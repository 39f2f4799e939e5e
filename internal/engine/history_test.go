package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// meeting holds each decision of the test's enterprise until another
// engine is deciding too (or a moment has passed), so that the two engines
// decide the same enterprise at the same time whenever they can. It
// records which engine decided which event.
type meeting struct {
	gridwarn.EventStore
	name string
	r    *rendezvous
}

type rendezvous struct {
	mu      sync.Mutex
	inside  int
	arrived chan struct{}
	by      map[string]string // event id -> engine
}

func (m *meeting) ApplyDecided(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, since time.Time, decide gridwarn.DecideFunc) (gridwarn.BatchResult, error) {
	return m.EventStore.ApplyDecided(ctx, items, dead, since, func(h map[string]gridwarn.History) []gridwarn.Incoming {
		m.r.mu.Lock()
		m.r.inside++
		if m.r.inside > 1 {
			close(m.r.arrived)
			m.r.arrived = make(chan struct{})
		}
		ch := m.r.arrived
		m.r.mu.Unlock()
		select { // with D2's locks the other engine cannot get here: go on alone
		case <-ch:
		case <-time.After(300 * time.Millisecond):
		}
		out := decide(h)
		m.r.mu.Lock()
		m.r.inside--
		for _, in := range out {
			m.r.by[in.Event.ID] = m.name
		}
		m.r.mu.Unlock()
		return out
	})
}

// D2: two engines on one durable consumer, one enterprise's repeated
// signals spread over both. Each engine reads the history inside its
// batch's transaction under the enterprise's lock, so every signal sees all
// the earlier ones: the repetition rule (third signal within 30 days) fires
// exactly once for each count of earlier signals — never twice for the same
// count, never missed.
func TestRepetitionRuleFiresOnceAcrossTwoEngines(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	r := &rendezvous{arrived: make(chan struct{}), by: map[string]string{}}
	for _, name := range []string{"engine-1", "engine-2"} {
		h.start(&meeting{EventStore: h.db, name: name, r: r}, engine.Options{BatchSize: 1})
	}
	const n = 8
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range n {
		e := event(fmt.Sprintf("rep-%d", i), entA, "wage_arrears")
		e.OccurredAt = at.Add(time.Duration(i) * time.Second)
		h.publishEvent(e)
	}
	h.drained(60 * time.Second)

	engines := map[string]int{}
	for _, name := range r.by {
		engines[name]++
	}
	if len(engines) != 2 {
		t.Fatalf("events per engine = %v; the test needs both engines to decide the enterprise's signals", engines)
	}
	rows, err := h.db.Pool().Query(context.Background(), `SELECT id, decision FROM events WHERE enterprise = $1`, entA)
	if err != nil {
		t.Fatal(err)
	}
	var counts []int // the earlier signals each firing of the rule saw
	stored := 0
	for rows.Next() {
		var id string
		var d gridwarn.Decision
		if err := rows.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		stored++
		for _, f := range d.Fired {
			if f.Rule != "third_signal_30d" {
				continue
			}
			for _, v := range f.Values {
				raw, _ := json.Marshal(v)
				var c int
				if err := json.Unmarshal(raw, &c); err != nil {
					t.Fatalf("%s: value %v of third_signal_30d: %v", id, v, err)
				}
				counts = append(counts, c)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Fatalf("events stored = %d, want %d", stored, n)
	}
	sort.Ints(counts)
	want := make([]int, 0, n-2)
	for c := 2; c < n; c++ {
		want = append(want, c)
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("third_signal_30d fired with earlier-signal counts %v, want each of %v exactly once (events per engine %v)",
			counts, want, engines)
	}
}
