package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mustBuild builds the hooklab binary into a temporary folder.
func mustBuild(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(tb.TempDir(), "hooklab")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinaryListen starts the built hooklab listen on a free loopback port
// with secret and JSON logs, reading no .env. The caller reads stdout and
// waits for the process; a test that fails leaves none behind.
func startBinaryListen(t *testing.T, bin, secret string) (*exec.Cmd, io.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--env-file", os.DevNull)
	cmd.Env = append(os.Environ(), envSecret+"="+secret)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // after Wait, Kill does nothing
	return cmd, stdout, stderr
}

// The real binary, as a user runs it: it prints where it listens, answers
// a delivery, and on SIGINT or SIGTERM prints its summary and exits 0.
func TestBinaryStopsOnSignal(t *testing.T) {
	bin := mustBuild(t)
	const secret = "binary-test-secret-0123456789abcdef"
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stdout, stderr := startBinaryListen(t, bin, secret)
			killed := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			defer killed.Stop()

			lines := bufio.NewScanner(stdout)
			var records []map[string]any
			next := func() map[string]any {
				if !lines.Scan() {
					return nil
				}
				var r map[string]any
				if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
					t.Fatalf("not a JSON line: %q", lines.Text())
				}
				records = append(records, r)
				return r
			}
			start := next()
			if start == nil || start["msg"] != "listening" {
				t.Fatalf("first record = %v, want listening; stderr: %s", start, stderr.String())
			}
			body := []byte(pingBody)
			req, _ := http.NewRequest(http.MethodPost, start["url"].(string), bytes.NewReader(body))
			for k, v := range pingHeaders(secret, "binary") {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("delivery: %d, want 200", resp.StatusCode)
			}
			if r := next(); r == nil || r["msg"] != "delivery" {
				t.Fatalf("want the delivery record, got %v", r)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for next() != nil {
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v, want 0; stderr: %s", err, stderr.String())
			}
			last := records[len(records)-1]
			if last["msg"] != "stopped" || last["total"] != float64(1) {
				t.Errorf("last record = %v, want the summary with total 1", last)
			}
			if strings.Contains(stderr.String(), secret) {
				t.Errorf("stderr holds the secret")
			}
		})
	}
}

// The real binary with standard input on /dev/null, a character device
// but no terminal: nobody is typing, so there is no hint to end the input
// with Ctrl-D, and the empty body is signed.
func TestBinarySignFromDevNull(t *testing.T) {
	bin := mustBuild(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	cmd := exec.Command(bin, "sign", "--secret", vectorSecret, "--env-file", os.DevNull)
	cmd.Stdin = null
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sign: %v; stderr: %s", err, stderr.String())
	}
	if rest := withoutSecretWarnings(stderr.String()); rest != "" {
		t.Errorf("stderr = %q, want nothing but the short secret's warning", rest)
	}
	if want := "X-Hub-Signature-256: " + signGitHub(vectorSecret, nil) + "\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("stdout = %q, want it to start with %q", stdout.String(), want)
	}
}

// The real binary, stopped with SIGINT while a delivery is in flight, waits
// for it; a second SIGINT stops it at once, saying the delivery was cut
// off, with its summary and exit 1. Without the second signal it would
// wait up to its shutdown timeout and exit 0, so the exit code tells.
// TestBinarySecondSignalEndsAnyCommand: a command that cannot stop on the
// first Ctrl-C, here sign blocked opening a FIFO no one writes, ends on the
// second, by the signal, even when it comes right after the first. (Two
// at the very same moment are one: the kernel does not queue a pending
// SIGINT twice.)
func TestBinarySecondSignalEndsAnyCommand(t *testing.T) {
	bin := mustBuild(t)
	for _, gap := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(gap.String(), func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "body")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no FIFO here: %v", err)
			}
			cmd := exec.Command(bin, "sign", "--secret", "binary-test-secret-0123456789abcdef", "--file", fifo, "--env-file", os.DevNull)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Generous: a process that ends on SIGINT does so at once.
			killed := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			defer killed.Stop()
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Until the process has set up its handlers, SIGINT would end
			// it at once and prove nothing: wait until it blocks on open.
			waitBlocked(t, cmd.Process.Pid)
			cmd.Process.Signal(syscall.SIGINT)
			time.Sleep(gap)
			cmd.Process.Signal(syscall.SIGINT)
			err := <-exited
			if !killed.Stop() {
				t.Fatalf("still running after two SIGINTs; killed; stderr: %s", stderr.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("exit: %v, want an exit by SIGINT", err)
			}
			if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
				t.Errorf("exit: %v, want an exit by SIGINT; stderr: %s", err, stderr.String())
			}
		})
	}
}

// waitBlocked waits until a thread of process pid is in openat, as sign is
// while it opens a FIFO no one writes, for at most failsafe. It skips where
// Linux's /proc/PID/task/TID/syscall cannot tell.
func waitBlocked(t *testing.T, pid int) {
	t.Helper()
	openat := map[string]string{"amd64": "257 ", "arm64": "56 "}[runtime.GOARCH]
	if openat == "" {
		t.Skipf("no openat number for %s", runtime.GOARCH)
	}
	deadline := time.Now().Add(failsafe)
	for time.Now().Before(deadline) {
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		if err != nil || len(tasks) == 0 {
			t.Skipf("no /proc/PID/task here: %v", err)
		}
		for _, task := range tasks {
			if sc, err := os.ReadFile(task); err == nil && bytes.HasPrefix(sc, []byte(openat)) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the process never blocked opening the FIFO")
}

func TestBinarySecondSignalStopsAtOnce(t *testing.T) {
	bin := mustBuild(t)
	const secret = "binary-test-secret-0123456789abcdef"
	cmd, stdout, stderr := startBinaryListen(t, bin, secret)
	killed := time.AfterFunc(failsafe, func() { cmd.Process.Kill() })
	defer killed.Stop()

	records := make(chan map[string]any, 100)
	go func() {
		defer close(records)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			var r map[string]any
			if json.Unmarshal(lines.Bytes(), &r) != nil {
				r = map[string]any{"msg": "not JSON: " + lines.Text()}
			}
			records <- r
		}
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		for r := range records {
			if m, _ := r["msg"].(string); strings.HasPrefix(m, msg) {
				return r
			}
		}
		t.Fatalf("no %q record; stderr: %s", msg, stderr.String())
		return nil
	}
	start := next("listening")
	u, _ := start["url"].(string)
	mustStallDelivery(t, u)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	next("stopping: Ctrl-C again stops at once")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if r := next("interrupted again"); r["level"] != "WARN" || !strings.Contains(r["msg"].(string), "deliveries in flight were cut off") {
		t.Errorf("record at the second SIGINT: %v", r)
	}
	next("stopped")
	for range records {
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Errorf("exit: %v, want exit status %d; stderr: %s", err, exitError, stderr.String())
	}
}
