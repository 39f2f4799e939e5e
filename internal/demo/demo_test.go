package demo

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/contract"
)

// Every simulated event keeps the contract.
func TestSimulatedEventsKeepTheContract(t *testing.T) {
	s := &Simulator{Enterprises: County(0).SimulatorEnterprises(), Rand: rand.New(rand.NewPCG(1, 2)), Now: time.Now}
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
