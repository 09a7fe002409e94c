package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The fast client is load mode's HTTP/1.1 client: one kept-alive
// connection used by one goroutine, the request written with one writev
// (net.Buffers over *net.TCPConn: the head and the shared body), and a
// small reader over a fixed buffer that follows exactly the answers it
// understands (Content-Length, chunked, read-to-close) and closes the
// connection on anything else. It does no redirects, no compression and no
// proxies, as Do does not.

// fastReadBuffer is the size of a fast connection's read buffer: the most
// an answer's head (status line and headers) may take.
const fastReadBuffer = 16 << 10

// writePart is how much of a body one write hands the kernel (see
// exchange).
const writePart = 64 << 10

// errFastProtocol is the error for an answer the fast client cannot follow.
var errFastProtocol = errors.New("answer is not HTTP/1.1 the load client can follow")

// fastConn is one connection of a load run, used by one goroutine at a
// time. Its zero value with addr, dial and timeout set is ready.
type fastConn struct {
	ctx       context.Context // ends every read and write when it ends
	addr      string          // host:port
	tlsConfig *tls.Config     // nil for http URLs
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout   time.Duration    // bounds each exchange
	now       func() time.Time // the clock for latencies

	conn     net.Conn
	tcp      *net.TCPConn // conn, for writev, when it is plain TCP
	stopCtx  func() bool
	answered int       // answers on conn: it is reused when > 0
	started  time.Time // when the first byte of the request was written; the caller zeroes it

	buf     []byte
	r, w    int // buf[r:w] is read but not consumed
	bufs    net.Buffers
	backing [2][]byte

	// keep collects up to maxReasonBody of an answer's body when keeping.
	keeping bool
	keep    []byte
}

// fastAnswer is what came back for one request.
type fastAnswer struct {
	status int
	body   []byte // the first bytes of the body, when asked for
}

// close closes the connection, if one is open.
func (c *fastConn) close() {
	if c.conn == nil {
		return
	}
	c.stopCtx()
	c.conn.Close()
	c.conn, c.tcp, c.answered, c.r, c.w = nil, nil, 0, 0, 0
}

// connect opens a fresh connection (and does the TLS handshake).
func (c *fastConn) connect() error {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	raw, err := c.dial(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	conn := raw
	if c.tlsConfig != nil {
		tc := tls.Client(raw, c.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return err
		}
		conn = tc
	}
	c.conn = conn
	c.tcp, _ = conn.(*net.TCPConn)
	// The run's end (Ctrl-C) stops whatever read or write is under way.
	c.stopCtx = context.AfterFunc(c.ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	if c.buf == nil {
		c.buf = make([]byte, fastReadBuffer)
	}
	c.r, c.w, c.answered = 0, 0, 0
	return nil
}

// roundTrip writes head and body and reads the answer. keepBody asks for
// the first bytes of the answer's body. A reused connection that turns out
// dead (the write fails, or it ends before any byte of an answer) is
// replaced by a fresh one and the request is sent once more.
func (c *fastConn) roundTrip(head, body []byte, keepBody bool) (fastAnswer, error) {
	for attempt := 0; ; attempt++ {
		if c.conn == nil {
			if err := c.connect(); err != nil {
				return fastAnswer{}, err
			}
		}
		reused := c.answered > 0
		ans, err, dead := c.exchange(head, body, keepBody)
		if err == nil {
			return ans, nil
		}
		c.close()
		if !(dead && reused && attempt == 0 && c.ctx.Err() == nil) {
			return fastAnswer{}, err
		}
	}
}

// exchange is one request on the open connection. dead says the
// connection failed before any byte of an answer came.
func (c *fastConn) exchange(head, body []byte, keepBody bool) (ans fastAnswer, err error, dead bool) {
	t := c.now()
	if c.started.IsZero() {
		c.started = t
	}
	// Deadlines are on the real clock; now may be a test's.
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	var werr error
	if c.tcp != nil {
		// A small body goes with the head in one writev. A large one goes
		// after the head in parts: measured against the bare handler at 256
		// KiB, one writev of it got about 7,300 requests a second through,
		// the head and then 64 KiB writes about 9,000 (as many as hey), and
		// a writev of the head with the first part, then the rest, 6,600.
		if len(body) <= writePart {
			c.bufs = append(c.backing[:0], head, body)
			_, werr = c.bufs.WriteTo(c.tcp)
		} else {
			_, werr = c.tcp.Write(head)
			for off := 0; off < len(body) && werr == nil; off += writePart {
				_, werr = c.tcp.Write(body[off:min(off+writePart, len(body))])
			}
		}
	} else {
		if _, werr = c.conn.Write(head); werr == nil && len(body) > 0 {
			_, werr = c.conn.Write(body)
		}
	}
	if werr != nil && !isReset(werr) {
		return ans, werr, true
	}
	// After a reset the receiver may have answered before reading the
	// body (413, 401): its answer is still there to read.
	ans, closeAfter, err := c.readAnswer(keepBody)
	if err != nil {
		if werr != nil {
			err = werr
		}
		return ans, err, c.w == 0 && c.r == 0
	}
	c.answered++
	if closeAfter || werr != nil {
		c.close()
	}
	return ans, nil, false
}

// fill reads more of the answer into the buffer, making room when the
// unread part is at its end.
func (c *fastConn) fill() error {
	if c.r == c.w {
		c.r, c.w = 0, 0
	} else if c.w == len(c.buf) && c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.buf) {
		return fmt.Errorf("%w: a line longer than %d bytes", errFastProtocol, len(c.buf))
	}
	n, err := c.conn.Read(c.buf[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

var crlfcrlf = []byte("\r\n\r\n")

// readAnswer reads one answer: interim 1xx answers are skipped. closeAfter
// says the connection cannot carry another request.
func (c *fastConn) readAnswer(keepBody bool) (ans fastAnswer, closeAfter bool, err error) {
	c.keeping, c.keep = keepBody, c.keep[:0]
	for {
		i := bytes.Index(c.buf[c.r:c.w], crlfcrlf)
		if i < 0 {
			if c.r == 0 && c.w == len(c.buf) {
				return ans, true, fmt.Errorf("%w: its head is longer than %d bytes", errFastProtocol, len(c.buf))
			}
			if err := c.fill(); err != nil {
				if c.w > 0 && errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return ans, true, err
			}
			continue
		}
		head := c.buf[c.r : c.r+i+2] // the lines, each ending in CRLF
		c.r += i + 4
		h, err := parseFastHead(head)
		if err != nil {
			return ans, true, err
		}
		if h.status >= 100 && h.status < 200 {
			if h.status == 101 {
				return ans, true, fmt.Errorf("%w: 101 Switching Protocols", errFastProtocol)
			}
			continue
		}
		ans.status = h.status
		closeAfter = h.close
		switch {
		case h.status == 204 || h.status == 304:
		case h.chunked:
			err = c.readChunked()
		case h.length >= 0:
			err = c.discard(h.length)
		default:
			closeAfter = true
			err = c.discardToEOF()
		}
		if err != nil {
			return ans, true, err
		}
		if c.r != c.w {
			closeAfter = true // bytes after the answer: not ours to follow
		}
		c.r, c.w = 0, 0
		if keepBody {
			ans.body = c.keep
		}
		return ans, closeAfter, nil
	}
}

// fastHead is what the fast client needs from an answer's head.
type fastHead struct {
	status  int
	length  int64 // -1: none
	chunked bool
	close   bool
}

// parseFastHead reads the status at its fixed offset ("HTTP/1.1 200 ")
// and the headers that frame the body.
func parseFastHead(head []byte) (fastHead, error) {
	h := fastHead{length: -1}
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return h, fmt.Errorf("%w: status line %q", errFastProtocol, truncate(line))
	}
	for _, b := range line[9:12] {
		if b < '0' || b > '9' {
			return h, fmt.Errorf("%w: status line %q", errFastProtocol, truncate(line))
		}
		h.status = h.status*10 + int(b-'0')
	}
	if line[7] == '0' {
		h.close = true // HTTP/1.0: no keep-alive assumed
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return h, fmt.Errorf("%w: header line %q", errFastProtocol, truncate(line))
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (h.length >= 0 && n != h.length) {
				return h, fmt.Errorf("%w: Content-Length %q", errFastProtocol, truncate(value))
			}
			h.length = n
		case asciiEqualFold(name, "Transfer-Encoding"):
			if !asciiEqualFold(value, "chunked") {
				return h, fmt.Errorf("%w: Transfer-Encoding %q", errFastProtocol, truncate(value))
			}
			h.chunked = true
		case asciiEqualFold(name, "Connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				if asciiEqualFold(bytes.TrimSpace(tok), "close") {
					h.close = true
				}
			}
		}
	}
	if h.chunked {
		h.length = -1 // chunked wins over a Content-Length (RFC 9112 6.3)
	}
	return h, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x|0x20 != y|0x20 || (x|0x20 < 'a' || x|0x20 > 'z') && x != y {
			return false
		}
	}
	return true
}

func truncate(b []byte) string {
	if len(b) > 60 {
		b = b[:60]
	}
	return string(b)
}

// take consumes up to n buffered bytes of the body.
func (c *fastConn) take(n int64) int64 {
	m := min(int64(c.w-c.r), n)
	if c.keeping && len(c.keep) < maxReasonBody {
		c.keep = append(c.keep, c.buf[c.r:c.r+int(min(m, int64(maxReasonBody-len(c.keep))))]...)
	}
	c.r += int(m)
	return m
}

// discard consumes n bytes of the body.
func (c *fastConn) discard(n int64) error {
	for {
		n -= c.take(n)
		if n == 0 {
			return nil
		}
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// discardToEOF consumes a body that ends when the connection does.
func (c *fastConn) discardToEOF() error {
	for {
		c.take(int64(c.w - c.r))
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// line returns the next line of the answer, without its CRLF.
func (c *fastConn) line() ([]byte, error) {
	for {
		if i := bytes.Index(c.buf[c.r:c.w], []byte("\r\n")); i >= 0 {
			l := c.buf[c.r : c.r+i]
			c.r += i + 2
			return l, nil
		}
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// readChunked consumes a chunked body and its trailers.
func (c *fastConn) readChunked() error {
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(l, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errFastProtocol, truncate(l))
		}
		if n == 0 {
			for { // trailers, up to the empty line
				l, err := c.line()
				if err != nil {
					return err
				}
				if len(l) == 0 {
					return nil
				}
			}
		}
		if err := c.discard(n); err != nil {
			return err
		}
		if l, err := c.line(); err != nil || len(l) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: no CRLF after a chunk", errFastProtocol)
			}
			return err
		}
	}
}
