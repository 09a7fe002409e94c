package receiver

import "net/http"

// Reason is the stable, machine-readable word in every answer and log
// record that says why a request got its status. Scripts may match on it.
type Reason string

// The reasons, in the order the pipeline checks them.
const (
	ReasonOK                   Reason = "ok"
	ReasonNotFound             Reason = "not_found"
	ReasonMethodNotAllowed     Reason = "method_not_allowed"
	ReasonLengthRequired       Reason = "length_required"
	ReasonBodyTooLarge         Reason = "body_too_large"
	ReasonSignatureMissing     Reason = "signature_missing"
	ReasonSignatureMalformed   Reason = "signature_malformed"
	ReasonTimestampOutOfRange  Reason = "timestamp_out_of_range"
	ReasonBodyIncomplete       Reason = "body_incomplete"
	ReasonBodyTimeout          Reason = "body_timeout"
	ReasonSignatureMismatch    Reason = "signature_mismatch"
	ReasonContentEncoding      Reason = "content_encoding_unsupported"
	ReasonUnsupportedMediaType Reason = "unsupported_media_type"
	ReasonInvalidJSON          Reason = "invalid_json"
	ReasonFormInvalid          Reason = "form_invalid"
	ReasonPayloadMissing       Reason = "payload_missing"
	ReasonEventMissing         Reason = "event_missing"
	ReasonNoSecret             Reason = "no_secret"
	ReasonOverloaded           Reason = "overloaded"
	ReasonIgnoredEvent         Reason = "ignored_event"
	ReasonForwardFailed        Reason = "forward_failed"
	ReasonForwardTimeout       Reason = "forward_timeout"
	ReasonForwardBusy          Reason = "forward_busy"
	ReasonExecStarted          Reason = "exec_started"
	ReasonExecFailed           Reason = "exec_failed"
	ReasonExecTimeout          Reason = "exec_timeout"
	ReasonExecBusy             Reason = "exec_busy"
)

// ReasonInfo is one row of the reason table: the status that goes with a
// reason and the sentence a developer can act on.
type ReasonInfo struct {
	Reason  Reason
	Status  int
	Message string
}

// reasonTable is every reason the receiver answers with, in pipeline order.
// The README's table is checked against it by a test.
var reasonTable = []ReasonInfo{
	{ReasonOK, http.StatusOK, "delivery verified and accepted"},
	{ReasonNotFound, http.StatusNotFound, "nothing here: deliveries go to the webhook path, health checks to /healthz"},
	{ReasonMethodNotAllowed, http.StatusMethodNotAllowed, "deliveries are POST requests; see the Allow header"},
	{ReasonLengthRequired, http.StatusLengthRequired, "send the body with a Content-Length header, not chunked (or start listen with --allow-chunked)"},
	{ReasonBodyTooLarge, http.StatusRequestEntityTooLarge, "the body is larger than --max-body; it was not read"},
	{ReasonSignatureMissing, http.StatusUnauthorized, "the signature header is missing; sign the raw body with the shared secret"},
	{ReasonSignatureMalformed, http.StatusUnauthorized, "the signature header is not in the expected format"},
	{ReasonTimestampOutOfRange, http.StatusUnauthorized, "the signed timestamp is further from now than the tolerance: a replay, or a clock that is off"},
	{ReasonOverloaded, http.StatusServiceUnavailable, "too many large bodies are being received at once (--max-inflight); retry after the Retry-After seconds"},
	{ReasonBodyIncomplete, http.StatusBadRequest, "the body ended before its Content-Length; the client stopped early or declared the wrong length"},
	{ReasonBodyTimeout, http.StatusRequestTimeout, "the body did not arrive in time"},
	{ReasonSignatureMismatch, http.StatusUnauthorized, "the signature does not match the body: the body or the secret differs"},
	{ReasonContentEncoding, http.StatusUnsupportedMediaType, "the body has a Content-Encoding (gzip, ...); send it unencoded, as webhook providers do"},
	{ReasonUnsupportedMediaType, http.StatusUnsupportedMediaType, "send Content-Type application/json or application/x-www-form-urlencoded"},
	{ReasonInvalidJSON, http.StatusBadRequest, "the payload is not valid JSON"},
	{ReasonFormInvalid, http.StatusBadRequest, "the form-encoded body does not decode"},
	{ReasonPayloadMissing, http.StatusBadRequest, "the form-encoded body has no payload field"},
	{ReasonEventMissing, http.StatusBadRequest, "the event type is missing (X-GitHub-Event for GitHub; see the provider)"},
	{ReasonNoSecret, http.StatusInternalServerError, "the receiver has no secret configured, so nothing can verify"},
	{ReasonIgnoredEvent, http.StatusOK, "delivery verified; its event is not one listen --events names, so it was not forwarded, run or shown"},
	{ReasonForwardFailed, http.StatusBadGateway, "delivery verified, but the app (--forward-to) could not be reached or broke off its answer"},
	{ReasonForwardTimeout, http.StatusGatewayTimeout, "delivery verified, but the app (--forward-to) did not answer within --forward-timeout"},
	{ReasonForwardBusy, http.StatusServiceUnavailable, "delivery verified, but --forward-concurrency forwards are already in flight; retry after the Retry-After seconds"},
	{ReasonExecStarted, http.StatusAccepted, "delivery verified; the command (--exec) runs after this answer"},
	{ReasonExecFailed, http.StatusInternalServerError, "delivery verified, but the command (--exec) failed"},
	{ReasonExecTimeout, http.StatusGatewayTimeout, "delivery verified, but the command (--exec) did not finish within --exec-timeout and was killed"},
	{ReasonExecBusy, http.StatusServiceUnavailable, "delivery verified, but the command's queue (--exec-concurrency) is full; retry after the Retry-After seconds"},
}

var reasonIndex = func() map[Reason]ReasonInfo {
	m := make(map[Reason]ReasonInfo, len(reasonTable))
	for _, ri := range reasonTable {
		m[ri.Reason] = ri
	}
	return m
}()

// Info returns the table row for r.
func (r Reason) Info() ReasonInfo { return reasonIndex[r] }

// Reasons returns a copy of the reason table, in pipeline order.
func Reasons() []ReasonInfo { return append([]ReasonInfo(nil), reasonTable...) }
