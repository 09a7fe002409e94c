package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// terminalInput is standard input that the tests' isTerminal takes for a
// terminal.
type terminalInput struct{ *strings.Reader }

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
			sys := system{stdin: tt.stdin, stderr: &stderr, isTerminal: func(v any) bool {
				_, ok := v.(terminalInput)
				return ok
			}}
			data, source, err := readInput(t.Context(), sys, tt.path, "the body")
			if err != nil || string(data) != "body" || source != "standard input" {
				t.Fatalf("readInput = %q, %q, %v", data, source, err)
			}
			if got := strings.Contains(stderr.String(), "Ctrl-D"); got != tt.wantHint {
				t.Errorf("hint shown = %v, want %v (stderr %q)", got, tt.wantHint, stderr.String())
			}
		})
	}
}

// With standard input on /dev/null, a character device but no terminal,
// nobody is typing: the hint to end the input with Ctrl-D is not shown.
func TestReadInputNoHintFromDevNull(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stderr bytes.Buffer
	sys := system{stdin: null, stderr: &stderr, isTerminal: isTerminal}
	data, _, err := readInput(t.Context(), sys, "-", "the body")
	if err != nil || len(data) != 0 {
		t.Fatalf("readInput = %q, %v; want nothing", data, err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}

// Ctrl-C while standard input is still open (someone at a terminal who
// changed their mind) stops the read at once.
func TestReadInputInterrupted(t *testing.T) {
	stdin, neverWritten := io.Pipe()
	defer neverWritten.Close() // ends the read left blocked
	ctx, cancel := context.WithCancel(t.Context())
	sys := system{stdin: stdin, stderr: io.Discard, isTerminal: func(any) bool { return false }}
	go cancel()
	if data, _, err := readInput(ctx, sys, "-", "the body"); !errors.Is(err, errInterrupted) {
		t.Errorf("readInput = %q, %v; want %v", data, err, errInterrupted)
	}
}

// sign and send --file - interrupted while reading standard input exit 1
// and say so, not 2 as for an input that cannot be read.
func TestReadingInterrupted(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "sign", args: []string{"sign", "--secret", sendSecret}},
		{name: "send", args: []string{"send", "--file", "-", "--event", "push", "--secret", sendSecret, "--url", "http://127.0.0.1:1/webhook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin, neverWritten := io.Pipe()
			defer neverWritten.Close()
			got := runStopped(t, world{input: stdin}, tt.args...)
			checkOutput(t, got, exitError, nil, []string{"interrupted"})
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
}
