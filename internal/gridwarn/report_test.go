package gridwarn_test

import (
	"reflect"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Several enterprises stayed red, each with several tickets: every ticket
// stays with its enterprise (the first version kept pointers into a slice it
// was still growing, and lost the earlier enterprises' later tickets).
func TestStayedRedOf(t *testing.T) {
	red := func(id int64, ent string) gridwarn.RedTicket {
		return gridwarn.RedTicket{TicketID: id, Enterprise: ent, Name: "企业" + ent}
	}
	before := []gridwarn.RedTicket{red(1, "A"), red(2, "B"), red(3, "C")}
	now := []gridwarn.RedTicket{red(10, "A"), red(11, "B"), red(12, "D"), red(13, "A"), red(14, "C"), red(15, "B"), red(16, "A")}
	got := gridwarn.StayedRedOf(before, now)
	want := []gridwarn.StayedRed{
		{Enterprise: "A", Name: "企业A", TicketIDs: []int64{10, 13, 16}},
		{Enterprise: "B", Name: "企业B", TicketIDs: []int64{11, 15}},
		{Enterprise: "C", Name: "企业C", TicketIDs: []int64{14}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("StayedRedOf:\n got %+v\nwant %+v", got, want)
	}
	if got := gridwarn.StayedRedOf(nil, now); got == nil || len(got) != 0 {
		t.Fatalf("nothing red before: want an empty list (JSON []), got %#v", got)
	}
}
