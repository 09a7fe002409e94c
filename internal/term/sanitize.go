package term

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes a string from the outside (a payload, a receiver's
// answer) safe to print on one terminal line: terminal escape sequences are removed, other control characters and
// line or paragraph separators become spaces, runs of white space collapse to
// one space, and the result is cut to at most limit runes, ending in "…" when
// it was cut.
func Sanitize(s string, limit int) string {
	if isPlainLine(s, limit) {
		return s // most payload strings: nothing to do, nothing to copy
	}
	return sanitize(s, limit)
}

// isPlainLine reports whether s is already what Sanitize makes of it:
// printable ASCII, words separated by single spaces, at most limit bytes.
func isPlainLine(s string, limit int) bool {
	if len(s) > limit {
		return false
	}
	space := true // a leading space is not plain
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if space {
				return false
			}
			space = true
		case c > ' ' && c < 0x7f:
			space = false
		default:
			return false
		}
	}
	return !space || s == ""
}

// sanitize is Sanitize for strings that need work.
func sanitize(s string, limit int) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			i += escapeLen(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if UnsafeRune(r) {
			r = ' '
		}
		b.WriteRune(r) // writes U+FFFD for invalid UTF-8
	}
	return Truncate(strings.Join(strings.Fields(b.String()), " "), limit)
}

// UnsafeRune reports whether r could break the line or change how a terminal
// shows what follows: control characters (C0, DEL, C1), the Unicode line and
// paragraph separators, and the bidirectional overrides and isolates that
// can make text read differently from what it is.
func UnsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028', r == '\u2029':
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// escapeLen is the length in bytes of the terminal escape sequence at the
// start of s, which begins with ESC (ECMA-48): CSI sequences such as colours
// and cursor moves, strings such as OSC window titles and hyperlinks (ended
// by BEL or ST), and the short ESC sequences. An ESC that starts no sequence
// is one byte long, so that what follows it is kept.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[': // CSI: parameter and intermediate bytes, then one final byte
		i := 2
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
			i++
		}
		if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
			i++
		}
		return i
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_': // OSC, DCS, SOS, PM, APC
		for i := 2; i < len(s); i++ {
			switch s[i] {
			case '\a':
				return i + 1
			case '\x1b':
				if i+1 < len(s) && s[i+1] == '\\' {
					return i + 2
				}
				return i // another sequence starts here; strip it on its own
			}
		}
		return len(s) // unterminated: a terminal would swallow the rest too
	case c >= 0x20 && c <= 0x2f: // intermediate bytes, then one final byte
		i := 2
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e: // two-byte sequences such as ESC c (reset)
		return 2
	default:
		return 1
	}
}

// Truncate cuts s to at most limit runes, the last of them "…" when it cut.
// It limits length (what is stored); TruncateColumns limits width on a
// terminal.
func Truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}
