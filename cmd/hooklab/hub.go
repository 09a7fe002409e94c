package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/command"
	"github.com/hooklab/hooklab/forward"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/replay"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/show"
	"github.com/hooklab/hooklab/signing"
)

// The in-memory ring of the latest deliveries, which the inspector reads:
// bounded by count and by bytes. It is filled only while deliveries are
// captured (see hub.captures).
const (
	ringDeliveries = 1000
	ringBytes      = 64 << 20
	// maxWireHead bounds the request head capture.Listener keeps per
	// request; it is listen's MaxHeaderBytes, with room for the request line.
	maxWireHead = 64<<10 + 4<<10
)

// The defaults of the hub's flags.
const (
	defaultRecordMax          = "1GiB"
	defaultShowMax            = "8KiB"
	defaultHandoffTimeout     = 10 * time.Second // what GitHub allows a receiver
	defaultForwardConcurrency = 64
	defaultExecQueue          = 16
	defaultUIAddr             = "127.0.0.1:4040" // where ngrok's inspector is, too
)

// hubOptions are listen's flags that make it the hub between a sender and
// the user's app: capture, show, forward, run, filter.
type hubOptions struct {
	Record, RecordMax  string
	Show, ShowMax      string
	ForwardTo          string
	ForwardTimeout     time.Duration
	ForwardConcurrency int
	ForwardAll         bool
	ForwardSecret      string
	ForwardProvider    string
	Events             []string
	Exec               string
	ExecArgs           []string
	ExecTimeout        time.Duration
	ExecConcurrency    int
	ExecQueue          int
	ExecAsync          bool
	UI                 bool
	UIAddr             string
	UIAddrSet          bool
}

func hubFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "record", Usage: "append every delivery, refused ones too, byte-exact to the capture `FILE` (NDJSON; hooklab replay reads it)"},
		&cli.StringFlag{Name: "record-max", Value: defaultRecordMax, Usage: "rotate the capture file to FILE.1 before it passes `SIZE`, with a warning"},
		&cli.StringFlag{Name: "show", Usage: "print each delivery in full under its log line: `WHAT` headers, body or all"},
		&cli.StringFlag{Name: "show-max", Value: defaultShowMax, Usage: "show at most `SIZE` of each body (the capture file keeps it all)"},
		&cli.StringFlag{Name: "forward-to", Usage: "send each verified delivery on to the app at `URL`, byte-exact, and give the sender the app's answer"},
		&cli.DurationFlag{Name: "forward-timeout", Value: defaultHandoffTimeout, Usage: "answer 504 forward_timeout when the app has not answered in `DURATION`"},
		&cli.IntFlag{Name: "forward-concurrency", Value: defaultForwardConcurrency, Usage: "at most `N` forwards in flight; past it, 503 forward_busy with Retry-After"},
		&cli.BoolFlag{Name: "forward-all", Usage: "forward refused deliveries too (those with a bad or missing signature, invalid JSON, ...)"},
		&cli.StringFlag{Name: "forward-secret", Usage: "re-sign forwarded deliveries for the app with this `SECRET` (default: forward the sender's signature) [$" + envForwardSecret + "]"},
		&cli.StringFlag{Name: "forward-provider", Usage: "re-sign forwarded deliveries in this `NAME`d scheme (default: listen's --provider)"},
		&cli.StringSliceFlag{Name: "events", Usage: "forward, run and show only these event `TYPES` (comma-separated, repeatable, * and ? patterns); others get 200 ignored_event"},
		&cli.StringFlag{Name: "exec", Usage: "run `PROGRAM` for each verified delivery, without a shell: the body on stdin, HOOKLAB_EVENT, HOOKLAB_DELIVERY, HOOKLAB_PROVIDER, HOOKLAB_RECORD_SEQ in its environment; its arguments follow --"},
		&cli.DurationFlag{Name: "exec-timeout", Value: defaultHandoffTimeout, Usage: "kill the command's process group after `DURATION` and answer 504 exec_timeout"},
		&cli.IntFlag{Name: "exec-concurrency", Value: 1, Usage: "run at most `N` commands at once"},
		&cli.IntFlag{Name: "exec-queue", Value: defaultExecQueue, Usage: "let at most `N` deliveries wait for the command; past it, 503 exec_busy with Retry-After"},
		&cli.BoolFlag{Name: "exec-async", Usage: "answer 202 exec_started at once and run the command after the answer"},
		&cli.BoolFlag{Name: "ui", Usage: "serve the inspector: a live page of every delivery, with its verdict, headers, body and replay"},
		&cli.StringFlag{Name: "ui-addr", Value: defaultUIAddr, Usage: "`HOST:PORT` of the inspector (--ui); the next free port when the default is taken; loopback unless you say otherwise"},
	}
}

func hubOptionsFrom(c *cli.Context) hubOptions {
	var events []string
	for _, v := range c.StringSlice("events") {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				events = append(events, e)
			}
		}
	}
	return hubOptions{
		Record: c.String("record"), RecordMax: c.String("record-max"),
		Show: c.String("show"), ShowMax: c.String("show-max"),
		ForwardTo: c.String("forward-to"), ForwardTimeout: c.Duration("forward-timeout"),
		ForwardConcurrency: c.Int("forward-concurrency"), ForwardAll: c.Bool("forward-all"),
		ForwardSecret: c.String("forward-secret"), ForwardProvider: c.String("forward-provider"),
		Events: events,
		Exec:   c.String("exec"), ExecArgs: c.Args().Slice(),
		ExecTimeout: c.Duration("exec-timeout"), ExecConcurrency: c.Int("exec-concurrency"),
		ExecQueue: c.Int("exec-queue"), ExecAsync: c.Bool("exec-async"),
		UI: c.Bool("ui"), UIAddr: c.String("ui-addr"), UIAddrSet: c.IsSet("ui-addr"),
	}
}

// hubConfig is hubOptions checked: everything but what needs the
// listener's scheme or opens anything.
type hubConfig struct {
	record     string
	recordMax  int64
	show       show.Options
	showOn     bool
	forwardTo  *url.URL
	forwardAll bool
	events     []string
	o          hubOptions
	https      bool // the listener serves HTTPS: X-Forwarded-Proto says so
}

func resolveHub(o hubOptions) (hubConfig, error) {
	// Zero values, as tests and callers other than the flags give, are
	// the flags' defaults.
	o.RecordMax = cmp.Or(o.RecordMax, defaultRecordMax)
	o.ShowMax = cmp.Or(o.ShowMax, defaultShowMax)
	o.ForwardTimeout = cmp.Or(o.ForwardTimeout, defaultHandoffTimeout)
	o.ExecTimeout = cmp.Or(o.ExecTimeout, defaultHandoffTimeout)
	o.ForwardConcurrency = cmp.Or(o.ForwardConcurrency, defaultForwardConcurrency)
	o.ExecConcurrency = cmp.Or(o.ExecConcurrency, 1)
	o.UIAddr = cmp.Or(o.UIAddr, defaultUIAddr)
	h := hubConfig{record: o.Record, events: o.Events, forwardAll: o.ForwardAll, o: o}
	var err error
	if h.recordMax, err = parseSize(o.RecordMax); err != nil {
		return h, usageErrorf("--record-max: %v", err)
	}
	if o.Show != "" {
		if h.show.Mode, err = show.ParseMode(o.Show); err != nil {
			return h, usageError{err}
		}
		h.showOn = true
	}
	max, err := parseSize(o.ShowMax)
	if err != nil {
		return h, usageErrorf("--show-max: %v", err)
	}
	h.show.MaxBody = int(min(max, 1<<30))
	if o.ForwardTo != "" {
		u, err := url.Parse(o.ForwardTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return h, usageErrorf("--forward-to must be an http or https URL such as http://127.0.0.1:3000/webhook, got %q", o.ForwardTo)
		}
		if u.User != nil {
			// It would be printed in the banner and never sent: the
			// forward is a proxy, which sends no credentials of its own.
			return h, usageErrorf("--forward-to must not hold a user or password (%s); the sender's own Authorization header is forwarded", u.Redacted())
		}
		h.forwardTo = u
	} else {
		for _, f := range []struct {
			set  bool
			name string
		}{{o.ForwardAll, "--forward-all"}, {o.ForwardSecret != "", "--forward-secret"}, {o.ForwardProvider != "", "--forward-provider"}} {
			if f.set {
				return h, usageErrorf("%s needs --forward-to", f.name)
			}
		}
	}
	if o.ForwardTimeout <= 0 || o.ExecTimeout <= 0 {
		return h, usageErrorf("--forward-timeout and --exec-timeout must be positive")
	}
	if o.ForwardConcurrency < 1 || o.ExecConcurrency < 1 || o.ExecQueue < 0 {
		return h, usageErrorf("--forward-concurrency and --exec-concurrency must be at least 1, --exec-queue at least 0")
	}
	if o.Exec == "" && len(o.ExecArgs) > 0 {
		return h, usageErrorf("listen takes no arguments, got %q (arguments after -- are for --exec PROGRAM)", o.ExecArgs[0])
	}
	if o.UIAddrSet && !o.UI {
		return h, usageErrorf("--ui-addr needs --ui")
	}
	if o.UI {
		if _, port, err := net.SplitHostPort(o.UIAddr); err != nil || port == "" {
			return h, usageErrorf("--ui-addr must be HOST:PORT, such as 127.0.0.1:4040, got %q", o.UIAddr)
		}
	}
	if o.Exec == "" && o.ExecAsync {
		return h, usageErrorf("--exec-async needs --exec PROGRAM")
	}
	for _, e := range h.events {
		if _, err := path.Match(e, ""); err != nil {
			return h, usageErrorf("--events: %q is not a valid pattern", e)
		}
	}
	return h, nil
}

// hub is what listen runs besides the receiver: the capture file, the
// ring, the forwarder and the command runner. Close it after serving.
type hub struct {
	writer  *capture.Writer
	ring    *capture.Ring
	forward *forward.Forwarder
	runner  *command.Runner
	resign  signing.Scheme // the app's, with --forward-secret
	cfg     hubConfig
	// execRecords counts the command results appended to the capture
	// file, which are not deliveries.
	execRecords atomic.Uint64
}

// openHub starts what h configures, for a listener verifying with scheme.
// It returns the receiver.Config fields that hand deliveries to it.
func openHub(sys system, h hubConfig, listenScheme signing.Scheme, log *slog.Logger) (*hub, error) {
	hb := &hub{cfg: h, ring: capture.NewRing(ringDeliveries, ringBytes)}
	if h.record != "" {
		w, err := capture.OpenWriter(h.record, capture.WriterOptions{
			MaxSize: h.recordMax, Now: sys.now,
			Warn: func(msg string) { log.Warn(msg) },
		})
		if err != nil {
			return nil, fmt.Errorf("cannot record to %s: %w", h.record, err)
		}
		hb.writer = w
	}
	if h.forwardTo != nil {
		fc := forward.Config{
			URL: h.forwardTo, Timeout: h.o.ForwardTimeout, Concurrency: h.o.ForwardConcurrency,
			Log: log, Now: sys.now, HTTPS: h.https,
		}
		if h.o.ForwardSecret != "" || h.o.ForwardProvider != "" {
			resign, strip, err := resignScheme(h.o, listenScheme, sys.now())
			if err != nil {
				hb.close(context.Background())
				return nil, err
			}
			fc.Resign, fc.ResignHeaders = resign, strip
			hb.resign = resign
		}
		f, err := forward.New(fc)
		if err != nil {
			hb.close(context.Background())
			return nil, usageErrorf("--forward-to: %v", err)
		}
		hb.forward = f
	}
	if h.o.Exec != "" {
		r, err := command.New(command.Config{
			Program: h.o.Exec, Args: h.o.ExecArgs, Timeout: h.o.ExecTimeout,
			Concurrency: h.o.ExecConcurrency, Queue: h.o.ExecQueue, Async: h.o.ExecAsync,
			Getenv: sys.getenv, Log: log, Now: sys.now,
			Done: hb.recordExec,
		})
		if err != nil {
			hb.close(context.Background())
			return nil, usageErrorf("--exec: %v", err)
		}
		hb.runner = r
	}
	return hb, nil
}

// resignScheme is the scheme that signs forwards for the app, and the
// headers of the listener's own scheme that it replaces.
func resignScheme(o hubOptions, listenScheme signing.Scheme, now time.Time) (signing.Scheme, []string, error) {
	name := o.ForwardProvider
	if name == "" {
		name = listenScheme.Name()
	}
	if o.ForwardSecret == "" {
		return nil, nil, usageErrorf("--forward-provider needs --forward-secret: the app's secret for %s signatures", name)
	}
	resign, err := signing.New(name, []string{o.ForwardSecret}, signing.Options{})
	if err != nil {
		return nil, nil, usageErrorf("--forward-secret/--forward-provider: %v", err)
	}
	// The listener's signature headers are what its scheme signs with.
	signed, err := listenScheme.Sign(signing.Message{Body: nil, ID: "msg_x", Time: now})
	if err != nil {
		return nil, nil, err
	}
	strip := []string{signing.GitHubLegacySignatureHeader}
	for k := range signed {
		strip = append(strip, k)
	}
	slices.Sort(strip)
	return resign, strip, nil
}

// config returns the receiver.Config fields that hand deliveries to hb.
func (hb *hub) config(out io.Writer) (fwd, exec receiver.Handoff, observe func(*receiver.Delivery) string, firstSeq uint64) {
	if hb.forward != nil {
		fwd = hb.forward
	}
	if hb.runner != nil {
		exec = hb.runner
	}
	if hb.writer != nil {
		firstSeq = hb.writer.LastSeq()
	}
	if !hb.captures() {
		return fwd, exec, nil, firstSeq
	}
	observe = func(d *receiver.Delivery) string {
		headers, order := capture.RequestHeaders(d.Request)
		rec := capture.FromDelivery(d, headers, order)
		rec.ReplayOf = capture.ReplayOf(rec)
		hb.ring.Add(rec)
		if hb.writer != nil {
			hb.writer.Write(rec)
		}
		if !hb.cfg.showOn || d.Reason == receiver.ReasonIgnoredEvent {
			return ""
		}
		return show.Render(rec, hb.cfg.show)
	}
	return fwd, exec, observe, firstSeq
}

// recordExec appends the result of a command that ran after its delivery
// was answered to the capture file, where capture.ReadFile merges it into
// the delivery.
func (hb *hub) recordExec(seq uint64, res *receiver.ExecResult) {
	if hb.writer != nil {
		hb.execRecords.Add(1)
		hb.writer.Write(&capture.Record{Kind: capture.KindExec, For: seq, Exec: capture.ExecFrom(res)})
	}
}

// captures reports whether deliveries are kept: in the ring and the file.
// Keeping one copies its body and headers, which costs a few microseconds
// and 64 MiB at most; that is paid only when something reads them (--record,
// --show, --ui).
func (hb *hub) captures() bool { return hb.writer != nil || hb.cfg.showOn || hb.cfg.o.UI }

// close stops the runner (letting queued commands finish within ctx),
// the forwarder, and flushes the capture file.
func (hb *hub) close(ctx context.Context) error {
	var err error
	if hb.runner != nil {
		err = hb.runner.Close(ctx)
	}
	if hb.forward != nil {
		hb.forward.Close()
	}
	if hb.writer != nil {
		if werr := hb.writer.Close(); werr != nil && err == nil {
			err = fmt.Errorf("capture file %s: %w", hb.cfg.record, werr)
		}
	}
	return err
}

// bannerLine is one line the banner adds for the hub: label and text in
// the text banner, key and value in the JSON one.
type bannerLine struct {
	label, text string
	key         string
	value       any
}

// bannerLines says where deliveries go besides the answer.
func (h hubConfig) bannerLines() []bannerLine {
	var lines []bannerLine
	if h.forwardTo != nil {
		text := h.forwardTo.String() + " (the app's answer goes back to the sender; timeout " + h.o.ForwardTimeout.String() + ")"
		if h.forwardAll {
			text += "; refused deliveries too"
		}
		if h.o.ForwardSecret != "" {
			text += "; re-signed for the app"
		}
		lines = append(lines, bannerLine{"forward", text, "forward_to", h.forwardTo.String()})
	}
	if h.o.Exec != "" {
		argv := strings.Join(append([]string{h.o.Exec}, h.o.ExecArgs...), " ")
		text := argv + " (body on stdin; timeout " + h.o.ExecTimeout.String() + fmt.Sprintf(", %d at a time", h.o.ExecConcurrency)
		if h.o.ExecAsync {
			text += ", after the answer"
		}
		lines = append(lines, bannerLine{"exec", text + ")", "exec", argv})
	}
	if len(h.events) > 0 {
		lines = append(lines, bannerLine{"events", strings.Join(h.events, ", ") + " (others: 200 ignored_event)", "events", h.events})
	}
	if h.record != "" {
		lines = append(lines, bannerLine{"record", h.record + " (rotated to " + h.record + ".1 at " + term.HumanBytes(h.recordMax) + "; hooklab replay --list " + h.record + ")", "record", h.record})
	}
	return lines
}

// printSummary says, after listen's own summary, what the capture file got.
func (hb *hub) printSummary(w io.Writer, log *slog.Logger, json bool) {
	if hb.writer == nil {
		return
	}
	st := hb.writer.Stats()
	// Written counts the commands' results too; dropped ones are rare
	// enough to be counted as deliveries.
	deliveries := st.Written - min(st.Written, hb.execRecords.Load())
	if json {
		log.Info("recorded", "file", hb.cfg.record, "deliveries", deliveries, "dropped", st.Dropped, "rotations", st.Rotations)
		return
	}
	fmt.Fprintf(w, "recorded %d %s in %s", deliveries, plural(int(deliveries), "delivery", "deliveries"), hb.cfg.record)
	if st.Dropped > 0 {
		fmt.Fprintf(w, "; %d not recorded (see the warnings above)", st.Dropped)
	}
	fmt.Fprintf(w, "; hooklab replay --list %s shows them\n", hb.cfg.record)
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// recordReplayToApp keeps a replay the inspector sent straight to the
// app (replay.AppRecord) in the ring and the capture file.
func (hb *hub) recordReplayToApp(orig *capture.Record, seq uint64, target string, req *sender.Request, resp *sender.Response, now time.Time) {
	rec := replay.AppRecord(orig, seq, target, req, resp, now)
	hb.ring.Add(rec)
	if hb.writer != nil {
		hb.writer.Write(rec)
	}
}

// writeTimeout is how long listen's server gives itself to answer, from
// the end of a request's headers: the default, or, with a forward or a
// command, long enough to read the body and wait for the app and the
// command (a synchronous command may wait its turn for --exec-timeout,
// then run for as long). A shorter one would cut off answers that were
// still coming, and the sender would get none.
func (h hubConfig) writeTimeout(lim receiver.Limits) time.Duration {
	var wait time.Duration
	if h.forwardTo != nil {
		wait += h.o.ForwardTimeout
	}
	if h.o.Exec != "" {
		wait += 2*h.o.ExecTimeout + 2*time.Second // and the kill's grace
	}
	if wait == 0 {
		return lim.WriteTimeout
	}
	return max(lim.WriteTimeout, lim.ReadTimeout+wait+15*time.Second)
}
