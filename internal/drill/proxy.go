package drill

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Proxy forwards TCP connections from a loopback address to the first of
// its targets that answers. It stands for the network between a county's
// leaf node and the hub: killing the proxy's process cuts the county off
// (open connections reset, new ones refused) and starting it again heals
// the link. It has no other state.
type Proxy struct {
	Listen  string
	Targets []string
	Log     *slog.Logger
}

// Run forwards until ctx ends.
func (p Proxy) Run(ctx context.Context) error {
	if len(p.Targets) == 0 {
		return errors.New("proxy: no target")
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", p.Listen)
	if err != nil {
		return err
	}
	log.Info("proxy listening", "listen", ln.Addr().String(), "targets", p.Targets)
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	go func() {
		<-ctx.Done()
		_ = ln.Close()
		mu.Lock()
		for c := range open {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	track := func(cs ...net.Conn) {
		mu.Lock()
		for _, c := range cs {
			open[c] = struct{}{}
		}
		mu.Unlock()
	}
	untrack := func(cs ...net.Conn) {
		mu.Lock()
		for _, c := range cs {
			delete(open, c)
		}
		mu.Unlock()
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := p.dial()
			if u == nil {
				_ = c.Close()
				return
			}
			track(c, u)
			defer untrack(c, u)
			done := make(chan struct{}, 2)
			pipe := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				done <- struct{}{}
			}
			go pipe(u, c)
			go pipe(c, u)
			<-done
			_ = c.Close()
			_ = u.Close()
			<-done
		}()
	}
}

func (p Proxy) dial() net.Conn {
	for _, t := range p.Targets {
		u, err := net.DialTimeout("tcp", t, 2*time.Second)
		if err == nil {
			return u
		}
	}
	return nil
}
