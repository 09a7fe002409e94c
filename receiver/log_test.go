package receiver

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/internal/term"
)

// logSamples writes one record of each kind the listener prints.
func logSamples(t *testing.T, h slog.Handler) {
	t.Helper()
	at := time.Date(2026, 11, 27, 9, 30, 15, 123e6, time.UTC)
	emit := func(level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(at, level, msg, 0)
		r.AddAttrs(attrs...)
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	common := func(status int, event, action, delivery string, bytes int64) []slog.Attr {
		return []slog.Attr{
			slog.Int(KeyStatus, status), slog.String(KeyEvent, event), slog.String(KeyAction, action),
			slog.String(KeyDelivery, delivery), slog.Int64(KeyBytes, bytes), slog.Float64(KeyDuration, 0.42),
			slog.String(KeyRemote, "127.0.0.1:50000"), slog.String(KeyMethod, "POST"), slog.String(KeyPath, "/webhook"),
		}
	}
	emit(slog.LevelInfo, MsgDelivery, append(common(200, "push", "", "d-1", 7421),
		slog.String(KeySummary, "refs/heads/main: 3 commits by octocat [octo/hello]"))...)
	emit(slog.LevelInfo, MsgRedelivery, append(common(200, "pull_request", "opened", "d-1", 20480),
		slog.String(KeySummary, `#42 "Fix the flux capacitor" opened [octo/hello]`), slog.Bool(KeyRedelivery, true))...)
	emit(slog.LevelWarn, MsgDelivery, append(common(401, "push", "", "d-2", 13),
		slog.String(KeyReason, "signature_mismatch"), slog.String(KeyDetail, "the signature does not match the body: the body or the secret differs"),
		slog.String(KeyHeader, "X-Hub-Signature-256"), slog.String(KeyBodySHA256, "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f"))...)
	emit(slog.LevelWarn, MsgDelivery, append(common(411, "", "", "", -1),
		slog.String(KeyReason, "length_required"), slog.String(KeyDetail, "send the body with a Content-Length header"))...)
	emit(slog.LevelWarn, MsgDelivery, append(common(405, "", "", "", 0)[:6], slog.String(KeyRemote, "127.0.0.1:50001"),
		slog.String(KeyMethod, "GET"), slog.String(KeyPath, "/webhook"),
		slog.String(KeyReason, "method_not_allowed"), slog.String(KeyDetail, "deliveries are POST requests"))...)
	emit(slog.LevelError, MsgDelivery, append(common(500, "ping", "", "d-3", 2),
		slog.String(KeyReason, "no_secret"), slog.String(KeyDetail, "no secret"))...)
	// Request headers are the client's: escape sequences are quoted, not sent to the terminal.
	emit(slog.LevelWarn, MsgDelivery, append(common(400, "push\x1b[2J", "", "id\x07", 5),
		slog.String(KeyReason, "invalid_json"), slog.String(KeyDetail, "the body is not valid JSON"))...)
	emit(slog.LevelInfo, MsgHealth, slog.Int(KeyStatus, 200), slog.String(KeyEvent, ""), slog.String(KeyAction, ""),
		slog.String(KeyDelivery, ""), slog.Int64(KeyBytes, 0), slog.Float64(KeyDuration, 0.05),
		slog.String(KeyRemote, "127.0.0.1:50002"), slog.String(KeyMethod, "GET"), slog.String(KeyPath, "/healthz"))
	// Handoffs: the app's answer, a forward that failed, a command and what --show prints.
	emit(slog.LevelWarn, MsgDelivery, append(common(200, "push", "", "d-4", 7421),
		slog.String(KeySummary, "refs/heads/main: 1 commit by octocat [octo/hello]"), slog.Uint64(KeySeq, 4),
		slog.Int(KeyAnswered, 500), slog.Int(KeyAppStatus, 500), slog.Float64(KeyAppDuration, 12.04),
		slog.String(KeyShown, "  X-GitHub-Event: push\n  {\"zen\": \"hi\"}\n"))...)
	emit(slog.LevelError, MsgDelivery, append(common(200, "ping", "", "d-5", 2),
		slog.String(KeySummary, "zen"), slog.Uint64(KeySeq, 5), slog.Int(KeyAnswered, 502),
		slog.String(KeyAppReason, "forward_failed"), slog.String(KeyAppError, "the app at http://127.0.0.1:3000/hook refused the connection: is it running?"),
		slog.Float64(KeyAppDuration, 0.3))...)
	emit(slog.LevelWarn, MsgDelivery, append(common(200, "push", "", "d-9", 7421),
		slog.String(KeySummary, "main"), slog.Uint64(KeySeq, 9), slog.Int(KeyAppStatus, 200),
		slog.String(KeyAppReason, "forward_timeout"), slog.String(KeyAppError, "the app's answer broke off after 10 of 100000 bytes"),
		slog.Float64(KeyAppDuration, 2001))...)
	emit(slog.LevelInfo, MsgDelivery, append(common(200, "release", "published", "d-6", 900),
		slog.String(KeySummary, "v1.0.0"), slog.Uint64(KeySeq, 6), slog.Int(KeyExecExit, 0), slog.Float64(KeyExecDuration, 40.5),
		slog.String(KeyExecStdout, "deployed v1.0.0\n\x1b[31mred\n"))...)
	emit(slog.LevelError, MsgDelivery, append(common(200, "push", "", "d-7", 900),
		slog.String(KeySummary, "x"), slog.Uint64(KeySeq, 7), slog.Int(KeyAnswered, 500), slog.Int(KeyExecExit, 3),
		slog.String(KeyExecReason, "exec_failed"), slog.String(KeyExecError, "deploy.sh exited with status 3"),
		slog.Float64(KeyExecDuration, 5), slog.String(KeyExecStderr, "no such branch\n"))...)
	// An event and an id with spaces and separators: quoted, so that they
	// cannot read as a status and a reason of their own.
	emit(slog.LevelInfo, MsgDelivery, append(common(200, "push  401  signature_mismatch", "", "d 1, x", 10),
		slog.String(KeySummary, "s"))...)
	// A sender's third attempt, and a signature failure whose cause is known.
	emit(slog.LevelInfo, MsgRedelivery, append(common(200, "push", "", "d-1", 7421),
		slog.String(KeySummary, "main"), slog.Bool(KeyRedelivery, true), slog.Int(KeyAttempt, 3), slog.Float64(KeySince, 2000))...)
	emit(slog.LevelWarn, MsgDelivery, append(common(401, "push", "", "d-2", 13),
		slog.String(KeyReason, "signature_mismatch"), slog.String(KeyDetail, "the signature does not match the body"),
		slog.String(KeyWhy, "the signature matches this body with its trailing newline removed: something added one"))...)
	// A command that ran after its delivery was answered, and one that found its queue full.
	emit(slog.LevelInfo, MsgExec, slog.Uint64(KeySeq, 4), slog.String(KeyEvent, "push"), slog.String(KeyDelivery, "d-4"),
		slog.Int(KeyExecExit, 0), slog.Float64(KeyExecDuration, 40.5), slog.String(KeyExecStdout, "deployed\n"))
	emit(slog.LevelWarn, MsgExec, slog.Uint64(KeySeq, 8), slog.String(KeyEvent, "push"), slog.String(KeyDelivery, "d-8"),
		slog.String(KeyExecReason, "exec_busy"), slog.String(KeyExecError, "./deploy.sh not run: 16 deliveries already wait for it"))
	// A record from another caller that uses the same message but not the same keys.
	emit(slog.LevelInfo, MsgDelivery, slog.String(KeyStatus, "fine"), slog.String("note", "no numbers here"))
	emit(slog.LevelWarn, "the secret is short", slog.String("source", "WEBHOOK_SECRET"))
	// Accepted, with what an official library would have refused.
	emit(slog.LevelInfo, MsgDelivery, append(common(200, "ping", "", "d-10", 2),
		slog.String(KeySummary, "zen"), slog.Any(KeyWarnings, []string{"X-Hub-Signature-256: accepted; octokit would refuse uppercase hex"}))...)
	emit(slog.LevelInfo, "stopped", slog.Int("total", 7))
}

func TestTextHandlerGolden(t *testing.T) {
	tests := []struct {
		name    string
		colored bool
		file    string
	}{
		{name: "plain", colored: false, file: "text-log.golden"},
		{name: "colour", colored: true, file: "text-log-color.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logSamples(t, NewTextHandler(&buf, tt.colored))
			out := buf.Bytes()
			if hasEscape := bytes.Contains(out, []byte("\x1b[")); hasEscape != tt.colored {
				t.Errorf("colored=%v but escape sequences present=%v", tt.colored, hasEscape)
			}
			golden.Check(t, tt.file, out)
		})
	}
}

// Fitted to a terminal, a line keeps its status, event and reason: the
// summary is cut or left out first, then the rest wraps onto indented
// lines; every line fits unless one part alone is wider than the terminal.
func TestTextHandlerFitsTheTerminal(t *testing.T) {
	tests := []struct {
		name    string
		colored bool
		cols    int
		file    string
	}{
		{name: "72 columns", cols: 72, file: "text-log-72.golden"},
		{name: "72 columns in colour", colored: true, cols: 72, file: "text-log-72-color.golden"},
		{name: "100 columns", cols: 100, file: "text-log-100.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logSamples(t, NewTextHandler(&buf, tt.colored).FitTo(tt.cols))
			golden.Check(t, tt.file, buf.Bytes())
			var wide bytes.Buffer
			logSamples(t, NewTextHandler(&wide, tt.colored))
			fitted, unfitted := strings.Split(buf.String(), "\n"), strings.Split(wide.String(), "\n")
			for _, line := range fitted {
				if n := columns([]byte(line)); n > tt.cols && strings.Count(strings.TrimSpace(line), "  ") > 0 {
					t.Errorf("a line of %d columns, past %d, that could have wrapped: %q", n, tt.cols, line)
				}
			}
			// What is never cut: the status and the reason of every record.
			for _, keep := range []string{"401", "signature_mismatch", "411", "length_required", "502", "forward_failed", "exec_busy"} {
				if strings.Contains(wide.String(), keep) && !strings.Contains(buf.String(), keep) {
					t.Errorf("%q was cut", keep)
				}
			}
			if len(fitted) < len(unfitted) {
				t.Errorf("fitting lost lines: %d, unfitted %d", len(fitted), len(unfitted))
			}
		})
	}
}

func TestFit(t *testing.T) {
	line := []byte("12:00:00.000 200 push  refs/heads/main: 3 commits by octocat [octo/hello]  7.2 KiB 0.4ms")
	parts := lineParts{
		summary:    bytes.Index(line, []byte("  refs")),
		summaryEnd: bytes.Index(line, []byte("  7.2")),
		tail:       bytes.Index(line, []byte("  7.2")),
	}
	tests := map[string]struct {
		cols int
		want string
	}{
		"wide enough":             {cols: 120, want: string(line)},
		"summary cut, one line":   {cols: 70, want: "12:00:00.000 200 push  refs/heads/main: 3 commits by o…  7.2 KiB 0.4ms"},
		"tail below, summary cut": {cols: 60, want: "12:00:00.000 200 push  refs/heads/main: 3 commits by octoca…\n    7.2 KiB 0.4ms"},
		"no room for a summary":   {cols: 24, want: "12:00:00.000 200 push\n    7.2 KiB 0.4ms"},
	}
	// A record without a summary or a tail wraps between its words.
	plain := []byte("12:00:00.000 stopping: Ctrl-C again stops at once, cutting off deliveries in flight")
	if got, want := string(fit(plain, lineParts{summary: -1, tail: -1}, 40)),
		"12:00:00.000 stopping: Ctrl-C again\n    stops at once, cutting off\n    deliveries in flight"; got != want {
		t.Errorf("fit(plain, 40) =\n%s\nwant\n%s", got, want)
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(fit(line, parts, tt.cols)); got != tt.want {
				t.Errorf("fit(%d) =\n%s\nwant\n%s", tt.cols, got, tt.want)
			}
		})
	}
}

// TestFitWidth: fit counts the columns a terminal shows, not runes: a
// CJK rune takes two, a combining accent none (and stays with its
// letter), and a word wider than the line is broken where the line ends;
// every line then fits cols. A key=value detail stays whole.
func TestFitWidth(t *testing.T) {
	// withSummary is a delivery's first line with its parts.
	withSummary := func(head, summary, tail string) ([]byte, lineParts) {
		end := len(head) + 2 + len(summary)
		return []byte(head + "  " + summary + tail), lineParts{summary: len(head), summaryEnd: end, tail: end}
	}
	const (
		cjk    = "#7 「日本語のタイトルがとても長い場合の表示について」 [octo/hello]"
		accent = "refs/heads/main: Cafe\u0301 re\u0301sume\u0301 ne\u0301e a\u0300 Ge\u0301ne\u0300ve [octo/hello]"
		sha    = "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f"
	)
	tests := []struct {
		name      string
		head      string
		summary   string // none when empty
		tail      string
		cols      int
		want      string
		overflows bool // a line may pass cols: a key=value detail
	}{
		{name: "CJK summary cut, one line", head: "12:00:00.000 200 issues opened", summary: cjk, tail: "  7.2 KiB 0.4ms", cols: 72,
			want: "12:00:00.000 200 issues opened  #7 「日本語のタイトルが…  7.2 KiB 0.4ms"},
		{name: "CJK summary cut, tail below", head: "12:00:00.000 200 issues opened", summary: cjk, tail: "  7.2 KiB 0.4ms", cols: 51,
			want: "12:00:00.000 200 issues opened  #7 「日本語のタイ…\n    7.2 KiB 0.4ms"},
		{name: "CJK summary left out", head: "12:00:00.000 200 issues opened", summary: cjk, tail: "  7.2 KiB 0.4ms", cols: 40,
			want: "12:00:00.000 200 issues opened\n    7.2 KiB 0.4ms"},
		{name: "CJK words wrap", head: "12:00:00.000 WARN 日本語の メッセージが とても 長い 場合", cols: 24,
			want: "12:00:00.000 WARN\n    日本語の\n    メッセージが とても\n    長い 場合"},
		{name: "accents take no columns", head: "12:00:00.000 200 push", summary: accent, tail: "  7.2 KiB 0.4ms", cols: 60,
			want: "12:00:00.000 200 push  refs/heads/main: Cafe\u0301 re\u0301sume\u0301 ne\u0301e a\u0300 G…\n    7.2 KiB 0.4ms"},
		{name: "a cut after an e keeps its accent", head: "12:00:00.000 200 push", summary: accent, tail: "  7.2 KiB 0.4ms", cols: 70,
			want: "12:00:00.000 200 push  refs/heads/main: Cafe\u0301 re\u0301sume\u0301 ne\u0301…  7.2 KiB 0.4ms"},
		{name: "a word wider than the line is broken", head: "12:00:00.000 401 push  signature_mismatch: the signature does not match", cols: 20,
			want: "12:00:00.000 401\n    push\n    signature_mismat\n    ch: the\n    signature does\n    not match"},
		{name: "a wide word is broken between runes", head: "12:00:00.000 WARN 日本語のメッセージ", cols: 13,
			want: "12:00:00.000\n    WARN\n    日本語の\n    メッセー\n    ジ"},
		{name: "a key=value detail stays whole", head: "12:00:00.000 401 push", tail: "  body_sha256=" + sha, cols: 40, overflows: true,
			want: "12:00:00.000 401 push\n    body_sha256=" + sha},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, parts := []byte(tt.head+tt.tail), lineParts{summary: -1, tail: -1}
			if tt.summary != "" {
				line, parts = withSummary(tt.head, tt.summary, tt.tail)
			} else if tt.tail != "" {
				parts.tail = len(tt.head)
			}
			got := string(fit(line, parts, tt.cols))
			if got != tt.want {
				t.Errorf("fit(%d) =\n%s\nwant\n%s", tt.cols, got, tt.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if n := term.Columns(l); n > tt.cols && !tt.overflows {
					t.Errorf("a line of %d columns, past %d: %q", n, tt.cols, l)
				}
			}
		})
	}
}

// TestWrapNarrow: however narrow the terminal, wrap ends and loses
// nothing; a line passes cols only when cols leaves no room after the
// indent.
func TestWrapNarrow(t *testing.T) {
	line := []byte("12:00:00.000 401 日本語  signature_mismatch: e\u0301te\u0301  \x1b[2m(redelivery)\x1b[22m")
	for cols := 0; cols <= 40; cols++ {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			got := string(wrap(nil, line, cols, 0))
			if flat := strings.ReplaceAll(strings.ReplaceAll(got, "\n"+wrapIndent, ""), " ", ""); flat != strings.ReplaceAll(string(line), " ", "") {
				t.Errorf("wrap(%d) lost or changed text: %q", cols, got)
			}
			for _, l := range strings.Split(got, "\n") {
				if n := term.Columns(l); n > cols && cols >= len(wrapIndent)+2 {
					t.Errorf("wrap(%d): a line of %d columns: %q", cols, n, l)
				}
			}
		})
	}
}

func TestTextHandlerAttrsAndGroups(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewTextHandler(&buf, false)).With("component", "listen").WithGroup("tls")
	log.Info("ready", "version", "1.3")
	got := buf.String()
	if !strings.Contains(got, "ready  component=listen  tls.version=1.3") {
		t.Errorf("got %q", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("want exactly one line, got %q", got)
	}
}
