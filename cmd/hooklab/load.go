package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/sender"
)

// Load mode: `hooklab send --count N` or `--duration D` sends the same
// delivery many times, each signed afresh with a delivery id of its own,
// and reports throughput, latency and the statuses.

// loadOptions are send's load flags.
type loadOptions struct {
	Count          int
	Concurrency    int
	ConcurrencySet bool
	Rate           float64
	RateSet        bool
	Duration       time.Duration
}

func loadFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "count", Usage: "load mode: send `N` requests, each signed afresh with a delivery id of its own"},
		&cli.DurationFlag{Name: "duration", Usage: "load mode: send for `DURATION` (with --count, until either ends)"},
		&cli.IntFlag{Name: "concurrency", Value: 1, Usage: fmt.Sprintf("load mode: keep `C` requests in flight, over as many kept-alive connections (1 to %d)", sender.MaxConcurrency)},
		&cli.Float64Flag{Name: "rate", Usage: "load mode: start at most `R` requests a second (0: as fast as answers come)"},
	}
}

func loadOptionsFrom(c *cli.Context) loadOptions {
	return loadOptions{
		Count: c.Int("count"), Concurrency: c.Int("concurrency"), ConcurrencySet: c.IsSet("concurrency"),
		Rate: c.Float64("rate"), RateSet: c.IsSet("rate"), Duration: c.Duration("duration"),
	}
}

// requested reports whether any load flag was given: load mode, or a
// mistake runLoad explains.
func (o loadOptions) requested() bool {
	return o.Count != 0 || o.Duration != 0 || o.ConcurrencySet || o.RateSet
}

func (o loadOptions) check() error {
	switch {
	case o.Count < 0:
		return usageErrorf("--count must be a number of requests, got %d", o.Count)
	case o.Duration < 0:
		return usageErrorf("--duration must be positive, got %s", o.Duration)
	case o.Count == 0 && o.Duration == 0:
		return usageErrorf("--concurrency and --rate are for load mode: add --count N or --duration D")
	case o.Concurrency < 1 || o.Concurrency > sender.MaxConcurrency:
		return usageErrorf("--concurrency must be 1 to %d, got %d", sender.MaxConcurrency, o.Concurrency)
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return usageErrorf("--rate must be a number of requests a second (0 for no limit), got %g", o.Rate)
	}
	return nil
}

// idSource is the randomness of a load run's delivery ids: seeded once
// from the system's randomness, which may be short (tests), and shared by
// the goroutines that build requests.
type idSource struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

func newIDSource(random io.Reader) (*idSource, error) {
	var seed [32]byte
	if _, err := io.ReadFull(random, seed[:]); err != nil {
		return nil, fmt.Errorf("cannot make delivery ids: %w", err)
	}
	return &idSource{rng: rand.NewChaCha8(seed)}, nil
}

func (s *idSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Read(p)
}

// runLoad sends the delivery o describes as a load run and reports on it.
func runLoad(ctx context.Context, sys system, o sendOptions) error {
	lo := o.Load
	if err := lo.check(); err != nil {
		return err
	}
	if o.Delivery != "" {
		return usageErrorf("--delivery gives one request its id; load mode gives each request a fresh one")
	}
	// Before resolveSend, which reads --file - last: a mistake is said at
	// once. A --length that does not parse is resolveSend's to report.
	if l, err := sender.ParseLength(o.Length); err == nil && l.Mode != sender.LengthAuto {
		return usageErrorf("--length %s: load mode sends only well-formed requests (--length auto); send malformed ones one at a time, without --count or --duration", l)
	}
	ids, err := newIDSource(sys.random)
	if err != nil {
		return err
	}
	sys.random = ids
	plan, err := resolveSend(ctx, sys, o)
	if err != nil {
		return err
	}
	build := func(int) (*sender.Request, error) {
		d := plan.delivery
		id, err := sender.NewID(ids)
		if err != nil {
			return nil, fmt.Errorf("cannot make a delivery id: %w", err)
		}
		d.ID = id
		if !o.TimestampSet {
			d.Time = sys.now()
		}
		return d.Request()
	}
	// One request first: what cannot be built fails here, before any is
	// sent, and it is what the report describes.
	first, err := build(0)
	if err != nil {
		return err
	}

	// A certificate the client does not trust would fail every request
	// alike: said once, before the run.
	if err := probeTLS(ctx, plan.delivery.URL, plan.tls, plan.timeout, o.TLS); err != nil {
		return err
	}
	client := sender.NewLoadClient(lo.Concurrency, plan.timeout, plan.tls)
	defer client.CloseIdleConnections()
	var progress func(sender.LoadStats)
	showProgress := !plan.json && sys.isTerminal(sys.stdout)
	if showProgress {
		meter := sender.NewProgress(sender.ProgressPlan{Count: lo.Count, Duration: lo.Duration, Rate: lo.Rate},
			term.Width(sys.stdout, sys.getenv))
		progress = func(s sender.LoadStats) { fmt.Fprintf(sys.stdout, "\r%s\x1b[K", meter.Line(s)) }
	}
	stats, err := sender.RunLoad(ctx, sender.LoadConfig{
		Count: lo.Count, Concurrency: lo.Concurrency, Rate: lo.Rate, Duration: lo.Duration,
		Build: build, Client: client, Now: sys.now, Progress: progress,
		Unexpected: func(status int) bool { return !plan.expect.Matches(status) },
		// The load client: each request a fresh id from ids, signed for it.
		Delivery: &plan.delivery, IDs: ids, KeepTime: o.TimestampSet,
	})
	if showProgress {
		fmt.Fprint(sys.stdout, "\r\x1b[K")
	}
	if err != nil {
		return err
	}

	rep := newLoadReport(plan, first, lo, stats)
	if plan.json {
		if err := writeJSON(sys.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.print(sys.stdout, term.NewPalette(plan.color))
	}
	if !rep.OK {
		return reportedError{rep.failure()}
	}
	return nil
}

// loadReport is what a load run prints, as a summary or as one JSON object.
type loadReport struct {
	Request      loadRequest    `json:"request"`
	Requests     int            `json:"requests"` // sent
	Answered     int            `json:"answered"`
	Errors       loadErrors     `json:"errors"`
	ErrorSamples []string       `json:"error_samples,omitempty"`
	Statuses     map[int]int    `json:"statuses"`
	Reasons      map[int]string `json:"reasons,omitempty"`
	Unexpected   int            `json:"unexpected"` // answers --expect did not expect
	RPS          float64        `json:"rps"`
	LatencyMS    loadLatency    `json:"latency_ms"`
	ElapsedMS    float64        `json:"elapsed_ms"`
	BytesSent    int64          `json:"bytes_sent"` // the bodies of the requests answered
	Concurrency  int            `json:"concurrency"`
	Rate         float64        `json:"rate,omitempty"`
	Count        int            `json:"count,omitempty"`
	Duration     string         `json:"duration,omitempty"`
	Interrupted  bool           `json:"interrupted,omitempty"`
	Expected     string         `json:"expected"`
	OK           bool           `json:"ok"`
	unexpectedBy map[int]bool   // the statuses --expect did not expect
}

// loadRequest is what every request of a load run was, but its id.
type loadRequest struct {
	URL         string `json:"url"`
	Source      string `json:"source"`
	Event       string `json:"event"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type"`
	Signature   string `json:"signature"`
}

type loadErrors struct {
	Refused int `json:"refused"`
	Timeout int `json:"timeout"`
	Closed  int `json:"closed"`
	Other   int `json:"other"`
}

func (e loadErrors) total() int { return e.Refused + e.Timeout + e.Closed + e.Other }

type loadLatency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newLoadReport(plan sendPlan, first *sender.Request, lo loadOptions, s *sender.LoadReport) loadReport {
	sent := describeRequest(plan, first)
	r := loadReport{
		Request: loadRequest{
			URL: sent.URL, Source: sent.Source, Event: sent.Event, Bytes: sent.Bytes,
			ContentType: sent.ContentType, Signature: sent.Signature,
		},
		Requests: s.Sent, Answered: s.Answered,
		Errors: loadErrors{
			Refused: s.Errors.Refused, Timeout: s.Errors.Timeout, Closed: s.Errors.Closed, Other: s.Errors.Other,
		},
		ErrorSamples: s.Errors.Samples,
		Statuses:     s.Statuses, Reasons: map[int]string{},
		RPS:         math.Round(s.RequestsPerSecond()*10) / 10,
		LatencyMS:   loadLatency{ms(s.Latency.P50), ms(s.Latency.P90), ms(s.Latency.P99), ms(s.Latency.Max)},
		ElapsedMS:   ms(s.Elapsed),
		BytesSent:   s.BodyBytes,
		Concurrency: lo.Concurrency, Rate: lo.Rate, Count: lo.Count,
		Interrupted:  s.Interrupted,
		Expected:     plan.expect.String(),
		unexpectedBy: map[int]bool{},
	}
	if lo.Duration > 0 {
		r.Duration = lo.Duration.String()
	}
	if r.Statuses == nil {
		r.Statuses = map[int]int{}
	}
	for status, n := range r.Statuses {
		if reason := s.Reasons[status]; reason != "" {
			r.Reasons[status] = reason
		}
		if !plan.expect.Matches(status) {
			r.Unexpected += n
			r.unexpectedBy[status] = true
		}
	}
	r.OK = !r.Interrupted && r.Answered > 0 && s.Errors.Total() == 0 && r.Unexpected == 0
	return r
}

// failure says why r is not OK.
func (r loadReport) failure() error {
	var why []string
	if r.Interrupted {
		why = append(why, "interrupted")
	}
	if n := r.Errors.total(); n > 0 {
		why = append(why, fmt.Sprintf("%d without an answer", n))
	}
	if r.Answered == 0 && len(why) == 0 {
		why = append(why, "no answers")
	}
	if r.Unexpected > 0 {
		return fmt.Errorf("%w: %d answers not %s %s", errUnexpected, r.Unexpected, r.Expected, strings.Join(why, ", "))
	}
	return fmt.Errorf("load run failed: %s", strings.Join(why, ", "))
}

// print writes the summary: the verdict and what was sent, then the
// requests, latencies, statuses and errors, one line each.
func (r loadReport) print(w io.Writer, p term.Palette) {
	mark := p.OK.Sprint("✓")
	if !r.OK {
		mark = p.Bad.Sprint("✗")
	}
	q := r.Request
	fmt.Fprintf(w, "%s %s  %s, %s, signature %s, %s → %s\n", mark, p.Bold.Sprint(q.Event), q.Source,
		term.HumanBytes(int64(q.Bytes)), q.Signature, q.ContentType, q.URL)

	requests := fmt.Sprint(r.Requests)
	if r.Interrupted {
		cut := r.Requests - r.Answered - r.Errors.total()
		requests += p.Bad.Sprintf(" (interrupted, %d cut off)", cut)
	}
	pace := fmt.Sprintf("%d at a time", r.Concurrency)
	if r.Rate > 0 {
		pace += fmt.Sprintf(", at most %g/s", r.Rate)
	}
	fmt.Fprintf(w, "  requests  %s in %s, %s: %s req/s, %s sent\n", requests, elapsedString(r.ElapsedMS), pace,
		p.Bold.Sprintf("%.1f", r.RPS), term.HumanBytes(r.BytesSent))
	l := r.LatencyMS
	fmt.Fprintf(w, "  latency   p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms\n", l.P50, l.P90, l.P99, l.Max)

	label := "  statuses  "
	if len(r.Statuses) == 0 {
		fmt.Fprintf(w, "%snone\n", label)
	}
	for _, status := range slices.Sorted(maps.Keys(r.Statuses)) {
		line := fmt.Sprintf("%s%s ×%d", label, p.Status(status).Sprint(status), r.Statuses[status])
		if reason := r.Reasons[status]; reason != "" {
			line += "  " + reason
		}
		if r.unexpectedBy[status] {
			line += "  " + p.Bad.Sprint("(expected "+r.Expected+")")
		}
		fmt.Fprintln(w, line)
		label = "            "
	}

	e := r.Errors
	var kinds []string
	for _, k := range []struct {
		name string
		n    int
	}{{"refused", e.Refused}, {"timeout", e.Timeout}, {"closed", e.Closed}, {"other", e.Other}} {
		if k.n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k.name, k.n))
		}
	}
	if len(kinds) == 0 {
		fmt.Fprintln(w, "  errors    none")
		return
	}
	fmt.Fprintf(w, "  errors    %s\n", p.Bad.Sprint(strings.Join(kinds, ", ")))
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "            %s\n", p.Dim.Sprint(term.Sanitize(s, 300)))
	}
}

// elapsedString formats a run's time in milliseconds for people: 4.2ms,
// 1.08s.
func elapsedString(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}
