package bench

import (
	"context"
	"testing"
	"time"
)

// A window too short for any call to finish still measures: it runs on
// until enough calls have completed, so a slow machine gives a slow figure,
// never "no call completed".
func TestLoadWindowEndsAfterEnoughCalls(t *testing.T) {
	res := runLoad(context.Background(), 2, 0, time.Nanosecond, func(context.Context, int, int) error {
		// Every call outlasts the whole window.
		for t0 := time.Now(); time.Since(t0) < time.Microsecond; {
		}
		return nil
	})
	if err := res.check("busy"); err != nil {
		t.Fatal(err)
	}
	if res.n < minWindowCalls {
		t.Errorf("calls = %d, want at least %d", res.n, minWindowCalls)
	}
	if res.elapsed <= 0 || res.rate() <= 0 {
		t.Errorf("elapsed %v, rate %v: want both positive", res.elapsed, res.rate())
	}
	if len(res.lat) != res.n {
		t.Errorf("latencies = %d for %d calls", len(res.lat), res.n)
	}
}
