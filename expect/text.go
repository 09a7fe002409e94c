package expect

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteText writes r for people: one line per expectation, the events
// that came unexpected, the refusals, one line per retried delivery id,
// and a last line "ok" or "FAIL: " with why. It returns the first write
// error.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	unmet := 0
	for _, e := range r.Expected {
		mark := "✓"
		if !e.Met {
			mark, unmet = "✗", unmet+1
		}
		fmt.Fprintf(bw, "expected %s ×%d: got %d %s\n", e.Event, e.Want, e.Got, mark)
	}
	var others []string
	for _, ev := range sortedKeys(r.Seen) {
		if !slices.ContainsFunc(r.Expected, func(e Expectation) bool { return e.Event == ev }) {
			others = append(others, fmt.Sprintf("%s %d", eventName(ev), r.Seen[ev]))
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(bw, "also seen: %s\n", strings.Join(others, ", "))
	}
	distinct := 0
	for _, n := range r.Seen {
		distinct += n
	}
	fmt.Fprintf(bw, "deliveries: %d: %d verified", r.Total, r.Verified)
	if retries := r.Verified - distinct; retries > 0 {
		fmt.Fprintf(bw, " (%d of them retries)", retries)
	}
	fmt.Fprintf(bw, ", %d refused\n", r.Refused)
	if r.Refused > 0 {
		var reasons []string
		for _, reason := range sortedKeys(r.RefusedReasons) {
			reasons = append(reasons, fmt.Sprintf("%s %d", reason, r.RefusedReasons[reason]))
		}
		verdict := "allowed by --allow-refused"
		if !r.AllowRefused {
			verdict = "not allowed: --allow-refused tolerates them"
		}
		fmt.Fprintf(bw, "refused: %d (%s), %s\n", r.Refused, strings.Join(reasons, ", "), verdict)
	}
	for _, rt := range r.Retries {
		intervals := make([]string, len(rt.IntervalsMS))
		for i, ms := range rt.IntervalsMS {
			intervals[i] = "+" + formatMS(ms)
		}
		outcome := "no 2xx"
		if rt.FirstSuccess > 0 {
			outcome = fmt.Sprintf("2xx on attempt %d", rt.FirstSuccess)
		}
		fmt.Fprintf(bw, "retried %s (%s): %d attempts (%s), %s\n",
			rt.ID, eventName(rt.Event), rt.Attempts, strings.Join(intervals, ", "), outcome)
	}
	if r.OK {
		fmt.Fprintln(bw, "ok")
	} else {
		var why []string
		if unmet > 0 {
			why = append(why, fmt.Sprintf("%d of %d expectations not met", unmet, len(r.Expected)))
		}
		if r.Refused > 0 && !r.AllowRefused {
			why = append(why, fmt.Sprintf("%d refused", r.Refused))
		}
		fmt.Fprintf(bw, "FAIL: %s\n", strings.Join(why, "; "))
	}
	return bw.Flush()
}

// eventName names an event for the text report, where "" would vanish.
func eventName(ev string) string {
	if ev == "" {
		return "(no event)"
	}
	return ev
}

// formatMS formats an interval in milliseconds the way people read them:
// 1.0s, 250ms, 2.5ms.
func formatMS(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.1fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0fms", ms)
	default:
		return fmt.Sprintf("%.1fms", ms)
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
