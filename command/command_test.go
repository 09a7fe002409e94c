//go:build unix

package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// wait is how long a test waits for something that should happen at once
// (or after a 200 ms timeout) before it fails.
const wait = 10 * time.Second

// mustScript writes a /bin/sh script into dir and returns its path.
func mustScript(tb testing.TB, dir, name, body string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return p
}

// mustRunner starts a Runner that is closed when the test ends.
func mustRunner(tb testing.TB, cfg Config) *Runner {
	tb.Helper()
	if cfg.Getenv == nil {
		cfg.Getenv = mapEnv(map[string]string{"PATH": os.Getenv("PATH")})
	}
	r, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return r
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func newDelivery(seq uint64, event, id string, body []byte) *receiver.Delivery {
	return &receiver.Delivery{
		Seq: seq, Status: http.StatusOK, Reason: receiver.ReasonOK,
		Provider: "github", Event: event, ID: id, Body: body, BodyRead: true,
	}
}

// handed is what one Handoff call returned and wrote.
type handed struct {
	out receiver.Outcome
	w   *httptest.ResponseRecorder
}

// startHandoff calls r.Handoff in a goroutine of its own.
func startHandoff(ctx context.Context, r *Runner, d *receiver.Delivery) <-chan handed {
	ch := make(chan handed, 1)
	go func() {
		w := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhook", nil)
		ch <- handed{r.Handoff(w, req, d), w}
	}()
	return ch
}

// mustOutcome waits for a Handoff started by startHandoff and checks that it
// left the response alone.
func mustOutcome(tb testing.TB, ch <-chan handed) receiver.Outcome {
	tb.Helper()
	select {
	case h := <-ch:
		if h.w.Body.Len() != 0 || len(h.w.Header()) != 0 || h.w.Flushed {
			tb.Errorf("Handoff wrote to the response: header %v, body %q", h.w.Header(), h.w.Body)
		}
		return h.out
	case <-time.After(wait):
		tb.Fatalf("Handoff did not return within %v", wait)
		return receiver.Outcome{}
	}
}

// mustHandoff runs one Handoff and returns its outcome.
func mustHandoff(tb testing.TB, r *Runner, d *receiver.Delivery) receiver.Outcome {
	tb.Helper()
	return mustOutcome(tb, startHandoff(context.Background(), r, d))
}

// mustQueued waits until a job waits in r's queue: the Handoff that queues
// it runs in a goroutine of its own and says nothing when it has.
func mustQueued(tb testing.TB, r *Runner) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for len(r.jobs) == 0 {
		if time.Now().After(deadline) {
			tb.Fatalf("no job queued within %v", wait)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// gate lets a test hold programs at a point and release them one by one.
// A gated script gets the gate's two fifos as $1 and $2 and runs gateSh.
type gate struct {
	startedPath, releasePath string
	started                  chan struct{}
	release                  *os.File
}

// gateSh says "started" through $1 and waits for a line on $2.
const gateSh = `printf x > "$1"; read -r line < "$2"`

func mustGate(tb testing.TB) *gate {
	tb.Helper()
	dir := tb.TempDir()
	g := &gate{
		startedPath: filepath.Join(dir, "started"),
		releasePath: filepath.Join(dir, "release"),
		started:     make(chan struct{}, 64),
	}
	for _, p := range []string{g.startedPath, g.releasePath} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	// Opened read-write, the fifos never block the scripts' opens, and a
	// closed script end is never an end of file here.
	started, err := os.OpenFile(g.startedPath, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	g.release, err = os.OpenFile(g.releasePath, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { started.Close(); g.release.Close() })
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := started.Read(buf); err != nil {
				return
			}
			g.started <- struct{}{}
		}
	}()
	return g
}

// args returns the Config.Args that pass the gate to a script.
func (g *gate) args() []string { return []string{g.startedPath, g.releasePath} }

func (g *gate) mustStart(tb testing.TB) {
	tb.Helper()
	select {
	case <-g.started:
	case <-time.After(wait):
		tb.Fatalf("the program did not start within %v", wait)
	}
}

// open lets one waiting program go on.
func (g *gate) open(tb testing.TB) {
	tb.Helper()
	if _, err := g.release.WriteString("\n"); err != nil {
		tb.Fatal(err)
	}
}

// logRecorder is a slog.Handler that hands each record to the test.
type logRecorder chan slog.Record

func (l logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecorder) Handle(_ context.Context, r slog.Record) error {
	l <- r.Clone()
	return nil
}
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logRecorder) WithGroup(string) slog.Handler      { return l }

func mustRecord(tb testing.TB, l logRecorder) slog.Record {
	tb.Helper()
	select {
	case r := <-l:
		return r
	case <-time.After(wait):
		tb.Fatalf("no log record within %v", wait)
		return slog.Record{}
	}
}

func attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// processGone reports whether pid has ended (a zombie nobody reaped yet
// counts as ended).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// mustGone waits for the process a script wrote to pidFile to end. Its
// killer has been sent already; the wait is only for the kernel and its
// parent to finish with it.
func mustGone(tb testing.TB, pidFile string) {
	tb.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(mustRead(tb, pidFile)))
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			tb.Fatalf("process %d still runs after its job ended", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustScript(t, dir, "in-dot", "exit 0")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no program", cfg: Config{}, want: "no program"},
		{name: "missing path", cfg: Config{Program: filepath.Join(dir, "deploy.sh")}, want: filepath.Join(dir, "deploy.sh")},
		{name: "not executable", cfg: Config{Program: notExec}, want: "not-exec"},
		{name: "not in PATH", cfg: Config{Program: "hooklab-no-such-program", Getenv: mapEnv(map[string]string{"PATH": dir})}, want: `"hooklab-no-such-program" not found in PATH`},
		{name: "relative PATH entry skipped", cfg: Config{Program: "in-dot", Getenv: mapEnv(map[string]string{"PATH": "."})}, want: `"in-dot" not found`},
		{name: "negative timeout", cfg: Config{Program: "/bin/sh", Timeout: -1}, want: "negative timeout"},
		{name: "negative queue", cfg: Config{Program: "/bin/sh", Queue: -1}, want: "negative queue"},
		{name: "negative concurrency", cfg: Config{Program: "/bin/sh", Concurrency: -1}, want: "negative concurrency"},
		{name: "negative output", cfg: Config{Program: "/bin/sh", MaxOutput: -1}, want: "negative output limit"},
	}
	t.Chdir(dir) // "in-dot" would be found through "." here
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg)
			if err == nil {
				r.Close(context.Background())
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestNewFindsProgramInGivenPATH(t *testing.T) {
	dir := t.TempDir()
	mustScript(t, dir, "hooklab-test-deploy", `echo deployed`)
	r := mustRunner(t, Config{Program: "hooklab-test-deploy", Getenv: mapEnv(map[string]string{"PATH": dir})})
	out := mustHandoff(t, r, newDelivery(1, "push", "id", nil))
	if out.Reason != receiver.ReasonOK || string(out.Exec.Stdout) != "deployed\n" {
		t.Fatalf("outcome %+v, exec %+v", out, out.Exec)
	}
}

// recordSh writes what the program got to the directory in $1.
const recordSh = `out=$1
printf '%s' "$0" > "$out/argv0"
for a in "$@"; do printf '%s\0' "$a"; done > "$out/argv"
cat > "$out/stdin"
printf '%s' "$HOOKLAB_EVENT" > "$out/event"
printf '%s' "$HOOKLAB_DELIVERY" > "$out/delivery"
printf '%s' "$HOOKLAB_PROVIDER" > "$out/provider"
printf '%s' "$HOOKLAB_RECORD_SEQ" > "$out/seq"
printf '%s' "$HOOKLAB_STATUS" > "$out/status"
env > "$out/env"`

func TestNothingFromTheRequestIsRunByAShell(t *testing.T) {
	const nasty = "$(touch PWNED) `touch PWNED1`; touch PWNED2 | touch PWNED3 && touch PWNED4 || touch PWNED5 'q' \"dq\" \\ $HOME * > PWNED6\n touch PWNED7\r\n"
	tests := []struct {
		name      string
		event, id string
		provider  string
		body      []byte
		wantEvent string
	}{
		{name: "substitutions in every field", event: "push" + nasty, id: nasty, provider: nasty, body: []byte(nasty), wantEvent: "push" + nasty},
		{name: "newlines only", event: "a\nb", id: "\n", provider: "github", body: []byte("\n\n"), wantEvent: "a\nb"},
		{name: "binary body", event: "push", id: "1", provider: "github", body: []byte("\x00\xff\x1b[31m$(touch PWNED)\x00"), wantEvent: "push"},
		{name: "NUL in event is dropped", event: "pu\x00sh;touch PWNED", id: "i\x00d", provider: "github", body: nil, wantEvent: "push;touch PWNED"},
		{name: "empty", event: "", id: "", provider: "", body: nil, wantEvent: ""},
	}
	dir := t.TempDir()
	prog := mustScript(t, dir, "record.sh", recordSh)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := []string{out, "$(touch PWNED_ARG)", "a b", ""}
			r := mustRunner(t, Config{Program: prog, Args: args})
			d := newDelivery(uint64(i+7), tt.event, tt.id, tt.body)
			d.Provider = tt.provider
			got := mustHandoff(t, r, d)
			if got.Reason != receiver.ReasonOK {
				t.Fatalf("outcome %+v, exec %+v", got, got.Exec)
			}
			if got := mustRead(t, filepath.Join(out, "argv0")); got != prog {
				t.Errorf("argv[0] = %q, want %q", got, prog)
			}
			if got, want := mustRead(t, filepath.Join(out, "argv")), strings.Join(args, "\x00")+"\x00"; got != want {
				t.Errorf("argv[1:] = %q, want %q", got, want)
			}
			if got := mustRead(t, filepath.Join(out, "stdin")); got != string(tt.body) {
				t.Errorf("stdin = %q, want %q", got, tt.body)
			}
			for file, want := range map[string]string{
				"event":    tt.wantEvent,
				"delivery": strings.ReplaceAll(tt.id, "\x00", ""),
				"provider": tt.provider,
				"seq":      strconv.Itoa(i + 7),
				"status":   "200",
			} {
				if got := mustRead(t, filepath.Join(out, file)); got != want {
					t.Errorf("HOOKLAB_%s = %q, want %q", strings.ToUpper(file), got, want)
				}
			}
			for _, root := range []string{dir, out, cwd} {
				filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
					if err == nil && strings.HasPrefix(e.Name(), "PWNED") {
						t.Errorf("%s was created: something ran a shell on the request", p)
						os.Remove(p)
					}
					return nil
				})
			}
		})
	}
}

func TestEnvironmentIsBuiltFromScratch(t *testing.T) {
	t.Setenv("HOOKLAB_TEST_PROCESS_ENV", "leaked")
	dir := t.TempDir()
	prog := mustScript(t, dir, "env.sh", `env > "$1/env"`)
	r := mustRunner(t, Config{Program: prog, Args: []string{dir}, Getenv: mapEnv(map[string]string{
		"PATH":                    os.Getenv("PATH"),
		"HOME":                    "/home/hooklab-test",
		"LANG":                    "C.UTF-8",
		"WEBHOOK_SECRET":          "s3cret-current",
		"WEBHOOK_SECRET_PREVIOUS": "s3cret-previous",
		"AWS_SECRET_ACCESS_KEY":   "s3cret-aws",
	})})
	if out := mustHandoff(t, r, newDelivery(1, "push", "id-1", []byte("{}"))); out.Reason != receiver.ReasonOK {
		t.Fatalf("outcome %+v, exec %+v", out, out.Exec)
	}
	env := mustRead(t, filepath.Join(dir, "env"))
	for _, leak := range []string{"WEBHOOK_SECRET", "s3cret", "AWS_", "HOOKLAB_TEST_PROCESS_ENV"} {
		if strings.Contains(env, leak) {
			t.Errorf("the program's environment holds %q:\n%s", leak, env)
		}
	}
	for _, want := range []string{"\nHOME=/home/hooklab-test\n", "\nLANG=C.UTF-8\n", "\nPATH=" + os.Getenv("PATH") + "\n", "\nHOOKLAB_EVENT=push\n", "\nHOOKLAB_DELIVERY=id-1\n"} {
		if !strings.Contains("\n"+env, want) {
			t.Errorf("the program's environment lacks %q:\n%s", strings.TrimSpace(want), env)
		}
	}
}

func TestResults(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		script    string
		maxOutput int
		body      []byte
		reason    receiver.Reason
		exitCode  int
		detail    string // the outcome's Detail, or "" for none
		detailHas string
		stdout    string
		stderr    string
		outLen    int // with truncated: the length of both outputs
		truncated bool
	}{
		{name: "exit 0", script: `cat; echo; echo done`, body: []byte("the body"), reason: receiver.ReasonOK, stdout: "the body\ndone\n"},
		{
			name: "exit 3", script: "echo partial; printf '\\n  first line\\nsecond line\\n' >&2; exit 3",
			reason: receiver.ReasonExecFailed, exitCode: 3,
			detailHas: "exited with status 3: first line", stdout: "partial\n", stderr: "\n  first line\nsecond line\n",
		},
		{name: "exit 1 without stderr", script: `exit 1`, reason: receiver.ReasonExecFailed, exitCode: 1, detailHas: "exited with status 1"},
		{
			name: "stderr sanitized in detail", script: "printf '\\033[2J\\033]0;title\\007boom\\tnow\\n' >&2; exit 2",
			reason: receiver.ReasonExecFailed, exitCode: 2, detailHas: "exited with status 2: boom now",
			stderr: "\x1b[2J\x1b]0;title\aboom\tnow\n",
		},
		{name: "killed by a signal", script: `kill -KILL $$`, reason: receiver.ReasonExecFailed, exitCode: -1, detailHas: "signal: killed"},
		{
			name: "1 MiB on both outputs", maxOutput: 1000, reason: receiver.ReasonOK,
			script: `head -c 1048576 /dev/zero | tr '\0' o & head -c 1048576 /dev/zero | tr '\0' e >&2; wait`,
			outLen: 1000, truncated: true,
		},
		{name: "a large body it does not read", script: `exit 0`, body: bytes.Repeat([]byte("x"), 4<<20), reason: receiver.ReasonOK},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog := mustScript(t, dir, fmt.Sprintf("prog%d.sh", i), tt.script)
			r := mustRunner(t, Config{Program: prog, MaxOutput: tt.maxOutput})
			out := mustHandoff(t, r, newDelivery(1, "push", "id", tt.body))
			ex := out.Exec
			if ex == nil {
				t.Fatalf("no ExecResult in %+v", out)
			}
			if out.Reason != tt.reason || ex.Reason != tt.reason || ex.ExitCode != tt.exitCode {
				t.Errorf("reason %q (exec %q), exit code %d; want %q, %d", out.Reason, ex.Reason, ex.ExitCode, tt.reason, tt.exitCode)
			}
			if tt.detailHas == "" && out.Detail != "" || !strings.Contains(out.Detail, tt.detailHas) {
				t.Errorf("detail %q, want it to hold %q", out.Detail, tt.detailHas)
			}
			if tt.detailHas != "" && !strings.HasPrefix(out.Detail, prog+" ") {
				t.Errorf("detail %q does not name the program", out.Detail)
			}
			if ex.Error != out.Detail || ex.Program != prog || ex.Queued || ex.Duration <= 0 {
				t.Errorf("exec result %+v", ex)
			}
			if tt.truncated {
				if len(ex.Stdout) != tt.outLen || len(ex.Stderr) != tt.outLen || !ex.Truncated {
					t.Errorf("kept %d bytes of stdout, %d of stderr, truncated %v; want %d each, truncated", len(ex.Stdout), len(ex.Stderr), ex.Truncated, tt.outLen)
				}
				if strings.Trim(string(ex.Stdout), "o") != "" || strings.Trim(string(ex.Stderr), "e") != "" {
					t.Error("stdout and stderr are mixed up")
				}
				return
			}
			if string(ex.Stdout) != tt.stdout || string(ex.Stderr) != tt.stderr || ex.Truncated {
				t.Errorf("stdout %q, stderr %q, truncated %v; want %q, %q", ex.Stdout, ex.Stderr, ex.Truncated, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestStartFailure(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		script string
		after  func(t *testing.T, prog string)
		want   string
	}{
		{name: "made non-executable after New", script: "exit 0", want: "permission denied", after: func(t *testing.T, prog string) {
			if err := os.Chmod(prog, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "removed after New", script: "exit 0", want: "no such file", after: func(t *testing.T, prog string) {
			if err := os.Remove(prog); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog := mustScript(t, dir, fmt.Sprintf("prog%d.sh", i), tt.script)
			r := mustRunner(t, Config{Program: prog})
			tt.after(t, prog)
			out := mustHandoff(t, r, newDelivery(1, "push", "id", nil))
			if out.Reason != receiver.ReasonExecFailed || out.Exec.ExitCode != -1 {
				t.Errorf("reason %q, exit code %d; want exec_failed, -1", out.Reason, out.Exec.ExitCode)
			}
			if !strings.Contains(out.Detail, prog+" could not start") || !strings.Contains(out.Detail, tt.want) {
				t.Errorf("detail %q, want the program and %q", out.Detail, tt.want)
			}
		})
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	tests := []struct {
		name   string
		script string
	}{
		{name: "grandchild holding the pipes", script: `sleep 60 & echo $! > "$1"; sleep 60`},
		{name: "grandchild with its own output", script: `sleep 60 >/dev/null 2>&1 & echo $! > "$1"; sleep 60`},
		{name: "SIGTERM ignored", script: `trap '' TERM; sleep 60 & echo $! > "$1"; sleep 60`},
		{name: "exits 0 on SIGTERM", script: `trap 'exit 0' TERM; sleep 60 & echo $! > "$1"; wait`},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			prog := mustScript(t, dir, fmt.Sprintf("prog%d.sh", i), tt.script)
			r := mustRunner(t, Config{Program: prog, Args: []string{pidFile}, Timeout: 200 * time.Millisecond})
			out := mustHandoff(t, r, newDelivery(1, "push", "id", nil))
			if out.Reason != receiver.ReasonExecTimeout || out.Exec.ExitCode != -1 {
				t.Errorf("reason %q, exit code %d; want exec_timeout, -1", out.Reason, out.Exec.ExitCode)
			}
			if !strings.Contains(out.Detail, "did not finish within 200ms") {
				t.Errorf("detail %q", out.Detail)
			}
			mustGone(t, pidFile)
		})
	}
}

func TestChildrenDoNotOutliveTheJob(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// The program ends at once, leaving a child that holds its stdout.
	prog := mustScript(t, dir, "prog.sh", `sleep 60 & echo $! > "$1"; echo bye`)
	r := mustRunner(t, Config{Program: prog, Args: []string{pidFile}})
	out := mustHandoff(t, r, newDelivery(1, "push", "id", nil))
	if out.Reason != receiver.ReasonOK || out.Exec.ExitCode != 0 || string(out.Exec.Stdout) != "bye\n" {
		t.Errorf("outcome %+v, exec %+v; want ok, exit 0", out, out.Exec)
	}
	mustGone(t, pidFile)
}

func TestConcurrencyOneNeverOverlaps(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "lock")
	// Two runs at once would find the lock taken and exit 99.
	prog := mustScript(t, dir, "deploy.sh", `mkdir "$1" || exit 99; sleep 0.1; rmdir "$1"`)
	r := mustRunner(t, Config{Program: prog, Args: []string{lock}})
	var started []<-chan handed
	for i := range 4 {
		started = append(started, startHandoff(context.Background(), r, newDelivery(uint64(i+1), "push", "id", nil)))
	}
	for i, ch := range started {
		if out := mustOutcome(t, ch); out.Reason != receiver.ReasonOK {
			t.Errorf("delivery %d: %q %s", i+1, out.Reason, out.Detail)
		}
	}
}

func TestQueueFull(t *testing.T) {
	tests := []struct {
		name      string
		async     bool
		forwarded bool
		reason    receiver.Reason
		warns     bool
	}{
		{name: "sync", reason: receiver.ReasonExecBusy},
		{name: "async", async: true, reason: receiver.ReasonExecBusy},
		{name: "after a forward", forwarded: true, reason: "", warns: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustGate(t)
			logs := make(logRecorder, 16)
			prog := mustScript(t, t.TempDir(), "prog.sh", gateSh)
			r := mustRunner(t, Config{Program: prog, Args: g.args(), Concurrency: 1, Queue: 1, Async: tt.async, Log: slog.New(logs)})
			first := startHandoff(context.Background(), r, newDelivery(1, "push", "a", nil))
			g.mustStart(t)
			second := startHandoff(context.Background(), r, newDelivery(2, "push", "b", nil))
			if tt.async {
				mustOutcome(t, first)
				mustOutcome(t, second) // queued: async answers at once
			}
			mustQueued(t, r)
			d := newDelivery(3, "push", "c", nil)
			if tt.forwarded {
				d.Forward = &receiver.ForwardResult{URL: "http://127.0.0.1:1/", Status: 200}
			}
			out := mustHandoff(t, r, d)
			if out.Reason != tt.reason || out.Exec == nil || out.Exec.Reason != receiver.ReasonExecBusy || out.Exec.ExitCode != -1 || out.Exec.Program != prog {
				t.Errorf("outcome %+v, exec %+v; want reason %q, exec_busy", out, out.Exec, tt.reason)
			}
			if wantRA := map[bool]string{true: "1", false: ""}[tt.reason == receiver.ReasonExecBusy]; out.RetryAfter != wantRA {
				t.Errorf("Retry-After %q, want %q", out.RetryAfter, wantRA)
			}
			if tt.warns {
				rec := mustRecord(t, logs)
				if a := attrs(rec); rec.Level != slog.LevelWarn || rec.Message != "exec" || a[receiver.KeyExecReason] != "exec_busy" || a[receiver.KeySeq] != "3" {
					t.Errorf("log record %v %q %v; want a warning about seq 3", rec.Level, rec.Message, a)
				}
			}
			g.open(t)
			g.mustStart(t)
			g.open(t)
			if !tt.async {
				for _, ch := range []<-chan handed{first, second} {
					if out := mustOutcome(t, ch); out.Reason != receiver.ReasonOK {
						t.Errorf("a queued delivery got %q %s", out.Reason, out.Detail)
					}
				}
			}
		})
	}
}

// A sender that waits for its program's result is answered exec_busy,
// and the program is not run for it, when it did not get its turn within
// the timeout: a long queue behind slow programs must not keep the sender
// past its own patience and the server's write timeout, with no answer.
func TestWaitForTurnIsBounded(t *testing.T) {
	g := mustGate(t)
	marker := filepath.Join(t.TempDir(), "second-ran")
	// The first delivery holds the only worker well past the 200 ms timeout:
	// it ignores SIGTERM, so it is killed only after the kill grace.
	prog := mustScript(t, t.TempDir(), "prog.sh", `if [ "$(cat)" = first ]; then trap '' TERM; `+gateSh+`; else touch "$3"; fi`)
	r := mustRunner(t, Config{Program: prog, Args: append(g.args(), marker), Concurrency: 1, Queue: 4, Timeout: 200 * time.Millisecond})
	first := startHandoff(context.Background(), r, newDelivery(1, "push", "a", []byte("first")))
	g.mustStart(t)
	out := mustHandoff(t, r, newDelivery(2, "push", "b", []byte("second")))
	if out.Reason != receiver.ReasonExecBusy || out.RetryAfter != "1" || out.Exec == nil || out.Exec.Reason != receiver.ReasonExecBusy || !strings.Contains(out.Detail, "for its turn") {
		t.Errorf("the delivery that waited got %q %q (Retry-After %q, exec %+v); want exec_busy for its turn, Retry-After 1", out.Reason, out.Detail, out.RetryAfter, out.Exec)
	}
	if out := mustOutcome(t, first); out.Reason != receiver.ReasonExecTimeout {
		t.Errorf("the first delivery got %q %s; want exec_timeout", out.Reason, out.Detail)
	}
	// The worker is free: a third delivery runs, and the withdrawn second
	// one never did.
	if out := mustHandoff(t, r, newDelivery(3, "push", "c", []byte("third"))); out.Reason != receiver.ReasonOK {
		t.Errorf("the third delivery got %q %s; want ok", out.Reason, out.Detail)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatalf("the third delivery's program left no marker: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the withdrawn delivery's program ran (stat: %v)", err)
	}
}

func TestAsync(t *testing.T) {
	tests := []struct {
		name      string
		async     bool
		forwarded bool
		exit      int
		reason    receiver.Reason
		level     slog.Level
		logReason string
	}{
		{name: "async, exit 0", async: true, reason: receiver.ReasonExecStarted, level: slog.LevelInfo, logReason: ""},
		{name: "async, exit 4", async: true, exit: 4, reason: receiver.ReasonExecStarted, level: slog.LevelWarn, logReason: "exec_failed"},
		{name: "after a forward", forwarded: true, reason: "", level: slog.LevelInfo, logReason: ""},
		{name: "async after a forward", async: true, forwarded: true, reason: "", level: slog.LevelInfo, logReason: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustGate(t)
			logs := make(logRecorder, 16)
			prog := mustScript(t, t.TempDir(), "prog.sh", gateSh+"; cat; echo oops >&2; exit "+strconv.Itoa(tt.exit))
			done := make(chan *receiver.ExecResult, 1)
			r := mustRunner(t, Config{Program: prog, Args: g.args(), Async: tt.async, Log: slog.New(logs),
				Done: func(seq uint64, res *receiver.ExecResult) {
					if seq == 5 {
						done <- res
					}
				}})
			d := newDelivery(5, "push", "delivery-5", []byte(`{"ref":"main"}`))
			if tt.forwarded {
				d.Forward = &receiver.ForwardResult{URL: "http://127.0.0.1:1/", Status: 200}
			}
			// The program waits at the gate, so this returns before it ends.
			out := mustHandoff(t, r, d)
			if out.Reason != tt.reason || out.Exec == nil || !out.Exec.Queued || out.Exec.Program != prog {
				t.Fatalf("outcome %+v, exec %+v; want %q, queued", out, out.Exec, tt.reason)
			}
			copy(d.Body, "XXXXXXXXXXXXXX") // the receiver reuses the buffer
			g.mustStart(t)
			select {
			case rec := <-logs:
				t.Fatalf("logged %q before the program ended", rec.Message)
			default:
			}
			g.open(t)
			rec := mustRecord(t, logs)
			want := map[string]string{
				receiver.KeySeq: "5", receiver.KeyEvent: "push", receiver.KeyDelivery: "delivery-5", receiver.KeyExecExit: strconv.Itoa(tt.exit),
				receiver.KeyExecReason: tt.logReason, receiver.KeyExecStdout: `{"ref":"main"}`, receiver.KeyExecStderr: "oops\n",
			}
			got := attrs(rec)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("log attr %s = %q, want %q", k, got[k], v)
				}
			}
			if ms, err := strconv.ParseFloat(got[receiver.KeyExecDuration], 64); err != nil || ms <= 0 {
				t.Errorf("%s = %q", receiver.KeyExecDuration, got[receiver.KeyExecDuration])
			}
			select {
			case res := <-done:
				if res.ExitCode != tt.exit || string(res.Stdout) != `{"ref":"main"}` {
					t.Errorf("Done got %+v", res)
				}
			default:
				t.Error("Done was not called before the result was logged")
			}
			if rec.Message != "exec" || rec.Level != tt.level {
				t.Errorf("log record %q at %v, want exec at %v", rec.Message, rec.Level, tt.level)
			}
		})
	}
}

func TestSenderGoneJobGoesOn(t *testing.T) {
	g := mustGate(t)
	logs := make(logRecorder, 16)
	prog := mustScript(t, t.TempDir(), "prog.sh", gateSh+"; echo finished")
	r := mustRunner(t, Config{Program: prog, Args: g.args(), Log: slog.New(logs)})
	ctx, cancel := context.WithCancel(context.Background())
	ch := startHandoff(ctx, r, newDelivery(9, "push", "id", nil))
	g.mustStart(t)
	cancel()
	out := mustOutcome(t, ch)
	if out.Reason != receiver.ReasonExecStarted || out.Exec == nil || !out.Exec.Queued {
		t.Fatalf("outcome %+v, exec %+v; want exec_started, queued", out, out.Exec)
	}
	g.open(t)
	rec := mustRecord(t, logs)
	if a := attrs(rec); a[receiver.KeySeq] != "9" || a[receiver.KeyExecReason] != "" || a[receiver.KeyExecStdout] != "finished\n" {
		t.Errorf("log record %v", a)
	}
}

func TestCloseWaitsForQueuedJobs(t *testing.T) {
	g := mustGate(t)
	prog := mustScript(t, t.TempDir(), "prog.sh", gateSh)
	r, err := New(Config{Program: prog, Args: g.args(), Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := startHandoff(context.Background(), r, newDelivery(1, "push", "a", nil))
	g.mustStart(t)
	second := startHandoff(context.Background(), r, newDelivery(2, "push", "b", nil))
	mustQueued(t, r)
	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	// Once Close has begun, deliveries are turned away.
	for {
		out := mustHandoff(t, r, newDelivery(3, "push", "c", nil))
		if out.Reason != receiver.ReasonExecBusy {
			t.Fatalf("a delivery after Close got %q", out.Reason)
		}
		if strings.Contains(out.Detail, "stopping") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	g.open(t)
	g.mustStart(t) // the queued job still runs
	g.open(t)
	for _, ch := range []<-chan handed{first, second} {
		if out := mustOutcome(t, ch); out.Reason != receiver.ReasonOK {
			t.Errorf("got %q %s, want ok", out.Reason, out.Detail)
		}
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not return")
	}
}

func TestCloseKillsWhenItsContextEnds(t *testing.T) {
	g := mustGate(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	prog := mustScript(t, t.TempDir(), "prog.sh", `sleep 60 & echo $! > "$3"; `+gateSh)
	r, err := New(Config{Program: prog, Args: append(g.args(), pidFile)})
	if err != nil {
		t.Fatal(err)
	}
	running := startHandoff(context.Background(), r, newDelivery(1, "push", "a", nil))
	g.mustStart(t)
	queued := startHandoff(context.Background(), r, newDelivery(2, "push", "b", nil))
	mustQueued(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v, want a deadline error saying jobs were killed", err)
	}
	for _, c := range []struct {
		ch   <-chan handed
		want string
	}{{running, "was killed: hooklab is stopping"}, {queued, "not run: hooklab is stopping"}} {
		out := mustOutcome(t, c.ch)
		if out.Reason != receiver.ReasonExecFailed || out.Exec.ExitCode != -1 || !strings.Contains(out.Detail, c.want) {
			t.Errorf("outcome %q %q (exit %d), want exec_failed %q", out.Reason, out.Detail, out.Exec.ExitCode, c.want)
		}
	}
	mustGone(t, pidFile)
}

func TestCappedBuffer(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		writes    []string
		want      string
		truncated bool
	}{
		{name: "under", max: 5, writes: []string{"ab", "c"}, want: "abc"},
		{name: "exact", max: 3, writes: []string{"ab", "c"}, want: "abc"},
		{name: "over in one write", max: 3, writes: []string{"abcdef"}, want: "abc", truncated: true},
		{name: "over across writes", max: 3, writes: []string{"ab", "cd", "ef"}, want: "abc", truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cappedBuffer{max: tt.max}
			for _, w := range tt.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want all of it taken", w, n, err)
				}
			}
			if string(c.buf) != tt.want || c.truncated != tt.truncated {
				t.Errorf("kept %q, truncated %v; want %q, %v", c.buf, c.truncated, tt.want, tt.truncated)
			}
		})
	}
}
