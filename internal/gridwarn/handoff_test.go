package gridwarn

import (
	"testing"
)

// TestHandoffTable: each reason's modes and whether the sender's clocks
// pause, as the README's table says.
func TestHandoffTable(t *testing.T) {
	cases := []struct {
		reason, mode string
		valid, pause bool
	}{
		{HandoffWorkersHome, HandoffHand, true, true},
		{HandoffWorkersHome, HandoffShare, true, true},
		{HandoffEmployerElsewhere, HandoffHand, true, true},
		{HandoffEmployerElsewhere, HandoffShare, true, true},
		{HandoffJoint, HandoffShare, true, false},
		{HandoffJoint, HandoffHand, false, false},
		{HandoffInformation, HandoffShare, true, false},
		{HandoffInformation, HandoffHand, false, false},
		{"unknown", HandoffHand, false, false},
	}
	for _, c := range cases {
		t.Run(c.reason+"/"+c.mode, func(t *testing.T) {
			if got := PausesClocks(c.reason, c.mode); got != c.pause {
				t.Errorf("PausesClocks = %v, want %v", got, c.pause)
			}
			r := HandoffRequest{ToCounty: "320923", Mode: c.mode, Reason: c.reason, WorkersHomeCounty: "320923"}
			if err := r.Validate("320924"); (err == nil) != c.valid {
				t.Errorf("Validate = %v, want valid %v", err, c.valid)
			}
		})
	}
}

func TestHandoffRequestValidate(t *testing.T) {
	ok := HandoffRequest{ToCounty: "320923", Mode: HandoffHand, Reason: HandoffWorkersHome, WorkersHomeCounty: "320923"}
	cases := map[string]struct {
		edit  func(*HandoffRequest)
		field string
	}{
		"same county":     {func(r *HandoffRequest) { r.ToCounty = "320924" }, "to_county"},
		"bad county":      {func(r *HandoffRequest) { r.ToCounty = "32092" }, "to_county"},
		"bad home county": {func(r *HandoffRequest) { r.WorkersHomeCounty = "x" }, "workers_home_county"},
		"formula note":    {func(r *HandoffRequest) { r.Note = "=HYPERLINK(\"x\")" }, "note"},
		"bad mode":        {func(r *HandoffRequest) { r.Mode = "give" }, "mode"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := ok
			c.edit(&r)
			err := r.Validate("320924")
			e, isErr := err.(*Error)
			if !isErr || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
				t.Fatalf("Validate = %v, want a field error on %s", err, c.field)
			}
		})
	}
}

func TestHandoffNext(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{HandoffSent, HandoffAccepted, true}, {HandoffSent, HandoffDeclined, true}, {HandoffSent, HandoffClosed, false},
		{HandoffAccepted, HandoffClosed, true}, {HandoffAccepted, HandoffDeclined, false},
		{HandoffDeclined, HandoffAccepted, false}, {HandoffClosed, HandoffClosed, false},
	} {
		if got := HandoffNext(c.from, c.to); got != c.ok {
			t.Errorf("HandoffNext(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	a := HandoffAnswer{Accept: false}
	if a.Validate() == nil {
		t.Error("a decline without a reason passed")
	}
}
