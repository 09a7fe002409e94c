package expect

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/respond"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// ok is a verified delivery of event, answered 200.
func ok(event, id string) *receiver.Delivery {
	return &receiver.Delivery{Event: event, ID: id, Reason: receiver.ReasonOK, Status: 200, Answered: 200, Received: t0}
}

// refused is a delivery refused for reason.
func refused(reason receiver.Reason) *receiver.Delivery {
	st := reason.Info().Status
	return &receiver.Delivery{Event: "push", ID: "forged", Reason: reason, Status: st, Answered: st, Received: t0}
}

func TestParseEvents(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    map[string]int
		wantErr string
	}{
		{name: "none", values: nil, want: map[string]int{}},
		{name: "each once", values: []string{"push,ping,release"}, want: map[string]int{"push": 1, "ping": 1, "release": 1}},
		{name: "a count", values: []string{"push=3"}, want: map[string]int{"push": 3}},
		{name: "mixed with spaces", values: []string{"push = 3, ping"}, want: map[string]int{"push": 3, "ping": 1}},
		{name: "repeated flag", values: []string{"push=2", "ping", "release"}, want: map[string]int{"push": 2, "ping": 1, "release": 1}},
		{name: "dotted event", values: []string{"invoice.paid=2"}, want: map[string]int{"invoice.paid": 2}},
		{name: "empty", values: []string{""}, wantErr: "empty event name"},
		{name: "trailing comma", values: []string{"push,"}, wantErr: "empty event name"},
		{name: "no name", values: []string{"=3"}, wantErr: "empty event name"},
		{name: "zero", values: []string{"push=0"}, wantErr: "the count of push must be a whole number of at least 1"},
		{name: "negative", values: []string{"push=-1"}, wantErr: "at least 1"},
		{name: "not a number", values: []string{"push=many"}, wantErr: "at least 1"},
		{name: "no count", values: []string{"push="}, wantErr: "at least 1"},
		{name: "space inside", values: []string{"push ping"}, wantErr: "is not one event name"},
		{name: "named twice", values: []string{"push", "push=3"}, wantErr: "push is named twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvents(tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ParseEvents(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}

func TestTrackerReport(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		deliveries  []*receiver.Delivery
		wantOK      bool
		wantMet     map[string]bool
		wantSeen    map[string]int
		wantRefused int
		wantTotal   int
	}{
		{
			name:       "nothing expected, nothing came",
			wantOK:     true,
			wantMet:    map[string]bool{},
			wantSeen:   map[string]int{},
			wantTotal:  0,
			deliveries: nil,
		},
		{
			name:       "every expectation met",
			cfg:        Config{Events: map[string]int{"push": 2, "ping": 1}},
			deliveries: []*receiver.Delivery{ok("push", "a"), ok("ping", "b"), ok("push", "c"), ok("release", "d")},
			wantOK:     true,
			wantMet:    map[string]bool{"push": true, "ping": true},
			wantSeen:   map[string]int{"push": 2, "ping": 1, "release": 1},
			wantTotal:  4,
		},
		{
			name:       "a count not reached",
			cfg:        Config{Events: map[string]int{"push": 3, "ping": 1}},
			deliveries: []*receiver.Delivery{ok("push", "a"), ok("ping", "b"), ok("push", "c")},
			wantOK:     false,
			wantMet:    map[string]bool{"push": false, "ping": true},
			wantSeen:   map[string]int{"push": 2, "ping": 1},
			wantTotal:  3,
		},
		{
			name: "retries of one id count once",
			cfg:  Config{Events: map[string]int{"push": 2}},
			deliveries: []*receiver.Delivery{
				ok("push", "a"), ok("push", "a"), ok("push", "a"), ok("push", ""), ok("push", ""),
			},
			wantOK:    true,
			wantMet:   map[string]bool{"push": true},
			wantSeen:  map[string]int{"push": 3},
			wantTotal: 5,
		},
		{
			name:       "retries do not make up for a missing delivery",
			cfg:        Config{Events: map[string]int{"push": 2}},
			deliveries: []*receiver.Delivery{ok("push", "a"), ok("push", "a")},
			wantOK:     false,
			wantMet:    map[string]bool{"push": false},
			wantSeen:   map[string]int{"push": 1},
			wantTotal:  2,
		},
		{
			name:        "a refused delivery does not count as its event",
			cfg:         Config{Events: map[string]int{"push": 1}},
			deliveries:  []*receiver.Delivery{refused(receiver.ReasonSignatureMismatch)},
			wantOK:      false,
			wantMet:     map[string]bool{"push": false},
			wantSeen:    map[string]int{},
			wantRefused: 1,
			wantTotal:   1,
		},
		{
			name:        "a refusal fails the run",
			cfg:         Config{Events: map[string]int{"push": 1}},
			deliveries:  []*receiver.Delivery{ok("push", "a"), refused(receiver.ReasonSignatureMissing)},
			wantOK:      false,
			wantMet:     map[string]bool{"push": true},
			wantSeen:    map[string]int{"push": 1},
			wantRefused: 1,
			wantTotal:   2,
		},
		{
			name:        "--allow-refused tolerates refusals",
			cfg:         Config{Events: map[string]int{"push": 1}, AllowRefused: true},
			deliveries:  []*receiver.Delivery{ok("push", "a"), refused(receiver.ReasonSignatureMissing), refused(receiver.ReasonNotFound)},
			wantOK:      true,
			wantMet:     map[string]bool{"push": true},
			wantSeen:    map[string]int{"push": 1},
			wantRefused: 2,
			wantTotal:   3,
		},
		{
			name: "an ignored event was verified: it counts, and is not refused",
			cfg:  Config{Events: map[string]int{"ping": 1}},
			deliveries: []*receiver.Delivery{
				{Event: "ping", ID: "p", Reason: receiver.ReasonIgnoredEvent, Status: 200, Answered: 200},
			},
			wantOK:    true,
			wantMet:   map[string]bool{"ping": true},
			wantSeen:  map[string]int{"ping": 1},
			wantTotal: 1,
		},
		{
			name: "a verified delivery the app failed is not refused",
			cfg:  Config{Events: map[string]int{"push": 1}},
			deliveries: []*receiver.Delivery{
				{Event: "push", ID: "a", Reason: receiver.ReasonOK, Status: 200, Answered: 502},
			},
			wantOK:    true,
			wantMet:   map[string]bool{"push": true},
			wantSeen:  map[string]int{"push": 1},
			wantTotal: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(tt.cfg)
			for _, d := range tt.deliveries {
				tr.Observe(d)
			}
			r := tr.Report()
			if r.OK != tt.wantOK || tr.OK() != tt.wantOK {
				t.Errorf("OK = %v (Tracker.OK %v), want %v", r.OK, tr.OK(), tt.wantOK)
			}
			met := make(map[string]bool)
			for _, e := range r.Expected {
				met[e.Event] = e.Met
				if e.Want != tt.cfg.Events[e.Event] || e.Got != tt.wantSeen[e.Event] {
					t.Errorf("expectation %+v, want want=%d got=%d", e, tt.cfg.Events[e.Event], tt.wantSeen[e.Event])
				}
			}
			if !maps.Equal(met, tt.wantMet) {
				t.Errorf("met = %v, want %v", met, tt.wantMet)
			}
			if !maps.Equal(r.Seen, tt.wantSeen) {
				t.Errorf("Seen = %v, want %v", r.Seen, tt.wantSeen)
			}
			if r.Refused != tt.wantRefused || r.Total != tt.wantTotal || r.Verified+r.Refused != r.Total {
				t.Errorf("Refused, Verified, Total = %d, %d, %d, want %d, total %d", r.Refused, r.Verified, r.Total, tt.wantRefused, tt.wantTotal)
			}

		})
	}
}

func TestNewCopiesEvents(t *testing.T) {
	events := map[string]int{"push": 1}
	tr := New(Config{Events: events})
	events["ping"] = 1
	tr.Observe(ok("push", "a"))
	if !tr.OK() {
		t.Error("an event added to the map after New was expected")
	}
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestDoneAfterMaxEvents(t *testing.T) {
	tr := New(Config{MaxEvents: 3})
	tr.Observe(ok("push", "a"))
	tr.Observe(refused(receiver.ReasonSignatureMismatch))
	if closed(tr.Done()) {
		t.Fatal("Done closed after 2 of 3 deliveries")
	}
	tr.Observe(ok("push", "b"))
	if !closed(tr.Done()) {
		t.Fatal("Done not closed after 3 deliveries, refused ones included")
	}
	// Past the limit, Observe still counts and does not close Done again
	// (which would panic).
	tr.Observe(ok("push", "c"))
	if got := tr.Report().Total; got != 4 {
		t.Errorf("Total = %d, want 4", got)
	}
}

func TestDoneNeverWithoutMaxEvents(t *testing.T) {
	tr := New(Config{})
	for range 10 {
		tr.Observe(ok("push", ""))
	}
	if closed(tr.Done()) {
		t.Error("Done closed without MaxEvents")
	}
}

// TestObserveConcurrent observes from many goroutines, as the receiver
// does (run with -race), and closes Done exactly once.
func TestObserveConcurrent(t *testing.T) {
	const n = 200
	tr := New(Config{MaxEvents: n / 2})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d := ok("push", "same-id")
			d.Received = t0.Add(time.Duration(i) * time.Millisecond)
			tr.Observe(d)
		})
	}
	wg.Go(func() { <-tr.Done() })
	wg.Wait()
	r := tr.Report()
	if r.Seen["push"] != 1 || r.Total != n || len(r.Retries) != 1 || r.Retries[0].Attempts != n {
		t.Fatalf("report %+v, want %d pushes all of one id", r, n)
	}
	for i, ms := range r.Retries[0].IntervalsMS {
		if ms != 1 {
			t.Fatalf("interval %d = %vms, want 1ms: attempts not in order of arrival", i, ms)
		}
	}
}

// sender is a small retrying webhook sender: it delivers each id until a
// 2xx or maxAttempts, waiting 100ms, 200ms, 400ms ... between attempts.
// Its clock is fake: it moves the Received time of the next attempt
// instead of sleeping. listen's part is played by a respond.Responder
// (the answer) and the Tracker (the report).
type sender struct {
	now         time.Time
	maxAttempts int
	answer      *respond.Responder
	tracker     *Tracker
}

func (s *sender) deliver(id, event string) {
	backoff := 100 * time.Millisecond
	for attempt := 1; attempt <= s.maxAttempts; attempt++ {
		d := &receiver.Delivery{Event: event, ID: id, Reason: receiver.ReasonOK, Status: 200, Answered: 200, Received: s.now}
		if st := s.answer.Respond(d).Status; st != 0 {
			d.Answered = st
		}
		s.tracker.Observe(d)
		if d.Answered >= 200 && d.Answered <= 299 {
			return
		}
		s.now = s.now.Add(backoff)
		backoff *= 2
	}
}

func TestRetryingSender(t *testing.T) {
	statuses, byEvent, err := respond.ParseStatuses([]string{"500,500,500,200", "ping=503"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sender{
		now:         t0,
		maxAttempts: 3,
		answer:      respond.New(respond.Config{Statuses: statuses, ByEvent: byEvent, Seed: 1}),
		tracker:     New(Config{Events: map[string]int{"push": 1, "ping": 1}}),
	}
	s.maxAttempts = 5
	s.deliver("d-1", "push") // 500, 500, 500, 200
	s.maxAttempts = 3
	s.deliver("d-2", "ping") // 503 three times, then gives up
	s.deliver("d-3", "push") // 200 at once
	r := s.tracker.Report()

	want := []Retry{
		{ID: "d-1", Event: "push", Attempts: 4, IntervalsMS: []float64{100, 200, 400}, FirstSuccess: 4},
		{ID: "d-2", Event: "ping", Attempts: 3, IntervalsMS: []float64{100, 200}, FirstSuccess: 0},
	}
	if len(r.Retries) != len(want) {
		t.Fatalf("Retries = %+v, want %+v", r.Retries, want)
	}
	for i, w := range want {
		got := r.Retries[i]
		if got.ID != w.ID || got.Event != w.Event || got.Attempts != w.Attempts ||
			!slices.Equal(got.IntervalsMS, w.IntervalsMS) || got.FirstSuccess != w.FirstSuccess {
			t.Errorf("retry %d = %+v, want %+v", i, got, w)
		}
	}
	if got, want := r.Retries[0].Intervals(), []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("Intervals() = %v, want %v", got, want)
	}
	// Every attempt arrived verified: the expectations hold even though
	// the sender never got a 2xx for ping.
	if !r.OK || r.Seen["push"] != 2 || r.Seen["ping"] != 1 || r.Total != 8 {
		t.Errorf("OK %v, Seen %v, Total %d, want ok with push 2, ping 1 of 8 deliveries", r.OK, r.Seen, r.Total)
	}
}

// TestRetriesOutOfOrder sorts an id's attempts by when they were
// received: concurrent deliveries may reach Observe in another order.
func TestRetriesOutOfOrder(t *testing.T) {
	tr := New(Config{})
	for _, at := range []struct {
		after    time.Duration
		answered int
	}{{700 * time.Millisecond, 200}, {0, 500}, {300 * time.Millisecond, 500}} {
		d := ok("push", "d-1")
		d.Received, d.Answered = t0.Add(at.after), at.answered
		tr.Observe(d)
	}
	r := tr.Report()
	if len(r.Retries) != 1 {
		t.Fatalf("Retries = %+v, want one", r.Retries)
	}
	if got := r.Retries[0]; !slices.Equal(got.IntervalsMS, []float64{300, 400}) || got.FirstSuccess != 3 {
		t.Errorf("retry = %+v, want intervals [300 400], 2xx on attempt 3", got)
	}
}

// sampleReport is a failing run with every kind of line.
func sampleReport() Report {
	tr := New(Config{Events: map[string]int{"push": 3, "ping": 1, "release": 1}})
	at := func(d *receiver.Delivery, after time.Duration, answered int) *receiver.Delivery {
		d.Received, d.Answered = t0.Add(after), answered
		return d
	}
	tr.Observe(at(ok("push", "d-1"), 0, 500))
	tr.Observe(at(ok("push", "d-1"), time.Second, 500))
	tr.Observe(at(ok("push", "d-1"), 3*time.Second, 200))
	tr.Observe(at(ok("push", "d-4"), 3*time.Second, 200))
	tr.Observe(at(ok("push", "d-5"), 3*time.Second, 200))
	tr.Observe(at(ok("release", "d-2"), 4*time.Second, 503))
	tr.Observe(at(ok("release", "d-2"), 4*time.Second+250*time.Millisecond, 503))
	tr.Observe(at(ok("issues", "d-3"), 5*time.Second, 200))
	tr.Observe(at(ok("", ""), 5*time.Second, 200))
	tr.Observe(refused(receiver.ReasonSignatureMismatch))
	tr.Observe(refused(receiver.ReasonSignatureMismatch))
	tr.Observe(refused(receiver.ReasonTimestampOutOfRange))
	return tr.Report()
}

func TestWriteTextGolden(t *testing.T) {
	tests := []struct {
		name   string
		report func() Report
	}{
		{name: "fail.txt", report: sampleReport},
		{name: "refused-allowed.txt", report: func() Report {
			tr := New(Config{Events: map[string]int{"push": 1}, AllowRefused: true})
			tr.Observe(ok("push", "a"))
			tr.Observe(refused(receiver.ReasonSignatureMissing))
			return tr.Report()
		}},
		{name: "ok.txt", report: func() Report {
			tr := New(Config{Events: map[string]int{"push": 1}})
			tr.Observe(ok("push", "a"))
			return tr.Report()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.report().WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.name, buf.Bytes())
		})
	}
}

func TestReportJSON(t *testing.T) {
	b, err := json.MarshalIndent(sampleReport(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok", "expected", "seen", "refused", "total", "retries"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("the JSON report has no %q: %s", k, b)
		}
	}
	golden.Check(t, "fail.json", append(b, '\n'))
}

func TestReportJSONEmpty(t *testing.T) {
	b, err := json.Marshal(New(Config{}).Report())
	if err != nil {
		t.Fatal(err)
	}
	// Lists are [] and maps {}, never null, for scripts that iterate.
	want := `{"ok":true,"expected":[],"seen":{},"refused":0,"allow_refused":false,"total":0,"verified":0,"retries":[]}`
	if string(b) != want {
		t.Errorf("empty report = %s, want %s", b, want)
	}
}
