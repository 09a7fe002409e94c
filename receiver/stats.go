package receiver

import "sync"

// Stats counts answers by status and accepted deliveries by event.
type Stats struct {
	mu       sync.Mutex
	byStatus map[int]int
	byEvent  map[string]int
	other    int // accepted deliveries not counted by name
}

// StatsSnapshot is a copy of the counts at one moment.
type StatsSnapshot struct {
	Total    int         `json:"total"`
	ByStatus map[int]int `json:"by_status"`
	// ByEvent counts accepted deliveries by event type, for event names of
	// up to maxCountedEvent (128) bytes and the first maxEvents (1,000)
	// distinct names.
	ByEvent map[string]int `json:"by_event"`
	// OtherEvents counts the accepted deliveries whose event is not in
	// ByEvent: a longer name, or one past the first 1,000.
	OtherEvents int `json:"other_events,omitempty"`
}

// The bounds of ByEvent. A GitHub event header is not signed, so a replayed
// delivery can carry any event name, as long as the header limit allows;
// without them the counts would grow with every new name.
const (
	maxCountedEvent = 128
	maxEvents       = 1000
)

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
		if _, counted := s.byEvent[event]; !counted && (len(event) > maxCountedEvent || len(s.byEvent) >= maxEvents) {
			s.other++
			return
		}
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
	snap.OtherEvents = s.other
	return snap
}
