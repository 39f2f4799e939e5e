package postgres

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// An unknown username costs what a known one does: the dummy hash it is
// compared against has the configured cost, not the library's default.
func TestDummyHashHasTheConfiguredCost(t *testing.T) {
	for _, cost := range []int{bcrypt.MinCost, bcrypt.MinCost + 1} {
		db := &DB{sessions: SessionOptions{BcryptCost: cost}.withDefaults()}
		got, err := bcrypt.Cost(db.dummyHash())
		if err != nil || got != cost {
			t.Errorf("dummy hash cost = %d, %v; want %d", got, err, cost)
		}
	}
}
