package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/atomicfile"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/replay"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// replayOptions is everything `hooklab replay` is told on its command line.
type replayOptions struct {
	File          string
	Seqs          []string
	Last          int
	Event, Status string
	URL           string
	URLSet        bool
	sourceOptions // --secret, --secret-file, --provider, --env-file
	Resign, NewID bool
	Expect        []string
	JSON          bool
	Color         string
	Timeout       time.Duration
	List          bool
	Export        string
	Out           string
	TLS           tlsOptions // --cacert, --insecure: see tls.go
}

func replayCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "send captured deliveries (listen --record) again, list them, or export them for curl or a HAR viewer",
		UsageText: "hooklab replay FILE [--seq N]... [--last N] [--event E] [--status S] [--url URL] [--resign] [--new-id] [--expect STATUS]...\n" +
			"hooklab replay --list FILE\n" +
			"hooklab replay --export curl|har FILE [--seq N]",
		Description: "Sends the deliveries of a capture file again, one after another, each as it was received: the same\n" +
			"method, body and headers, in their order and spelling, so an app with the same secret verifies the very\n" +
			"signature the provider made. Host, Content-Length and the hop-by-hop headers (Connection, Keep-Alive,\n" +
			"TE, Upgrade, ...) are the new connection's own. --resign signs each body afresh, with a fresh timestamp,\n" +
			"which Stripe, Slack and Standard Webhooks need after 5 minutes; --new-id gives each a fresh delivery id\n" +
			"to get past an app's duplicate check. The provider is each delivery's own unless --provider says.\n" +
			"Filters combine: --seq (repeatable), --event and --status (lists with commas), then --last.\n" +
			"Prints each answer as send does; exits 0 when every answer is what --expect says (2xx by default), 1 when\n" +
			"one is not, nothing answered or nothing matched, 2 for bad usage.\n\n" +
			"Examples:\n" +
			"   hooklab replay deliveries.ndjson --list\n" +
			"   hooklab replay deliveries.ndjson --seq 3 --url http://127.0.0.1:3000/webhook\n" +
			"   hooklab replay deliveries.ndjson --event push --last 2 --resign --new-id\n" +
			"   hooklab replay deliveries.ndjson --status 401 --expect 401\n" +
			"   hooklab replay deliveries.ndjson --export curl --seq 3   # the body goes to deliveries.ndjson.seq3.body\n" +
			"   hooklab replay deliveries.ndjson --export har > deliveries.har",
		OnUsageError: onUsageError,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "seq", Usage: "replay the delivery with sequence number `N` (repeatable, or N,M)"},
			&cli.IntFlag{Name: "last", Usage: "replay only the last `N` deliveries of those the other filters select"},
			&cli.StringFlag{Name: "event", Usage: "replay only the deliveries of event `TYPE` (several with commas)"},
			&cli.StringFlag{Name: "status", Usage: "replay only the deliveries hooklab answered with `STATUS`, such as 401 or 4xx (several with commas)"},
			&cli.StringFlag{Name: "url", Value: defaultURL, Usage: "send to `URL` (http or https); its path is the request's [$" + envURL + "]"},
			&cli.BoolFlag{Name: "resign", Usage: "sign each body afresh with the secret, at the current time"},
			&cli.BoolFlag{Name: "new-id", Usage: "give each delivery a fresh id (Standard Webhooks signs it: add --resign)"},
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret + ", " + envSecretPrevious + " and " + envURL),
			&cli.StringFlag{Name: "provider", Usage: "re-sign with `NAME`'s scheme instead of each delivery's own provider's: " + strings.Join(signing.Providers(), ", ")},
			&cli.StringSliceFlag{Name: "expect", Usage: "the `STATUS` expected, e.g. 401 or 2xx (repeatable; default 2xx); exit 1 otherwise"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per delivery: with --list, the record without its body; else as send --json"},
			colorFlag(),
			&cli.DurationFlag{Name: "timeout", Value: sender.DefaultTimeout, Usage: "give up on a delivery when no answer came in `DURATION`"},
			&cli.BoolFlag{Name: "list", Usage: "list the deliveries the file holds (those the filters select) and exit"},
			&cli.StringFlag{Name: "export", Usage: "print the deliveries as `FORMAT` curl (a command; the body is written to a file) or har (a HAR 1.2 log)"},
			&cli.StringFlag{Name: "out", Usage: "with --export curl, write the body files in `DIR` (default: the capture file's directory)"},
		}, tlsFlags()...),
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return usageErrorf("replay takes one capture FILE (as written by listen --record), got %q", c.Args().Slice())
			}
			return runReplay(c.Context, sys, replayOptions{
				File: c.Args().First(), Seqs: c.StringSlice("seq"), Last: c.Int("last"),
				Event: c.String("event"), Status: c.String("status"),
				URL: c.String("url"), URLSet: c.IsSet("url"), sourceOptions: sourceOptionsFrom(c),
				Resign: c.Bool("resign"), NewID: c.Bool("new-id"),
				Expect: c.StringSlice("expect"), JSON: c.Bool("json"), Color: c.String("color"), Timeout: c.Duration("timeout"),
				List: c.Bool("list"), Export: c.String("export"), Out: c.String("out"),
				TLS: tlsOptionsFrom(c),
			})
		},
	}
}

// runReplay replays, lists or exports the deliveries of a capture file.
func runReplay(ctx context.Context, sys system, o replayOptions) error {
	if err := checkReplayFlags(o); err != nil {
		return err
	}
	filter, err := replayFilter(o)
	if err != nil {
		return err
	}
	color, err := resolveColor(sys, o.Color, o.JSON)
	if err != nil {
		return err
	}
	expect, err := sender.ParseExpect(o.Expect)
	if err != nil {
		return usageError{err}
	}
	env, err := o.environ(sys.getenv)
	if err != nil {
		return err
	}
	rawURL := o.URL
	if v, _ := env.lookup(envURL); v != "" && !o.URLSet {
		rawURL = v
	}
	target, err := parseURL(rawURL, "--url", "")
	if err != nil {
		return err
	}
	tlsConfig, err := clientTLSConfig(o.TLS)
	if err != nil {
		return err
	}

	recs, err := readCapture(sys, o.File)
	if err != nil {
		return err
	}
	selected, err := replay.Select(recs, filter)
	switch {
	case errors.Is(err, replay.ErrNoSeq):
		return fmt.Errorf("%s: %w; it holds %s", o.File, err, replay.Holdings(recs))
	case err != nil:
		return usageErrorf("--status: %v", err)
	case len(selected) == 0 && len(recs) == 0:
		return fmt.Errorf("%s holds no deliveries", o.File)
	case len(selected) == 0:
		return fmt.Errorf("no delivery in %s matches %s; it holds %s", o.File, describeFilter(o), replay.Holdings(recs))
	}

	switch {
	case o.List:
		return replay.WriteList(sys.stdout, selected, o.JSON)
	case o.Export == "har":
		har, err := replay.HAR(selected, target.String())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(sys.stdout, "%s\n", har)
		return err
	case o.Export == "curl":
		return exportCurl(sys, selected, o, target.String())
	}

	schemes, err := replaySchemes(o, env, selected)
	if err != nil {
		return err
	}
	plans := make([]sendPlan, len(selected))
	reqs := make([]*sender.Request, len(selected))
	for i, rec := range selected {
		// Verbatim first: a record that cannot be sent as it is is the
		// capture's fault; one that cannot take --resign or --new-id is
		// the flags'.
		if _, err := replay.Build(rec, replay.Options{URL: target}); err != nil {
			return fmt.Errorf("%s: %w", o.File, err)
		}
		ro := replay.Options{URL: target, NewID: o.NewID, Now: sys.now, Random: sys.random}
		if o.Resign {
			ro.Resign = schemes[signerOf(rec, o)]
		}
		req, err := replay.Build(rec, ro)
		if err != nil {
			return usageErrorf("seq %d: %v", rec.Seq, err)
		}
		reqs[i] = req
		plans[i] = replaySendPlan(rec, req, o, expect, color)
		if !rec.BodyComplete {
			warn := fmt.Sprintf("seq %d: the body was not received whole; sending the %s that arrived", rec.Seq, term.HumanBytes(int64(len(rec.Body))))
			if !o.Resign {
				warn += " (its signature cannot match)"
			}
			fmt.Fprintf(sys.stderr, "hooklab: warning: %s\n", warn)
		}
	}
	return sendReplays(ctx, sys, plans, reqs, o, tlsConfig)
}

// checkReplayFlags refuses flags that do not go together.
func checkReplayFlags(o replayOptions) error {
	switch {
	case o.List && o.Export != "":
		return usageErrorf("give --list or --export, not both")
	case o.Export != "" && o.Export != "curl" && o.Export != "har":
		return usageErrorf("--export must be curl or har, not %q", o.Export)
	case o.Out != "" && o.Export != "curl":
		return usageErrorf("--out is where --export curl writes the body files; it needs --export curl")
	case (o.List || o.Export != "") && (o.Resign || o.NewID):
		return usageErrorf("--resign and --new-id change what is sent; they do not go with --list or --export")
	case o.ProviderSet && !o.Resign:
		return usageErrorf("--provider names the scheme --resign signs with (each delivery is sent as its own provider's otherwise); add --resign")
	case o.Export != "" && o.JSON:
		return usageErrorf("--json is for replays and --list; --export har is JSON already")
	case o.Timeout <= 0:
		return usageErrorf("--timeout must be positive, got %s", o.Timeout)
	case o.Last < 0:
		return usageErrorf("--last must be a positive number of deliveries, got %d", o.Last)
	}
	return nil
}

// replayFilter reads the filter flags.
func replayFilter(o replayOptions) (replay.Filter, error) {
	f := replay.Filter{Last: o.Last, Event: o.Event, Status: o.Status}
	for _, v := range o.Seqs {
		for item := range strings.SplitSeq(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(item), 10, 64)
			if err != nil {
				return f, usageErrorf("--seq takes a delivery's sequence number, as --list shows it, not %q", strings.TrimSpace(item))
			}
			f.Seqs = append(f.Seqs, n)
		}
	}
	// Said before the file is read.
	if _, err := replay.Select(nil, replay.Filter{Status: f.Status}); err != nil {
		return f, usageErrorf("--status: %v", err)
	}
	return f, nil
}

// readCapture reads a capture file, printing the reader's warnings (a
// torn last line) on standard error. A file that is not there is a usage
// error; one that does not read is exit 1 with the reader's error.
func readCapture(sys system, path string) ([]*capture.Record, error) {
	recs, warnings, err := capture.ReadFile(path)
	for _, w := range warnings {
		fmt.Fprintf(sys.stderr, "hooklab: warning: %s: %s\n", path, w)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf("capture file %s does not exist (listen --record FILE writes one)", path)
	case err != nil:
		return nil, err
	}
	return recs, nil
}

// describeFilter says what the filter flags asked for: "--event release".
func describeFilter(o replayOptions) string {
	var parts []string
	for _, s := range o.Seqs {
		parts = append(parts, "--seq "+s)
	}
	if o.Event != "" {
		parts = append(parts, "--event "+o.Event)
	}
	if o.Status != "" {
		parts = append(parts, "--status "+o.Status)
	}
	if o.Last > 0 {
		parts = append(parts, "--last "+strconv.Itoa(o.Last))
	}
	return term.Sanitize(strings.Join(parts, " "), 200)
}

// signerOf is the provider whose scheme re-signs rec: --provider, or the
// record's own.
func signerOf(rec *capture.Record, o replayOptions) string {
	if o.ProviderSet {
		return o.Provider
	}
	return rec.Verdict.Provider
}

// replaySchemes builds the scheme of every provider that re-signs one of
// recs, when --resign asks for it, before anything is sent. With no secret
// configured, each provider signs with the secret listen keeps for it.
func replaySchemes(o replayOptions, env *environ, recs []*capture.Record) (map[string]signing.Scheme, error) {
	if o.ProviderSet {
		if _, err := provider.Lookup(o.Provider); err != nil {
			return nil, usageError{err}
		}
	}
	if !o.Resign {
		return nil, nil
	}
	schemes := map[string]signing.Scheme{}
	for _, rec := range recs {
		name := signerOf(rec, o)
		if _, ok := schemes[name]; ok {
			continue
		}
		if _, err := provider.Lookup(name); err != nil {
			return nil, usageErrorf("seq %d: %v; name one with --provider", rec.Seq, err)
		}
		s, err := o.secretFor(env, name)
		if err != nil {
			return nil, err
		}
		if s.value == "" {
			return nil, noSecretError(o.EnvFile, fmt.Sprintf(" (--resign signs with it; none is kept for %s, seq %d's provider)", name, rec.Seq))
		}
		if schemes[name], err = schemeFor(name, s, signing.Options{}); err != nil {
			return nil, err
		}
	}
	return schemes, nil
}

// replaySendPlan describes a replay as send's printer wants it.
func replaySendPlan(rec *capture.Record, req *sender.Request, o replayOptions, expect sender.Expect, color bool) sendPlan {
	mode := sender.SignatureMode("as recorded")
	prov := rec.Verdict.Provider
	if o.Resign {
		mode, prov = "re-signed", signerOf(rec, o)
	}
	return sendPlan{
		delivery: sender.Delivery{
			Provider: prov, URL: req.URL, Event: rec.Verdict.Event, ID: rec.Verdict.Delivery,
			Payload: rec.Body, ContentType: sender.ContentType(term.Sanitize(req.Get("Content-Type"), 80)),
			Signature: mode,
		},
		source: "capture seq " + strconv.FormatUint(rec.Seq, 10),
		expect: expect, json: o.JSON, color: color, timeout: o.Timeout,
	}
}

// sendReplays sends the requests one after another and prints each answer
// as send does. It goes on after a delivery that got no answer or an
// unexpected one, and fails at the end if any did.
func sendReplays(ctx context.Context, sys system, plans []sendPlan, reqs []*sender.Request, o replayOptions, tlsConfig *tls.Config) error {
	client := &sender.Client{Timeout: o.Timeout, Now: sys.now, TLSConfig: tlsConfig}
	var failed, unexpected int
	var last error
	for i, req := range reqs {
		if ctx.Err() != nil {
			return fmt.Errorf("%w after %d of %d deliveries", errInterrupted, i, len(reqs))
		}
		plan := plans[i]
		start := sys.now()
		resp, sendErr := client.Do(ctx, req)
		sendErr = o.TLS.explain(sendErr)
		if sendErr != nil && ctx.Err() != nil {
			sendErr = fmt.Errorf("%w before %s answered", errInterrupted, req.URL)
		}
		rep := newSendReport(plan, req, resp, sendErr, sys.now().Sub(start))
		if plan.json {
			if err := writeJSON(sys.stdout, rep); err != nil {
				return err
			}
		} else {
			// The event comes from the capture (a header, or the body for
			// Stripe), which its sender wrote: send's line prints it as is.
			rep.Request.Event = term.Sanitize(rep.Request.Event, 80)
			rep.Request.Delivery = term.Sanitize(rep.Request.Delivery, 80)
			rep.print(sys.stdout, term.NewPalette(plan.color))
		}
		switch {
		case errors.Is(sendErr, errInterrupted):
			return sendErr
		case sendErr != nil:
			failed++
			last = sendErr
			fmt.Fprintf(sys.stderr, "hooklab: %s: %v\n", plan.source, sendErr)
		case !rep.OK:
			unexpected++
			last = fmt.Errorf("%w: %d, expected %s", errUnexpected, resp.Status, plan.expect)
		}
	}
	switch {
	case failed+unexpected == 0:
		return nil
	case len(reqs) == 1:
		return reportedError{last}
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d got no answer", failed))
	}
	if unexpected > 0 {
		parts = append(parts, fmt.Sprintf("%d answered other than %s", unexpected, plans[0].expect))
	}
	return fmt.Errorf("of %d deliveries replayed, %s", len(reqs), strings.Join(parts, " and "))
}

// exportCurl writes each record's body to a file and prints a curl command
// that sends it.
func exportCurl(sys system, recs []*capture.Record, o replayOptions, target string) error {
	dir := o.Out
	if dir == "" {
		dir = filepath.Dir(o.File)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageErrorf("--out %s is not a directory", dir)
	}
	used := map[string]bool{}
	for i, rec := range recs {
		name := fmt.Sprintf("%s.seq%d.body", filepath.Base(o.File), rec.Seq)
		for n := 2; used[name]; n++ {
			// A file appended to by several listen runs repeats seqs.
			name = fmt.Sprintf("%s.seq%d-%d.body", filepath.Base(o.File), rec.Seq, n)
		}
		used[name] = true
		path := filepath.Join(dir, name)
		cmdline, err := replay.Curl(rec, target, path)
		if err != nil {
			return err
		}
		// Mode 0600: a payload may be secret; a planted symlink is replaced.
		if err := atomicfile.Write(path, rec.Body, 0o600); err != nil {
			return fmt.Errorf("the body file: %w", err)
		}
		if i > 0 {
			fmt.Fprintln(sys.stdout)
		}
		event := term.Sanitize(rec.Verdict.Event, 80)
		fmt.Fprintf(sys.stdout, "# seq %d, %s, %s in %s\n%s\n", rec.Seq, event, term.HumanBytes(int64(len(rec.Body))), path, cmdline)
		if !rec.BodyComplete {
			fmt.Fprintf(sys.stderr, "hooklab: warning: seq %d: the body was not received whole; the file holds the %s that arrived\n", rec.Seq, term.HumanBytes(int64(len(rec.Body))))
		}
	}
	return nil
}
