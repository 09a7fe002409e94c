package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(path string)
		perm  os.FileMode
	}{
		{name: "a new file", setup: func(string) {}, perm: 0o600},
		{name: "an older file with another mode", setup: func(p string) { os.WriteFile(p, []byte("old"), 0o666) }, perm: 0o644},
		{name: "a planted symlink", setup: func(p string) { os.Symlink(target, p) }, perm: 0o600},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "f"+string(rune('a'+i)))
			tt.setup(path)
			if err := Write(path, []byte("data"), tt.perm); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != tt.perm {
				t.Fatalf("%s: %v, %v; want a regular file of mode %v", path, fi.Mode(), err, tt.perm)
			}
			if b, _ := os.ReadFile(path); string(b) != "data" {
				t.Errorf("content %q", b)
			}
			if b, _ := os.ReadFile(target); string(b) != "keep" {
				t.Errorf("the symlink's target was written through: %q", b)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}
