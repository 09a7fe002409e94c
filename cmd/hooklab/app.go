package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/receiver"
)

// Exit codes, the only ones hooklab uses.
const (
	exitOK    = 0 // done as asked
	exitError = 1 // the work failed: a server error, an unexpected answer
	exitUsage = 2 // bad flags, arguments or configuration
)

// system is what hooklab takes from the world outside, so tests can run it
// without a terminal, a real clock or real randomness.
type system struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	random         io.Reader
	now            func() time.Time
	isTerminal     func(any) bool // of stdin or an output
	// force returns a channel that is closed when the user asks a second
	// time to stop (Ctrl-C again): listen stops at once instead of letting
	// deliveries finish. Only a command that calls it gets the second
	// signal (see notifyInterrupts); nil, or a nil channel, never stops.
	force func() <-chan struct{}
	// limits overrides receiver.DefaultLimits for listen, in tests.
	limits *receiver.Limits
}

// run is main without the process: it runs hooklab with args until it is
// done or ctx is, and returns the exit code. force is how a command asks
// for the second Ctrl-C (see system.force).
func run(ctx context.Context, force func() <-chan struct{}, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runWith(ctx, args, system{
		stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		random: rand.Reader, now: time.Now, isTerminal: isTerminal, force: force,
	})
}

func runWith(ctx context.Context, args []string, sys system) int {
	app := newApp(sys)
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err == nil {
		return exitOK
	}
	var reported reportedError
	if !errors.As(err, &reported) {
		fmt.Fprintf(sys.stderr, "hooklab: %v\n", err)
	}
	return exitCode(err)
}

// flagsFirst moves a subcommand's flags before its arguments, so that
// `hooklab send push --expect 401` works as people type it: urfave/cli v2,
// like the flag package, stops reading flags at the first argument.
// Everything after "--" stays an argument. Aliases are written as the
// flag's name.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	canonical := map[string]string{} // alias -> name
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			takesValue[name] = !isBool
			canonical[name] = f.Names()[0]
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		// Aliases become the flag's name: urfave/cli v2 refuses a slice
		// flag given in both forms (-H and --header).
		base, value, hasValue := strings.Cut(name, "=")
		if c, ok := canonical[base]; ok && c != base {
			a = "--" + c
			if hasValue {
				a += "=" + value
			}
		}
		flags = append(flags, a)
		if takesValue[name] && !strings.Contains(name, "=") {
			if i+1 == len(rest) {
				// The value is missing. The flag stays last, with nothing
				// after it, so that the parser reports that, instead of
				// taking the "--" added below, or an argument, as the
				// value (`send push --secret` would sign with "--"). The
				// arguments do not matter once parsing fails.
				return append([]string{args[0], args[1]}, flags...)
			}
			flags = append(flags, rest[i+1])
			i++
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}

// errInterrupted is the exit 1 of work cut short by Ctrl-C (SIGINT) or
// SIGTERM: said in those words, not as a "context canceled".
var errInterrupted = errors.New("interrupted")

// usageError is a mistake in how hooklab was called or configured.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// reportedError is an error that was already shown to the user (as a log
// record, say), so run only turns it into an exit code.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

// exitCode maps an error to its exit code.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	default:
		return exitError
	}
}

// version returns the module version from the build info, with the VCS
// revision when the binary was built from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + modified + ")"
	}
	return v + " " + info.GoVersion
}

func newApp(sys system) *cli.App {
	onUsageError := func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
	app := &cli.App{
		Name:    "hooklab",
		Usage:   "build, debug and smoke-test webhook endpoints",
		Version: version(),
		Description: "hooklab receives webhooks and verifies their signatures with exact status codes and reasons.\n\n" +
			"The tour:           hooklab demo\n" +
			"Start a receiver:   hooklab listen\n" +
			"Send it a delivery: hooklab send push   (--signature wrong, --length missing, ... show the other answers)\n" +
			"Check any receiver: hooklab check URL --secret-file F\n" +
			"Providers: --provider github (default), stripe, standard, slack, shopify, gitlab, gitea.\n" +
			"Settings come from flags, the environment, or a .env file (WEBHOOK_SECRET, WEBHOOK_SECRET_PREVIOUS,\n" +
			"HOOKLAB_PROVIDER, HOOKLAB_ADDR, HOOKLAB_PATH, HOOKLAB_URL).",
		Writer:                 sys.stdout,
		ErrWriter:              sys.stderr,
		ExitErrHandler:         func(*cli.Context, error) {},
		OnUsageError:           onUsageError,
		HideHelpCommand:        true,
		UseShortOptionHandling: true,
		// Each slice flag splits its own values where commas separate
		// items (--only, send's --expect). urfave/cli's splitting would cut
		// check's --expect SCENARIO=CODE,CODE, and a --header value with a
		// comma, in two.
		DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{
			listenCommand(sys, onUsageError),
			sendCommand(sys, onUsageError),
			signCommand(sys, onUsageError),
			checkCommand(sys, onUsageError),
			replayCommand(sys, onUsageError),
			verifyCommand(sys, onUsageError),
			demoCommand(sys, onUsageError),
			secretCommand(sys, onUsageError),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("unknown command %q; run 'hooklab --help' for the commands", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	return app
}
