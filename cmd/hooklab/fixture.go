package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/expect"
	"github.com/hooklab/hooklab/internal/atomicfile"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/respond"
)

// fixtureOptions are listen's flags for testing a sender: what it must
// deliver, when to stop, and how to answer it.
type fixtureOptions struct {
	ExpectEvents   []string
	MaxEvents      int
	Timeout        time.Duration
	AllowRefused   bool
	JSON           bool
	ReadyFile      string
	Respond        []string
	RespondBody    string
	RespondHeaders []string
	Delay          string
	Drop           string
	Seed           int64
}

func fixtureFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "expect-events", Usage: "`EVENTS` that must arrive verified, comma-separated (push,ping or push=3 for a count); exit 1 when one did not, or a delivery was refused"},
		&cli.IntFlag{Name: "max-events", Usage: "stop after `N` deliveries"},
		&cli.DurationFlag{Name: "timeout", Usage: "stop after `DURATION` (e.g. 30s)"},
		&cli.BoolFlag{Name: "allow-refused", Usage: "with --expect-events: refused deliveries do not fail the run"},
		&cli.BoolFlag{Name: "json", Usage: "print the report of --expect-events as one JSON object when listen stops"},
		&cli.StringFlag{Name: "ready-file", Usage: "write the bound HOST:PORT to `FILE` once listen accepts connections (for scripts; --addr 127.0.0.1:0 picks a free port)"},
		&cli.StringSliceFlag{Name: "respond", Usage: "answer verified deliveries with these `STATUSES` in turn, the last repeating (500,500,200), or per event (push=503)"},
		&cli.StringFlag{Name: "respond-body", Usage: "answer scripted deliveries with the contents of `FILE`"},
		&cli.StringSliceFlag{Name: "respond-header", Usage: "add `'Name: value'` to scripted answers (repeatable)"},
		&cli.StringFlag{Name: "delay", Usage: "wait `DURATION` (3s) or a uniform random time in a range (100ms-2s) before answering"},
		&cli.StringFlag{Name: "drop", Usage: "close the connection without an answer on this `SHARE` of verified deliveries (0.1)"},
		&cli.Int64Flag{Name: "seed", Usage: "`SEED` for --delay ranges and --drop, for repeatable runs"},
	}
}

func fixtureOptionsFrom(c *cli.Context) fixtureOptions {
	return fixtureOptions{
		ExpectEvents: c.StringSlice("expect-events"), MaxEvents: c.Int("max-events"), Timeout: c.Duration("timeout"),
		AllowRefused: c.Bool("allow-refused"), JSON: c.Bool("json"), ReadyFile: c.String("ready-file"),
		Respond: c.StringSlice("respond"), RespondBody: c.String("respond-body"), RespondHeaders: c.StringSlice("respond-header"),
		Delay: c.String("delay"), Drop: c.String("drop"), Seed: c.Int64("seed"),
	}
}

// fixture is a listen that tests a sender: its expectations and its
// scripted answers, when asked for.
type fixture struct {
	o       fixtureOptions
	tracker *expect.Tracker    // nil without expectations or scripted answers
	respond *respond.Responder // nil without --respond, --delay, --drop, ...
	// judge: the report decides the exit (--expect-events, --max-events,
	// --timeout); with scripted answers alone it only shows the retries.
	judge bool
}

func resolveFixture(o fixtureOptions) (*fixture, error) {
	f := &fixture{o: o}
	if o.MaxEvents < 0 || o.Timeout < 0 {
		return nil, usageErrorf("--max-events and --timeout must not be negative")
	}
	events, err := expect.ParseEvents(o.ExpectEvents)
	if err != nil {
		return nil, usageErrorf("--expect-events: %v", err)
	}
	if (o.AllowRefused || o.JSON) && len(events) == 0 && o.MaxEvents == 0 && o.Timeout == 0 {
		return nil, usageErrorf("--allow-refused and --json go with --expect-events, --max-events or --timeout")
	}
	f.judge = len(events) > 0 || o.MaxEvents > 0 || o.Timeout > 0
	var rc respond.Config
	scripted := false
	if len(o.Respond) > 0 {
		if rc.Statuses, rc.ByEvent, err = respond.ParseStatuses(o.Respond); err != nil {
			return nil, usageErrorf("--respond: %v", err)
		}
		scripted = true
	}
	if o.RespondBody != "" {
		if rc.Body, err = os.ReadFile(o.RespondBody); err != nil {
			return nil, usageErrorf("--respond-body: %v", err)
		}
		scripted = true
	}
	for _, h := range o.RespondHeaders {
		kv, err := respond.ParseHeader(h)
		if err != nil {
			return nil, usageErrorf("--respond-header: %v", err)
		}
		rc.Header, scripted = append(rc.Header, kv), true
	}
	if o.Delay != "" {
		if rc.DelayMin, rc.DelayMax, err = respond.ParseDelay(o.Delay); err != nil {
			return nil, usageErrorf("--delay: %v", err)
		}
		scripted = true
	}
	if o.Drop != "" {
		if rc.Drop, err = respond.ParseDrop(o.Drop); err != nil {
			return nil, usageErrorf("--drop: %v", err)
		}
		scripted = true
	}
	rc.Seed = o.Seed
	if scripted {
		f.respond = respond.New(rc)
	}
	if f.judge || scripted {
		f.tracker = expect.New(expect.Config{Events: events, MaxEvents: o.MaxEvents, AllowRefused: o.AllowRefused})
	}
	return f, nil
}

// responder is the receiver's Responder, nil when nothing is scripted.
func (f *fixture) responder() receiver.Responder {
	if f.respond == nil {
		return nil
	}
	return f.respond
}

// observe adds the tracker to next, the hub's observer.
func (f *fixture) observe(next func(*receiver.Delivery) string) func(*receiver.Delivery) string {
	if f.tracker == nil {
		return next
	}
	return func(d *receiver.Delivery) string {
		f.tracker.Observe(d)
		if next == nil {
			return ""
		}
		return next(d)
	}
}

// stopWhenDone cancels the listen when --max-events deliveries came or
// --timeout passed, saying which.
func (f *fixture) stopWhenDone(ctx context.Context, stop context.CancelFunc, log *slog.Logger) {
	if f.tracker == nil {
		return
	}
	var timeout <-chan time.Time
	if f.o.Timeout > 0 {
		t := time.NewTimer(f.o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-f.tracker.Done():
		log.Info(fmt.Sprintf("stopping: %d deliveries came (--max-events)", f.o.MaxEvents))
	case <-timeout:
		log.Info("stopping: --timeout " + f.o.Timeout.String() + " passed")
	case <-ctx.Done():
		return
	}
	stop()
}

// report prints what was expected and what came, and returns the error
// that makes listen exit 1 when an expectation failed. With --json, or
// when every line listen prints is JSON (jsonLog), it is one JSON object.
func (f *fixture) report(w io.Writer, jsonLog bool) error {
	if f.tracker == nil {
		return nil
	}
	rep := f.tracker.Report()
	if f.o.JSON || jsonLog {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
	} else {
		rep.WriteText(w)
	}
	if f.judge && !f.tracker.OK() {
		return reportedError{fmt.Errorf("expectations not met")}
	}
	return nil
}

// writeReady writes addr to path for a script waiting for listen: whole,
// or not at all (a temporary file renamed into place).
func writeReady(path, addr string) error {
	if err := atomicfile.Write(path, []byte(addr+"\n"), 0o644); err != nil {
		return fmt.Errorf("--ready-file: %w", err)
	}
	return nil
}
