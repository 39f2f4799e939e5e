package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// minWindowCalls is how many calls a measured window needs before it may
// end: a window runs for its duration and then on until this many calls
// have completed, so a slow or loaded machine yields a slow figure instead
// of none. The rate divides the calls by the time they actually took.
const minWindowCalls = 20

// loadResult is what a closed-loop load run measured after its warm-up.
type loadResult struct {
	n, errs  int
	firstErr error
	elapsed  time.Duration
	lat      latencies // sorted
}

func (l loadResult) rate() float64 { return float64(l.n) / l.elapsed.Seconds() }

// runLoad calls fn from conc goroutines, each as fast as it answers, for
// warmup and then dur, and past dur until minWindowCalls calls have
// completed; only calls that start after the warm-up count.
func runLoad(ctx context.Context, conc int, warmup, dur time.Duration, fn func(ctx context.Context, worker, i int) error) loadResult {
	start := time.Now()
	from := start.Add(warmup)
	end := from.Add(dur)
	type acc struct {
		lat      latencies
		errs     int
		firstErr error
		lastDone time.Time
	}
	accs := make([]acc, conc)
	var (
		wg        sync.WaitGroup
		completed atomic.Int64 // measured calls, over all workers
	)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &accs[w]
			a.lat = make(latencies, 0, 4096)
			for i := 0; ; i++ {
				t := time.Now()
				if (!t.Before(end) && completed.Load() >= minWindowCalls) || ctx.Err() != nil {
					return
				}
				err := fn(ctx, w, i)
				done := time.Now()
				if t.Before(from) {
					continue
				}
				a.lastDone = done
				completed.Add(1)
				if err != nil {
					a.errs++
					if a.firstErr == nil {
						a.firstErr = err
					}
					continue
				}
				a.lat = append(a.lat, done.Sub(t))
			}
		}()
	}
	wg.Wait()
	var out loadResult
	last := from
	for _, a := range accs {
		out.lat = append(out.lat, a.lat...)
		out.errs += a.errs
		if out.firstErr == nil {
			out.firstErr = a.firstErr
		}
		if a.lastDone.After(last) {
			last = a.lastDone
		}
	}
	out.n = len(out.lat)
	out.elapsed = last.Sub(from)
	out.lat = out.lat.sorted()
	return out
}

// check turns a run with failed calls into an error.
func (l loadResult) check(what string) error {
	if l.errs > 0 {
		return fmt.Errorf("%s: %d of %d calls failed, e.g. %v", what, l.errs, l.errs+l.n, l.firstErr)
	}
	if l.n == 0 {
		return fmt.Errorf("%s: no call completed", what)
	}
	return nil
}

// newHTTPClient keeps at most conc keep-alive connections to one host.
func newHTTPClient(conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns: 2 * conc, MaxIdleConnsPerHost: 2 * conc, MaxConnsPerHost: conc,
			IdleConnTimeout: time.Minute, DisableCompression: true,
		},
		Timeout: 30 * time.Second,
	}
}

// do sends req and reads the whole answer; a status other than want is an
// error.
func do(c *http.Client, req *http.Request, want int) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return body, fmt.Errorf("%s %s: status %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return body, nil
}
