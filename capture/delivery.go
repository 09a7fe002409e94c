package capture

import (
	"bytes"
	"net/http"
	"sort"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// FromDelivery builds the Record of d, for a receiver.Config's Observe
// hook: it copies everything it keeps (d.Body is reused after the call).
// headers and order are the request's headers (see RequestHeaders); with
// nil headers it uses CanonicalHeaders of d.Request and OrderCanonical.
// The body is never nil, so an empty body is "" in the file, not null.
// BodySHA256 is left empty: hashing the body is the Writer's work, off the
// handler's goroutine (Record.Sum computes it for anyone else).
func FromDelivery(d *receiver.Delivery, headers []Header, order string) *Record {
	body := bytes.Clone(d.Body)
	if body == nil {
		body = []byte{}
	}
	rec := &Record{
		Version:      FormatVersion,
		Seq:          d.Seq,
		Time:         d.Received,
		Headers:      headers,
		HeadersOrder: order,
		Body:         body,
		BodyComplete: d.BodyRead,
		Verdict: Verdict{
			Status:     d.Status,
			Reason:     string(d.Reason),
			Detail:     d.Detail,
			Provider:   d.Provider,
			Event:      d.Event,
			Action:     d.Action,
			Delivery:   d.ID,
			Summary:    d.Summary,
			Redelivery: d.Redelivery,
			Header:     d.Header,
			Why:        d.Explanation,
			DurationMS: ms(d.Duration),
		},
		Answered: d.Answered,
	}
	if r := d.Request; r != nil {
		rec.Remote = r.RemoteAddr
		rec.Method = r.Method
		rec.Target = r.RequestURI
		rec.Proto = r.Proto
		if headers == nil {
			rec.Headers, rec.HeadersOrder = CanonicalHeaders(r), OrderCanonical
		}
	}
	if f := d.Forward; f != nil {
		rec.Forward = &Forward{
			URL:           f.URL,
			Status:        f.Status,
			Reason:        string(f.Reason),
			Error:         f.Error,
			LatencyMS:     ms(f.Latency),
			Headers:       sortedHeaders(f.Header),
			Body:          bytes.Clone(f.Body),
			BodyTruncated: f.BodyTruncated,
		}
	}
	rec.Exec = ExecFrom(d.Exec)
	return rec
}

// ExecFrom returns the record of a command's result, copied; nil for nil.
func ExecFrom(e *receiver.ExecResult) *Exec {
	if e == nil {
		return nil
	}
	return &Exec{
		Program:    e.Program,
		Queued:     e.Queued,
		ExitCode:   e.ExitCode,
		Reason:     string(e.Reason),
		Error:      e.Error,
		DurationMS: ms(e.Duration),
		Stdout:     bytes.Clone(e.Stdout),
		Stderr:     bytes.Clone(e.Stderr),
		Truncated:  e.Truncated,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sortedHeaders returns h's values as Headers, names sorted.
func sortedHeaders(h http.Header) []Header {
	if len(h) == 0 {
		return nil
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var hs []Header
	for _, name := range names {
		for _, v := range h[name] {
			hs = append(hs, Header{name, v})
		}
	}
	return hs
}
