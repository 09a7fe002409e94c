package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTB records how check failed.
type fakeTB struct {
	errors, fatals []string
}

func (*fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}

// mustWriteGolden writes testdata/name under dir.
func mustWriteGolden(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, "testdata", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckMatch(t *testing.T) {
	dir := t.TempDir()
	mustWriteGolden(t, dir, "out.golden", "one\ntwo\n")
	var tb fakeTB
	check(&tb, dir, "out.golden", []byte("one\ntwo\n"), false)
	if len(tb.errors) != 0 || len(tb.fatals) != 0 {
		t.Errorf("equal output failed: %q %q", tb.errors, tb.fatals)
	}
}

func TestCheckMismatch(t *testing.T) {
	tests := []struct {
		name      string
		got, want string
		// wantIn is what the message must contain.
		wantIn []string
	}{
		{
			name: "text", got: "one\nTWO\nthree\n", want: "one\ntwo\nthree\n",
			wantIn: []string{
				"output differs from " + filepath.Join("testdata", "out.golden"), "-update",
				"line 2", `got:  "TWO\n"`, `want: "two\n"`,
				"--- got (14 bytes)\none\nTWO\nthree\n", "--- want (14 bytes)\none\ntwo\nthree\n",
			},
		},
		{
			name: "control characters are quoted", got: "a\r\nb\x1b[1m\r\n", want: "a\r\nb\r\n",
			wantIn: []string{"line 2", `got:  "b\x1b[1m\r\n"`, `"a\r\nb\x1b[1m\r\n"`, `"a\r\nb\r\n"`},
		},
		{
			name: "got is longer", got: "one\ntwo\n", want: "one\n",
			wantIn: []string{"line 2", `got:  "two\n"`, "want: (none)"},
		},
		{
			name: "got is empty", got: "", want: "one\n",
			wantIn: []string{"line 1", "got:  (none)", `want: "one\n"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWriteGolden(t, dir, "out.golden", tt.want)
			var tb fakeTB
			check(&tb, dir, "out.golden", []byte(tt.got), false)
			if len(tb.errors) != 1 || len(tb.fatals) != 0 {
				t.Fatalf("want one error, got errors %q, fatals %q", tb.errors, tb.fatals)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(tb.errors[0], s) {
					t.Errorf("the message does not contain %q:\n%s", s, tb.errors[0])
				}
			}
		})
	}
}

func TestCheckMissing(t *testing.T) {
	var tb fakeTB
	check(&tb, t.TempDir(), "absent.golden", []byte("x"), false)
	if len(tb.fatals) != 1 || !strings.Contains(tb.fatals[0], "-update to create it") {
		t.Errorf("want one fatal error saying how to create the file, got errors %q, fatals %q", tb.errors, tb.fatals)
	}
}

func TestCheckUpdate(t *testing.T) {
	dir := t.TempDir()
	mustWriteGolden(t, dir, "old.golden", "old\n")
	for _, name := range []string{"old.golden", "sub/new.golden"} {
		var tb fakeTB
		check(&tb, dir, name, []byte("new\r\n"), true)
		if len(tb.errors) != 0 || len(tb.fatals) != 0 {
			t.Errorf("%s: update failed: %q %q", name, tb.errors, tb.fatals)
		}
		b, err := os.ReadFile(filepath.Join(dir, "testdata", filepath.FromSlash(name)))
		if err != nil || string(b) != "new\r\n" {
			t.Errorf("%s after update: %q, %v; want %q", name, b, err, "new\r\n")
		}
		check(&tb, dir, name, []byte("new\r\n"), false)
		if len(tb.errors) != 0 || len(tb.fatals) != 0 {
			t.Errorf("%s: the rewritten file does not match: %q %q", name, tb.errors, tb.fatals)
		}
	}
}
