// Package golden compares test output with golden files, for tests only.
//
// A golden file is testdata/<name> in the directory of the package under
// test. Check compares output with it; run the tests with -update to rewrite
// the golden files with what the tests produce instead:
//
//	go test ./receiver/ -run TestTextHandlerGolden -update
//
// The -update flag is registered here, once, in every test binary that
// imports this package.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// packageDir is the working directory the test binary started in: go test
// starts it in the package's directory. Golden files are found from it even
// once a test has changed directory. It is "" (the current directory) if
// the working directory is unknown.
var packageDir = func() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	return dir
}()

// Check compares got with the golden file testdata/name, and fails tb with
// the first differing line, got and want if they differ or the file cannot
// be read. Under -update it writes got to the file instead, creating its
// directories, and does not compare. name may contain slashes.
func Check(tb testing.TB, name string, got []byte) {
	tb.Helper()
	check(tb, packageDir, name, got, *update)
}

// failer is the part of testing.TB that check uses, so that it can be
// tested with a fake.
type failer interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// check is Check with the package directory and -update as arguments.
func check(tb failer, dir, name string, got []byte, update bool) {
	tb.Helper()
	rel := filepath.Join("testdata", filepath.FromSlash(name))
	path := filepath.Join(dir, rel)
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("%v", err)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatalf("%v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
		return
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s (run go test -update to accept it)\n%s", rel, describe(got, want))
	}
}

// describe says where got and want first differ, and shows both: as they
// are when they are plain text, quoted when they hold other control
// characters (\r, terminal escapes) or are not UTF-8.
func describe(got, want []byte) string {
	line, g, w := firstDifference(got, want)
	show := func(b []byte) string { return string(b) }
	if !plain(got) || !plain(want) {
		show = func(b []byte) string { return fmt.Sprintf("%q", b) }
	}
	return fmt.Sprintf("first difference at line %d:\n  got:  %s\n  want: %s\n--- got (%d bytes)\n%s\n--- want (%d bytes)\n%s",
		line, g, w, len(got), show(got), len(want), show(want))
}

// firstDifference returns the number (from 1) of the first line that
// differs between got and want, and that line of each, quoted, or "(none)"
// where one ends first.
func firstDifference(got, want []byte) (line int, g, w string) {
	for line = 1; ; line++ {
		gl, grest, gok := cutLine(got)
		wl, wrest, wok := cutLine(want)
		if !gok || !wok || !bytes.Equal(gl, wl) {
			g, w = "(none)", "(none)"
			if gok {
				g = fmt.Sprintf("%q", gl)
			}
			if wok {
				w = fmt.Sprintf("%q", wl)
			}
			return line, g, w
		}
		got, want = grest, wrest
	}
}

// cutLine returns the first line of b with its "\n", if any, and the rest.
// ok is false when b is empty.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:], true
	}
	return b, nil, true
}

// plain reports whether b is UTF-8 text with no control characters other
// than newlines and tabs, so that it prints as it is.
func plain(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return false
		}
	}
	return true
}
