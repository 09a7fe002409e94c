// Package secretstore keeps the secrets hooklab generates, one file per
// provider in a directory of the user's, so that a listener restarted
// tomorrow verifies with the secret its senders were given today.
//
// A kept secret is a file of mode 0600 in a directory of mode 0700. Like
// ssh with a private key, a file that other users may read is refused,
// never used: the secret may have been read by someone else.
package secretstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hooklab/hooklab/internal/atomicfile"
)

// Modes of what the store creates: only the user may read or enter.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// ErrNotKept is Load's error when no secret is kept for the provider.
var ErrNotKept = errors.New("no secret kept")

// ErrTooOpen is Load's error when the kept file may be read or written by other users.
var ErrTooOpen = errors.New("accessible to other users")

// maxSecret bounds what Load reads: a kept secret is some dozens of bytes.
const maxSecret = 4096

// Store is a directory of kept secrets.
type Store struct {
	// Dir is the directory; Save creates it (mode 0700) when missing.
	Dir string
}

// UserDir is os.UserConfigDir()/hooklab, with the environment read through
// getenv, so that a caller (a test) decides which home it is.
func UserDir(getenv func(string) string) (string, error) {
	dir, err := userConfigDir(runtime.GOOS, getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hooklab"), nil
}

// userConfigDir is os.UserConfigDir for goos, reading getenv.
func userConfigDir(goos string, getenv func(string) string) (string, error) {
	var dir, from string
	switch goos {
	case "windows":
		dir, from = getenv("AppData"), "%AppData%"
	case "darwin", "ios":
		if dir, from = getenv("HOME"), "$HOME"; dir != "" {
			dir = filepath.Join(dir, "Library", "Application Support")
		}
	case "plan9":
		if dir, from = getenv("home"), "$home"; dir != "" {
			dir = filepath.Join(dir, "lib")
		}
	default:
		if dir, from = getenv("XDG_CONFIG_HOME"), "$XDG_CONFIG_HOME"; dir == "" {
			if dir, from = getenv("HOME"), "$XDG_CONFIG_HOME nor $HOME"; dir != "" {
				dir = filepath.Join(dir, ".config")
			}
		} else if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("no configuration directory: the path in $XDG_CONFIG_HOME, %s, is relative", dir)
		}
	}
	if dir == "" {
		if strings.Contains(from, " nor ") {
			return "", fmt.Errorf("no configuration directory: neither %s is set", from)
		}
		return "", fmt.Errorf("no configuration directory: %s is not set", from)
	}
	return dir, nil
}

// Path is the file that keeps provider's secret: secret-github.
func (s Store) Path(provider string) string {
	return filepath.Join(s.Dir, "secret-"+provider)
}

// Load returns the secret kept for provider, with one trailing newline
// dropped (an editor may add one). It returns an error wrapping ErrNotKept
// when there is none, and one wrapping ErrTooOpen, saying to chmod 600,
// when its group or others have any permission on it.
func (s Store) Load(provider string) (string, error) {
	if err := checkProvider(provider); err != nil {
		return "", err
	}
	path := s.Path(provider)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w for %s in %s", ErrNotKept, provider, s.Dir)
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the kept secret: %w", err)
	}
	defer f.Close()
	// The mode of the file opened, not of whatever is at path later.
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read the kept secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("the kept secret %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("the kept secret %s is %w (mode %04o): run chmod 600 %s, or delete it (or --new-secret) to make a new one", path, ErrTooOpen, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("cannot read the kept secret: %w", err)
	}
	if len(b) > maxSecret {
		return "", fmt.Errorf("the kept secret %s is larger than %d bytes: not a secret hooklab wrote", path, maxSecret)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("the kept secret %s is empty: delete it (or --new-secret) to make a new one", path)
	}
	return v, nil
}

// Save keeps secret for provider, replacing any kept before, whole or not
// at all: a listener starting at the same time reads the old secret or the
// new one, never half of one. It creates the directory with mode 0700.
func (s Store) Save(provider, secret string) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	if secret == "" || strings.ContainsAny(secret, "\r\n") {
		return fmt.Errorf("cannot keep a secret that is empty or holds a line break")
	}
	if err := os.MkdirAll(s.Dir, DirMode); err != nil {
		return fmt.Errorf("cannot create %s: %w", s.Dir, err)
	}
	return atomicfile.Write(s.Path(provider), []byte(secret), FileMode)
}

// checkProvider refuses a provider name that would be a path.
func checkProvider(provider string) error {
	if provider == "" || strings.ContainsAny(provider, `/\.`) {
		return fmt.Errorf("cannot keep a secret for provider %q", provider)
	}
	return nil
}
