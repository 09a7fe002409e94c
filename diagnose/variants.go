package diagnose

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The body as a sender may have signed it. Each returns a new slice.

// toLatin1 returns a UTF-8 body encoded as Latin-1, when it has characters
// beyond ASCII and all of them are in Latin-1.
func toLatin1(body []byte) ([]byte, bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	out := make([]byte, 0, len(body))
	wide := false
	for _, r := range string(body) {
		if r > 0xff {
			return nil, false
		}
		wide = wide || r >= 0x80
		out = append(out, byte(r))
	}
	return out, wide
}

// fromLatin1 returns a Latin-1 body encoded as UTF-8, when it has bytes
// beyond ASCII.
func fromLatin1(body []byte) ([]byte, bool) {
	wide := false
	out := make([]byte, 0, len(body)+len(body)/8)
	for _, b := range body {
		wide = wide || b >= 0x80
		out = utf8.AppendRune(out, rune(b))
	}
	return out, wide
}

func jsonValid(body []byte) bool {
	body = bytes.TrimSpace(body)
	return len(body) > 0 && (body[0] == '{' || body[0] == '[') && json.Valid(body)
}

func jsonCompact(body []byte) ([]byte, bool) {
	var b bytes.Buffer
	if json.Compact(&b, body) != nil {
		return nil, false
	}
	return b.Bytes(), true
}

func jsonIndent(body []byte, indent string) ([]byte, bool) {
	var b bytes.Buffer
	if json.Indent(&b, bytes.TrimSpace(body), "", indent) != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// mapJSON copies body, calling f for each byte outside a string and each
// character inside one (escapes are passed whole, with inString set), to
// append what replaces it.
func mapJSON(body []byte, f func(out []byte, token []byte, inString bool) []byte) []byte {
	out := make([]byte, 0, len(body)+len(body)/8)
	inString := false
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
			out = f(out, body[i:i+1], false)
			i++
		case c == '"':
			inString = false
			out = f(out, body[i:i+1], false)
			i++
		case c == '\\' && i+1 < len(body):
			n := 2
			if body[i+1] == 'u' && i+6 <= len(body) {
				n = 6
			}
			out = f(out, body[i:i+n], true)
			i += n
		default:
			_, n := utf8.DecodeRune(body[i:])
			out = f(out, body[i:i+n], true)
			i += n
		}
	}
	return out
}

// jsonSpaced writes compact JSON as Python's json.dumps does by default,
// with ", " and ": ".
func jsonSpaced(compact []byte) []byte {
	return mapJSON(compact, func(out, tok []byte, inString bool) []byte {
		out = append(out, tok...)
		if !inString && (tok[0] == ',' || tok[0] == ':') {
			out = append(out, ' ')
		}
		return out
	})
}

func jsonUnescapeSlash(body []byte) []byte {
	return mapJSON(body, func(out, tok []byte, _ bool) []byte {
		if string(tok) == `\/` {
			return append(out, '/')
		}
		return append(out, tok...)
	})
}

func jsonEscapeSlash(body []byte) []byte {
	return mapJSON(body, func(out, tok []byte, inString bool) []byte {
		if inString && string(tok) == "/" {
			return append(out, `\/`...)
		}
		return append(out, tok...)
	})
}

// jsonUnescapeUnicode writes each \uXXXX escape as its character, except
// those JSON needs escaped (quotes, backslashes, control characters) and
// lone surrogates.
func jsonUnescapeUnicode(body []byte) []byte {
	var high rune // a high surrogate waiting for its low half
	var pending []byte
	out := mapJSON(body, func(out, tok []byte, _ bool) []byte {
		r, isU := unicodeEscape(tok)
		if high != 0 {
			h := high
			high = 0
			if isU && utf16.IsSurrogate(r) && r >= 0xdc00 {
				return utf8.AppendRune(out, utf16.DecodeRune(h, r))
			}
			out = append(out, pending...)
		}
		switch {
		case !isU:
			return append(out, tok...)
		case utf16.IsSurrogate(r) && r < 0xdc00:
			high, pending = r, append(pending[:0], tok...)
			return out
		case r < 0x20 || r == '"' || r == '\\' || utf16.IsSurrogate(r):
			return append(out, tok...)
		}
		return utf8.AppendRune(out, r)
	})
	if high != 0 {
		out = append(out, pending...)
	}
	return out
}

// unicodeEscape decodes a \uXXXX token.
func unicodeEscape(tok []byte) (rune, bool) {
	if len(tok) != 6 || tok[0] != '\\' || tok[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(tok[2:]), 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// jsonEscapeUnicode escapes every character beyond ASCII as \uXXXX, as
// Python's json.dumps does by default (ensure_ascii).
func jsonEscapeUnicode(body []byte) []byte {
	return mapJSON(body, func(out, tok []byte, inString bool) []byte {
		r, _ := utf8.DecodeRune(tok)
		if !inString || r < 0x80 || r == utf8.RuneError {
			return append(out, tok...)
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			return appendU(appendU(out, r1), r2)
		}
		return appendU(out, r)
	})
}

// jsonEscapeHTML escapes <, >, &, U+2028 and U+2029 as Go's encoding/json
// does.
func jsonEscapeHTML(body []byte) []byte {
	return mapJSON(body, func(out, tok []byte, inString bool) []byte {
		r, _ := utf8.DecodeRune(tok)
		if inString && len(tok) == utf8.RuneLen(r) && (r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029') {
			return appendU(out, r)
		}
		return append(out, tok...)
	})
}

func appendU(out []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	return append(out, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}

// timeFields are the body fields that may hold the time a sender signed.
var timeFields = []string{"created", "created_at", "timestamp", "event_time", "time", "ts", "issued_at"}

// bodyTimes returns the times in a JSON object's top-level time fields, in
// Unix seconds: numbers, digit strings and RFC 3339 strings.
func bodyTimes(body []byte) map[string]int64 {
	var fields map[string]json.RawMessage
	if !jsonValid(body) || json.Unmarshal(body, &fields) != nil {
		return nil
	}
	times := map[string]int64{}
	for _, name := range timeFields {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var n json.Number
		var s string
		switch {
		case json.Unmarshal(raw, &n) == nil:
			if v, err := n.Int64(); err == nil {
				times[name] = v
			} else if f, err := n.Float64(); err == nil {
				times[name] = int64(f)
			}
		case json.Unmarshal(raw, &s) == nil:
			if v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				times[name] = v
			} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				times[name] = t.Unix()
			}
		}
	}
	return times
}

// bodyString returns a JSON object's top-level string field.
func bodyString(body []byte, field string) (string, bool) {
	var fields map[string]json.RawMessage
	if !jsonValid(body) || json.Unmarshal(body, &fields) != nil {
		return "", false
	}
	var s string
	if raw, ok := fields[field]; !ok || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
