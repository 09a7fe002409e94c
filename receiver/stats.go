package receiver

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/hooklab/hooklab/internal/term"
)

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

// Summary is the snapshot in words, the line a listener prints when it
// stops: "stopped after 3 requests; by status: 200 OK: 2, 401
// Unauthorized: 1; accepted by event: push: 2". Event names come from the
// senders, so each is one field, quoted when it is not plain text: a name
// such as "ping: 9999, push" cannot forge the counts.
func (s StatsSnapshot) Summary() string {
	var b strings.Builder
	noun := "requests"
	if s.Total == 1 {
		noun = "request"
	}
	fmt.Fprintf(&b, "stopped after %d %s", s.Total, noun)
	if len(s.ByStatus) > 0 {
		fmt.Fprintf(&b, "; by status: %s", countList(s.ByStatus, statusWords))
	}
	if len(s.ByEvent) > 0 {
		fmt.Fprintf(&b, "; accepted by event: %s", countList(s.ByEvent, term.Field))
	}
	if s.OtherEvents > 0 {
		fmt.Fprintf(&b, "; other events: %d", s.OtherEvents)
	}
	return b.String()
}

// LogAttrs are the snapshot as the attributes of a log record: total,
// by_status, by_event, and other_events when there are any.
func (s StatsSnapshot) LogAttrs() []any {
	attrs := []any{"total", s.Total, "by_status", s.ByStatus, "by_event", s.ByEvent}
	if s.OtherEvents > 0 {
		attrs = append(attrs, "other_events", s.OtherEvents)
	}
	return attrs
}

// countList formats counts as "key: n, key: n" in key order.
func countList[K cmp.Ordered](counts map[K]int, name func(K) string) string {
	keys := slices.Sorted(maps.Keys(counts))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", name(k), counts[k]))
	}
	return strings.Join(parts, ", ")
}

// statusWords names a status in the summary: "200 OK", and "dropped (no
// answer)" for the deliveries a scripted drop closed without an answer.
func statusWords(st int) string {
	if st == 0 {
		return "dropped (no answer)"
	}
	return fmt.Sprintf("%d %s", st, http.StatusText(st))
}
