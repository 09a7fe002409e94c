package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func allBytes() []byte {
	b := make([]byte, 0, 512)
	for i := range 256 {
		b = append(b, byte(i))
	}
	for i := range 256 {
		b = append(b, byte(255-i))
	}
	return b
}

func TestReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	want := []*Record{
		{
			Version: FormatVersion, Seq: 1, Time: testTime, Remote: "127.0.0.1:5000",
			Method: "POST", Target: "/hook?a=1&b=%2F", Proto: "HTTP/1.1",
			Headers: []Header{
				{"Host", "example.test"}, {"x-hub-signature-256", "sha256=ab"},
				{"X-Dup", "one"}, {"x-dup", "two"}, {"X-Dup", "three"}, {"X-Empty", ""},
			},
			HeadersOrder: OrderWire,
			Body:         allBytes(),
			BodySHA256:   "x",
			BodyComplete: true,
			Verdict:      Verdict{Status: 200, Reason: "ok", Provider: "github", DurationMS: 1.5},
			Forward: &Forward{URL: "http://127.0.0.1:3000/", Status: 500, LatencyMS: 12.25,
				Headers: []Header{{"Content-Type", "text/plain"}}, Body: []byte("app\x00\xff")},
			Exec:     &Exec{Program: "./deploy", ExitCode: 1, Stdout: []byte("out\n"), Stderr: []byte{0xfe}},
			Answered: 500,
		},
		{Version: FormatVersion, Seq: 2, Time: testTime, Method: "POST", Target: "/", Body: []byte{}, Headers: []Header{}},
	}
	w := mustOpenWriter(t, path, WriterOptions{})
	for _, r := range want {
		w.Write(r)
	}
	mustClose(t, w)
	got := mustReadFile(t, path)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		want[i].BodySHA256 = want[i].Sum() // the Writer hashes each body
		if !got[i].Time.Equal(want[i].Time) {
			t.Errorf("record %d Time = %v", i, got[i].Time)
		}
		got[i].Time = want[i].Time
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestReaderTornAndCorrupt(t *testing.T) {
	l1 := string(mustLine(t, newRecord(1, "a")))
	l2 := string(mustLine(t, newRecord(2, "b")))
	tests := []struct {
		name     string
		input    string
		wantSeqs string
		warn     string // in the one warning; "" for none
		err      string // in the error; "" for none
		corrupt  *CorruptionError
		version  bool
	}{
		{name: "empty", input: "", wantSeqs: "[]"},
		{name: "good", input: l1 + l2, wantSeqs: "[1 2]"},
		{name: "blank lines", input: "\n" + l1 + "\r\n  \n" + l2 + "\n", wantSeqs: "[1 2]"},
		{name: "torn tail", input: l1 + l2[:20], wantSeqs: "[1]", warn: fmt.Sprintf("line 2 at byte offset %d", len(l1))},
		{name: "complete last line without newline", input: l1 + strings.TrimSuffix(l2, "\n"), wantSeqs: "[1]", warn: "no final newline"},
		{name: "bad last line", input: l1 + "{garbage\n\n", wantSeqs: "[1]", warn: "does not parse"},
		{
			name: "corruption in the middle", input: l1 + "{garbage\n" + l2, wantSeqs: "[1]",
			err:     fmt.Sprintf("line 2 (byte offset %d)", len(l1)),
			corrupt: &CorruptionError{Line: 2, Offset: int64(len(l1))},
		},
		{
			name: "corruption before a torn tail", input: l1 + "\x00\x00\n" + l2[:10], wantSeqs: "[1]",
			corrupt: &CorruptionError{Line: 2, Offset: int64(len(l1))},
		},
		{name: "later version", input: l1 + `{"v":2,"seq":2}` + "\n" + l2, wantSeqs: "[1]", err: "line 2", version: true},
		{name: "later version, changed field", input: `{"v":3,"seq":"x"}` + "\n", wantSeqs: "[]", version: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.input))
			var got []*Record
			var err error
			for {
				var rec *Record
				rec, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, rec)
			}
			if s := fmt.Sprint(seqs(got)); s != tt.wantSeqs {
				t.Errorf("seqs = %s, want %s", s, tt.wantSeqs)
			}
			wantEOF := tt.err == "" && tt.corrupt == nil && !tt.version
			if wantEOF != errors.Is(err, io.EOF) {
				t.Fatalf("err = %v", err)
			}
			if tt.err != "" && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q does not say %q", err, tt.err)
			}
			if tt.version && !errors.Is(err, ErrVersion) {
				t.Errorf("error %v is not ErrVersion", err)
			}
			if tt.corrupt != nil {
				var ce *CorruptionError
				if !errors.As(err, &ce) {
					t.Fatalf("error %v is not a *CorruptionError", err)
				}
				if ce.Line != tt.corrupt.Line || ce.Offset != tt.corrupt.Offset || ce.Err == nil {
					t.Errorf("CorruptionError = %+v, want line %d offset %d", ce, tt.corrupt.Line, tt.corrupt.Offset)
				}
			}
			if _, again := r.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("Next after the end = %v, want %v again", again, err)
			}
			warns := r.Warnings()
			if tt.warn == "" {
				if len(warns) != 0 {
					t.Errorf("warnings = %q, want none", warns)
				}
			} else if len(warns) != 1 || !strings.Contains(warns[0], tt.warn) || !strings.Contains(warns[0], "crash mid-write") {
				t.Errorf("warnings = %q, want one saying %q and the likely cause", warns, tt.warn)
			}
		})
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	mustWriteFile(t, path, append(append(mustLine(t, newRecord(1, "")), "oops\n"...), mustLine(t, newRecord(2, ""))...))
	recs, _, err := ReadFile(path)
	var ce *CorruptionError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadFile error = %v, want a CorruptionError naming %s", err, path)
	}
	if len(recs) != 1 {
		t.Errorf("%d records before the corruption, want 1", len(recs))
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

func TestReaderLargeRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30 MiB record takes seconds under -race")
	}
	body := bytes.Repeat(allBytes(), (30<<20)/512) // 30 MiB, 40 in base64
	var buf bytes.Buffer
	buf.Write(mustLine(t, newRecord(1, "small")))
	buf.Write(mustLine(t, &Record{Seq: 2, Body: body}))
	buf.Write(mustLine(t, newRecord(3, "small")))
	r := NewReader(&buf)
	for want := uint64(1); want <= 3; want++ {
		rec, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", want, err)
		}
		if rec.Seq != want {
			t.Fatalf("seq %d, want %d", rec.Seq, want)
		}
		if want == 2 && !bytes.Equal(rec.Body, body) {
			t.Fatalf("the 30 MiB body did not round-trip (%d bytes)", len(rec.Body))
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next at the end = %v", err)
	}
}

func TestReaderLineLimit(t *testing.T) {
	r := NewReader(strings.NewReader(strings.Repeat("x", 100) + "\n"))
	r.maxLine = 50
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "longer than 50 bytes") {
		t.Fatalf("Next = %v, want a line-too-long error", err)
	}
}

// A command's result recorded after its delivery is read back as part of
// the delivery; one whose delivery is not in the file is left out.
func TestReadFileMergesExecResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ndjson")
	w := mustOpenWriter(t, path, WriterOptions{})
	w.Write(&Record{Seq: 1, Time: testTime, Method: "POST", Target: "/", Body: []byte("a"), Exec: &Exec{Program: "./p", Queued: true}})
	// A quick command's result can be written before its delivery.
	w.Write(&Record{Kind: KindExec, For: 2, Time: testTime, Exec: &Exec{Program: "./p", ExitCode: 4}})
	w.Write(&Record{Seq: 2, Time: testTime, Method: "POST", Target: "/", Body: []byte("b"), Exec: &Exec{Program: "./p", Queued: true}})
	w.Write(&Record{Kind: KindExec, For: 1, Time: testTime, Exec: &Exec{Program: "./p", ExitCode: 3, Stdout: []byte("out")}})
	w.Write(&Record{Kind: KindExec, For: 7, Time: testTime, Exec: &Exec{Program: "./p"}})
	mustClose(t, w)
	recs := mustReadFile(t, path)
	if len(recs) != 2 {
		t.Fatalf("%d records, want the 2 deliveries", len(recs))
	}
	if e := recs[0].Exec; e == nil || e.Queued || e.ExitCode != 3 || string(e.Stdout) != "out" {
		t.Errorf("seq 1's exec = %+v, want the later result", e)
	}
	if e := recs[1].Exec; recs[1].Seq != 2 || e == nil || e.Queued || e.ExitCode != 4 {
		t.Errorf("seq 2 = %+v, exec %+v; want the result written before it", recs[1], e)
	}
}

// ReadLatest keeps the last deliveries, their commands' results merged,
// however long the file.
func TestReadLatest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ndjson")
	w := mustOpenWriter(t, path, WriterOptions{})
	for seq := uint64(1); seq <= 20; seq++ { // past 4n: the window is trimmed
		w.Write(&Record{Seq: seq, Time: testTime, Method: "POST", Target: "/", Body: []byte("b")})
	}
	w.Write(&Record{Kind: KindExec, For: 19, Time: testTime, Exec: &Exec{Program: "./p", ExitCode: 2}})
	mustClose(t, w)
	recs, err := ReadLatest(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	if fmt.Sprint(seqs) != "[18 19 20]" || recs[1].Exec == nil || recs[1].Exec.ExitCode != 2 {
		t.Errorf("ReadLatest = seqs %v, seq 19's exec %+v; want [18 19 20] with its result", seqs, recs[1].Exec)
	}
}

func TestReplayOf(t *testing.T) {
	rec := func(remote, value string) *Record {
		return &Record{Remote: remote, Headers: []Header{{"Host", "x"}, {"x-hooklab-replay-of", value}}}
	}
	tests := []struct {
		name string
		rec  *Record
		want uint64
	}{
		{name: "from this machine", rec: rec("127.0.0.1:5000", "7"), want: 7},
		{name: "over IPv6 loopback", rec: rec("[::1]:5000", " 8 "), want: 8},
		{name: "from elsewhere it draws no link", rec: rec("192.0.2.1:5000", "7"), want: 0},
		{name: "not a number", rec: rec("127.0.0.1:5000", "x"), want: 0},
		{name: "no header", rec: &Record{Remote: "127.0.0.1:1"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReplayOf(tt.rec); got != tt.want {
				t.Errorf("ReplayOf = %d, want %d", got, tt.want)
			}
		})
	}
}
