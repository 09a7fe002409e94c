package receiver

import "sync"

// Stats counts answers by status and accepted deliveries by event.
type Stats struct {
	mu       sync.Mutex
	byStatus map[int]int
	byEvent  map[string]int
}

// StatsSnapshot is a copy of the counts at one moment.
type StatsSnapshot struct {
	Total    int            `json:"total"`
	ByStatus map[int]int    `json:"by_status"`
	ByEvent  map[string]int `json:"by_event"`
}

func newStats() *Stats {
	return &Stats{byStatus: map[int]int{}, byEvent: map[string]int{}}
}

// add counts one answer. The event is counted only for accepted
// deliveries: before the signature holds, the event header is untrusted.
func (s *Stats) add(status int, event string, accepted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byStatus[status]++
	if accepted && event != "" {
		s.byEvent[event]++
	}
}

func (s *Stats) snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := StatsSnapshot{ByStatus: make(map[int]int, len(s.byStatus)), ByEvent: make(map[string]int, len(s.byEvent))}
	for k, v := range s.byStatus {
		snap.ByStatus[k] = v
		snap.Total += v
	}
	for k, v := range s.byEvent {
		snap.ByEvent[k] = v
	}
	return snap
}
