// Package expect checks what a listen run received against what the user
// expected (listen --expect-events, --max-events, --allow-refused), so that
// listen can serve as a CI step for a sender, and reports the sender's
// retries: each delivery id seen more than once, the intervals between its
// attempts and the attempt that got the first 2xx.
//
// A Tracker observes every delivery (the receiver's Observe hook); its
// Report says whether the run passed.
package expect

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// ParseEvents parses the values of --expect-events: events separated by
// commas, each expected at least once ("push,ping,release") or at least N
// times ("push=3"). The flag may be repeated; an event named twice is an
// error, since which count was meant is unclear. Event names are matched
// exactly against the deliveries' events.
func ParseEvents(values []string) (map[string]int, error) {
	events := make(map[string]int)
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			name, count, hasCount := strings.Cut(item, "=")
			name = strings.TrimSpace(name)
			if name == "" {
				return nil, fmt.Errorf("--expect-events %q: empty event name: give events separated by commas, like push,ping or push=3", v)
			}
			if strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("--expect-events %q: %q is not one event name; separate events with commas", v, name)
			}
			n := 1
			if hasCount {
				var err error
				n, err = strconv.Atoi(strings.TrimSpace(count))
				if err != nil || n < 1 {
					return nil, fmt.Errorf("--expect-events %q: the count of %s must be a whole number of at least 1, like %s=3", v, name, name)
				}
			}
			if _, dup := events[name]; dup {
				return nil, fmt.Errorf("--expect-events: %s is named twice; name it once, with its count as %s=N", name, name)
			}
			events[name] = n
		}
	}
	return events, nil
}

// Config is what a Tracker expects.
type Config struct {
	// Events maps each expected event to the number of verified
	// deliveries it needs at least (ParseEvents); retries of a delivery
	// id count once.
	Events map[string]int
	// MaxEvents, when positive, closes Done once that many deliveries,
	// refused ones included, were observed (--max-events).
	MaxEvents int
	// AllowRefused keeps refused deliveries from failing the run.
	AllowRefused bool
}

// Tracker counts the deliveries of a run. It is safe for concurrent use.
type Tracker struct {
	cfg  Config
	done chan struct{}

	mu       sync.Mutex
	total    int
	verified int
	seen     map[string]int
	refused  map[receiver.Reason]int
	attempts map[string][]attempt // by delivery id
	closed   bool
}

// attempt is one delivery of an id.
type attempt struct {
	received time.Time
	answered int
	event    string
}

// New returns a Tracker for cfg. It copies cfg.Events.
func New(cfg Config) *Tracker {
	events := make(map[string]int, len(cfg.Events))
	for ev, n := range cfg.Events {
		events[ev] = n
	}
	cfg.Events = events
	return &Tracker{
		cfg:      cfg,
		done:     make(chan struct{}),
		seen:     make(map[string]int),
		refused:  make(map[receiver.Reason]int),
		attempts: make(map[string][]attempt),
	}
}

// verified reports whether d passed every check: ok, or ignored_event
// (verified, but not an event listen --events names), which still counts
// as the sender's event having arrived.
func verified(d *receiver.Delivery) bool {
	return d.Verified() || d.Reason == receiver.ReasonIgnoredEvent
}

// Observe counts d: every delivery in the total; a verified one under its
// event, once per delivery id (the retries of an id are one delivery of
// the event; a delivery without an id counts each time), and as an
// attempt of its id (by d.Received and d.Answered); any other with a 4xx
// or 5xx status as refused. It closes Done when the total reaches
// Config.MaxEvents.
func (t *Tracker) Observe(d *receiver.Delivery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	switch {
	case verified(d):
		t.verified++
		// A retry is the same delivery again: it counts once.
		if d.ID == "" || len(t.attempts[d.ID]) == 0 {
			t.seen[d.Event]++
		}
		if d.ID != "" {
			t.attempts[d.ID] = append(t.attempts[d.ID], attempt{received: d.Received, answered: d.Answered, event: d.Event})
		}
	case d.Status >= 400:
		t.refused[d.Reason]++
	}
	if t.cfg.MaxEvents > 0 && t.total >= t.cfg.MaxEvents && !t.closed {
		t.closed = true
		close(t.done)
	}
}

// Done returns a channel closed once Config.MaxEvents deliveries were
// observed; without MaxEvents it is never closed.
func (t *Tracker) Done() <-chan struct{} { return t.done }

// OK reports whether the run so far passes: every expected event arrived
// verified as often as expected, and no delivery was refused unless
// Config.AllowRefused.
func (t *Tracker) OK() bool { return t.Report().OK }

// Report is the outcome of a run, printed by listen when it stops: as
// text with WriteText, or as one JSON object with --json.
type Report struct {
	// OK is Tracker.OK: the exit status 0 or 1.
	OK bool `json:"ok"`
	// Expected lists each expected event with what came, by name.
	Expected []Expectation `json:"expected"`
	// Seen counts the verified deliveries of every event, expected or
	// not, each delivery id once.
	Seen map[string]int `json:"seen"`
	// Refused counts the refused deliveries; RefusedReasons by reason.
	Refused        int                     `json:"refused"`
	RefusedReasons map[receiver.Reason]int `json:"refused_reasons,omitempty"`
	AllowRefused   bool                    `json:"allow_refused"`
	// Total counts every delivery observed; Verified those verified,
	// retries included.
	Total    int `json:"total"`
	Verified int `json:"verified"`
	// Retries lists the delivery ids seen more than once, in the order of
	// their first attempt.
	Retries []Retry `json:"retries"`
}

// Expectation is one expected event and how often it came verified.
type Expectation struct {
	Event string `json:"event"`
	Want  int    `json:"want"`
	Got   int    `json:"got"`
	Met   bool   `json:"met"`
}

// Retry is a delivery id that a sender delivered more than once.
type Retry struct {
	ID    string `json:"id"`
	Event string `json:"event"`
	// Attempts is how many times the id arrived verified.
	Attempts int `json:"attempts"`
	// IntervalsMS are the times between consecutive attempts, in
	// milliseconds, by when each was received: Attempts-1 of them.
	IntervalsMS []float64 `json:"intervals_ms"`
	// FirstSuccess is the attempt (from 1) first answered with a 2xx,
	// 0 when none was.
	FirstSuccess int `json:"first_success"`
}

// Intervals returns IntervalsMS as durations.
func (r Retry) Intervals() []time.Duration {
	ds := make([]time.Duration, len(r.IntervalsMS))
	for i, ms := range r.IntervalsMS {
		ds[i] = time.Duration(ms * float64(time.Millisecond))
	}
	return ds
}

// Report returns the outcome so far. It may be called at any time, and
// again later.
func (t *Tracker) Report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := Report{
		OK:           true,
		Expected:     []Expectation{},
		Seen:         make(map[string]int, len(t.seen)),
		AllowRefused: t.cfg.AllowRefused,
		Total:        t.total,
		Verified:     t.verified,
		Retries:      []Retry{},
	}
	for ev, n := range t.seen {
		r.Seen[ev] = n
	}
	for ev, want := range t.cfg.Events {
		got := t.seen[ev]
		r.Expected = append(r.Expected, Expectation{Event: ev, Want: want, Got: got, Met: got >= want})
		r.OK = r.OK && got >= want
	}
	slices.SortFunc(r.Expected, func(a, b Expectation) int { return cmp.Compare(a.Event, b.Event) })
	for reason, n := range t.refused {
		if r.RefusedReasons == nil {
			r.RefusedReasons = make(map[receiver.Reason]int)
		}
		r.RefusedReasons[reason] = n
		r.Refused += n
	}
	if r.Refused > 0 && !t.cfg.AllowRefused {
		r.OK = false
	}
	type first struct {
		at time.Time
		r  Retry
	}
	var retries []first
	for id, as := range t.attempts {
		if len(as) < 2 {
			continue
		}
		// Concurrent attempts may be observed out of order.
		as = slices.Clone(as)
		slices.SortStableFunc(as, func(a, b attempt) int { return a.received.Compare(b.received) })
		rt := Retry{ID: id, Event: as[0].event, Attempts: len(as), IntervalsMS: make([]float64, 0, len(as)-1)}
		for i, a := range as {
			if i > 0 {
				rt.IntervalsMS = append(rt.IntervalsMS, float64(a.received.Sub(as[i-1].received).Microseconds())/1000)
			}
			if rt.FirstSuccess == 0 && a.answered >= 200 && a.answered <= 299 {
				rt.FirstSuccess = i + 1
			}
		}
		retries = append(retries, first{as[0].received, rt})
	}
	slices.SortFunc(retries, func(a, b first) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.r.ID, b.r.ID))
	})
	for _, f := range retries {
		r.Retries = append(r.Retries, f.r)
	}
	return r
}
