package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// signCommand prints the signature headers for a body.
func signCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "print the signature headers for a body, ready for curl -H",
		UsageText: "hooklab sign [--file PATH|-] [--provider NAME] [--secret S | --secret-file F] [--timestamp UNIX] [--id ID]",
		Description: "Reads a body (standard input by default) and prints the provider's signature headers, one\n" +
			"'Name: value' per line, the signature first (for GitHub: X-Hub-Signature-256, then the legacy\n" +
			"X-Hub-Signature). The body is signed byte for byte.\n\n" +
			"Examples:\n" +
			"   printf %s 'Hello, World!' | hooklab sign --secret \"It's a Secret to Everybody\"\n" +
			"   curl http://127.0.0.1:8080/webhook -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \\\n" +
			"        -H \"$(hooklab sign --file ping.json | head -1)\" --data-binary @ping.json\n" +
			"   hooklab sign --provider stripe --file event.json --timestamp 1533204620",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Value: "-", Usage: "sign the bytes of `PATH` (- for standard input)"},
			providerFlag(),
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret + " and " + envProvider),
			timestampFlag(),
			idFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("sign takes no arguments (use --file), got %q", c.Args().First())
			}
			return runSign(c.Context, sys, signOptions{
				File: c.String("file"), sourceOptions: sourceOptionsFrom(c),
				Timestamp: c.Int64("timestamp"), TimestampSet: c.IsSet("timestamp"), ID: c.String("id"),
			})
		},
	}
}

// signOptions is everything `hooklab sign` is told on its command line.
type signOptions struct {
	File          string
	sourceOptions // --secret, --secret-file, --provider, --env-file
	Timestamp     int64
	TimestampSet  bool
	ID            string
}

// runSign prints the signature headers for a body, one per line.
func runSign(ctx context.Context, sys system, o signOptions) error {
	env, err := o.environ(sys.getenv)
	if err != nil {
		return err
	}
	// The provider first: with an unknown one, the secret is moot.
	name, err := o.provider(env)
	if err != nil {
		return err
	}
	s, err := o.secret(env)
	if err != nil {
		return err
	}
	if s.value == "" {
		return noSecretError(o.EnvFile, "")
	}
	warnSecret(sys.stderr, s)
	scheme, err := schemeFor(name, s, signing.Options{})
	if err != nil {
		return err
	}
	// Only once the configuration is known good: a mistake in it is said
	// at once, not after the whole body was typed or piped in.
	body, _, err := readInput(ctx, sys, o.File, "the body")
	if err != nil {
		return err
	}
	m := signing.Message{Body: body, ID: o.ID, Time: sys.now()}
	if o.TimestampSet {
		m.Time = time.Unix(o.Timestamp, 0)
	}
	if m.ID == "" && name == signing.ProviderStandard {
		if m.ID, err = sender.NewID(sys.random); err != nil {
			return fmt.Errorf("cannot make a delivery id: %w", err)
		}
	}
	h, err := scheme.Sign(m)
	if err != nil {
		return err
	}
	// The signature first (what `head -1` picks for curl), then the rest.
	fmt.Fprintf(sys.stdout, "%s: %s\n", http.CanonicalHeaderKey(scheme.SignatureHeader()), h.Get(scheme.SignatureHeader()))
	h.Del(scheme.SignatureHeader())
	for _, k := range slices.Sorted(maps.Keys(h)) {
		fmt.Fprintf(sys.stdout, "%s: %s\n", k, h.Get(k))
	}
	return nil
}
