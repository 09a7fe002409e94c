package secretstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// mustStore returns a store in a new directory of mode 0700 (t.TempDir's
// own is 0755, which the store refuses).
func mustStore(tb testing.TB) Store {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "hooklab")
	if err := os.Mkdir(dir, DirMode); err != nil {
		tb.Fatal(err)
	}
	return Store{Dir: dir}
}

// mustKeep writes value as provider's kept secret in s, mode 0600.
func mustKeep(tb testing.TB, s Store, provider, value string) {
	tb.Helper()
	if err := os.WriteFile(s.Path(provider), []byte(value), FileMode); err != nil {
		tb.Fatal(err)
	}
}

func TestSaveThenLoad(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "config", "hooklab")}
	if _, err := s.Load("github"); !errors.Is(err, ErrNotKept) {
		t.Fatalf("Load before Save: %v, want ErrNotKept", err)
	}
	if err := s.Save("github", "first"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("stripe", "stripe's"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("github", "second"); err != nil {
		t.Fatal(err)
	}
	for provider, want := range map[string]string{"github": "second", "stripe": "stripe's"} {
		if got, err := s.Load(provider); err != nil || got != want {
			t.Errorf("Load(%s) = %q, %v; want %q", provider, got, err, want)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	for path, want := range map[string]os.FileMode{s.Dir: DirMode, s.Path("github"): FileMode, s.Path("stripe"): FileMode} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if got := s.Path("github"); got != filepath.Join(s.Dir, "secret-github") {
		t.Errorf("Path(github) = %s", got)
	}
}

func TestLoadRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are Unix's")
	}
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		dir     bool // a directory where the file should be
		wantErr []string
		tooOpen bool
	}{
		{name: "world-readable", content: "kept-secret-value", mode: 0o644, wantErr: []string{"chmod 600", "mode 0644"}, tooOpen: true},
		{name: "group-readable", content: "kept-secret-value", mode: 0o640, wantErr: []string{"chmod 600"}, tooOpen: true},
		{name: "group-writable", content: "kept-secret-value", mode: 0o620, wantErr: []string{"chmod 600"}, tooOpen: true},
		{name: "empty", content: "", mode: 0o600, wantErr: []string{"is empty"}},
		{name: "only a newline", content: "\n", mode: 0o600, wantErr: []string{"is empty"}},
		{name: "too large", content: strings.Repeat("s", maxSecret+1), mode: 0o600, wantErr: []string{"larger than"}},
		{name: "a directory", dir: true, wantErr: []string{"not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustStore(t)
			path := s.Path("github")
			if tt.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			got, err := s.Load("github")
			if err == nil {
				t.Fatalf("Load = %q, want an error", got)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if errors.Is(err, ErrTooOpen) != tt.tooOpen {
				t.Errorf("errors.Is(%v, ErrTooOpen) = %v, want %v", err, !tt.tooOpen, tt.tooOpen)
			}
			if tt.content != "" && strings.Contains(err.Error(), tt.content) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestLoadDropsOneNewline(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{name: "as written", content: "abc", want: "abc"},
		{name: "newline", content: "abc\n", want: "abc"},
		{name: "CRLF", content: "abc\r\n", want: "abc"},
		{name: "two newlines", content: "abc\n\n", want: "abc\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustStore(t)
			if err := os.WriteFile(s.Path("github"), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Load("github"); err != nil || got != tt.want {
				t.Errorf("Load = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSaveFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		dir              string
		provider, secret string
	}{
		{name: "the directory is a file", dir: filepath.Join(file, "hooklab"), provider: "github", secret: "s"},
		{name: "a provider that is a path", dir: t.TempDir(), provider: "../x", secret: "s"},
		{name: "no provider", dir: t.TempDir(), provider: "", secret: "s"},
		{name: "an empty secret", dir: t.TempDir(), provider: "github", secret: ""},
		{name: "a line break", dir: t.TempDir(), provider: "github", secret: "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := (Store{Dir: tt.dir}).Save(tt.provider, tt.secret); err == nil {
				t.Error("Save succeeded, want an error")
			}
		})
	}
}

func TestUserDir(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		want    string // "" for an error
		wantErr string
	}{
		{name: "XDG_CONFIG_HOME", goos: "linux", env: map[string]string{"XDG_CONFIG_HOME": "/x/config", "HOME": "/home/u"}, want: "/x/config"},
		{name: "HOME", goos: "linux", env: map[string]string{"HOME": "/home/u"}, want: "/home/u/.config"},
		{name: "relative XDG_CONFIG_HOME", goos: "linux", env: map[string]string{"XDG_CONFIG_HOME": "config", "HOME": "/home/u"}, wantErr: "relative"},
		{name: "neither", goos: "linux", env: nil, wantErr: "neither $XDG_CONFIG_HOME nor $HOME"},
		{name: "darwin", goos: "darwin", env: map[string]string{"HOME": "/Users/u"}, want: "/Users/u/Library/Application Support"},
		{name: "darwin without HOME", goos: "darwin", env: nil, wantErr: "$HOME is not set"},
		{name: "windows", goos: "windows", env: map[string]string{"AppData": `C:\Users\u\AppData\Roaming`}, want: `C:\Users\u\AppData\Roaming`},
		{name: "windows without AppData", goos: "windows", env: nil, wantErr: "%AppData%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := userConfigDir(tt.goos, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("userConfigDir = %q, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != filepath.FromSlash(tt.want) && got != tt.want {
				t.Errorf("userConfigDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// UserDir is it, with hooklab.
	if runtime.GOOS == "linux" {
		got, err := UserDir(func(k string) string { return map[string]string{"HOME": "/home/u"}[k] })
		if err != nil || got != "/home/u/.config/hooklab" {
			t.Errorf("UserDir = %q, %v; want /home/u/.config/hooklab", got, err)
		}
	}
}

// TestCreateRace: many first runs at once each create a secret; one wins,
// and every one of them ends with the secret the file holds.
func TestCreateRace(t *testing.T) {
	const runs = 16
	for round := range 20 {
		s := Store{Dir: filepath.Join(t.TempDir(), "config", "hooklab")}
		type result struct {
			kept    string
			created bool
			err     error
		}
		results := make(chan result, runs)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range runs {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				kept, created, err := s.Create("github", fmt.Sprintf("secret-of-run-%d", i))
				results <- result{kept, created, err}
			}()
		}
		start.Done()
		done.Wait()
		close(results)
		held, err := s.Load("github")
		if err != nil {
			t.Fatalf("round %d: Load after the race: %v", round, err)
		}
		created := 0
		for r := range results {
			if r.err != nil {
				t.Fatalf("round %d: Create: %v", round, r.err)
			}
			if r.kept != held {
				t.Fatalf("round %d: a run uses %q, but the file holds %q", round, r.kept, held)
			}
			if r.created {
				created++
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d runs say they created the secret, want 1", round, created)
		}
		if left, _ := filepath.Glob(filepath.Join(s.Dir, ".*")); len(left) > 0 {
			t.Fatalf("round %d: temporary files left: %v", round, left)
		}
	}
}

// TestCreateKeepsWhatIsKept: Create never replaces a kept secret (it
// returns it); only Save does.
func TestCreateKeepsWhatIsKept(t *testing.T) {
	s := mustStore(t)
	if kept, created, err := s.Create("github", "first"); err != nil || !created || kept != "first" {
		t.Fatalf("Create on an empty store = %q, %v, %v; want first, created", kept, created, err)
	}
	if kept, created, err := s.Create("github", "second"); err != nil || created || kept != "first" {
		t.Fatalf("Create over a kept secret = %q, %v, %v; want first, not created", kept, created, err)
	}
	if fi, err := os.Stat(s.Path("github")); err != nil || fi.Mode().Perm() != FileMode && runtime.GOOS != "windows" {
		t.Errorf("the kept file: %v, %v; want mode %v", fi, err, FileMode)
	}
	if err := s.Save("github", "third"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("github"); err != nil || got != "third" {
		t.Errorf("Load after Save = %q, %v; want third", got, err)
	}
	// A kept file Load refuses is refused by Create too, and left alone.
	if err := os.Chmod(s.Path("github"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create("github", "fourth"); !errors.Is(err, ErrTooOpen) {
		t.Errorf("Create over a world-readable kept file: %v, want ErrTooOpen", err)
	}
	if b, _ := os.ReadFile(s.Path("github")); string(b) != "third" {
		t.Errorf("the kept file holds %q after, want it untouched", b)
	}
}
