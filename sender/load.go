package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Load mode sends many well-formed requests over kept-alive connections,
// so it goes through net/http's client rather than the raw writer of Do,
// which opens a connection per request and exists for the malformed ones.

// MaxConcurrency is the most requests a load run keeps in flight.
const MaxConcurrency = 10000

// ProgressInterval is how often a load run reports its progress.
const ProgressInterval = 200 * time.Millisecond

// LoadConfig is one load run: how many requests, how many at a time, how
// fast, and how to build each one.
type LoadConfig struct {
	// Count is how many requests to send; 0 sends until Duration ends.
	Count int
	// Concurrency is how many requests are in flight at most (1 to
	// MaxConcurrency).
	Concurrency int
	// Rate is how many requests start per second at most; 0 starts each
	// as soon as one of the Concurrency slots is free.
	Rate float64
	// Duration stops starting requests once it has passed; those in
	// flight finish. 0 sends until Count.
	Duration time.Duration
	// Build returns request i, built and signed afresh (its own delivery
	// id, the current time). It is called from Concurrency goroutines at
	// once. The request's Length must be LengthAuto. An error stops the
	// run.
	Build func(i int) (*Request, error)
	// Client sends the requests, and its Timeout bounds each one. Nil
	// means NewLoadClient(Concurrency, DefaultTimeout, nil), closed when
	// the run ends; a caller's own client is left open.
	Client *http.Client
	// Delivery, when not nil, is what every request is, and Build is not
	// called: each request is Delivery with a delivery id of its own (from
	// IDs) and, unless KeepTime, the time of Now, signed for them, and the
	// run goes through the load client of this package rather than
	// net/http (Client's Timeout and its *http.Transport's TLSClientConfig
	// are used). Its Length must be LengthAuto.
	Delivery *Delivery
	// IDs seeds the delivery ids of a Delivery run (crypto/rand when nil).
	// It is read from one goroutine at a time.
	IDs io.Reader
	// KeepTime signs every request of a Delivery run with Delivery.Time
	// rather than the time it is sent.
	KeepTime bool
	// Now is the clock for latencies and the elapsed time (time.Now).
	// Pacing (Rate) and Duration use timers on the real clock.
	Now func() time.Time
	// Progress, when not nil, is called with the counts so far every
	// ProgressInterval, and once more when the run ends, from a goroutine
	// of its own (one call at a time).
	Progress func(LoadStats)
	// Unexpected, when not nil, says whether an answer's status is one
	// the caller did not expect; LoadStats.Unexpected counts those as they
	// come, for Progress. It is called from Concurrency goroutines at once,
	// once per answer, so it should be cheap. Nil expects every status.
	Unexpected func(status int) bool
}

// LoadStats are a load run's counts so far.
type LoadStats struct {
	Sent     int // requests that went out
	Answered int // requests that got an answer, whatever its status
	Failed   int // requests that got no answer (LoadReport.Errors says why)
	// Unexpected counts the answers whose status LoadConfig.Unexpected
	// picked out; they are also in Answered.
	Unexpected int
	Elapsed    time.Duration
}

// Done returns how many requests are done: answered or failed.
func (s LoadStats) Done() int { return s.Answered + s.Failed }

// RequestsPerSecond returns the answers per second so far, or 0 before any
// time has passed.
func (s LoadStats) RequestsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Answered) / s.Elapsed.Seconds()
}

// LoadReport is what a load run did. Sent is Answered plus Failed, except
// for requests cut off when the run was interrupted.
type LoadReport struct {
	LoadStats
	// Statuses counts the answers by status.
	Statuses map[int]int
	// Reasons holds, for each status, the reason of one answer with it
	// (Response.Reason).
	Reasons map[int]string
	// Errors counts the requests that got no answer, by kind.
	Errors LoadErrors
	// Latency is from writing a request to the end of its answer, over
	// every answer. In a Delivery run with a Rate, it is from when the
	// request was due (i/Rate after the first), so that a receiver that
	// holds the run back is not hidden (coordinated omission); its
	// percentiles are to within 1.6% (a log-linear histogram).
	Latency Latency
	// BodyBytes is the size of the bodies of the requests answered.
	BodyBytes int64
	// Interrupted says the caller's context ended the run early.
	Interrupted bool
}

// LoadErrors counts the requests that got no answer, by the kind of
// DeliveryError, and keeps a few of their messages.
type LoadErrors struct {
	Refused int // ErrRefused
	Timeout int // ErrTimeout
	Closed  int // ErrClosed
	Other   int
	// Samples are a few distinct messages, at most maxErrorSamples of
	// each kind, in the order of the counts above.
	Samples []string
}

// Total returns how many requests got no answer.
func (e LoadErrors) Total() int { return e.Refused + e.Timeout + e.Closed + e.Other }

// Latency is the distribution of the latencies of a load run: exact
// percentiles (nearest rank) over every answer.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// maxErrorSamples is how many distinct messages are kept for each kind of
// error.
const maxErrorSamples = 3

// maxReasonBody is how much of an answer's body is read for its reason.
const maxReasonBody = 64 << 10

// NewLoadClient returns a client for a load run: it keeps up to
// concurrency connections to a host alive and opens no more, and gives
// each request timeout. It uses no proxy and asks for no compression, as
// Do does. tlsConfig is used for https URLs; nil means the defaults. The
// caller should call CloseIdleConnections when finished.
func NewLoadClient(concurrency int, timeout time.Duration, tlsConfig *tls.Config) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSClientConfig:     tlsConfig,
			TLSHandshakeTimeout: timeout,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			MaxConnsPerHost:     concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		// A webhook's answer is the status it gets, redirects included.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ErrLoadLength is the error for a request whose Length is not
// LengthAuto: load mode sends only well-formed requests.
var ErrLoadLength = errors.New("load mode sends only requests with their real Content-Length (length auto)")

// httpRequest returns r as a net/http request: the same method, URL,
// headers (spelled as they are; net/http writes them sorted by name), body
// and Content-Length.
func (r *Request) httpRequest(ctx context.Context) (*http.Request, error) {
	if r.Length.Mode != LengthAuto {
		return nil, fmt.Errorf("%w, not %s", ErrLoadLength, r.Length)
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	// NewRequest over a bytes.Reader sets ContentLength and GetBody, so a
	// request that found its kept-alive connection closed before anything
	// was written can be sent again.
	hr, err := http.NewRequestWithContext(ctx, method, r.URL.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	hr.Header = make(http.Header, len(r.Header)+1)
	for _, f := range r.Header {
		switch key := textproto.CanonicalMIMEHeaderKey(f.Name); key {
		case "Host":
			hr.Host = f.Value
		case "Content-Length", "Transfer-Encoding":
			return nil, fmt.Errorf("%w: the request sets %s itself", ErrLoadLength, f.Name)
		case "User-Agent":
			// net/http looks for it under this spelling only.
			hr.Header[key] = append(hr.Header[key], f.Value)
		default:
			hr.Header[f.Name] = append(hr.Header[f.Name], f.Value)
		}
	}
	if _, ok := hr.Header["User-Agent"]; !ok {
		// Send none, as Do does, rather than Go's own.
		hr.Header["User-Agent"] = []string{""}
	}
	return hr, nil
}

// RunLoad sends requests as cfg says and reports what came back. It
// returns when Count requests are done or Duration has passed, and those
// in flight have finished. When ctx ends first, the requests in flight are
// abandoned and the report, marked Interrupted, covers what was done; that
// is not an error. The error is for a configuration RunLoad cannot run or
// a request Build cannot make, with the report so far.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadReport, error) {
	switch {
	case cfg.Concurrency < 1 || cfg.Concurrency > MaxConcurrency:
		return nil, fmt.Errorf("concurrency must be 1 to %d, not %d", MaxConcurrency, cfg.Concurrency)
	case cfg.Count < 0:
		return nil, fmt.Errorf("count must not be negative, not %d", cfg.Count)
	case cfg.Duration < 0:
		return nil, fmt.Errorf("duration must not be negative, not %s", cfg.Duration)
	case cfg.Count == 0 && cfg.Duration == 0:
		return nil, errors.New("a load run needs a count, a duration or both")
	case cfg.Rate < 0:
		return nil, fmt.Errorf("rate must not be negative, not %g", cfg.Rate)
	case cfg.Build == nil && cfg.Delivery == nil:
		return nil, errors.New("a load run needs Build or Delivery")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Delivery != nil {
		return runFast(ctx, cfg, now)
	}
	client := cfg.Client
	if client == nil {
		client = NewLoadClient(cfg.Concurrency, DefaultTimeout, nil)
		defer client.CloseIdleConnections()
	}
	workers := cfg.Concurrency
	if cfg.Count > 0 && cfg.Count < workers {
		workers = cfg.Count
	}

	// run ends the requests in flight: ctx ended, or Build failed.
	// starting ends the starting of new ones: run ended, or Duration passed.
	run, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	starting, stopStarting := context.WithCancel(run)
	defer stopStarting()
	if cfg.Duration > 0 {
		stop := time.AfterFunc(cfg.Duration, stopStarting)
		defer stop.Stop()
	}

	l := &loadRun{client: client, now: now, run: run, start: now(), done: make(chan struct{}), isUnexpected: cfg.Unexpected}
	tickets := make(chan int)
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		defer close(tickets)
		p := newPacer(cfg.Rate)
		defer p.stop()
		for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
			if err := p.wait(starting); err != nil {
				return
			}
			select {
			case tickets <- i:
			case <-starting.Done():
				return
			}
		}
	}()

	results := make([]workerResult, workers)
	var wg sync.WaitGroup
	for w := range results {
		wg.Go(func() {
			res := &results[w]
			for i := range tickets {
				if starting.Err() != nil {
					return // Duration passed while the ticket waited
				}
				req, err := cfg.Build(i)
				if err != nil {
					stopRun(fmt.Errorf("building request %d: %w", i, err))
					return
				}
				if err := l.send(req, res); err != nil {
					stopRun(err)
					return
				}
			}
		})
	}

	progressDone := l.progress(cfg.Progress)
	wg.Wait()
	interrupted := ctx.Err() != nil
	l.finish()
	stopStarting()
	<-dispatched
	<-progressDone

	return l.conclude(results, interrupted, run, cfg.Progress)
}

// loadRun is what a run's workers share: counts the progress line reads
// while they run.
type loadRun struct {
	client *http.Client
	now    func() time.Time
	run    context.Context
	start  time.Time

	// isUnexpected is LoadConfig.Unexpected: the answers it picks out
	// are counted in unexpected as they come.
	isUnexpected func(status int) bool

	sent, answered, failed, unexpected atomic.Int64

	done chan struct{} // closed by finish
	mu   sync.Mutex
	end  time.Time // set by finish
}

// finish marks the end of the run: every worker is done.
func (l *loadRun) finish() {
	l.mu.Lock()
	l.end = l.now()
	l.mu.Unlock()
	close(l.done)
}

func (l *loadRun) stats() LoadStats {
	l.mu.Lock()
	end := l.end
	l.mu.Unlock()
	if end.IsZero() {
		end = l.now()
	}
	unexpected := l.unexpected.Load() // before answered: see countAnswer
	return LoadStats{
		Sent: int(l.sent.Load()), Answered: int(l.answered.Load()), Failed: int(l.failed.Load()),
		Unexpected: int(unexpected), Elapsed: end.Sub(l.start),
	}
}

// workerResult is what one worker saw, merged into the report at the end
// so that the workers share no lock.
type workerResult struct {
	latencies []time.Duration
	statuses  map[int]int
	reasons   map[int]string
	errors    errorTally
	bodyBytes int64
	hist      *histogram // a Delivery run's latencies, instead of latencies
}

// send sends one request and counts its answer or error in res. The
// error is for a request that cannot be sent at all.
func (l *loadRun) send(req *Request, res *workerResult) error {
	hr, err := req.httpRequest(l.run)
	if err != nil {
		return err
	}
	l.sent.Add(1)
	start := l.now()
	resp, err := l.client.Do(hr)
	if err != nil {
		if l.run.Err() != nil {
			return nil // abandoned: neither an answer nor the receiver's failure
		}
		l.failed.Add(1)
		res.errors.add(classify(l.run, hostPort(req.URL), l.client.Timeout, err))
		return nil
	}
	status := resp.StatusCode
	if res.statuses == nil {
		res.statuses, res.reasons = map[int]int{}, map[int]string{}
	}
	if _, ok := res.reasons[status]; !ok {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReasonBody))
		res.reasons[status] = (&Response{Body: body}).Reason()
	}
	// Read the rest, so that the connection can carry the next request.
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBody))
	resp.Body.Close()
	res.latencies = append(res.latencies, l.now().Sub(start))
	res.statuses[status]++
	res.bodyBytes += int64(len(req.Body))
	l.countAnswer(status)
	return nil
}

// countAnswer counts an answer with status: one atomic add, and a second
// for the unexpected ones. Answered is added to first and read last (see
// stats), so that no snapshot has more unexpected answers than answers.
func (l *loadRun) countAnswer(status int) {
	l.answered.Add(1)
	if l.isUnexpected != nil && l.isUnexpected(status) {
		l.unexpected.Add(1)
	}
}

// errorKind is a kind of DeliveryError, as LoadErrors counts them.
type errorKind int

const (
	kindRefused errorKind = iota
	kindTimeout
	kindClosed
	kindOther
	numKinds
)

func kindOf(err error) errorKind {
	switch {
	case errors.Is(err, ErrRefused):
		return kindRefused
	case errors.Is(err, ErrTimeout):
		return kindTimeout
	case errors.Is(err, ErrClosed):
		return kindClosed
	}
	return kindOther
}

// errorTally is one worker's errors: counts and distinct messages by kind.
type errorTally struct {
	counts  [numKinds]int
	samples [numKinds][]string
}

// add counts err and keeps its message when it is new and its kind has
// fewer than maxErrorSamples.
func (t *errorTally) add(err error) {
	k := kindOf(err)
	t.counts[k]++
	t.sample(k, err.Error())
}

func (t *errorTally) sample(k errorKind, msg string) {
	if len(t.samples[k]) < maxErrorSamples && !slices.Contains(t.samples[k], msg) {
		t.samples[k] = append(t.samples[k], msg)
	}
}

func (t *errorTally) merge(o *errorTally) {
	for k := range numKinds {
		t.counts[k] += o.counts[k]
		for _, msg := range o.samples[k] {
			t.sample(k, msg)
		}
	}
}

func (t *errorTally) errors() LoadErrors {
	e := LoadErrors{
		Refused: t.counts[kindRefused], Timeout: t.counts[kindTimeout],
		Closed: t.counts[kindClosed], Other: t.counts[kindOther],
	}
	for k := range numKinds {
		e.Samples = append(e.Samples, t.samples[k]...)
	}
	return e
}

// report merges the workers' results.
// conclude is how both clients finish a run: the report of its workers'
// results, shown to progress one last time, and the run's cause of ending
// as the error unless it was interrupted (an interrupted run reports what
// it did, without an error).
func (l *loadRun) conclude(results []workerResult, interrupted bool, run context.Context, progress func(LoadStats)) (*LoadReport, error) {
	rep := l.report(results)
	rep.Interrupted = interrupted
	if progress != nil {
		progress(rep.LoadStats)
	}
	if err := context.Cause(run); err != nil && !rep.Interrupted {
		return rep, err
	}
	return rep, nil
}

func (l *loadRun) report(results []workerResult) *LoadReport {
	rep := &LoadReport{LoadStats: l.stats(), Statuses: map[int]int{}, Reasons: map[int]string{}}
	var n int
	for _, r := range results {
		n += len(r.latencies)
	}
	latencies := make([]time.Duration, 0, n)
	var hist *histogram
	var errs errorTally
	for i := range results {
		r := &results[i]
		latencies = append(latencies, r.latencies...)
		if r.hist != nil {
			if hist == nil {
				hist = &histogram{}
			}
			hist.merge(r.hist)
		}
		for status, c := range r.statuses {
			rep.Statuses[status] += c
			if _, ok := rep.Reasons[status]; !ok {
				rep.Reasons[status] = r.reasons[status]
			}
		}
		errs.merge(&r.errors)
		rep.BodyBytes += r.bodyBytes
	}
	rep.Errors = errs.errors()
	rep.Latency = latencyOf(latencies)
	if hist != nil {
		rep.Latency = hist.latency()
	}
	return rep
}

// latencyOf sorts latencies and returns their percentiles.
func latencyOf(latencies []time.Duration) Latency {
	if len(latencies) == 0 {
		return Latency{}
	}
	slices.Sort(latencies)
	return Latency{
		P50: percentile(latencies, 50), P90: percentile(latencies, 90), P99: percentile(latencies, 99),
		Max: latencies[len(latencies)-1],
	}
}

// percentile returns the p-th percentile of sorted by nearest rank: the
// smallest value that at least p percent of the values do not exceed.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// pacer spaces the starts of a run at rate per second: start i is due at
// i/rate after the first, so that late timers do not add up. A run that
// falls behind (the receiver is slower than rate) catches up by at most
// maxCatchUp's worth of requests at once.
type pacer struct {
	interval time.Duration // 0: no pacing
	next     time.Time
	timer    *time.Timer
}

// maxCatchUp bounds the burst of a paced run that fell behind.
const maxCatchUp = 50 * time.Millisecond

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// wait returns when the next start is due, or ctx's error if it ends first.
func (p *pacer) wait(ctx context.Context) error {
	if p.interval == 0 {
		return nil
	}
	now := time.Now()
	switch {
	case p.next.IsZero():
		p.next = now
	case now.Sub(p.next) > maxCatchUp:
		p.next = now.Add(-maxCatchUp)
	}
	if d := p.next.Sub(now); d > 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d)
		}
		select {
		case <-p.timer.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.next = p.next.Add(p.interval)
	return nil
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

// progress calls report with the run's stats every ProgressInterval until
// the run is done, and returns a channel closed when it has stopped; nil
// report reports nothing.
func (l *loadRun) progress(report func(LoadStats)) <-chan struct{} {
	stopped := make(chan struct{})
	if report == nil {
		close(stopped)
		return stopped
	}
	go func() {
		defer close(stopped)
		tick := time.NewTicker(ProgressInterval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				report(l.stats())
			case <-l.done:
				return
			}
		}
	}()
	return stopped
}
