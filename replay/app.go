package replay

import (
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
)

// ReasonReplayedToApp is the reason of the record of a replay sent straight
// to the app: it never passed the listener, so hooklab gave no verdict.
const ReasonReplayedToApp receiver.Reason = "replayed_to_app"

// AppRecord is the capture record of req, a replay of orig sent straight to
// the app at target (the inspector's "replay to the app"), numbered seq:
// the headers and body as sent, the app's answer resp, and orig's event,
// id and summary, linked to it by ReplayOf. Its reason says that hooklab
// did not verify it.
func AppRecord(orig *capture.Record, seq uint64, target string, req *sender.Request, resp *sender.Response, now time.Time) *capture.Record {
	headers := make([]capture.Header, 0, len(req.Header))
	for _, f := range req.Header {
		headers = append(headers, capture.Header{f.Name, f.Value})
	}
	app := &receiver.ForwardResult{URL: target, Status: resp.Status, Latency: resp.Duration, Header: resp.Header, Body: resp.Body}
	rec := capture.FromDelivery(&receiver.Delivery{
		Seq: seq, Received: now, Body: req.Body, BodyRead: true,
		Reason: ReasonReplayedToApp, Detail: "replayed from the inspector straight to the app at " + target + "; hooklab did not verify it",
		Provider: orig.Verdict.Provider, Event: orig.Verdict.Event, Action: orig.Verdict.Action, ID: orig.Verdict.Delivery,
		Summary: orig.Verdict.Summary, Forward: app, Answered: resp.Status,
	}, headers, capture.OrderWire)
	rec.Method, rec.Target, rec.Proto = orig.Method, req.URL.RequestURI(), "HTTP/1.1"
	rec.ReplayOf = orig.Seq
	return rec
}
