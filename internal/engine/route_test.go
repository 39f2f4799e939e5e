package engine

import "testing"

func TestEnterpriseProbe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"id":"a","enterprise":"91320924MA1100231L","category":"other"}`, "91320924MA1100231L"},
		{`{"id":"a", "enterprise" : "X1" }`, "X1"},
		{`{"id": "broken`, ""},
		{`{"enterprise": 5}`, ""},
		{`{"enterprise": "unterminated`, ""},
		{`{"summary":"no code here"}`, ""},
	} {
		if got := string(enterpriseProbe([]byte(c.in))); got != c.want {
			t.Errorf("enterpriseProbe(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The router keeps an enterprise with the worker that holds its messages,
// gives everything to the first worker while it holds less than a batch,
// and spreads the rest over the least loaded once it does.
func TestRouterSticksThenSpreads(t *testing.T) {
	r := newRouter(3, 2)
	a, b, c, d := []byte("A"), []byte("B"), []byte("C"), []byte("D")
	if w := r.route(a); w != 0 {
		t.Fatalf("first message to worker %d, want 0", w)
	}
	if w := r.route(b); w != 0 {
		t.Fatalf("second message to worker %d, want 0 (it holds less than a batch)", w)
	}
	if w := r.route(a); w != 0 {
		t.Errorf("A went to worker %d while worker 0 holds its messages", w)
	}
	if w := r.route(c); w != 1 {
		t.Errorf("C went to worker %d, want 1 (worker 0 holds a batch, 1 and 2 hold nothing)", w)
	}
	if w := r.route(d); w != 2 {
		t.Errorf("D went to worker %d, want 2 (the least loaded)", w)
	}
	if w := r.route(nil); w != 0 {
		t.Errorf("an unreadable message went to worker %d, want 0", w)
	}
	// Worker 0 finishes its batch: A and B are no longer in hand, and
	// worker 0 takes new enterprises again.
	for _, code := range [][]byte{a, b, a, nil} {
		r.done(code)
	}
	if w := r.route(b); w != 0 {
		t.Errorf("B went to worker %d after worker 0 emptied, want 0", w)
	}
	if w := r.route(c); w != 1 {
		t.Errorf("C went to worker %d while worker 1 holds its message, want 1", w)
	}
	if n := len(r.owner); n != 3 {
		t.Errorf("%d enterprises in hand, want 3 (B, C, D)", n)
	}
}
