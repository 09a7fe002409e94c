package sender

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hooklab/hooklab/internal/term"
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
// or else the first line of the body, made safe for a terminal and at most
// 200 runes: an answer comes from whatever the receiver is.
func (r *Response) Reason() string {
	var a struct{ Reason, Message string }
	if json.Unmarshal(r.Body, &a) == nil && a.Reason != "" {
		if a.Message != "" {
			return term.Sanitize(a.Reason+": "+a.Message, maxReason)
		}
		return term.Sanitize(a.Reason, maxReason)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(r.Body)), "\n")
	return term.Sanitize(line, maxReason)
}

// maxReason is how many runes of an answer's reason are kept.
const maxReason = 200
