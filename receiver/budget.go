package receiver

import "sync"

// Defaults of the in-flight body budget.
const (
	// DefaultMaxInflight is how many bytes of large bodies may be held at
	// once before new large deliveries get 503.
	DefaultMaxInflight = 256 << 20
	// smallBody is the size up to which a body is never refused for the
	// budget: small deliveries are not starved by large ones.
	smallBody = 64 << 10
)

// budget bounds the bytes of large bodies held at once, so that many
// concurrent large uploads get 503 and Retry-After instead of growing the
// process without bound.
type budget struct {
	mu    sync.Mutex
	max   int64 // <= 0: no limit
	inUse int64
	peak  int64
}

// acquire reserves n bytes for a body, and reports whether it may be read.
// Bodies of smallBody or less are always admitted and not counted.
func (b *budget) acquire(n int64) bool {
	if n <= smallBody || b.max <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// One body larger than the whole budget is admitted alone (it is
	// within --max-body), so that the limits cannot refuse it forever.
	if b.inUse > 0 && b.inUse+n > b.max {
		return false
	}
	b.inUse += n
	b.peak = max(b.peak, b.inUse)
	return true
}

// release returns what acquire(n) reserved.
func (b *budget) release(n int64) {
	if n <= smallBody || b.max <= 0 {
		return
	}
	b.mu.Lock()
	b.inUse -= n
	b.mu.Unlock()
}

// peakInUse is the most bytes ever reserved at once.
func (b *budget) peakInUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}
