package capture

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

func testDelivery() *receiver.Delivery {
	r := httptest.NewRequest("POST", "/hook?a=%2F", nil)
	r.RemoteAddr = "192.0.2.1:4444"
	r.Header.Set("X-GitHub-Event", "push")
	return &receiver.Delivery{
		Seq:        3,
		Received:   testTime,
		Request:    r,
		Body:       []byte("abc"),
		BodyRead:   true,
		Status:     200,
		Reason:     receiver.ReasonOK,
		Detail:     "detail",
		Provider:   "github",
		Event:      "push",
		Action:     "opened",
		ID:         "d-1",
		Summary:    "main",
		Redelivery: true,
		Header:     "X-Hub-Signature-256",
		Duration:   1500 * time.Microsecond,
		Forward: &receiver.ForwardResult{
			URL: "http://127.0.0.1:3000/", Status: 500, Reason: receiver.ReasonForwardFailed, Error: "boom",
			Latency: 12 * time.Millisecond,
			Header:  http.Header{"X-Z": {"z"}, "Content-Type": {"text/plain"}, "Set-Cookie": {"a", "b"}},
			Body:    []byte("app said no"), BodyTruncated: true,
		},
		Exec: &receiver.ExecResult{
			Program: "./deploy", ExitCode: 2, Reason: receiver.ReasonExecFailed, Error: "exit status 2",
			Duration: 250 * time.Millisecond, Stdout: []byte("out"), Stderr: []byte("err"), Truncated: true,
		},
		Answered: 500,
	}
}

func TestFromDelivery(t *testing.T) {
	d := testDelivery()
	wire := []Header{{"host", "example.com"}, {"x-github-event", "push"}}
	rec := FromDelivery(d, wire, OrderWire)
	want := &Record{
		Version: FormatVersion, Seq: 3, Time: testTime, Remote: "192.0.2.1:4444",
		Method: "POST", Target: "/hook?a=%2F", Proto: "HTTP/1.1",
		Headers: wire, HeadersOrder: OrderWire,
		Body:         []byte("abc"),
		BodyComplete: true,
		Verdict: Verdict{
			Status: 200, Reason: "ok", Detail: "detail", Provider: "github", Event: "push", Action: "opened",
			Delivery: "d-1", Summary: "main", Redelivery: true, Header: "X-Hub-Signature-256", DurationMS: 1.5,
		},
		Forward: &Forward{
			URL: "http://127.0.0.1:3000/", Status: 500, Reason: "forward_failed", Error: "boom", LatencyMS: 12,
			Headers:       []Header{{"Content-Type", "text/plain"}, {"Set-Cookie", "a"}, {"Set-Cookie", "b"}, {"X-Z", "z"}},
			Body:          []byte("app said no"),
			BodyTruncated: true,
		},
		Exec: &Exec{
			Program: "./deploy", ExitCode: 2, Reason: "exec_failed", Error: "exit status 2", DurationMS: 250,
			Stdout: []byte("out"), Stderr: []byte("err"), Truncated: true,
		},
		Answered: 500,
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record\n %+v\nwant\n %+v", rec, want)
	}
	// The body is hashed later, by the Writer, off the handler's goroutine;
	// FIPS 180-2, appendix B.1: SHA-256("abc").
	if got := rec.Sum(); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Sum() = %s", got)
	}

	// Everything kept is a copy: the receiver reuses its buffers.
	for _, b := range [][]byte{d.Body, d.Forward.Body, d.Exec.Stdout, d.Exec.Stderr} {
		for i := range b {
			b[i] = 'X'
		}
	}
	if string(rec.Body) != "abc" || string(rec.Forward.Body) != "app said no" ||
		string(rec.Exec.Stdout) != "out" || string(rec.Exec.Stderr) != "err" {
		t.Errorf("the record shares the delivery's buffers: %q %q %q %q", rec.Body, rec.Forward.Body, rec.Exec.Stdout, rec.Exec.Stderr)
	}
}

func TestFromDeliveryMinimal(t *testing.T) {
	d := testDelivery()
	d.Body, d.BodyRead, d.Forward, d.Exec = nil, false, nil, nil
	rec := FromDelivery(d, nil, "")
	if rec.Body == nil || len(rec.Body) != 0 {
		t.Errorf("Body = %#v, want empty and not nil (\"\" in the file, not null)", rec.Body)
	}
	// sha256 of nothing (FIPS 180-2's empty-message digest).
	if got := rec.Sum(); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Sum() = %s", got)
	}
	if rec.Forward != nil || rec.Exec != nil || rec.BodyComplete {
		t.Errorf("record = %+v", rec)
	}
	wantHeaders := []Header{{"Host", "example.com"}, {"X-Github-Event", "push"}}
	if rec.HeadersOrder != OrderCanonical || !reflect.DeepEqual(rec.Headers, wantHeaders) {
		t.Errorf("headers = %q (%s), want the canonical ones", rec.Headers, rec.HeadersOrder)
	}
	line := mustLine(t, rec)
	if !bytes.Contains(line, []byte(`"body":""`)) {
		t.Errorf("line %s has no empty body", line)
	}
}

// TestBodyBackWithJQ checks what the README promises: the body comes back
// byte for byte with
//
//	jq -r 'select(.seq == 3) | .body' capture.ndjson | base64 -d > body.bin
func TestBodyBackWithJQ(t *testing.T) {
	body := allBytes()
	path := filepath.Join(t.TempDir(), "capture.ndjson")
	w := mustOpenWriter(t, path, WriterOptions{})
	for seq := uint64(1); seq <= 4; seq++ {
		d := testDelivery()
		d.Seq, d.Body = seq, []byte("other")
		if seq == 3 {
			d.Body = body
		}
		w.Write(FromDelivery(d, nil, ""))
	}
	mustClose(t, w)

	// The format: field "body", standard base64 with padding.
	for _, line := range bytes.Split(bytes.TrimSpace(mustReadBytes(t, path)), []byte("\n")) {
		var obj map[string]any
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatal(err)
		}
		if obj["seq"] != 3.0 {
			continue
		}
		s, ok := obj["body"].(string)
		if !ok {
			t.Fatalf("body is %T, want a string", obj["body"])
		}
		got, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body does not decode as std base64 to the bytes: %v", err)
		}
	}

	// The command itself, when jq and base64 are installed.
	for _, tool := range []string{"jq", "base64", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	cmd := exec.Command("sh", "-c", `jq -r 'select(.seq == 3) | .body' capture.ndjson | base64 -d > body.bin`)
	cmd.Dir = filepath.Dir(path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("jq | base64: %v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(cmd.Dir, "body.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("body.bin has %d bytes, not the body's %d", len(got), len(body))
	}
}

func TestFromDeliveryKeepsWhy(t *testing.T) {
	d := testDelivery()
	d.Explanation = "likely cause: the body with a trailing newline added"
	if rec := FromDelivery(d, nil, ""); rec.Verdict.Why != d.Explanation {
		t.Errorf("Verdict.Why = %q, want %q", rec.Verdict.Why, d.Explanation)
	}
}
