package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

const (
	envURL     = "HOOKLAB_URL"
	defaultURL = "http://127.0.0.1:8080/webhook"
	// defaultHookID is the X-GitHub-Hook-ID hooklab sends; GitHub's are
	// numbers too.
	defaultHookID = "1"
)

// sendOptions is everything `hooklab send` is told on its command line.
type sendOptions struct {
	Fixture       string
	File, Event   string
	List          bool
	URL           string
	URLSet        bool
	sourceOptions // --secret, --secret-file, --provider, --env-file
	Delivery      string
	Timestamp     int64
	TimestampSet  bool
	SignWithAll   bool
	Headers       []string
	Signature     string
	Length        string
	ContentType   string
	Expect        []string
	JSON          bool
	Color         string
	Timeout       time.Duration
	Load          loadOptions // --count, --concurrency, --rate, --duration: see load.go
	TLS           tlsOptions  // --cacert, --insecure: see tls.go
}

func sendCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "send",
		Usage:     "send a fixture or any payload to a receiver, signed right, wrong or not at all",
		UsageText: "hooklab send [FIXTURE] [--file PATH|- --event TYPE] [--url URL] [--signature valid|wrong|missing] [--length auto|missing|chunked|N] [options]\nhooklab send [FIXTURE] --count N|--duration D [--concurrency C] [--rate R] [options]",
		Description: "Sends a webhook the way the provider (GitHub by default) does, or deliberately not: with a wrong\n" +
			"or missing signature, a missing, chunked or false Content-Length, JSON or form encoded.\n" +
			"With no fixture it sends the provider's first (ping for GitHub; --list shows them all).\n" +
			"Exits 0 when the answer is what --expect says (2xx by default), 1 when it is not or nothing\n" +
			"answered, 2 for bad usage.\n\n" +
			"With --count or --duration it is a load test: every request signed afresh, with a delivery id of\n" +
			"its own, over kept-alive connections; it reports req/s, latency percentiles and the statuses, and\n" +
			"exits 0 only when every answer was what --expect says and nothing failed.\n\n" +
			"Examples:\n" +
			"   hooklab send push                                   # 200 from hooklab listen\n" +
			"   hooklab send push --signature wrong --expect 401    # exit 0: the receiver refused it\n" +
			"   hooklab send --length missing --expect 411\n" +
			"   hooklab send --file payload.json --event deployment --json | jq .status\n" +
			"   hooklab send push --count 20000 --concurrency 32    # a load test\n" +
			"   hooklab send --list",
		OnUsageError: onUsageError,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "url", Value: defaultURL, Usage: "the receiver's `URL` (http or https) [$" + envURL + "]"},
			&cli.StringFlag{Name: "file", Usage: "send the payload in `PATH` byte for byte (- for standard input); needs --event, except for " +
				payloadEventProviders() + " (their event type is in the payload)"},
			&cli.StringFlag{Name: "event", Usage: "the event `TYPE`, sent in the provider's event header, such as X-GitHub-Event (default: the fixture's); " +
				"refused for " + payloadEventProviders() + ", whose event type is in the payload"},
			&cli.BoolFlag{Name: "list", Usage: "list the fixtures and exit"},
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret + ", " + envSecretPrevious + ", " + envProvider + " and " + envURL),
			&cli.StringFlag{Name: "signature", Value: string(sender.SignatureValid), Usage: "`MODE`: valid, wrong (signed with another secret) or missing"},
			&cli.StringFlag{Name: "length", Value: "auto", Usage: "`MODE`: auto, missing (no Content-Length), chunked, or a number of bytes to declare"},
			&cli.StringFlag{Name: "content-type", Value: string(sender.ContentJSON), Usage: "`TYPE`: json, or form (payload=<urlencoded JSON>, as GitHub's form mode)"},
			&cli.StringFlag{Name: "delivery", Aliases: []string{"id"}, Usage: "the delivery `ID` (default: a fresh UUID): X-GitHub-Delivery, webhook-id, ..."},
			providerFlag(),
			timestampFlag(),
			&cli.BoolFlag{Name: "sign-with-all", Usage: "put one signature per secret in the header (stripe, standard), as during a rotation"},
			&cli.StringSliceFlag{Name: "header", Aliases: []string{"H"}, Usage: "add or replace a header, `'Name: value'` (repeatable)"},
			&cli.StringSliceFlag{Name: "expect", Usage: "the `STATUS` expected, e.g. 401 or 2xx (repeatable; default 2xx); exit 1 otherwise"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object: the request, status, answer headers and body, duration_ms"},
			colorFlag(),
			&cli.DurationFlag{Name: "timeout", Value: sender.DefaultTimeout, Usage: "give up when no answer came in `DURATION`"},
		}, append(loadFlags(), tlsFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 1 {
				return usageErrorf("send takes at most one fixture, got %q", c.Args().Slice())
			}
			return runSend(c.Context, sys, sendOptions{
				Fixture: c.Args().First(), File: c.String("file"), Event: c.String("event"), List: c.Bool("list"),
				URL: c.String("url"), URLSet: c.IsSet("url"),
				sourceOptions: sourceOptionsFrom(c),
				Delivery:      c.String("delivery"), Headers: c.StringSlice("header"),
				Timestamp: c.Int64("timestamp"), TimestampSet: c.IsSet("timestamp"), SignWithAll: c.Bool("sign-with-all"),
				Signature: c.String("signature"), Length: c.String("length"), ContentType: c.String("content-type"),
				Expect: c.StringSlice("expect"), JSON: c.Bool("json"), Color: c.String("color"), Timeout: c.Duration("timeout"),
				Load: loadOptionsFrom(c), TLS: tlsOptionsFrom(c),
			})
		},
	}
}

// payloadEventProviders names the providers whose event type is in the
// payload, not in a header: "stripe, standard and slack".
func payloadEventProviders() string {
	var names []string
	for _, p := range provider.All() {
		if p.EventHeader == "" {
			names = append(names, p.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// sendPlan is sendOptions resolved: what to send, where, and what to expect.
type sendPlan struct {
	delivery sender.Delivery
	source   string // "fixture push" or "file payload.json"
	expect   sender.Expect
	json     bool
	color    bool
	timeout  time.Duration
	tls      *tls.Config // for https URLs
}

func resolveSend(ctx context.Context, sys system, o sendOptions) (sendPlan, error) {
	plan := sendPlan{json: o.JSON, timeout: o.Timeout}
	if o.Timeout <= 0 {
		return plan, usageErrorf("--timeout must be positive, got %s", o.Timeout)
	}
	var err error
	if plan.tls, err = clientTLSConfig(o.TLS); err != nil {
		return plan, err
	}
	if plan.color, err = resolveColor(sys, o.Color, o.JSON); err != nil {
		return plan, err
	}
	if plan.expect, err = sender.ParseExpect(o.Expect); err != nil {
		return plan, usageError{err}
	}
	d := &plan.delivery
	if d.Signature, err = sender.ParseSignatureMode(o.Signature); err != nil {
		return plan, usageErrorf("--signature: %v", err)
	}
	if d.Length, err = sender.ParseLength(o.Length); err != nil {
		return plan, usageErrorf("--length: %v", err)
	}
	if d.ContentType, err = sender.ParseContentType(o.ContentType); err != nil {
		return plan, usageErrorf("--content-type: %v", err)
	}
	if d.Extra, err = parseHeaders(o.Headers); err != nil {
		return plan, err
	}

	env, err := o.environ(sys.getenv)
	if err != nil {
		return plan, err
	}
	rawURL := o.URL
	if v, _ := env.lookup(envURL); v != "" && !o.URLSet {
		rawURL = v
	}
	if d.URL, err = parseURL(rawURL, "--url", "use --header 'Authorization: ...' if the receiver needs one"); err != nil {
		return plan, err
	}
	if d.Provider, err = o.provider(env); err != nil {
		return plan, err
	}
	// A fixture of another provider names the provider, unless one was
	// chosen (flag or environment; github chosen counts as much as any).
	fromEnv, _ := env.lookup(envProvider)
	explicit := o.ProviderSet || fromEnv != ""
	if err := choosePayload(o, &plan, explicit); err != nil {
		return plan, err
	}
	s, err := o.secret(env)
	if err != nil {
		return plan, err
	}
	if s.value == "" && d.Signature == sender.SignatureValid {
		return plan, noSecretError(o.EnvFile, " (--signature missing sends no signature)")
	}
	if s.value != "" {
		warnSecret(sys.stderr, s)
		// The scheme decides what a secret must be (Standard Webhooks:
		// whsec_ and base64), for every configured one: a secret it cannot
		// use is a mistake in the configuration, said before sending.
		if _, err := schemeFor(d.Provider, s, signing.Options{}); err != nil {
			return plan, err
		}
	}
	if o.SignWithAll && d.Provider != signing.ProviderStripe && d.Provider != signing.ProviderStandard {
		return plan, usageErrorf("--sign-with-all is for the schemes whose header lists several signatures (stripe, standard), not %s", d.Provider)
	}
	if err := bodyProviderFlags(d.Provider, o); err != nil {
		return plan, err
	}
	d.Secret, d.OtherSecrets, d.SignWithAll = s.value, s.others, o.SignWithAll
	d.Time = sys.now()
	if o.TimestampSet {
		d.Time = time.Unix(o.Timestamp, 0)
	}
	if d.ID = o.Delivery; d.ID == "" {
		if d.ID, err = sender.NewID(sys.random); err != nil {
			return plan, fmt.Errorf("cannot make a delivery id: %w", err)
		}
	}
	d.HookID, d.UserAgent = defaultHookID, userAgent()
	if o.File != "" {
		// Last: a mistake in the rest is said at once, not after the
		// whole payload was typed or piped in.
		if d.Payload, plan.source, err = readInput(ctx, sys, o.File, "--file"); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// choosePayload fills in the payload and event from the fixture, or the
// event for --file (whose payload resolveSend reads).
// With no fixture named it sends the provider's first (ping for GitHub, as
// GitHub does first). Unless explicit, a fixture of another provider
// switches to that provider.
func choosePayload(o sendOptions, plan *sendPlan, explicit bool) error {
	d := &plan.delivery
	prov, err := provider.Lookup(d.Provider)
	if err != nil {
		return usageError{err}
	}
	switch {
	case o.File != "" && o.Fixture != "":
		return usageErrorf("give a fixture or --file, not both")
	case o.File != "":
		if o.Event == "" && prov.EventHeader != "" {
			return usageErrorf("--file needs --event, the event type to send in %s (such as push)", prov.EventHeader)
		}
		// resolveSend reads the file last, once the rest is known good.
		d.Event = o.Event
		return nil
	}
	var f fixtures.Fixture
	if o.Fixture == "" {
		f = fixtures.ForProvider(d.Provider)[0]
	} else {
		var ok bool
		if f, ok = fixtures.Lookup(o.Fixture); !ok {
			if near := fixtures.Nearest(o.Fixture); near != "" {
				return usageErrorf("no fixture %q; did you mean %s? (hooklab send --list shows them all)", o.Fixture, near)
			}
			return usageErrorf("no fixture %q; the fixtures are %s (or send any file with --file)", o.Fixture, strings.Join(fixtures.Names(), ", "))
		}
	}
	switch {
	case f.Provider != d.Provider && explicit:
		return usageErrorf("fixture %s is %s's, not %s's; hooklab send --list --provider %s lists %s's", f.Name, f.Provider, d.Provider, d.Provider, d.Provider)
	case f.Provider != d.Provider:
		d.Provider = f.Provider
	}
	d.Payload, d.Event, plan.source = f.Body, f.Event, "fixture "+f.Name
	if o.Event != "" {
		d.Event = o.Event
	}
	return nil
}

// parseURL reads a receiver's URL. name is how the user gave it (send's
// "--url", check's "the URL"), and authHint, when not empty, says how to
// authenticate instead of with a password in the URL.
func parseURL(raw, name, authHint string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("%s must be an http or https URL such as %s, got %q", name, defaultURL, raw)
	}
	if u.User != nil {
		// It would not be sent (there is no Authorization support), and
		// the URL is printed.
		msg := name + " must not hold a user or password"
		if authHint != "" {
			msg += "; " + authHint
		}
		return nil, usageError{errors.New(msg)}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// parseHeaders reads --header values. The framing headers come from --url
// and --length, so they cannot be set here.
func parseHeaders(values []string) ([]sender.Field, error) {
	var out []sender.Field
	for _, v := range values {
		name, value, ok := strings.Cut(v, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return nil, usageErrorf("--header must be 'Name: value', got %q", v)
		}
		switch strings.ToLower(name) {
		case "host", "content-length", "transfer-encoding":
			return nil, usageErrorf("--header cannot set %s; use --url and --length", name)
		}
		out = append(out, sender.Field{Name: name, Value: value})
	}
	return out, nil
}

// userAgent is hooklab's own, with its version.
func userAgent() string {
	v := "devel"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return "hooklab/" + v
}

// errUnexpected is the exit 1 of an answer that --expect did not expect.
var errUnexpected = errors.New("unexpected answer")

// runSend sends one delivery and reports what came back.
func runSend(ctx context.Context, sys system, o sendOptions) error {
	if o.List {
		// Every provider's, unless one was chosen (flag or environment).
		env, err := o.environ(sys.getenv)
		if err != nil {
			return err
		}
		only := ""
		if fromEnv, _ := env.lookup(envProvider); o.ProviderSet || fromEnv != "" {
			if only, err = o.provider(env); err != nil {
				return err
			}
		}
		return listFixtures(sys.stdout, o.JSON, only)
	}
	if o.Load.requested() {
		return runLoad(ctx, sys, o)
	}
	plan, err := resolveSend(ctx, sys, o)
	if err != nil {
		return err
	}
	req, err := plan.delivery.Request()
	if err != nil {
		return err
	}
	client := &sender.Client{Timeout: plan.timeout, Now: sys.now, TLSConfig: plan.tls}
	start := sys.now()
	resp, sendErr := client.Do(ctx, req)
	sendErr = o.TLS.explain(sendErr)
	if sendErr != nil && ctx.Err() != nil {
		sendErr = fmt.Errorf("%w before %s answered", errInterrupted, plan.delivery.URL)
	}
	rep := newSendReport(plan, req, resp, sendErr, sys.now().Sub(start))
	if plan.json {
		if err := writeJSON(sys.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.print(sys.stdout, term.NewPalette(plan.color))
	}
	switch {
	case sendErr != nil:
		if plan.json {
			return reportedError{sendErr}
		}
		return sendErr
	case !rep.OK:
		return reportedError{fmt.Errorf("%w: %d, expected %s", errUnexpected, resp.Status, plan.expect)}
	}
	return nil
}

// sentRequest describes a request as it was sent.
type sentRequest struct {
	URL         string `json:"url"`
	Source      string `json:"source"`
	Event       string `json:"event"`
	Delivery    string `json:"delivery"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type"`
	Signature   string `json:"signature"`
	Length      string `json:"length"`
	// BodySHA256 is the hex SHA-256 of the body sent: what listen logs as
	// body_sha256 for a delivery it refused, to compare at a glance.
	BodySHA256 string `json:"body_sha256,omitempty"`
}

// sendReport is what send prints, as one line or as one JSON object.
type sendReport struct {
	Request    sentRequest       `json:"request"`
	Status     int               `json:"status,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       json.RawMessage   `json:"body,omitempty"`
	DurationMS float64           `json:"duration_ms"`
	Expected   string            `json:"expected"`
	OK         bool              `json:"ok"`
	Error      string            `json:"error,omitempty"`

	reason string // for the text line
}

// newSendReport describes what was sent, as sent (--header may have
// replaced the event, id, content type or signature), and what came back.
// elapsed is the time until the answer, or until giving up.
func newSendReport(plan sendPlan, req *sender.Request, resp *sender.Response, err error, elapsed time.Duration) sendReport {
	r := sendReport{Request: describeRequest(plan, req)}
	r.Expected = plan.expect.String()
	r.DurationMS = float64(elapsed.Microseconds()) / 1000
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Status, r.OK = resp.Status, plan.expect.Matches(resp.Status)
	r.DurationMS = float64(resp.Duration.Microseconds()) / 1000
	r.Headers = make(map[string]string, len(resp.Header))
	for k := range resp.Header {
		r.Headers[k] = strings.Join(resp.Header.Values(k), ", ")
	}
	if json.Valid(resp.Body) {
		r.Body = bytes.TrimSpace(resp.Body)
	} else if len(resp.Body) > 0 {
		r.Body, _ = json.Marshal(string(resp.Body))
	}
	r.reason = resp.Reason()
	return r
}

// describeRequest says what req, built from plan, is, as sent: --header
// may have replaced the event, id, content type or signature.
func describeRequest(plan sendPlan, req *sender.Request) sentRequest {
	d := plan.delivery
	r := sentRequest{URL: d.URL.String(), Source: plan.source, Event: d.Event, Delivery: d.ID}
	if prov, err := provider.Lookup(d.Provider); err == nil {
		// As the receiver will see them: from the headers sent (--header may
		// have replaced them) or from the payload.
		h := http.Header{}
		for _, f := range req.Header {
			h.Add(f.Name, f.Value)
		}
		r.Event, r.Delivery = prov.Identify(h, d.Payload)
	}
	r.Bytes, r.ContentType = len(req.Body), string(d.ContentType)
	sum := sha256.Sum256(req.Body)
	r.BodySHA256 = hex.EncodeToString(sum[:])
	r.Signature, r.Length = string(d.Signature), d.Length.String()
	for _, f := range d.Extra {
		switch {
		case strings.EqualFold(f.Name, "Content-Type"):
			r.ContentType = f.Value
		case strings.EqualFold(f.Name, signing.GitHubSignatureHeader), strings.EqualFold(f.Name, signing.GitHubLegacySignatureHeader):
			r.Signature = "from --header"
		}
	}
	return r
}

// print writes the one line of a send: the verdict and status, what was
// sent, the time and the receiver's reason.
func (r sendReport) print(w io.Writer, p term.Palette) {
	q := r.Request
	// The event may come from a payload (Stripe's type), and the source
	// names a file: either may hold what a terminal would act on.
	sent := fmt.Sprintf("%s  %s, %s, signature %s, length %s, %s", p.Bold.Sprint(term.Printable(q.Event)),
		term.Printable(q.Source), term.HumanBytes(int64(q.Bytes)), q.Signature, q.Length, q.ContentType)
	if r.Error != "" {
		// run prints the error itself on standard error.
		fmt.Fprintf(w, "%s %s  %s  no answer\n", p.Bad.Sprint("✗"), p.Bad.Sprint("---"), sent)
		return
	}
	mark := p.OK.Sprint("✓")
	if !r.OK {
		mark = p.Bad.Sprint("✗")
	}
	line := fmt.Sprintf("%s %s %s  %.1fms", mark, p.Status(r.Status).Sprint(r.Status), sent, r.DurationMS)
	if r.reason != "" {
		line += "  " + r.reason
	}
	if !r.OK {
		line += "  " + p.Bad.Sprint("(expected "+r.Expected+")")
	}
	if q.BodySHA256 != "" && r.Status == http.StatusUnauthorized {
		// What listen logs for a refused signature: the same form.
		line += "  " + p.Dim.Sprint("body_sha256="+q.BodySHA256)
	}
	fmt.Fprintln(w, line)
}

// listFixtures prints the embedded fixtures, grouped by provider, or only
// those of one provider.
func listFixtures(w io.Writer, asJSON bool, only string) error {
	var list []fixtures.Fixture
	for _, p := range fixtures.Providers() {
		if only == "" || p == only {
			list = append(list, fixtures.ForProvider(p)...)
		}
	}
	if only != "" && len(list) == 0 {
		if _, err := provider.Lookup(only); err != nil {
			return usageError{err}
		}
	}
	if asJSON {
		type row struct {
			Name     string `json:"name"`
			Provider string `json:"provider"`
			Event    string `json:"event"`
			Action   string `json:"action,omitempty"`
			Bytes    int    `json:"bytes"`
		}
		rows := make([]row, 0, len(list))
		for _, f := range list {
			rows = append(rows, row{f.Name, f.Provider, f.Event, f.Action, len(f.Body)})
		}
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tFIXTURE\tEVENT\tACTION\tSIZE")
	for _, f := range list {
		action := f.Action
		if action == "" {
			action = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Provider, f.Name, f.Event, action, term.HumanBytes(int64(len(f.Body))))
	}
	return tw.Flush()
}

// bodyProviderFlags refuses flags that would be reported as sent but could
// not be: the event and delivery id of Stripe and Slack (and Standard
// Webhooks' event) are in the payload, which is sent byte for byte, and
// only the timestamped schemes sign a time.
func bodyProviderFlags(providerName string, o sendOptions) error {
	prov, err := provider.Lookup(providerName)
	if err != nil {
		return usageError{err}
	}
	if o.Event != "" && prov.EventHeader == "" {
		return usageErrorf("--event: %s's event type is the payload's \"type\", sent as it is; edit the payload (--file) instead", providerName)
	}
	if o.Delivery != "" && prov.DeliveryHeader == "" && providerName != signing.ProviderStandard {
		return usageErrorf("--id/--delivery: %s's delivery id is in the payload, sent as it is; edit the payload (--file) instead", providerName)
	}
	switch providerName {
	case signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack:
	default:
		if o.TimestampSet {
			return usageErrorf("--timestamp: %s signs no timestamp", providerName)
		}
	}
	return nil
}
