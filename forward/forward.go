// Package forward sends each delivery that listen accepted on to the user's
// app (--forward-to) and passes the app's answer back to the sender.
//
// A [Forwarder] is a [receiver.Handoff] built on httputil.ReverseProxy: the
// app gets the same method, the exact body bytes and the sender's headers
// (hop-by-hop ones dropped, X-Forwarded-For/-Host/-Proto set), so it can
// verify the very signature the sender made, or one made afresh for it
// (Config.Resign). The app's status, headers and body go back to the sender
// as they came. At most Config.Concurrency forwards are in flight; past
// that a delivery is refused at once as forward_busy, so a slow app never
// piles up goroutines or connections.
package forward

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// Defaults for the zero Config fields.
const (
	DefaultTimeout       = 10 * time.Second // what GitHub allows a receiver
	DefaultConcurrency   = 64
	DefaultMaxAnswerKept = 64 << 10
)

// Config configures a Forwarder. Only URL is required.
type Config struct {
	// URL is the app's endpoint (--forward-to), used as it is: every
	// delivery goes to its path and query, whatever path it came in on.
	// It must be absolute http or https.
	URL *url.URL
	// Timeout bounds the whole exchange with the app, from dialling to the
	// end of its answer's body (default 10 s).
	Timeout time.Duration
	// Concurrency is how many forwards may be in flight at once (default
	// 64); past it a delivery gets forward_busy without waiting.
	Concurrency int
	// Resign, when set, signs every forwarded body afresh with the app's
	// own secret and scheme. Nil forwards the sender's signature headers as
	// they are.
	Resign signing.Scheme
	// ResignHeaders are the headers removed before re-signing: the
	// listener's signature headers, with their timestamp and id headers
	// (for GitHub: X-Hub-Signature-256 and X-Hub-Signature). Unused
	// without Resign.
	ResignHeaders []string
	// MaxAnswerKept is how many bytes of the app's answer body are kept in
	// the ForwardResult for the log and the capture (default 64 KiB). The
	// sender always gets the whole body.
	MaxAnswerKept int
	// Log gets the reverse proxy's own errors as warnings; nil discards
	// them. Forward failures themselves are reported in the Outcome.
	Log *slog.Logger
	// Now is the clock for signing times and latencies (default time.Now).
	Now func() time.Time
	// NewID returns a delivery id for re-signing a delivery that has none
	// (Standard Webhooks signs its id). Default: "msg_" and 26 random
	// base32 characters.
	NewID func() string
	// Transport carries the forwards; nil gives the Forwarder a Transport
	// of its own, with no proxy from the environment, no transparent
	// compression and limits from Timeout and Concurrency.
	Transport http.RoundTripper
	// HTTPS says the listener serves HTTPS, so that X-Forwarded-Proto says
	// https even where the request does not show it: a listener that
	// wraps its TLS connections (capture.Listener, which keeps request
	// heads as they came) hands net/http connections that are not
	// *tls.Conn, and the request's TLS field is then nil.
	HTTPS bool
}

// Forwarder forwards deliveries to the app. It is safe for concurrent use.
// Call Close when finished.
type Forwarder struct {
	target    *url.URL
	targetStr string
	timeout   time.Duration
	gate      chan struct{}
	resign    signing.Scheme
	strip     []string
	keep      int
	now       func() time.Time
	newID     func() string
	transport http.RoundTripper
	log       *slog.Logger
	errorLog  *log.Logger
	https     bool // the listener serves HTTPS (Config.HTTPS)
}

// New returns a Forwarder for cfg. It fails with a clear error when the URL
// is missing or not absolute http/https, or a limit is negative.
func New(cfg Config) (*Forwarder, error) {
	u := cfg.URL
	switch {
	case u == nil:
		return nil, errors.New("forward: no app URL (--forward-to) given")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("forward: the app URL %q is not an absolute http or https URL; use for example http://127.0.0.1:3000/webhook", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("forward: the app URL %q has no host; use for example http://127.0.0.1:3000/webhook", u.Redacted())
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("forward: the timeout %v is negative", cfg.Timeout)
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("forward: the concurrency %d is negative", cfg.Concurrency)
	case cfg.MaxAnswerKept < 0:
		return nil, fmt.Errorf("forward: MaxAnswerKept %d is negative", cfg.MaxAnswerKept)
	}
	target := *u
	target.Fragment, target.RawFragment = "", ""
	f := &Forwarder{
		target:    &target,
		targetStr: target.Redacted(),
		timeout:   orDefault(cfg.Timeout, DefaultTimeout),
		resign:    cfg.Resign,
		strip:     cfg.ResignHeaders,
		keep:      orDefault(cfg.MaxAnswerKept, DefaultMaxAnswerKept),
		now:       cfg.Now,
		newID:     cfg.NewID,
		transport: cfg.Transport,
		log:       cfg.Log,
		https:     cfg.HTTPS,
	}
	f.gate = make(chan struct{}, orDefault(cfg.Concurrency, DefaultConcurrency))
	if f.now == nil {
		f.now = time.Now
	}
	if f.newID == nil {
		f.newID = func() string { return "msg_" + rand.Text() }
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	// ReverseProxy's default logger is the log package's: route it to Log.
	f.errorLog = slog.NewLogLogger(f.log.Handler(), slog.LevelWarn)
	if f.transport == nil {
		f.transport = &http.Transport{
			Proxy:                 nil, // the app is where --forward-to says, never via HTTP_PROXY
			DialContext:           (&net.Dialer{Timeout: f.timeout, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   f.timeout,
			ResponseHeaderTimeout: f.timeout,
			ExpectContinueTimeout: time.Second,
			MaxIdleConns:          cap(f.gate),
			MaxIdleConnsPerHost:   cap(f.gate),
			IdleConnTimeout:       90 * time.Second,
			// The app's answer passes through byte for byte: no
			// Accept-Encoding the sender did not send, no decoding.
			DisableCompression: true,
		}
	}
	return f, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Close closes the Transport's idle connections to the app. Forwards in
// flight finish; the Forwarder may still be used afterwards.
func (f *Forwarder) Close() {
	if t, ok := f.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// exchange is what one forward learned, filled in by the proxy's hooks.
type exchange struct {
	err    error       // from ErrorHandler: the app gave no usable answer
	status int         // the app's status, once its headers were accepted
	header http.Header // a copy of the app's headers
	body   *keptBody   // the app's body as it was copied to the sender
}

// errSwitch refuses an app's 101: a webhook forward has no protocol to
// switch to, and the upgrade headers were never forwarded.
var errSwitch = errors.New("the app answered 101 Switching Protocols, which a webhook forward cannot pass on")

// Handoff forwards d to the app and, when the app answers, writes its answer
// to w (Outcome.Answered). When the app cannot be reached, does not answer
// within the timeout, or Concurrency forwards are in flight, nothing is
// written and the Outcome's Reason says why, for the receiver to answer.
// If the app's body breaks off after its headers were passed on, the
// answer cannot be changed any more: the Outcome is Answered with the app's
// status and a Reason, and the connection to the sender is closed (over
// HTTP/1, by hijacking it) so that the sender sees a broken answer, never a
// short success. Where the connection cannot be hijacked (HTTP/2), Handoff
// logs the result as a warning and panics with http.ErrAbortHandler, which
// net/http turns into a reset of the stream.
//
// Handoff reads d.Body only until it returns.
func (f *Forwarder) Handoff(w http.ResponseWriter, r *http.Request, d *receiver.Delivery) receiver.Outcome {
	select {
	case f.gate <- struct{}{}:
		defer func() { <-f.gate }()
	default:
		return receiver.Outcome{
			Reason:     receiver.ReasonForwardBusy,
			Detail:     fmt.Sprintf("%d forwards to the app are already in flight; retry after the Retry-After seconds", cap(f.gate)),
			RetryAfter: "1",
			Forward:    &receiver.ForwardResult{URL: f.targetStr, Reason: receiver.ReasonForwardBusy},
		}
	}

	var signed http.Header
	if f.resign != nil {
		id := d.ID
		if id == "" {
			id = f.newID()
		}
		var err error
		signed, err = f.resign.Sign(signing.Message{Body: d.Body, ID: id, Time: f.now()})
		if err != nil {
			detail := fmt.Sprintf("re-signing the delivery for the app failed: %v; check --forward-secret and --forward-provider", err)
			return receiver.Outcome{
				Reason:  receiver.ReasonForwardFailed,
				Detail:  detail,
				Forward: &receiver.ForwardResult{URL: f.targetStr, Reason: receiver.ReasonForwardFailed, Error: err.Error()},
			}
		}
	}

	// The body reader stops serving d.Body when Handoff returns: the
	// Transport may still be writing the request when the app has already
	// answered, and the receiver reuses d.Body's buffer afterwards.
	body := &bodySource{body: d.Body}
	defer body.close()

	ctx, cancel := context.WithTimeout(r.Context(), f.timeout)
	defer cancel()
	in := r.WithContext(ctx)
	deadline, _ := ctx.Deadline()
	sender := http.NewResponseController(w)

	var ex exchange
	var writeBounded bool // the sender's write deadline is the forward's
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			f.rewrite(pr, body, signed)
		},
		Transport: f.transport,
		ModifyResponse: func(res *http.Response) error {
			if res.StatusCode == http.StatusSwitchingProtocols {
				return errSwitch
			}
			ex.status = res.StatusCode
			ex.header = res.Header.Clone()
			ex.body = &keptBody{rc: res.Body, max: f.keep}
			res.Body = ex.body
			// The app's headers as they are: without a Content-Type of
			// its own, net/http would sniff one for the sender.
			if _, ok := res.Header["Content-Type"]; !ok {
				w.Header()["Content-Type"] = nil
			}
			// Passing the answer on ends at the timeout too: a sender
			// that does not read a large answer must not hold the
			// forward (its slot and its connection to the app) until
			// the server's own write timeout, if any.
			writeBounded = sender.SetWriteDeadline(deadline) == nil
			return nil
		},
		// The receiver answers failures itself: record, never write.
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { ex.err = err },
		ErrorLog:     f.errorLog,
	}

	// An HTTP/1.0 sender must not get the app's 1xx interim answers.
	pw := w
	if !r.ProtoAtLeast(1, 1) {
		pw = noInterim{w}
	}
	start := f.now()
	aborted := serve(proxy, pw, in)
	if writeBounded && !aborted && ex.body != nil && ex.body.err == nil {
		// The answer must reach the sender by the deadline. Then the
		// deadline is lifted, so that the few bytes net/http writes after
		// the handler (a chunked answer's end) are not cut off by it;
		// net/http sets the next request's deadline itself.
		if err := sender.Flush(); err != nil {
			aborted = true
		}
		sender.SetWriteDeadline(time.Time{})
	}
	latency := f.now().Sub(start)

	res := &receiver.ForwardResult{URL: f.targetStr, Status: ex.status, Latency: latency}
	if ex.err != nil || ex.status == 0 {
		// Nothing was written to w.
		err := ex.err
		if err == nil {
			err = errors.New("the proxy gave no answer and no error")
		}
		reason, detail := f.explain(r, err)
		res.Status, res.Reason, res.Error = 0, reason, err.Error()
		return receiver.Outcome{Reason: reason, Detail: detail, Forward: res}
	}

	res.Header = ex.header
	res.Body, res.BodyTruncated = ex.body.kept, ex.body.truncated
	out := receiver.Outcome{Answered: true, Status: ex.status, Forward: res}
	if !aborted && ex.body.err == nil {
		return out
	}

	// The app's status and headers went to the sender, but not its whole
	// body: the app broke off, the timeout struck, or the sender hung up.
	var cause error
	switch {
	case ex.body.err != nil:
		cause = ex.body.err
		out.Reason, out.Detail = f.explainBroken(r, cause)
	case !time.Now().Before(deadline):
		// The write to the sender hit the deadline (and the server then
		// cancelled the sender's context, maybe before ctx saw its
		// deadline).
		cause = errors.New("writing the app's answer to the sender did not end within the timeout")
		out.Reason = receiver.ReasonForwardTimeout
		out.Detail = fmt.Sprintf("the app's answer was not passed on within %v (--forward-timeout): the sender did not read it; the sender's connection was closed", f.timeout)
	default:
		cause = errors.New("writing the app's answer to the sender failed")
		out.Reason = receiver.ReasonForwardFailed
		out.Detail = "the sender hung up while the app's answer was passed back to it"
	}
	res.Reason, res.Error = out.Reason, cause.Error()
	if aborted {
		abortSender(w, f.log, out)
	}
	return out
}

// serve runs the proxy and reports whether it aborted the answer: it panics
// with http.ErrAbortHandler when copying the app's body to w fails under a
// server. Any other panic goes on.
func serve(proxy *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
				panic(v)
			}
			aborted = true
		}
	}()
	proxy.ServeHTTP(w, r)
	return false
}

// abortSender closes the connection to the sender after a partial answer,
// so that the sender sees a broken answer rather than a short success. Over
// HTTP/1 it hijacks and closes the connection and returns, so that the
// receiver logs the delivery. When that is impossible it logs the outcome
// and panics with http.ErrAbortHandler, net/http's own way to abort.
func abortSender(w http.ResponseWriter, logger *slog.Logger, out receiver.Outcome) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	logger.Warn("forward: the app's answer broke off; aborting the sender's stream",
		slog.Int("app_status", out.Status), slog.String("app_reason", string(out.Reason)),
		slog.String("app_error", out.Forward.Error))
	panic(http.ErrAbortHandler)
}

// rewrite builds the request to the app. ReverseProxy has already dropped
// the hop-by-hop headers (and those named in Connection) and the sender's
// own X-Forwarded-* and Forwarded headers.
func (f *Forwarder) rewrite(pr *httputil.ProxyRequest, body *bodySource, signed http.Header) {
	out := pr.Out
	// The target exactly, not joined with the incoming path (SetURL would).
	u := *f.target
	out.URL = &u
	out.Host = f.target.Host
	out.RequestURI = ""
	// ReverseProxy re-adds upgrade headers for an upgrade request; a
	// webhook is never one.
	out.Header.Del("Connection")
	out.Header.Del("Upgrade")
	// The body was read whole already: a sender's Expect: 100-continue
	// would only make the Transport wait for the app's 100 before sending
	// it, and pass that 100 on to the sender.
	out.Header.Del("Expect")
	pr.SetXForwarded()
	if f.https {
		out.Header.Set("X-Forwarded-Proto", "https")
	}

	out.Body, out.GetBody = body.reader(), func() (io.ReadCloser, error) { return body.reader(), nil }
	out.ContentLength = int64(len(body.body))
	// The body goes with its Content-Length even if it came chunked.
	out.TransferEncoding, out.Trailer = nil, nil
	if len(body.body) == 0 {
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	}

	if signed != nil {
		for _, name := range f.strip {
			out.Header.Del(name)
		}
		for name, values := range signed {
			out.Header.Del(name)
			out.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
		}
	}
}

// explain turns a failure before the app answered into a reason and a
// sentence for the sender and the log.
func (f *Forwarder) explain(r *http.Request, err error) (receiver.Reason, string) {
	at := "the app at " + f.targetStr
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		netErr   net.Error
	)
	switch {
	case r.Context().Err() != nil:
		return receiver.ReasonForwardFailed, "the sender hung up before the app answered; the forward was stopped"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return receiver.ReasonForwardTimeout, fmt.Sprintf("%s did not answer within %v (--forward-timeout)", at, f.timeout)
	case errors.Is(err, errSwitch):
		return receiver.ReasonForwardFailed, at + ": " + err.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return receiver.ReasonForwardFailed, at + " refused the connection: is it running?"
	case errors.As(err, &dnsErr):
		return receiver.ReasonForwardFailed, fmt.Sprintf("the app's host %q could not be resolved: check --forward-to", dnsErr.Name)
	case errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &hostErr):
		return receiver.ReasonForwardFailed, fmt.Sprintf("%s has a TLS certificate this machine does not trust: %v", at, err)
	case errors.As(err, &recErr):
		return receiver.ReasonForwardFailed, at + " does not speak TLS: use http:// in --forward-to"
	case errors.As(err, &alertErr):
		return receiver.ReasonForwardFailed, fmt.Sprintf("the TLS handshake with %s failed: %v", at, err)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return receiver.ReasonForwardFailed, at + " closed the connection before answering"
	default:
		return receiver.ReasonForwardFailed, fmt.Sprintf("%s could not be reached: %v", at, err)
	}
}

// explainBroken says why the app's body broke off after its headers were
// passed to the sender.
func (f *Forwarder) explainBroken(r *http.Request, err error) (receiver.Reason, string) {
	at := "the app at " + f.targetStr
	var netErr net.Error
	switch {
	case r.Context().Err() != nil:
		return receiver.ReasonForwardFailed, "the sender hung up while the app's answer was passed back to it"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return receiver.ReasonForwardTimeout, fmt.Sprintf("%s did not finish its answer within %v (--forward-timeout); the sender's connection was closed", at, f.timeout)
	default:
		return receiver.ReasonForwardFailed, fmt.Sprintf("%s broke off its answer: %v; the sender's connection was closed", at, err)
	}
}

// noInterim drops the 1xx interim answers ReverseProxy passes on from the
// app, for a sender that speaks HTTP/1.0 and must not get them.
type noInterim struct{ http.ResponseWriter }

func (n noInterim) WriteHeader(code int) {
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		return
	}
	n.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the sender's writer.
func (n noInterim) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// errBodyGone is what a late read of the request body gets, after Handoff
// returned and the body's buffer may hold another delivery.
var errBodyGone = errors.New("forward: the delivery's body is no longer available")

// bodySource hands out readers of one delivery's body that all stop when
// it is closed, so that no read of the buffer happens after Handoff.
type bodySource struct {
	mu     sync.Mutex
	body   []byte
	closed bool
}

func (s *bodySource) reader() io.ReadCloser { return &bodyReader{src: s} }

func (s *bodySource) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

type bodyReader struct {
	src *bodySource
	off int
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.src.mu.Lock()
	defer b.src.mu.Unlock()
	if b.src.closed {
		return 0, errBodyGone
	}
	if b.off >= len(b.src.body) {
		return 0, io.EOF
	}
	n := copy(p, b.src.body[b.off:])
	b.off += n
	return n, nil
}

func (b *bodyReader) Close() error { return nil }

// keptBody passes the app's body through and keeps its first max bytes and
// its first read error other than io.EOF.
type keptBody struct {
	rc        io.ReadCloser
	max       int
	kept      []byte
	truncated bool
	err       error
}

func (k *keptBody) Read(p []byte) (int, error) {
	n, err := k.rc.Read(p)
	if n > 0 {
		room := k.max - len(k.kept)
		switch {
		case room >= n:
			k.kept = append(k.kept, p[:n]...)
		default:
			k.kept = append(k.kept, p[:max(room, 0)]...)
			k.truncated = true
		}
	}
	if err != nil && err != io.EOF && k.err == nil { //nolint:errorlint // io.EOF is returned unwrapped by contract
		k.err = err
	}
	return n, err
}

func (k *keptBody) Close() error { return k.rc.Close() }

// Ensure Forwarder is a receiver.Handoff.
var _ receiver.Handoff = (*Forwarder)(nil)
