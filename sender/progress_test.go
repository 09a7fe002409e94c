package sender

import (
	"strings"
	"testing"
	"time"
)

// TestProgressLine draws the progress line from fixed stats: what it
// shows for each kind of run, and what it drops to fit the terminal.
func TestProgressLine(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name    string
		plan    ProgressPlan
		base, s LoadStats
		width   int
		want    string
	}{
		{
			name: "count, at the recent rate",
			plan: ProgressPlan{Count: 1000}, base: LoadStats{Answered: 100, Elapsed: sec},
			s:    LoadStats{Sent: 302, Answered: 300, Elapsed: 2 * sec},
			want: "300/1000 done (30%)  200 req/s  unexpected 0 (0%)  errors 0  ETA 4s",
		},
		{
			name: "count, unexpected answers",
			plan: ProgressPlan{Count: 50000}, base: LoadStats{Answered: 20000, Elapsed: 5 * sec},
			s:    LoadStats{Answered: 40000, Unexpected: 30803, Elapsed: 10 * sec},
			want: "40000/50000 done (80%)  4000 req/s  unexpected 30803 (77.0%)  errors 0  ETA 3s",
		},
		{
			name: "count, one unexpected answer in many",
			plan: ProgressPlan{Count: 100000},
			s:    LoadStats{Answered: 5000, Unexpected: 1, Elapsed: sec},
			want: "5000/100000 done (5%)  5000 req/s  unexpected 1 (<0.1%)  errors 0  ETA 19s",
		},
		{
			name: "count, errors",
			plan: ProgressPlan{Count: 200},
			s:    LoadStats{Answered: 90, Failed: 10, Elapsed: 2 * sec},
			want: "100/200 done (50%)  50 req/s  unexpected 0 (0%)  errors 10  ETA 2s",
		},
		{
			name: "count, nothing done yet: zero rate",
			plan: ProgressPlan{Count: 500},
			s:    LoadStats{Sent: 1, Elapsed: sec},
			want: "0/500 done (0%)  0 req/s  unexpected 0  errors 0  ETA ?",
		},
		{
			name: "count, the clock standing still: zero rate",
			plan: ProgressPlan{Count: 500},
			s:    LoadStats{Answered: 20},
			want: "20/500 done (4%)  0 req/s  unexpected 0 (0%)  errors 0  ETA ?",
		},
		{
			name: "count and rate, nothing done yet: the schedule",
			plan: ProgressPlan{Count: 500, Rate: 100},
			want: "0/500 done (0%)  0 req/s  unexpected 0  errors 0  ETA 5s",
		},
		{
			name: "count and rate, catching up: the schedule",
			plan: ProgressPlan{Count: 500, Rate: 100}, base: LoadStats{Answered: 0, Elapsed: sec},
			s:    LoadStats{Answered: 100, Elapsed: 1250 * time.Millisecond},
			want: "100/500 done (20%)  400 req/s  unexpected 0 (0%)  errors 0  ETA 4s",
		},
		{
			name: "count and rate, the receiver slower than the schedule",
			plan: ProgressPlan{Count: 500, Rate: 100},
			s:    LoadStats{Answered: 100, Elapsed: 2 * sec},
			want: "100/500 done (20%)  50 req/s  unexpected 0 (0%)  errors 0  ETA 8s",
		},
		{
			name: "count, all done",
			plan: ProgressPlan{Count: 500},
			s:    LoadStats{Answered: 499, Failed: 1, Unexpected: 499, Elapsed: sec},
			want: "500/500 done (100%)  500 req/s  unexpected 499 (100%)  errors 1  ETA 0s",
		},
		{
			name: "count, hours to go",
			plan: ProgressPlan{Count: 10_000_000},
			s:    LoadStats{Answered: 1000, Elapsed: sec},
			want: "1000/10000000 done (0%)  1000 req/s  unexpected 0 (0%)  errors 0  ETA 2h46m",
		},
		{
			name: "duration",
			plan: ProgressPlan{Duration: time.Minute}, base: LoadStats{Answered: 200, Elapsed: 2 * sec},
			s:    LoadStats{Answered: 1195, Failed: 5, Unexpected: 30, Elapsed: 12 * sec},
			want: "1200 done  100 req/s  unexpected 30 (2.5%)  errors 5  20% of 1m00s, 48s left",
		},
		{
			name: "duration, zero rate",
			plan: ProgressPlan{Duration: 90 * time.Second},
			want: "0 done  0 req/s  unexpected 0  errors 0  0% of 1m30s, 1m30s left",
		},
		{
			name: "duration, over",
			plan: ProgressPlan{Duration: 10 * time.Second},
			s:    LoadStats{Answered: 10, Elapsed: 10*sec + 3*time.Millisecond},
			want: "10 done  1 req/s  unexpected 0 (0%)  errors 0  100% of 10s, 0s left",
		},
		{
			name: "count and duration, the duration ends first",
			plan: ProgressPlan{Count: 1_000_000, Duration: 10 * time.Second},
			s:    LoadStats{Answered: 4000, Elapsed: 4 * sec},
			want: "4000/1000000 done (0%)  1000 req/s  unexpected 0 (0%)  errors 0  ETA 6s",
		},
		{
			name: "count and duration, the count ends first",
			plan: ProgressPlan{Count: 5000, Duration: time.Hour},
			s:    LoadStats{Answered: 4000, Elapsed: 4 * sec},
			want: "4000/5000 done (80%)  1000 req/s  unexpected 0 (0%)  errors 0  ETA 1s",
		},
		{
			name: "80 columns: the rate goes first",
			plan: ProgressPlan{Count: 100000}, base: LoadStats{Answered: 20000, Elapsed: 5 * sec},
			s:    LoadStats{Answered: 40000, Unexpected: 30803, Elapsed: 10 * sec},
			want: "40000/100000 done (40%)  unexpected 30803 (77.0%)  errors 0  ETA 15s",
		},
		{
			name: "big numbers: the rate goes first, then the time",
			plan: ProgressPlan{Count: 90_000_000}, base: LoadStats{Elapsed: 100 * sec},
			s:    LoadStats{Answered: 12_345_678, Failed: 1_234_567, Unexpected: 9_876_543, Elapsed: 200 * sec},
			want: "13580245/90000000 done (15%)  unexpected 9876543 (80.0%)  errors 1234567",
		},
		{
			name: "a wide terminal: all of it",
			plan: ProgressPlan{Count: 90_000_000}, base: LoadStats{Elapsed: 100 * sec},
			s:     LoadStats{Answered: 12_345_678, Failed: 1_234_567, Unexpected: 9_876_543, Elapsed: 200 * sec},
			width: 120,
			want:  "13580245/90000000 done (15%)  135802 req/s  unexpected 9876543 (80.0%)  errors 1234567  ETA 9m23s",
		},
		{
			name: "a narrow terminal: the unexpected answers stay",
			plan: ProgressPlan{Count: 1000}, s: LoadStats{Answered: 300, Unexpected: 5, Failed: 2, Elapsed: sec},
			width: 45,
			want:  "302/1000 done (30%)  unexpected 5 (1.7%)",
		},
		{
			name: "narrower still: cut",
			plan: ProgressPlan{Count: 1000}, s: LoadStats{Answered: 300, Elapsed: sec},
			width: 12,
			want:  "300/1000 do",
		},
		{
			name: "one column",
			plan: ProgressPlan{Count: 1000}, s: LoadStats{Answered: 300, Elapsed: sec},
			width: 1,
			want:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := progressLine(tt.s, tt.base, tt.plan, tt.width)
			if got != tt.want {
				t.Errorf("progressLine =\n%q\nwant\n%q", got, tt.want)
			}
			width := tt.width
			if width == 0 {
				width = 80
			}
			if len(got) >= width {
				t.Errorf("%d columns, want fewer than %d", len(got), width)
			}
		})
	}
}

// TestProgressMeterWindow: the rate is over the last progressWindow, so
// that it follows a receiver that slows down, and the snapshots kept stay
// few whatever the clock does.
func TestProgressMeterWindow(t *testing.T) {
	m := NewProgress(ProgressPlan{Count: 100000}, 0)
	m.Line(LoadStats{Answered: 1000, Elapsed: 10 * time.Second}) // 100/s
	var got string
	for i := 1; i <= 6; i++ { // then 10/s
		got = m.Line(LoadStats{Answered: 1000 + 10*i, Elapsed: time.Duration(10+i) * time.Second})
	}
	// Over the whole run it would be 1060/16s: 66 req/s.
	if want := "1060/100000 done (1%)  10 req/s  "; !strings.HasPrefix(got, want) {
		t.Errorf("line %q, want it to start %q", got, want)
	}
	for range 10 * maxProgressSnapshots {
		m.Line(LoadStats{Answered: 2000, Elapsed: 17 * time.Second})
	}
	if len(m.recent) > maxProgressSnapshots {
		t.Errorf("the meter keeps %d snapshots, want at most %d", len(m.recent), maxProgressSnapshots)
	}
}
