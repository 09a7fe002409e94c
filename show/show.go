// Package show renders a captured delivery for a terminal, in full, as
// listen --show prints it under the delivery's log line: the request line,
// the headers in the order they came, and the body, pretty-printed when it
// is JSON and raw otherwise, cut at a size the user chooses.
//
// Everything in a delivery was chosen by whoever sent it, so the output is
// terminal-safe: no control character, escape sequence, bidirectional
// override or invalid UTF-8 reaches the terminal as it is; each is written
// as a visible escape (\x1b, \u202e).
package show

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/term"
)

// Mode says what is shown.
type Mode string

// The modes of listen --show.
const (
	Headers Mode = "headers"
	Body    Mode = "body"
	All     Mode = "all"
)

// ParseMode parses a --show value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Headers, Body, All:
		return m, nil
	}
	return "", fmt.Errorf("--show must be headers, body or all, not %q", s)
}

// DefaultMaxBody is how much of a body is shown when Options.MaxBody is 0.
const DefaultMaxBody = 8 << 10

// indent starts every line shown, so that it reads as part of the log line
// above it.
const indent = "    "

// Options configure Render.
type Options struct {
	Mode Mode
	// MaxBody is how many bytes of the body are shown (DefaultMaxBody);
	// pretty-printing counts after indenting. Negative shows all of it.
	MaxBody int
}

// Render returns rec as lines to print under its log line, each starting
// with four spaces and ending in a newline.
func Render(rec *capture.Record, o Options) string {
	var b strings.Builder
	if o.Mode == Headers || o.Mode == All {
		line(&b, rec.Method+" "+rec.Target+" "+rec.Proto)
		for _, h := range rec.Headers {
			line(&b, h.Name()+": "+h.Value())
		}
	}
	if o.Mode == Body || o.Mode == All {
		if o.Mode == All {
			b.WriteString("\n")
		}
		renderBody(&b, rec, o.MaxBody)
	}
	return b.String()
}

// renderBody writes the body: JSON indented, anything else as it is.
func renderBody(b *strings.Builder, rec *capture.Record, limit int) {
	body := rec.Body
	if len(body) == 0 {
		line(b, "(no body)")
		return
	}
	if limit == 0 {
		limit = DefaultMaxBody
	}
	shown := body
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		shown = pretty.Bytes()
	}
	cut := 0
	if limit > 0 && len(shown) > limit {
		end := limit
		for end > 0 && !utf8.RuneStart(shown[end]) {
			end-- // whole runes only
		}
		cut, shown = len(shown)-end, shown[:end]
	}
	for l := range strings.Lines(string(shown)) {
		line(b, strings.TrimSuffix(l, "\n"))
	}
	if cut > 0 {
		line(b, "… "+term.HumanBytes(int64(cut))+" more not shown (listen --show-max; the capture file has it all)")
	}
	if !rec.BodyComplete {
		line(b, "(the body was not read whole: "+strconv.Itoa(len(body))+" bytes arrived before the answer)")
	}
}

// line writes s, made safe, as one indented line.
func line(b *strings.Builder, s string) {
	b.WriteString(indent)
	b.WriteString(Safe(s))
	b.WriteByte('\n')
}

// Safe returns s with every rune a terminal could act on, and every byte
// that is not UTF-8, written as a visible escape: \x1b for ESC and other
// C0 and C1 controls and bytes, \u202e for the Unicode line separators and
// bidirectional controls. A tab is kept. Text without any comes back as it
// is.
func Safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r != '\t' && term.UnsafeRune(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || !term.UnsafeRune(r):
			b.WriteString(s[i : i+size])
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}
