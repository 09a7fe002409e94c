package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/term"
)

// Holdings says what a capture holds, for a message about it:
// "3 deliveries (seq 1 to 3): push ×2, ping". recs must not be empty.
func Holdings(recs []*capture.Record) string {
	counts := map[string]int{}
	var order []string
	for _, r := range recs {
		event := r.Verdict.Event
		if event == "" {
			event = "(no event)"
		}
		if counts[event] == 0 {
			order = append(order, event)
		}
		counts[event]++
	}
	var parts []string
	for _, e := range order {
		part := term.Sanitize(e, 60)
		if n := counts[e]; n > 1 {
			part += " ×" + strconv.Itoa(n)
		}
		parts = append(parts, part)
	}
	noun := "deliveries"
	if len(recs) == 1 {
		noun = "delivery"
	}
	low, high := recs[0].Seq, recs[0].Seq
	for _, r := range recs {
		low, high = min(low, r.Seq), max(high, r.Seq)
	}
	return fmt.Sprintf("%d %s (seq %d to %d): %s", len(recs), noun, low, high, strings.Join(parts, ", "))
}

// listedRecord is a record as --list --json prints it: without its body,
// the app's answer's body and the program's output.
type listedRecord struct {
	Seq          uint64           `json:"seq"`
	Time         time.Time        `json:"time"`
	Remote       string           `json:"remote"`
	Method       string           `json:"method"`
	Target       string           `json:"target"`
	Proto        string           `json:"proto"`
	Headers      []capture.Header `json:"headers"`
	HeadersOrder string           `json:"headers_order"`
	BodyBytes    int              `json:"body_bytes"`
	BodySHA256   string           `json:"body_sha256"`
	BodyComplete bool             `json:"body_complete"`
	Verdict      capture.Verdict  `json:"verdict"`
	Forward      *capture.Forward `json:"forward,omitempty"`
	Exec         *listedExec      `json:"exec,omitempty"`
	Answered     int              `json:"answered"`
}

// listedExec is capture.Exec without the program's output.
type listedExec struct {
	Program    string  `json:"program"`
	Queued     bool    `json:"queued,omitempty"`
	ExitCode   int     `json:"exit_code"`
	Reason     string  `json:"reason,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// WriteList prints recs as replay --list does: a table, or with asJSON one
// JSON object each, without bodies or output, terminal-safe.
func WriteList(w io.Writer, recs []*capture.Record, asJSON bool) error {
	if asJSON {
		for _, r := range recs {
			l := listedRecord{
				Seq: r.Seq, Time: r.Time, Remote: r.Remote, Method: r.Method, Target: r.Target, Proto: r.Proto,
				Headers: r.Headers, HeadersOrder: r.HeadersOrder, BodyBytes: len(r.Body), BodySHA256: r.BodySHA256,
				BodyComplete: r.BodyComplete, Verdict: r.Verdict, Answered: r.Answered,
			}
			if r.Forward != nil {
				f := *r.Forward
				f.Body = nil
				l.Forward = &f
			}
			if e := r.Exec; e != nil {
				l.Exec = &listedExec{e.Program, e.Queued, e.ExitCode, e.Reason, e.Error, e.DurationMS}
			}
			// A capture's strings were chosen by its sender.
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(l); err != nil {
				return err
			}
			if _, err := w.Write(TerminalSafeJSON(b.Bytes())); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tMETHOD\tEVENT\tDELIVERY\tVERDICT\tANSWERED\tSIZE")
	dash := func(s string, limit int) string {
		if s = term.Sanitize(s, limit); s == "" {
			return "-"
		}
		return s
	}
	for _, r := range recs {
		verdict := strconv.Itoa(r.Verdict.Status) + " " + dash(r.Verdict.Reason, 40)
		answered := strconv.Itoa(r.Answered)
		if f := r.Forward; f != nil {
			if f.Status != 0 {
				answered += " (app " + strconv.Itoa(f.Status) + ")"
			} else {
				answered += " (app: " + dash(f.Reason, 40) + ")"
			}
		}
		size := term.HumanBytes(int64(len(r.Body)))
		if !r.BodyComplete {
			size += " (partial)"
		}
		method := r.Method
		if method == "" {
			method = http.MethodPost
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.Format(time.DateTime), dash(method, 20),
			dash(r.Verdict.Event, 40), dash(r.Verdict.Delivery, 40), verdict, answered, size)
	}
	return tw.Flush()
}
