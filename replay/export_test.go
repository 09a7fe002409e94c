package replay_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/replay"
)

// TestCurlRunsByteExact runs the command Curl prints with sh against the
// raw recorder: it sees the recorded headers in order, nothing of curl's
// own but Host, and the body byte for byte, and no header value ran as a
// command.
func TestCurlRunsByteExact(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	rec := oddRecord()
	rec.Headers = append(rec.Headers,
		capture.Header{"X-Inject", "$(touch " + pwned + ")`touch " + pwned + "`'; touch " + pwned + "; '"},
		capture.Header{"X-Empty", ""},
	)
	bodyFile := filepath.Join(dir, "body with 'quote'.bin")
	if err := os.WriteFile(bodyFile, rec.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	base, seen := mustRecorder(t)
	cmdline, err := replay.Curl(rec, base+"/replayed?x=1&y=$(id)", bodyFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "sh", "-c", cmdline).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s\ncommand:\n%s", err, out, cmdline)
	}
	if !bytes.Contains(out, []byte("recorded\n")) {
		t.Errorf("curl printed %q, want the recorder's answer", out)
	}
	got := servetest.NextRaw(t, seen)
	if _, err := os.Stat(pwned); err == nil {
		t.Errorf("a header value ran as a command:\n%s", cmdline)
	}
	lines := strings.Split(strings.TrimSuffix(got.Head, "\r\n"), "\r\n")
	if want := "POST /replayed?x=1&y=$(id) HTTP/1.1"; lines[0] != want {
		t.Errorf("request line %q, want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "Host: 127.0.0.1:") {
		t.Errorf("line 2 is %q, want Host", lines[1])
	}
	want := append(append([]string(nil), keptLines...),
		"X-Inject: "+rec.Headers[len(rec.Headers)-2].Value(), "X-Empty:", "Content-Length: 512")
	if g := lines[2:]; strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("headers differ\n got: %q\nwant: %q\ncommand:\n%s", g, want, cmdline)
	}
	if !bytes.Equal(got.Body, rec.Body) {
		t.Errorf("body differs: got %x", got.Body)
	}
}

func TestCurlRefuses(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{name: "newline", value: "a\nb", want: "control character"},
		{name: "escape", value: "\x1b]0;title\x07", want: "control character"},
		{name: "C1 control", value: "a\u009bb", want: "HAR"},
		{name: "not UTF-8", value: "a\xffb", want: "HAR"},
		{name: "bidi override", value: "safe\u202e\u2066txt.exe", want: "HAR"},
		{name: "line separator", value: "a\u2028b", want: "HAR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &capture.Record{Headers: []capture.Header{{"X-Bad", tt.value}}}
			if _, err := replay.Curl(rec, "http://127.0.0.1:1/", "body"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Curl error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestCurlText(t *testing.T) {
	rec := &capture.Record{
		Method: "PUT",
		Headers: []capture.Header{
			{"Content-Type", "application/json"},
			{"X-Quote", "it's"},
		},
	}
	got, err := replay.Curl(rec, "http://127.0.0.1:8080/webhook", "/tmp/body.json")
	if err != nil {
		t.Fatal(err)
	}
	want := `curl --http1.1 --globoff --silent --show-error --include --request PUT \
  --header 'Content-Type: application/json' \
  --header 'X-Quote: it'\''s' \
  --header Accept: \
  --header User-Agent: \
  --header Expect: \
  --data-binary @/tmp/body.json \
  http://127.0.0.1:8080/webhook`
	if got != want {
		t.Errorf("Curl\n got:\n%s\nwant:\n%s", got, want)
	}
}

// harLog is the part of a HAR log the tests read.
type harLog struct {
	Log struct {
		Version string `json:"version"`
		Creator struct {
			Name string `json:"name"`
		} `json:"creator"`
		Entries []struct {
			StartedDateTime string `json:"startedDateTime"`
			Request         struct {
				Method      string `json:"method"`
				URL         string `json:"url"`
				HTTPVersion string `json:"httpVersion"`
				Headers     []struct {
					Name, Value string
				} `json:"headers"`
				QueryString []struct{ Name, Value string } `json:"queryString"`
				PostData    *struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
					Encoding string `json:"encoding"`
				} `json:"postData"`
				HeadersSize *int `json:"headersSize"`
				BodySize    int  `json:"bodySize"`
			} `json:"request"`
			Response struct {
				Status     int    `json:"status"`
				StatusText string `json:"statusText"`
				Headers    []struct{ Name, Value string }
				Content    struct {
					Size     int    `json:"size"`
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
				} `json:"content"`
			} `json:"response"`
			Timings map[string]float64 `json:"timings"`
		} `json:"entries"`
	} `json:"log"`
}

func TestHAR(t *testing.T) {
	binary := oddRecord()
	text := stripeRecord(t)
	text.Forward = &capture.Forward{
		URL: "http://127.0.0.1:3000/hook", Status: 202, LatencyMS: 12,
		Headers: []capture.Header{{"Content-Type", "text/plain"}}, Body: []byte("queued"),
	}
	text.Answered = 202
	refused := &capture.Record{Seq: 9, Method: "POST", Verdict: capture.Verdict{Status: 401, Reason: "signature_mismatch"}, Answered: 401}

	out, err := replay.HAR([]*capture.Record{binary, text, refused}, "http://127.0.0.1:8080/webhook?b=2&a=1")
	if err != nil {
		t.Fatal(err)
	}
	var har harLog
	if err := json.Unmarshal(out, &har); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	l := har.Log
	if l.Version != "1.2" || l.Creator.Name != "hooklab" || len(l.Entries) != 3 {
		t.Fatalf("log version %q, creator %q, %d entries; want 1.2, hooklab, 3", l.Version, l.Creator.Name, len(l.Entries))
	}

	e := l.Entries[0]
	if e.StartedDateTime != "2025-01-02T03:04:05Z" || e.Request.Method != "POST" || e.Request.URL != "http://127.0.0.1:8080/webhook?b=2&a=1" || e.Request.HTTPVersion != "HTTP/1.1" {
		t.Errorf("entry 1: %s %s %s at %s", e.Request.Method, e.Request.URL, e.Request.HTTPVersion, e.StartedDateTime)
	}
	var headers []string
	for _, h := range e.Request.Headers {
		headers = append(headers, h.Name+": "+h.Value)
	}
	if strings.Join(headers, "\n") != strings.Join(keptLines, "\n") {
		t.Errorf("entry 1 headers %q, want %q", headers, keptLines)
	}
	if q := e.Request.QueryString; len(q) != 2 || q[0].Name != "a" || q[1].Value != "2" {
		t.Errorf("query string %v, want a=1, b=2", q)
	}
	if pd := e.Request.PostData; pd == nil || pd.Encoding != "base64" || pd.MimeType != "application/octet-stream" {
		t.Errorf("binary postData %+v, want base64 application/octet-stream", pd)
	} else if body, err := base64.StdEncoding.DecodeString(pd.Text); err != nil || !bytes.Equal(body, binary.Body) {
		t.Errorf("binary postData decodes to %x (%v), want the body", body, err)
	}
	if e.Request.HeadersSize == nil || *e.Request.HeadersSize != -1 || e.Request.BodySize != 512 {
		t.Errorf("headersSize %v, bodySize %d; want -1 and 512", e.Request.HeadersSize, e.Request.BodySize)
	}
	if e.Response.Status != 200 || e.Response.StatusText != "OK" {
		t.Errorf("entry 1 answered %d %q, want 200 OK", e.Response.Status, e.Response.StatusText)
	}
	for _, k := range []string{"send", "wait", "receive"} {
		if _, ok := e.Timings[k]; !ok {
			t.Errorf("timings %v lack %s", e.Timings, k)
		}
	}

	e = l.Entries[1]
	if pd := e.Request.PostData; pd == nil || pd.Encoding != "" || pd.Text != string(text.Body) || pd.MimeType != "application/json" {
		t.Errorf("JSON postData %+v, want the text as it is", pd)
	}
	if r := e.Response; r.Status != 202 || r.Content.Text != "queued" || r.Content.MimeType != "text/plain" || len(r.Headers) != 1 {
		t.Errorf("forwarded answer %+v, want the app's 202 queued", r)
	}
	if e.Timings["wait"] != 12 {
		t.Errorf("wait %v, want the app's 12 ms", e.Timings["wait"])
	}

	if e := l.Entries[2]; e.Response.Status != 401 || e.Request.PostData != nil {
		t.Errorf("refused entry: status %d, postData %+v; want 401 and no postData", e.Response.Status, e.Request.PostData)
	}

	if _, err := replay.HAR(nil, "not a url"); err == nil {
		t.Error("HAR accepted a URL that is not http")
	}
	empty, err := replay.HAR(nil, "http://127.0.0.1/")
	if err != nil || !bytes.Contains(empty, []byte(`"entries": []`)) {
		t.Errorf("HAR of nothing: %s, %v; want an empty entries list", empty, err)
	}
}

// TestCurlDoesNotGlob: curl expands {a,b} and [1-3] in a URL into several
// requests unless told not to; a replay is one request to the URL given.
func TestCurlDoesNotGlob(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body")
	rec := &capture.Record{Method: "POST", Body: []byte("{}"), Headers: []capture.Header{{"Content-Type", "application/json"}}}
	if err := os.WriteFile(bodyFile, rec.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	base, seen := mustRecorder(t)
	cmdline, err := replay.Curl(rec, base+"/hook?events={push,ping}&ids[]=1", bodyFile)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), "sh", "-c", cmdline).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s\ncommand:\n%s", err, out, cmdline)
	}
	got := servetest.NextRaw(t, seen)
	if want := "POST /hook?events={push,ping}&ids[]=1 HTTP/1.1"; !strings.HasPrefix(got.Head, want+"\r\n") {
		t.Errorf("request line of %q, want %q", got.Head, want)
	}
	select {
	case more := <-seen:
		t.Errorf("curl sent a second request: %q", more.Head)
	default:
	}
}
