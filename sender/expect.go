package sender

import (
	"fmt"
	"strconv"
	"strings"
)

// Expect is the set of statuses a sender expects in answer (send
// --expect): codes such as 401 and classes such as 2xx.
type Expect struct {
	codes   []int
	classes []int // 2 for 2xx
	words   []string
}

// ParseExpect reads --expect values: statuses (401) and classes (2xx),
// comma-separated or repeated. None is 2xx. A value that is neither is an
// error that says what is taken.
func ParseExpect(values []string) (Expect, error) {
	var e Expect
	if len(values) == 0 {
		values = []string{"2xx"}
	}
	for _, v := range values {
		for _, raw := range strings.Split(v, ",") {
			part := strings.ToLower(strings.TrimSpace(raw))
			if len(part) == 3 && strings.HasSuffix(part, "xx") && part[0] >= '1' && part[0] <= '5' {
				e.classes = append(e.classes, int(part[0]-'0'))
				e.words = append(e.words, part)
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil || n < 100 || n > 599 {
				return e, fmt.Errorf("--expect takes a status such as 401 or a class such as 2xx, not %q", strings.TrimSpace(raw))
			}
			e.codes = append(e.codes, n)
			e.words = append(e.words, part)
		}
	}
	return e, nil
}

// Matches reports whether status is expected.
func (e Expect) Matches(status int) bool {
	for _, c := range e.codes {
		if c == status {
			return true
		}
	}
	for _, c := range e.classes {
		if status/100 == c {
			return true
		}
	}
	return false
}

// String is what is expected, as given: "2xx or 401".
func (e Expect) String() string { return strings.Join(e.words, " or ") }
