// Package docs holds what documents hooklab (the inspector's screenshot)
// and, in this file, the test that runs the README's commands as written.
package docs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A command is one shell command of a README ```sh block: a line, with the
// lines a trailing backslash joins to it, without a trailing comment.
type command struct {
	text    string // as written, continuation lines joined by "\n"
	comment string // the comment after it on its line, without "# "
	line    int    // in README.md
}

// readmeCommands returns every command of every ```sh block of the README.
func readmeCommands(tb testing.TB, readme []byte) []command {
	tb.Helper()
	var cmds []command
	in := false
	var cur *command
	for i, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		if cur != nil { // a continuation line
			cur.text += "\n" + line
		} else {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			cmds = append(cmds, command{text: line, line: i + 1})
			cur = &cmds[len(cmds)-1]
		}
		if strings.HasSuffix(line, `\`) {
			continue
		}
		if j := commentAt(cur.text); j >= 0 {
			cur.comment = strings.TrimSpace(strings.TrimPrefix(cur.text[j:], "#"))
			cur.text = strings.TrimRight(cur.text[:j], " ")
		}
		cur = nil
	}
	return cmds
}

// commentAt returns where a comment starts in a shell command (a # after
// white space, outside quotes), or -1.
func commentAt(text string) int {
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && i > 0 && (text[i-1] == ' ' || text[i-1] == '\t'):
			return i
		}
	}
	return -1
}

// How a step runs its command.
type mode int

const (
	run        mode = iota // runs to its end, and must exit 0
	fails                  // runs to its end, and must exit non-zero
	background             // started and left running; ready when addr accepts connections, or its output has ready
	interrupt              // Ctrl-C (SIGINT) to the background step that ran cmd, which must then end
	exits                  // the background step that ran cmd must end by itself, with exit 0
	bounded                // runs for a while (a fuzzer, benchmarks): stopped after limit if need be, and must not fail
)

// A step is one command of a scenario.
type step struct {
	cmd   string        // the README's command, exactly as written (or the test's own, with own)
	mode  mode          //
	own   bool          // a command of the test's own (a stand-in for what the README leaves to the reader)
	addr  string        // background: where it accepts connections once ready
	ready string        // background: what its output holds once ready
	want  string        // the output must contain it (run and fails)
	limit time.Duration // bounded: how long it may run
	// started is what a bounded step prints once it runs (a fuzzer's
	// progress line): stopped at its limit, it passes only when it has
	// printed that. Without it, a bounded step must end by itself.
	started string
}

// sends is the step of a README line "hooklab send ...  # ✓ 200 ..." or
// "# ✗ 401 ...": send prints that mark and status, and exits 0 only for ✓.
func sends(cmd, mark string, status int) step {
	st := step{cmd: cmd, want: fmt.Sprintf("%s %d", mark, status)}
	if mark == "✗" {
		st.mode = fails
	}
	return st
}

// A scenario is what a reader does in one place of the README, in order,
// in a fresh copy of the repository, from one shell (a command that the
// README runs in another terminal is a background step here).
type scenario struct {
	name  string
	steps []step
}

// notRun are the README's commands this test does not run, each with why.
var notRun = map[string]string{
	"go install github.com/hooklab/hooklab/cmd/hooklab@latest": "fetches the published module from the network",
	"go test ./...":                          "the test command itself: CI runs it (.ci/run)",
	"go test -short ./...":                   "the test command itself, shorter",
	"bench/run.sh":                           "bench/scripts_test.go runs it",
	"(cd browser && go test ./...)":          "CI runs it (.ci/run), with chromium installed",
	"go test -run TestREADMECommands ./docs": "this test",
}

const (
	install       = "go install ./cmd/hooklab"
	exportSecret  = "export WEBHOOK_SECRET=$(openssl rand -hex 32)"
	listen        = "hooklab listen"
	appListen     = "hooklab listen --addr 127.0.0.1:3000"
	hubListen     = "hooklab listen --forward-to http://127.0.0.1:3000/webhook --record deliveries.ndjson --show headers \\\n  --exec ./on-delivery.sh --events push,ping"
	respondListen = "hooklab listen --respond 500,500,200 --expect-events push --max-events 3 --timeout 60s"
	// waitPort is the test's pause for a listener the README starts with &.
	waitPort = "wait_port 127.0.0.1:8080"
)

// standIn writes receiver.py, a receiver written by hand as a reader's
// might be: python3 receiver.py PORT SECRET_FILE.
const standIn = `cat > receiver.py <<'PY'
import hashlib, hmac, http.server, sys
secret = open(sys.argv[2], 'rb').read().rstrip(b'\\n')
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        want = 'sha256=' + hmac.new(secret, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(self.headers.get('X-Hub-Signature-256', ''), want)
        self.send_response(200 if ok else 403)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Receiver).serve_forever()
PY`

// The scenarios hold every README command that is not in notRun. A
// command the README changes, adds or drops fails TestREADMECommands until
// a scenario runs it as written.
var scenarios = []scenario{
	{name: "quick start", steps: []step{
		{cmd: "go run ./cmd/hooklab demo", want: "scenarios passed"},
		{cmd: "go run ./cmd/hooklab demo --provider stripe", want: "scenarios passed"},
		{cmd: install},
		{cmd: `export PATH="$PATH:$(go env GOPATH)/bin"`},
		// No secret: listen generates one and keeps it, and send finds it.
		{cmd: listen, mode: background, addr: "127.0.0.1:8080"},
		{cmd: "hooklab send push", want: "✓ 200"},
		{cmd: listen, mode: interrupt},
		{cmd: exportSecret},
		{cmd: listen, mode: background, addr: "127.0.0.1:8080"},
		{cmd: `body='{"zen":"Keep it logically awesome.","hook_id":1}'`},
		{cmd: `sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | awk '{print $NF}')`},
		{cmd: "curl -sS http://127.0.0.1:8080/webhook \\\n  -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \\\n  -H \"X-Hub-Signature-256: sha256=$sig\" --data-binary \"$body\"",
			want: `{"status":200,"reason":"ok","message":"delivery verified and accepted","event":"ping","summary":"zen \"Keep it logically awesome.\" hook 1"}`},
		{cmd: `form="payload=$(jq -rn --arg p "$body" '$p|@uri')"`},
		{cmd: `sig=$(printf %s "$form" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | awk '{print $NF}')`},
		{cmd: "curl -sS http://127.0.0.1:8080/webhook \\\n  -H 'Content-Type: application/x-www-form-urlencoded' -H 'X-GitHub-Event: ping' \\\n  -H \"X-Hub-Signature-256: sha256=$sig\" --data-binary \"$form\"",
			want: `"status":200`},
		{cmd: listen, mode: interrupt},
		{cmd: "hooklab listen --addr 127.0.0.1:0 --log-format json | jq --unbuffered -r 'select(.msg==\"listening\") | .url'",
			mode: background, ready: "http://127.0.0.1:"},
	}},
	{name: "forward, run, capture, replay", steps: []step{
		{cmd: install},
		{cmd: exportSecret},
		{cmd: appListen, mode: background, addr: "127.0.0.1:3000"},
		{cmd: `printf '#!/bin/sh\necho "got $HOOKLAB_EVENT $HOOKLAB_DELIVERY: $(wc -c) bytes"\n' > on-delivery.sh`},
		{cmd: "chmod +x on-delivery.sh"},
		{cmd: hubListen, mode: background, addr: "127.0.0.1:8080"},
		{cmd: "hooklab send push", want: "✓ 200"},
		{cmd: "hooklab send ping --signature wrong --expect 401", want: "401"},
		{cmd: hubListen, mode: interrupt},
		{cmd: "hooklab replay deliveries.ndjson --list", want: "signature_mismatch"},
		{cmd: "hooklab replay deliveries.ndjson --seq 1 --url http://127.0.0.1:3000/webhook", want: "200"},
		{cmd: "hooklab replay deliveries.ndjson --event push --resign --new-id --url http://127.0.0.1:3000/webhook", want: "200"},
		{cmd: "jq -r 'select(.seq == 1) | .body' deliveries.ndjson | base64 -d > body.json"},
		{own: true, cmd: `[ "$(sha256sum < body.json | cut -d' ' -f1)" = "$(jq -r 'select(.seq == 1) | .body_sha256' deliveries.ndjson)" ]`},
		{cmd: "hooklab listen --events release --exec ./on-delivery.sh -- --env staging", mode: background, addr: "127.0.0.1:8080"},
		{own: true, cmd: "hooklab send release", want: "✓ 200"},
		{cmd: "hooklab listen --events release --exec ./on-delivery.sh -- --env staging", mode: interrupt},
		{cmd: "hooklab listen --ui --forward-to http://127.0.0.1:3000/webhook --record deliveries.ndjson", mode: background, addr: "127.0.0.1:4040"},
		{own: true, cmd: "curl -sSf http://127.0.0.1:4040/ > /dev/null"},
		{cmd: "hooklab listen --ui --forward-to http://127.0.0.1:3000/webhook --record deliveries.ndjson", mode: interrupt},
		{cmd: `printf '{"zen":"hi","hook_id":1}' > body.json`},
		{cmd: `hooklab verify --file body.json -H "X-Hub-Signature-256: sha256=$(printf '{"zen":"hi","hook_id":1}' | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | awk '{print $NF}')"`},
		{cmd: "hooklab verify deliveries.ndjson --seq 2", mode: fails, want: "signature"},
		{cmd: appListen, mode: interrupt},
	}},
	{name: "listen in CI", steps: []step{
		{cmd: install},
		{cmd: exportSecret},
		{cmd: "rm -f hooklab.addr"},
		{cmd: "hooklab listen --addr 127.0.0.1:0 --ready-file hooklab.addr --expect-events push,ping \\\n  --max-events 2 --timeout 30s --log-format json > listen.log &"},
		{cmd: "listen=$!"},
		{cmd: "while [ ! -s hooklab.addr ]; do sleep 0.1; done"},
		{cmd: `hooklab send push --url "http://$(cat hooklab.addr)/webhook"`},
		{cmd: `hooklab send ping --url "http://$(cat hooklab.addr)/webhook"`},
		{cmd: `wait $listen && echo "the sender delivered what it must"`, want: "the sender delivered what it must"},
		// A retrying sender against scripted answers: two 500s, then 200.
		{cmd: respondListen, mode: background, addr: "127.0.0.1:8080"},
		{own: true, cmd: "hooklab send push --delivery retried-1 --expect 500"},
		{own: true, cmd: "hooklab send push --delivery retried-1 --expect 500"},
		{own: true, cmd: "hooklab send push --delivery retried-1 --expect 200"},
		{cmd: respondListen, mode: exits},
	}},
	{name: "TLS", steps: []step{
		{cmd: install},
		{cmd: exportSecret},
		{cmd: "hooklab listen --tls --tls-dir .hooklab-tls --addr 127.0.0.1:8443", mode: background, addr: "127.0.0.1:8443"},
		{cmd: "hooklab send push --url https://127.0.0.1:8443/webhook --cacert .hooklab-tls/cert.pem", want: "✓ 200"},
		{cmd: "hooklab listen --tls --tls-dir .hooklab-tls --addr 127.0.0.1:8443", mode: interrupt},
	}},
	{name: "providers", steps: []step{
		{cmd: install},
		{cmd: "export WEBHOOK_SECRET=$(hooklab secret --provider stripe)"},
		{cmd: "hooklab listen --provider stripe &"},
		{own: true, cmd: waitPort},
		{cmd: "hooklab send --provider stripe", want: "✓ 200 payment_intent.succeeded"},
		{cmd: "hooklab send --provider stripe --timestamp $(( $(date +%s) - 600 )) --expect 401", want: "timestamp_out_of_range"},
		{cmd: "hooklab check --provider stripe", want: "passed"},
	}},
	{name: "send and sign", steps: []step{
		{cmd: install},
		{cmd: exportSecret},
		{own: true, cmd: listen, mode: background, addr: "127.0.0.1:8080"},
		{own: true, cmd: `{ printf '{"zen":"'; head -c 26214400 /dev/zero | tr '\0' a; printf '"}'; } > big.json`},
		sends("hooklab send push", "✓", 200),
		sends("hooklab send push --signature wrong", "✗", 401),
		sends("hooklab send push --signature missing", "✗", 401),
		sends("hooklab send push --length missing", "✗", 411),
		sends("hooklab send push --length chunked", "✗", 411),
		sends("hooklab send push --length 99999", "✗", 400),
		sends("hooklab send push --length 10", "✗", 401),
		sends("hooklab send push --header 'X-GitHub-Event:'", "✗", 400),
		sends("hooklab send --file big.json --event ping", "✗", 413),
		sends("hooklab send --content-type form pull_request", "✓", 200),
		{cmd: `hooklab send push --signature wrong --expect 401 && echo "the receiver refuses bad signatures"`, want: "the receiver refuses bad signatures"},
		{cmd: "hooklab send --length missing --expect 411 --json | jq .status", want: "411"},
		{cmd: "hooklab send push --count 20000 --concurrency 32", want: "200 ×20000"},
		{cmd: "hooklab send push --signature wrong --count 1000 --concurrency 8 --expect 401", want: "401 ×1000"},
		{cmd: `printf %s 'Hello, World!' | hooklab sign --secret "It's a Secret to Everybody"`,
			want: "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{own: true, cmd: "cp fixtures/github/push.json payload.json"},
		{cmd: "curl -sS http://127.0.0.1:8080/webhook -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \\\n  -H \"$(hooklab sign --file payload.json | head -1)\" --data-binary @payload.json",
			want: `"status":200`},
	}},
	{name: "check a receiver of your own", steps: []step{
		{cmd: install},
		// The reader's receiver: verifies GitHub's signature with the secret
		// in secret.txt, answers 403 to a bad one and 200 otherwise, with no
		// opinion on lengths, types or events.
		{own: true, cmd: "openssl rand -hex 32 | tr -d '\\n' > secret.txt"},
		{own: true, cmd: standIn},
		{own: true, cmd: "python3 receiver.py 3000 secret.txt", mode: background, addr: "127.0.0.1:3000"},
		{cmd: "URL=http://127.0.0.1:3000/github/webhook"},
		{cmd: `hooklab check "$URL" --secret-file secret.txt --profile security --wait 30s`, want: "passed"},
		{cmd: `hooklab check "$URL" --secret-file secret.txt --profile security --format json | jq '.results[] | select(.verdict=="fail")'`},
		{own: true, cmd: `[ ! -s .last.out ]`}, // no scenario failed
		{cmd: `hooklab check "$URL" --secret-file secret.txt --profile security --format junit > hooklab-check.xml`},
		{own: true, cmd: `grep -q '<testsuite' hooklab-check.xml`},
		// The strict table holds hooklab's preferences (411, 413, 415, ...),
		// which this receiver does not share.
		{cmd: `hooklab check "$URL" --secret-file secret.txt --expect 401=403 --accept-2xx`, mode: fails, want: "failed"},
	}},
	{name: "development", steps: []step{
		{cmd: "go test -run XXX -bench . ./signing ./receiver", mode: bounded, limit: 4 * time.Minute},
		{cmd: "go test -fuzz '^FuzzHandler$' ./receiver", mode: bounded, limit: 60 * time.Second, started: "fuzz: elapsed"},
		{cmd: "(cd bench/jsonlibs && go test -run XXX -bench .)", mode: bounded, limit: 2 * time.Minute},
		{cmd: "go test -run XXX -bench Observe ./capture", mode: bounded, limit: time.Minute},
	}},
}

// TestREADMECommands runs every command of the README's ```sh blocks, as
// written, in the scenarios above, with the hooklab binary built from
// this tree on the PATH; each README command is run by a scenario or named
// in notRun with why.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, readme)
	covered := map[string]bool{}
	for _, sc := range scenarios {
		for _, st := range sc.steps {
			if !st.own {
				covered[st.cmd] = true
			}
		}
	}
	inREADME := map[string]bool{}
	for _, c := range cmds {
		inREADME[c.text] = true
		checkPromise(t, c, scenarios)
		if _, skip := notRun[c.text]; !skip && !covered[c.text] {
			t.Errorf("README.md:%d: no scenario runs this command:\n%s", c.line, c.text)
		}
	}
	for text := range covered {
		if !inREADME[text] {
			t.Errorf("a scenario runs a command the README no longer has:\n%s", text)
		}
	}
	for text := range notRun {
		if !inREADME[text] {
			t.Errorf("notRun names a command the README no longer has: %s", text)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if testing.Short() {
		t.Skip("runs the README's commands (builds, demo, load); skipped with -short")
	}
	for _, tool := range []string{"bash", "curl", "openssl", "jq", "git", "python3", "pgrep", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "the README's commands need %s: %v", tool, err)
		}
	}
	env := readerEnv(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := mustRepoCopy(t)
			runScenario(t, dir, env, sc)
		})
	}
}

// promise matches a README comment that says what a command gets: "✓ 200
// ..." or "✗ 401 ...", as send prints it.
var promise = regexp.MustCompile(`^([✓✗]) (\d{3})\b`)

// checkPromise fails when a README command's comment promises a status
// that the steps running it do not hold it to: each must want that mark
// and status, and fail (exit non-zero) exactly for ✗.
func checkPromise(t *testing.T, c command, scs []scenario) {
	t.Helper()
	m := promise.FindStringSubmatch(c.comment)
	if m == nil {
		return
	}
	for _, sc := range scs {
		for _, st := range sc.steps {
			if st.own || st.cmd != c.text {
				continue
			}
			if !strings.HasPrefix(st.want, m[1]+" "+m[2]) || (st.mode == fails) != (m[1] == "✗") {
				t.Errorf("README.md:%d promises %q; the step (%s) wants %q, mode %d", c.line, c.comment, sc.name, st.want, st.mode)
			}
		}
	}
}

// unavailable skips the test for what this machine lacks, except in CI
// (CI=true), where .ci/run provides it and its lack is a failure.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// readerEnv is the environment of a reader's shell: the PATH with a bin
// directory of its own first (where go install puts hooklab, as GOBIN),
// a home of its own (hooklab keeps a generated secret under it), no
// hooklab settings, and the Go caches of this machine, so that nothing is
// downloaded or built twice.
func readerEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HOOKLAB_") || strings.HasPrefix(k, "WEBHOOK_") || k == "HOME" || k == "PATH" ||
			k == "XDG_CONFIG_HOME" || k == "GOBIN" || k == "GOFLAGS" {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(out)))
	}
	return append(env, "HOME="+home, "GOBIN="+bin, "PATH="+bin+":"+os.Getenv("PATH"))
}

// mustRepoCopy copies the repository's files (git ls-files: the working
// tree, not the last commit) to a new directory, as a fresh clone would
// have them, and builds hooklab onto the PATH's first directory, as the
// README's Install section does.
func mustRepoCopy(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join("..", name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() { // deleted in the working tree
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runScenario writes the scenario as one bash script, runs it in dir in a
// process group of its own, and stops whatever it left running.
func runScenario(t *testing.T, dir string, env []string, sc scenario) {
	t.Helper()
	for _, st := range sc.steps {
		if st.mode == background {
			if c, err := net.DialTimeout("tcp", st.addr, time.Second); err == nil {
				c.Close()
				unavailable(t, "%s is taken: the README's commands need it free", st.addr)
			}
		}
	}
	script := scenarioScript(sc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever a step left behind
	}
	if err != nil {
		t.Fatalf("%v\n--- script:\n%s\n--- output:\n%s", err, numbered(script), lastLines(out.String(), 120))
	}
	if !strings.Contains(out.String(), "README SCENARIO DONE") {
		t.Fatalf("the scenario did not finish:\n%s", lastLines(out.String(), 120))
	}
}

// scenarioScript is the bash script of a scenario: each step's command as
// written, with the checks its mode calls for around it.
func scenarioScript(sc scenario) string {
	var b strings.Builder
	b.WriteString(`set -u
step() { printf '\n=== step %s\n' "$1"; }
failed() {
  printf '\n=== FAILED: %s\n' "$1"
  for f in .bg*.out; do [ -e "$f" ] && { printf -- '--- %s\n' "$f"; tail -n 40 "$f"; }; done
  exit 1
}
wait_port() { # ADDR: until it accepts connections, for two minutes at most
  local host=${1%:*} port=${1##*:}
  for _ in $(seq 1200); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  failed "nothing accepted connections at $1 within two minutes"
}
wait_output() { # FILE TEXT: until FILE holds TEXT, for two minutes at most
  for _ in $(seq 1200); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  failed "no $2 in $1 within two minutes"
}
signal_tree() { # SIGNAL PID: to PID's descendants, deepest first, then PID
  local c
  for c in $(pgrep -P "$2"); do signal_tree "$1" "$c"; done
  kill -"$1" "$2" 2>/dev/null
}
declare -A bg
`)
	for i, st := range sc.steps {
		fmt.Fprintf(&b, "step %d\n", i+1)
		q := shellQuote(st.cmd)
		out := fmt.Sprintf(".bg%d.out", i+1)
		switch st.mode {
		case run, fails:
			fmt.Fprintf(&b, "printf '%%s\\n' %s\n", q)
			// The command runs in this shell, so that what it sets (export,
			// body=...) holds for the next ones, with its output captured.
			fmt.Fprintf(&b, "{ %s\n} > .step.out 2>&1; status=$?; cat .step.out\n", st.cmd)
			if st.mode == fails {
				b.WriteString(`[ "$status" -ne 0 ] || failed "exit 0, want a failure"` + "\n")
			} else {
				b.WriteString(`[ "$status" -eq 0 ] || failed "exit $status"` + "\n")
			}
			if st.want != "" {
				fmt.Fprintf(&b, "grep -qF -- %s .step.out || failed %s\n", shellQuote(st.want), shellQuote("want in the output: "+st.want))
			}
			// What the step printed, for the next one to look at (.step.out
			// is emptied as the next one starts).
			b.WriteString("cp .step.out .last.out\n")
		case background:
			fmt.Fprintf(&b, "printf '%%s &\\n' %s\n", q)
			fmt.Fprintf(&b, "{ %s\n} > %s 2>&1 &\nbg[%s]=$!\n", st.cmd, out, q)
			if st.addr != "" {
				fmt.Fprintf(&b, "wait_port %s\n", st.addr)
			}
			if st.ready != "" {
				fmt.Fprintf(&b, "wait_output %s %s\n", out, shellQuote(st.ready))
			}
		case interrupt:
			// As a terminal's Ctrl-C reaches every process of the job (go
			// run and the hooklab it runs), not only the first.
			fmt.Fprintf(&b, "printf 'Ctrl-C: %%s\\n' %s\n", q)
			fmt.Fprintf(&b, "pid=${bg[%s]}; signal_tree INT \"$pid\"\n", q)
			b.WriteString("for _ in $(seq 100); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.1; done\n")
			b.WriteString("kill -0 \"$pid\" 2>/dev/null && failed 'still running 10 s after Ctrl-C'\n")
		case exits:
			fmt.Fprintf(&b, "printf 'ends by itself: %%s\\n' %s\n", q)
			fmt.Fprintf(&b, "wait ${bg[%s]}; status=$?\n", q)
			b.WriteString(`[ "$status" -eq 0 ] || failed "exit $status"` + "\n")
		case bounded:
			// Benchmarks run once each (-benchtime 1x): enough to show
			// that the command works.
			fmt.Fprintf(&b, "printf '%%s (for %s at most)\\n' %s\n", st.limit, q)
			fmt.Fprintf(&b, "GOFLAGS=-benchtime=1x timeout -s INT %d bash -c %s > .step.out 2>&1; status=$?; tail -n 20 .step.out\n",
				int(st.limit.Seconds()), q)
			if st.started != "" {
				fmt.Fprintf(&b, "[ \"$status\" -eq 124 ] && ! grep -qF -- %s .step.out && failed %s\n",
					shellQuote(st.started), shellQuote("stopped after "+st.limit.String()+" before it printed "+st.started))
				b.WriteString(`[ "$status" -eq 0 ] || [ "$status" -eq 124 ] || failed "exit $status"` + "\n")
			} else {
				b.WriteString(`[ "$status" -eq 0 ] || failed "exit $status (124: it did not end within its limit)"` + "\n")
			}
			b.WriteString(`! grep -qE '^(FAIL|--- FAIL|panic:)|matches more than one' .step.out || failed "it failed"` + "\n")
		}
	}
	b.WriteString("echo README SCENARIO DONE\n")
	return b.String()
}

// shellQuote quotes s for bash, in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func numbered(s string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		fmt.Fprintf(&b, "%3d  %s\n", n, sc.Text())
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
