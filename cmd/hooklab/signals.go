package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// notifyInterrupts returns a context that is cancelled at the first SIGINT
// (Ctrl-C) or SIGTERM, and a channel that is closed at the second: the
// first asks hooklab to stop, listen to finish the deliveries in flight
// first; the second, to stop at once. After the second, the signals get
// their default action again, so a third ends the process whatever it is
// doing. Call stop when done.
func notifyInterrupts() (ctx context.Context, force <-chan struct{}, stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	forced := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer signal.Stop(signals)
		for _, next := range []func(){cancel, func() { close(forced) }} {
			select {
			case <-signals:
				next()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, forced, func() {
		once.Do(func() {
			close(done)
			cancel()
		})
	}
}
