package respond

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseStatuses parses the values of --respond, each either a global
// sequence ("500,500,200") or one event's sequence ("push=503",
// "push=500,200"). Repeated values append to the sequence they name, so
// --respond 500 --respond 200 is --respond 500,200. Statuses are numbers
// from 200 to 599: a 1xx is not a final answer (Go's server would send it
// as an informational response followed by a 200).
func ParseStatuses(values []string) (statuses []int, byEvent map[string][]int, err error) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		event, list, perEvent := strings.Cut(v, "=")
		if !perEvent {
			list = v
		}
		event = strings.TrimSpace(event)
		if perEvent && (event == "" || strings.ContainsAny(event, " \t,")) {
			return nil, nil, fmt.Errorf("--respond %q: the event before = must be one name, like push=503", v)
		}
		seq, err := parseStatusList(list)
		if err != nil {
			return nil, nil, fmt.Errorf("--respond %q: %w", v, err)
		}
		if !perEvent {
			statuses = append(statuses, seq...)
			continue
		}
		if byEvent == nil {
			byEvent = make(map[string][]int)
		}
		byEvent[event] = append(byEvent[event], seq...)
	}
	return statuses, byEvent, nil
}

// parseStatusList parses "500,500,200".
func parseStatusList(list string) ([]int, error) {
	var seq []int
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("empty status: give statuses separated by commas, like 500,500,200")
		}
		if strings.Contains(f, "=") {
			return nil, fmt.Errorf("%q: give an event's statuses in a --respond of its own, like --respond push=503", f)
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an HTTP status: give a number from 200 to 599", f)
		}
		if n >= 100 && n < 200 {
			return nil, fmt.Errorf("status %d is not a final answer (the sender would get it and then a 200): give a number from 200 to 599", n)
		}
		if n < 100 || n > 599 {
			return nil, fmt.Errorf("status %d is out of range: give a number from 200 to 599", n)
		}
		seq = append(seq, n)
	}
	return seq, nil
}

// ParseDelay parses --delay: one duration ("3s"), waited before every
// answer, or a range ("100ms-2s") to draw from uniformly. Durations are
// Go durations (time.ParseDuration) and may not be negative; a range's
// first bound is at most its second.
func ParseDelay(s string) (minDelay, maxDelay time.Duration, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, 0, fmt.Errorf("--delay %q: a delay cannot be negative", s)
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if minDelay, err = parseDelayBound(s, lo); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return minDelay, minDelay, nil
	}
	if strings.HasPrefix(hi, "-") {
		return 0, 0, fmt.Errorf("--delay %q: a delay cannot be negative", s)
	}
	if maxDelay, err = parseDelayBound(s, hi); err != nil {
		return 0, 0, err
	}
	if maxDelay < minDelay {
		return 0, 0, fmt.Errorf("--delay %q: the range's first bound is longer than its second; write it as MIN-MAX, like 100ms-2s", s)
	}
	return minDelay, maxDelay, nil
}

// parseDelayBound parses one bound of the --delay value s.
func parseDelayBound(s, bound string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(bound))
	if err != nil {
		return 0, fmt.Errorf("--delay %q: %q is not a duration: give one like 3s or a range like 100ms-2s", s, bound)
	}
	return d, nil
}

// ParseHeader parses --respond-header "Name: value". The name must be an
// HTTP token; the value may not contain CR, LF or NUL (which would split
// or break the answer's head). Spaces and tabs around both are trimmed.
func ParseHeader(s string) ([2]string, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return [2]string{}, fmt.Errorf("--respond-header %q: write it as 'Name: value'", s)
	}
	name, value = strings.Trim(name, " \t"), strings.Trim(value, " \t")
	if name == "" {
		return [2]string{}, fmt.Errorf("--respond-header %q: the header name is empty; write it as 'Name: value'", s)
	}
	for _, c := range []byte(name) {
		if !isTokenByte(c) {
			return [2]string{}, fmt.Errorf("--respond-header %q: the header name may hold only letters, digits and !#$%%&'*+-.^_`|~", s)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return [2]string{}, fmt.Errorf("--respond-header %q: the value may not contain a line break or NUL", s)
	}
	return [2]string{name, value}, nil
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110,
// section 5.6.2), which a header name is.
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// ParseDrop parses --drop, the share of deliveries to drop: a number from
// 0 to 1 (0.1 drops one in ten).
func ParseDrop(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("--drop %q: give the share of deliveries to drop, a number from 0 to 1 like 0.1", s)
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("--drop %q: the share must be from 0 to 1 (0.1 drops one delivery in ten)", s)
	}
	return f, nil
}
