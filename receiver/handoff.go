package receiver

import (
	"log/slog"
	"net/http"
	"path"
	"time"
)

// Delivery is what the receiver learned about one request, handed to the
// Config's Forward, Exec and Observe hooks. Body and Request are valid only
// during the call: the body's buffer is reused for the next delivery, so a
// hook that keeps the body copies it.
type Delivery struct {
	// Seq numbers the deliveries of this Receiver from 1, in the order
	// their handling began (health checks are not numbered).
	Seq      uint64
	Received time.Time
	Request  *http.Request
	// Body is what was read of the body: all of it, or less when it was
	// refused before or while it was read (see BodyRead).
	Body []byte
	// BodyRead reports whether the whole body was read.
	BodyRead bool
	// The verdict: the status and reason hooklab gave the delivery (before
	// any handoff), with what it found in it.
	Status     int
	Reason     Reason
	Detail     string
	Provider   string
	Event      string
	Action     string
	ID         string
	Summary    string
	Redelivery bool
	// Header names the signature header a 401 is about.
	Header string
	// Duration is how long hooklab took to reach its verdict, reading the
	// body included.
	Duration time.Duration
	// Forward and Exec are the handoffs' results, set for Observe when
	// they ran.
	Forward *ForwardResult
	Exec    *ExecResult
	// Answered is the status the sender was finally answered with: the
	// verdict's, the app's, a handoff failure's or a scripted one; 0 when
	// the connection was dropped without an answer (Dropped).
	Answered int
	Dropped  bool
	// Attempt counts the verified deliveries with this ID so far (1 for
	// the first); SincePrevious is the time since the one before, when
	// Attempt > 1. A sender's retries show here.
	Attempt       int
	SincePrevious time.Duration
	// Explanation says why the signature failed, when a known cause holds.
	Explanation string
	// Warnings say what the signature was accepted with although an
	// official library of the provider would refuse it ("X-Hub-Signature-256:
	// accepted; octokit would refuse uppercase hex"); nil when nothing.
	Warnings []string
}

// Verified reports whether the delivery passed every check.
func (d *Delivery) Verified() bool { return d.Reason == ReasonOK }

// A Handoff takes a delivery that hooklab accepted (or, with
// Config.HandoffRefused, refused after reading its body) further: to the
// user's app (package forward) or to a program (package command).
type Handoff interface {
	// Handoff handles d. When the outcome says Answered, it wrote the
	// answer to w itself (the app's answer, passed through); otherwise the
	// receiver answers with the outcome's Reason and Detail. d.Forward is
	// set when a forward ran before it, and then the sender has already
	// been answered: a Handoff must not write to w then.
	Handoff(w http.ResponseWriter, r *http.Request, d *Delivery) Outcome
}

// Outcome is what a Handoff did.
type Outcome struct {
	// Answered reports that the handoff wrote the answer, with Status.
	Answered bool
	Status   int
	// Reason and Detail are what the receiver answers with when the
	// handoff did not (ReasonOK, ReasonForwardFailed, ReasonExecTimeout, ...).
	// Empty Reason keeps hooklab's own verdict.
	Reason Reason
	Detail string
	// RetryAfter is sent as the Retry-After header with a busy reason.
	RetryAfter string
	Forward    *ForwardResult
	Exec       *ExecResult
}

// ForwardResult is what happened when a delivery was forwarded to the app.
type ForwardResult struct {
	URL string
	// Status is the app's answer's status; 0 when it gave none.
	Status int
	// Reason is set when the app gave no answer (ReasonForwardFailed,
	// ReasonForwardTimeout) or the forward was not tried (ReasonForwardBusy).
	Reason Reason
	// Error says why, for people: the cause of a failure.
	Error   string
	Latency time.Duration
	// Header and Body are the app's answer: Body at most as many bytes as
	// the forwarder keeps (BodyTruncated says it was cut).
	Header        http.Header
	Body          []byte
	BodyTruncated bool
}

// ExecResult is what happened when a program was run for a delivery.
type ExecResult struct {
	Program string
	// Queued reports that the program was queued to run after the answer
	// (--exec-async, or with a forward); the other fields are then empty
	// until it ran.
	Queued bool
	// ExitCode is the program's exit status; -1 when it did not exit by
	// itself (killed at the timeout, or never started).
	ExitCode int
	// Reason is ReasonOK, ReasonExecFailed, ReasonExecTimeout or
	// ReasonExecBusy.
	Reason Reason
	// Error says why the program failed, for people.
	Error    string
	Duration time.Duration
	// Stdout and Stderr are the program's output, each cut at the runner's
	// limit (Truncated says one was).
	Stdout, Stderr []byte
	Truncated      bool
}

// hooked reports whether deliveries go through handoff: anything more than
// verify, answer and log.
func (rc *Receiver) hooked() bool {
	return rc.observe != nil || rc.forward != nil || rc.exec != nil || len(rc.events) > 0 || rc.respond != nil
}

// matchEvent reports whether event is one of Config.Events.
func (rc *Receiver) matchEvent(event string) bool {
	for _, pattern := range rc.events {
		if ok, _ := path.Match(pattern, event); ok {
			return true
		}
	}
	return false
}

// handoff answers d through the hooks: the event filter, Forward, Exec,
// then Observe, and logs it. Without hooks, ServeHTTP answers and logs d
// itself, with nothing allocated.
func (rc *Receiver) handoff(w http.ResponseWriter, r *http.Request, d *delivery, start time.Time) {
	if d.verified && len(rc.events) > 0 && !rc.matchEvent(d.event) {
		d.reason, d.detail = ReasonIgnoredEvent, ""
	}
	info := d.reason.Info()
	hd := &Delivery{
		Seq: rc.seq.Add(1), Received: start, Request: r, Body: d.buf, BodyRead: d.bodyRead,
		Status: info.Status, Reason: d.reason, Detail: d.detail, Provider: rc.provider.Name,
		Event: d.event, Action: d.summary.Action, ID: d.id, Summary: d.summary.Text, Redelivery: d.redelivery,
		Header: d.header, Duration: rc.now().Sub(start), Answered: info.Status,
		Attempt: d.attempt, SincePrevious: d.since, Explanation: d.why,
		Warnings: d.warnings,
	}
	// a is the answer hooklab writes, unless a handoff wrote the app's.
	a, written, settled := *d, false, false
	settle := func(out Outcome) {
		settled = true
		switch {
		case out.Answered:
			written, hd.Answered = true, out.Status
		case out.Reason != "":
			a.reason, a.detail, a.retryAfter = out.Reason, out.Detail, out.RetryAfter
			hd.Answered = out.Reason.Info().Status
		}
	}
	accepted := d.reason == ReasonOK
	// A refused delivery's event is the sender's word only, but --events
	// is a filter, not a check: it limits what is forwarded all the same.
	refusedWanted := rc.handoffAll && !d.verified && d.bodyRead && (len(rc.events) == 0 || rc.matchEvent(d.event))
	if rc.forward != nil && (accepted || refusedWanted) {
		out := rc.forward.Handoff(w, r, hd)
		hd.Forward = out.Forward
		settle(out)
	}
	if rc.exec != nil && accepted {
		out := rc.exec.Handoff(w, r, hd)
		hd.Exec = out.Exec
		if !settled {
			settle(out)
		}
	}
	if rc.respond != nil && d.verified && !written {
		sc := rc.respond.Respond(hd)
		if sc.Delay > 0 {
			wait(r, sc.Delay)
		}
		switch {
		case sc.Drop:
			written, hd.Dropped, hd.Answered = true, true, 0
		default:
			a.scripted = &sc
			if sc.Status != 0 {
				hd.Answered = sc.Status
			}
		}
	}
	if !written {
		rc.answer(w, &a)
	}
	var shown string
	if rc.observe != nil {
		shown = rc.observe(hd)
	}
	rc.record(r, d, start, hd, shown)
	if hd.Dropped {
		drop(w)
	}
}

// wait waits for d, or until the sender hangs up.
func wait(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// drop closes the sender's connection without an answer, as a receiver
// that crashed would: taken over from net/http and closed, or, where it
// cannot be taken over, aborted.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// appendHandoffAttrs appends to attrs what the handoffs did and the status
// answered, when it is not the verdict's.
func appendHandoffAttrs(attrs []slog.Attr, hd *Delivery) []slog.Attr {
	if hd.Answered != hd.Status {
		attrs = append(attrs, slog.Int(KeyAnswered, hd.Answered))
	}
	if hd.Dropped {
		attrs = append(attrs, slog.Bool(KeyDropped, true))
	}
	if f := hd.Forward; f != nil {
		if f.Status != 0 {
			attrs = append(attrs, slog.Int(KeyAppStatus, f.Status))
		}
		if f.Reason != "" {
			attrs = append(attrs, slog.String(KeyAppReason, string(f.Reason)))
		}
		if f.Error != "" {
			attrs = append(attrs, slog.String(KeyAppError, f.Error))
		}
		attrs = append(attrs, slog.Float64(KeyAppDuration, float64(f.Latency.Microseconds())/1000))
	}
	if x := hd.Exec; x != nil {
		switch {
		case x.Queued:
			attrs = append(attrs, slog.Bool(KeyExecQueued, true))
		default:
			attrs = append(attrs, slog.Int(KeyExecExit, x.ExitCode),
				slog.Float64(KeyExecDuration, float64(x.Duration.Microseconds())/1000))
			if x.Reason != "" && x.Reason != ReasonOK {
				attrs = append(attrs, slog.String(KeyExecReason, string(x.Reason)))
			}
			if x.Error != "" {
				attrs = append(attrs, slog.String(KeyExecError, x.Error))
			}
			if len(x.Stdout) > 0 {
				attrs = append(attrs, slog.String(KeyExecStdout, string(x.Stdout)))
			}
			if len(x.Stderr) > 0 {
				attrs = append(attrs, slog.String(KeyExecStderr, string(x.Stderr)))
			}
		}
	}
	return attrs
}

// NextSeq takes the next delivery number for a request that hooklab sends
// itself and the receiver never sees (a replay from the inspector straight
// to the app), so that its record does not share a number.
func (rc *Receiver) NextSeq() uint64 { return rc.seq.Add(1) }

// A Responder scripts the answer a verified delivery gets, to test how a
// sender retries (listen --respond, --delay, --drop; package respond).
// Verification still happens and is logged; the scripted answer replaces
// what is sent back.
type Responder interface {
	// Respond returns the scripted answer for d, which was verified.
	// It is called once per verified delivery, after any handoff.
	Respond(d *Delivery) Scripted
}

// Scripted is a scripted answer. Its zero value keeps hooklab's answer.
type Scripted struct {
	// Status replaces the answer's status; 0 keeps it.
	Status int
	// Header lines are added to the answer.
	Header [][2]string
	// Body replaces hooklab's JSON answer when not nil.
	Body []byte
	// Delay is waited before answering (or dropping).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
}

// An Explainer says why a signature did not match (package diagnose):
// which of the known causes holds, verified by recomputing the MAC, or
// "" when none does. It is called only for signature_mismatch, with the
// whole body (a stale timestamp is refused before the body is read, and
// its detail already says by how much and what the likely cause is).
type Explainer func(h http.Header, body []byte, now time.Time) string
