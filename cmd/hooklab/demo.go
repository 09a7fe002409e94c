package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

func demoCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "a one-command tour: a listener, every scenario sent to it, and the table of answers",
		UsageText: "hooklab demo [--provider github] [--color auto|always|never]",
		Description: "Starts hooklab listen in-process on a free loopback port with a generated secret, shows its\n" +
			"log as the scenarios of hooklab check arrive, then prints the table. Exits 0 when every answer\n" +
			"was right. Needs no .env, no flags and no network beyond loopback.\n\n" +
			"Example:\n" +
			"   go run ./cmd/hooklab demo",
		OnUsageError: onUsageError,
		Flags:        []cli.Flag{providerFlag(), colorFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("demo takes no arguments, got %q", c.Args().First())
			}
			name := c.String("provider")
			if v := sys.getenv(envProvider); v != "" && !c.IsSet("provider") {
				name = v
			}
			return runDemo(c.Context, sys, name, c.String("color"))
		},
	}
}

// runDemo runs a listener and check against it, in one process.
func runDemo(ctx context.Context, sys system, providerName, colorFlag string) error {
	colored, err := resolveColor(sys, colorFlag, false)
	if err != nil {
		return err
	}
	if _, err := provider.Lookup(providerName); err != nil {
		return usageErrorf("--provider: %v", err)
	}
	secret, err := signing.NewSecret(providerName, sys.random)
	if err != nil {
		return err
	}
	scheme, err := signing.New(providerName, []string{secret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		return err
	}
	log := slog.New(receiver.NewTextHandler(sys.stdout, colored).FitTo(outputWidth(sys)))
	rc, err := receiver.New(receiver.Config{Scheme: scheme, Logger: log, Now: sys.now})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cannot listen on loopback: %w", err)
	}
	target := &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: receiver.DefaultPath}
	all, err := check.ScenariosFor(providerName)
	if err != nil {
		return usageErrorf("--provider: %v", err)
	}
	scenarios := len(all)
	p := term.NewPalette(colored)
	fmt.Fprintf(sys.stdout, "%s  a listener on %s with a generated secret; sending it %d scenarios\n\n",
		p.Bold.Sprint("hooklab demo"), target, scenarios)

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	limits := receiver.DefaultLimits()
	if sys.limits != nil {
		limits = *sys.limits
	}
	go func() { served <- receiver.Serve(serveCtx, ln, rc, limits, nil) }()

	report, runErr := check.Run(ctx, check.Config{
		URL: target, Secret: secret, Provider: providerName, MaxBody: receiver.DefaultMaxBody, Timeout: check.DefaultTimeout,
		Random: sys.random, Now: sys.now, UserAgent: userAgent(),
	})
	// Stop the listener before the table, so that its last log lines come
	// first.
	stop()
	if err := <-served; err != nil {
		return fmt.Errorf("the demo's listener: %w", err)
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("demo %w", errInterrupted)
	case runErr != nil:
		return fmt.Errorf("demo stopped: %w", runErr)
	}
	fmt.Fprintln(sys.stdout)
	return writeReport(sys.stdout, report, check.FormatTable, colored, outputWidth(sys))
}
