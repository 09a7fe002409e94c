// Package sender builds webhook deliveries and writes them to a receiver,
// including deliberately malformed ones: wrong or missing signatures, a
// missing, chunked or false Content-Length. net/http's client refuses to
// send most of those, so requests go through a small writer of its own over
// TCP (or TLS over TCP for https URLs), which puts exactly the bytes the
// Request describes on the wire.
package sender

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LengthMode says how a request declares its body's length.
type LengthMode int

// The length modes.
const (
	// LengthAuto declares the body's real length in Content-Length.
	LengthAuto LengthMode = iota
	// LengthMissing sends the body with neither Content-Length nor
	// Transfer-Encoding, then closes the write side.
	LengthMissing
	// LengthChunked sends the body with Transfer-Encoding: chunked.
	LengthChunked
	// LengthDeclared declares Length.N bytes whatever the body is. When N
	// is more than the body, the write side is closed after the body so
	// the receiver sees the short body at once.
	LengthDeclared
)

// Length is a LengthMode and, for LengthDeclared, the declared length.
type Length struct {
	Mode LengthMode
	N    int64
}

// ParseLength reads the --length flag: auto, missing, chunked, or a
// non-negative number of bytes to declare.
func ParseLength(s string) (Length, error) {
	switch s {
	case "auto", "":
		return Length{Mode: LengthAuto}, nil
	case "missing":
		return Length{Mode: LengthMissing}, nil
	case "chunked":
		return Length{Mode: LengthChunked}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return Length{}, fmt.Errorf("length must be auto, missing, chunked or a number of bytes, not %q", s)
	}
	return Length{Mode: LengthDeclared, N: n}, nil
}

// String returns the flag form of l.
func (l Length) String() string {
	switch l.Mode {
	case LengthMissing:
		return "missing"
	case LengthChunked:
		return "chunked"
	case LengthDeclared:
		return strconv.FormatInt(l.N, 10)
	}
	return "auto"
}

// Field is one header line. Requests keep their headers in order, so that
// what goes on the wire is exactly what was built.
type Field struct {
	Name, Value string
}

// Request is one HTTP request to write byte for byte.
type Request struct {
	Method string // POST when empty
	URL    *url.URL
	Header []Field // in order; Host and the length headers are added by Write
	Body   []byte
	Length Length
}

// Set replaces the first header named name (case-insensitively), spelling
// and value, in its place, and drops the others; or appends it when there
// is none.
func (r *Request) Set(name, value string) {
	out := r.Header[:0]
	done := false
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			if done {
				continue
			}
			f.Name, f.Value, done = name, value, true
		}
		out = append(out, f)
	}
	r.Header = out
	if !done {
		r.Header = append(r.Header, Field{name, value})
	}
}

// Get returns the value of the first header named name, or "".
func (r *Request) Get(name string) string {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Del removes every header named name.
func (r *Request) Del(name string) {
	out := r.Header[:0]
	for _, f := range r.Header {
		if !strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	r.Header = out
}

// WriteTo writes the request to w exactly as its fields say: the request
// line, Host, the headers in order, the length framing and the body.
func (r *Request) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	fmt.Fprintf(bw, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, r.URL.RequestURI(), r.URL.Host)
	for _, f := range r.Header {
		fmt.Fprintf(bw, "%s: %s\r\n", f.Name, f.Value)
	}
	switch r.Length.Mode {
	case LengthAuto:
		fmt.Fprintf(bw, "Content-Length: %d\r\n", len(r.Body))
	case LengthDeclared:
		fmt.Fprintf(bw, "Content-Length: %d\r\n", r.Length.N)
	case LengthChunked:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	bw.WriteString("\r\n")
	if r.Length.Mode == LengthChunked {
		if len(r.Body) > 0 {
			fmt.Fprintf(bw, "%x\r\n", len(r.Body))
			bw.Write(r.Body)
			bw.WriteString("\r\n")
		}
		bw.WriteString("0\r\n\r\n")
	} else {
		bw.Write(r.Body)
	}
	err := bw.Flush()
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// closesWrite reports whether the write side is closed after the request:
// when the receiver could otherwise not tell where the body ends.
func (r *Request) closesWrite() bool {
	return r.Length.Mode == LengthMissing || (r.Length.Mode == LengthDeclared && r.Length.N > int64(len(r.Body)))
}

// Response is what came back.
type Response struct {
	Status   int
	Proto    string
	Header   http.Header
	Body     []byte // at most MaxResponseBody bytes
	Duration time.Duration
	// BodyErr says why Body is short, when the answer's body did not
	// arrive whole (the receiver stopped, or the timeout came first).
	BodyErr error
}

// MaxResponseBody is how much of an answer's body is kept.
const MaxResponseBody = 1 << 20

// Client writes Requests. The zero value works: it dials with net.Dialer,
// verifies TLS certificates and waits up to DefaultTimeout for an answer.
type Client struct {
	// Dial opens connections (net.Dialer.DialContext).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is used for https URLs; nil means the defaults.
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange, from dial to the end of the answer.
	Timeout time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

// DefaultTimeout is how long Client waits when Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Error kinds for deliveries that got no answer. Test with errors.Is.
var (
	// ErrRefused means nothing listens at the address.
	ErrRefused = errors.New("connection refused")
	// ErrTimeout means no complete answer came in time.
	ErrTimeout = errors.New("no answer in time")
	// ErrClosed means the receiver closed the connection without an answer.
	ErrClosed = errors.New("connection closed without an answer")
)

// DeliveryError says why a request got no answer, and what to check.
type DeliveryError struct {
	Kind error  // ErrRefused, ErrTimeout, ErrClosed, or nil for others
	Addr string // host:port
	Err  error  // the underlying error
	What string // what happened, when Kind alone does not say it
	Hint string // what to check, for people
}

func (e *DeliveryError) Error() string {
	msg := "not delivered to " + e.Addr + ": "
	switch {
	case e.What != "":
		msg += e.What
	case e.Kind != nil:
		msg += e.Kind.Error()
	default:
		msg += e.Err.Error()
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Unwrap returns the kind and the underlying error.
func (e *DeliveryError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// Do writes req and reads the answer. An error is a *DeliveryError: any
// answer, whatever its status, is a Response.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := hostPort(req.URL)
	fail := func(err error) (*Response, error) {
		return nil, classify(ctx, addr, timeout, err)
	}

	start := now()
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fail(err)
	}
	defer raw.Close()
	// The context bounds every read and write from here on: its deadline,
	// and its cancellation (Ctrl-C) too.
	if d, ok := ctx.Deadline(); ok {
		raw.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	conn := raw
	if req.URL.Scheme == "https" {
		cfg := c.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = req.URL.Hostname()
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		conn = tc
	}

	// Write in the background: a receiver may answer (411, 413, 401)
	// before it reads the body, and the answer is what matters.
	wrote := make(chan error, 1)
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		_, err := req.WriteTo(conn)
		if err == nil && req.closesWrite() {
			err = closeWrite(conn)
		}
		wrote <- err
	}()
	// The writer reads req and writes conn, so it must be done before Do
	// returns: the caller may reuse req. It can still be writing when the
	// answer came before the body was read (413, 401); closing the
	// connection unblocks it.
	defer func() {
		raw.Close()
		<-writing
	}()

	br := bufio.NewReader(conn)
	var resp *http.Response
	for {
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			select {
			case werr := <-wrote:
				if werr != nil && !isReset(werr) {
					return fail(werr)
				}
			default:
			}
			return fail(err)
		}
		// Interim answers (100 Continue) come before the real one.
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
	}
	defer resp.Body.Close()
	// The status and headers came; a body that stops short (or never
	// ends) does not undo that: the answer is kept with what arrived.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	return &Response{
		Status: resp.StatusCode, Proto: resp.Proto, Header: resp.Header, Body: body,
		Duration: now().Sub(start), BodyErr: err,
	}, nil
}

// closeWrite half-closes conn so the receiver reads end of stream. For
// TLS, that is close_notify and then the TCP half-close.
func closeWrite(conn net.Conn) error {
	if tc, ok := conn.(*tls.Conn); ok {
		if err := tc.CloseWrite(); err != nil {
			return err
		}
		conn = tc.NetConn()
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// isReset reports a write that failed because the receiver had already
// answered and closed: its answer is still there to read.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// classify turns a dial, write or read error into a DeliveryError.
func classify(ctx context.Context, addr string, timeout time.Duration, err error) error {
	e := &DeliveryError{Addr: addr, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind, e.Hint = ErrRefused, "is hooklab listen running? check the URL's host and port"
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up (Ctrl-C). Cancellation also shows as a past
		// deadline on the connection, which is not a timeout.
		e.Err = ctx.Err()
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Kind, e.What, e.Hint = ErrTimeout, "no answer in "+timeout.String(), "the receiver may be stuck, or waiting for more of the body"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isReset(err):
		e.Kind = ErrClosed
	}
	return e
}

// hostPort returns u's host with its port, defaulting by scheme.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
