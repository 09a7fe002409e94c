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
		meter := newProgressMeter(lo, term.Width(sys.stdout, sys.getenv))
		progress = func(s sender.LoadStats) { fmt.Fprintf(sys.stdout, "\r%s\x1b[K", meter.line(s)) }
	}
	stats, err := sender.RunLoad(ctx, sender.LoadConfig{
		Count: lo.Count, Concurrency: lo.Concurrency, Rate: lo.Rate, Duration: lo.Duration,
		Build: build, Client: client, Now: sys.now, Progress: progress,
		Unexpected: func(status int) bool { return !plan.expect.matches(status) },
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

// progressWindow is how far back the progress line's rate looks: recent
// enough to follow a receiver that slows down, long enough to be steady.
const progressWindow = 5 * time.Second

// maxProgressSnapshots bounds the snapshots a progressMeter keeps, whatever
// the clock does (it stands still in tests).
const maxProgressSnapshots = 64

// defaultProgressWidth is the width the progress line keeps within when
// the terminal's is unknown.
const defaultProgressWidth = 80

// progressMeter draws a load run's progress line. It keeps the snapshots
// of the last progressWindow, from which the line's rate comes. One
// goroutine at a time calls line (sender.LoadConfig.Progress does).
type progressMeter struct {
	lo     loadOptions
	width  int
	recent []sender.LoadStats // oldest first; the last is the newest
}

// newProgressMeter returns the meter of a run with lo on a terminal width
// columns wide (0: unknown).
func newProgressMeter(lo loadOptions, width int) *progressMeter {
	// The start of the run, when nothing is done, is the first snapshot.
	return &progressMeter{lo: lo, width: width, recent: []sender.LoadStats{{}}}
}

// line returns the progress line for s, the run's newest stats.
func (m *progressMeter) line(s sender.LoadStats) string {
	m.recent = append(m.recent, s)
	// Keep the newest snapshot at least progressWindow old, and those after.
	drop := 0
	for drop < len(m.recent)-2 && s.Elapsed-m.recent[drop+1].Elapsed >= progressWindow {
		drop++
	}
	drop = max(drop, len(m.recent)-maxProgressSnapshots)
	m.recent = append(m.recent[:0], m.recent[drop:]...)
	return progressLine(s, m.recent[0], m.lo, m.width)
}

// progressLine is the line a load run keeps rewriting on a terminal, for
// its stats s, given base, earlier stats of the same run from which the
// rate is measured. It shows the requests done (answered or failed), the
// rate since base, the unexpected answers with their share of the answers,
// the errors, and how far the run is: for --count the share done and the
// time left at the rate since base, or at --rate when that is slower or
// nothing is measured yet (the schedule); for --duration the share of the
// time gone and the time left. It fits in width-1 columns (80 when width
// is 0), so that the cursor never wraps: the rate goes first, then the
// time, then the errors.
func progressLine(s, base sender.LoadStats, lo loadOptions, width int) string {
	if width <= 0 {
		width = defaultProgressWidth
	}
	done := s.Done()
	rate := 0.0 // requests done a second since base
	if dt := s.Elapsed - base.Elapsed; dt > 0 && done > base.Done() {
		rate = float64(done-base.Done()) / dt.Seconds()
	}

	doneText := fmt.Sprintf("%d done", done)
	var timeText string
	if lo.Count > 0 {
		doneText = fmt.Sprintf("%d/%d done (%d%%)", done, lo.Count, percentOf(float64(done), float64(lo.Count)))
		left := -1.0 // seconds; unknown
		r := rate
		if lo.Rate > 0 && (r == 0 || r > lo.Rate) {
			r = lo.Rate
		}
		switch remaining := lo.Count - done; {
		case remaining <= 0:
			left = 0
		case r > 0:
			left = float64(remaining) / r
		}
		if lo.Duration > 0 {
			// The run ends at whichever comes first.
			untilEnd := max(lo.Duration-s.Elapsed, 0).Seconds()
			if left < 0 || untilEnd < left {
				left = untilEnd
			}
		}
		timeText = "ETA " + shortDuration(left)
	} else {
		timeText = fmt.Sprintf("%d%% of %s, %s left", percentOf(s.Elapsed.Seconds(), lo.Duration.Seconds()),
			shortDuration(lo.Duration.Seconds()), shortDuration(max(lo.Duration-s.Elapsed, 0).Seconds()))
	}
	unexpectedText := fmt.Sprintf("unexpected %d", s.Unexpected)
	if s.Answered > 0 {
		unexpectedText += " (" + shareOf(s.Unexpected, s.Answered) + ")"
	}

	// In the order shown; dropped highest drop first when the line is too
	// long.
	fields := []struct {
		text string
		drop int
	}{
		{doneText, 0},
		{fmt.Sprintf("%.0f req/s", rate), 4},
		{unexpectedText, 1},
		{fmt.Sprintf("errors %d", s.Failed), 2},
		{timeText, 3},
	}
	limit := width - 1
	for cut := 5; ; cut-- {
		var parts []string
		for _, f := range fields {
			if f.drop < cut {
				parts = append(parts, f.text)
			}
		}
		line := strings.Join(parts, "  ")
		if len(line) <= limit || cut == 1 {
			return line[:max(min(len(line), limit), 0)]
		}
	}
}

// percentOf returns n as a whole percentage of total, rounded down, so
// that 100% means all of it.
func percentOf(n, total float64) int {
	if total <= 0 {
		return 0
	}
	return int(min(max(n/total*100, 0), 100))
}

// shareOf returns n as a percentage of total to a tenth, never rounded to
// 0% or 100% when it is neither: "2.4%", "<0.1%".
func shareOf(n, total int) string {
	switch p := float64(n) / float64(total) * 100; {
	case n <= 0:
		return "0%"
	case n >= total:
		return "100%"
	case p < 0.1:
		return "<0.1%"
	case p > 99.9:
		return ">99.9%"
	default:
		return fmt.Sprintf("%.1f%%", p)
	}
}

// shortDuration formats a number of seconds for the progress line, rounded
// up to the second: "7s", "4m05s", "2h10m"; "?" when it is negative
// (unknown).
func shortDuration(seconds float64) string {
	switch s := math.Ceil(seconds); {
	case seconds < 0 || math.IsNaN(seconds):
		return "?"
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%.0fm%02.0fs", math.Floor(s/60), math.Mod(s, 60))
	case s < 100*3600:
		return fmt.Sprintf("%.0fh%02.0fm", math.Floor(s/3600), math.Floor(math.Mod(s, 3600)/60))
	default:
		return ">99h"
	}
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
		if !plan.expect.matches(status) {
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
