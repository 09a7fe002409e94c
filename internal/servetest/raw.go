package servetest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RawRequest is one request as RawRecorder read it off the wire.
type RawRequest struct {
	// Head is the request line and the header lines as they came, each
	// ended by CRLF, without the blank line after them.
	Head string
	// Body is the Content-Length bytes that followed.
	Body []byte
	// Err is why the request could not be read whole.
	Err error
}

// Lines are Head's lines, without their CRLF: the request line first.
func (r RawRequest) Lines() []string {
	return strings.Split(strings.TrimSuffix(r.Head, "\r\n"), "\r\n")
}

// Header is Head's header lines as net/http reads them.
func (r RawRequest) Header() (http.Header, error) {
	_, rest, _ := strings.Cut(r.Head, "\r\n")
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(rest + "\r\n"))).ReadMIMEHeader()
	return http.Header(h), err
}

// rawDeadline bounds each connection of a RawRecorder: far more than a
// request takes, so that only a hang fails.
const rawDeadline = 30 * time.Second

// RawRecorder listens on 127.0.0.1:0 and, one connection at a time, reads
// a request byte for byte (the head up to the blank line, then
// Content-Length bytes), sends it on the returned channel and writes
// answer, a whole HTTP response, before it closes the connection. It
// returns the address it listens on; the test's cleanup stops it.
func RawRecorder(tb testing.TB, answer string) (addr string, requests <-chan RawRequest) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	got := make(chan RawRequest, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.SetDeadline(time.Now().Add(rawDeadline))
			got <- readRaw(conn)
			io.WriteString(conn, answer)
			conn.Close()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String(), got
}

// readRaw reads one request's head and body from conn, byte for byte.
func readRaw(conn net.Conn) RawRequest {
	br := bufio.NewReader(conn)
	var head strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return RawRequest{Head: head.String(), Err: err}
		}
		if line == "\r\n" {
			break
		}
		head.WriteString(line)
		if name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), ":"); ok && strings.EqualFold(name, "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(value)); err != nil {
				return RawRequest{Head: head.String(), Err: err}
			}
		}
	}
	body := make([]byte, length)
	_, err := io.ReadFull(br, body)
	return RawRequest{Head: head.String(), Body: body, Err: err}
}

// NextRaw waits for a RawRecorder's next request, and fails the test when
// none comes or it could not be read whole.
func NextRaw(tb testing.TB, requests <-chan RawRequest) RawRequest {
	tb.Helper()
	select {
	case r := <-requests:
		if r.Err != nil {
			tb.Fatalf("raw recorder: %v (head so far %q)", r.Err, r.Head)
		}
		return r
	case <-time.After(rawDeadline):
		tb.Fatal("the raw recorder got no request")
		return RawRequest{}
	}
}
