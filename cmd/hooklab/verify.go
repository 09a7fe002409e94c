package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/diagnose"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/signing"
)

// verifyOptions is everything `hooklab verify` is told on its command line.
type verifyOptions struct {
	Capture       string // the capture FILE argument
	Seq           uint64
	SeqSet        bool
	Body          string // --file
	Headers       []string
	sourceOptions // --secret, --secret-file, --provider, --env-file
	Tolerance     time.Duration
	JSON          bool
}

func verifyCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check a delivery's signature offline and, when it fails, say why",
		UsageText: "hooklab verify FILE --seq N                       (a capture of listen --record)\n" +
			"hooklab verify --file BODY -H 'Name: value' ...     (BODY - for standard input)",
		Description: "Verifies one delivery's signature with the configured secrets, as listen does, and when it does not\n" +
			"verify, tries the known causes by recomputing the MAC: a secret with a trailing newline or spaces, another\n" +
			"secret, a body changed on the way (a newline, Latin-1 for UTF-8, JSON re-serialized), GitHub's form mode\n" +
			"the wrong way round, SHA-1, hex for base64 or the reverse, a whsec_ key not decoded, the wrong header, a\n" +
			"stale or different timestamp or id. Only causes whose MAC matches are reported; a secret that simply\n" +
			"differs matches none. The output never shows a secret or a MAC.\n" +
			"A capture's delivery is checked at the time it was received, with its own provider unless --provider says.\n" +
			"Exits 0 when the signature verifies, 1 when it does not, 2 for bad usage.\n\n" +
			"Examples:\n" +
			"   hooklab verify deliveries.ndjson --seq 3\n" +
			"   hooklab verify --file body.json -H 'X-Hub-Signature-256: sha256=...' --secret-file secret.txt\n" +
			"   hooklab verify --provider stripe --file - -H 'Stripe-Signature: t=...,v1=...' --tolerance 0 < body.json",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.Uint64Flag{Name: "seq", Usage: "the delivery with sequence number `N` in the capture FILE (needed when it holds more than one)"},
			&cli.StringFlag{Name: "file", Usage: "read the body from `BODY` (- for standard input), instead of a capture"},
			&cli.StringSliceFlag{Name: "header", Aliases: []string{"H"}, Usage: "a header of the delivery, `'Name: value'` (repeatable), with --file"},
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret + " and " + envSecretPrevious),
			providerFlag(),
			&cli.DurationFlag{Name: "tolerance", Value: signing.DefaultTolerance, Usage: "how far a timestamp may be from the time of checking, either way (stripe, standard, slack); 0 checks none"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 1 {
				return usageErrorf("verify takes at most one capture FILE, got %q", c.Args().Slice())
			}
			return runVerify(c.Context, sys, verifyOptions{
				Capture: c.Args().First(), Seq: c.Uint64("seq"), SeqSet: c.IsSet("seq"),
				Body: c.String("file"), Headers: c.StringSlice("header"),
				sourceOptions: sourceOptionsFrom(c), Tolerance: c.Duration("tolerance"), JSON: c.Bool("json"),
			})
		},
	}
}

// verifyReport is what verify found, as --json prints it.
type verifyReport struct {
	Verified bool             `json:"verified"`
	Provider string           `json:"provider"`
	Seq      uint64           `json:"seq,omitempty"`
	Error    string           `json:"error,omitempty"`
	Causes   []diagnose.Cause `json:"causes"`
	Summary  string           `json:"summary,omitempty"`
}

// errNotVerified is verify's exit 1.
var errNotVerified = errors.New("the signature does not verify")

// runVerify checks one delivery's signature and explains a failure.
func runVerify(ctx context.Context, sys system, o verifyOptions) error {
	switch {
	case o.Capture != "" && o.Body != "":
		return usageErrorf("give a capture FILE or --file BODY, not both")
	case o.Capture == "" && o.Body == "":
		return usageErrorf("verify needs a delivery: a capture FILE (listen --record) with --seq N, or --file BODY with its -H headers")
	case o.Capture != "" && len(o.Headers) > 0:
		return usageErrorf("-H goes with --file: a capture's delivery has its own headers")
	case o.Capture == "" && o.SeqSet:
		return usageErrorf("--seq picks a delivery of a capture FILE; give the FILE")
	}
	env, err := o.environ(sys.getenv)
	if err != nil {
		return err
	}
	in := diagnose.Input{Header: http.Header{}, Now: sys.now(), Tolerance: o.Tolerance}
	var seq uint64
	recordProvider := ""
	if o.Capture != "" {
		rec, err := captureRecord(sys, o)
		if err != nil {
			return err
		}
		for _, h := range rec.Headers {
			in.Header.Add(h.Name(), h.Value())
		}
		in.Body, in.Now, seq, recordProvider = rec.Body, rec.Time, rec.Seq, rec.Verdict.Provider
		if !rec.BodyComplete {
			fmt.Fprintf(sys.stderr, "hooklab: warning: seq %d: the body was not received whole; its signature cannot match\n", rec.Seq)
		}
	} else {
		fields, err := parseHeaders(o.Headers)
		if err != nil {
			return err
		}
		for _, f := range fields {
			in.Header.Add(f.Name, f.Value)
		}
		if in.Body, _, err = readInput(ctx, sys, o.Body, "--file"); err != nil {
			return err
		}
	}
	if o.Tolerance < 0 {
		return usageErrorf("--tolerance must not be negative")
	}
	if in.Provider, err = verifyProvider(o, env, recordProvider); err != nil {
		return err
	}
	// The kept secret is the delivery's provider's, as listen kept it.
	s, err := o.secretFor(env, in.Provider)
	if err != nil {
		return err
	}
	if s.value == "" {
		return usageErrorf("no secret to verify with: pass --secret or --secret-file, or set %s in the environment or %s", envSecret, o.EnvFile)
	}
	if _, err := schemeFor(in.Provider, s, signing.Options{}); err != nil {
		return err
	}
	in.Secrets = s.all()

	report := verifyReport{Provider: in.Provider, Seq: seq, Verified: true, Causes: []diagnose.Cause{}}
	if verr := diagnose.Verify(in); verr != nil {
		report.Verified, report.Error = false, verr.Error()
		if causes := diagnose.Explain(in); causes != nil {
			report.Causes = causes
		}
		// With no cause, the summary says the secret or the body differs:
		// true of a MAC that does not match, not of a signature missing or
		// malformed, which the error already explains.
		if len(report.Causes) > 0 || errors.Is(verr, signing.ErrMismatch) || errors.Is(verr, signing.ErrTimestamp) {
			report.Summary = diagnose.Summary(report.Causes)
		}
	}
	if o.JSON {
		if err := writeJSON(sys.stdout, report); err != nil {
			return err
		}
	} else {
		report.print(sys.stdout)
	}
	if !report.Verified {
		return reportedError{errNotVerified}
	}
	return nil
}

// print writes the report for people.
func (r verifyReport) print(w io.Writer) {
	what := r.Provider + " signature"
	if r.Seq != 0 {
		what = "seq " + strconv.FormatUint(r.Seq, 10) + ": the " + what
	} else {
		what = "the " + what
	}
	if r.Verified {
		fmt.Fprintf(w, "verified: %s matches\n", what)
		return
	}
	fmt.Fprintf(w, "not verified: %s: %s\n", what, term.Sanitize(r.Error, 400))
	if len(r.Causes) == 0 {
		if r.Summary != "" {
			fmt.Fprintln(w, r.Summary)
		}
		return
	}
	for _, c := range r.Causes {
		fmt.Fprintf(w, "likely cause: %s (%s)\n", c.Message, c.Code)
	}
}

// captureRecord returns the delivery of the capture file that --seq names,
// or its only one.
func captureRecord(sys system, o verifyOptions) (*capture.Record, error) {
	recs, err := readCapture(sys, o.Capture)
	if err != nil {
		return nil, err
	}
	switch {
	case len(recs) == 0:
		return nil, usageErrorf("%s holds no deliveries", o.Capture)
	case !o.SeqSet && len(recs) == 1:
		return recs[0], nil
	case !o.SeqSet:
		return nil, usageErrorf("%s holds %d deliveries (seq %d to %d): pick one with --seq N", o.Capture, len(recs), recs[0].Seq, recs[len(recs)-1].Seq)
	}
	for _, rec := range recs {
		if rec.Seq == o.Seq {
			return rec, nil
		}
	}
	return nil, usageErrorf("%s has no delivery with seq %d; it holds seq %d to %d", o.Capture, o.Seq, recs[0].Seq, recs[len(recs)-1].Seq)
}

// verifyProvider is --provider when given, else the capture's provider,
// else the environment's or github.
func verifyProvider(o verifyOptions, env *environ, recorded string) (string, error) {
	if !o.ProviderSet && recorded != "" {
		return resolveProvider(recorded, true, env)
	}
	return o.provider(env)
}
