package demo

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func TestEnterprisesHaveValidCreditCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Enterprises() {
		if err := gridwarn.ValidateCreditCode(e.CreditCode); err != nil {
			t.Errorf("%s %s: %v", e.Name, e.CreditCode, err)
		}
		if e.CreditCode[2:8] != CountyCode || seen[e.CreditCode] {
			t.Errorf("%s: code %s not unique or not in county %s", e.Name, e.CreditCode, CountyCode)
		}
		seen[e.CreditCode] = true
	}
}

// Every simulated event keeps the contract.
func TestSimulatedEventsKeepTheContract(t *testing.T) {
	s := &Simulator{Enterprises: Enterprises(), Rand: rand.New(rand.NewPCG(1, 2)), Now: time.Now}
	for i := 0; i < 500; i++ {
		e := s.Event()
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := contract.ParseEvent(data); err != nil {
			t.Fatalf("event %s breaks the contract: %v\n%s", e.ID, err, data)
		}
	}
}
