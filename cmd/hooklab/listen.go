package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/diagnose"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

const (
	defaultAddr = "127.0.0.1:8080"
	logText     = "text"
	logJSON     = "json"
)

// listenOptions is everything `hooklab listen` is told on its command line.
type listenOptions struct {
	Addr, Path       string
	AddrSet, PathSet bool
	sourceOptions         // --secret, --secret-file, --provider, --env-file
	NewSecret        bool // --new-secret: generate one, replacing the kept one
	MaxBody          string
	MaxInflight      string
	AllowChunked     bool
	Tolerance        time.Duration
	LogFormat        string
	Color            string
	Hub              hubOptions       // --record, --show, --forward-to, --exec, --events: see hub.go
	Fixture          fixtureOptions   // --expect-events, --respond, ...: see fixture.go
	TLS              tlsListenOptions // --tls, --tls-cert, --tls-key, --tls-dir: see tls.go
}

func listenCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:  "listen",
		Usage: "receive webhooks and verify their signatures",
		UsageText: "hooklab listen [--addr 127.0.0.1:8080] [--path /webhook] [--secret S | --secret-file F] [options]\n" +
			"hooklab listen --forward-to URL [--record FILE] [--show all] [--exec PROGRAM [-- ARGS...]] [options]",
		Description: "Receives webhooks, verifies their signatures in constant time (GitHub's X-Hub-Signature-256 by\n" +
			"default; --provider for Stripe, Standard Webhooks, Slack, Shopify, GitLab, Gitea), and answers\n" +
			"with an exact status and a machine-readable reason (" + answeredStatuses() + ").\n" +
			"With no secret configured it reuses the one it generated before for the provider, kept in\n" +
			"the user's configuration directory (hooklab/secret-PROVIDER), or generates one, keeps it and shows\n" +
			"it once; --new-secret replaces it.\n\n" +
			"Examples:\n" +
			"   hooklab listen                                   # generated secret, 127.0.0.1:8080/webhook\n" +
			"   WEBHOOK_SECRET=... hooklab listen --addr 127.0.0.1:0 --log-format json | jq .\n" +
			"   hooklab listen --forward-to http://127.0.0.1:3000/webhook --record captures.ndjson --show all\n" +
			"   hooklab listen --events push --exec ./deploy.sh -- --env staging",
		OnUsageError: onUsageError,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: defaultAddr, Usage: "`HOST:PORT` to listen on; port 0 takes a free one [$" + envAddr + "]"},
			&cli.StringFlag{Name: "path", Value: receiver.DefaultPath, Usage: "`PATH` that deliveries are posted to [$" + envPath + "]"},
			providerFlag(),
			secretFlag(),
			secretFileFlag(),
			&cli.BoolFlag{Name: "new-secret", Usage: "generate a new secret and keep it in place of the one kept for the provider (when none is configured)"},
			envFileFlag(envSecret + ", " + envSecretPrevious + ", " + envProvider + ", " + envAddr + " and " + envPath),
			&cli.DurationFlag{Name: "tolerance", Value: signing.DefaultTolerance, Usage: "how far a signed timestamp may be from now, either way (`DURATION`; stripe, standard, slack); 0 accepts any, for old captures"},
			&cli.StringFlag{Name: "max-body", Value: "25MiB", Usage: "largest body accepted (`SIZE`, e.g. 25MiB, 512KiB); larger ones get 413 unread"},
			&cli.StringFlag{Name: "max-inflight", Value: "256MiB", Usage: "bytes of bodies over 64 KiB held at once (`SIZE`); past it, new large deliveries get 503 with Retry-After"},
			&cli.BoolFlag{Name: "allow-chunked", Usage: "accept chunked bodies, sent without Content-Length (still capped by --max-body)"},
			&cli.StringFlag{Name: "log-format", Value: logText, Usage: "`FORMAT` of the log: text (one coloured line per delivery) or json (one object per line)"},
			colorFlag(),
		}, slices.Concat(hubFlags(), fixtureFlags(), listenTLSFlags())...),
		Action: func(c *cli.Context) error {
			return runListen(c.Context, sys, listenOptions{
				Addr: c.String("addr"), AddrSet: c.IsSet("addr"),
				Path: c.String("path"), PathSet: c.IsSet("path"),
				sourceOptions: sourceOptionsFrom(c), NewSecret: c.Bool("new-secret"),
				MaxBody: c.String("max-body"), MaxInflight: c.String("max-inflight"),
				AllowChunked: c.Bool("allow-chunked"), Tolerance: c.Duration("tolerance"),
				LogFormat: c.String("log-format"), Color: c.String("color"),
				Hub: hubOptionsFrom(c), Fixture: fixtureOptionsFrom(c), TLS: listenTLSOptionsFrom(c),
			})
		},
	}
}

// answeredStatuses lists the statuses the receiver answers with, from its
// reason table, so that the help cannot fall behind it: "200, 400, ...".
func answeredStatuses() string {
	var statuses []int
	for _, r := range receiver.Reasons() {
		statuses = append(statuses, r.Status)
	}
	slices.Sort(statuses)
	words := make([]string, 0, len(statuses))
	for _, st := range slices.Compact(statuses) {
		words = append(words, strconv.Itoa(st))
	}
	return strings.Join(words, ", ")
}

// listenConfig is listenOptions resolved against the environment.
type listenConfig struct {
	provider     string
	tolerance    time.Duration
	addr, path   string
	secret       secret
	maxBody      int64
	maxInflight  int64
	allowChunked bool
	json         bool
	color        bool
	hub          hubConfig
	fixture      *fixture
}

func resolveListen(sys system, o listenOptions) (listenConfig, error) {
	cfg := listenConfig{allowChunked: o.AllowChunked}
	var err error
	if cfg.hub, err = resolveHub(o.Hub); err != nil {
		return cfg, err
	}
	if cfg.fixture, err = resolveFixture(o.Fixture); err != nil {
		return cfg, err
	}
	if cfg.fixture.respond != nil && cfg.hub.forwardTo != nil {
		return cfg, usageErrorf("--respond, --delay and --drop script the answers, --forward-to passes the app's: choose one")
	}
	switch o.LogFormat {
	case logText:
	case logJSON:
		cfg.json = true
	default:
		return cfg, usageErrorf("--log-format must be text or json, not %q", o.LogFormat)
	}
	if cfg.color, err = resolveColor(sys, o.Color, cfg.json); err != nil {
		return cfg, err
	}
	if cfg.maxBody, err = parseSize(o.MaxBody); err != nil {
		return cfg, usageErrorf("--max-body: %v", err)
	}
	if cfg.maxInflight, err = parseSize(o.MaxInflight); err != nil {
		return cfg, usageErrorf("--max-inflight: %v", err)
	}
	env, err := o.environ(sys.getenv)
	if err != nil {
		return cfg, err
	}
	cfg.addr, cfg.path = o.Addr, o.Path
	if v, _ := env.lookup(envAddr); v != "" && !o.AddrSet {
		cfg.addr = v
	}
	if v, _ := env.lookup(envPath); v != "" && !o.PathSet {
		cfg.path = v
	}
	if !strings.HasPrefix(cfg.path, "/") || cfg.path == receiver.HealthPath {
		return cfg, usageErrorf("the webhook path must start with / and not be %s, got %q", receiver.HealthPath, cfg.path)
	}
	_, port, err := net.SplitHostPort(cfg.addr)
	if err == nil {
		// A port out of range or an unknown service name is a mistake in
		// the address (exit 2), not a failure to listen (exit 1).
		_, err = net.LookupPort("tcp", port)
	}
	if err != nil {
		return cfg, usageErrorf("the address must be HOST:PORT, such as 127.0.0.1:8080, got %q", cfg.addr)
	}
	if cfg.provider, err = o.provider(env); err != nil {
		return cfg, err
	}
	if v, _ := env.lookup(envForwardSecret); v != "" && cfg.hub.o.ForwardSecret == "" && cfg.hub.forwardTo != nil {
		cfg.hub.o.ForwardSecret = v
	}
	if o.Tolerance < 0 {
		return cfg, usageErrorf("--tolerance must not be negative, got %s", o.Tolerance)
	}
	cfg.tolerance = o.Tolerance
	cfg.secret, err = resolveSecret(o.Secrets, o.SecretFile, env, sys.random, cfg.provider, o.NewSecret)
	return cfg, err
}

// runListen serves webhooks until ctx is done, then prints a summary.
func runListen(ctx context.Context, sys system, o listenOptions) error {
	cfg, err := resolveListen(sys, o)
	if err != nil {
		if o.LogFormat == logJSON {
			// Every line is JSON in this mode, errors included.
			slog.New(slog.NewJSONHandler(sys.stdout, nil)).Error("listen failed", "error", err.Error())
			return reportedError{err}
		}
		return err
	}
	// Records are written in batches by a goroutine of their own, so that a
	// burst of deliveries makes few writes and no handler waits on output.
	// It is closed before anything else is printed (the summary).
	logOut := receiver.NewLogWriter(sys.stdout)
	defer logOut.Close()
	var handler slog.Handler
	if cfg.json {
		handler = receiver.NewJSONHandler(logOut) // slog.JSONHandler's lines, faster
	} else {
		// At a terminal, each record fits its width (0 elsewhere: unchanged).
		handler = receiver.NewTextHandler(logOut, cfg.color).FitTo(term.Width(sys.stdout, sys.getenv))
	}
	log := slog.New(handler)
	fail := func(err error) error {
		if cfg.json {
			log.Error("listen failed", "error", err.Error())
			return reportedError{err}
		}
		return err
	}

	scheme, err := schemeFor(cfg.provider, cfg.secret, signing.Options{Tolerance: cfg.tolerance})
	if err != nil {
		return fail(err)
	}
	cfg.hub.https = o.TLS.requested()
	hb, err := openHub(sys, cfg.hub, scheme, log)
	if err != nil {
		return fail(err)
	}
	// Queued commands may finish for as long as deliveries in flight may.
	closeHub := sync.OnceValue(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), receiver.DefaultLimits().ShutdownTimeout)
		defer cancel()
		return hb.close(ctx)
	})
	defer closeHub()
	fwd, exec, observe, firstSeq := hb.config(sys.stdout)
	observe = cfg.fixture.observe(observe)
	if limit, ok := memoryLimit(cfg, hb.captures(), sys.getenv); ok {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
	}
	tlsConfig, tlsInfo, err := listenTLS(o.TLS, sys.now(), "")
	if err != nil {
		return fail(err)
	}
	if tlsInfo.TempDir != "" {
		defer os.RemoveAll(tlsInfo.TempDir) // the certificate was for this run
	}
	rc, err := receiver.New(receiver.Config{
		Scheme: scheme, Path: cfg.path, MaxBody: cfg.maxBody, MaxInflight: cfg.maxInflight, AllowChunked: cfg.allowChunked,
		Logger: log, Now: sys.now,
		Forward: fwd, Exec: exec, HandoffRefused: cfg.hub.forwardAll, Events: cfg.hub.events,
		Observe: observe, FirstSeq: firstSeq, Respond: cfg.fixture.responder(),
		// Why a signature failed, two diagnoses at a time.
		Explain:         diagnose.Explainer(cfg.providerName(), cfg.secret.all(), cfg.tolerance, 2),
		ExplainInAnswer: cfg.loopback(),
	})
	if err != nil {
		return fail(err)
	}
	raw, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fail(listenError(cfg.addr, err))
	}
	// Request heads are kept as they came over the wire, in order and
	// spelling, for the capture and --show.
	ln, urlScheme := raw, "http://"
	if tlsConfig != nil {
		// The capture below sees the requests TLS has decrypted.
		ln, urlScheme = tls.NewListener(raw, tlsConfig), "https://"
	}
	if hb.captures() {
		ln = capture.NewListener(ln, maxWireHead)
	}
	b := banner{url: urlScheme + reachableAddr(ln.Addr()), cfg: cfg, bound: ln.Addr().String(), tls: tlsInfo}
	if cfg.hub.o.UI {
		page, err := startUI(cfg.hub.o, uiDeps{
			hub: hb, listenURL: b.url + cfg.path, scheme: scheme, provider: cfg.providerName(),
			nextSeq: rc.NextSeq, now: sys.now, random: sys.random, log: log, replayLimit: cfg.hub.o.ForwardTimeout,
			cacert: tlsInfo.CertPath,
		})
		if err != nil {
			ln.Close()
			return fail(err)
		}
		defer page.stop()
		b.uiURL, b.uiBound = page.url, page.bound
	}
	b.print(sys.stdout, log)

	limits := receiver.DefaultLimits()
	if sys.limits != nil {
		limits = *sys.limits
	}
	limits.WriteTimeout = cfg.hub.writeTimeout(limits)
	var force <-chan struct{}
	if sys.force != nil {
		force = sys.force()
	}
	if cfg.fixture.o.ReadyFile != "" {
		// The socket accepts connections from now on; the kernel queues
		// them until Serve takes them.
		if err := writeReady(cfg.fixture.o.ReadyFile, ln.Addr().String()); err != nil {
			ln.Close()
			return fail(err)
		}
	}
	ctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	go cfg.fixture.stopWhenDone(ctx, stopListen, log)
	err = serve(ctx, force, ln, rc, limits, log)
	var result error
	switch {
	case errors.Is(err, errForced):
		// Nothing more is waited for: the summary counts what was
		// answered, and the exit says the stop was not a clean one.
		log.Warn(err.Error())
		result = reportedError{err}
	case errors.Is(err, receiver.ErrShutdownTimeout):
		// Stopping was asked for and is done: the summary says what was
		// answered, and the exit is still 0.
		log.Warn(err.Error())
	case err != nil:
		return fail(fmt.Errorf("serving stopped: %w", err))
	}
	if herr := closeHub(); herr != nil {
		log.Warn(herr.Error())
		if result == nil {
			result = reportedError{herr}
		}
	}
	logOut.Close()
	printSummary(sys.stdout, log, cfg, rc.Stats())
	hb.printSummary(sys.stdout, log, cfg.json)
	if err := cfg.fixture.report(sys.stdout, cfg.json); err != nil && result == nil {
		result = err
	}
	return result
}

// errForced is serve's error when a second Ctrl-C stopped it at once.
var errForced = fmt.Errorf("%w again: stopped at once; deliveries in flight were cut off", errInterrupted)

// serve is receiver.Serve, which stops gracefully when ctx is done, with a
// way out of the graceful stop: when force is closed while deliveries in
// flight are still being waited for, it returns errForced at once. It
// leaves Serve running then; the process is about to exit, which closes
// every connection.
func serve(ctx context.Context, force <-chan struct{}, ln net.Listener, h http.Handler, lim receiver.Limits, log *slog.Logger) error {
	// Serve stops on serveCtx, so that the line saying how to force the
	// stop comes before its own "shutting down".
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	served := make(chan error, 1)
	go func() {
		served <- receiver.ServeWith(serveCtx, ln, h, receiver.ServeOptions{Limits: lim, Log: log, ConnContext: capture.ConnContext})
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping: Ctrl-C again stops at once, cutting off deliveries in flight")
	stopServing()
	select {
	case err := <-served:
		return err
	case <-force:
		return errForced
	}
}

// listenError explains a failure to bind in terms of what to do about it.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the address is in use (is another hooklab listen running? --addr 127.0.0.1:0 takes a free port)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges; try a port above 1024)", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}

// banner is what listen says when it is ready: where to send deliveries, the
// secret's source (and a generated secret, the only time a secret is shown),
// and a request that gets 200.
type banner struct {
	url   string // where a client on this machine reaches the listener
	bound string // the address actually bound
	cfg   listenConfig
	// The inspector's page (--ui) and the address it is bound to.
	uiURL, uiBound string
	tls            tlsInfo // CertPath is "" without TLS
}

// reachableAddr is addr as a local client would dial it: an unspecified
// host (0.0.0.0, ::) becomes 127.0.0.1.
func reachableAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	// Go listens on both families for either unspecified address.
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// secretRef is how a line run from another shell gets listen's secret
// without it being printed: the hooklab flags that find it, and a shell
// word that expands to it ("" when the shell alone cannot have it).
type secretRef struct {
	flags string // "--secret-file secret.txt ", or ""
	shell string // `"$WEBHOOK_SECRET"`, `"$(cat secret.txt)"`, or ""
	note  string // what the lines need, in words
}

// secretRef says where the try lines read the secret: from where it is
// kept or was read, so that they run as printed; only a secret given
// with --secret, from the environment or not kept needs the shell to
// hold it in WEBHOOK_SECRET.
func (b banner) secretRef() secretRef {
	s := b.cfg.secret
	switch {
	case s.keptIn != "":
		return secretRef{shell: `"$(cat ` + shellQuote(s.keptIn) + `)"`, note: "(from another terminal: hooklab send reads the kept secret)"}
	case s.secretFile != "":
		return secretRef{flags: "--secret-file " + shellQuote(s.secretFile) + " ", shell: `"$(cat ` + shellQuote(s.secretFile) + `)"`,
			note: "(from another terminal, in this directory)"}
	case s.envFile == defaultEnvFile:
		return secretRef{note: "(from another terminal, in this directory: hooklab reads " + defaultEnvFile + ")"}
	case s.envFile != "":
		return secretRef{flags: "--env-file " + shellQuote(s.envFile) + " ", note: "(from another terminal, in this directory)"}
	case s.generated():
		return secretRef{shell: `"$` + envSecret + `"`, note: "(in another terminal, after the export line above)"}
	case s.source == envSecret:
		return secretRef{shell: `"$` + envSecret + `"`, note: "(in a shell with " + envSecret + " set, as for listen)"}
	}
	return secretRef{shell: `"$` + envSecret + `"`, note: "(in a shell with " + envSecret + " set to listen's " + s.source + ")"}
}

// curlExample returns a shell snippet that signs a ping and sends it with
// curl: signed with openssl when the shell can have the secret (from an
// exported variable or its file), else with hooklab sign. The secret
// itself is never written, so that even a generated one is printed once.
func (b banner) curlExample() string {
	ref := b.secretRef()
	const body = `body='{"zen":"Keep it logically awesome.","hook_id":1}'; `
	curl := `curl -sS ` + b.cacert("--cacert ") + b.url + b.cfg.path + ` -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' `
	if ref.shell == "" {
		return body + curl + `-H "$(printf %s "$body" | hooklab sign ` + ref.flags + `| head -1)" --data-binary "$body"`
	}
	return body + `sig=$(printf %s "$body" | openssl dgst -sha256 -hmac ` + ref.shell + ` | awk '{print $NF}'); ` +
		curl + `-H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body"`
}

// sendExample returns the hooklab send line that delivers a signed
// delivery of this provider here, finding the secret as secretRef says.
func (b banner) sendExample() string {
	provider := ""
	if !b.cfg.isGitHub() {
		provider = "--provider " + b.cfg.provider + " "
	}
	event := "push "
	if !b.cfg.isGitHub() {
		event = ""
	}
	return "hooklab send " + event + provider + b.secretRef().flags + b.cacert("--cacert ") + "--url " + b.url + b.cfg.path
}

// shellQuote quotes s for sh when it holds anything but plain characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cacert is flag and the certificate's path and a space, for a client to
// trust a listener on TLS; "" without TLS.
func (b banner) cacert(flag string) string {
	if b.tls.CertPath == "" {
		return ""
	}
	return flag + b.tls.CertPath + " "
}

// providerName is the provider, github when unset.
func (c listenConfig) providerName() string {
	if c.provider == "" {
		return signing.ProviderGitHub
	}
	return c.provider
}

// isGitHub reports whether the listener speaks GitHub's scheme, the one
// the curl example signs.
func (c listenConfig) isGitHub() bool {
	return c.providerName() == signing.ProviderGitHub
}

func (b banner) print(w io.Writer, log *slog.Logger) {
	cfg := b.cfg
	webhookURL, healthURL := b.url+cfg.path, b.url+receiver.HealthPath
	var warnings []string
	warnings = append(warnings, cfg.secret.warnings()...)
	if cfg.secret.notKept != "" {
		warnings = append(warnings, "the generated secret is for this run only: "+cfg.secret.notKept)
	}
	if host, _, _ := net.SplitHostPort(b.bound); !isLoopback(host) {
		warnings = append(warnings, "listening on "+b.bound+", which other machines may reach; the default is loopback only (127.0.0.1)")
	}
	if host, _, _ := net.SplitHostPort(b.uiBound); b.uiBound != "" && !isLoopback(host) {
		warnings = append(warnings, "the inspector is on "+b.uiBound+": anyone who can reach it can read every payload and replay it; the default is loopback only (127.0.0.1:4040)")
	}
	if cfg.json {
		attrs := []any{"url", webhookURL, "addr", b.bound, "health_url", healthURL, "path", cfg.path, "provider", cfg.providerName(),
			"max_body", cfg.maxBody, "allow_chunked", cfg.allowChunked, "secret_source", cfg.secret.source}
		if cfg.secret.keptIn != "" {
			attrs = append(attrs, "secret_kept_in", cfg.secret.keptIn)
		}
		attrs = append(attrs, "send", b.sendExample())
		if cfg.isGitHub() {
			attrs = append(attrs, "try", b.curlExample())
		}
		if cfg.secret.generated() {
			attrs = append(attrs, "secret", cfg.secret.value)
		}
		if n := len(cfg.secret.all()); n > 1 {
			attrs = append(attrs, "secrets_accepted", n)
		}
		if cfg.secret.previousFrom != "" {
			attrs = append(attrs, "previous_secret_source", cfg.secret.previousFrom)
		}
		for _, l := range cfg.hub.bannerLines() {
			attrs = append(attrs, l.key, l.value)
		}
		if b.uiURL != "" {
			attrs = append(attrs, "ui_url", b.uiURL)
		}
		if b.tls.CertPath != "" {
			attrs = append(attrs, "tls_cert", b.tls.CertPath, "tls_fingerprint", b.tls.Fingerprint)
		}
		log.Info("listening", attrs...)
		for _, w := range warnings {
			log.Warn(w)
		}
		return
	}
	p := term.NewPalette(cfg.color)
	bold, dim, yellow := p.Bold, p.Dim, p.Warn
	fmt.Fprintf(w, "%s  POST %s  %s\n", bold.Sprint("hooklab listen"), bold.Sprint(webhookURL), dim.Sprint("(health: "+healthURL+")"))
	if !cfg.isGitHub() {
		fmt.Fprintf(w, "  scheme  %s\n", cfg.providerName())
	}
	switch {
	case cfg.secret.generated() && cfg.secret.keptIn != "":
		fmt.Fprintf(w, "  secret  %s\n", dim.Sprint("generated, kept in "+cfg.secret.keptIn+" (--new-secret for a fresh one) and shown only now:"))
		fmt.Fprintf(w, "          export %s=%s\n", envSecret, bold.Sprint(cfg.secret.value))
	case cfg.secret.generated():
		fmt.Fprintf(w, "  secret  %s\n", dim.Sprint("generated for this run and shown only now; set "+envSecret+" or --secret-file to keep one:"))
		fmt.Fprintf(w, "          export %s=%s\n", envSecret, bold.Sprint(cfg.secret.value))
	case cfg.secret.source == sourceKept:
		fmt.Fprintf(w, "  secret  %s\n", cfg.secret.describe()+" (--new-secret for a fresh one)")
	default:
		fmt.Fprintf(w, "  secret  %s\n", cfg.secret.describe())
	}
	limits := "max body " + term.HumanBytes(cfg.maxBody) + ", Content-Length required"
	if cfg.allowChunked {
		limits = "max body " + term.HumanBytes(cfg.maxBody) + ", chunked bodies allowed"
	}
	fmt.Fprintf(w, "  limits  %s\n", limits)
	if b.tls.CertPath != "" {
		label := "tls"
		for _, line := range b.tls.bannerLines() {
			fmt.Fprintf(w, "  %-7s %s\n", label, line)
			label = ""
		}
	}
	for _, l := range cfg.hub.bannerLines() {
		fmt.Fprintf(w, "  %-7s %s\n", l.label, l.text)
	}
	if b.uiURL != "" {
		fmt.Fprintf(w, "  inspect %s  %s\n", bold.Sprint(b.uiURL), dim.Sprint("(every delivery, live, in your browser)"))
	}
	fmt.Fprintf(w, "  try     %s\n", dim.Sprint(b.secretRef().note))
	fmt.Fprintf(w, "          %s\n", b.sendExample())
	if cfg.isGitHub() {
		fmt.Fprintf(w, "          %s\n", b.curlExample())
	}
	for _, warning := range warnings {
		fmt.Fprintf(w, "  %s %s\n", yellow.Sprint("warning"), warning)
	}
	fmt.Fprintf(w, "  %s\n", dim.Sprint("Ctrl-C stops and prints a summary."))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printSummary reports the counts at shutdown.
func printSummary(w io.Writer, log *slog.Logger, cfg listenConfig, s receiver.StatsSnapshot) {
	if cfg.json {
		log.Info("stopped", s.LogAttrs()...)
		return
	}
	fmt.Fprintln(w, s.Summary())
}

// loopback reports whether listen is bound to this machine only: then an
// answer may say why a signature failed, which from anywhere else would
// help forge one.
func (c listenConfig) loopback() bool {
	host, _, err := net.SplitHostPort(c.addr)
	return err == nil && isLoopback(host)
}

// memoryHeadroom is what listen needs besides the bodies its in-flight
// budget holds: the runtime, connections, pooled buffers, garbage between
// collections.
const memoryHeadroom = 64 << 20

// memoryLimit is the soft memory limit listen sets for its process: the
// in-flight budget (and the ring's bound, when deliveries are kept) plus
// headroom, so that the garbage collector works harder as the process
// nears it instead of letting the heap grow to twice the bodies held. A
// GOMEMLIMIT in the environment wins (the runtime has applied it), and
// without a budget (--max-inflight -1) there is nothing to derive one from.
func memoryLimit(cfg listenConfig, captures bool, getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" || cfg.maxInflight <= 0 {
		return 0, false
	}
	limit := cfg.maxInflight + memoryHeadroom
	if captures {
		limit += ringBytes
	}
	return limit, true
}
