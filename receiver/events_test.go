package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// summarizeCase is one delivery and the summary hooklab must give of it.
type summarizeCase struct {
	name    string
	event   string
	payload string
	want    Summary
}

// summarizeCases is the table for TestSummarize. It is a function, not a
// package variable, so that no test can change it for another.
func summarizeCases() []summarizeCase {
	const (
		repo    = `"repository":{"full_name":"octo/hello"},"sender":{"login":"octocat"}`
		compare = "https://github.com/octo/hello/compare/a1b2c3d4e5f6...f6e5d4c3b2a1"
	)
	return []summarizeCase{
		{
			name:    "ping",
			event:   "ping",
			payload: `{"zen":"Design for failure.","hook_id":123456,"hook":{"id":123456,"type":"Repository"},` + repo + `}`,
			want:    Summary{Text: `zen "Design for failure." hook 123456 [octo/hello]`},
		},
		{
			name:    "ping from an organization hook has no repository",
			event:   "ping",
			payload: `{"zen":"Keep it logically awesome.","hook_id":7,"organization":{"login":"octo"},"sender":{"login":"octocat"}}`,
			want:    Summary{Text: `zen "Keep it logically awesome." hook 7`},
		},
		{
			name:    "push of several commits",
			event:   "push",
			payload: `{"ref":"refs/heads/main","created":false,"deleted":false,"forced":false,"compare":"` + compare + `","commits":[{},{},{}],"pusher":{"name":"octocat"},` + repo + `}`,
			want:    Summary{Text: "refs/heads/main: 3 commits by octocat " + compare + " [octo/hello]"},
		},
		{
			name:    "push of one commit",
			event:   "push",
			payload: `{"ref":"refs/heads/main","compare":"` + compare + `","commits":[{"id":"a1b2c3"}],"pusher":{"name":"octocat"},` + repo + `}`,
			want:    Summary{Text: "refs/heads/main: 1 commit by octocat " + compare + " [octo/hello]"},
		},
		{
			name:    "forced push",
			event:   "push",
			payload: `{"ref":"refs/heads/main","forced":true,"compare":"` + compare + `","commits":[{},{}],"pusher":{"name":"octocat"},` + repo + `}`,
			want:    Summary{Text: "refs/heads/main: 2 commits (forced) by octocat " + compare + " [octo/hello]"},
		},
		{
			name:    "push creating a branch",
			event:   "push",
			payload: `{"ref":"refs/heads/feature-x","created":true,"compare":"https://github.com/octo/hello/commit/a1b2c3","commits":[{}],"pusher":{"name":"octocat"},` + repo + `}`,
			want:    Summary{Text: "refs/heads/feature-x created: 1 commit by octocat https://github.com/octo/hello/commit/a1b2c3 [octo/hello]"},
		},
		{
			name:    "push deleting a tag",
			event:   "push",
			payload: `{"ref":"refs/tags/v1","deleted":true,"compare":"` + compare + `","commits":[],"head_commit":null,"pusher":{"name":"octocat"},` + repo + `}`,
			want:    Summary{Text: "refs/tags/v1 deleted by octocat " + compare + " [octo/hello]"},
		},
		{
			name:    "push without a pusher name or compare URL names the sender",
			event:   "push",
			payload: `{"ref":"refs/heads/main",` + repo + `}`,
			want:    Summary{Text: "refs/heads/main: 0 commits by octocat [octo/hello]"},
		},
		{
			name:    "pull request opened",
			event:   "pull_request",
			payload: `{"action":"opened","number":42,"pull_request":{"number":42,"title":"Fix the flux capacitor","merged":false},` + repo + `}`,
			want:    Summary{Action: "opened", Text: `#42 "Fix the flux capacitor" opened [octo/hello]`},
		},
		{
			name:    "pull request closed and merged",
			event:   "pull_request",
			payload: `{"action":"closed","number":42,"pull_request":{"number":42,"title":"Fix the flux capacitor","merged":true},` + repo + `}`,
			want:    Summary{Action: "closed", Text: `#42 "Fix the flux capacitor" closed (merged) [octo/hello]`},
		},
		{
			name:    "pull request closed without merging",
			event:   "pull_request",
			payload: `{"action":"closed","number":42,"pull_request":{"number":42,"title":"Fix the flux capacitor","merged":false},` + repo + `}`,
			want:    Summary{Action: "closed", Text: `#42 "Fix the flux capacitor" closed [octo/hello]`},
		},
		{
			name:    "pull request with a number of the wrong type gets the generic summary",
			event:   "pull_request",
			payload: `{"action":"opened","number":"x","pull_request":{"number":42,"title":"Fix the flux capacitor"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: "action opened on octo/hello by octocat"},
		},
		{
			name:    "pull request event without a pull request gets the generic summary",
			event:   "pull_request",
			payload: `{"action":"opened","pull_request":null,` + repo + `}`,
			want:    Summary{Action: "opened", Text: "action opened on octo/hello by octocat"},
		},
		{
			name:    "pull request without a number gets the generic summary",
			event:   "pull_request",
			payload: `{"action":"opened","pull_request":{"title":"Fix the flux capacitor"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: "action opened on octo/hello by octocat"},
		},
		{
			name:    "push whose ref is only a terminal escape gets the generic summary",
			event:   "push",
			payload: `{"ref":"\u001b[2J","commits":[{}],` + repo + `}`,
			want:    Summary{Text: "on octo/hello by octocat"},
		},
		{
			name:    "pull request payload that is null",
			event:   "pull_request",
			payload: `null`,
			want:    Summary{Text: "(no action, repository or sender)"},
		},
		{
			name:    "push payload that is an array",
			event:   "push",
			payload: `[{"ref":"refs/heads/main"}]`,
			want:    Summary{Text: "(no action, repository or sender)"},
		},
		{
			name:    "issue opened",
			event:   "issues",
			payload: `{"action":"opened","issue":{"number":7,"title":"Spelling error in the README file"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: `#7 "Spelling error in the README file" opened [octo/hello]`},
		},
		{
			name:    "issue title with line breaks, tabs and terminal escapes",
			event:   "issues",
			payload: `{"action":"opened","issue":{"number":7,"title":"Fix\r\n\tthe \u001b[31mred\u001b[0m\u0007 bug\u001b]0;pwned\u0007 now\u001b"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: `#7 "Fix the red bug now" opened [octo/hello]`},
		},
		{
			name:    "issue title with C1 controls, bidi overrides and line separators",
			event:   "issues",
			payload: `{"action":"opened","issue":{"number":7,"title":"a\u0085b\u009b31mc\u202ed\u2028e\u2029f"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: `#7 "a b 31mc d e f" opened [octo/hello]`},
		},
		{
			name:    "very long issue title is capped",
			event:   "issues",
			payload: `{"action":"opened","issue":{"number":7,"title":"` + strings.Repeat("é", 500) + `"},` + repo + `}`,
			want:    Summary{Action: "opened", Text: `#7 "` + strings.Repeat("é", 79) + `…" opened [octo/hello]`},
		},
		{
			name:    "action with a line break cannot forge a second log line",
			event:   "issues",
			payload: `{"action":"opened\nFAKE accepted","issue":{"number":7,"title":"t"},` + repo + `}`,
			want:    Summary{Action: "opened FAKE accepted", Text: `#7 "t" opened FAKE accepted [octo/hello]`},
		},
		{
			name:    "issue comment",
			event:   "issue_comment",
			payload: `{"action":"created","issue":{"number":7,"title":"Spelling error in the README file"},"comment":{"user":{"login":"hubot"}},` + repo + `}`,
			want:    Summary{Action: "created", Text: `comment on #7 "Spelling error in the README file" by hubot: created [octo/hello]`},
		},
		{
			name:    "release published",
			event:   "release",
			payload: `{"action":"published","release":{"tag_name":"v1.2.3","name":"Flux"},` + repo + `}`,
			want:    Summary{Action: "published", Text: `v1.2.3 "Flux" published [octo/hello]`},
		},
		{
			name:    "release without a name",
			event:   "release",
			payload: `{"action":"created","release":{"tag_name":"0.0.1","name":""},` + repo + `}`,
			want:    Summary{Action: "created", Text: `0.0.1 created [octo/hello]`},
		},
		{
			name:    "workflow run completed",
			event:   "workflow_run",
			payload: `{"action":"completed","workflow_run":{"name":"CI","run_number":12,"status":"completed","conclusion":"success","head_branch":"main"},` + repo + `}`,
			want:    Summary{Action: "completed", Text: `workflow "CI" #12 completed: success on main [octo/hello]`},
		},
		{
			name:    "workflow run without a name uses the workflow's, and has no conclusion yet",
			event:   "workflow_run",
			payload: `{"action":"requested","workflow":{"name":"test"},"workflow_run":{"name":"","run_number":163,"status":"queued","conclusion":null,"head_branch":"master"},` + repo + `}`,
			want:    Summary{Action: "requested", Text: `workflow "test" #163 queued on master [octo/hello]`},
		},
		{
			name:    "workflow job completed",
			event:   "workflow_job",
			payload: `{"action":"completed","workflow_job":{"name":"build","workflow_name":"CI","status":"completed","conclusion":"failure"},` + repo + `}`,
			want:    Summary{Action: "completed", Text: `job "build" in "CI" completed: failure [octo/hello]`},
		},
		{
			name:    "workflow job queued",
			event:   "workflow_job",
			payload: `{"action":"queued","workflow_job":{"name":"build","workflow_name":"CI","status":"queued","conclusion":null},` + repo + `}`,
			want:    Summary{Action: "queued", Text: `job "build" in "CI" queued [octo/hello]`},
		},
		{
			name:    "check run completed",
			event:   "check_run",
			payload: `{"action":"completed","check_run":{"name":"lint","status":"completed","conclusion":"success"},` + repo + `}`,
			want:    Summary{Action: "completed", Text: `check "lint" completed: success [octo/hello]`},
		},
		{
			name:    "check suite completed",
			event:   "check_suite",
			payload: `{"action":"completed","check_suite":{"head_branch":"main","status":"completed","conclusion":"success"},` + repo + `}`,
			want:    Summary{Action: "completed", Text: `check suite on main completed: success [octo/hello]`},
		},
		{
			name:    "check suite requested on a fork without a head branch",
			event:   "check_suite",
			payload: `{"action":"requested","check_suite":{"head_branch":null,"status":"queued","conclusion":null},` + repo + `}`,
			want:    Summary{Action: "requested", Text: `check suite queued [octo/hello]`},
		},
		{
			name:    "branch created",
			event:   "create",
			payload: `{"ref":"feature-x","ref_type":"branch","master_branch":"main",` + repo + `}`,
			want:    Summary{Text: `branch feature-x created [octo/hello]`},
		},
		{
			name:    "tag deleted",
			event:   "delete",
			payload: `{"ref":"v1","ref_type":"tag",` + repo + `}`,
			want:    Summary{Text: `tag v1 deleted [octo/hello]`},
		},
		{
			name:    "star created",
			event:   "star",
			payload: `{"action":"created","starred_at":"2019-05-15T15:20:40Z",` + repo + `}`,
			want:    Summary{Action: "created", Text: `starred by octocat (created) [octo/hello]`},
		},
		{
			name:    "star deleted",
			event:   "star",
			payload: `{"action":"deleted","starred_at":null,` + repo + `}`,
			want:    Summary{Action: "deleted", Text: `starred by octocat (deleted) [octo/hello]`},
		},
		{
			name:    "fork",
			event:   "fork",
			payload: `{"forkee":{"full_name":"octocat/hello"},` + repo + `}`,
			want:    Summary{Text: `forked to octocat/hello by octocat [octo/hello]`},
		},
		{
			name:    "unknown event gets the generic summary",
			event:   "label",
			payload: `{"action":"created","label":{"name":"bug"},` + repo + `}`,
			want:    Summary{Action: "created", Text: "action created on octo/hello by octocat"},
		},
		{
			name:    "generic summary leaves out what is missing",
			event:   "public",
			payload: `{` + repo + `}`,
			want:    Summary{Text: "on octo/hello by octocat"},
		},
		{
			name:    "generic summary keeps the fields that have the right type",
			event:   "label",
			payload: `{"action":"created","repository":"octo/hello","sender":{"login":"octocat"}}`,
			want:    Summary{Action: "created", Text: "action created by octocat"},
		},
		{
			name:    "generic summary of an empty object",
			event:   "meta",
			payload: `{}`,
			want:    Summary{Text: "(no action, repository or sender)"},
		},
		{
			name:    "unknown event with a payload that is an array",
			event:   "label",
			payload: `[1,2,3]`,
			want:    Summary{Text: "(no action, repository or sender)"},
		},
	}
}

func TestSummarize(t *testing.T) {
	for _, tt := range summarizeCases() {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.payload)) {
				t.Fatalf("test payload is not valid JSON: %s", tt.payload)
			}
			if got, valid := summarizeGitHub(tt.event, []byte(tt.payload)); got != tt.want || !valid {
				t.Errorf("summarize(%q, …)\n got: %+v (valid %v)\nwant: %+v", tt.event, got, valid, tt.want)
			}
		})
	}
}

// TestSummarizersHaveCases fails when an event gets a summarizer but no case
// in summarizeCases.
func TestSummarizersHaveCases(t *testing.T) {
	tested := make(map[string]bool)
	for _, tt := range summarizeCases() {
		tested[tt.event] = true
	}
	for event := range summarizers {
		if !tested[event] {
			t.Errorf("summarizers routes %q but summarizeCases has no case for it", event)
		}
	}
}

// corpusDir holds real GitHub payloads, one folder per event type.
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "github-payloads")

// corpusMarker says how to tell that a routed event's summary came from its
// own summarizer: the text starts with prefix and contains the string found
// at path (dot-separated keys) in the payload.
type corpusMarker struct {
	prefix string
	path   string
}

// corpusMarkers has one entry per key of summarizers.
func corpusMarkers() map[string]corpusMarker {
	return map[string]corpusMarker{
		"check_run":     {prefix: `check "`, path: "check_run.name"},
		"check_suite":   {prefix: "check suite ", path: "check_suite.status"},
		"create":        {prefix: "", path: "ref"},
		"delete":        {prefix: "", path: "ref"},
		"fork":          {prefix: "forked to ", path: "forkee.full_name"},
		"issue_comment": {prefix: "comment on #", path: "issue.title"},
		"issues":        {prefix: "#", path: "issue.title"},
		"ping":          {prefix: `zen "`, path: "zen"},
		"pull_request":  {prefix: "#", path: "pull_request.title"},
		"push":          {prefix: "refs/", path: "ref"},
		"release":       {prefix: "", path: "release.tag_name"},
		"star":          {prefix: "starred by ", path: "sender.login"},
		"workflow_job":  {prefix: `job "`, path: "workflow_job.name"},
		"workflow_run":  {prefix: `workflow "`, path: "workflow_run.status"},
	}
}

func TestSummarizeCorpus(t *testing.T) {
	dirs, err := os.ReadDir(corpusDir)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no payload corpus at %s", corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	markers := corpusMarkers()
	for event := range summarizers {
		if _, ok := markers[event]; !ok {
			t.Errorf("summarizers routes %q but corpusMarkers has no entry for it", event)
		}
	}

	payloads := make(map[string]int) // per event
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		event := dir.Name()
		files, err := filepath.Glob(filepath.Join(corpusDir, event, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			payloads[event]++
			t.Run(event+"/"+filepath.Base(file), func(t *testing.T) {
				body := mustReadFile(t, file)
				fields := mustDecodeObject(t, body)
				got, valid := summarizeGitHub(event, body)
				if !valid {
					t.Fatal("a real payload was found invalid")
				}
				if got.Text == "" {
					t.Fatal("empty summary")
				}
				if bad := unsafeText(got.Text); bad != "" {
					t.Errorf("summary %q contains %s", got.Text, bad)
				}
				if action := lookupString(fields, "action"); got.Action != action {
					t.Errorf("Action = %q, want the payload's %q", got.Action, action)
				}
				if repo := lookupString(fields, "repository.full_name"); !strings.Contains(got.Text, repo) {
					t.Errorf("summary %q does not name the repository %q", got.Text, repo)
				}

				marker, routed := markers[event]
				if !routed {
					return
				}
				if generic, _ := summarizeGeneric(body); got.Text == generic.Text {
					t.Fatalf("summary %q is the generic one: the %s summarizer refused a real payload", got.Text, event)
				}
				if !strings.HasPrefix(got.Text, marker.prefix) {
					t.Errorf("summary %q does not start with %q", got.Text, marker.prefix)
				}
				if want := lookupString(fields, marker.path); want == "" || !strings.Contains(got.Text, want) {
					t.Errorf("summary %q does not contain the payload's %s %q", got.Text, marker.path, want)
				}
			})
		}
	}
	for event := range summarizers {
		if payloads[event] == 0 {
			t.Errorf("the corpus has no payload for routed event %q", event)
		}
	}
}

// jsonVerdictSeeds are payloads at the edges of JSON's grammar, valid and
// not, some with fields of the types the summarizers read.
var jsonVerdictSeeds = []string{
	`{"a":1}`, `{"a":}`, `[1,2,]`, `"\u12"`, `"\x"`, "\"\xff\"", `01`, `1e`, `{"a":1}x`, ` {} `,
	`nul`, `tru`, `[`, `"a`, `{"a" 1}`, `-`, `1.`, `.5`, `"\ud800"`, `{"a":[1,{"b":null}],"c":true}`,
	`1e+5`, `-0.0e-0`, "\"\t\"", `{"a":1,}`, `[[[[[[[[[[]]]]]]]]]]`, "", " ", `""`, `{"":""}`, `null`,
	`{"ref":"refs/heads/main","commits":[{},{}]}x`, `{"ref":"refs/heads/main","commits":[{},]}`,
	`{"ref":5,"commits":[}`, `{"ref":"r","pusher":{"name":"n"},"extra":[1 2]}`, `{"action":"opened","number":"x",}`,
	`{"pull_request":{"number":1,"title":"t"},"x":tru}`, `{"issue":{"number":1},"sender":{"login":"\q"}}`,
	`{"zen":"z","hook_id":1.5e}`, `{"workflow_run":null,"repository":{"full_name":"a/b"}}` + "\x00",
	`{"release":{"tag_name":"v1"},"repository":{"full_name":["a"]}}`, `{"sender":{"login":"l"}}  `,
}

// TestSummarizeChecksJSON: summarizeGitHub's decode is the JSON check, so
// for every event, routed or not, it must find valid exactly what
// encoding/json finds valid.
func TestSummarizeChecksJSON(t *testing.T) {
	events := []string{"not-routed"}
	for event := range summarizers {
		events = append(events, event)
	}
	for _, event := range events {
		for _, payload := range jsonVerdictSeeds {
			if _, valid := summarizeGitHub(event, []byte(payload)); valid != json.Valid([]byte(payload)) {
				t.Errorf("summarizeGitHub(%q, %q) valid = %v, encoding/json says %v", event, payload, valid, !valid)
			}
		}
	}
}

// FuzzSummarize: for any event and bytes, the JSON verdict is
// encoding/json's, and a summary is one safe line.
func FuzzSummarize(f *testing.F) {
	for _, tt := range summarizeCases() {
		f.Add(tt.event, []byte(tt.payload))
	}
	for event := range summarizers {
		for _, payload := range jsonVerdictSeeds {
			f.Add(event, []byte(payload))
		}
	}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		got, valid := summarizeGitHub(event, payload)
		if want := json.Valid(payload); valid != want {
			t.Fatalf("summarizeGitHub(%q, %q) valid = %v, encoding/json says %v", event, payload, valid, want)
		}
		if !valid {
			return
		}
		if got.Text == "" {
			t.Fatal("empty summary")
		}
		if bad := unsafeText(got.Text); bad != "" {
			t.Errorf("summary %q contains %s", got.Text, bad)
		}
		if bad := unsafeText(got.Action); bad != "" {
			t.Errorf("Action %q contains %s", got.Action, bad)
		}
	})
}

// unsafeText names the first character in s that must not reach a terminal
// line, or is "" when there is none. It is written independently of
// sanitize so that the two check each other.
func unsafeText(s string) string {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') {
			return fmt.Sprintf("control character %U", r)
		}
	}
	return ""
}

// mustReadFile returns the contents of path or stops the test.
func mustReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustDecodeObject decodes a JSON payload generically, so that the test reads
// fields independently of the summarizers. A payload that is valid JSON but
// not an object gives nil.
func mustDecodeObject(tb testing.TB, body []byte) map[string]any {
	tb.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("payload is not valid JSON: %v", err)
	}
	m, _ := v.(map[string]any)
	return m
}

// lookupString follows dot-separated keys through nested objects and returns
// the string found there, or "" when any step is missing or not a string.
func lookupString(m map[string]any, path string) string {
	var v any = m
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = obj[key]
	}
	s, _ := v.(string)
	return s
}
