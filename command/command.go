// Package command runs the user's program for each delivery listen accepted
// (listen --exec PROGRAM -- ARGS...).
//
// The program is started directly, never through a shell, with argv
// PROGRAM ARGS... as configured: nothing from the request is ever put in
// argv. The raw body is its stdin; its environment is built from scratch
// (PATH, HOME, LANG, TZ, TMPDIR and USER from the process environment, plus
// HOOKLAB_EVENT, HOOKLAB_DELIVERY, HOOKLAB_PROVIDER, HOOKLAB_RECORD_SEQ and
// HOOKLAB_STATUS), so secrets such as WEBHOOK_SECRET never reach it. It
// runs in its own process group, and the whole group is killed at the
// timeout and again after the program ends, so a grandchild left behind
// does not outlive its job.
//
// A Runner has a fixed number of workers reading a bounded queue. A delivery
// that finds the queue full is answered exec_busy with Retry-After at once;
// nothing waits in a goroutine of its own.
package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/receiver"
)

// The defaults of Config's zero fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 1
	DefaultQueue       = 16
	DefaultMaxOutput   = 64 << 10
)

// killGrace is how long a program has between SIGTERM (at its timeout, or
// when Close gives up waiting) and SIGKILL. It is also how long the runner
// waits, once the program has exited, for children that still hold its
// stdout or stderr before it kills them.
const killGrace = time.Second

// detailLimit caps the stderr line quoted in an answer's detail, in runes.
const detailLimit = 200

// passedEnv are the variables of the process environment a program gets.
var passedEnv = []string{"PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"}

// Config configures a Runner. Program is required; zero values of the other
// fields take the defaults named on them.
type Config struct {
	// Program is the program to run: a path, or a name looked up in the
	// PATH of Getenv when New is called.
	Program string
	// Args follow Program in argv, verbatim.
	Args []string
	// Timeout is how long one run may take before its process group is
	// killed and the delivery is answered exec_timeout. Default 10s.
	Timeout time.Duration
	// Concurrency is how many programs run at once. Default 1: commands
	// that deploy must not overlap.
	Concurrency int
	// Queue is how many deliveries may wait beyond the running ones; past
	// it deliveries are answered exec_busy. Default 16. A delivery whose
	// sender waits for the result waits in the queue at most Timeout;
	// then it is answered exec_busy and its program is not run.
	Queue int
	// Async answers every delivery exec_started at once and runs the
	// program after the answer; its result goes to Log.
	Async bool
	// MaxOutput is how many bytes of stdout, and of stderr, are kept; the
	// rest is read and dropped. Default 64 KiB.
	MaxOutput int
	// Getenv reads the process environment, for PATH, HOME, LANG, TZ,
	// TMPDIR and USER (nothing else is passed on). Default os.Getenv.
	Getenv func(string) string
	// Log receives one "exec" record per job that ran after its delivery
	// was answered (Async, after a forward, or when the sender went away),
	// and a warning for a job dropped after a forward. Default: discarded.
	Log *slog.Logger
	// Now is the clock for durations. Default time.Now.
	Now func() time.Time
	// Done, when set, gets the result of every job that ran after its
	// delivery was answered (those Log gets), with the delivery's Seq: the
	// capture file keeps it.
	Done func(seq uint64, res *receiver.ExecResult)
}

// Runner runs the program for deliveries. It is a receiver.Handoff. Build it
// with New; call Close when finished.
type Runner struct {
	name      string // Program as configured, for messages
	path      string // Program resolved, absolute
	args      []string
	timeout   time.Duration
	queueSize int
	async     bool
	maxOutput int
	env       []string // the passed variables; each job adds its own
	log       *slog.Logger
	onDone    func(uint64, *receiver.ExecResult)
	now       func() time.Time

	// stopCtx is cancelled when Close gives up waiting: running programs
	// are killed and queued jobs are dropped.
	stopCtx context.Context
	stop    context.CancelCauseFunc

	mu     sync.RWMutex // guards closed and sends on jobs against close(jobs)
	closed bool
	jobs   chan *job
	done   chan struct{} // closed when every worker has returned
}

// errStopping is the cause of stopCtx.
var errStopping = errors.New("hooklab is stopping")

// New checks cfg, resolves the program (a missing or non-executable
// program is an error here, not at the first delivery) and starts the
// workers.
func New(cfg Config) (*Runner, error) {
	if cfg.Program == "" {
		return nil, errors.New("command: no program given; name the program to run for each delivery")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"timeout", int64(cfg.Timeout)},
		{"concurrency", int64(cfg.Concurrency)},
		{"queue", int64(cfg.Queue)},
		{"output limit", int64(cfg.MaxOutput)},
	} {
		if f.v < 0 {
			return nil, fmt.Errorf("command: negative %s; give a positive value, or 0 for the default", f.name)
		}
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path, err := lookPath(cfg.Program, getenv("PATH"))
	if err != nil {
		return nil, err
	}
	r := &Runner{
		name:      cfg.Program,
		path:      path,
		args:      append([]string(nil), cfg.Args...),
		timeout:   or(cfg.Timeout, DefaultTimeout),
		queueSize: or(cfg.Queue, DefaultQueue),
		async:     cfg.Async,
		maxOutput: or(cfg.MaxOutput, DefaultMaxOutput),
		log:       cfg.Log,
		onDone:    cfg.Done,
		now:       cfg.Now,
		done:      make(chan struct{}),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	for _, k := range passedEnv {
		if v := getenv(k); v != "" {
			r.env = append(r.env, k+"="+envValue(v))
		}
	}
	r.stopCtx, r.stop = context.WithCancelCause(context.Background())
	r.jobs = make(chan *job, r.queueSize)
	var workers sync.WaitGroup
	for range or(cfg.Concurrency, DefaultConcurrency) {
		workers.Go(r.work)
	}
	go func() {
		workers.Wait()
		close(r.done)
	}()
	return r, nil
}

// or returns v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// lookPath resolves program like a shell would, but in the given PATH
// rather than the process's, skipping relative PATH entries (a program
// found through "." would depend on where listen was started). The result
// is absolute, so a later change of directory does not change the program.
func lookPath(program, pathEnv string) (string, error) {
	if strings.ContainsRune(program, filepath.Separator) || strings.ContainsRune(program, '/') {
		p, err := exec.LookPath(program)
		if err != nil {
			return "", fmt.Errorf("command: program %q: %w; check the path and that the file is executable", program, unwrapExec(err))
		}
		return filepath.Abs(p)
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if p, err := exec.LookPath(filepath.Join(dir, program)); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command: program %q not found in PATH; give its path, or check PATH and that the file is executable", program)
}

// unwrapExec drops exec.Error's own "exec: NAME:" prefix, which the caller
// already says.
func unwrapExec(err error) error {
	if e, ok := errors.AsType[*exec.Error](err); ok {
		return e.Err
	}
	return err
}

// envValue makes v fit in an environment entry: a NUL byte would make the
// program fail to start, so NULs are dropped.
func envValue(v string) string {
	return strings.ReplaceAll(v, "\x00", "")
}

// A job is one delivery to run the program for.
type job struct {
	body                    []byte
	env                     []string
	seq                     uint64
	event, delivery, detail string

	mu sync.Mutex
	// result receives the result when a handler waits for it; nil when
	// nobody waits any more (or ever did), and the result is logged.
	result chan *receiver.ExecResult
	// started is set by the worker that runs the job; withdrawn by a
	// handler that stopped waiting for its turn. Whichever comes first
	// wins: a withdrawn job is never run.
	started, withdrawn bool
}

// start marks j as running and reports whether it may run: false when its
// handler withdrew it.
func (j *job) start() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.withdrawn {
		return false
	}
	j.started = true
	return true
}

// withdraw takes j back from the queue unless it has started, and reports
// whether it did.
func (j *job) withdraw() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return false
	}
	j.withdrawn, j.result = true, nil
	return true
}

// deliver hands res to the waiting handler and reports whether there was
// one.
func (j *job) deliver(res *receiver.ExecResult) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.result == nil {
		return false
	}
	j.result <- res // buffered: never blocks
	return true
}

// detach says nobody waits for the result any more. It returns the result
// when it arrived meanwhile.
func (j *job) detach() (*receiver.ExecResult, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ch := j.result
	j.result = nil
	select {
	case res := <-ch:
		return res, true
	default:
		return nil, false
	}
}

// Handoff runs the program for d and never writes to w.
//
// By default it waits for the program and answers by its result: ok on exit
// 0, exec_failed (with the exit status and the first line of stderr) or
// exec_timeout. With Config.Async it answers exec_started at once. After a
// forward (d.Forward set) the app has answered the sender, so the job is
// queued and the verdict kept. When the queue is full the delivery is
// answered exec_busy with Retry-After, or, after a forward, a warning is
// logged. A waiting delivery whose program has not started within
// Config.Timeout (the programs before it took the time) is taken back from
// the queue, never run, and answered exec_busy with Retry-After, so that
// the sender hears within twice the timeout however long the queue.
//
// When the sender goes away while Handoff waits, Handoff returns
// exec_started and the job goes on (to its end or its timeout); its result
// is logged like an async one. A deploy is not cut short because the sender
// stopped listening.
//
// d.Body is copied: the receiver reuses its buffer after Handoff returns.
func (r *Runner) Handoff(w http.ResponseWriter, req *http.Request, d *receiver.Delivery) receiver.Outcome {
	background := r.async || d.Forward != nil
	j := &job{
		body:     bytes.Clone(d.Body),
		seq:      d.Seq,
		event:    d.Event,
		delivery: d.ID,
	}
	j.env = append(append(make([]string, 0, len(r.env)+5), r.env...),
		"HOOKLAB_EVENT="+envValue(d.Event),
		"HOOKLAB_DELIVERY="+envValue(d.ID),
		"HOOKLAB_PROVIDER="+envValue(d.Provider),
		"HOOKLAB_RECORD_SEQ="+strconv.FormatUint(d.Seq, 10),
		"HOOKLAB_STATUS="+strconv.Itoa(d.Status),
	)
	if !background {
		j.result = make(chan *receiver.ExecResult, 1)
	}
	if why := r.enqueue(j); why != "" {
		res := &receiver.ExecResult{Program: r.name, Reason: receiver.ReasonExecBusy, ExitCode: -1, Error: why}
		if d.Forward != nil {
			r.log.Warn(receiver.MsgExec, receiver.KeySeq, d.Seq, receiver.KeyEvent, d.Event, receiver.KeyDelivery, d.ID,
				receiver.KeyExecReason, string(receiver.ReasonExecBusy), receiver.KeyExecError, why)
			return receiver.Outcome{Exec: res}
		}
		return receiver.Outcome{Reason: receiver.ReasonExecBusy, Detail: why, RetryAfter: "1", Exec: res}
	}
	queued := receiver.Outcome{Exec: &receiver.ExecResult{Program: r.name, Queued: true}}
	if background {
		if d.Forward == nil {
			queued.Reason = receiver.ReasonExecStarted
		}
		return queued
	}
	ctx := context.Background()
	if req != nil {
		ctx = req.Context()
	}
	// A job waits for its turn at most Timeout: past that it is taken
	// back, so that the sender is answered within twice the timeout (and
	// the kill grace) however long the queue, never cut off by a server's
	// write timeout with no answer at all.
	turn := time.NewTimer(r.timeout)
	defer turn.Stop()
	for {
		select {
		case res := <-j.result:
			return outcome(res)
		case <-turn.C:
			if j.withdraw() {
				why := fmt.Sprintf("%s not run: it waited %v (the exec timeout) for its turn behind the deliveries before it", r.name, r.timeout)
				return receiver.Outcome{
					Reason: receiver.ReasonExecBusy, Detail: why, RetryAfter: "1",
					Exec: &receiver.ExecResult{Program: r.name, Reason: receiver.ReasonExecBusy, ExitCode: -1, Error: why},
				}
			}
			// It runs: it ends within its own timeout.
		case <-ctx.Done():
			if res, ok := j.detach(); ok {
				return outcome(res)
			}
			queued.Reason = receiver.ReasonExecStarted
			queued.Detail = "the sender went away before " + r.name + " ended; it goes on and its result is logged"
			return queued
		}
	}
}

// enqueue queues j without blocking. It returns why it could not, or "".
func (r *Runner) enqueue(j *job) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return r.name + " not run: " + errStopping.Error()
	}
	select {
	case r.jobs <- j:
		return ""
	default:
		return fmt.Sprintf("%s not run: %d deliveries already wait for it", r.name, r.queueSize)
	}
}

// outcome is the receiver's answer for a finished job.
func outcome(res *receiver.ExecResult) receiver.Outcome {
	return receiver.Outcome{Reason: res.Reason, Detail: res.Error, Exec: res}
}

// work runs queued jobs until the queue is closed and drained.
func (r *Runner) work() {
	for j := range r.jobs {
		if !j.start() {
			continue // its handler answered exec_busy and went on
		}
		res := r.run(j)
		if !j.deliver(res) {
			r.logResult(j, res)
		}
	}
}

// logResult writes the result of a job nobody waited for, and hands it to
// Done.
func (r *Runner) logResult(j *job, res *receiver.ExecResult) {
	if r.onDone != nil {
		r.onDone(j.seq, res)
	}
	level := slog.LevelInfo
	if res.Reason != receiver.ReasonOK {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.Uint64(receiver.KeySeq, j.seq),
		slog.String(receiver.KeyEvent, j.event),
		slog.String(receiver.KeyDelivery, j.delivery),
		slog.Int(receiver.KeyExecExit, res.ExitCode),
		slog.Float64(receiver.KeyExecDuration, float64(res.Duration)/float64(time.Millisecond)),
	}
	if res.Reason != receiver.ReasonOK {
		attrs = append(attrs, slog.String(receiver.KeyExecReason, string(res.Reason)))
	}
	if res.Error != "" {
		attrs = append(attrs, slog.String(receiver.KeyExecError, res.Error))
	}
	if len(res.Stdout) > 0 {
		attrs = append(attrs, slog.String(receiver.KeyExecStdout, string(res.Stdout)))
	}
	if len(res.Stderr) > 0 {
		attrs = append(attrs, slog.String(receiver.KeyExecStderr, string(res.Stderr)))
	}
	if res.Truncated {
		attrs = append(attrs, slog.Bool(receiver.KeyExecTruncated, true))
	}
	r.log.LogAttrs(context.Background(), level, receiver.MsgExec, attrs...)
}

// run runs the program for j and says what happened.
func (r *Runner) run(j *job) *receiver.ExecResult {
	res := &receiver.ExecResult{Program: r.name, ExitCode: -1, Reason: receiver.ReasonExecFailed}
	if err := context.Cause(r.stopCtx); err != nil {
		res.Error = r.name + " not run: " + err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(r.stopCtx, r.timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, r.path, r.args...)
	cmd.Env = j.env
	cmd.Stdin = bytes.NewReader(j.body) // os/exec ignores EPIPE when the program does not read it
	stdout, stderr := &cappedBuffer{max: r.maxOutput}, &cappedBuffer{max: r.maxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ownProcessGroup(cmd)
	cmd.WaitDelay = killGrace

	start := r.now()
	if err := cmd.Start(); err != nil {
		res.Error = fmt.Sprintf("%s could not start: %v", r.name, unwrapExec(err))
		return res
	}
	err := cmd.Wait()
	// The program has ended, but its children may live on (with or without
	// its pipes): end them, so nothing of this job outlives it.
	killProcessGroup(cmd.Process.Pid)
	res.Duration = r.now().Sub(start)
	res.Stdout, res.Stderr = stdout.buf, stderr.buf
	res.Truncated = stdout.truncated || stderr.truncated

	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil && r.stopCtx.Err() != nil:
		res.Error = fmt.Sprintf("%s was killed: %v", r.name, context.Cause(r.stopCtx))
	case ctx.Err() != nil:
		res.Reason = receiver.ReasonExecTimeout
		res.Error = fmt.Sprintf("%s did not finish within %v and was killed", r.name, r.timeout)
	case err == nil || errors.Is(err, exec.ErrWaitDelay):
		// ErrWaitDelay: it exited 0, and children it left holding its
		// output were killed killGrace later. The exit status is what
		// counts.
		res.Reason, res.ExitCode = receiver.ReasonOK, 0
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.ExitCode = exitErr.ExitCode()
		res.Error = fmt.Sprintf("%s exited with status %d", r.name, res.ExitCode)
		if line := firstLine(res.Stderr); line != "" {
			res.Error += ": " + line
		}
	case errors.As(err, &exitErr):
		res.Error = fmt.Sprintf("%s ended: %v", r.name, exitErr.ProcessState)
	default:
		res.Error = fmt.Sprintf("%s: %v", r.name, err)
	}
	return res
}

// firstLine returns the first non-blank line of b, safe for a terminal and
// a one-line answer.
func firstLine(b []byte) string {
	for line := range bytes.Lines(b) {
		if s := term.Sanitize(string(line), detailLimit); s != "" {
			return s
		}
	}
	return ""
}

// Close stops taking deliveries (they are answered exec_busy) and waits for
// the queued and running jobs. When ctx is done first, it kills the running
// programs' process groups, drops the queued jobs (their handlers are
// answered exec_failed) and returns an error. Close may be called more than
// once.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.jobs)
	}
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
	}
	r.stop(errStopping)
	<-r.done // at most killGrace: a killed program's Wait returns by then
	return fmt.Errorf("command: stopped before every %s ended; those still running were killed: %w", r.name, context.Cause(ctx))
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// always reporting a full write so that os/exec keeps draining the pipe.
type cappedBuffer struct {
	buf       []byte
	max       int
	truncated bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if len(p) > room {
		c.truncated = true
		c.buf = append(c.buf, p[:max(room, 0)]...)
	} else {
		c.buf = append(c.buf, p...)
	}
	return len(p), nil
}
