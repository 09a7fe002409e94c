package receiver

import (
	"errors"
	"fmt"
	"mime"
	"net/url"

	"github.com/hooklab/hooklab/internal/bodyjson"
)

// Media types a delivery may have.
const (
	mediaJSON = "application/json"
	mediaForm = "application/x-www-form-urlencoded"
)

// decodePayload returns the payload of a verified body according to its
// Content-Type: the body itself for application/json, the payload field
// for GitHub's form mode (whose signature covers the raw form body). form
// reports the form mode. On failure it returns the reason and a sentence
// naming what is wrong.
//
// It does not check the JSON: summarize does, in the pass that reads the
// summary (see invalidJSON).
func decodePayload(contentType string, body []byte) (payload []byte, form bool, reason Reason, detail string) {
	if contentType == "" {
		return nil, false, ReasonUnsupportedMediaType, "the Content-Type header is missing; send application/json or application/x-www-form-urlencoded"
	}
	media := contentType // what GitHub sends, which needs no parsing
	if contentType != mediaJSON {
		var err error
		if media, _, err = mime.ParseMediaType(contentType); err != nil {
			return nil, false, ReasonUnsupportedMediaType, "the Content-Type header does not parse; send application/json or application/x-www-form-urlencoded"
		}
	}
	switch media {
	case mediaJSON:
		return body, false, "", ""
	case mediaForm:
		payload, err := formPayload(body)
		if errors.Is(err, errNoPayload) {
			return nil, true, ReasonPayloadMissing, ""
		}
		if err != nil {
			return nil, true, ReasonFormInvalid, "the form-encoded body does not decode: " + err.Error()
		}
		return payload, true, "", ""
	default:
		return nil, false, ReasonUnsupportedMediaType, fmt.Sprintf("Content-Type %s is not supported; send application/json or application/x-www-form-urlencoded", media)
	}
}

// validJSON reports whether payload is valid JSON. goccy/go-json accepts
// and refuses exactly what encoding/json does (FuzzJSONValidAgrees) at
// several times its speed.
func validJSON(payload []byte) bool { return bodyjson.Valid(payload) }

// invalidJSON is the sentence for a payload that is not valid JSON.
func invalidJSON(form bool) string {
	if form {
		return "the form's payload field is not valid JSON"
	}
	return "the body is not valid JSON"
}

var errNoPayload = errors.New("no payload field")

// isForm reports whether a Content-Type is form-encoded.
func isForm(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return err == nil && media == mediaForm
}

// formPayload decodes an application/x-www-form-urlencoded body and returns
// its payload field. A body that does not decode, or that has the field
// more than once (which would make it ambiguous which one was meant), is
// an error; a body without the field is errNoPayload.
func formPayload(body []byte) ([]byte, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("bad percent-encoding or separator")
	}
	p, ok := values["payload"]
	switch {
	case !ok:
		return nil, errNoPayload
	case len(p) > 1:
		return nil, fmt.Errorf("the payload field appears %d times", len(p))
	}
	return []byte(p[0]), nil
}
