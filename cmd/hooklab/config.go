package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/joho/godotenv"
	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

// Environment variables hooklab reads. Each may also come from the env file;
// a variable already set (and not empty) in the environment wins.
const (
	envSecret         = "WEBHOOK_SECRET"
	envSecretPrevious = "WEBHOOK_SECRET_PREVIOUS"
	envProvider       = "HOOKLAB_PROVIDER"
	envAddr           = "HOOKLAB_ADDR"
	envPath           = "HOOKLAB_PATH"
	envForwardSecret  = "HOOKLAB_FORWARD_SECRET"
	envNoColor        = "NO_COLOR"
)

// defaultEnvFile is read when present; naming another with --env-file makes
// it required.
const defaultEnvFile = ".env"

// minSecretLen is the length below which a configured secret gets a warning.
const minSecretLen = 32

// environ looks variables up in the process environment, then in the env
// file. The process environment is never changed.
type environ struct {
	getenv   func(string) string
	file     map[string]string
	fileName string
}

// loadEnviron reads the env file into an environ. A missing file is fine
// when it is the default one, and a usage error when it was named; so is a
// directory (a Python virtualenv is often called .env). Devices and pipes
// are read: --env-file /dev/null reads nothing, --env-file <(...) works.
func loadEnviron(getenv func(string) string, path string, named bool) (*environ, error) {
	e := &environ{getenv: getenv}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if !named {
			return e, nil
		}
		return nil, usageErrorf("env file %s is a directory; --env-file names a file of NAME=value lines", path)
	}
	vars, err := godotenv.Read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !named:
		return e, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf("env file %s does not exist", path)
	case err != nil:
		// godotenv's message quotes the file, which may hold the secret.
		return nil, usageErrorf("env file %s does not parse; check that each line is NAME=value with balanced quotes (the contents are not shown: they may hold the secret)", path)
	}
	e.file, e.fileName = vars, path
	return e, nil
}

// lookup returns the value of key and where it came from ("" when unset).
// Set but empty counts as unset.
func (e *environ) lookup(key string) (value, from string) {
	if v := e.getenv(key); v != "" {
		return v, key
	}
	if v := e.file[key]; v != "" {
		return v, key + " in " + e.fileName
	}
	return "", ""
}

// secret is the shared secret and where it came from, with any others
// that still verify during a rotation. Generated secrets are shown once,
// in the banner; no other secret is ever printed.
type secret struct {
	value        string   // signs, and verifies
	others       []string // verify too: the secrets being rotated out
	source       string
	previousFrom string // where WEBHOOK_SECRET_PREVIOUS, the last of others, came from; "" when unset
	generated    bool
}

// describe says where the secrets that verify came from, never what they
// are: "from WEBHOOK_SECRET; the previous one, from WEBHOOK_SECRET_PREVIOUS,
// is accepted too".
func (s secret) describe() string {
	d := "from " + s.source
	repeated := len(s.others) // more --secret flags
	if s.previousFrom != "" {
		repeated--
	}
	if repeated > 0 {
		d += fmt.Sprintf(" (%d secrets, each accepted)", repeated+1)
	}
	if s.previousFrom != "" {
		d += "; the previous one, from " + s.previousFrom + ", is accepted too"
	}
	return d
}

// all returns every secret, the signing one first.
func (s secret) all() []string { return append([]string{s.value}, s.others...) }

// configuredSecret picks the secret: --secret (repeatable: the first
// signs, the others verify too), else --secret-file, else WEBHOOK_SECRET
// from the environment, else from the env file. WEBHOOK_SECRET_PREVIOUS,
// when set, verifies too. With none it returns the zero secret. A --secret
// given empty is a usage error: it is nearly always `--secret "$VAR"` with
// VAR unset, and taking it as no flag would quietly verify with another
// secret (or, for listen, a generated one).
func configuredSecret(flags []string, file string, env *environ) (secret, error) {
	if slices.Contains(flags, "") {
		return secret{}, usageErrorf(`--secret is empty (an unset variable, as in --secret "$VAR"?); pass the secret, or leave --secret out`)
	}
	var s secret
	switch {
	case len(flags) > 0 && file != "":
		return secret{}, usageErrorf("--secret and --secret-file both name a secret; give one")
	case len(flags) > 0:
		s = secret{value: flags[0], others: flags[1:], source: "--secret"}
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return secret{}, usageErrorf("cannot read --secret-file: %v", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return secret{}, usageErrorf("--secret-file %s is empty", file)
		}
		s = secret{value: v, source: "--secret-file " + file}
	default:
		v, from := env.lookup(envSecret)
		if v == "" {
			// The previous secret verifies beside the current one, never
			// instead of it: alone, it is a rotation half done.
			if _, prevFrom := env.lookup(envSecretPrevious); prevFrom != "" {
				return secret{}, usageErrorf("%s is set but %s is not: set %s to the new secret, or unset %s",
					prevFrom, envSecret, envSecret, envSecretPrevious)
			}
			return secret{}, nil
		}
		s = secret{value: v, source: from}
	}
	if prev, from := env.lookup(envSecretPrevious); prev != "" {
		s.others = append(s.others, prev)
		s.previousFrom = from
	}
	return s, nil
}

// schemeFor builds the provider's scheme with every secret, the signing
// one first. A secret the scheme cannot use (a Standard Webhooks secret
// that is not whsec_ and base64) is a usage error naming where it came from.
func schemeFor(providerName string, s secret, opts signing.Options) (signing.Scheme, error) {
	scheme, err := signing.New(providerName, s.all(), opts)
	if err != nil {
		return nil, usageErrorf("cannot use the secret from %s: %v", s.source, err)
	}
	return scheme, nil
}

// noSecretError says where a secret to sign with can come from.
func noSecretError(envFile, more string) error {
	return usageErrorf("no secret to sign with: pass --secret or --secret-file, or set %s in the environment or %s%s", envSecret, envFile, more)
}

// readInput reads path, or standard input for "-", and says which it was.
// When ctx is done first (Ctrl-C while standard input is still open) it
// returns errInterrupted at once; any other failure is a usage error that
// says it could not read what (such as "--file").
func readInput(ctx context.Context, sys system, path, what string) (data []byte, source string, err error) {
	data, source, err = readPath(ctx, sys, path)
	if err != nil && !errors.Is(err, errInterrupted) {
		err = usageErrorf("cannot read %s: %v", what, err)
	}
	return data, source, err
}

// readPath is readInput without naming what failed to be read.
func readPath(ctx context.Context, sys system, path string) (data []byte, source string, err error) {
	if path != "-" {
		data, err = os.ReadFile(path)
		return data, "file " + path, err
	}
	if ctx.Err() != nil {
		return nil, "standard input", errInterrupted
	}
	// Someone at a terminal may not know hooklab is waiting for them.
	if sys.isTerminal(sys.stdin) {
		fmt.Fprintln(sys.stderr, "hooklab: reading the body from standard input; end it with Ctrl-D")
	}
	type result struct {
		data []byte
		err  error
	}
	read := make(chan result, 1)
	// A read from standard input cannot be cancelled: on Ctrl-C this
	// goroutine is left blocked, and hooklab exits without it.
	go func() {
		data, err := io.ReadAll(sys.stdin)
		read <- result{data, err}
	}()
	select {
	case r := <-read:
		return r.data, "standard input", r.err
	case <-ctx.Done():
		return nil, "standard input", errInterrupted
	}
}

// resolveSecret is configuredSecret, and with none configured a new
// secret in the provider's form (generateSecret).
func resolveSecret(flagValues []string, file string, env *environ, random io.Reader, providerName string) (secret, error) {
	s, err := configuredSecret(flagValues, file, env)
	if err != nil || s.value != "" {
		return s, err
	}
	v, err := generateSecret(providerName, random)
	if err != nil {
		return secret{}, err
	}
	return secret{value: v, source: "generated", generated: true}, nil
}

// generateSecret makes a secret of 32 random bytes in the provider's form:
// whsec_ and base64 for Standard Webhooks, hex otherwise.
func generateSecret(providerName string, random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("cannot generate a secret: %w", err)
	}
	if providerName == signing.ProviderStandard {
		return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
	}
	return hex.EncodeToString(b), nil
}

// resolveProvider reads --provider, else HOOKLAB_PROVIDER, else github.
func resolveProvider(flagValue string, flagSet bool, env *environ) (string, error) {
	name := flagValue
	if v, _ := env.lookup(envProvider); v != "" && !flagSet {
		name = v
	}
	if name == "" {
		name = signing.ProviderGitHub
	}
	if _, err := provider.Lookup(name); err != nil {
		return "", usageError{err}
	}
	return name, nil
}

// warnings returns what is risky about a configured secret, in words that
// never include it.
func (s secret) warnings() []string {
	if s.generated {
		return nil
	}
	var w []string
	for i, v := range s.all() {
		which := "the secret from " + s.source
		if i > 0 {
			which = fmt.Sprintf("secret %d (one being rotated out)", i+1)
		}
		if n := len(v); n < minSecretLen {
			w = append(w, fmt.Sprintf("%s is %d characters; use at least %d random characters", which, n, minSecretLen))
		}
		if strings.TrimSpace(v) != v {
			w = append(w, fmt.Sprintf("%s starts or ends with white space; senders rarely keep it, a classic cause of signature mismatches", which))
		}
	}
	return w
}

// sourceOptions are the flags that listen, send, sign and check share to
// say where the secret and the provider come from.
type sourceOptions struct {
	Secrets     []string
	SecretFile  string
	Provider    string
	ProviderSet bool
	EnvFile     string
	EnvFileSet  bool
}

func sourceOptionsFrom(c *cli.Context) sourceOptions {
	return sourceOptions{
		Secrets: c.StringSlice("secret"), SecretFile: c.String("secret-file"),
		Provider: c.String("provider"), ProviderSet: c.IsSet("provider"),
		EnvFile: c.String("env-file"), EnvFileSet: c.IsSet("env-file"),
	}
}

// environ is the environment, with the --env-file the options name.
func (o sourceOptions) environ(getenv func(string) string) (*environ, error) {
	return loadEnviron(getenv, o.EnvFile, o.EnvFileSet)
}

// provider is the provider named by --provider or the environment.
func (o sourceOptions) provider(env *environ) (string, error) {
	return resolveProvider(o.Provider, o.ProviderSet, env)
}

// secret is the secret from --secret, --secret-file or the environment,
// with nothing generated.
func (o sourceOptions) secret(env *environ) (secret, error) {
	return configuredSecret(o.Secrets, o.SecretFile, env)
}

// writeJSON writes v as one line of JSON, with <, > and & as they are:
// the --json output of send, its load mode and its fixture list.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// colorMode is the --color flag's value.
type colorMode string

const (
	colorAuto   colorMode = "auto"
	colorAlways colorMode = "always"
	colorNever  colorMode = "never"
)

func parseColorMode(s string) (colorMode, error) {
	switch m := colorMode(s); m {
	case colorAuto, colorAlways, colorNever:
		return m, nil
	}
	return "", usageErrorf("--color must be auto, always or never, not %q", s)
}

// useColor decides colour for one output: always and never are obeyed;
// auto means colour only on a terminal and only when NO_COLOR is unset.
func useColor(mode colorMode, terminal bool, getenv func(string) string) bool {
	switch mode {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	return terminal && getenv(envNoColor) == ""
}

// resolveColor reads --color for output to sys.stdout; JSON output is
// never coloured.
func resolveColor(sys system, flag string, asJSON bool) (bool, error) {
	mode, err := parseColorMode(flag)
	if err != nil {
		return false, err
	}
	return !asJSON && useColor(mode, sys.isTerminal(sys.stdout), sys.getenv), nil
}

// isTerminal reports whether v, standard input or an output, is a file
// open on a terminal. Other character devices, such as /dev/null, are not.
func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}
