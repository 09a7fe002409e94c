package sender

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A load run from a Delivery (LoadConfig.Delivery) goes through the fast
// client: each connection builds its request head once, and each request
// overwrites, in place, only the header values that change from one
// request to the next (the delivery id, and the timestamp and signature
// where the provider signs them). Which values change is found once, by
// building the delivery with two ids and two times and comparing: where
// only the id changes (GitHub signs the body alone), nothing is signed per
// request; otherwise each request is signed for its own id and time.

// fastTemplate is what a run's connections share: read only.
type fastTemplate struct {
	d        Delivery // the delivery, its ID and Time set per request
	signer   *deliverySigner
	body     []byte
	varying  []int    // indices of the header fields that change
	names    []string // the header names, in order, to check the shape
	idOnly   bool     // the changing fields hold the delivery id alone
	keepTime bool
}

// newFastTemplate checks that d can be sent in load mode and finds the
// fields that change per request.
func newFastTemplate(d Delivery, keepTime bool, now time.Time) (*fastTemplate, error) {
	if d.Length.Mode != LengthAuto {
		return nil, fmt.Errorf("%w, not %s", ErrLoadLength, d.Length)
	}
	signer, err := d.newSigner()
	if err != nil {
		return nil, err
	}
	ta, tb := now, now.Add(1001*time.Millisecond)
	if keepTime {
		ta, tb = d.Time, d.Time
	}
	const idA, idB = "00000000-0000-4000-8000-000000000000", "ffffffff-ffff-4fff-bfff-ffffffffffff"
	a, b := d, d
	a.ID, a.Time, b.ID, b.Time = idA, ta, idB, tb
	ra, err := a.requestWith(signer)
	if err != nil {
		return nil, err
	}
	rb, err := b.requestWith(signer)
	if err != nil {
		return nil, err
	}
	for _, f := range ra.Header {
		switch textproto.CanonicalMIMEHeaderKey(f.Name) {
		case "Content-Length", "Transfer-Encoding":
			return nil, fmt.Errorf("%w: the request sets %s itself", ErrLoadLength, f.Name)
		}
	}
	t := &fastTemplate{d: d, signer: signer, body: ra.Body, keepTime: keepTime, idOnly: true}
	if len(ra.Header) != len(rb.Header) {
		t.names, t.idOnly = nil, false // no fixed shape: each head is built whole
		return t, nil
	}
	for i, f := range ra.Header {
		g := rb.Header[i]
		t.names = append(t.names, f.Name)
		if f.Name != g.Name {
			t.names, t.varying, t.idOnly = nil, nil, false
			return t, nil
		}
		if f.Value != g.Value {
			t.varying = append(t.varying, i)
			if f.Value != idA || g.Value != idB {
				t.idOnly = false
			}
		}
	}
	return t, nil
}

// slot is where a changing header value sits in a head.
type slot struct{ off, n int }

// fastWorker is one connection of a run and the requests it sends.
type fastWorker struct {
	t     *fastTemplate
	d     Delivery
	rng   *mrand.ChaCha8
	idRaw [16]byte
	id    [36]byte
	head  []byte
	slots []slot
	conn  fastConn
	res   *workerResult
	hist  *histogram
}

// newID makes the next delivery id in w.id: a version 4 UUID, as NewID.
func (w *fastWorker) newID() {
	w.rng.Read(w.idRaw[:])
	b := &w.idRaw
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexDigits = "0123456789abcdef"
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			w.id[j] = '-'
			j++
		}
		w.id[j], w.id[j+1] = hexDigits[x>>4], hexDigits[x&15]
		j += 2
	}
}

// buildHead writes req's head into w.head the way Request.WriteTo does, and
// notes where the changing values are.
func (w *fastWorker) buildHead(req *Request) {
	h := w.head[:0]
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	host := req.URL.Host
	for _, f := range req.Header {
		if strings.EqualFold(f.Name, "Host") {
			host = f.Value
		}
	}
	h = append(h, method...)
	h = append(h, ' ')
	h = append(h, req.URL.RequestURI()...)
	h = append(h, " HTTP/1.1\r\nHost: "...)
	h = append(h, host...)
	h = append(h, "\r\n"...)
	w.slots = w.slots[:0]
	v := 0
	for i, f := range req.Header {
		if strings.EqualFold(f.Name, "Host") {
			continue
		}
		h = append(h, f.Name...)
		h = append(h, ": "...)
		if v < len(w.t.varying) && w.t.varying[v] == i {
			w.slots = append(w.slots, slot{off: len(h), n: len(f.Value)})
			v++
		}
		h = append(h, f.Value...)
		h = append(h, "\r\n"...)
	}
	h = append(h, "Content-Length: "...)
	h = strconv.AppendInt(h, int64(len(req.Body)), 10)
	h = append(h, "\r\n\r\n"...)
	w.head = h
}

// next makes the head of the next request: a fresh id, and what is signed
// for it.
func (w *fastWorker) next(now func() time.Time) error {
	w.newID()
	t := w.t
	if t.idOnly && len(w.slots) == len(t.varying) {
		for _, s := range w.slots {
			copy(w.head[s.off:s.off+s.n], w.id[:])
		}
		return nil
	}
	w.d.ID = string(w.id[:])
	if !t.keepTime {
		w.d.Time = now()
	}
	req, err := w.d.requestWith(t.signer)
	if err != nil {
		return err
	}
	if w.head != nil && t.names != nil && len(req.Header) == len(t.names) && len(w.slots) == len(t.varying) {
		fits := true
		for k, i := range t.varying {
			if f := req.Header[i]; f.Name != t.names[i] || len(f.Value) != w.slots[k].n {
				fits = false
				break
			}
		}
		if fits {
			for k, i := range t.varying {
				s := w.slots[k]
				copy(w.head[s.off:s.off+s.n], req.Header[i].Value)
			}
			return nil
		}
	}
	w.buildHead(req)
	return nil
}

// fastTicket is one request to send, and when it was due (zero: now).
type fastTicket struct {
	i   int
	due time.Time
}

// runFast is RunLoad for a Delivery.
func runFast(ctx context.Context, cfg LoadConfig, now func() time.Time) (*LoadReport, error) {
	t, err := newFastTemplate(*cfg.Delivery, cfg.KeepTime, now())
	if err != nil {
		return nil, err
	}
	u := cfg.Delivery.URL
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("load mode needs an http or https URL, not %v", u)
	}
	timeout := DefaultTimeout
	var tlsConfig *tls.Config
	if cfg.Client != nil {
		if cfg.Client.Timeout > 0 {
			timeout = cfg.Client.Timeout
		}
		if tr, ok := cfg.Client.Transport.(*http.Transport); ok {
			tlsConfig = tr.TLSClientConfig
		}
	}
	if u.Scheme == "https" {
		tlsConfig = tlsConfig.Clone()
		if tlsConfig == nil {
			tlsConfig = &tls.Config{}
		}
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = u.Hostname()
		}
	} else {
		tlsConfig = nil
	}
	ids := cfg.IDs
	if ids == nil {
		ids = rand.Reader
	}
	var idsMu sync.Mutex
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	addr := hostPort(u)

	workers := cfg.Concurrency
	if cfg.Count > 0 && cfg.Count < workers {
		workers = cfg.Count
	}
	run, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	starting, stopStarting := context.WithCancel(run)
	defer stopStarting()
	var stopped atomic.Bool
	stopWatch := context.AfterFunc(starting, func() { stopped.Store(true) })
	defer stopWatch()
	// AfterFunc calls its func from a goroutine of its own, which may not
	// have run before the workers are through a short run: a context that
	// has already ended stops the run before it starts.
	if starting.Err() != nil {
		stopped.Store(true)
	}
	if cfg.Duration > 0 {
		stop := time.AfterFunc(cfg.Duration, stopStarting)
		defer stop.Stop()
	}

	l := &loadRun{now: now, run: run, start: now(), done: make(chan struct{}), isUnexpected: cfg.Unexpected}
	var tickets chan fastTicket
	dispatched := make(chan struct{})
	if cfg.Rate > 0 {
		tickets = make(chan fastTicket)
		go func() {
			defer close(dispatched)
			defer close(tickets)
			p := newPacer(cfg.Rate)
			defer p.stop()
			// Request i is due at i/rate after the first, whatever the
			// pacer's catching up: latency counts from then (no
			// coordinated omission).
			var origin time.Time
			for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
				if err := p.wait(starting); err != nil {
					return
				}
				if i == 0 {
					origin = now()
				}
				due := origin.Add(time.Duration(float64(i) * float64(time.Second) / cfg.Rate))
				select {
				case tickets <- fastTicket{i: i, due: due}:
				case <-starting.Done():
					return
				}
			}
		}()
	} else {
		close(dispatched)
	}
	var counter atomic.Int64
	take := func() (fastTicket, bool) {
		if tickets != nil {
			tk, ok := <-tickets
			return tk, ok && !stopped.Load()
		}
		if stopped.Load() {
			return fastTicket{}, false
		}
		i := int(counter.Add(1) - 1)
		if cfg.Count > 0 && i >= cfg.Count {
			return fastTicket{}, false
		}
		return fastTicket{i: i}, true
	}

	results := make([]workerResult, workers)
	var wg sync.WaitGroup
	for k := range results {
		wg.Go(func() {
			res := &results[k]
			res.hist = &histogram{}
			res.statuses, res.reasons = map[int]int{}, map[int]string{}
			var seed [32]byte
			idsMu.Lock()
			_, err := io.ReadFull(ids, seed[:])
			idsMu.Unlock()
			if err != nil {
				stopRun(fmt.Errorf("cannot make delivery ids: %w", err))
				return
			}
			w := &fastWorker{t: t, d: t.d, rng: mrand.NewChaCha8(seed), res: res, hist: res.hist,
				conn: fastConn{ctx: run, addr: addr, tlsConfig: tlsConfig, dial: dialer.DialContext, timeout: timeout, now: now}}
			defer w.conn.close()
			if !t.keepTime {
				w.d.Time = now()
			}
			w.newID()
			w.d.ID = string(w.id[:])
			first, err := w.d.requestWith(t.signer)
			if err != nil {
				stopRun(fmt.Errorf("building a request: %w", err))
				return
			}
			w.buildHead(first)
			built := true
			for {
				tk, ok := take()
				if !ok {
					return
				}
				if !built {
					if err := w.next(now); err != nil {
						stopRun(fmt.Errorf("building request %d: %w", tk.i, err))
						return
					}
				}
				built = false
				w.send(l, tk, addr, timeout)
			}
		})
	}

	progressDone := l.progress(cfg.Progress)
	wg.Wait()
	interrupted := ctx.Err() != nil
	l.finish()
	stopStarting()
	if tickets != nil {
		for range tickets { // let the dispatcher see the end
		}
	}
	<-dispatched
	<-progressDone

	return l.conclude(results, interrupted, run, cfg.Progress)
}

// send sends the worker's current request and counts what came of it.
func (w *fastWorker) send(l *loadRun, tk fastTicket, addr string, timeout time.Duration) {
	l.sent.Add(1)
	w.conn.started = time.Time{}
	ans, err := w.conn.roundTrip(w.head, w.t.body, true)
	end := l.now()
	if err != nil {
		if l.run.Err() != nil {
			return // abandoned: neither an answer nor the receiver's failure
		}
		l.failed.Add(1)
		w.res.errors.add(classify(l.run, addr, timeout, err))
		return
	}
	start := w.conn.started
	if !tk.due.IsZero() {
		start = tk.due
	}
	w.hist.record(end.Sub(start))
	res := w.res
	res.statuses[ans.status]++
	if _, ok := res.reasons[ans.status]; !ok {
		res.reasons[ans.status] = (&Response{Body: ans.body}).Reason()
	}
	res.bodyBytes += int64(len(w.t.body))
	l.countAnswer(ans.status)
}
