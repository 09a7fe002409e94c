package capture

import "sync"

// recordOverhead is what a record costs beyond its variable parts, roughly:
// the struct, its strings and the slices' headers.
const recordOverhead = 512

// Ring holds the latest records in memory, bounded by count and by bytes
// (bodies, headers and outputs, roughly). It is safe for concurrent use.
// Records are shared, not copied: nobody may change a record once it is
// added.
type Ring struct {
	maxCount int
	maxBytes int64

	mu    sync.Mutex
	recs  []*Record // oldest first
	bytes int64
	subs  map[*subscriber]struct{}
}

type subscriber struct {
	ch   chan *Record
	once sync.Once
}

// NewRing returns a Ring of at most maxCount records (at least 1) and
// maxBytes bytes (0 or less: no byte bound).
func NewRing(maxCount int, maxBytes int64) *Ring {
	return &Ring{maxCount: max(maxCount, 1), maxBytes: maxBytes, subs: make(map[*subscriber]struct{})}
}

// Size is what Ring counts for rec against its byte bound.
func Size(rec *Record) int64 {
	n := int64(recordOverhead + len(rec.Body) + len(rec.Remote) + len(rec.Target))
	for _, h := range rec.Headers {
		n += int64(len(h[0]) + len(h[1]) + 32)
	}
	if f := rec.Forward; f != nil {
		n += int64(len(f.Body) + len(f.URL) + len(f.Error))
		for _, h := range f.Headers {
			n += int64(len(h[0]) + len(h[1]) + 32)
		}
	}
	if e := rec.Exec; e != nil {
		n += int64(len(e.Stdout) + len(e.Stderr) + len(e.Error))
	}
	return n
}

// Add adds rec as the newest record, evicting the oldest until both bounds
// hold, and hands it to each subscriber that has room for it. A record
// bigger than maxBytes on its own is kept as a copy without its body and
// the forward's and program's output (Body nil; BodySHA256 is still that of
// the real body, which tells the two apart); the newest record is never
// evicted.
func (r *Ring) Add(rec *Record) {
	size := Size(rec)
	if r.maxBytes > 0 && size > r.maxBytes {
		rec = stripped(rec)
		size = Size(rec)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	r.bytes += size
	for len(r.recs) > 1 && (len(r.recs) > r.maxCount || (r.maxBytes > 0 && r.bytes > r.maxBytes)) {
		r.bytes -= Size(r.recs[0])
		r.recs[0] = nil
		r.recs = r.recs[1:]
	}
	for s := range r.subs {
		select {
		case s.ch <- rec:
		default: // a slow subscriber misses it; Add never waits
		}
	}
}

func stripped(rec *Record) *Record {
	c := *rec
	c.BodySHA256 = rec.Sum() // how a reader tells the body was dropped
	c.Body = nil
	if c.Forward != nil {
		f := *c.Forward
		f.Body = nil
		c.Forward = &f
	}
	if c.Exec != nil {
		e := *c.Exec
		e.Stdout, e.Stderr = nil, nil
		c.Exec = &e
	}
	return &c
}

// Latest returns up to n records, newest first.
func (r *Ring) Latest(n int) []*Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = max(min(n, len(r.recs)), 0)
	out := make([]*Record, n)
	for i := range out {
		out[i] = r.recs[len(r.recs)-1-i]
	}
	return out
}

// Get returns the record with seq, if it is still held (the newest one
// with that seq).
func (r *Ring) Get(seq uint64) (*Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.recs) - 1; i >= 0; i-- {
		if r.recs[i].Seq == seq {
			return r.recs[i], true
		}
	}
	return nil, false
}

// Len returns how many records the Ring holds.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// Bytes returns the Ring's size as counted against its byte bound (Size).
func (r *Ring) Bytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

// Subscribe returns a channel that receives each record added from now on,
// buffered for buf records: when it is full, records are dropped for this
// subscriber (Add never blocks). Call cancel when done: it closes the
// channel and is safe to call more than once.
func (r *Ring) Subscribe(buf int) (records <-chan *Record, cancel func()) {
	s := &subscriber{ch: make(chan *Record, max(buf, 0))}
	r.mu.Lock()
	r.subs[s] = struct{}{}
	r.mu.Unlock()
	return s.ch, func() {
		s.once.Do(func() {
			r.mu.Lock()
			delete(r.subs, s)
			r.mu.Unlock()
			close(s.ch)
		})
	}
}
