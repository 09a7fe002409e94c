package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// notifyInterrupts returns a context that is cancelled at the first SIGINT
// (Ctrl-C) or SIGTERM, and a function through which a command takes the
// second one: force returns a channel that the second signal closes.
//
// The first signal asks hooklab to stop; listen then lets the deliveries in
// flight finish, and takes the second signal as "stop at once". A command
// that has not called force when the first signal comes cannot stop any
// sooner on a second, so the signals get their default action back at
// once, and a second Ctrl-C ends the process whatever it is doing (reading
// a FIFO, say). After the second signal they get it back too, so a third
// always does. Call stop when done.
func notifyInterrupts() (ctx context.Context, force func() <-chan struct{}, stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		claimed bool
	)
	forced := make(chan struct{})
	force = func() <-chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		claimed = true
		return forced
	}
	done := make(chan struct{})
	go func() {
		defer signal.Stop(signals)
		select {
		case <-signals:
			cancel()
		case <-done:
			return
		}
		mu.Lock()
		taken := claimed
		mu.Unlock()
		if !taken {
			// Default action from here on; a second signal that came
			// before it was restored is raised again, to have it.
			signal.Stop(signals)
			select {
			case sig := <-signals:
				if p, err := os.FindProcess(os.Getpid()); err == nil {
					p.Signal(sig)
				}
			default:
			}
			return
		}
		select {
		case <-signals:
			close(forced)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, force, func() {
		once.Do(func() {
			close(done)
			cancel()
		})
	}
}
