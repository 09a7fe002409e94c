package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// Environment variables hooklab reads. Each may also come from the env file;
// a variable already set (and not empty) in the environment wins.
const (
	envSecret  = "WEBHOOK_SECRET"
	envAddr    = "HOOKLAB_ADDR"
	envPath    = "HOOKLAB_PATH"
	envNoColor = "NO_COLOR"
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
// when it is the default one, and a usage error when it was named.
func loadEnviron(getenv func(string) string, path string, named bool) (*environ, error) {
	e := &environ{getenv: getenv}
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

// secret is the shared secret and where it came from. Generated secrets
// are shown once, in the banner; no other secret is ever printed.
type secret struct {
	value     string
	source    string
	generated bool
}

// configuredSecret picks the secret: --secret, else --secret-file, else
// WEBHOOK_SECRET from the environment, else from the env file. With none it
// returns the zero secret.
func configuredSecret(flagValue, file string, env *environ) (secret, error) {
	if flagValue != "" && file != "" {
		return secret{}, usageErrorf("--secret and --secret-file both name a secret; give one")
	}
	if flagValue != "" {
		return secret{value: flagValue, source: "--secret"}, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return secret{}, usageErrorf("cannot read --secret-file: %v", err)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if s == "" {
			return secret{}, usageErrorf("--secret-file %s is empty", file)
		}
		return secret{value: s, source: "--secret-file " + file}, nil
	}
	if v, from := env.lookup(envSecret); v != "" {
		return secret{value: v, source: from}, nil
	}
	return secret{}, nil
}

// noSecretError says where a secret to sign with can come from.
func noSecretError(envFile, more string) error {
	return usageErrorf("no secret to sign with: pass --secret or --secret-file, or set %s in the environment or %s%s", envSecret, envFile, more)
}

// readInput reads path, or standard input for "-", and says which it was.
func readInput(sys system, path string) (data []byte, source string, err error) {
	if path == "-" {
		// Someone at a terminal may not know hooklab is waiting for them.
		if w, ok := sys.stdin.(io.Writer); ok && sys.isTerminal(w) {
			fmt.Fprintln(sys.stderr, "hooklab: reading the body from standard input; end it with Ctrl-D")
		}
		data, err = io.ReadAll(sys.stdin)
		return data, "standard input", err
	}
	data, err = os.ReadFile(path)
	return data, "file " + path, err
}

// resolveSecret is configuredSecret, and with none configured a secret of
// 32 bytes from random, hex encoded.
func resolveSecret(flagValue, file string, env *environ, random io.Reader) (secret, error) {
	s, err := configuredSecret(flagValue, file, env)
	if err != nil || s.value != "" {
		return s, err
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return secret{}, fmt.Errorf("cannot generate a secret: %w", err)
	}
	return secret{value: hex.EncodeToString(b), source: "generated", generated: true}, nil
}

// warnings returns what is risky about a configured secret, in words that
// never include it.
func (s secret) warnings() []string {
	if s.generated {
		return nil
	}
	var w []string
	if n := len(s.value); n < minSecretLen {
		w = append(w, fmt.Sprintf("the secret from %s is %d characters; use at least %d random characters", s.source, n, minSecretLen))
	}
	if strings.TrimSpace(s.value) != s.value {
		w = append(w, fmt.Sprintf("the secret from %s starts or ends with white space; senders rarely keep it, a classic cause of signature mismatches", s.source))
	}
	return w
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

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
