// Package receiver is hooklab's verifying webhook receiver: an http.Handler
// that checks each delivery in a fixed order (path and method, length,
// size, signature, body, content type, event), answers with an exact status
// and a machine-readable reason, routes verified deliveries by event type
// and logs one structured record per request.
//
// The body is read once, hashed as it is read, and never parsed before its
// signature holds.
package receiver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

// Defaults for Config fields left zero.
const (
	DefaultPath             = "/webhook"
	DefaultMaxBody          = 25 << 20 // GitHub caps payloads at 25 MB.
	DefaultRecentDeliveries = 10000
	HealthPath              = "/healthz"
)

// Header names GitHub routes by; other providers' are in package provider.
const (
	EventHeader    = "X-GitHub-Event"
	DeliveryHeader = "X-GitHub-Delivery"
)

// Config configures a Receiver. Scheme is required; the rest have defaults.
type Config struct {
	// Scheme verifies signatures. It holds the secret.
	Scheme signing.Scheme
	// Path is where deliveries are posted (DefaultPath).
	Path string
	// MaxBody is the largest body accepted, in bytes (DefaultMaxBody).
	MaxBody int64
	// AllowChunked accepts bodies without a Content-Length, still capped
	// by MaxBody. Off by default: GitHub always sends a Content-Length.
	AllowChunked bool
	// Logger gets one record per request. Nil discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
	// RecentDeliveries is how many delivery ids are remembered to spot
	// redeliveries (DefaultRecentDeliveries).
	RecentDeliveries int
	// MaxInflight is how many bytes of bodies over 64 KiB may be held at
	// once (DefaultMaxInflight); past it, new large deliveries get 503 with
	// Retry-After. Negative means no limit.
	MaxInflight int64

	// Forward, when set, takes every verified delivery (see Events) to the
	// user's app, whose answer the sender gets (package forward).
	Forward Handoff
	// Exec, when set, runs a program for every verified delivery (see
	// Events) after Forward (package command).
	Exec Handoff
	// HandoffRefused hands refused deliveries to Forward too (listen
	// --forward-all): those refused after their body was read, and those
	// with a missing, malformed or stale signature, whose body is then
	// read anyway. The app's answer goes back to the sender.
	HandoffRefused bool
	// Events, when not empty, are the event types (path.Match patterns,
	// "*" for all) that are forwarded, run and observed as shown; other
	// verified deliveries are answered 200 ignored_event.
	Events []string
	// Observe, when set, sees every delivery (not health checks) once it
	// was answered, before it is logged. What it returns, when not empty,
	// is printed under the delivery's log line (listen --show); it must be
	// terminal-safe. d and its Body are valid only during the call.
	Observe func(d *Delivery) (shown string)
	// FirstSeq is the number before the first delivery's Seq: a capture
	// file appended to goes on from its last record.
	FirstSeq uint64
	// Respond, when set, scripts the answers of verified deliveries
	// (listen --respond, --delay, --drop).
	Respond Responder
	// Explain, when set, says why a signature failed: in the log, and in
	// the answer too with ExplainInAnswer. A listener reachable from other
	// machines must not answer with it: it would be an oracle for forging.
	Explain         Explainer
	ExplainInAnswer bool
}

// Receiver is the webhook http.Handler. Build it with New. It is safe for
// concurrent use.
type Receiver struct {
	scheme       signing.Scheme
	provider     provider.Provider
	path         string
	maxBody      int64
	allowChunked bool
	log          *slog.Logger
	now          func() time.Time
	recent       *recentIDs
	stats        *Stats
	bodies       bufferPool // body buffers, up to eagerAlloc
	inflight     *budget
	forward      Handoff
	exec         Handoff
	handoffAll   bool
	events       []string
	observe      func(*Delivery) string
	respond      Responder
	explain      Explainer
	explainOut   bool
	seq          atomic.Uint64
	// The provider's request headers, canonical, so that they are looked
	// up without canonicalizing them on every request.
	eventKey, deliveryKey, fallbackKey string
}

// New returns a Receiver for cfg. It fails when cfg has no Scheme or a
// negative MaxBody.
func New(cfg Config) (*Receiver, error) {
	if cfg.Scheme == nil {
		return nil, signing.ErrNoSecret
	}
	if cfg.MaxBody < 0 {
		return nil, errors.New("receiver: MaxBody must not be negative")
	}
	prov, err := provider.Lookup(cfg.Scheme.Name())
	if err != nil {
		return nil, err
	}
	rc := &Receiver{
		scheme:       cfg.Scheme,
		provider:     prov,
		path:         cfg.Path,
		maxBody:      cfg.MaxBody,
		allowChunked: cfg.AllowChunked,
		log:          cfg.Logger,
		now:          cfg.Now,
		recent:       newRecentIDs(cfg.RecentDeliveries),
		stats:        newStats(),
		eventKey:     http.CanonicalHeaderKey(prov.EventHeader),
		deliveryKey:  http.CanonicalHeaderKey(prov.DeliveryHeader),
		fallbackKey:  http.CanonicalHeaderKey(prov.DeliveryFallback),
		forward:      cfg.Forward,
		exec:         cfg.Exec,
		handoffAll:   cfg.HandoffRefused && cfg.Forward != nil,
		events:       cfg.Events,
		observe:      cfg.Observe,
		respond:      cfg.Respond,
		explain:      cfg.Explain,
		explainOut:   cfg.ExplainInAnswer,
	}
	rc.seq.Store(cfg.FirstSeq)
	for _, pattern := range cfg.Events {
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("receiver: event pattern %q: %w", pattern, err)
		}
	}
	if rc.path == "" {
		rc.path = DefaultPath
	}
	if rc.maxBody == 0 {
		rc.maxBody = DefaultMaxBody
	}
	if rc.log == nil {
		rc.log = slog.New(slog.DiscardHandler)
	}
	if rc.now == nil {
		rc.now = time.Now
	}
	rc.bodies.max = eagerAlloc
	rc.inflight = &budget{max: cfg.MaxInflight}
	if cfg.MaxInflight == 0 {
		rc.inflight.max = DefaultMaxInflight
	}
	if cfg.RecentDeliveries == 0 {
		rc.recent = newRecentIDs(DefaultRecentDeliveries)
	}
	return rc, nil
}

// Stats returns the counts of answers so far, by status and by event.
func (rc *Receiver) Stats() StatsSnapshot { return rc.stats.snapshot() }

// delivery is what the pipeline learns about one request, for the answer
// and the log record.
type delivery struct {
	reason     Reason
	detail     string // overrides the reason's sentence when set
	event      string
	id         string
	summary    Summary
	redelivery bool
	bytes      int64
	// For 401s: what helps to debug without leaking anything.
	header     string
	bodySHA256 string
	health     bool          // a health check, not a delivery
	buf        []byte        // the body's buffer, for the pool
	bufHolder  *[]byte       // what buf goes back to the pool in
	reserved   int64         // bytes of the in-flight budget held
	attempt    int           // of this delivery id, verified
	since      time.Duration // since the id's previous attempt
	why        string        // why the signature failed, when known
	bodyRead   bool          // the whole body was read
	verified   bool          // the signature and the payload held
	retryAfter string        // a Retry-After header for a handoff's busy answer
	scripted   *Scripted     // a scripted answer (Config.Respond)
	// What the signature was accepted with although an official library
	// of the provider would refuse it (signing.Warnings); nil, as on the
	// common path, when nothing.
	warnings []string
}

// ServeHTTP runs the pipeline. The order matters: everything that can be
// refused without the body is refused before a byte of it is read.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := rc.now()
	var dv delivery // on the stack: nothing keeps it past the request
	var d *delivery
	if r.URL.Path == HealthPath {
		d = rc.health(w, r, &dv)
	} else {
		d = rc.process(w, r, &dv)
	}
	if d.health || !rc.hooked() {
		rc.answer(w, d)
		rc.record(r, d, start, nil, "")
		rc.release(d)
		return
	}
	// The hooks run other packages' code: whatever happens in them (a
	// forward aborting the answer panics), the body's buffer and its share
	// of the in-flight budget are given back.
	defer rc.release(d)
	rc.handoff(w, r, d, start)
}

// release gives back what d holds: its body's buffer and its share of the
// in-flight budget. Every string kept from the body (summary, event, id)
// was copied out of it by the JSON decoder, and the answer and the record
// are written.
func (rc *Receiver) release(d *delivery) {
	rc.bodies.put(d.bufHolder, d.buf)
	d.bufHolder, d.buf = nil, nil
	rc.inflight.release(d.reserved)
	d.reserved = 0
}

// health answers GET /healthz. Health checks are logged but not counted
// in Stats, which are about deliveries.
func (rc *Receiver) health(w http.ResponseWriter, r *http.Request, d *delivery) *delivery {
	*d = delivery{health: true, bytes: r.ContentLength}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		closeUnread(w, r)
		w.Header().Set("Allow", "GET, HEAD")
		d.reason, d.detail = ReasonMethodNotAllowed, "health checks are GET requests; see the Allow header"
		return d
	}
	d.reason, d.detail = ReasonOK, "healthy"
	return d
}

// process runs the pipeline of a delivery into d, and returns d.
func (rc *Receiver) process(w http.ResponseWriter, r *http.Request, d *delivery) *delivery {
	// Until the signature holds, only headers name the event and the id,
	// for the log; the body is not looked at.
	*d = delivery{bytes: r.ContentLength}
	if rc.provider.EventHeader != "" {
		d.event = headerValue(r.Header, rc.eventKey)
	}
	if rc.provider.DeliveryHeader != "" {
		if d.id = headerValue(r.Header, rc.deliveryKey); d.id == "" && rc.provider.DeliveryFallback != "" {
			d.id = headerValue(r.Header, rc.fallbackKey)
		}
	}
	fail := func(reason Reason, detail string) *delivery {
		d.reason, d.detail = reason, detail
		return d
	}
	// refuse is fail for steps 1 to 4, which answer before the body is read.
	refuse := func(reason Reason, detail string) *delivery {
		closeUnread(w, r)
		return fail(reason, detail)
	}

	// 1. Path and method.
	if r.URL.Path != rc.path {
		return refuse(ReasonNotFound, "nothing here: deliveries go to "+rc.path+", health checks to "+HealthPath)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return refuse(ReasonMethodNotAllowed, "")
	}

	// 2. Length: a declared Content-Length, or chunked when that is
	// allowed. A body with neither has no end that HTTP can see, so it is
	// refused either way.
	declared := r.ContentLength >= 0 && len(r.TransferEncoding) == 0 && headerValue(r.Header, "Content-Length") != ""
	chunked := len(r.TransferEncoding) > 0
	switch {
	case chunked && !rc.allowChunked:
		return refuse(ReasonLengthRequired, "the body was sent with Transfer-Encoding: chunked; send it with a Content-Length (or start listen with --allow-chunked)")
	case !declared && !chunked && rc.allowChunked:
		return refuse(ReasonLengthRequired, "send the body with a Content-Length header, or chunked")
	case !declared && !chunked:
		return refuse(ReasonLengthRequired, "")
	}

	// 3. Size, from the declaration alone.
	if declared && r.ContentLength > rc.maxBody {
		return refuse(ReasonBodyTooLarge, "Content-Length "+strconv.FormatInt(r.ContentLength, 10)+
			" is over the limit of "+strconv.FormatInt(rc.maxBody, 10)+" bytes (--max-body); the body was not read")
	}

	// 4. Signature header, before the body; with --forward-all a bad one
	// is noted, and the body read anyway for the app.
	v, err := rc.scheme.Begin(r.Header, rc.now())
	var early error
	if err != nil {
		d.header = rc.faultyHeader(err)
		if !rc.handoffAll {
			return refuse(signatureReason(err), signatureDetail(err))
		}
		early, v = err, nil
	}
	defer signing.Release(v) // nothing below keeps v

	// The in-flight budget, for large bodies; what a chunked body will
	// take is not known, so it reserves the most it may take.
	reserve := r.ContentLength
	if !declared {
		reserve = rc.maxBody
	}
	if !rc.inflight.acquire(reserve) {
		w.Header().Set("Retry-After", "1")
		return refuse(ReasonOverloaded, "")
	}
	d.reserved = reserve

	// 5. The body, hashed as it is read; except for Gitea's form mode, which
	// signs the JSON inside the form, hashed once the form is decoded.
	formSigned := rc.provider.FormSignsPayload && isForm(headerValue(r.Header, "Content-Type"))
	hashWhileReading := io.Writer(v)
	if formSigned || v == nil {
		hashWhileReading = io.Discard
	}
	d.bufHolder = rc.bodies.get()
	body, err := readBody(r.Body, r.ContentLength, declared, rc.maxBody, hashWhileReading, *d.bufHolder)
	d.buf = body
	d.bytes = int64(len(body))
	switch {
	case errors.Is(err, errTooLarge):
		return fail(ReasonBodyTooLarge, "the body grew past the limit of "+strconv.FormatInt(rc.maxBody, 10)+" bytes (--max-body)")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fail(ReasonBodyTimeout, "")
	case err != nil && !declared:
		return fail(ReasonBodyIncomplete, "the chunked body ended early or is not well chunked, after "+strconv.Itoa(len(body))+" bytes")
	case err != nil:
		return fail(ReasonBodyIncomplete, "the body ended after "+strconv.Itoa(len(body))+" of "+
			strconv.FormatInt(r.ContentLength, 10)+" declared bytes; the client stopped early or declared the wrong length")
	}
	d.bodyRead = true
	if early != nil {
		return fail(signatureReason(early), signatureDetail(early))
	}

	if formSigned {
		signed := body
		if p, err := formPayload(body); err == nil {
			signed = p
		}
		v.Write(signed)
	}

	// 6. Signature against the body.
	if err := v.Verify(); err != nil {
		d.header = rc.faultyHeader(err)
		if rc.explain != nil && errors.Is(err, signing.ErrMismatch) {
			d.why = rc.explain(r.Header, body, rc.now())
		}
		if rc.provider.SignsBody {
			sum := sha256.Sum256(body)
			d.bodySHA256 = hex.EncodeToString(sum[:])
		}
		return fail(signatureReason(err), signatureDetail(err))
	}
	d.warnings = signing.Warnings(v)

	// 7. Content type and coding; only now is the body looked at. An
	// encoded body would only read as invalid JSON, which says nothing.
	if ce := headerValue(r.Header, "Content-Encoding"); ce != "" && !strings.EqualFold(strings.TrimSpace(ce), "identity") {
		return fail(ReasonContentEncoding, "the body is sent with Content-Encoding: "+term.Sanitize(ce, 40)+"; send it unencoded (the signature covers the bytes as sent, so hooklab does not decode them)")
	}
	payload, form, reason, detail := decodePayload(r.Header.Get("Content-Type"), body)
	if reason == ReasonPayloadMissing && rc.provider.SlashCommands {
		// A Slack slash command is a form of its own fields, with no payload.
		if sum, ok := summarizeSlashCommand(body); ok {
			d.event, d.summary, d.reason, d.verified = "slash_command", sum, ReasonOK, true
			return d
		}
	}
	if reason != "" {
		return fail(reason, detail)
	}

	// 8. JSON and event type. The JSON is checked in the pass that reads
	// the summary; a payload without an event is checked on its own, so
	// that invalid JSON is reported as such whatever else is missing.
	d.event, d.id = rc.provider.Identify(r.Header, payload)
	if d.event == "" {
		if !validJSON(payload) {
			return fail(ReasonInvalidJSON, invalidJSON(form))
		}
		return fail(ReasonEventMissing, "no event type: "+rc.provider.EventSource()+" is missing or empty")
	}
	sum, valid := summarize(rc.provider.Name, d.event, payload)
	if !valid {
		return fail(ReasonInvalidJSON, invalidJSON(form))
	}

	// 9. Route.
	d.summary = sum
	if d.id != "" {
		d.attempt, d.since = rc.recent.add(d.id, rc.now())
		d.redelivery = d.attempt > 1
	}
	d.reason = ReasonOK
	d.verified = true
	return d
}

// headerValue returns the first value of h under key, which must be in
// canonical form: what h.Get(key) returns, without canonicalizing key.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// closeUnread makes the answer to r close the connection when r has a body
// that the answer leaves unread. Otherwise net/http reads up to 256 KiB of
// that body before it writes the answer, so a client that sends its headers
// and waits for the verdict before sending the body would wait until a
// timeout for a refusal that needs no body. net/http itself closes the
// connection this way after an Expect: 100-continue request whose body was
// never asked for. The answer goes out at once; after it, net/http still
// reads up to 256 KiB of the body before closing (until the read timeout
// for a client that never sends it), so that closing with unread data
// does not reset the connection before the client has read the answer.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 { // declared, or -1 for chunked
		w.Header().Set("Connection", "close")
	}
}

// signatureReason maps a signing error to its reason.
func signatureReason(err error) Reason {
	switch {
	case errors.Is(err, signing.ErrMissing):
		return ReasonSignatureMissing
	case errors.Is(err, signing.ErrMalformed):
		return ReasonSignatureMalformed
	case errors.Is(err, signing.ErrMismatch):
		return ReasonSignatureMismatch
	case errors.Is(err, signing.ErrTimestamp):
		return ReasonTimestampOutOfRange
	default:
		return ReasonNoSecret
	}
}

// faultyHeader names the header a signing error is about: the timestamp
// header of a stale delivery, svix-signature for a Svix one, and the
// scheme's signature header when the error does not say.
func (rc *Receiver) faultyHeader(err error) string {
	var se *signing.Error
	if errors.As(err, &se) && se.Header != "" {
		return se.Header
	}
	return rc.scheme.SignatureHeader()
}

// signatureDetail is the developer-facing sentence for a signing error.
// signing's errors never hold the secret or the expected MAC.
func signatureDetail(err error) string {
	var se *signing.Error
	if errors.As(err, &se) {
		return se.Header + ": " + se.Detail
	}
	return ""
}

var (
	errTooLarge   = errors.New("body too large")
	errIncomplete = errors.New("body incomplete")
)

// readChunk is how much is read (and hashed) at a time.
const readChunk = 32 << 10

// eagerAlloc is how much of a declared length is allocated before any of
// the body has arrived, so that a client that declares a large body and
// sends nothing holds little memory. Once a declared body outgrows it, the
// buffer grows once to the declared length (which the in-flight budget has
// reserved): growing by doubling would hold the old buffer and the new one
// during each copy, up to 1.6 times the body, memory the budget does not
// count.
const eagerAlloc = 1 << 20

// readBody reads the body once, writing each chunk into v as it arrives.
// It reads into buf when buf is large enough to start with (a pooled
// buffer), else into a new one.
// With a declared length it reads exactly that many bytes and fails with
// errIncomplete (or the read error, such as a deadline) when the body ends
// early; otherwise it reads at most max bytes and fails with errTooLarge
// past that. It returns what it read in every case.
func readBody(r io.Reader, length int64, declared bool, max int64, v io.Writer, buf []byte) ([]byte, error) {
	limit := max + 1
	if declared {
		limit = length
	}
	if want := min(limit, eagerAlloc); int64(cap(buf)) < want {
		buf = make([]byte, 0, want)
	}
	buf = buf[:0]
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			// A declared length at once; otherwise doubling, but never
			// past the limit: append's own growth would overshoot by up to
			// a quarter, memory the in-flight budget does not count.
			next := min(2*int64(cap(buf))+readChunk, limit)
			if declared {
				next = limit
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		end := min(cap(buf), len(buf)+readChunk, int(limit))
		n, err := r.Read(buf[len(buf):end])
		v.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if err == nil {
			continue
		}
		switch {
		case !errors.Is(err, io.EOF):
			return buf, err
		case declared && int64(len(buf)) < length:
			return buf, errIncomplete
		}
		break
	}
	if !declared && int64(len(buf)) > max {
		return buf[:max], errTooLarge
	}
	return buf, nil
}

// answer writes the JSON answer for d.
func (rc *Receiver) answer(w http.ResponseWriter, d *delivery) {
	info := d.reason.Info()
	a := answer{Status: info.Status, Reason: d.reason, Message: info.Message}
	if d.detail != "" {
		a.Message = d.detail
	}
	if d.why != "" && rc.explainOut {
		a.Why = d.why
	}
	a.Warnings = d.warnings
	if d.verified && d.event != "" {
		a.Event, a.Action, a.Summary, a.Delivery, a.Redelivery = d.event, d.summary.Action, d.summary.Text, d.id, d.redelivery
		a.Challenge = d.summary.challenge
	}
	bp := answerBufs.get()
	b := append(appendAnswer(*bp, &a), '\n')
	h := w.Header()
	// Canonical keys and shared values: what h.Set would store, without
	// canonicalizing the keys or allocating the values on every request.
	h["Content-Type"] = headerJSON
	h["X-Content-Type-Options"] = headerNosniff
	h["Cache-Control"] = headerNoStore
	if d.retryAfter != "" {
		h.Set("Retry-After", d.retryAfter)
	}
	status := info.Status
	if sc := d.scripted; sc != nil {
		// A scripted answer: its status, its headers, its body if it has
		// one (else hooklab's, which still says what hooklab found).
		if sc.Status != 0 && sc.Status != status {
			status = sc.Status
			if sc.Body == nil {
				a.Status, a.Message = status, "delivery verified ("+info.Message+"); answered "+strconv.Itoa(status)+" as listen --respond scripts"
				b = append(appendAnswer(b[:0], &a), '\n')
			}
		}
		for _, kv := range sc.Header {
			h.Add(kv[0], kv[1])
		}
		if sc.Body != nil {
			h.Del("Content-Type")
			b = append(b[:0], sc.Body...)
		}
	}
	w.WriteHeader(status)
	w.Write(b)
	answerBufs.put(bp, b)
}

// The values of the headers of every answer. They are shared by all
// answers and never changed: each has capacity 1, so an Add to one of
// them copies it first.
var (
	headerJSON    = []string{"application/json"}
	headerNosniff = []string{"nosniff"}
	headerNoStore = []string{"no-store"}
)

// answerBufs holds the buffers answers are written in; one longer than
// 4 KiB (a long Slack challenge) is left to the collector.
var answerBufs = bufferPool{max: 4 << 10}

// answer is the JSON body of every response.
type answer struct {
	Status     int    `json:"status"`
	Reason     Reason `json:"reason"`
	Message    string `json:"message"`
	Event      string `json:"event,omitempty"`
	Action     string `json:"action,omitempty"`
	Summary    string `json:"summary,omitempty"`
	Delivery   string `json:"delivery,omitempty"`
	Redelivery bool   `json:"redelivery,omitempty"`
	// Challenge echoes a Slack url_verification request's challenge, which
	// is how Slack checks a new endpoint.
	Challenge string `json:"challenge,omitempty"`
	// Why says why a signature failed, when a known cause holds and the
	// listener may say so (Config.ExplainInAnswer).
	Why string `json:"why,omitempty"`
	// Warnings say what the signature was accepted with although an
	// official library of the provider would refuse it.
	Warnings []string `json:"warnings,omitempty"`
}

// record logs d and counts it. hd, when not nil, is what the hooks saw
// (its handoffs' results and the status finally answered); shown is
// printed under the log line.
func (rc *Receiver) record(r *http.Request, d *delivery, start time.Time, hd *Delivery, shown string) {
	info := d.reason.Info()
	answered := info.Status
	if hd != nil {
		answered = hd.Answered
	}
	if !d.health {
		rc.stats.add(answered, d.event, d.verified)
	}
	elapsed := rc.now().Sub(start)
	var attrsArray [32]slog.Attr // room for every attribute, on the stack
	attrs := append(attrsArray[:0],
		slog.Int(KeyStatus, info.Status),
		slog.String(KeyProvider, rc.provider.Name),
		slog.String(KeyEvent, d.event),
		slog.String(KeyAction, d.summary.Action),
		slog.String(KeyDelivery, d.id),
		slog.Int64(KeyBytes, d.bytes),
		slog.Float64(KeyDuration, float64(elapsed.Microseconds())/1000),
		slog.String(KeyRemote, r.RemoteAddr),
		slog.String(KeyMethod, r.Method),
		slog.String(KeyPath, r.URL.Path),
	)
	level := slog.LevelInfo
	msg := MsgDelivery
	if d.health {
		msg = MsgHealth
	}
	if d.reason == ReasonOK || d.reason == ReasonIgnoredEvent {
		attrs = append(attrs, slog.String(KeySummary, d.summary.Text))
		if d.redelivery {
			attrs = append(attrs, slog.Bool(KeyRedelivery, true))
			msg = MsgRedelivery
		}
	}
	if d.reason != ReasonOK {
		if !d.verified {
			level = slog.LevelWarn
		}
		if info.Status >= 500 {
			level = slog.LevelError
		}
		detail := d.detail
		if detail == "" {
			detail = info.Message
		}
		attrs = append(attrs, slog.String(KeyReason, string(d.reason)), slog.String(KeyDetail, detail))
		if d.header != "" {
			attrs = append(attrs, slog.String(KeyHeader, d.header))
		}
		if d.bodySHA256 != "" {
			attrs = append(attrs, slog.String(KeyBodySHA256, d.bodySHA256))
		}
		if d.why != "" {
			attrs = append(attrs, slog.String(KeyWhy, d.why))
		}
	}
	if len(d.warnings) > 0 {
		attrs = append(attrs, slog.Any(KeyWarnings, d.warnings))
	}
	if d.attempt > 1 {
		attrs = append(attrs, slog.Int(KeyAttempt, d.attempt), slog.Float64(KeySince, float64(d.since.Microseconds())/1000))
	}
	if hd != nil {
		attrs = append(attrs, slog.Uint64(KeySeq, hd.Seq))
		attrs = appendHandoffAttrs(attrs, hd)
		if (hd.Answered >= 500 || (hd.Forward != nil && hd.Forward.Reason != "")) && level < slog.LevelWarn {
			level = slog.LevelWarn
		}
	}
	if shown != "" {
		attrs = append(attrs, slog.String(KeyShown, shown))
	}
	if h, ok := rc.log.Handler().(*JSONHandler); ok && h.logAttrs(r.Context(), level, msg, attrs) {
		return
	}
	rc.log.LogAttrs(r.Context(), level, msg, attrs...)
}
