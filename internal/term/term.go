// Package term holds what hooklab's outputs for people share: colours
// decided per output, and text made safe and short for a terminal.
package term

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"
)

// Palette is one output's colours, all on or all off, for the log and for
// the command line's own output. It never reads or changes the global
// color.NoColor.
type Palette struct {
	Bold, Dim, OK, Warn, Bad *color.Color
}

// NewPalette returns a Palette whose colours are on when on is true.
func NewPalette(on bool) Palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return Palette{
		Bold: mk(color.Bold), Dim: mk(color.Faint), OK: mk(color.FgGreen, color.Bold),
		Warn: mk(color.FgYellow, color.Bold), Bad: mk(color.FgRed, color.Bold),
	}
}

// Status returns the colour for an HTTP status: green for 1xx to 3xx,
// yellow for 4xx, red for 5xx and anything else.
func (p Palette) Status(code int) *color.Color {
	switch {
	case code >= 100 && code < 400:
		return p.OK
	case code >= 400 && code < 500:
		return p.Warn
	}
	return p.Bad
}

// Printable returns s as it may be printed on a terminal: unchanged when it
// is plain printable UTF-8, quoted otherwise.
func Printable(s string) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// Word returns s as it is when it is one plain word (letters, digits and
// . _ - / @ +), and quoted otherwise: a name from a request (an event, a
// delivery id) printed among other fields, so that one with spaces or
// separators cannot pass for more fields ("push  401  signature_mismatch")
// or forge a list of counts ("ping: 9999, push").
func Word(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/@+", r)) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// Field is s printed as one field of a line: Printable's quoting when s
// holds what a terminal could act on, else Word's.
func Field(s string) string {
	if p := Printable(s); p != s {
		return p
	}
	return Word(s)
}

// HumanBytes formats a byte count for people: 512 B, 1.5 KiB, 25.0 MiB.
func HumanBytes(n int64) string {
	switch {
	case n < 0:
		return "? B"
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
}
