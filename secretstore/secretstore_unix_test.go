//go:build unix

package secretstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadRefusesUnsafe: what is at the kept secret's path is refused,
// promptly, unless it is a regular file of the user's.
func TestLoadRefusesUnsafe(t *testing.T) {
	const value = "kept-secret-value"
	tests := []struct {
		name     string
		root     bool // needs root, to chown to another user
		setup    func(t *testing.T, s Store)
		wantErr  []string
		wantKind error
	}{
		{name: "a symlink to a good file", setup: func(t *testing.T, s Store) {
			mustKeep(t, s, "other", value)
			if err := os.Symlink(s.Path("other"), s.Path("github")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"symbolic link"}, wantKind: ErrUnsafe},
		{name: "a dangling symlink", setup: func(t *testing.T, s Store) {
			if err := os.Symlink(filepath.Join(s.Dir, "nowhere"), s.Path("github")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"symbolic link"}, wantKind: ErrUnsafe},
		{name: "a FIFO", setup: func(t *testing.T, s Store) {
			if err := syscall.Mkfifo(s.Path("github"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"a named pipe, not a regular file"}, wantKind: ErrUnsafe},
		{name: "another user's file", root: true, setup: func(t *testing.T, s Store) {
			mustKeep(t, s, "github", value)
			if err := os.Chown(s.Path("github"), 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"owned by uid 4242"}, wantKind: ErrUnsafe},
		{name: "a directory others may enter", setup: func(t *testing.T, s Store) {
			mustKeep(t, s, "github", value)
			if err := os.Chmod(s.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"chmod 700 ", "mode 0755"}, wantKind: ErrTooOpen},
		{name: "a directory its group may enter", setup: func(t *testing.T, s Store) {
			mustKeep(t, s, "github", value)
			if err := os.Chmod(s.Dir, 0o710); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"chmod 700 "}, wantKind: ErrTooOpen},
		{name: "another user's directory", root: true, setup: func(t *testing.T, s Store) {
			mustKeep(t, s, "github", value)
			if err := os.Chown(s.Dir, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"owned by uid 4242"}, wantKind: ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Getuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			s := mustStore(t)
			tt.setup(t, s)
			type result struct {
				v   string
				err error
			}
			loaded := make(chan result, 1)
			go func() {
				v, err := s.Load("github")
				loaded <- result{v, err}
			}()
			var r result
			select {
			case r = <-loaded:
			case <-time.After(10 * time.Second): // a hang, not a slow machine
				t.Fatal("Load did not return: it waits on what is at the path")
			}
			if r.err == nil {
				t.Fatalf("Load = %q, want an error", r.v)
			}
			for _, want := range append(tt.wantErr, s.Dir) {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error %q does not say %q", r.err, want)
				}
			}
			if !errors.Is(r.err, tt.wantKind) {
				t.Errorf("error %v is not %v", r.err, tt.wantKind)
			}
			if strings.Contains(r.err.Error(), value) {
				t.Errorf("the error shows the secret: %v", r.err)
			}
		})
	}
}

// TestSaveRefusesDirectory: Save and Create refuse a directory others may
// enter, or another user's, as Load does, and write nothing in it.
func TestSaveRefusesDirectory(t *testing.T) {
	tests := []struct {
		name     string
		root     bool
		mode     os.FileMode
		owner    int // -1: the current user
		wantErr  string
		wantKind error
	}{
		{name: "world-readable", mode: 0o755, owner: -1, wantErr: "chmod 700 ", wantKind: ErrTooOpen},
		{name: "group-writable", mode: 0o770, owner: -1, wantErr: "chmod 700 ", wantKind: ErrTooOpen},
		{name: "another user's", root: true, mode: 0o700, owner: 4242, wantErr: "owned by uid 4242", wantKind: ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Getuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			for name, save := range map[string]func(Store) error{
				"Save":   func(s Store) error { return s.Save("github", "new") },
				"Create": func(s Store) error { _, _, err := s.Create("github", "new"); return err },
			} {
				s := mustStore(t)
				if err := os.Chmod(s.Dir, tt.mode); err != nil {
					t.Fatal(err)
				}
				if tt.owner >= 0 {
					if err := os.Chown(s.Dir, tt.owner, tt.owner); err != nil {
						t.Fatal(err)
					}
				}
				err := save(s)
				if !errors.Is(err, tt.wantKind) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), s.Dir) {
					t.Errorf("%s = %v; want %v, saying %q and %s", name, err, tt.wantKind, tt.wantErr, s.Dir)
				}
				if entries, _ := os.ReadDir(s.Dir); len(entries) > 0 {
					t.Errorf("%s wrote %s in the refused directory", name, entries[0].Name())
				}
			}
		})
	}
}
