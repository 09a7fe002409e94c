package sender

import (
	"math/bits"
	"time"
)

// histogram is a log-linear histogram of latencies: values below
// 2^histSubBits nanoseconds are kept exactly, and above, each power of two
// is split into 2^histSubBits buckets of equal width, so that a value is
// known to within 1/64 (1.6%). Rows are allocated when first used. A load
// run keeps one per connection, unlocked, and merges them at the end.
type histogram struct {
	rows     [64 - histSubBits + 1]*[histSub]uint64
	n        uint64
	min, max time.Duration
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
)

// bucketOf returns the row and column of v (v >= 0).
func bucketOf(v uint64) (row, col int) {
	if v < histSub {
		return 0, int(v)
	}
	e := bits.Len64(v) - histSubBits // >= 1
	return e, int(v>>(e-1)) - histSub
}

// lowest returns the smallest value of a bucket.
func lowest(row, col int) uint64 {
	if row == 0 {
		return uint64(col)
	}
	return uint64(col+histSub) << (row - 1)
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	row, col := bucketOf(uint64(d))
	if h.rows[row] == nil {
		h.rows[row] = new([histSub]uint64)
	}
	h.rows[row][col]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for r, row := range o.rows {
		if row == nil {
			continue
		}
		if h.rows[r] == nil {
			h.rows[r] = new([histSub]uint64)
		}
		for c, n := range row {
			h.rows[r][c] += n
		}
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
}

// percentile returns the p-th percentile by nearest rank, to the bucket:
// the lowest value of the bucket holding that rank, within [min, max].
func (h *histogram) percentile(p int) time.Duration {
	rank := max((uint64(p)*h.n+99)/100, 1)
	var seen uint64
	for r, row := range h.rows {
		if row == nil {
			continue
		}
		for c, n := range row {
			seen += n
			if seen >= rank {
				v := time.Duration(lowest(r, c))
				return min(max(v, h.min), h.max)
			}
		}
	}
	return h.max
}

// latency returns h's percentiles.
func (h *histogram) latency() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{P50: h.percentile(50), P90: h.percentile(90), P99: h.percentile(99), Max: h.max}
}
