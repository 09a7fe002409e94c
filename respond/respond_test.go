package respond

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// statuses answers the events in turn and returns the statuses given.
func statuses(r *Responder, events ...string) []int {
	var got []int
	for _, ev := range events {
		got = append(got, r.Respond(&receiver.Delivery{Event: ev, Reason: receiver.ReasonOK}).Status)
	}
	return got
}

func TestRespondSequences(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		events []string
		want   []int
	}{
		{
			name:   "nothing scripted keeps hooklab's status",
			events: []string{"push", "push"},
			want:   []int{0, 0},
		},
		{
			name:   "statuses in turn, the last repeats",
			cfg:    Config{Statuses: []int{500, 500, 200}},
			events: []string{"push", "push", "push", "push", "ping"},
			want:   []int{500, 500, 200, 200, 200},
		},
		{
			name:   "one status for every delivery",
			cfg:    Config{Statuses: []int{503}},
			events: []string{"push", "ping", "push"},
			want:   []int{503, 503, 503},
		},
		{
			name:   "an event's own sequence, counted over that event only",
			cfg:    Config{ByEvent: map[string][]int{"push": {500, 200}}},
			events: []string{"ping", "push", "ping", "push", "push"},
			want:   []int{0, 500, 0, 200, 200},
		},
		{
			name: "per-event deliveries do not advance the global sequence",
			cfg: Config{
				Statuses: []int{500, 202},
				ByEvent:  map[string][]int{"push": {503}},
			},
			events: []string{"push", "ping", "push", "push", "ping", "release"},
			want:   []int{503, 500, 503, 503, 202, 202},
		},
		{
			name: "each event counts its own deliveries",
			cfg: Config{ByEvent: map[string][]int{
				"push": {500, 200},
				"ping": {429, 204},
			}},
			events: []string{"push", "ping", "ping", "push"},
			want:   []int{500, 429, 204, 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statuses(New(tt.cfg), tt.events...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRespondBodyAndHeader(t *testing.T) {
	cfg := Config{Body: []byte("nope\n"), Header: [][2]string{{"Retry-After", "1"}}}
	r := New(cfg)
	cfg.Header[0][1] = "changed after New"
	s := r.Respond(&receiver.Delivery{Event: "push"})
	if string(s.Body) != "nope\n" {
		t.Errorf("Body = %q, want %q", s.Body, "nope\n")
	}
	if want := [][2]string{{"Retry-After", "1"}}; !slices.Equal(s.Header, want) {
		t.Errorf("Header = %q, want %q", s.Header, want)
	}
	if s.Status != 0 || s.Delay != 0 || s.Drop {
		t.Errorf("got %+v, want no status, delay or drop", s)
	}
}

// draws answers n deliveries and returns their delays and drops.
func draws(r *Responder, n int) ([]time.Duration, []bool) {
	delays, drops := make([]time.Duration, n), make([]bool, n)
	for i := range n {
		s := r.Respond(&receiver.Delivery{Event: "push"})
		delays[i], drops[i] = s.Delay, s.Drop
	}
	return delays, drops
}

func TestRespondSeedRepeats(t *testing.T) {
	cfg := Config{DelayMin: 100 * time.Millisecond, DelayMax: 2 * time.Second, Drop: 0.3, Seed: 42}
	d1, x1 := draws(New(cfg), 200)
	d2, x2 := draws(New(cfg), 200)
	if !slices.Equal(d1, d2) || !slices.Equal(x1, x2) {
		t.Fatal("the same seed gave different delays or drops")
	}
	cfg.Seed = 43
	d3, x3 := draws(New(cfg), 200)
	if slices.Equal(d1, d3) && slices.Equal(x1, x3) {
		t.Error("seeds 42 and 43 gave the same delays and drops")
	}
	for i, d := range d1 {
		if d < cfg.DelayMin || d > cfg.DelayMax {
			t.Fatalf("delay %d = %v, outside [%v, %v]", i, d, cfg.DelayMin, cfg.DelayMax)
		}
	}
	if slices.Min(d1) == slices.Max(d1) {
		t.Errorf("every delay is %v: the range was not drawn from", d1[0])
	}
}

func TestRespondFixedDelay(t *testing.T) {
	delays, drops := draws(New(Config{DelayMin: 3 * time.Second, DelayMax: 3 * time.Second}), 5)
	for i := range delays {
		if delays[i] != 3*time.Second || drops[i] {
			t.Errorf("delivery %d: delay %v drop %v, want 3s and no drop", i, delays[i], drops[i])
		}
	}
}

func TestRespondDropShare(t *testing.T) {
	tests := []struct {
		name  string
		share float64
	}{
		{name: "none", share: 0},
		{name: "a tenth", share: 0.1},
		{name: "half", share: 0.5},
		{name: "all", share: 1},
	}
	const n = 10000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, drops := draws(New(Config{Drop: tt.share, Seed: 7}), n)
			got := float64(count(drops)) / n
			// Four standard deviations of a binomial share: a fixed seed
			// makes this exact, the bound only keeps it meaningful.
			tol := 4 * math.Sqrt(tt.share*(1-tt.share)/n)
			if math.Abs(got-tt.share) > tol {
				t.Errorf("dropped %.4f of %d deliveries, want %.2f ± %.4f", got, n, tt.share, tol)
			}
		})
	}
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// TestRespondConcurrent hands out each turn of the sequence exactly once
// when deliveries arrive at the same time (run with -race).
func TestRespondConcurrent(t *testing.T) {
	seq := make([]int, 100)
	for i := range seq {
		seq[i] = 200 + i
	}
	r := New(Config{Statuses: seq, Drop: 0.5, DelayMax: time.Second})
	got := make(chan int, len(seq))
	var wg sync.WaitGroup
	for range seq {
		wg.Go(func() { got <- r.Respond(&receiver.Delivery{Event: "push"}).Status })
	}
	wg.Wait()
	close(got)
	var all []int
	for s := range got {
		all = append(all, s)
	}
	slices.Sort(all)
	if !slices.Equal(all, seq) {
		t.Errorf("statuses handed out = %v, want each of %v once", all, seq)
	}
}

func TestParseStatuses(t *testing.T) {
	tests := []struct {
		name      string
		values    []string
		want      []int
		wantEvent map[string][]int
		wantErr   string
	}{
		{name: "none", values: nil},
		{name: "sequence", values: []string{"500,500,200"}, want: []int{500, 500, 200}},
		{name: "spaces", values: []string{" 500, 200 "}, want: []int{500, 200}},
		{name: "repeated values append", values: []string{"500", "200"}, want: []int{500, 200}},
		{name: "one event", values: []string{"push=503"}, wantEvent: map[string][]int{"push": {503}}},
		{name: "event sequence", values: []string{"push=500,200"}, wantEvent: map[string][]int{"push": {500, 200}}},
		{
			name:      "mixed",
			values:    []string{"500,200", "push=503", "ping=429,204", "push=200"},
			want:      []int{500, 200},
			wantEvent: map[string][]int{"push": {503, 200}, "ping": {429, 204}},
		},
		{name: "empty", values: []string{""}, wantErr: "empty status"},
		{name: "trailing comma", values: []string{"500,"}, wantErr: "empty status"},
		{name: "not a number", values: []string{"500,ok"}, wantErr: `"ok" is not an HTTP status`},
		{name: "too low", values: []string{"99"}, wantErr: "status 99 is out of range"},
		// A 1xx is not an answer: Go's server sends it as an informational
		// response and then a 200, so the sender would see 200, not it.
		{name: "informational", values: []string{"103"}, wantErr: "status 103 is not a final answer"},
		{name: "switching protocols", values: []string{"push=101"}, wantErr: "status 101 is not a final answer"},
		{name: "lowest", values: []string{"200"}, want: []int{200}},
		{name: "too high", values: []string{"600"}, wantErr: "status 600 is out of range"},
		{name: "no event", values: []string{"=503"}, wantErr: "the event before = must be one name"},
		{name: "two events", values: []string{"push,ping=503"}, wantErr: "the event before = must be one name"},
		{name: "event inside a list", values: []string{"push=500,ping=200"}, wantErr: "in a --respond of its own"},
		{name: "event with no statuses", values: []string{"push="}, wantErr: "empty status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, byEvent, err := ParseStatuses(tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			if len(byEvent) != len(tt.wantEvent) {
				t.Fatalf("byEvent = %v, want %v", byEvent, tt.wantEvent)
			}
			for ev, seq := range tt.wantEvent {
				if !slices.Equal(byEvent[ev], seq) {
					t.Errorf("byEvent[%q] = %v, want %v", ev, byEvent[ev], seq)
				}
			}
		})
	}
}

func TestParseDelay(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		min, max time.Duration
		wantErr  string
	}{
		{name: "fixed", in: "3s", min: 3 * time.Second, max: 3 * time.Second},
		{name: "zero", in: "0", min: 0, max: 0},
		{name: "range", in: "100ms-2s", min: 100 * time.Millisecond, max: 2 * time.Second},
		{name: "range with spaces", in: "100ms - 2s", min: 100 * time.Millisecond, max: 2 * time.Second},
		{name: "empty range", in: "1s-1s", min: time.Second, max: time.Second},
		{name: "empty", in: "", wantErr: "is not a duration"},
		{name: "no unit", in: "3", wantErr: `"3" is not a duration`},
		{name: "negative", in: "-1s", wantErr: "cannot be negative"},
		{name: "negative bound", in: "1s--2s", wantErr: "cannot be negative"},
		{name: "reversed", in: "2s-100ms", wantErr: "first bound is longer"},
		{name: "half range", in: "1s-", wantErr: `"" is not a duration`},
		{name: "garbage", in: "soon", wantErr: "is not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, err := ParseDelay(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lo != tt.min || hi != tt.max {
				t.Errorf("ParseDelay(%q) = %v, %v, want %v, %v", tt.in, lo, hi, tt.min, tt.max)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [2]string
		wantErr string
	}{
		{name: "plain", in: "Retry-After: 30", want: [2]string{"Retry-After", "30"}},
		{name: "no space", in: "X-A:b", want: [2]string{"X-A", "b"}},
		{name: "empty value", in: "X-Empty:", want: [2]string{"X-Empty", ""}},
		{name: "colon in value", in: "Link: <http://x>", want: [2]string{"Link", "<http://x>"}},
		{name: "no colon", in: "Retry-After 30", wantErr: "write it as 'Name: value'"},
		{name: "no name", in: ": 30", wantErr: "the header name is empty"},
		{name: "space in name", in: "Retry After: 30", wantErr: "the header name may hold only"},
		{name: "CR in name", in: "X\r: 1", wantErr: "the header name may hold only"},
		{name: "LF in value", in: "X-A: 1\nX-B: 2", wantErr: "line break"},
		{name: "CR in value", in: "X-A: 1\rX-B: 2", wantErr: "line break"},
		{name: "NUL in value", in: "X-A: 1\x00", wantErr: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseHeader(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDrop(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    float64
		wantErr string
	}{
		{name: "tenth", in: "0.1", want: 0.1},
		{name: "none", in: "0", want: 0},
		{name: "all", in: "1", want: 1},
		{name: "negative", in: "-0.1", wantErr: "from 0 to 1"},
		{name: "percent-like", in: "10", wantErr: "from 0 to 1"},
		{name: "NaN", in: "NaN", wantErr: "a number from 0 to 1"},
		{name: "word", in: "some", wantErr: "a number from 0 to 1"},
		{name: "empty", in: "", wantErr: "a number from 0 to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDrop(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseDrop(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
