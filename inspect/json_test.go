package inspect

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/hooklab/hooklab/capture"
)

// hostile are values a sender may put in a delivery to attack the page.
var hostile = map[string]string{
	"script end":     `{"a":"</script><script>alert(1)</script>"}`,
	"img onerror":    `<img src=x onerror=alert(document.domain)>`,
	"javascript url": `javascript:alert(1)//`,
	"svg":            `<svg/onload=alert(1)>`,
	"comment":        `"}]}<!-- --> <![CDATA[ ]]>`,
	"entities":       `&lt;&#60;&amp;<>&`,
	"bidi":           "\u202egnp.exe\u202c \u2066x\u2069 \u200f",
	"controls":       "\x00\x07\x1b[31mred\x1b[0m\r\n\t\x7f\u0085",
	"separators":     "a\u2028b\u2029c",
	"invalid utf-8":  "\xff\xfe\xc3\x28<\xed\xa0\x80",
	"json breakout":  `","status":200,"x":"`,
}

// checkJSON fails unless b is JSON with no raw '<', '>' or '&', so that
// no browser could sniff it as HTML, nor a script read it as markup.
func checkJSON(tb testing.TB, what string, b []byte) {
	tb.Helper()
	if !json.Valid(b) {
		tb.Fatalf("%s is not valid JSON: %q", what, b)
	}
	if i := bytes.IndexAny(b, "<>&"); i >= 0 {
		tb.Fatalf("%s holds a raw %q at %d: %q", what, b[i], i, b)
	}
}

// hostileRecord returns a delivery with v in every field a sender chose.
func hostileRecord(seq uint64, v string) *capture.Record {
	rec := testRecord(seq)
	rec.Target = "/webhook?q=" + v
	rec.Method = v
	rec.Headers = append(rec.Headers, capture.Header{v, v}, capture.Header{"X-Evil", v})
	rec.Body = []byte(v)
	rec.BodySHA256 = rec.Sum()
	rec.Verdict.Event, rec.Verdict.Action, rec.Verdict.Delivery = v, v, v
	rec.Verdict.Detail, rec.Verdict.Summary = v, v
	rec.Forward = &capture.Forward{Status: 500, Error: v, Headers: []capture.Header{{v, v}}, Body: []byte(v)}
	rec.Exec = &capture.Exec{Program: "./x", Error: v, Stdout: []byte(v), Stderr: []byte(v)}
	return rec
}

func TestHostileJSON(t *testing.T) {
	for name, v := range hostile {
		t.Run(name, func(t *testing.T) {
			ring := capture.NewRing(10, 0)
			ring.Add(hostileRecord(1, v))
			s := mustServer(t, Config{Ring: ring, Session: Session{Run: v, Listener: "http://127.0.0.1:8080/" + v, Record: v, Provider: v}})
			paths := map[string]request{
				"session":     {target: "/api/session"},
				"deliveries":  {target: "/api/deliveries"},
				"delivery":    {target: "/api/deliveries/1"},
				"unknown seq": {target: "/api/deliveries/" + url.PathEscape(v)},
				"unknown api": {target: "/api/" + url.PathEscape(v)},
				"bad after":   {target: "/api/events?after=" + url.QueryEscape(v)},
				"bad host":    {target: "/api/session", host: v + ".evil.example"},
			}
			for pname, req := range paths {
				if req.host == "" {
					req.host = testHost
				}
				w := serve(t, s, req)
				if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("%s: Content-Type %q, want JSON", pname, ct)
				}
				checkJSON(t, pname, w.Body.Bytes())
			}
			// The event stream: each event's data is one line of JSON.
			data, err := marshal(metaOf(ring.Latest(1)[0]))
			if err != nil {
				t.Fatal(err)
			}
			checkJSON(t, "event data", data)
			if bytes.ContainsAny(data, "\r\n") {
				t.Errorf("event data holds a line break: %q", data)
			}
			w := serve(t, s, request{target: "/api/events?after=0", host: testHost})
			if !bytes.Contains(w.Body.Bytes(), append([]byte("event: delivery\ndata: "), data...)) {
				t.Errorf("the stream %q does not hold the delivery's data %q", w.Body, data)
			}
		})
	}
}

// FuzzRecordJSON: whatever a delivery holds, what the page gets of it is
// valid JSON with no raw '<', '>' or '&', and holds the delivery's text
// as it was (when it is UTF-8) and its bytes exactly (base64).
func FuzzRecordJSON(f *testing.F) {
	for _, v := range hostile {
		f.Add(v, v, []byte(v))
	}
	f.Add("X-Hub-Signature-256", "sha256=00", []byte(`{"ok":true}`))
	s := mustServer(f, Config{Session: Session{Listener: "http://127.0.0.1:8080/webhook"}})
	f.Fuzz(func(t *testing.T, name, value string, body []byte) {
		rec := hostileRecord(1, value)
		rec.Headers = append(rec.Headers, capture.Header{name, value})
		rec.Body = body
		rec.BodySHA256 = rec.Sum()

		m, err := marshal(metaOf(rec))
		if err != nil {
			t.Fatal(err)
		}
		checkJSON(t, "meta", m)
		if bytes.ContainsAny(m, "\r\n") {
			t.Fatalf("meta holds a line break: %q", m)
		}
		d, err := marshal(s.detailOf(rec))
		if err != nil {
			t.Fatal(err)
		}
		checkJSON(t, "detail", d)

		var got struct {
			Headers [][2]string `json:"headers"`
			Body    []byte      `json:"body"`
			Event   string      `json:"event"`
		}
		if err := json.Unmarshal(d, &got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, body) {
			t.Fatalf("body %q, want %q", got.Body, body)
		}
		last := got.Headers[len(got.Headers)-1]
		if utf8.ValidString(name) && utf8.ValidString(value) && (last[0] != name || last[1] != value) {
			t.Fatalf("header %q, want %q: %q", last, name, value)
		}
		if utf8.ValidString(value) && got.Event != value {
			t.Fatalf("event %q, want %q", got.Event, value)
		}
	})
}
