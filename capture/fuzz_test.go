package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzHeadParser feeds arbitrary bytes through the wire parser whole, byte
// by byte and split in two, and checks that it never panics, that how the
// bytes were cut into reads changes nothing, and that its bounds hold.
func FuzzHeadParser(f *testing.F) {
	get := "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	for _, s := range []string{
		get,
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" + get,
		"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n" + get,
		"POST /d HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok" + get,
		"\r\n\r\nGET /x HTTP/1.1\nHost: h\n folded\n\n",
		"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
	} {
		f.Add([]byte(s), uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		const maxHead = 256
		whole := newTestParser(maxHead)
		whole.feed(data)

		bytewise := newTestParser(maxHead)
		for i := range data {
			bytewise.feed(data[i : i+1])
		}
		two := newTestParser(maxHead)
		if len(data) > 0 {
			at := int(split) % len(data)
			two.feed(data[:at])
			two.feed(data[at:])
		}
		for _, p := range []*headParser{bytewise, two} {
			if !reflect.DeepEqual(p.q.heads, whole.q.heads) || p.state != whole.state {
				t.Fatalf("reads cut differently give different heads:\n%q (state %d)\n%q (state %d)", whole.q.heads, whole.state, p.q.heads, p.state)
			}
		}
		if len(whole.q.heads) > maxQueuedHeads || whole.q.size > whole.q.maxBytes {
			t.Fatalf("%d heads of %d bytes queued, bounds %d and %d", len(whole.q.heads), whole.q.size, maxQueuedHeads, whole.q.maxBytes)
		}
		if len(whole.head) > maxHead {
			t.Fatalf("a partial head of %d bytes kept, bound %d", len(whole.head), maxHead)
		}
		for _, h := range whole.q.heads {
			if len(h) > maxHead {
				t.Fatalf("a head of %d bytes queued, bound %d", len(h), maxHead)
			}
			if !bytes.HasSuffix(h, []byte("\n")) {
				t.Fatalf("head %q does not end its last line", h)
			}
			_, rest, _ := bytes.Cut(h, []byte("\n"))
			splitHead(rest)
		}
	})
}

// FuzzReader reads arbitrary bytes as a capture file and then opens them
// for appending: neither may panic or loop, the Reader's error is sticky,
// and the Writer's repair keeps a prefix of the file and moves exactly the
// rest to .broken.
func FuzzReader(f *testing.F) {
	good, _ := newRecord(1, `{"a":1}`).Marshal()
	exec, _ := (&Record{Kind: KindExec, For: 1, Exec: &Exec{Program: "x"}}).Marshal()
	for _, s := range [][]byte{
		nil,
		append(good, '\n'),
		append(append(good, '\n'), good[:20]...),
		append(append(append(good, '\n'), "garbage\n"...), good...),
		append(append(good, "\n\n  \n"...), exec...),
		[]byte(`{"v":2,"seq":1}` + "\n"),
		[]byte(`{"seq":"x"}` + "\n\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		var err error
		for range len(data) + 2 {
			if _, err = r.Next(); err != nil {
				break
			}
		}
		if err == nil {
			t.Fatalf("more records than lines in %q", data)
		}
		if _, again := r.Next(); again != err {
			t.Fatalf("Next returned %v, then %v", err, again)
		}
		if !errors.Is(err, io.EOF) && len(r.Warnings()) > 0 && !errors.Is(err, ErrVersion) {
			// A warning is only for a torn last line: nothing read after it.
			var ce *CorruptionError
			if errors.As(err, &ce) {
				t.Fatalf("warned %q and then reported corruption %v", r.Warnings(), err)
			}
		}

		path := filepath.Join(t.TempDir(), "c.ndjson")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := OpenWriter(path, WriterOptions{})
		if err != nil {
			t.Fatalf("OpenWriter: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		kept, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		broken, err := os.ReadFile(path + ".broken")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if !bytes.Equal(append(kept, broken...), data) {
			t.Fatalf("repair kept %q and moved %q of %q", kept, broken, data)
		}
		if len(kept) > 0 && kept[len(kept)-1] != '\n' {
			t.Fatalf("repair left a file that does not end in a newline: %q", kept)
		}
	})
}
