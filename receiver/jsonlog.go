package receiver

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/internal/term"
)

// JSONHandler is slog.NewJSONHandler(w, nil) with a fast path for the
// receiver's per-request records: it writes them itself, byte for byte as
// slog.JSONHandler would, without building a slog.Record (which allocates
// past five attributes) or looking up the caller's frame. Every other
// record, and every handler derived with WithAttrs or WithGroup, is
// slog.JSONHandler's. The tests check the two against each other.
//
// Unlike slog.JSONHandler, it escapes the runes a terminal could act on
// (DEL, C1 controls, bidirectional overrides) as \u sequences, since its
// strings come from headers anyone can send and its lines are read on
// terminals; the JSON decodes to the same values.
type JSONHandler struct {
	slog.Handler // the *slog.JSONHandler, writing to w
	w            *lockedWriter
}

// NewJSONHandler returns a JSONHandler writing to w.
func NewJSONHandler(w io.Writer) *JSONHandler {
	lw := &lockedWriter{w: w}
	return &JSONHandler{Handler: slog.NewJSONHandler(lw, nil), w: lw}
}

// lockedWriter makes the fast path's writes and slog.JSONHandler's one
// at a time, as slog.JSONHandler's own lock does for its writes. What
// slog.JSONHandler writes (Write) is made safe for a terminal on the way
// (terminalSafeJSON); the fast path quotes its strings so already
// (writeSafe).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	if isPlainJSON(p) {
		return l.writeSafe(p)
	}
	bp := logBufs.get()
	safe := terminalSafeJSON(*bp, p)
	defer logBufs.put(bp, safe)
	if _, err := l.writeSafe(safe); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeSafe writes p, which is terminal-safe already.
func (l *lockedWriter) writeSafe(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// isPlainJSON reports whether p is ASCII without DEL: what JSON encoders
// write for strings without runes a terminal could act on.
func isPlainJSON(p []byte) bool {
	for _, b := range p {
		if b >= 0x7f {
			return false
		}
	}
	return true
}

// terminalSafeJSON appends p, JSON written by encoding/json or slog, to dst
// with every rune a terminal could act on (term.UnsafeRune: DEL, C1
// controls, bidirectional overrides; C0 controls are escaped already) as a
// \u escape. Such runes can only be inside strings, so the JSON reads the
// same to any decoder, while a log shown with cat or tail -f cannot move
// the cursor or reorder text. Invalid UTF-8 is left as it is.
func terminalSafeJSON(dst, p []byte) []byte {
	start := 0
	for i := 0; i < len(p); {
		if p[i] < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		// \u takes four hex digits: a rune past U+FFFF would need a
		// surrogate pair, and none of those term.UnsafeRune names is one.
		if r == utf8.RuneError || r > 0xFFFF || !term.UnsafeRune(r) {
			i += size
			continue
		}
		dst = append(dst, p[start:i]...)
		dst = appendUEscape(dst, r)
		i += size
		start = i
	}
	return append(dst, p[start:]...)
}

// logBufs holds the buffers log lines are written in.
var logBufs = bufferPool{max: 16 << 10}

// logAttrs writes the record slog.Logger.LogAttrs(ctx, level, msg,
// attrs...) would have the handler write, with the time now. It writes
// only what fastRecord accepts, and returns false, having written
// nothing, for anything else.
func (h *JSONHandler) logAttrs(ctx context.Context, level slog.Level, msg string, attrs []slog.Attr) bool {
	if !fastRecord(attrs) {
		return false
	}
	if !h.Enabled(ctx, level) {
		return true
	}
	now := time.Now()
	if y := now.Year(); y < 0 || y >= 10000 {
		return false // slog writes an error for such a time
	}
	bp := logBufs.get()
	b := appendJSONRecord(*bp, now, level, msg, attrs)
	h.w.writeSafe(b)
	logBufs.put(bp, b)
	return true
}

// fastRecord reports whether appendJSONRecord writes attrs as
// slog.JSONHandler does: when they are only of the kinds the receiver logs
// (strings, integers, finite floats, bools and lists of strings) and have
// keys.
func fastRecord(attrs []slog.Attr) bool {
	for _, a := range attrs {
		switch a.Value.Kind() {
		case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindBool:
		case slog.KindAny:
			if _, ok := a.Value.Any().([]string); !ok {
				return false
			}
		case slog.KindFloat64:
			if f := a.Value.Float64(); math.IsInf(f, 0) || math.IsNaN(f) {
				return false
			}
		default:
			return false
		}
		if a.Key == "" {
			return false // slog drops some empty attributes; leave that to it
		}
	}
	return true
}

// appendJSONRecord appends the line slog.JSONHandler (with no options)
// writes for a record of t, level, msg and attrs, which fastRecord
// accepts, with t's year in [0, 9999].
func appendJSONRecord(b []byte, t time.Time, level slog.Level, msg string, attrs []slog.Attr) []byte {
	b = append(b, `{"time":"`...)
	b = t.Round(0).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = appendLogString(b, level.String())
	b = append(b, `,"msg":`...)
	b = appendLogString(b, msg)
	for _, a := range attrs {
		b = append(b, ',')
		b = appendLogString(b, a.Key)
		b = append(b, ':')
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			b = appendLogString(b, v.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindFloat64:
			b = appendJSONFloat(b, v.Float64())
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		case slog.KindAny:
			b = appendLogStrings(b, v.Any().([]string))
		}
	}
	return append(b, "}\n"...)
}

// appendJSONFloat appends a finite f as encoding/json writes a float64,
// which is how slog.JSONHandler writes one.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// logListStyle is how slog.JSONHandler writes the strings of a list, which
// it hands to encoding/json (without HTML escaping, so \b and \f by name),
// made terminal-safe.
var logListStyle = quoteStyle{safe: asciiSafe("\"\\\x7f"), bfName: true, terminalSafe: true}

// appendLogStrings appends list as slog.JSONHandler writes a []string
// (through encoding/json: null when nil), made terminal-safe.
func appendLogStrings(dst []byte, list []string) []byte {
	if list == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, s, &logListStyle)
	}
	return append(dst, ']')
}

// appendLogString appends s quoted as slog.JSONHandler writes strings,
// made terminal-safe (logStyle).
func appendLogString(dst []byte, s string) []byte { return appendQuoted(dst, s, &logStyle) }
