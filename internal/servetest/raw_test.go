package servetest_test

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/hooklab/hooklab/internal/servetest"
)

// The recorder keeps a request's head as it came, spelling and order, and
// its body, and answers with what it was given.
func TestRawRecorder(t *testing.T) {
	addr, got := servetest.RawRecorder(t, "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const head = "POST /hook HTTP/1.1\r\nhost: x\r\nx-Odd: 1\r\nX-Odd: 2\r\nContent-Length: 5\r\n"
	io.WriteString(conn, head+"\r\nhello")
	answer, _ := io.ReadAll(conn)
	r := servetest.NextRaw(t, got)
	if r.Head != head || string(r.Body) != "hello" {
		t.Errorf("head %q body %q", r.Head, r.Body)
	}
	if lines := r.Lines(); len(lines) != 5 || lines[0] != "POST /hook HTTP/1.1" || lines[2] != "x-Odd: 1" {
		t.Errorf("lines %q", lines)
	}
	h, err := r.Header()
	if err != nil || len(h.Values("X-Odd")) != 2 || h.Get("Host") != "x" {
		t.Errorf("header %v, %v", h, err)
	}
	if !bytes.HasPrefix(answer, []byte("HTTP/1.1 202")) || !bytes.HasSuffix(answer, []byte("ok")) {
		t.Errorf("answer %q", answer)
	}
}
