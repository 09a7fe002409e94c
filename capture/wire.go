package capture

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// maxQueuedHeads bounds the heads a connection keeps that no handler has
// claimed (a health check's, say): the oldest go first.
const maxQueuedHeads = 16

// maxChunkLine bounds a chunk-size line, extensions included, as net/http's
// chunked reader does.
const maxChunkLine = 4096

// NewListener wraps ln so that its connections record the request heads
// net/http reads from them, as they came over the wire. Serve with
// ConnContext set to this package's ConnContext, and call WireHeaders in
// the handler. A head longer than maxHead bytes (<= 0: 1 MiB, net/http's
// default limit), or framing it cannot follow, stops the recording for
// that connection; WireHeaders then reports not found. Only HTTP/1.x
// without TLS is followed.
func NewListener(ln net.Listener, maxHead int) net.Listener {
	if maxHead <= 0 {
		maxHead = http.DefaultMaxHeaderBytes
	}
	return &listener{Listener: ln, maxHead: maxHead}
}

type listener struct {
	net.Listener
	maxHead int
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &conn{Conn: c, q: newHeadQueue(l.maxHead)}
	wc.p.maxHead = l.maxHead
	wc.p.q = wc.q
	return wc, nil
}

// conn follows the bytes read from it through the parser.
type conn struct {
	net.Conn
	q  *headQueue
	mu sync.Mutex // net/http reads from one goroutine at a time; be sure
	p  headParser
}

func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		c.p.feed(b[:n])
		c.mu.Unlock()
	}
	return n, err
}

// CloseWrite keeps net/http's graceful close (it half-closes a TCP conn
// before closing it) working through the wrapper.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// headQueue holds a connection's complete heads that no handler claimed.
// It is bounded by count and by bytes; the oldest go first. net/http reads
// at most a few KiB past the request being handled, so a handler's own head
// is never among those dropped.
type headQueue struct {
	mu       sync.Mutex
	heads    [][]byte
	size     int // bytes in heads
	maxBytes int
}

func newHeadQueue(maxHead int) *headQueue {
	return &headQueue{maxBytes: 2*maxHead + 64<<10}
}

func (q *headQueue) push(h []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.heads) > 0 && (len(q.heads) >= maxQueuedHeads || q.size+len(h) > q.maxBytes) {
		q.drop(1)
	}
	q.heads = append(q.heads, h)
	q.size += len(h)
}

// drop removes the n oldest heads. The caller holds q.mu.
func (q *headQueue) drop(n int) {
	for _, h := range q.heads[:n] {
		q.size -= len(h)
	}
	clear(q.heads[:n])
	q.heads = append(q.heads[:0], q.heads[n:]...)
}

type parseState uint8

const (
	stHead      parseState = iota // reading a head, or the empty lines before one
	stBody                        // skipping a Content-Length body
	stChunkSize                   // in a chunk-size line
	stChunkExt                    // in a chunk-size line, past the size
	stChunkData                   // skipping chunk data
	stChunkEnd                    // at the CRLF after chunk data
	stTrailer                     // in the trailer section
	stDone                        // lost the framing: recording stopped
)

// headParser follows HTTP/1.1 keep-alive framing over the bytes read, and
// queues each request head.
type headParser struct {
	q       *headQueue
	maxHead int
	state   parseState

	head      []byte // the head so far
	lineStart int    // where head's current line starts

	remaining int64 // body or chunk bytes left to skip
	lineLen   int   // bytes in the current chunk-size or trailer line
	digits    int   // hex digits in the chunk size
	sawCR     bool  // stChunkEnd: the CR came
	trailer   int   // bytes of trailer section so far
}

func (p *headParser) feed(b []byte) {
	for len(b) > 0 {
		switch p.state {
		case stDone:
			return
		case stHead:
			b = p.feedHead(b)
		case stBody:
			n := min(p.remaining, int64(len(b)))
			p.remaining -= n
			b = b[n:]
			if p.remaining == 0 {
				p.state = stHead
			}
		case stChunkData:
			n := min(p.remaining, int64(len(b)))
			p.remaining -= n
			b = b[n:]
			if p.remaining == 0 {
				p.state, p.sawCR = stChunkEnd, false
			}
		case stChunkSize, stChunkExt:
			b = p.feedChunkLine(b)
		case stChunkEnd:
			c := b[0]
			b = b[1:]
			switch {
			case c == '\r' && !p.sawCR:
				p.sawCR = true
			case c == '\n':
				p.state, p.lineLen, p.digits, p.remaining = stChunkSize, 0, 0, 0
			default:
				p.stop()
			}
		case stTrailer:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				p.lineLen += len(b)
				p.trailer += len(b)
				b = nil
			} else {
				p.lineLen += i
				p.trailer += i + 1
				b = b[i+1:]
				empty := p.lineLen == 0 || p.lineLen == 1 // "" or "\r"; a 1-byte trailer line cannot be valid
				p.lineLen = 0
				if empty {
					p.state, p.trailer = stHead, 0
				}
			}
			if p.trailer > p.maxHead {
				p.stop()
			}
		}
	}
}

func (p *headParser) stop() {
	p.state = stDone
	p.head = nil
}

// feedChunkLine reads a chunk-size line: hex digits, then extensions,
// then CRLF (or LF).
func (p *headParser) feedChunkLine(b []byte) []byte {
	for i, c := range b {
		p.lineLen++
		if p.lineLen > maxChunkLine {
			p.stop()
			return nil
		}
		if c == '\n' {
			if p.digits == 0 {
				p.stop()
				return nil
			}
			if p.remaining == 0 {
				p.state, p.lineLen, p.trailer = stTrailer, 0, 0
			} else {
				p.state = stChunkData
			}
			return b[i+1:]
		}
		if p.state == stChunkExt {
			continue
		}
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		case c == ';' || c == ' ' || c == '\t' || c == '\r':
			p.state = stChunkExt
			continue
		default:
			p.stop()
			return nil
		}
		if p.digits == 15 { // 16 hex digits could overflow int64
			p.stop()
			return nil
		}
		p.digits++
		p.remaining = p.remaining<<4 | int64(d)
	}
	return nil
}

// feedHead adds b to the head up to its end (an empty line), queues a
// complete head, and returns what follows it.
func (p *headParser) feedHead(b []byte) []byte {
	if len(p.head) == 0 {
		// Empty lines before a request line are tolerated, as net/http does.
		i := 0
		for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
			i++
		}
		b = b[i:]
		if len(b) == 0 {
			return nil
		}
		p.lineStart = 0
	}
	scan := len(p.head)
	for {
		i := bytes.IndexByte(b[scan-len(p.head):], '\n')
		if i < 0 {
			if len(p.head)+len(b) > p.maxHead {
				p.stop()
				return nil
			}
			p.head = append(p.head, b...)
			return nil
		}
		nl := scan + i // index of '\n' in head+b
		if nl+1 > p.maxHead {
			p.stop()
			return nil
		}
		line := nl - p.lineStart
		empty := line == 0 || (line == 1 && p.at(b, p.lineStart) == '\r')
		if !empty {
			p.lineStart = nl + 1
			scan = nl + 1
			continue
		}
		n := nl + 1 - len(p.head) // bytes of b in the head
		head := make([]byte, nl+1)
		copy(head, p.head)
		copy(head[len(p.head):], b[:n])
		p.head = p.head[:0]
		p.lineStart = 0
		p.q.push(head)
		p.frame(head)
		return b[n:]
	}
}

// at returns byte i of head+b.
func (p *headParser) at(b []byte, i int) byte {
	if i < len(p.head) {
		return p.head[i]
	}
	return b[i-len(p.head)]
}

// frame sets the state for what follows head: its body, if any. It runs
// once per request and allocates nothing.
func (p *headParser) frame(head []byte) {
	reqLine, rest, _ := bytes.Cut(head, []byte("\n"))
	reqLine = bytes.TrimSuffix(reqLine, []byte("\r"))
	http11 := !bytes.HasSuffix(reqLine, []byte("HTTP/1.0"))
	if bytes.HasPrefix(reqLine, []byte("CONNECT ")) {
		p.stop()
		return
	}
	var te, cl []byte
	nte, ncl := 0, 0
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		name, value, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\r")), []byte(":"))
		if !ok {
			continue
		}
		value = bytes.Trim(value, " \t")
		switch {
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			te = value
			nte++
		case bytes.EqualFold(name, []byte("Content-Length")):
			if ncl > 0 && !bytes.Equal(value, cl) {
				p.stop() // net/http refuses it and closes
				return
			}
			cl = value
			ncl++
		case bytes.EqualFold(name, []byte("Upgrade")):
			// The conn may be hijacked for another protocol.
			p.stop()
			return
		}
	}
	if nte > 0 && http11 {
		if nte != 1 || !bytes.EqualFold(te, []byte("chunked")) {
			p.stop() // net/http refuses it and closes
			return
		}
		p.state, p.lineLen, p.digits, p.remaining = stChunkSize, 0, 0, 0
		return
	}
	if ncl > 0 {
		n, ok := parseLength(cl)
		if !ok {
			p.stop()
			return
		}
		if n > 0 {
			p.state, p.remaining = stBody, n
			return
		}
	}
	p.state = stHead
}

// parseLength parses a Content-Length value: decimal digits only.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// splitHead returns the header lines of a head without its request line.
// A line that starts with a space or tab continues the one before it.
func splitHead(b []byte) []Header {
	var hs []Header
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hs) > 0 {
			last := &hs[len(hs)-1]
			last[1] = strings.TrimSpace(last[1] + " " + strings.TrimSpace(string(line)))
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		hs = append(hs, Header{string(name), strings.Trim(string(value), " \t")})
	}
	return hs
}

type queueKey struct{}

// ConnContext is for http.Server.ConnContext (receiver.ServeOptions has
// it too): it puts the head queue of a connection from NewListener in its
// context, for WireHeaders. Other connections' contexts are returned as
// they are.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*conn); ok {
		return context.WithValue(ctx, queueKey{}, wc.q)
	}
	return ctx
}

// WireHeaders returns r's header lines as they came over the wire: in
// order, each name spelled as sent, repeats kept, Host included, the
// request line not. It claims the head, so call it once per request, from
// its handler. ok is false when r's connection did not come from
// NewListener (and ConnContext), its recording stopped, or no recorded head
// matches r's request line and headers; use CanonicalHeaders then.
//
// Handlers on one connection run one at a time, so its oldest heads are
// those of requests already answered whose handlers did not claim them:
// they are skipped and dropped up to the one that matches r.
func WireHeaders(r *http.Request) (headers []Header, ok bool) {
	q, _ := r.Context().Value(queueKey{}).(*headQueue)
	if q == nil {
		return nil, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, head := range q.heads {
		reqLine, rest, _ := bytes.Cut(head, []byte("\n"))
		if !matchRequestLine(reqLine, r) {
			continue
		}
		hs := splitHead(rest)
		if !matchHeaders(hs, r) {
			continue
		}
		q.drop(i + 1)
		return hs, true
	}
	return nil, false
}

func matchRequestLine(line []byte, r *http.Request) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	method, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || string(method) != r.Method {
		return false
	}
	target, _, ok := bytes.Cut(rest, []byte(" "))
	return ok && string(target) == r.RequestURI
}

// matchHeaders checks that the head's values are r's: a head of an earlier
// request with the same request line differs in a delivery id, a
// signature, a length.
func matchHeaders(hs []Header, r *http.Request) bool {
	for _, h := range hs {
		name := http.CanonicalHeaderKey(h[0])
		switch name {
		case "Host", "Transfer-Encoding", "Content-Length", "Trailer":
			continue // net/http moves or drops these
		}
		found := false
		for _, v := range r.Header[name] {
			if v == h[1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CanonicalHeaders returns r's headers as net/http has them, for when the
// wire order is not available: Host first, then r.Header sorted by name,
// each value in its own Header.
func CanonicalHeaders(r *http.Request) []Header {
	names := make([]string, 0, len(r.Header))
	n := 0
	for name, vs := range r.Header {
		names = append(names, name)
		n += len(vs)
	}
	sort.Strings(names)
	hs := make([]Header, 0, n+1)
	if r.Host != "" {
		hs = append(hs, Header{"Host", r.Host})
	}
	for _, name := range names {
		for _, v := range r.Header[name] {
			hs = append(hs, Header{name, v})
		}
	}
	return hs
}

// RequestHeaders returns WireHeaders(r) with OrderWire when they are
// available, and CanonicalHeaders(r) with OrderCanonical otherwise.
func RequestHeaders(r *http.Request) ([]Header, string) {
	if hs, ok := WireHeaders(r); ok {
		return hs, OrderWire
	}
	return CanonicalHeaders(r), OrderCanonical
}
