package capture_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hooklab/hooklab/capture"
)

// A capture file holds one JSON object per line. The body is standard
// base64 in "body", so a shell gets delivery 3's body back byte for byte
// with:
//
//	jq -r 'select(.seq == 3) | .body' capture.ndjson | base64 -d > body.bin
func Example() {
	dir, err := os.MkdirTemp("", "capture")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "capture.ndjson")

	w, err := capture.OpenWriter(path, capture.WriterOptions{})
	if err != nil {
		panic(err)
	}
	w.Write(&capture.Record{
		Seq:          w.LastSeq() + 1,
		Time:         time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Method:       "POST",
		Target:       "/webhook",
		Headers:      []capture.Header{{"Host", "127.0.0.1:8080"}, {"x-github-event", "ping"}},
		HeadersOrder: capture.OrderWire,
		Body:         []byte(`{"zen":"hi"}`),
	})
	if err := w.Close(); err != nil {
		panic(err)
	}
	line, _ := os.ReadFile(path)
	fmt.Print(string(line))

	recs, warnings, err := capture.ReadFile(path)
	fmt.Println(len(recs), string(recs[0].Body), warnings, err)
	// Output:
	// {"v":1,"seq":1,"time":"2025-03-01T12:00:00Z","remote":"","method":"POST","target":"/webhook","proto":"","headers":[["Host","127.0.0.1:8080"],["x-github-event","ping"]],"headers_order":"wire","body":"eyJ6ZW4iOiJoaSJ9","body_sha256":"94b17c572867d90aaa1463a7f70ed78925a31850fc0918eaf098642a7661dbd6","body_complete":false,"verdict":{"status":0,"reason":"","provider":"","duration_ms":0},"answered":0}
	// 1 {"zen":"hi"} [] <nil>
}
