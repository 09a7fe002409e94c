package capture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var testTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newRecord(seq uint64, body string) *Record {
	return &Record{
		Seq:          seq,
		Time:         testTime,
		Method:       "POST",
		Target:       "/webhook",
		Headers:      []Header{{"Host", "example.test"}, {"x-hub-signature-256", "sha256=00"}},
		HeadersOrder: OrderWire,
		Body:         []byte(body),
	}
}

// warnings collects a Writer's warnings; safe for the writing goroutine.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func mustOpenWriter(tb testing.TB, path string, opts WriterOptions) *Writer {
	tb.Helper()
	w, err := OpenWriter(path, opts)
	if err != nil {
		tb.Fatalf("OpenWriter: %v", err)
	}
	return w
}

func mustClose(tb testing.TB, w *Writer) {
	tb.Helper()
	if err := w.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

func mustReadFile(tb testing.TB, path string) []*Record {
	tb.Helper()
	recs, warns, err := ReadFile(path)
	if err != nil {
		tb.Fatalf("ReadFile: %v", err)
	}
	if len(warns) != 0 {
		tb.Fatalf("ReadFile warnings: %q", warns)
	}
	return recs
}

func seqs(recs []*Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func TestWriterCloseFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	// A long interval: only Close can have flushed.
	w := mustOpenWriter(t, path, WriterOptions{FlushInterval: time.Hour})
	for i := 1; i <= 3; i++ {
		w.Write(newRecord(uint64(i), "body"))
	}
	mustClose(t, w)
	recs := mustReadFile(t, path)
	if got := fmt.Sprint(seqs(recs)); got != "[1 2 3]" {
		t.Fatalf("seqs = %s, want [1 2 3]", got)
	}
	if recs[0].Version != FormatVersion || string(recs[0].Body) != "body" {
		t.Errorf("record = %+v", recs[0])
	}
	if st := w.Stats(); st.Written != 3 || st.Dropped != 0 {
		t.Errorf("Stats = %+v, want 3 written", st)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %v, want 0600", perm)
	}
	// Close twice, Write after Close.
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	w.Write(newRecord(4, "late"))
	if got := len(mustReadFile(t, path)); got != 3 {
		t.Errorf("after Write on a closed Writer: %d records, want 3", got)
	}
}

func TestWriterStampsZeroTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	w := mustOpenWriter(t, path, WriterOptions{Now: func() time.Time { return testTime }})
	rec := newRecord(1, "")
	rec.Time = time.Time{}
	w.Write(rec)
	mustClose(t, w)
	if got := mustReadFile(t, path)[0].Time; !got.Equal(testTime) {
		t.Errorf("Time = %v, want %v", got, testTime)
	}
	if !rec.Time.IsZero() || rec.Version != 0 {
		t.Errorf("Write changed the caller's record: %+v", rec)
	}
}

func TestWriterFlushTicker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "capture.ndjson")
		w := mustOpenWriter(t, path, WriterOptions{FlushInterval: time.Second})
		defer w.Close()
		w.Write(newRecord(1, "body"))
		synctest.Wait()
		if b := mustReadBytes(t, path); len(b) != 0 {
			t.Fatalf("flushed before the interval: %q", b)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		b := mustReadBytes(t, path)
		if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
			t.Fatalf("after the interval the file holds %q, want one line", b)
		}
	})
}

func mustReadBytes(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustWriteFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func mustLine(tb testing.TB, rec *Record) []byte {
	tb.Helper()
	b, err := rec.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, '\n')
}

func TestWriterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "capture.ndjson")
	line := len(mustLine(t, newRecord(1, strings.Repeat("a", 100))))
	var warn warnings
	// Room for two records per file.
	w := mustOpenWriter(t, path, WriterOptions{MaxSize: int64(2*line + line/2), Warn: warn.add})
	for i := 1; i <= 5; i++ {
		w.Write(newRecord(uint64(i), strings.Repeat("a", 100)))
	}
	mustClose(t, w)

	if got := fmt.Sprint(seqs(mustReadFile(t, path+".1"))); got != "[3 4]" {
		t.Errorf("%s.1 seqs = %s, want [3 4] (the older .1 replaced)", path, got)
	}
	if got := fmt.Sprint(seqs(mustReadFile(t, path))); got != "[5]" {
		t.Errorf("%s seqs = %s, want [5]", path, got)
	}
	if st := w.Stats(); st.Rotations != 2 || st.Written != 5 {
		t.Errorf("Stats = %+v, want 2 rotations, 5 written", st)
	}
	msgs := warn.list()
	if len(msgs) != 2 {
		t.Fatalf("warnings = %q, want one per rotation", msgs)
	}
	for _, m := range msgs {
		if !strings.Contains(m, path) || !strings.Contains(m, path+".1") {
			t.Errorf("rotation warning %q does not name both files", m)
		}
	}
}

func TestWriterOversizedRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	var warn warnings
	w := mustOpenWriter(t, path, WriterOptions{MaxSize: 1000, Warn: warn.add})
	w.Write(newRecord(1, "small"))
	w.Write(newRecord(2, strings.Repeat("x", 2000)))
	w.Write(newRecord(3, "small"))
	mustClose(t, w)
	if got := fmt.Sprint(seqs(mustReadFile(t, path))); got != "[1 3]" {
		t.Errorf("seqs = %s, want [1 3]", got)
	}
	if _, err := os.Stat(path + ".1"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an oversized record rotated the file: %v", err)
	}
	msgs := warn.list()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "record 2 ") || !strings.Contains(msgs[0], "1000") {
		t.Errorf("warnings = %q, want one naming record 2 and the cap", msgs)
	}
	if st := w.Stats(); st.Written != 2 || st.Dropped != 1 {
		t.Errorf("Stats = %+v, want 2 written, 1 dropped", st)
	}
}

func TestWriterOpenRepairsTornTail(t *testing.T) {
	good := append(mustLine(t, newRecord(7, "one")), mustLine(t, newRecord(8, "two"))...)
	tests := []struct {
		name     string
		content  []byte
		wantTail string // the .broken file; "" for no repair
		wantSeq  uint64
	}{
		{name: "new file", content: nil, wantSeq: 0},
		{name: "empty file", content: []byte{}, wantSeq: 0},
		{name: "good file", content: good, wantSeq: 8},
		{name: "good file, blank lines after", content: append(append([]byte{}, good...), "\n\n"...), wantSeq: 8},
		{name: "torn line", content: append(append([]byte{}, good...), `{"v":1,"seq":9,"bo`...), wantTail: `{"v":1,"seq":9,"bo`, wantSeq: 8},
		{name: "only a torn line", content: []byte(`{"v":1,"se`), wantTail: `{"v":1,"se`, wantSeq: 0},
		{name: "garbage last line with a newline", content: append(append([]byte{}, good...), "\x00\x00\x00\n"...), wantTail: "\x00\x00\x00\n", wantSeq: 8},
		// One read per line of a file padded with blank lines took minutes.
		{name: "good file, many blank lines after", content: append(append([]byte{}, good...), strings.Repeat(" \r\n\t\n", 2<<20)...), wantSeq: 8},
		{name: "garbage after many blank lines", content: append(append(append([]byte{}, good...), strings.Repeat("\n", 4<<20)...), "garbage  \n\n"...), wantTail: "garbage  \n\n", wantSeq: 8},
		{name: "torn after a long line", content: append(mustLine(t, newRecord(3, strings.Repeat("b", 200<<10))), "{"...), wantTail: "{", wantSeq: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "capture.ndjson")
			if tt.content != nil {
				mustWriteFile(t, path, tt.content)
			}
			var warn warnings
			w := mustOpenWriter(t, path, WriterOptions{Warn: warn.add})
			if got := w.LastSeq(); got != tt.wantSeq {
				t.Errorf("LastSeq = %d, want %d", got, tt.wantSeq)
			}
			w.Write(newRecord(tt.wantSeq+1, "next"))
			mustClose(t, w)

			broken, err := os.ReadFile(path + ".broken")
			msgs := warn.list()
			if tt.wantTail == "" {
				if err == nil {
					t.Errorf("%s.broken written for a good file", path)
				}
				if len(msgs) != 0 {
					t.Errorf("warnings = %q, want none", msgs)
				}
			} else {
				if string(broken) != tt.wantTail {
					t.Errorf(".broken = %q, want %q", broken, tt.wantTail)
				}
				wantOff := int64(len(tt.content) - len(tt.wantTail))
				if len(msgs) != 1 || !strings.Contains(msgs[0], path) ||
					!strings.Contains(msgs[0], fmt.Sprintf("offset %d ", wantOff)) ||
					!strings.Contains(msgs[0], fmt.Sprintf("%d bytes", len(tt.wantTail))) {
					t.Errorf("warnings = %q, want one naming the file, offset %d and %d bytes", msgs, wantOff, len(tt.wantTail))
				}
			}
			recs := mustReadFile(t, path)
			if last := recs[len(recs)-1]; last.Seq != tt.wantSeq+1 || string(last.Body) != "next" {
				t.Errorf("last record = seq %d %q, want the new one", last.Seq, last.Body)
			}
		})
	}
}

func TestWriterWriteErrorStopsRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	var warn warnings
	w := mustOpenWriter(t, path, WriterOptions{Warn: warn.add, FlushInterval: time.Hour})
	// Make the file unwritable under the writer: a write error, as a full
	// disk gives one.
	w.f.Close()
	big := strings.Repeat("z", writeBufferSize) // larger than the buffer: written at once
	w.Write(newRecord(1, big))
	w.Write(newRecord(2, "after"))
	err := w.Close()
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Close = %v, want the write error naming the file", err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("second Close = %v, want the same error", err2)
	}
	if st := w.Stats(); st.Written != 0 || st.Dropped != 2 {
		t.Errorf("Stats = %+v, want 0 written, 2 dropped", st)
	}
	if msgs := warn.list(); len(msgs) != 1 || !strings.Contains(msgs[0], "recording stopped") {
		t.Errorf("warnings = %q, want one saying recording stopped", msgs)
	}
}

func TestWriterConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	// A short queue: writers block on it, none is dropped.
	w := mustOpenWriter(t, path, WriterOptions{QueueLen: 2})
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				w.Write(newRecord(uint64(g*each+i+1), strings.Repeat("c", i)))
			}
		})
	}
	wg.Wait()
	mustClose(t, w)
	recs := mustReadFile(t, path)
	seen := make(map[uint64]bool)
	for _, r := range recs {
		seen[r.Seq] = true
	}
	if len(recs) != writers*each || len(seen) != writers*each {
		t.Errorf("%d records, %d distinct, want %d", len(recs), len(seen), writers*each)
	}
}

func TestOpenWriterErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts WriterOptions
		want string
	}{
		{name: "missing directory", path: filepath.Join(dir, "no", "capture.ndjson"), want: "check the directory"},
		{name: "negative cap", path: filepath.Join(dir, "c.ndjson"), opts: WriterOptions{MaxSize: -1}, want: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := OpenWriter(tt.path, tt.opts)
			if err == nil {
				w.Close()
				t.Fatal("OpenWriter succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func BenchmarkWriterWrite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "capture.ndjson")
	w := mustOpenWriter(b, path, WriterOptions{})
	rec := newRecord(1, strings.Repeat("b", 8<<10))
	b.SetBytes(8 << 10)
	b.ReportAllocs()
	for b.Loop() {
		w.Write(rec)
	}
	b.StopTimer()
	mustClose(b, w)
}

// Deliveries are written as they finish, and commands' results after
// them: LastSeq is the highest number near the end, not the last line's.
func TestWriterLastSeqIsTheHighest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ndjson")
	w := mustOpenWriter(t, path, WriterOptions{})
	for _, rec := range []*Record{
		{Seq: 9, Time: testTime, Body: []byte("a")},
		{Seq: 11, Time: testTime, Body: []byte("b")},
		{Seq: 10, Time: testTime, Body: []byte("c")}, // finished after 11
		{Kind: KindExec, For: 9, Time: testTime, Exec: &Exec{Program: "./p"}},
	} {
		w.Write(rec)
	}
	mustClose(t, w)
	w = mustOpenWriter(t, path, WriterOptions{})
	defer mustClose(t, w)
	if got := w.LastSeq(); got != 11 {
		t.Errorf("LastSeq() = %d, want 11", got)
	}
}
