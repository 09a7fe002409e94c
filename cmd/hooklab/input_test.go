package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// terminalInput is standard input that is a terminal: readable and, like an
// *os.File, writable.
type terminalInput struct{ *strings.Reader }

func (terminalInput) Write(p []byte) (int, error) { return len(p), nil }

func TestReadInputHintsAtATerminal(t *testing.T) {
	tests := []struct {
		name     string
		stdin    io.Reader
		path     string
		wantHint bool
	}{
		{name: "terminal", stdin: terminalInput{strings.NewReader("body")}, path: "-", wantHint: true},
		{name: "pipe", stdin: strings.NewReader("body"), path: "-", wantHint: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			sys := system{stdin: tt.stdin, stderr: &stderr, isTerminal: func(w io.Writer) bool {
				_, ok := w.(terminalInput)
				return ok
			}}
			data, source, err := readInput(sys, tt.path)
			if err != nil || string(data) != "body" || source != "standard input" {
				t.Fatalf("readInput = %q, %q, %v", data, source, err)
			}
			if got := strings.Contains(stderr.String(), "Ctrl-D"); got != tt.wantHint {
				t.Errorf("hint shown = %v, want %v (stderr %q)", got, tt.wantHint, stderr.String())
			}
		})
	}
}
