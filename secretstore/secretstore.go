// Package secretstore keeps the secrets hooklab generates, one file per
// provider in a directory of the user's, so that a listener restarted
// tomorrow verifies with the secret its senders were given today.
//
// A kept secret is a file of mode 0600 in a directory of mode 0700. Like
// ssh with a private key, a file or directory that other users may read is
// refused, never used: the secret may have been read by someone else. So
// is a symbolic link, a file that is not a regular one (a named pipe would
// block the reader) and anything another user owns: someone else may have
// chosen the secret. The first secret kept for a provider is created, never
// replaced, so that listeners started at once all use the one kept.
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

// ErrTooOpen is the error of Load, Save and Create when the kept file, or
// the directory that keeps it, may be read, written or entered by other
// users. The message says which chmod to run.
var ErrTooOpen = errors.New("accessible to other users")

// ErrUnsafe is the error of Load, Save and Create when what is at a kept
// secret's path, or the directory, is not what hooklab keeps there: a
// symbolic link, a named pipe or other file that is not a regular one, or
// something another user owns. Like ErrTooOpen, it is never used.
var ErrUnsafe = errors.New("not safe to use")

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
// when there is none; one wrapping ErrTooOpen, saying which chmod to run,
// when the file's or the directory's group or others have any permission
// on it; and one wrapping ErrUnsafe when the file is a symbolic link, is not
// a regular file (a named pipe is refused, not waited on), or when either
// is another user's.
func (s Store) Load(provider string) (string, error) {
	if err := checkProvider(provider); err != nil {
		return "", err
	}
	if err := s.checkDir(); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w for %s in %s", ErrNotKept, provider, s.Dir)
	} else if err != nil {
		return "", err
	}
	path := s.Path(provider)
	f, err := os.OpenFile(path, openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w for %s in %s", ErrNotKept, provider, s.Dir)
	}
	if err != nil {
		// O_NOFOLLOW's error (ELOOP, or EMLINK on FreeBSD) does not say why.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("the kept secret %s is %w: it is a symbolic link, not the file hooklab writes; delete it (or --new-secret) to make a new one", path, ErrUnsafe)
		}
		return "", fmt.Errorf("cannot read the kept secret: %w", err)
	}
	defer f.Close()
	// The file opened, not whatever is at path by now.
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read the kept secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("the kept secret %s is %w: it is %s, not a regular file; delete it to make a new one", path, ErrUnsafe, kind(fi.Mode()))
	}
	if err := otherOwner(fi); err != nil {
		return "", fmt.Errorf("the kept secret %s is %w: it is %v; delete it (or --new-secret) to make a new one", path, ErrUnsafe, err)
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

// Save keeps secret for provider, replacing any kept before (--new-secret),
// whole or not at all: a listener starting at the same time reads the old
// secret or the new one, never half of one. It creates the directory with
// mode 0700, and refuses one that is not (ErrTooOpen) or is another
// user's (ErrUnsafe).
func (s Store) Save(provider, secret string) error {
	if err := s.prepare(provider, secret); err != nil {
		return err
	}
	return atomicfile.Write(s.Path(provider), []byte(secret), FileMode)
}

// Create keeps secret for provider unless a secret is kept already, and
// returns the secret the store then holds: secret itself with created
// true, or, when another run kept one first, that one (as Load returns
// it) with created false. Of two listeners started at once for the first
// time, both use the secret the file holds, never one each. The file
// appears whole, by a hard link of a complete file written beside it. The
// directory is created and checked as Save does.
func (s Store) Create(provider, secret string) (kept string, created bool, err error) {
	if err := s.prepare(provider, secret); err != nil {
		return "", false, err
	}
	path := s.Path(provider)
	f, err := os.CreateTemp(s.Dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return "", false, fmt.Errorf("cannot keep the secret in %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // the link, when made, keeps the file
	_, err = f.WriteString(secret)
	if err == nil {
		err = f.Chmod(FileMode)
	}
	if err == nil {
		err = f.Sync() // a crash leaves a whole secret or none, never an empty file
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path) // fails, rather than replaces, when path exists
	}
	switch {
	case err == nil:
		return secret, true, nil
	case errors.Is(err, fs.ErrExist):
		kept, err := s.Load(provider)
		return kept, false, err
	default:
		return "", false, fmt.Errorf("cannot keep the secret in %s: %w", path, err)
	}
}

// prepare checks what Save and Create are given, and makes the directory
// (mode 0700) or checks the one there.
func (s Store) prepare(provider, secret string) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	if secret == "" || strings.ContainsAny(secret, "\r\n") {
		return fmt.Errorf("cannot keep a secret that is empty or holds a line break")
	}
	if err := os.MkdirAll(s.Dir, DirMode); err != nil {
		return fmt.Errorf("cannot create %s: %w", s.Dir, err)
	}
	return s.checkDir()
}

// checkDir refuses the directory, as ssh refuses a ~/.ssh others may
// enter, when its group or others have any permission on it (ErrTooOpen)
// or it is another user's (ErrUnsafe): either could read or swap the
// secrets in it. An error wrapping fs.ErrNotExist says it is not there.
func (s Store) checkDir() error {
	fi, err := os.Stat(s.Dir)
	if err != nil {
		return fmt.Errorf("cannot use %s: %w", s.Dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot use %s: it is not a directory", s.Dir)
	}
	if err := otherOwner(fi); err != nil {
		return fmt.Errorf("the directory %s, where hooklab keeps secrets, is %w: it is %v", s.Dir, ErrUnsafe, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("the directory %s, where hooklab keeps secrets, is %w (mode %04o): run chmod 700 %s", s.Dir, ErrTooOpen, perm, s.Dir)
	}
	return nil
}

// kind names a file type that is not a regular file: "a named pipe".
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// checkProvider refuses a provider name that would be a path.
func checkProvider(provider string) error {
	if provider == "" || strings.ContainsAny(provider, `/\.`) {
		return fmt.Errorf("cannot keep a secret for provider %q", provider)
	}
	return nil
}
