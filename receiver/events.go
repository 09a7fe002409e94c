package receiver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hooklab/hooklab/internal/bodyjson"
	"github.com/hooklab/hooklab/internal/term"
)

// Summary is what hooklab says about one delivery in its log line and answer.
type Summary struct {
	Action string // the payload's top-level "action", when it has one
	Text   string // one line a developer reads: what happened

	// challenge is a Slack url_verification's challenge, to be echoed.
	challenge string
}

// summarizer sums up one event type's payload.
type summarizer func(payload []byte) (Summary, error)

// summarizers routes each event type (the X-GitHub-Event value) to its
// summarizer. Adding an event is one function and one entry here.
var summarizers = map[string]summarizer{
	"check_run":     summarizeCheckRun,
	"check_suite":   summarizeCheckSuite,
	"create":        summarizeCreate,
	"delete":        summarizeDelete,
	"fork":          summarizeFork,
	"issue_comment": summarizeIssueComment,
	"issues":        summarizeIssues,
	"ping":          summarizePing,
	"pull_request":  summarizePullRequest,
	"push":          summarizePush,
	"release":       summarizeRelease,
	"star":          summarizeStar,
	"workflow_job":  summarizeWorkflowJob,
	"workflow_run":  summarizeWorkflowRun,
}

// summarizeGitHub routes payload by event and reports whether it is valid
// JSON. Apart from that it never fails: an event without its own
// summarizer, or a payload whose fields do not have the expected types,
// gets the generic summary (action, repository, sender).
//
// The summarizer's decode is the JSON check, so a payload is read once:
// goccy/go-json's Unmarshal refuses whatever encoding/json.Valid refuses
// (FuzzSummarize holds it to that), so a decode that succeeds
// proves the payload valid, and only a payload whose decode fails is
// checked on its own, to tell bad JSON from fields of unexpected types.
//
// A summarizer refuses (returns an error) a payload that lacks what its
// summary is about, such as a pull request's number, rather than print a
// summary full of blanks.
func summarizeGitHub(event string, payload []byte) (Summary, bool) {
	if s, ok := summarizers[event]; ok {
		sum, err := s(payload)
		switch {
		case err == nil && sum.Text != "":
			return sum, true
		case err != nil && !errors.Is(err, errNoSubject) && !validJSON(payload):
			return Summary{}, false
		}
	}
	return summarizeGeneric(payload)
}

// errNoSubject means a payload parsed but lacks the object its event is about
// (a pull_request event without "pull_request", a JSON null, ...), so its
// summarizer has nothing to say and the generic summary is used instead.
var errNoSubject = errors.New("payload lacks the event's subject")

// Every string in a summary comes from the payload, which anyone who can reach
// the listener can forge, and ends up on a terminal. Free text people type
// (titles, names, zen) is capped short so that one delivery stays one
// readable line; identifiers (refs, logins, repository names, URLs) get more
// room because cutting them makes them useless, but are still bounded.
const (
	maxTextRunes  = 80
	maxIdentRunes = 256
)

// envelope holds the fields most event payloads share. Every payload struct
// embeds it.
type envelope struct {
	Action     string `json:"action"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
}

// summary finishes a summarizer's text: it appends the repository, so that
// every repository-bound event names it the same way, and fills in Action.
func (e envelope) summary(text string) Summary {
	var b strings.Builder
	b.Grow(len(text) + len(e.Repository.FullName) + 3)
	b.WriteString(text)
	return e.finish(&b)
}

// finish is summary for a text already in b: the line of a summarizer that
// builds its text itself, in one allocation.
func (e envelope) finish(b *strings.Builder) Summary {
	if repo := ident(e.Repository.FullName); repo != "" {
		b.WriteString(" [")
		b.WriteString(repo)
		b.WriteString("]")
	}
	return Summary{Action: ident(e.Action), Text: b.String()}
}

// summarizeGeneric is the summary of any event without a summarizer of its
// own, and of payloads a summarizer could not read. It reports whether the
// payload is valid JSON, as summarizeGitHub does.
func summarizeGeneric(payload []byte) (Summary, bool) {
	var e envelope
	// On a type mismatch Unmarshal still fills every field it can and reports
	// only the first mismatch; a best-effort summary takes whatever it got.
	if err := bodyjson.Unmarshal(payload, &e); err != nil && !validJSON(payload) {
		return Summary{}, false
	}
	action, repo, sender := ident(e.Action), ident(e.Repository.FullName), ident(e.Sender.Login)
	var parts []string
	if action != "" {
		parts = append(parts, "action "+action)
	}
	if repo != "" {
		parts = append(parts, "on "+repo)
	}
	if sender != "" {
		parts = append(parts, "by "+sender)
	}
	if len(parts) == 0 {
		return Summary{Text: "(no action, repository or sender)"}, true
	}
	return Summary{Action: action, Text: strings.Join(parts, " ")}, true
}

// summarizePing: zen "Design for failure." hook 123456 [octo/hello]
func summarizePing(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Zen    string `json:"zen"`
		HookID int64  `json:"hook_id"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if term.Sanitize(p.Zen, maxTextRunes) == "" && p.HookID == 0 {
		return Summary{}, fmt.Errorf("%w: zen, hook_id", errNoSubject)
	}
	var parts []string
	if p.Zen != "" {
		parts = append(parts, "zen "+quote(p.Zen))
	}
	if p.HookID != 0 {
		parts = append(parts, "hook "+strconv.FormatInt(p.HookID, 10))
	}
	return p.summary(strings.Join(parts, " ")), nil
}

// summarizePush: refs/heads/main: 3 commits (forced) by octocat <compare URL> [octo/hello];
// a new ref is "created: 1 commit", a deleted one only "deleted".
func summarizePush(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Ref     string     `json:"ref"`
		Created bool       `json:"created"`
		Deleted bool       `json:"deleted"`
		Forced  bool       `json:"forced"`
		Compare string     `json:"compare"`
		Commits []struct{} `json:"commits"` // counted, not read
		Pusher  struct {
			Name string `json:"name"`
		} `json:"pusher"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if ident(p.Ref) == "" {
		return Summary{}, fmt.Errorf("%w: ref", errNoSubject)
	}
	ref, pusher, compare := ident(p.Ref), p.Pusher.Name, ident(p.Compare)
	if pusher == "" {
		pusher = p.Sender.Login
	}
	pusher = ident(pusher)
	// One allocation for the whole line: this runs for every push.
	var b strings.Builder
	b.Grow(len(ref) + len(pusher) + len(compare) + len(p.Repository.FullName) + 48)
	b.WriteString(ref)
	switch {
	case p.Deleted:
		// A deleted ref has no commits; "0 commits" would only be noise.
		b.WriteString(" deleted")
	case p.Created:
		b.WriteString(" created: ")
		writePlural(&b, len(p.Commits), "commit")
	default:
		b.WriteString(": ")
		writePlural(&b, len(p.Commits), "commit")
	}
	if p.Forced {
		b.WriteString(" (forced)")
	}
	if pusher != "" {
		b.WriteString(" by ")
		b.WriteString(pusher)
	}
	if compare != "" {
		b.WriteString(" ")
		b.WriteString(compare)
	}
	return p.finish(&b), nil
}

// summarizePullRequest: #42 "Fix the flux capacitor" closed (merged) [octo/hello]
func summarizePullRequest(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Number      int64 `json:"number"`
		PullRequest *struct {
			Number int64  `json:"number"`
			Title  string `json:"title"`
			Merged bool   `json:"merged"`
		} `json:"pull_request"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if p.PullRequest == nil {
		return Summary{}, fmt.Errorf("%w: pull_request", errNoSubject)
	}
	number := p.Number
	if number == 0 {
		number = p.PullRequest.Number
	}
	if number == 0 {
		return Summary{}, fmt.Errorf("%w: pull_request.number", errNoSubject)
	}
	text := joinNonEmpty(issueRef(number), quote(p.PullRequest.Title), ident(p.Action))
	if p.Action == "closed" && p.PullRequest.Merged {
		text += " (merged)"
	}
	return p.summary(text), nil
}

// issue is the part of an issue that the issues and issue_comment events
// summarize.
type issue struct {
	Number int64  `json:"number"`
	Title  string `json:"title"`
}

// summarizeIssues: #7 "Spelling error" opened [octo/hello]
func summarizeIssues(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Issue *issue `json:"issue"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if p.Issue == nil || p.Issue.Number == 0 {
		return Summary{}, fmt.Errorf("%w: issue.number", errNoSubject)
	}
	return p.summary(joinNonEmpty(issueRef(p.Issue.Number), quote(p.Issue.Title), ident(p.Action))), nil
}

// summarizeIssueComment: comment on #7 "Spelling error" by octocat: created [octo/hello]
func summarizeIssueComment(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Issue   *issue `json:"issue"`
		Comment struct {
			User struct {
				Login string `json:"login"`
			} `json:"user"`
		} `json:"comment"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if p.Issue == nil || p.Issue.Number == 0 {
		return Summary{}, fmt.Errorf("%w: issue.number", errNoSubject)
	}
	author := p.Comment.User.Login
	if author == "" {
		author = p.Sender.Login
	}
	text := joinNonEmpty("comment on", issueRef(p.Issue.Number), quote(p.Issue.Title))
	if author := ident(author); author != "" {
		text += " by " + author
	}
	if action := ident(p.Action); action != "" {
		text += ": " + action
	}
	return p.summary(text), nil
}

// summarizeRelease: v1.2.3 "Flux" published [octo/hello]
func summarizeRelease(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Release *struct {
			TagName string `json:"tag_name"`
			Name    string `json:"name"`
		} `json:"release"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if p.Release == nil || ident(p.Release.TagName) == "" {
		return Summary{}, fmt.Errorf("%w: release.tag_name", errNoSubject)
	}
	name := ""
	// Many releases have no name, or repeat the tag as their name.
	if p.Release.Name != p.Release.TagName {
		name = quote(p.Release.Name)
	}
	return p.summary(joinNonEmpty(ident(p.Release.TagName), name, ident(p.Action))), nil
}

// summarizeWorkflowRun: workflow "CI" #12 completed: success on main [octo/hello]
func summarizeWorkflowRun(payload []byte) (Summary, error) {
	var p struct {
		envelope
		WorkflowRun *struct {
			Name       string `json:"name"`
			RunNumber  int64  `json:"run_number"`
			Status     string `json:"status"`
			Conclusion string `json:"conclusion"`
			HeadBranch string `json:"head_branch"`
		} `json:"workflow_run"`
		Workflow struct {
			Name string `json:"name"`
		} `json:"workflow"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	run := p.WorkflowRun
	if run == nil {
		return Summary{}, fmt.Errorf("%w: workflow_run", errNoSubject)
	}
	// workflow_run.name can be empty (it is in GitHub's own examples); the
	// workflow's name is then the best there is.
	name := run.Name
	if name == "" {
		name = p.Workflow.Name
	}
	number := ""
	if run.RunNumber != 0 {
		number = "#" + strconv.FormatInt(run.RunNumber, 10)
	}
	text := joinNonEmpty("workflow", quote(name), number, progress(run.Status, run.Conclusion))
	if branch := ident(run.HeadBranch); branch != "" {
		text += " on " + branch
	}
	return p.summary(text), nil
}

// summarizeWorkflowJob: job "build" in "CI" completed: failure [octo/hello]
func summarizeWorkflowJob(payload []byte) (Summary, error) {
	var p struct {
		envelope
		WorkflowJob *struct {
			Name         string `json:"name"`
			WorkflowName string `json:"workflow_name"`
			Status       string `json:"status"`
			Conclusion   string `json:"conclusion"`
		} `json:"workflow_job"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	job := p.WorkflowJob
	if job == nil {
		return Summary{}, fmt.Errorf("%w: workflow_job", errNoSubject)
	}
	workflow := ""
	if job.WorkflowName != "" {
		workflow = "in " + quote(job.WorkflowName)
	}
	return p.summary(joinNonEmpty("job", quote(job.Name), workflow, progress(job.Status, job.Conclusion))), nil
}

// summarizeCheckRun: check "lint" completed: success [octo/hello]
func summarizeCheckRun(payload []byte) (Summary, error) {
	var p struct {
		envelope
		CheckRun *struct {
			Name       string `json:"name"`
			Status     string `json:"status"`
			Conclusion string `json:"conclusion"`
		} `json:"check_run"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	run := p.CheckRun
	if run == nil {
		return Summary{}, fmt.Errorf("%w: check_run", errNoSubject)
	}
	return p.summary(joinNonEmpty("check", quote(run.Name), progress(run.Status, run.Conclusion))), nil
}

// summarizeCheckSuite: check suite on main completed: success [octo/hello]
func summarizeCheckSuite(payload []byte) (Summary, error) {
	var p struct {
		envelope
		CheckSuite *struct {
			HeadBranch string `json:"head_branch"`
			Status     string `json:"status"`
			Conclusion string `json:"conclusion"`
		} `json:"check_suite"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	suite := p.CheckSuite
	if suite == nil {
		return Summary{}, fmt.Errorf("%w: check_suite", errNoSubject)
	}
	branch := ""
	// head_branch is null for suites on a fork's pull request.
	if suite.HeadBranch != "" {
		branch = "on " + ident(suite.HeadBranch)
	}
	return p.summary(joinNonEmpty("check suite", branch, progress(suite.Status, suite.Conclusion))), nil
}

// summarizeCreate: branch feature-x created [octo/hello]
func summarizeCreate(payload []byte) (Summary, error) { return summarizeRef(payload, "created") }

// summarizeDelete: tag v1 deleted [octo/hello]
func summarizeDelete(payload []byte) (Summary, error) { return summarizeRef(payload, "deleted") }

// summarizeRef sums up the create and delete events, which differ only in
// what happened to the ref.
func summarizeRef(payload []byte, happened string) (Summary, error) {
	var p struct {
		envelope
		Ref     string `json:"ref"`
		RefType string `json:"ref_type"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if ident(p.Ref) == "" {
		return Summary{}, fmt.Errorf("%w: ref", errNoSubject)
	}
	return p.summary(joinNonEmpty(ident(p.RefType), ident(p.Ref), happened)), nil
}

// summarizeStar: starred by octocat (created) [octo/hello]
func summarizeStar(payload []byte) (Summary, error) {
	var p envelope
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if ident(p.Sender.Login) == "" {
		return Summary{}, fmt.Errorf("%w: sender", errNoSubject)
	}
	text := "starred by " + ident(p.Sender.Login)
	if action := ident(p.Action); action != "" {
		text += " (" + action + ")"
	}
	return p.summary(text), nil
}

// summarizeFork: forked to octocat/hello by octocat [octo/hello]
func summarizeFork(payload []byte) (Summary, error) {
	var p struct {
		envelope
		Forkee struct {
			FullName string `json:"full_name"`
		} `json:"forkee"`
	}
	if err := bodyjson.Unmarshal(payload, &p); err != nil {
		return Summary{}, err
	}
	if ident(p.Forkee.FullName) == "" {
		return Summary{}, fmt.Errorf("%w: forkee", errNoSubject)
	}
	text := "forked to " + ident(p.Forkee.FullName)
	if sender := ident(p.Sender.Login); sender != "" {
		text += " by " + sender
	}
	return p.summary(text), nil
}

// progress says how far a run, job or check has got: "completed: success",
// or only the status while there is no conclusion yet.
func progress(status, conclusion string) string {
	status, conclusion = ident(status), ident(conclusion)
	switch {
	case status != "" && conclusion != "":
		return status + ": " + conclusion
	case status != "":
		return status
	default:
		return conclusion
	}
}

// issueRef is "#7" for an issue or pull request number, or "" without one.
func issueRef(number int64) string {
	if number == 0 {
		return ""
	}
	return "#" + strconv.FormatInt(number, 10)
}

// plural is "1 commit" or "3 commits".
func plural(n int, noun string) string {
	var b strings.Builder
	writePlural(&b, n, noun)
	return b.String()
}

// writePlural writes plural(n, noun) to b.
func writePlural(b *strings.Builder, n int, noun string) {
	var digits [20]byte
	b.Write(strconv.AppendInt(digits[:0], int64(n), 10))
	b.WriteString(" ")
	b.WriteString(noun)
	if n != 1 {
		b.WriteString("s")
	}
}

// joinNonEmpty joins the parts that are not empty with single spaces.
func joinNonEmpty(parts ...string) string {
	kept := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}

// quote is free text from the payload, made safe and put in double quotes,
// or "" when there is none.
func quote(s string) string {
	if s = term.Sanitize(s, maxTextRunes); s == "" {
		return ""
	}
	return `"` + s + `"`
}

// ident is an identifier from the payload (a ref, login, URL, status) made
// safe for a terminal.
func ident(s string) string { return term.Sanitize(s, maxIdentRunes) }
