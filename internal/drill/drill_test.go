package drill

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// A loss, a duplicate, a recovery that timed out or a broken invariant
// each fail the drill; the table says which row.
func TestResultFailsOnAnyLossOrDuplicate(t *testing.T) {
	good := Result{Rows: []Row{{Scenario: "baseline (no fault)", Acked: 10}}, Checks: []Check{{Name: "c"}}}
	if !good.OK() {
		t.Fatalf("a clean result failed:\n%s", good.Table())
	}
	cases := map[string]func(*Result){
		"lost":      func(r *Result) { r.Rows[0].Lost = 1 },
		"duplicate": func(r *Result) { r.Rows[0].Duplicate = 1 },
		"timed out": func(r *Result) { r.Rows[0].TimedOut = true },
		"invariant": func(r *Result) { r.Checks[0].Violations = 2 },
		"no rows":   func(r *Result) { r.Rows = nil },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			r := Result{Rows: []Row{good.Rows[0]}, Checks: []Check{good.Checks[0]}}
			spoil(&r)
			if r.OK() {
				t.Errorf("result passed:\n%s", r.Table())
			}
			if len(r.Rows) > 0 && !strings.Contains(r.Table(), "FAIL") {
				t.Errorf("the table does not say FAIL:\n%s", r.Table())
			}
		})
	}
}

// The proxy forwards to the first target that answers; when it stops, the
// link is cut.
func TestProxyForwardsToTheFirstLiveTarget(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte("echo " + line))
			}()
		}
	}()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Proxy{Listen: addr, Targets: []string{deadAddr, echo.Addr().String()}}.Run(ctx) }()
	var c net.Conn
	for i := 0; i < 200; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo hello\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Error("the open connection survived the proxy's end")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the proxy still accepts connections after its end")
	}
}
