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
	// One enterprise always goes to one worker, whatever else the message says.
	a := workerOf([]byte(`{"id":"1","enterprise":"91320924MA1100231L"}`), 4)
	b := workerOf([]byte(`{"enterprise":"91320924MA1100231L","id":"2","summary":"x"}`), 4)
	if a != b {
		t.Errorf("the same enterprise went to workers %d and %d", a, b)
	}
	if w := workerOf([]byte(`not json`), 4); w != 0 {
		t.Errorf("an unreadable message went to worker %d, want 0", w)
	}
}
