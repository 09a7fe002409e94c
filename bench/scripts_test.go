// Package bench holds the benchmark scripts (run.sh, load.sh and the
// lib.sh they share) and, in this file, the tests that hold them to
// stopping every process they start.
package bench

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needWrk skips when wrk is missing, except in CI (CI=true), where .ci/run
// installs it and a missing wrk is a failure.
func needWrk(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the benchmark script; skipped with -short")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wrk is not installed; .ci/run installs it (apt-get install wrk)")
		}
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
}

// leftovers lists the processes whose command line names dir: the servers
// and clients a script started from its work directory under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	var found []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		found = append(found, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// script returns the command that runs bench/NAME with its work directory
// under a fresh temporary directory, which it also returns, in a process
// group of its own, as a terminal would run it.
func script(t *testing.T, name string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command("bash", name)
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + tmp}, env...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	return cmd, tmp
}

// checkStopped fails the test if anything the script started is running or
// its work directory is left.
func checkStopped(t *testing.T, tmp string) {
	t.Helper()
	if left := leftovers(t, tmp); len(left) > 0 {
		t.Errorf("still running after the script ended:\n%s", strings.Join(left, "\n"))
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("the work directory is left: %v", entries[0].Name())
	}
}

func TestRunScriptStopsWhatItStarted(t *testing.T) {
	needWrk(t)
	tests := []struct {
		name    string
		env     []string
		wantErr bool
		want    string
	}{
		{name: "success", env: []string{"DURATION=1s", "CONNS=4", "SIZES=8192"}, want: "hooklab / verify, 8KiB"},
		// wrk refuses fewer connections than threads: the script must fail,
		// not print an empty row and go on.
		{name: "failure", env: []string{"DURATION=1s", "CONNS=0", "SIZES=8192"}, wantErr: true, want: "wrk failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, tmp := script(t, "run.sh", tt.env...)
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.wantErr || !strings.Contains(string(out), tt.want) {
				t.Fatalf("run.sh: %v, want error %v and %q in:\n%s", err, tt.wantErr, tt.want, out)
			}
			checkStopped(t, tmp)
		})
	}
}

// Ctrl-C at a terminal sends SIGINT to the whole foreground process group
// (a script's background servers ignore it, so the script must stop them);
// a CI runner's timeout or kill sends SIGTERM to the script alone.
func TestRunScriptStopsWhatItStartedOnInterrupt(t *testing.T) {
	needWrk(t)
	tests := []struct {
		name   string
		script string
		signal syscall.Signal
		group  bool
	}{
		{name: "Ctrl-C", script: "run.sh", signal: syscall.SIGINT, group: true},
		{name: "SIGTERM to the script", script: "run.sh", signal: syscall.SIGTERM},
		{name: "Ctrl-C to load.sh", script: "load.sh", signal: syscall.SIGINT, group: true},
		{name: "SIGTERM to load.sh", script: "load.sh", signal: syscall.SIGTERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { interrupt(t, tt.script, tt.signal, tt.group) })
	}
}

func interrupt(t *testing.T, name string, signal syscall.Signal, group bool) {
	cmd, tmp := script(t, name, "DURATION=30s", "CONNS=4", "SIZES=8192")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The table's header is printed before the first server starts; wait
	// until that server runs (a process under the work directory).
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("%s printed nothing", name)
	}
	deadline := time.Now().Add(2 * time.Minute) // it builds hooklab first
	for len(leftovers(t, tmp)) < 2 {            // the script's server and wrk
		if time.Now().After(deadline) {
			t.Fatal("no server started within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	if group {
		pid = -pid
	}
	if err := syscall.Kill(pid, signal); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("%s exited 0 after %v", name, signal)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not end within 20 s of %v", name, signal)
	}
	checkStopped(t, tmp)
}
