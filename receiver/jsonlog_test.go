package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/signing"
)

// slogLine is what slog.JSONHandler writes for the record.
func slogLine(t testing.TB, tm time.Time, level slog.Level, msg string, attrs []slog.Attr) string {
	t.Helper()
	var buf bytes.Buffer
	r := slog.NewRecord(tm, level, msg, 0)
	r.AddAttrs(attrs...)
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkRecordMatches fails t when appendJSONRecord and slog.JSONHandler
// disagree on a record, once slog's line is made terminal-safe as
// JSONHandler's writer makes it (terminalSafeJSON).
func checkRecordMatches(t testing.TB, tm time.Time, level slog.Level, msg string, attrs []slog.Attr) {
	t.Helper()
	if !fastRecord(attrs) {
		t.Fatalf("fastRecord refuses %v", attrs)
	}
	want := string(terminalSafeJSON(nil, []byte(slogLine(t, tm, level, msg, attrs))))
	if got := string(appendJSONRecord(nil, tm, level, msg, attrs)); got != want {
		t.Fatalf("appendJSONRecord\n got %s\nwant %s", got, want)
	}
}

var recordFloats = []float64{
	0, math.Copysign(0, -1), 0.001, 0.012, 0.1, 1, 1.5, 12.345, 999.999, 123456.789, 1e6, 1e20, 1e21, 1e22,
	9.99e20, 1e-6, 1e-7, 9.99e-7, 1.5e-9, 1e-10, 1e-100, 1e100, -0.5, -1e-7, -1e21,
	math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, float64(time.Hour.Microseconds()) / 1000,
}

var recordTimes = []time.Time{
	time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.FixedZone("X", -(3*3600+30*60))),
	time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("Y", 14*3600)),
	time.Date(2026, 6, 1, 0, 0, 0, 500, time.Local),
	time.Now(), // with a monotonic reading
}

func TestJSONRecordMatchesSlog(t *testing.T) {
	levels := []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelDebug, slog.LevelWarn + 1, -8}
	for i, tm := range recordTimes {
		for _, level := range levels {
			checkRecordMatches(t, tm, level, MsgDelivery, nil)
			checkRecordMatches(t, tm, level, MsgHealth, []slog.Attr{slog.Int(KeyStatus, 200+i)})
		}
	}
	for i, s := range answerStrings {
		tm := recordTimes[i%len(recordTimes)]
		checkRecordMatches(t, tm, slog.LevelInfo, s, []slog.Attr{slog.String(s+"k", s)})
		checkRecordMatches(t, tm, slog.LevelWarn, MsgDelivery, []slog.Attr{
			slog.Int(KeyStatus, 401), slog.String(KeyProvider, "github"), slog.String(KeyEvent, s),
			slog.String(KeyAction, ""), slog.String(KeyDelivery, s+s), slog.Int64(KeyBytes, int64(i)-3),
			slog.Float64(KeyDuration, recordFloats[i%len(recordFloats)]), slog.String(KeyRemote, "192.0.2.1:4321"),
			slog.String(KeyMethod, "POST"), slog.String(KeyPath, s), slog.String(KeyReason, "signature_mismatch"),
			slog.String(KeyDetail, s), slog.String(KeyHeader, "X-Hub-Signature-256"), slog.Bool(KeyRedelivery, i%2 == 0),
			slog.Uint64("u", uint64(i)<<60), slog.Int64("min", math.MinInt64),
		})
		other := answerStrings[(i*7+3)%len(answerStrings)]
		checkRecordMatches(t, tm, slog.LevelInfo, MsgDelivery, []slog.Attr{
			slog.Any(KeyWarnings, []string{s}), slog.Any(KeyWarnings+"2", []string{s, other, ""}),
		})
	}
	checkRecordMatches(t, recordTimes[0], slog.LevelInfo, MsgDelivery, []slog.Attr{
		slog.Any(KeyWarnings, []string(nil)), slog.Any("empty", []string{}),
	})
	for _, f := range recordFloats {
		checkRecordMatches(t, recordTimes[0], slog.LevelInfo, "f", []slog.Attr{slog.Float64(KeyDuration, f)})
	}
	for _, attrs := range [][]slog.Attr{
		{slog.Float64("f", math.NaN())}, {slog.Float64("f", math.Inf(1))}, {slog.Any("a", []int{1})},
		{slog.Group("g", slog.Int("a", 1))}, {slog.Duration("d", time.Second)}, {slog.Time("t", recordTimes[0])},
		{slog.Int("", 1)}, {slog.Any("e", io.EOF)},
	} {
		if fastRecord(attrs) {
			t.Errorf("fastRecord accepts %v, which it does not write as slog does", attrs)
		}
	}
}

// FuzzJSONRecordMatchesSlog: the handler's fast path writes exactly what
// slog.JSONHandler writes, made terminal-safe, for any strings, numbers
// and times.
func FuzzJSONRecordMatchesSlog(f *testing.F) {
	for i, s := range answerStrings {
		f.Add(s, s+"k", s, int64(i)-100, recordFloats[i%len(recordFloats)], recordTimes[i%len(recordTimes)].UnixNano(), i%3)
	}
	f.Fuzz(func(t *testing.T, msg, key, value string, n int64, fl float64, unixNano int64, level int) {
		if key == "" || math.IsNaN(fl) || math.IsInf(fl, 0) {
			return
		}
		tm := time.Unix(0, unixNano).In(time.FixedZone("Z", int(n%50000)))
		checkRecordMatches(t, tm, slog.Level(level), msg, []slog.Attr{
			slog.String(key, value), slog.Int64(KeyBytes, n), slog.Float64(KeyDuration, fl),
			slog.String(KeySummary, msg+value), slog.Bool(KeyRedelivery, n%2 == 0), slog.Uint64("u", uint64(n)),
		})
	})
}

// timeField is the time of a JSON log line, which differs between two
// runs of the same requests.
var timeField = regexp.MustCompile(`^\{"time":"[^"]*"`)

// The receiver logs the same lines through JSONHandler as through
// slog.JSONHandler, for every kind of answer; records that are not the
// receiver's, and handlers derived from a JSONHandler, are slog's.
func TestJSONHandlerLogsAsSlog(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","repository":{"full_name":"octo-org/<octo>&\u2028repo"},"pusher":{"name":"Mona \"Lisa\""},"sender":{"login":"octocat"},"commits":[]}`)
	requests := func() []*http.Request {
		return []*http.Request{
			newDelivery("push", body),
			newDelivery("push", body), // a redelivery
			newDelivery("push", body, withHeader(DeliveryHeader, "id\x00\xff\u2029<&>\"\\")),
			newDelivery("push", body, withHeader(signing.GitHubSignatureHeader, "sha256=00")),
			newDelivery("push", body, withHeader(signing.GitHubSignatureHeader, hubSignature("other-secret-that-is-long-enough", body))),
			newDelivery("push", body, withoutHeader(signing.GitHubSignatureHeader)),
			newDelivery("push", body, withHeader("Content-Type", "text/plain\x01")),
			newDelivery("", body),
			newDelivery("push", []byte(`{"a":`)),
			httptest.NewRequest(http.MethodGet, DefaultPath, nil),
			httptest.NewRequest(http.MethodPost, "/elsewhere%09%3C%E2%80%A8", nil),
			httptest.NewRequest(http.MethodGet, HealthPath, nil),
			httptest.NewRequest(http.MethodPut, HealthPath, strings.NewReader("x")),
		}
	}
	run := func(h slog.Handler) {
		s, err := signing.NewGitHub(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		rc, err := New(Config{Scheme: s, Logger: slog.New(h), Now: func() time.Time {
			clock = clock.Add(1234567 * time.Nanosecond)
			return clock
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range requests() {
			rc.ServeHTTP(httptest.NewRecorder(), r)
		}
		slog.New(h).Info("not the receiver's", "n", 1, "d", time.Second)
		slog.New(h.WithAttrs([]slog.Attr{slog.String("with", "attrs")})).Info("derived", "n", 2)
		slog.New(h.WithGroup("g")).Warn("grouped", "n", 3)
	}
	var want, got bytes.Buffer
	run(slog.NewJSONHandler(&want, nil))
	run(NewJSONHandler(&got))
	wantLines := strings.Split(want.String(), "\n")
	gotLines := strings.Split(got.String(), "\n")
	if len(gotLines) != len(wantLines) || len(wantLines) < 17 {
		t.Fatalf("%d lines through JSONHandler, %d through slog.JSONHandler:\n%s\n%s", len(gotLines), len(wantLines), got.String(), want.String())
	}
	for i := range wantLines {
		w := timeField.ReplaceAllString(wantLines[i], `{"time":"T"`)
		g := timeField.ReplaceAllString(gotLines[i], `{"time":"T"`)
		if g != w {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
	if _, ok := NewJSONHandler(io.Discard).WithAttrs([]slog.Attr{slog.Int("a", 1)}).(*JSONHandler); ok {
		t.Error("a handler with attributes took the fast path, which does not write them")
	}
}

// terminalUnsafe holds the runes, one of each kind, that JSONHandler must
// not write as they are: DEL, C1 CSI, OSC and ST, the bidirectional marks,
// overrides and isolates.
var terminalUnsafe = []string{"\x7f", "\u009b", "\u009d", "\u009c", "\u0085", "\u061c", "\u200e", "\u200f",
	"\u202a", "\u202e", "\u2066", "\u2069"}

// checkTerminalSafe fails t when line has a raw terminal-unsafe rune.
func checkTerminalSafe(t *testing.T, line string) {
	t.Helper()
	for _, r := range line {
		if r != utf8.RuneError && term.UnsafeRune(r) {
			t.Fatalf("raw %U in %q", r, line)
		}
	}
}

// checkSameRecord fails t unless the JSON lines got and want decode to the
// same record, but for its time.
func checkSameRecord(t *testing.T, got, want string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %v: %q", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	delete(g, "time")
	delete(w, "time")
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%q decodes to\n%v\nwant\n%v", got, g, w)
	}
}

// TestJSONHandlerTerminalSafe: what a forged header can put in a record,
// through the fast path (logAttrs), through slog.Logger and through
// slog.JSONHandler (a record the fast path does not take, with a map of
// event names as the stop summary has), reaches the output escaped, and
// decodes to the same values as slog.JSONHandler's.
func TestJSONHandlerTerminalSafe(t *testing.T) {
	for _, s := range append(terminalUnsafe, "\u009b2J\u009d0;T\u009c\u202eevil", "ok é 日本 😀", "\xff\u009b") {
		attrs := []slog.Attr{slog.String(KeyEvent, s), slog.String(KeyDelivery, s+s), slog.String(s, s)}
		var got, want bytes.Buffer
		// The receiver's records take the fast path (record calls logAttrs);
		// others, such as the stop summary, go through slog.JSONHandler.
		h := NewJSONHandler(&got)
		if !h.logAttrs(context.Background(), slog.LevelInfo, MsgDelivery, attrs) {
			t.Fatalf("logAttrs refused %v", attrs)
		}
		slog.New(h).LogAttrs(context.Background(), slog.LevelInfo, MsgDelivery, attrs...)
		slog.New(h).Info("stopped", "by_event", map[string]int{s: 1})
		for range 2 {
			slog.New(slog.NewJSONHandler(&want, nil)).LogAttrs(context.Background(), slog.LevelInfo, MsgDelivery, attrs...)
		}
		slog.New(slog.NewJSONHandler(&want, nil)).Info("stopped", "by_event", map[string]int{s: 1})
		gotLines, wantLines := strings.Split(strings.TrimSpace(got.String()), "\n"), strings.Split(strings.TrimSpace(want.String()), "\n")
		if len(gotLines) != 3 || len(wantLines) != 3 {
			t.Fatalf("%q: %d lines, want 3:\n%s", s, len(gotLines), got.String())
		}
		for i := range gotLines {
			checkTerminalSafe(t, gotLines[i])
			checkSameRecord(t, gotLines[i], wantLines[i])
		}
	}
}

// FuzzTerminalSafeJSON: for any string in any record, the line is
// terminal-safe and reads as slog.JSONHandler's does.
func FuzzTerminalSafeJSON(f *testing.F) {
	for _, s := range append(terminalUnsafe, answerStrings...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want bytes.Buffer
		slog.New(NewJSONHandler(&got)).Info(s, s, s, "m", map[string]string{s: s})
		slog.New(slog.NewJSONHandler(&want, nil)).Info(s, s, s, "m", map[string]string{s: s})
		checkTerminalSafe(t, strings.TrimSuffix(got.String(), "\n"))
		checkSameRecord(t, got.String(), want.String())
	})
}

// BenchmarkHandlerLog is BenchmarkHandler's 8 KiB push with each JSON log
// handler, to io.Discard.
func BenchmarkHandlerLog(b *testing.B) {
	for _, h := range []struct {
		name    string
		handler slog.Handler
	}{
		{"slog.JSONHandler", slog.NewJSONHandler(io.Discard, nil)},
		{"JSONHandler", NewJSONHandler(io.Discard)},
	} {
		b.Run(h.name, func(b *testing.B) { benchDeliveries(b, 8<<10, h.handler) })
	}
}
