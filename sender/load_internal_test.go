package sender

import (
	"testing"
	"time"
)

// TestLatencyOf checks the nearest-rank percentiles: the p-th percentile
// is the smallest latency that at least p percent do not exceed.
func TestLatencyOf(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// upTo returns n, n-1, ..., 1 ms: unsorted, as the workers leave them.
	upTo := func(n int) []time.Duration {
		var out []time.Duration
		for i := n; i >= 1; i-- {
			out = append(out, ms(i))
		}
		return out
	}
	tests := []struct {
		name      string
		latencies []time.Duration
		want      Latency
	}{
		{name: "none", want: Latency{}},
		{name: "one", latencies: []time.Duration{ms(7)}, want: Latency{P50: ms(7), P90: ms(7), P99: ms(7), Max: ms(7)}},
		{name: "two", latencies: []time.Duration{ms(9), ms(1)}, want: Latency{P50: ms(1), P90: ms(9), P99: ms(9), Max: ms(9)}},
		{name: "ten", latencies: upTo(10), want: Latency{P50: ms(5), P90: ms(9), P99: ms(10), Max: ms(10)}},
		{name: "a hundred", latencies: upTo(100), want: Latency{P50: ms(50), P90: ms(90), P99: ms(99), Max: ms(100)}},
		{name: "a thousand", latencies: upTo(1000), want: Latency{P50: ms(500), P90: ms(900), P99: ms(990), Max: ms(1000)}},
		{name: "101", latencies: upTo(101), want: Latency{P50: ms(51), P90: ms(91), P99: ms(100), Max: ms(101)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latencyOf(tt.latencies); got != tt.want {
				t.Errorf("latencyOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
