package receiver

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/hooklab/hooklab/internal/term"
)

// Messages and attribute keys of the per-request log records. They are the
// same in the text and the JSON format; scripts reading JSON lines may rely
// on them.
const (
	MsgDelivery   = "delivery"
	MsgRedelivery = "redelivery"
	MsgHealth     = "health"
	// MsgExec is the record of a command that ran after its delivery was
	// answered (listen --exec-async, or --exec with --forward-to).
	MsgExec = "exec"

	KeyStatus     = "status"
	KeyProvider   = "provider"
	KeyEvent      = "event"
	KeyAction     = "action"
	KeySummary    = "summary"
	KeyDelivery   = "delivery"
	KeyRedelivery = "redelivery"
	KeyBytes      = "bytes"
	KeyDuration   = "duration_ms"
	KeyRemote     = "remote"
	KeyMethod     = "method"
	KeyPath       = "path"
	KeyReason     = "reason"
	KeyDetail     = "detail"
	KeyHeader     = "header"
	KeyBodySHA256 = "body_sha256"

	// With listen's hooks: the delivery's number (its capture record's),
	// the status answered when it is not the verdict's, what the app
	// (--forward-to) and the command (--exec) did, and what --show prints.
	KeySeq           = "seq"
	KeyAnswered      = "answered"
	KeyAppStatus     = "app_status"
	KeyAppReason     = "app_reason"
	KeyAppError      = "app_error"
	KeyAppDuration   = "app_ms"
	KeyExecExit      = "exec_exit"
	KeyExecReason    = "exec_reason"
	KeyExecError     = "exec_error"
	KeyExecDuration  = "exec_ms"
	KeyExecQueued    = "exec_queued"
	KeyExecStdout    = "exec_stdout"
	KeyExecStderr    = "exec_stderr"
	KeyExecTruncated = "exec_truncated"
	KeyShown         = "shown"
	// A delivery id seen before: which attempt this is, and the time since
	// the previous one (ms). Why a signature failed, when a known cause
	// holds. Dropped: the connection was closed without an answer.
	KeyAttempt = "attempt"
	KeySince   = "since_previous_ms"
	KeyWhy     = "why"
	KeyDropped = "dropped"
	// KeyWarnings: what a delivery's signature was accepted with although
	// an official library of the provider would refuse it, a list of
	// strings; absent when there are none.
	KeyWarnings = "warnings"
)

// TextHandler is a slog.Handler for people at a terminal: one line per
// record. A delivery record reads "time status event action summary
// delivery size duration", with the reason and the debugging details on a
// failure; the status is green for 2xx, yellow for 4xx and red for 5xx.
// Other records read "time LEVEL message key=value ...". Strings from the
// request are quoted when they hold control characters, so a delivery
// cannot write escape sequences to the terminal.
type TextHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Leveler
	attrs  []slog.Attr
	prefix string // group prefix for keys, "g." per WithGroup
	p      term.Palette
	width  int // the terminal's columns; 0 leaves lines as they are
}

// NewTextHandler returns a TextHandler writing to w, in colour when colored
// is true. Colour is decided per handler; the global color.NoColor is never
// consulted or changed.
func NewTextHandler(w io.Writer, colored bool) *TextHandler {
	return &TextHandler{mu: &sync.Mutex{}, w: w, level: slog.LevelInfo, p: term.NewPalette(colored)}
}

// FitTo returns a handler whose lines fit a terminal of cols columns: a
// delivery's summary is cut short (with "…") or left out, then what still
// does not fit goes on indented lines of its own, so that the status, the
// event and the reason are always on screen. cols 0 leaves lines as they
// are (for output that is not a terminal).
func (h *TextHandler) FitTo(cols int) *TextHandler {
	h2 := *h
	h2.width = cols
	return &h2
}

// Enabled reports whether level is at least Info.
func (h *TextHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *TextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		a.Key = h.prefix + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *TextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// Handle writes one line for r.
func (h *TextHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := make(map[string]slog.Value, r.NumAttrs()+len(h.attrs))
	var order []string
	add := func(a slog.Attr) {
		if a.Equal(slog.Attr{}) {
			return
		}
		if _, dup := attrs[a.Key]; !dup {
			order = append(order, a.Key)
		}
		attrs[a.Key] = a.Value.Resolve()
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool {
		a.Key = h.prefix + a.Key
		add(a)
		return true
	})

	var b bytes.Buffer
	if !r.Time.IsZero() {
		b.WriteString(h.p.Dim.Sprint(r.Time.Format("15:04:05.000")))
		b.WriteByte(' ')
	}
	parts := lineParts{summary: -1, tail: -1}
	if r.Message == MsgDelivery || r.Message == MsgRedelivery || r.Message == MsgHealth {
		parts = h.delivery(&b, r.Message, attrs, order)
	} else if r.Message == MsgExec {
		h.exec(&b, r, attrs, order)
	} else {
		h.plain(&b, r, attrs, order)
	}
	if h.width > 0 {
		line := fit(b.Bytes(), parts, h.width)
		b.Reset()
		b.Write(line)
	}
	b.WriteByte('\n')
	if r.Message == MsgDelivery || r.Message == MsgRedelivery || r.Message == MsgExec {
		h.under(&b, attrs)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

// lineParts says where a delivery's line has the parts that fitting it to
// the terminal moves: the summary, which may be cut, from its two leading
// spaces to summaryEnd, and the tail (delivery id, size, duration and the
// details), which may go on a line of its own; -1 when there is none.
type lineParts struct {
	summary, summaryEnd, tail int
}

// delivery formats a per-request record, and says where its parts are.
func (h *TextHandler) delivery(b *bytes.Buffer, msg string, attrs map[string]slog.Value, order []string) (parts lineParts) {
	parts = lineParts{summary: -1, tail: -1}
	status := int(intAttr(attrs, KeyStatus))
	statusColor := h.p.Status(status)
	b.WriteString(statusColor.Sprint(strconv.Itoa(status)))
	// The provider is the listener's, said once in its banner.
	used := map[string]bool{KeyStatus: true, KeyProvider: true}
	str := func(key string) string {
		used[key] = true
		v, ok := attrs[key]
		if !ok {
			return ""
		}
		return term.Printable(v.String())
	}
	event, action := field(attrs, used, KeyEvent), str(KeyAction)
	switch {
	case msg == MsgHealth:
		used[KeyMethod], used[KeyPath] = true, true
		event = str(KeyMethod) + " " + str(KeyPath)
	case event == "":
		event = "-"
	}
	b.WriteByte(' ')
	b.WriteString(h.p.Bold.Sprint(event))
	if action != "" {
		b.WriteByte(' ')
		b.WriteString(action)
	}
	if s := str(KeySummary); s != "" {
		parts.summary = b.Len()
		b.WriteString("  ")
		b.WriteString(s)
		parts.summaryEnd = b.Len()
	}
	if reason := str(KeyReason); reason != "" {
		b.WriteString("  ")
		b.WriteString(statusColor.Sprint(reason))
		if detail := str(KeyDetail); detail != "" {
			b.WriteString(": " + detail)
		}
	}
	if why := str(KeyWhy); why != "" {
		b.WriteString("  " + h.p.Warn.Sprint("why:") + " " + why)
	}
	if v, ok := attrs[KeyWarnings]; ok {
		if list, ok := v.Any().([]string); ok {
			used[KeyWarnings] = true
			for _, w := range list {
				b.WriteString("  " + h.p.Warn.Sprint("warning:") + " " + term.Printable(w))
			}
		}
	}
	if msg == MsgRedelivery {
		used[KeyRedelivery] = true
		if n := intAttr(attrs, KeyAttempt); n > 1 {
			used[KeyAttempt], used[KeySince] = true, true
			b.WriteString("  " + h.p.Warn.Sprint("(attempt "+strconv.FormatInt(n, 10)+", "+
				strconv.FormatFloat(floatAttr(attrs, KeySince)/1000, 'f', 1, 64)+" s after the last)"))
		} else {
			b.WriteString("  " + h.p.Warn.Sprint("(redelivery)"))
		}
	}
	if str(KeyDropped) == "true" {
		b.WriteString("  " + h.p.Bad.Sprint("(dropped: closed without an answer)"))
	}
	h.handoffs(b, attrs, str, used)
	parts.tail = b.Len()
	if id := field(attrs, used, KeyDelivery); id != "" {
		b.WriteString(h.p.Dim.Sprint("  delivery=" + id))
	}
	used[KeyBytes], used[KeyDuration] = true, true
	fmt.Fprintf(b, "  %s %s", h.p.Dim.Sprint(term.HumanBytes(intAttr(attrs, KeyBytes))),
		h.p.Dim.Sprint(strconv.FormatFloat(floatAttr(attrs, KeyDuration), 'f', 1, 64)+"ms"))
	// The rest (remote, method, path, header, body_sha256, ...) as key=value.
	for _, k := range order {
		// The method and path matter only when they are why the request failed.
		if used[k] || (k == KeyMethod && attrs[k].String() == http.MethodPost) || (k == KeyPath && status != http.StatusNotFound) {
			continue
		}
		if v := attrs[k]; v.Kind() == slog.KindString && v.String() == "" {
			continue
		}
		b.WriteString(h.p.Dim.Sprint("  " + k + "=" + term.Printable(attrs[k].String())))
	}
	return parts
}

// handoffs writes what the app and the command did: "→ app 500 (12 ms)",
// "→ app 502 forward_failed: ... (3 ms)", "→ exec exit 0 (40 ms)".
func (h *TextHandler) handoffs(b *bytes.Buffer, attrs map[string]slog.Value, str func(string) string, used map[string]bool) {
	answered := int(intAttr(attrs, KeyAnswered))
	used[KeyAnswered] = true
	ms := func(key string) string {
		used[key] = true
		return strconv.FormatFloat(floatAttr(attrs, key), 'f', 1, 64) + " ms"
	}
	failure := func(status int, reason, err string) {
		if status > 0 {
			b.WriteString(h.p.Status(status).Sprint(strconv.Itoa(status)) + " ")
		}
		b.WriteString(h.p.Status(max(status, 500)).Sprint(reason))
		if err != "" {
			b.WriteString(": " + err)
		}
	}
	if _, ok := attrs[KeyAppDuration]; ok {
		b.WriteString("  → app ")
		if st := int(intAttr(attrs, KeyAppStatus)); st > 0 {
			used[KeyAppStatus] = true
			b.WriteString(h.p.Status(st).Sprint(strconv.Itoa(st)))
			// An answer that broke off after its status: the sender got
			// less than the app meant to send.
			if reason := str(KeyAppReason); reason != "" {
				b.WriteString(" ")
				failure(0, reason, str(KeyAppError))
			}
		} else {
			failure(answered, str(KeyAppReason), str(KeyAppError))
		}
		used[KeyAppReason], used[KeyAppError] = true, true
		b.WriteString(h.p.Dim.Sprint(" (" + ms(KeyAppDuration) + ")"))
	}
	switch {
	case str(KeyExecQueued) == "true":
		b.WriteString("  → exec " + h.p.Dim.Sprint("queued"))
	case attrs[KeyExecDuration].Kind() == slog.KindFloat64:
		b.WriteString("  → exec ")
		code := intAttr(attrs, KeyExecExit)
		used[KeyExecExit] = true
		if reason := str(KeyExecReason); reason != "" {
			if code >= 0 {
				b.WriteString("exit " + strconv.FormatInt(code, 10) + " ")
			}
			failure(0, reason, str(KeyExecError))
		} else {
			b.WriteString(h.p.OK.Sprint("exit " + strconv.FormatInt(code, 10)))
		}
		b.WriteString(h.p.Dim.Sprint(" (" + ms(KeyExecDuration) + ")"))
	}
	used[KeyExecStdout], used[KeyExecStderr], used[KeyShown], used[KeySeq] = true, true, true, true
}

// exec formats the result of a command that ran after its delivery was
// answered: "exec push seq 2  → exec exit 0 (40.0 ms)  delivery=...".
func (h *TextHandler) exec(b *bytes.Buffer, r slog.Record, attrs map[string]slog.Value, order []string) {
	used := map[string]bool{}
	str := func(key string) string {
		used[key] = true
		v, ok := attrs[key]
		if !ok {
			return ""
		}
		return term.Printable(v.String())
	}
	if r.Level >= slog.LevelWarn {
		b.WriteString(h.p.Warn.Sprint("WARN "))
	}
	b.WriteString("exec " + h.p.Bold.Sprint(cmp.Or(str(KeyEvent), "-")))
	if seq := str(KeySeq); seq != "" {
		b.WriteString(" seq " + seq)
	}
	if _, ran := attrs[KeyExecDuration]; ran {
		h.handoffs(b, attrs, str, used)
	} else if reason := str(KeyExecReason); reason != "" {
		b.WriteString("  → exec " + h.p.Bad.Sprint(reason))
		if err := str(KeyExecError); err != "" {
			b.WriteString(": " + err)
		}
	}
	if id := str(KeyDelivery); id != "" {
		b.WriteString(h.p.Dim.Sprint("  delivery=" + id))
	}
	for _, k := range order {
		if !used[k] {
			b.WriteString(h.p.Dim.Sprint("  " + k + "=" + term.Printable(attrs[k].String())))
		}
	}
}

// under writes what goes under a delivery's line: the command's output,
// each line behind "  stdout| ", and what --show prints.
func (h *TextHandler) under(b *bytes.Buffer, attrs map[string]slog.Value) {
	for _, stream := range []struct{ key, label string }{{KeyExecStdout, "stdout| "}, {KeyExecStderr, "stderr| "}} {
		v, ok := attrs[stream.key]
		if !ok {
			continue
		}
		for line := range strings.Lines(strings.TrimRight(v.String(), "\n")) {
			b.WriteString("  " + h.p.Dim.Sprint(stream.label) + term.Printable(strings.TrimRight(line, "\r\n")) + "\n")
		}
	}
	if v, ok := attrs[KeyShown]; ok && v.String() != "" {
		b.WriteString(v.String())
		if !strings.HasSuffix(v.String(), "\n") {
			b.WriteByte('\n')
		}
	}
}

// plain formats any other record.
func (h *TextHandler) plain(b *bytes.Buffer, r slog.Record, attrs map[string]slog.Value, order []string) {
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString(h.p.Bad.Sprint("ERROR "))
	case r.Level >= slog.LevelWarn:
		b.WriteString(h.p.Warn.Sprint("WARN "))
	}
	b.WriteString(term.Printable(r.Message))
	for _, k := range order {
		b.WriteString("  " + k + "=" + term.Printable(attrs[k].String()))
	}
}

// intAttr returns the integer value of key, or -1 when it is absent or not
// a number: a record from another caller must not crash the log.
func intAttr(attrs map[string]slog.Value, key string) int64 {
	v, ok := attrs[key]
	switch {
	case !ok:
		return -1
	case v.Kind() == slog.KindInt64:
		return v.Int64()
	case v.Kind() == slog.KindUint64:
		return int64(v.Uint64())
	case v.Kind() == slog.KindFloat64:
		return int64(v.Float64())
	}
	return -1
}

// floatAttr is intAttr for float values, 0 when absent.
func floatAttr(attrs map[string]slog.Value, key string) float64 {
	v, ok := attrs[key]
	switch {
	case !ok:
		return 0
	case v.Kind() == slog.KindFloat64:
		return v.Float64()
	case v.Kind() == slog.KindInt64:
		return float64(v.Int64())
	}
	return 0
}

// field is the value of key as one field of the line (term.Field), ""
// when it is absent or empty: an event or a delivery id from the sender.
func field(attrs map[string]slog.Value, used map[string]bool, key string) string {
	used[key] = true
	v, ok := attrs[key]
	if !ok || v.String() == "" {
		return ""
	}
	return term.Field(v.String())
}

// fit makes line, one record's first line, fit cols columns. The whole
// line, with its summary cut short if need be, when that leaves at least
// minSummary columns of the summary; else the head (up to the tail) on the
// first line, with the summary cut to fit it (left out when under 8
// columns would remain; left whole when the head does not fit without it),
// and the tail on lines of its own. Any line still
// too wide is wrapped where its parts are joined by two spaces,
// continuation lines indented under the status. The summary holds no
// colour; colour codes take no columns.
func fit(line []byte, parts lineParts, cols int) []byte {
	const minSummary = 24
	if columns(line) <= cols {
		return line
	}
	head, tail := line, []byte(nil)
	if parts.tail >= 0 {
		head, tail = line[:parts.tail], line[parts.tail:]
	}
	if parts.summary >= 0 {
		text := string(line[parts.summary+2 : parts.summaryEnd])
		textCols := term.Columns(text)
		cut := func(over int) []byte {
			if over <= 0 {
				return line
			}
			out := append([]byte(nil), line[:parts.summary]...)
			if keep := textCols - over - 1; keep >= 8 { // a column for the ellipsis
				out = append(append(append(out, "  "...), term.CutColumns(text, keep)...), "…"...)
			}
			return append(out, line[parts.summaryEnd:]...)
		}
		if over := columns(line) - cols; textCols-over-1 >= minSummary {
			return cut(over)
		}
		// Cut to fit the head alone, the tail going below; when the head
		// does not fit even without it, the summary stays and the head
		// wraps.
		if columns(head)-textCols-2 <= cols {
			cutHead := cut(columns(head) - cols)
			head = cutHead[:len(cutHead)-len(tail)]
		}
	}
	out := wrap(nil, head, cols, 0)
	if len(tail) > 0 {
		// The tail's two leading spaces (after its colour code) give way
		// to the indent.
		if i := bytes.Index(tail, []byte("  ")); i >= 0 && columns(tail[:i]) == 0 {
			tail = append(tail[:i:i], tail[i+2:]...)
		}
		out = wrap(append(append(out, '\n'), wrapIndent...), tail, cols, len(wrapIndent))
	}
	return out
}

// wrapIndent starts each continuation line of a record fitted to the
// terminal.
const wrapIndent = "    "

// wrap appends line to out, which is at column at, wrapped to cols
// columns where its parts are joined by two spaces; a part too wide for a
// line of its own is wrapped between its words, and a word too wide for a
// line of its own is broken where a line ends. A key=value detail (a
// body_sha256, a path) stays whole, so that a copy of it from the terminal
// is the value; only it, or a cols that leaves no room after the indent
// for one wide rune, makes a line pass cols.
func wrap(out, line []byte, cols, at int) []byte {
	newline := func() {
		out = append(append(out, '\n'), wrapIndent...)
		at = len(wrapIndent)
	}
	for i, part := range bytes.Split(line, []byte("  ")) {
		n := columns(part)
		switch {
		case i == 0 && at+n <= cols:
		case i > 0 && at+2+n <= cols:
			out = append(out, "  "...)
			at += 2
		case len(wrapIndent)+n <= cols:
			if i > 0 {
				newline()
			}
		default:
			for j, word := range bytes.Split(part, []byte(" ")) {
				sep := " "
				if j == 0 {
					sep = "  "
				}
				if i == 0 && j == 0 {
					sep = ""
				}
				w := columns(word)
				if at+len(sep)+w > cols && at > len(wrapIndent) {
					newline()
					sep = ""
				}
				out = append(out, sep...)
				at += len(sep)
				// A word wider than the line: as much as fits, then the
				// rest on the next lines. A fresh line takes at least one
				// rune, so that the loop ends however narrow cols is.
				for at+w > cols && !isDetail(word) {
					piece := term.CutColumns(string(word), cols-at)
					if piece == "" && at <= len(wrapIndent) {
						piece = term.CutColumns(string(word), 2)
					}
					out = append(out, piece...)
					if word, w = word[len(piece):], columns(word[len(piece):]); len(word) == 0 {
						break
					}
					newline()
				}
				out = append(out, word...)
				at += w
			}
			continue
		}
		out = append(out, part...)
		at += n
	}
	return out
}

// isDetail reports whether word, colour codes aside, reads key=value with
// a key as the log's keys are written (lower case, digits, "_" and ".").
func isDetail(word []byte) bool {
	word = word[len(term.CutColumns(string(word), 0)):] // the colour codes before it
	key, _, found := bytes.Cut(word, []byte("="))
	if !found || len(key) == 0 {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// columns counts the columns b takes on a terminal (term.Columns): wide
// runes two, combining marks and colour codes none.
func columns(b []byte) int {
	return term.Columns(string(b))
}
