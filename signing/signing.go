// Package signing signs webhook bodies and verifies their signatures.
//
// It is pure: bytes, headers, secrets and the time go in, headers and errors
// come out. Each provider's convention is a [Scheme]. A receiver calls
// [Scheme.Begin] with the request headers before it reads the body, so that a
// missing or malformed signature is refused without reading anything, then
// writes the raw body into the returned [Verifier] as it reads it and calls
// [Verifier.Verify] at the end. The body is hashed exactly as it arrived: it
// is never parsed or re-encoded first.
//
// Errors wrap one of the sentinel errors below (test them with errors.Is) and
// never contain the secret or the expected signature.
package signing

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Sentinel errors. Every error from Begin or Verify wraps exactly one of them.
var (
	// ErrNoSecret means the scheme has no usable secret; nothing verifies.
	ErrNoSecret = errors.New("no secret configured")
	// ErrMissing means the signature header is absent.
	ErrMissing = errors.New("signature missing")
	// ErrMalformed means the signature header is present but not in the
	// scheme's format (wrong prefix, not hex, wrong length, empty).
	ErrMalformed = errors.New("signature malformed")
	// ErrMismatch means the signature is well formed but does not match the
	// body under any configured secret.
	ErrMismatch = errors.New("signature mismatch")
)

// Error is a verification failure: which header was checked and what is
// wrong with it, in words a developer can act on. Kind is one of the
// sentinel errors. Detail never contains a secret or an expected MAC.
type Error struct {
	Kind   error
	Header string
	Detail string
}

// Error returns the kind, the header and the detail, as
// "signature mismatch: X-Hub-Signature-256: the body or the secret differs".
func (e *Error) Error() string {
	if e.Header == "" {
		return e.Kind.Error() + ": " + e.Detail
	}
	return e.Kind.Error() + ": " + e.Header + ": " + e.Detail
}

// Unwrap returns Kind, so errors.Is(err, ErrMismatch) works.
func (e *Error) Unwrap() error { return e.Kind }

// Message is what a sender signs. Schemes use the fields they need: all of
// them sign Body; timestamped schemes also sign Time, and some sign ID.
type Message struct {
	Body []byte
	ID   string
	Time time.Time
}

// Scheme is one provider's signature convention, holding its secrets.
// Implementations are safe for concurrent use.
type Scheme interface {
	// Name is the provider's short name, as on the command line ("github").
	Name() string
	// SignatureHeader is the header that carries the signature Begin checks.
	SignatureHeader() string
	// Sign returns the headers that sign m with the first secret.
	Sign(m Message) (http.Header, error)
	// Begin checks the signature headers of a delivery before its body is
	// read. It fails with ErrMissing or ErrMalformed (and, for timestamped
	// schemes, a stale timestamp) without needing the body. now is the
	// receiver's clock.
	Begin(h http.Header, now time.Time) (Verifier, error)
}

// Verifier takes the raw body as it is read and then says whether the
// signature holds. Writes never fail. A Verifier is used once, by one
// goroutine.
type Verifier interface {
	io.Writer
	// Verify reports whether the bytes written match the signature: nil, or
	// an *Error wrapping ErrMismatch. It is called once, after the whole
	// body was written; a second call, or a Write after it, fails closed.
	Verify() error
}

// Release hands v's memory back for the next delivery, whether or not
// Verify was called. It is optional: a Verifier that is not released is
// left to the garbage collector. After Release, v must not be used, nor
// released again: its memory may already verify another delivery.
func Release(v Verifier) {
	if m, ok := v.(*macVerifier); ok && m != nil {
		m.release()
	}
}

// Warnings returns what a Verifier whose Verify returned nil accepted
// although an official library of its provider would refuse it, one
// sentence each ("X-Hub-Signature-256: accepted; octokit would refuse
// uppercase hex"), so that a sender under test learns it. It is nil, and
// allocates nothing, when there is nothing to say, before Verify, after a
// Verify that failed, and for a Verifier that does not warn. Call it before
// Release.
func Warnings(v Verifier) []string {
	if m, ok := v.(*macVerifier); ok && m != nil {
		return m.Warnings()
	}
	return nil
}

// Verify checks a complete body against its headers: Begin, Write, Verify.
func Verify(s Scheme, h http.Header, body []byte, now time.Time) error {
	_, err := VerifyWarnings(s, h, body, now)
	return err
}

// VerifyWarnings is Verify that also returns the Warnings of a delivery it
// accepts.
func VerifyWarnings(s Scheme, h http.Header, body []byte, now time.Time) ([]string, error) {
	v, err := s.Begin(h, now)
	if err != nil {
		return nil, err
	}
	defer Release(v)
	v.Write(body) //nolint:errcheck // Verifier writes never fail.
	if err := v.Verify(); err != nil {
		return nil, err
	}
	return Warnings(v), nil
}
