package check

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Scenario is one request of the conformance run and the answer a correct
// receiver gives it.
type Scenario struct {
	// Name is the scenario's stable id, for --only, --skip and --expect.
	Name string
	// Sent says in a few words what is sent.
	Sent string
	// Expect is the status hooklab listen answers with, the default
	// expectation.
	Expect []int
	// build makes the request from a valid delivery of the push fixture
	// (or of what the scenario names).
	build func(b *builder) (*sender.Request, error)
	// answered, when set, judges an answer with an expected status further
	// and says why it is still wrong, or "" when it is right.
	answered func(resp *sender.Response) string
	// security marks the signature cases, the security profile's: what
	// every verifying receiver must answer, whatever else it prefers.
	security bool
	// byClass, set by a profile, accepts any status of the expected one's
	// class: any 2xx for a 200, any 4xx for a 401.
	byClass bool
}

// builder makes the requests of one run: a fresh delivery id for each, the
// receiver's URL and size limit, and the shared secret.
type builder struct {
	base      sender.Delivery // Provider, URL, Secret, UserAgent, HookID filled
	newID     func() (string, error)
	now       func() time.Time // signing time
	maxBody   int64
	tolerance time.Duration // the receiver's, for the timestamp scenarios
}

// make builds a valid delivery of fixture with a fresh id, lets change
// alter the delivery (before it is signed) and edit the request (after).
// Either may be nil.
func (b *builder) make(fixture string, change func(*sender.Delivery), edit func(*sender.Request)) (*sender.Request, error) {
	f, ok := fixtures.Lookup(fixture)
	if !ok {
		panic("check: no fixture " + fixture) // the scenario table names only embedded fixtures
	}
	d := b.base
	d.Event, d.Payload, d.Signature, d.ContentType = f.Event, f.Body, sender.SignatureValid, sender.ContentJSON
	d.Time = b.now()
	var err error
	if d.ID, err = b.newID(); err != nil {
		return nil, err
	}
	if change != nil {
		change(&d)
	}
	req, err := d.Request()
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(req)
	}
	return req, nil
}

// push is the common case: a valid push, then edit.
func (b *builder) push(edit func(*sender.Request)) (*sender.Request, error) {
	return b.make("push", nil, edit)
}

// withSignature sets X-Hub-Signature-256 to what f makes of the valid one,
// and drops the legacy header so only the one under test is judged.
func withSignature(f func(valid string) string) func(*sender.Request) {
	return func(r *sender.Request) {
		r.Set(signing.GitHubSignatureHeader, f(r.Get(signing.GitHubSignatureHeader)))
		r.Del(signing.GitHubLegacySignatureHeader)
	}
}

// onlySHA256 drops the legacy header: GitHub's valid signature alone.
func onlySHA256(r *sender.Request) { r.Del(signing.GitHubLegacySignatureHeader) }

// status returns a fresh one-status expectation, so no two scenarios
// share (and could change) one slice.
func status(code int) []int { return []int{code} }

// Scenarios returns the conformance matrix, in the order it runs. The
// expected statuses are hooklab listen's answers; the README's table is
// checked against this one.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "valid-json", security: true, Sent: "a push, JSON, signed with X-Hub-Signature-256", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) { return b.push(onlySHA256) }},
		{Name: "valid-form", Sent: "a push, form-encoded payload=, signed over the form body", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.ContentType = sender.ContentForm }, onlySHA256)
			}},
		{Name: "ping", Sent: "a ping, as GitHub sends first", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) { return b.make("ping", nil, nil) }},
		{Name: "unknown-event", Sent: "a valid delivery of an event type no receiver knows", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.Event = "hooklab_unknown_event" }, nil)
			}},
		{Name: "both-signatures", Sent: "X-Hub-Signature-256 and the legacy X-Hub-Signature, as GitHub sends", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) { return b.push(nil) }},
		{Name: "signature-missing", security: true, Sent: "no signature header", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.Signature = sender.SignatureMissing }, nil)
			}},
		{Name: "wrong-secret", security: true, Sent: "signed with another secret", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.Signature = sender.SignatureWrong }, onlySHA256)
			}},
		{Name: "body-changed", security: true, Sent: "a newline added to the body after signing", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) {
					onlySHA256(r)
					r.Body = append(r.Body[:len(r.Body):len(r.Body)], '\n')
				})
			}},
		{Name: "signature-no-prefix", security: true, Sent: "the hex digest without sha256=", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(withSignature(func(v string) string { return strings.TrimPrefix(v, "sha256=") }))
			}},
		{Name: "signature-not-hex", security: true, Sent: "sha256= and 64 characters that are not hex", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(withSignature(func(string) string { return "sha256=" + strings.Repeat("zz", 32) }))
			}},
		{Name: "signature-truncated", security: true, Sent: "the valid signature cut to 32 hex digits", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(withSignature(func(v string) string { return v[:len("sha256=")+32] }))
			}},
		{Name: "signature-empty", security: true, Sent: "X-Hub-Signature-256 with an empty value", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(withSignature(func(string) string { return "" }))
			}},
		{Name: "sha1-only", Sent: "only the legacy SHA-1 X-Hub-Signature, valid", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) { r.Del(signing.GitHubSignatureHeader) })
			}},
		{Name: "length-missing", Sent: "no Content-Length and no chunking", Expect: status(http.StatusLengthRequired),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthMissing} })
			}},
		{Name: "chunked", Sent: "Transfer-Encoding: chunked", Expect: status(http.StatusLengthRequired),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthChunked} })
			}},
		{Name: "length-over-body", Sent: "Content-Length 100 more than the body, then end of stream", Expect: status(http.StatusBadRequest),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) {
					r.Length = sender.Length{Mode: sender.LengthDeclared, N: int64(len(r.Body)) + 100}
				})
			}},
		{Name: "length-under-body", Sent: "Content-Length 10 less than the body", Expect: status(http.StatusUnauthorized),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) {
					r.Length = sender.Length{Mode: sender.LengthDeclared, N: int64(len(r.Body)) - 10}
				})
			}},
		{Name: "invalid-json", Sent: "a body that is not JSON, validly signed", Expect: status(http.StatusBadRequest),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.Payload = []byte(`{"ref": "refs/heads/main", "commits": [`) }, nil)
			}},
		{Name: "empty-body", Sent: "an empty body, validly signed", Expect: status(http.StatusBadRequest),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push", func(d *sender.Delivery) { d.Payload = []byte{} }, nil)
			}},
		{Name: "event-missing", Sent: "no X-GitHub-Event header", Expect: status(http.StatusBadRequest),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) { r.Del(sender.HeaderEvent) })
			}},
		{Name: "body-too-large", Sent: "Content-Length one byte over the size limit; the body is not sent",
			Expect: status(http.StatusRequestEntityTooLarge),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) {
					r.Body = nil
					r.Length = sender.Length{Mode: sender.LengthDeclared, N: b.maxBody + 1}
				})
			}},
		{Name: "wrong-method", Sent: "GET on the webhook path", Expect: status(http.StatusMethodNotAllowed),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) {
					r.Method, r.Body = http.MethodGet, nil
					r.Length = sender.Length{Mode: sender.LengthMissing}
				})
			}},
		{Name: "wrong-content-type", Sent: "Content-Type text/plain, validly signed", Expect: status(http.StatusUnsupportedMediaType),
			build: func(b *builder) (*sender.Request, error) {
				return b.push(func(r *sender.Request) { r.Set("Content-Type", "text/plain") })
			}},
		{Name: "form-without-payload", Sent: "a form body with no payload field, validly signed", Expect: status(http.StatusBadRequest),
			build: func(b *builder) (*sender.Request, error) {
				return b.make("push",
					func(d *sender.Delivery) { d.Payload = []byte("ref=refs%2Fheads%2Fmain&commits=3") },
					func(r *sender.Request) { r.Set("Content-Type", "application/x-www-form-urlencoded") })
			}},
		{Name: "still-up", Sent: "one more valid push, after all of the above", Expect: status(http.StatusOK),
			build: func(b *builder) (*sender.Request, error) { return b.push(nil) }},
	}
}

// formatStatuses writes statuses as "401" or "400,401".
func formatStatuses(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}
