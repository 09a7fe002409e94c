package replay

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/term"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the parts a
// webhook delivery fills. Postman, Insomnia and browser devtools import it.
type (
	harFile struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
	}
	harRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []harNV      `json:"cookies"`
		Headers     []harNV      `json:"headers"`
		QueryString []harNV      `json:"queryString"`
		PostData    *harPostData `json:"postData,omitempty"`
		HeadersSize int          `json:"headersSize"`
		BodySize    int          `json:"bodySize"`
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harPostData struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		// Encoding is "base64" when Text is the body in base64: an
		// extension of HAR 1.2 (which has it only for response content)
		// that browsers write for binary request bodies too.
		Encoding string `json:"encoding,omitempty"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []harNV    `json:"cookies"`
		Headers     []harNV    `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int        `json:"bodySize"`
		Comment     string     `json:"comment,omitempty"`
	}
	harContent struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
		Encoding string `json:"encoding,omitempty"`
	}
	harTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
)

// HAR returns a HAR 1.2 log of recs as requests to url (its path and
// query, not the recorded target, as Build sends them), one entry each, in
// order. A request has the headers Build sends, in order, with the body as
// postData text when it is UTF-8, else in base64 with encoding "base64".
// The response is what the sender was answered (Record.Answered): the
// app's status, headers and body when the delivery was forwarded and the
// app answered, else hooklab's status, with its reason as a comment (the
// record does not keep hooklab's own answer body). wait is how long the
// app took, or hooklab's verdict; the other timings were not measured.
func HAR(recs []*capture.Record, url string) ([]byte, error) {
	u, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	query := []harNV{}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			query = append(query, harNV{k, v})
		}
	}
	f := harFile{Log: harLog{Version: "1.2", Creator: harCreator{"hooklab", moduleVersion()}, Entries: []harEntry{}}}
	for _, rec := range recs {
		headers, err := Headers(rec)
		if err != nil {
			return nil, err
		}
		method := rec.Method
		if method == "" {
			method = http.MethodPost
		}
		req := harRequest{
			Method: method, URL: u.String(), HTTPVersion: "HTTP/1.1",
			Cookies: []harNV{}, Headers: []harNV{}, QueryString: query,
			HeadersSize: -1, BodySize: len(rec.Body),
		}
		var contentType string
		for _, h := range headers {
			req.Headers = append(req.Headers, harNV{h.Name, h.Value})
			if contentType == "" && strings.EqualFold(h.Name, "Content-Type") {
				contentType = h.Value
			}
		}
		if len(rec.Body) > 0 || contentType != "" {
			req.PostData = &harPostData{MimeType: contentType}
			if utf8.Valid(rec.Body) {
				req.PostData.Text = string(rec.Body)
			} else {
				req.PostData.Text, req.PostData.Encoding = base64.StdEncoding.EncodeToString(rec.Body), "base64"
			}
		}
		resp, wait := harAnswer(rec)
		e := harEntry{
			StartedDateTime: rec.Time.Format(time.RFC3339Nano), Time: wait,
			Request: req, Response: resp,
			Timings: harTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: wait, Receive: 0, SSL: -1},
			Comment: fmt.Sprintf("hooklab capture seq %d from %s: %s %s", rec.Seq, rec.Remote, rec.Method, rec.Target),
		}
		if !rec.BodyComplete {
			e.Comment += "; the body was not received whole"
		}
		f.Log.Entries = append(f.Log.Entries, e)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return TerminalSafeJSON(b), nil
}

// TerminalSafeJSON returns the JSON text b with every rune a terminal
// could act on written as a \u escape, which JSON reads back as the same
// rune: encoding/json escapes the C0 controls, but writes DEL, the C1
// controls, the line separators and the bidirectional overrides as they
// are. Such runes can only be inside strings, so the JSON means what it
// did. b is returned as it is when it holds none.
func TerminalSafeJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, term.UnsafeRune) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if term.UnsafeRune(r) && r >= 0x7f {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// harAnswer returns the response of rec's entry and its wait in ms.
func harAnswer(rec *capture.Record) (harResponse, float64) {
	status := rec.Answered
	if status == 0 {
		status = rec.Verdict.Status
	}
	r := harResponse{
		Status: status, StatusText: http.StatusText(status), HTTPVersion: "HTTP/1.1",
		Cookies: []harNV{}, Headers: []harNV{}, HeadersSize: -1, BodySize: -1,
	}
	fw := rec.Forward
	if fw != nil && fw.Status != 0 && fw.Status == status {
		for _, h := range fw.Headers {
			r.Headers = append(r.Headers, harNV{h.Name(), h.Value()})
			if strings.EqualFold(h.Name(), "Content-Type") && r.Content.MimeType == "" {
				r.Content.MimeType = h.Value()
			}
		}
		r.Content.Size = len(fw.Body)
		if utf8.Valid(fw.Body) {
			r.Content.Text = string(fw.Body)
		} else {
			r.Content.Text, r.Content.Encoding = base64.StdEncoding.EncodeToString(fw.Body), "base64"
		}
		r.Comment = "the app's answer, forwarded to " + fw.URL
		if fw.BodyTruncated {
			r.Comment += "; its body was cut"
		} else {
			r.BodySize = len(fw.Body)
		}
		return r, rec.Verdict.DurationMS + fw.LatencyMS
	}
	r.Comment = "hooklab's answer: " + rec.Verdict.Reason
	if rec.Verdict.Detail != "" {
		r.Comment += ": " + rec.Verdict.Detail
	}
	if fw != nil && fw.Reason != "" {
		r.Comment += "; forward: " + fw.Reason
		if fw.Error != "" {
			r.Comment += ": " + fw.Error
		}
	}
	return r, rec.Verdict.DurationMS
}

// parseURL reads the URL requests go to.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the URL must be http or https with a host, not %q", raw)
	}
	return u, nil
}

// moduleVersion is hooklab's version for the HAR creator.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
