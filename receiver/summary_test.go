package receiver

import (
	"testing"
)

func TestStatusWords(t *testing.T) {
	for st, want := range map[int]string{200: "200 OK", 503: "503 Service Unavailable", 0: "dropped (no answer)"} {
		if got := statusWords(st); got != want {
			t.Errorf("statusWords(%d) = %q, want %q", st, got, want)
		}
	}
}

func TestStatsSummary(t *testing.T) {
	tests := map[string]struct {
		s    StatsSnapshot
		want string
	}{
		"nothing": {s: StatsSnapshot{}, want: "stopped after 0 requests"},
		"one":     {s: StatsSnapshot{Total: 1, ByStatus: map[int]int{401: 1}}, want: "stopped after 1 request; by status: 401 Unauthorized: 1"},
		"in key order, with other events": {
			s:    StatsSnapshot{Total: 4, ByStatus: map[int]int{401: 1, 200: 3}, ByEvent: map[string]int{"push": 2, "ping": 1}, OtherEvents: 1},
			want: "stopped after 4 requests; by status: 200 OK: 3, 401 Unauthorized: 1; accepted by event: ping: 1, push: 2; other events: 1"},
		// An event name with separators cannot forge the summary's counts.
		"a forged event name": {
			s:    StatsSnapshot{Total: 2, ByStatus: map[int]int{200: 2}, ByEvent: map[string]int{"ping: 9999, push": 1, "push": 1}},
			want: `stopped after 2 requests; by status: 200 OK: 2; accepted by event: "ping: 9999, push": 1, push: 1`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.s.Summary(); got != tt.want {
				t.Errorf("Summary =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestStatsLogAttrs(t *testing.T) {
	got := StatsSnapshot{Total: 1, ByStatus: map[int]int{200: 1}, ByEvent: map[string]int{}}.LogAttrs()
	if len(got) != 6 || got[0] != "total" || got[2] != "by_status" || got[4] != "by_event" {
		t.Errorf("LogAttrs = %v", got)
	}
	if got := (StatsSnapshot{OtherEvents: 2}).LogAttrs(); len(got) != 8 || got[6] != "other_events" || got[7] != 2 {
		t.Errorf("LogAttrs with other events = %v", got)
	}
}
