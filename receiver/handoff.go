package receiver

import (
	"net/http"
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
	// verdict's, the app's, or a handoff failure's.
	Answered int
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
