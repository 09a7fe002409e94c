package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/term"
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
	Profile       string
	Wait          time.Duration // for the receiver to accept connections; 0: not at all
	List          bool
	TLS           tlsOptions // --cacert, --insecure: see tls.go
}

func checkCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "run the conformance scenarios against any webhook receiver and say which answers were wrong",
		UsageText: "hooklab check [URL] [--secret S] [--profile security|strict] [--wait 30s] [--expect SCENARIO=CODE[,CODE]]... [--accept-2xx] [--only|--skip NAME,...] [--format table|json|junit]",
		Description: "Sends each scenario (valid deliveries, every kind of bad signature, wrong lengths, sizes,\n" +
			"methods and content types) to the receiver at URL and compares each answer with the status a\n" +
			"correct receiver gives; hooklab listen's answers are the default. Exits 0 when every scenario\n" +
			"passed, 1 when any failed, 2 for bad usage.\n\n" +
			profilesHelp() + "\n" +
			"Examples:\n" +
			"   hooklab check http://127.0.0.1:3000/github/webhook --secret-file secret.txt\n" +
			"   hooklab check URL --profile security --wait 30s     # any verifying receiver, still starting in CI\n" +
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
			&cli.StringFlag{Name: "profile", Value: check.DefaultProfile, Usage: "`PROFILE` of scenarios: " + strings.Join(profileNames(), " or ") + " (see above)"},
			&cli.DurationFlag{Name: "wait", Usage: "wait up to `DURATION` for the receiver to accept connections before the first scenario"},
			&cli.BoolFlag{Name: "list", Usage: "list the profile's scenarios and what each expects, and exit"},
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
				Profile: c.String("profile"), Wait: c.Duration("wait"),
				TLS: tlsOptionsFrom(c),
			})
		},
	}
}

// profileNames returns the names --profile takes.
func profileNames() []string {
	var names []string
	for _, p := range check.Profiles() {
		names = append(names, p.Name)
	}
	return names
}

// profilesHelp says in check --help what each profile holds, from the
// scenario table itself, for GitHub (the default provider).
func profilesHelp() string {
	var b strings.Builder
	b.WriteString("Profiles (--profile; for another provider, --provider P --profile NAME --list shows its scenarios):\n")
	for _, p := range check.Profiles() {
		scenarios, err := check.ProfileScenarios("", p.Name)
		if err != nil {
			panic(err) // the profiles listed are the known ones
		}
		names := make([]string, len(scenarios))
		for i, s := range scenarios {
			names[i] = s.Name
		}
		lines := wrapWords(p.Summary+".", 86)
		lines = append(lines, wrapWords("Scenarios: "+strings.Join(names, ", "), 86)...)
		fmt.Fprintf(&b, "   %-9s %s\n", p.Name, lines[0])
		for _, line := range lines[1:] {
			b.WriteString("             " + line + "\n")
		}
	}
	return b.String()
}

// wrapWords breaks s into lines of at most width bytes at spaces; a word
// longer than a line has one to itself.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	return append(lines, line)
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
	if o.Wait < 0 {
		return cfg, false, usageErrorf("--wait must not be negative, got %s", o.Wait)
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
	if _, err := check.ProfileScenarios(cfg.Provider, o.Profile); err != nil {
		return cfg, false, usageError{err}
	}
	cfg.Profile = o.Profile
	s, err := o.secret(env)
	if err != nil {
		return cfg, false, err
	}
	if s.value == "" {
		return cfg, false, noSecretError(o.EnvFile, "; it must be the receiver's")
	}
	warnSecret(sys.stderr, s)
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
		return listScenarios(sys.stdout, name, o.Profile)
	}
	cfg, colored, err := resolveCheck(sys, o)
	if err != nil {
		return err
	}
	if o.Wait > 0 {
		if err := waitForReceiver(ctx, sys, cfg.URL, o.Wait); err != nil {
			return err
		}
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
		if werr := check.WriteWidth(sys.stdout, report, o.Format, colored, outputWidth(sys)); werr != nil {
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
	return writeReport(sys.stdout, report, o.Format, colored, outputWidth(sys))
}

// waitForReceiver waits up to within for something to accept connections
// at u, saying once on stderr that it waits. Nothing by then is one error,
// instead of a table of refused connections.
func waitForReceiver(ctx context.Context, sys system, u *url.URL, within time.Duration) error {
	said := false
	err := check.WaitForReceiver(ctx, u, within, func(error) {
		if !said {
			fmt.Fprintf(sys.stderr, "hooklab: waiting up to %s for %s to accept connections\n", within, u.Host)
			said = true
		}
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("check %w while waiting for %s", errInterrupted, u.Host)
	}
	return err
}

// outputWidth is the width the table fits on stdout: the terminal's
// ($COLUMNS when set), or 0 (as wide as it needs) when stdout is not a
// terminal.
func outputWidth(sys system) int {
	return term.Width(sys.stdout, sys.getenv)
}

// writeReport prints report, its table fitted to width columns (0: as
// wide as it needs), and turns a failed run into exit 1.
func writeReport(w io.Writer, report check.Report, format string, colored bool, width int) error {
	if err := check.WriteWidth(w, report, format, colored, width); err != nil {
		return err
	}
	if !report.OK() {
		return reportedError{fmt.Errorf("%w: %d of %d", errChecksFailed, len(report.Failed()), len(report.Results))}
	}
	return nil
}

// listScenarios prints the scenario table of a provider's profile: name,
// what is expected, what is sent.
func listScenarios(w io.Writer, providerName, profile string) error {
	scenarios, err := check.ProfileScenarios(providerName, profile)
	if err != nil {
		return usageError{err}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tEXPECT\tSENT")
	for _, s := range scenarios {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.ExpectText(), s.Sent)
	}
	return tw.Flush()
}
