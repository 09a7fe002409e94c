package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// checkOptions is everything `hooklab check` is told on its command line.
type checkOptions struct {
	URL           string
	sourceOptions // --secret, --secret-file, --provider, --env-file
	Expect        []string
	Accept2xx     bool
	Only, Skip    []string
	MaxBody       string
	Format        string
	Color         string
	Timeout       time.Duration
	Tolerance     time.Duration
	List          bool
	TLS           tlsOptions // --cacert, --insecure: see tls.go
}

func checkCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "run the conformance scenarios against any webhook receiver and say which answers were wrong",
		UsageText: "hooklab check [URL] [--secret S] [--expect SCENARIO=CODE[,CODE]]... [--accept-2xx] [--only|--skip NAME,...] [--format table|json|junit]",
		Description: "Sends each scenario (valid deliveries, every kind of bad signature, wrong lengths, sizes,\n" +
			"methods and content types) to the receiver at URL and compares each answer with the status a\n" +
			"correct receiver gives; hooklab listen's answers are the default. Exits 0 when every scenario\n" +
			"passed, 1 when any failed, 2 for bad usage.\n\n" +
			"Examples:\n" +
			"   hooklab check http://127.0.0.1:3000/github/webhook --secret-file secret.txt\n" +
			"   hooklab check URL --expect wrong-secret=403 --expect signature-missing=400,401 --accept-2xx\n" +
			"   hooklab check URL --format junit > hooklab-check.xml\n" +
			"   hooklab check --list",
		OnUsageError: onUsageError,
		Flags: append([]cli.Flag{
			providerFlag(),
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret + ", " + envProvider + " and " + envURL),
			&cli.DurationFlag{Name: "tolerance", Value: signing.DefaultTolerance, Usage: "the receiver's timestamp `TOLERANCE`; the stale and future scenarios sign twice that far off"},
			&cli.StringSliceFlag{Name: "expect", Usage: "`SCENARIO=CODE[,CODE]`: what this receiver answers instead (repeatable)"},
			&cli.BoolFlag{Name: "accept-2xx", Usage: "accept any 2xx where 200 is expected"},
			&cli.StringSliceFlag{Name: "only", Usage: "run just these `SCENARIOS` (comma-separated or repeated)"},
			&cli.StringSliceFlag{Name: "skip", Usage: "leave out these `SCENARIOS`"},
			&cli.StringFlag{Name: "max-body", Value: "25MiB", Usage: "the receiver's body size limit (`SIZE`), for body-too-large"},
			&cli.StringFlag{Name: "format", Value: check.FormatTable, Usage: "`FORMAT` of the report: table, json or junit"},
			colorFlag(),
			&cli.DurationFlag{Name: "timeout", Value: check.DefaultTimeout, Usage: "give each scenario `DURATION` to be answered"},
			&cli.BoolFlag{Name: "list", Usage: "list the scenarios and what each expects, and exit"},
		}, tlsFlags()...),
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 1 {
				return usageErrorf("check takes one URL, got %q", c.Args().Slice())
			}
			return runCheck(c.Context, sys, checkOptions{
				URL: c.Args().First(), sourceOptions: sourceOptionsFrom(c),
				Expect: c.StringSlice("expect"), Accept2xx: c.Bool("accept-2xx"),
				Only: splitList(c.StringSlice("only")), Skip: splitList(c.StringSlice("skip")),
				MaxBody: c.String("max-body"), Format: c.String("format"), Color: c.String("color"),
				Timeout: c.Duration("timeout"), Tolerance: c.Duration("tolerance"), List: c.Bool("list"),
				TLS: tlsOptionsFrom(c),
			})
		},
	}
}

// splitList flattens repeated and comma-separated values.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// errChecksFailed is the exit 1 of a run in which a scenario failed; the
// report has already said which.
var errChecksFailed = errors.New("some scenarios failed")

// resolveCheck turns options into a check.Config, the format and colour.
func resolveCheck(sys system, o checkOptions) (check.Config, bool, error) {
	var cfg check.Config
	switch o.Format {
	case check.FormatTable, check.FormatJSON, check.FormatJUnit:
	default:
		return cfg, false, usageErrorf("--format must be table, json or junit, not %q", o.Format)
	}
	colored, err := resolveColor(sys, o.Color, o.Format != check.FormatTable)
	if err != nil {
		return cfg, false, err
	}
	if o.Timeout <= 0 {
		return cfg, false, usageErrorf("--timeout must be positive, got %s", o.Timeout)
	}
	tlsConfig, err := clientTLSConfig(o.TLS)
	if err != nil {
		return cfg, false, err
	}
	cfg.Client = &sender.Client{TLSConfig: tlsConfig}
	if cfg.MaxBody, err = parseSize(o.MaxBody); err != nil {
		return cfg, false, usageErrorf("--max-body: %v", err)
	}
	cfg.Expect = map[string][]int{}
	for _, e := range o.Expect {
		if err := check.ParseExpect(cfg.Expect, e); err != nil {
			return cfg, false, usageError{err}
		}
	}
	env, err := o.environ(sys.getenv)
	if err != nil {
		return cfg, false, err
	}
	raw := o.URL
	if raw == "" {
		if raw, _ = env.lookup(envURL); raw == "" {
			raw = defaultURL
		}
	}
	if cfg.URL, err = parseURL(raw, "the URL", ""); err != nil {
		return cfg, false, err
	}
	// The provider first: with an unknown one, the secret is moot.
	if cfg.Provider, err = o.provider(env); err != nil {
		return cfg, false, err
	}
	s, err := o.secret(env)
	if err != nil {
		return cfg, false, err
	}
	if s.value == "" {
		return cfg, false, noSecretError(o.EnvFile, "; it must be the receiver's")
	}
	// A secret the scheme cannot use would fail every scenario alike.
	if _, err := schemeFor(cfg.Provider, s, signing.Options{}); err != nil {
		return cfg, false, err
	}
	if o.Tolerance <= 0 {
		return cfg, false, usageErrorf("--tolerance must be positive, got %s", o.Tolerance)
	}
	cfg.Tolerance = o.Tolerance
	cfg.Secret, cfg.Accept2xx, cfg.Only, cfg.Skip = s.value, o.Accept2xx, o.Only, o.Skip
	cfg.Timeout, cfg.Random, cfg.Now, cfg.UserAgent = o.Timeout, sys.random, sys.now, userAgent()
	return cfg, colored, nil
}

// runCheck runs the scenarios against a receiver and prints the report.
func runCheck(ctx context.Context, sys system, o checkOptions) error {
	if o.List {
		env, err := o.environ(sys.getenv)
		if err != nil {
			return err
		}
		name, err := o.provider(env)
		if err != nil {
			return err
		}
		return listScenarios(sys.stdout, name)
	}
	cfg, colored, err := resolveCheck(sys, o)
	if err != nil {
		return err
	}
	// A certificate the client does not trust would fail every scenario
	// alike: said once, before the run.
	if err := probeTLS(ctx, cfg.URL, cfg.Client.TLSConfig, cfg.Timeout, o.TLS); err != nil {
		return err
	}
	report, err := check.Run(ctx, cfg)
	switch {
	case err == nil:
	case errors.Is(err, check.ErrSelection):
		return usageError{err}
	case len(report.Results) > 0:
		// Stopped part way: what finished is still worth seeing.
		if werr := check.Write(sys.stdout, report, o.Format, colored); werr != nil {
			return werr
		}
		if ctx.Err() != nil {
			// Ctrl-C, said in those words rather than "context canceled".
			return fmt.Errorf("check %w after %d scenarios", errInterrupted, len(report.Results))
		}
		return fmt.Errorf("check stopped after %d scenarios: %w", len(report.Results), err)
	case ctx.Err() != nil:
		return fmt.Errorf("check %w before a scenario finished", errInterrupted)
	default:
		return fmt.Errorf("check stopped: %w", err)
	}
	return writeReport(sys.stdout, report, o.Format, colored)
}

// writeReport prints report and turns a failed run into exit 1.
func writeReport(w io.Writer, report check.Report, format string, colored bool) error {
	if err := check.Write(w, report, format, colored); err != nil {
		return err
	}
	if !report.OK() {
		return reportedError{fmt.Errorf("%w: %d of %d", errChecksFailed, len(report.Failed()), len(report.Results))}
	}
	return nil
}

// listScenarios prints a provider's scenario table: name, what is
// expected, what is sent.
func listScenarios(w io.Writer, providerName string) error {
	scenarios, err := check.ScenariosFor(providerName)
	if err != nil {
		return usageError{err}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tEXPECT\tSENT")
	for _, s := range scenarios {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, check.Result{Expect: s.Expect}.ExpectText(), s.Sent)
	}
	return tw.Flush()
}
