package sender

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// NewID returns a random (version 4) UUID from random, as GitHub's
// delivery ids are.
func NewID(random io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// Reason returns "reason: message" from a JSON answer such as hooklab's,
// or else the first line of the body, printable and at most 200 runes:
// an answer comes from whatever the receiver is.
func (r *Response) Reason() string {
	var a struct{ Reason, Message string }
	if json.Unmarshal(r.Body, &a) == nil && a.Reason != "" {
		if a.Message != "" {
			return printable(a.Reason + ": " + a.Message)
		}
		return printable(a.Reason)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(r.Body)), "\n")
	return printable(line)
}

// printable drops control characters and caps s.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
