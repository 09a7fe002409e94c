package receiver

import (
	"strconv"
	"unicode/utf8"

	"github.com/hooklab/hooklab/internal/term"
)

// appendAnswer appends the JSON of a to dst, byte for byte what
// encoding/json.Marshal writes for it, without reflection or allocation
// beyond dst's growth. The tests check it against json.Marshal.
func appendAnswer(dst []byte, a *answer) []byte {
	dst = append(dst, `{"status":`...)
	dst = strconv.AppendInt(dst, int64(a.Status), 10)
	dst = append(dst, `,"reason":`...)
	dst = appendJSONString(dst, string(a.Reason))
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, a.Message)
	if a.Event != "" {
		dst = append(dst, `,"event":`...)
		dst = appendJSONString(dst, a.Event)
	}
	if a.Action != "" {
		dst = append(dst, `,"action":`...)
		dst = appendJSONString(dst, a.Action)
	}
	if a.Summary != "" {
		dst = append(dst, `,"summary":`...)
		dst = appendJSONString(dst, a.Summary)
	}
	if a.Delivery != "" {
		dst = append(dst, `,"delivery":`...)
		dst = appendJSONString(dst, a.Delivery)
	}
	if a.Redelivery {
		dst = append(dst, `,"redelivery":true`...)
	}
	if a.Challenge != "" {
		dst = append(dst, `,"challenge":`...)
		dst = appendJSONString(dst, a.Challenge)
	}
	if a.Why != "" {
		dst = append(dst, `,"why":`...)
		dst = appendJSONString(dst, a.Why)
	}
	if len(a.Warnings) > 0 {
		dst = append(dst, `,"warnings":[`...)
		for i, w := range a.Warnings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, w)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// quoteStyle is how one encoder writes a string: which ASCII bytes go as
// they are, and whether \b and \f are escaped by name. Both encoders
// write the other control characters as \u00XX, U+2028 and U+2029 as
// \u2028 and \u2029, and each invalid UTF-8 byte as \ufffd.
type quoteStyle struct {
	safe   [utf8.RuneSelf]bool
	bfName bool
	// terminalSafe escapes the runes term.UnsafeRune names (DEL is
	// left out of safe), as terminalSafeJSON does after slog.
	terminalSafe bool
}

// encodingJSONStyle is encoding/json's: <, > and & escaped too, \b and \f
// by name.
var encodingJSONStyle = quoteStyle{safe: asciiSafe(`"\<>&`), bfName: true}

// logStyle is slog.JSONHandler's (<, > and & as they are, \b and \f as
// \u0008 and \u000c) made terminal-safe, as JSONHandler writes it.
var logStyle = quoteStyle{safe: asciiSafe("\"\\\x7f"), terminalSafe: true}

// asciiSafe marks printable ASCII (and DEL) but for the bytes in escaped.
func asciiSafe(escaped string) (safe [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		safe[b] = true
	}
	for _, b := range escaped {
		safe[b] = false
	}
	return safe
}

const lowerHex = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does.
func appendJSONString(dst []byte, s string) []byte { return appendQuoted(dst, s, &encodingJSONStyle) }

// appendQuoted appends s as a JSON string in style st.
func appendQuoted(dst []byte, s string, st *quoteStyle) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if st.safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case b == '\\' || b == '"':
				dst = append(dst, '\\', b)
			case b == '\b' && st.bfName:
				dst = append(dst, '\\', 'b')
			case b == '\f' && st.bfName:
				dst = append(dst, '\\', 'f')
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[b>>4], lowerHex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[c&0xF])
		case st.terminalSafe && c <= 0xFFFF && term.UnsafeRune(c):
			dst = append(dst, s[start:i]...)
			dst = appendUEscape(dst, c)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendUEscape appends \uXXXX for a rune of the Basic Multilingual Plane.
func appendUEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', lowerHex[r>>12&0xF], lowerHex[r>>8&0xF], lowerHex[r>>4&0xF], lowerHex[r&0xF])
}
