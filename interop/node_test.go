package interop_test

// Verdicts never laxer than the official verifiers (issue #15), checked
// against the official Node libraries: @octokit/webhooks-methods (GitHub),
// stripe (stripe-node), standardwebhooks and svix. They are pinned in
// node/package-lock.json and installed with `npm ci --prefix interop/node`;
// node/verify.mjs and node/sign.mjs run them on one delivery each, JSON in
// and out. For every case, hooklab (signing.VerifyWarnings and a real
// receiver) and the library agree, except where hooklab accepts what the
// library refuses and says so in a warning naming it (uppercase hex), or
// refuses what the library accepts because another official library
// refuses it (stricterAs names it).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// nodeDir holds the scripts and, once installed, node_modules.
const nodeDir = "node"

// requireNode skips the test when node or the libraries are not installed,
// saying how to install them; under CI=true it fails instead, so that CI
// cannot pass by checking nothing.
func requireNode(tb testing.TB) {
	tb.Helper()
	missing := func(what string) {
		tb.Helper()
		msg := what + "; install the libraries with: npm ci --prefix interop/node"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not on the PATH")
	}
	for _, lib := range []string{"@octokit/webhooks-methods", "stripe", "standardwebhooks", "svix"} {
		if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", lib, "package.json")); err != nil {
			missing("the Node library " + lib + " is not installed in interop/node/node_modules")
		}
	}
}

// runNode runs node script with req as JSON on stdin and decodes its JSON
// answer into resp. A script that fails (as opposed to a library that
// refuses) fails the test.
func runNode(tb testing.TB, script string, req, resp any) {
	tb.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = nodeDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, stdout.Bytes(), stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), resp); err != nil {
		tb.Fatalf("node %s answered %q, not JSON: %v", script, stdout.Bytes(), err)
	}
}

// nodeVerdict is verify.mjs's answer.
type nodeVerdict struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason"`
}

// nodeVerify verifies body and h with library, its clock at now where the
// library takes one (stripe-node); the others read the real clock.
func nodeVerify(tb testing.TB, library, secret string, h http.Header, body []byte, now time.Time) nodeVerdict {
	tb.Helper()
	headers := map[string]string{}
	for name, values := range h {
		if len(values) > 0 {
			headers[name] = values[0]
		}
	}
	var v nodeVerdict
	runNode(tb, "verify.mjs", map[string]any{
		"library": library, "secret": secret, "headers": headers, "body": string(body), "now": now.Unix(),
	}, &v)
	return v
}

// nodeSign returns the headers library signs body with.
func nodeSign(tb testing.TB, library, secret, id string, at time.Time, body []byte) http.Header {
	tb.Helper()
	var out struct {
		Headers map[string]string `json:"headers"`
	}
	runNode(tb, "sign.mjs", map[string]any{
		"library": library, "secret": secret, "id": id, "timestamp": at.Unix(), "body": string(body),
	}, &out)
	h := http.Header{}
	for name, value := range out.Headers {
		h.Set(name, value)
	}
	if len(h) == 0 {
		tb.Fatalf("sign.mjs %s wrote no headers", library)
	}
	return h
}

// hooklabVerdict is hooklab's verdict on a delivery: signing's and a real
// receiver's, which must agree.
type hooklabVerdict struct {
	err      error
	warnings []string
	answer   answer
}

func (v hooklabVerdict) ok() bool { return v.err == nil }

// hooklabVerify checks body and h with scheme at now, with signing and
// with a receiver on 127.0.0.1:0 whose clock is now, and fails tb when the
// two disagree.
func hooklabVerify(tb testing.TB, scheme signing.Scheme, h http.Header, body []byte, now time.Time) hooklabVerdict {
	tb.Helper()
	warnings, err := signing.VerifyWarnings(scheme, h, body, now)
	sent := h.Clone()
	sent.Set("Content-Type", "application/json")
	a := post(tb, startReceiver(tb, scheme, now), sent, body)
	if (err == nil) != (a.Status == http.StatusOK) {
		tb.Errorf("signing.VerifyWarnings = %v, but the receiver answered %d %s", err, a.Status, a.Reason)
	}
	if !slices.Equal(warnings, a.Warnings) {
		tb.Errorf("signing warns %q, the receiver's answer %q", warnings, a.Warnings)
	}
	return hooklabVerdict{err: err, warnings: warnings, answer: a}
}

// libraryName is how a warning names each Node library.
var libraryName = map[string]string{"octokit": "octokit", "stripe": "stripe-node", "standardwebhooks": "standardwebhooks", "svix": "svix"}

// compareVerdicts fails t unless hooklab's verdict h and the library's n
// agree, or differ in the one way each direction allows.
func compareVerdicts(t *testing.T, library string, h hooklabVerdict, n nodeVerdict, stricterAs string) {
	t.Helper()
	switch {
	case h.ok() && n.OK:
		if len(h.warnings) > 0 {
			t.Errorf("hooklab warns %q, but %s accepts", h.warnings, library)
		}
	case h.ok() && !n.OK:
		name := libraryName[library]
		if !slices.ContainsFunc(h.warnings, func(w string) bool { return strings.Contains(w, name+" would refuse") }) {
			t.Errorf("hooklab accepts without a warning naming %s, which refuses (%s): laxer than the official library", name, n.Reason)
		}
	case !h.ok() && n.OK:
		if stricterAs == "" {
			t.Errorf("hooklab refuses (%v), %s accepts", h.err, library)
		}
	}
}

func TestNodeLibrariesAgreeWithHooklab(t *testing.T) {
	requireNode(t)
	stripeBody := mustFixtures(t, signing.ProviderStripe)[0].Body
	githubBody, githubEvent := mustFixtures(t, signing.ProviderGitHub)[0].Body, mustFixtures(t, signing.ProviderGitHub)[0].Event
	standardBody := mustFixtures(t, signing.ProviderStandard)[0].Body
	const githubSecret = "It's a Secret to Everybody"
	standardSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("hooklab-interop-node-standard!!")) // 31 bytes: "==" of padding
	// The Standard Webhooks libraries read the real clock.
	now := time.Now().Truncate(time.Second)

	ts := strconv.FormatInt(signedAt.Unix(), 10)
	stripeMAC := hexMAC(stripeSecret, []byte(ts+"."), stripeBody)
	stripeWrong := hexMAC(stripeOtherSecret, []byte(ts+"."), stripeBody)
	githubMAC := hexMAC(githubSecret, githubBody)
	standardMAC, standardWrong := standardSigs(t, standardSecret, "msg_interop_1", now, standardBody)
	standardHeaders := func(name, sig string) http.Header {
		prefix := "webhook-"
		if name == "svix" {
			prefix = "svix-"
		}
		h := http.Header{}
		h.Set(prefix+"id", "msg_interop_1")
		h.Set(prefix+"timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set(prefix+"signature", sig)
		return h
	}

	type tcase struct {
		name       string
		library    string
		provider   string
		secret     string
		header     http.Header
		body       []byte
		at         time.Time
		wantHook   error  // hooklab's verdict: nil, or the sentinel
		wantDetail string // a phrase of hooklab's error
		wantNode   bool   // the library's verdict, recorded so that an upgrade that changes it is seen
		stricterAs string // the official library whose refusal hooklab follows where this one accepts
	}
	stripeCase := func(name, value string, wantHook error, wantDetail string, wantNode bool) tcase {
		return tcase{name: "stripe/" + name, library: "stripe", provider: signing.ProviderStripe, secret: stripeSecret,
			header: http.Header{"Stripe-Signature": {value}}, body: stripeBody, at: signedAt,
			wantHook: wantHook, wantDetail: wantDetail, wantNode: wantNode}
	}
	githubCase := func(name, value string, wantHook error, wantNode bool) tcase {
		return tcase{name: "octokit/" + name, library: "octokit", provider: signing.ProviderGitHub, secret: githubSecret,
			header: http.Header{"X-Hub-Signature-256": {value}, "X-Github-Event": {githubEvent}}, body: githubBody, at: signedAt, wantHook: wantHook, wantNode: wantNode}
	}
	var tests []tcase
	tests = append(tests,
		stripeCase("as Stripe writes it", "t="+ts+",v1="+stripeMAC, nil, "", true),
		stripeCase("a space after the comma", "t="+ts+", v1="+stripeMAC, signing.ErrMalformed, "white space after a comma in Stripe-Signature; Stripe's libraries refuse it", false),
		stripeCase("two spaces after the comma", "t="+ts+",  v1="+stripeMAC, signing.ErrMalformed, "white space after a comma in Stripe-Signature; Stripe's libraries refuse it", false),
		stripeCase("a space before t", "v1="+stripeMAC+", t="+ts, signing.ErrMalformed, "white space after a comma", false),
		stripeCase("a spaced v1 besides the right one", "t="+ts+",v1="+stripeMAC+", v1="+stripeWrong, nil, "", true),
		stripeCase("uppercase hex", "t="+ts+",v1="+strings.ToUpper(stripeMAC), nil, "", false),
		stripeCase("uppercase right, lowercase wrong", "t="+ts+",v1="+stripeWrong+",v1="+strings.ToUpper(stripeMAC), nil, "", false),
		stripeCase("lowercase right, uppercase wrong", "t="+ts+",v1="+strings.ToUpper(stripeWrong)+",v1="+stripeMAC, nil, "", true),
		stripeCase("another secret", "t="+ts+",v1="+stripeWrong, signing.ErrMismatch, "", false),
		// stripe-node takes the last t= as parseInt reads it; stripe-go
		// refuses the header for any t= that is not a number.
		tcase{name: "stripe/a t= that is not a number, then a good one", library: "stripe", provider: signing.ProviderStripe,
			secret: stripeSecret, header: http.Header{"Stripe-Signature": {"t=abc,t=" + ts + ",v1=" + stripeMAC}}, body: stripeBody,
			at: signedAt, wantHook: signing.ErrMalformed, wantDetail: "not a whole number", wantNode: true, stricterAs: "stripe-go"},
		githubCase("lowercase hex", "sha256="+githubMAC, nil, true),
		githubCase("uppercase hex", "sha256="+strings.ToUpper(githubMAC), nil, false),
		githubCase("uppercase prefix", "SHA256="+githubMAC, signing.ErrMalformed, false),
		githubCase("another secret", "sha256="+hexMAC("not the secret", githubBody), signing.ErrMismatch, false),
	)
	for _, lib := range []string{"standardwebhooks", "svix"} {
		standardCase := func(name, sig string, wantHook error, wantNode bool, stricterAs string) tcase {
			return tcase{name: lib + "/" + name, library: lib, provider: signing.ProviderStandard, secret: standardSecret,
				header: standardHeaders(lib, sig), body: standardBody, at: now, wantHook: wantHook, wantNode: wantNode, stricterAs: stricterAs}
		}
		tests = append(tests,
			standardCase("one signature", "v1,"+standardMAC, nil, true, ""),
			standardCase("a wrong one, a space, the right one", "v1,"+standardWrong+" v1,"+standardMAC, nil, true, ""),
			standardCase("two spaces between", "v1,"+standardWrong+"  v1,"+standardMAC, nil, true, ""),
			standardCase("a tab between", "v1,"+standardWrong+"\tv1,"+standardMAC, signing.ErrMalformed, false, ""),
			// The secret without its = padding, which the libraries accept.
			tcase{name: lib + "/secret without padding", library: lib, provider: signing.ProviderStandard, secret: strings.TrimRight(standardSecret, "="),
				header: standardHeaders(lib, "v1,"+standardMAC), body: standardBody, at: now, wantNode: true},
		)
		// svix's Node library (on standardwebhooks 1.0.0) takes the text
		// up to the second comma; standardwebhooks 1.3.0 the whole item.
		trailing := standardCase("text after a second comma", "v1,"+standardMAC+",more", signing.ErrMalformed, lib == "svix", "")
		if lib == "svix" {
			trailing.stricterAs = "standardwebhooks"
		}
		tests = append(tests, trailing)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme := mustScheme(t, tt.provider, tt.secret)
			h := hooklabVerify(t, scheme, tt.header, tt.body, tt.at)
			if !errors.Is(h.err, tt.wantHook) || (h.err == nil) != (tt.wantHook == nil) {
				t.Errorf("hooklab: %v, want %v", h.err, tt.wantHook)
			}
			if tt.wantDetail != "" && (h.err == nil || !strings.Contains(h.err.Error(), tt.wantDetail) || !strings.Contains(h.answer.Message, tt.wantDetail)) {
				t.Errorf("hooklab: %v, answer %q, want both to say %q", h.err, h.answer.Message, tt.wantDetail)
			}
			n := nodeVerify(t, tt.library, tt.secret, tt.header, tt.body, tt.at)
			if n.OK != tt.wantNode {
				t.Errorf("%s: ok=%v (%s), want ok=%v: has the library changed?", tt.library, n.OK, n.Reason, tt.wantNode)
			}
			compareVerdicts(t, tt.library, h, n, tt.stricterAs)
		})
	}
}

// TestStandardSecretWithoutPaddingBothWays: a whsec_ secret without its =
// padding signs the same in hooklab as in the Node libraries, both ways.
func TestStandardSecretWithoutPaddingBothWays(t *testing.T) {
	requireNode(t)
	body := mustFixtures(t, signing.ProviderStandard)[0].Body
	secret := strings.TrimRight("whsec_"+base64.StdEncoding.EncodeToString([]byte("hooklab-interop-unpadded-key!!!")), "=")
	if len(strings.TrimPrefix(secret, "whsec_"))%4 == 0 {
		t.Fatalf("secret %q needs no padding: the test checks nothing", secret)
	}
	now := time.Now().Truncate(time.Second)
	scheme := mustScheme(t, signing.ProviderStandard, secret)
	for _, lib := range []string{"standardwebhooks", "svix"} {
		t.Run(lib+" signs, hooklab verifies", func(t *testing.T) {
			h := nodeSign(t, lib, secret, "msg_unpadded", now, body)
			if v := hooklabVerify(t, scheme, h, body, now); !v.ok() {
				t.Fatalf("hooklab refuses what %s signed with the unpadded secret: %v", lib, v.err)
			}
		})
		t.Run("hooklab signs, "+lib+" verifies", func(t *testing.T) {
			h, err := scheme.Sign(signing.Message{Body: body, ID: "msg_unpadded", Time: now})
			if err != nil {
				t.Fatal(err)
			}
			if lib == "svix" {
				h = svixNames(h)
			}
			if n := nodeVerify(t, lib, secret, h, body, now); !n.OK {
				t.Fatalf("%s refuses what hooklab signed with the unpadded secret: %s", lib, n.Reason)
			}
		})
	}
}

// TestAnotherProvidersDeliveryIsNamed: a delivery that stripe-node signs,
// posted to a GitHub listener, is refused as missing its signature, and
// the answer says which header came and which --provider reads it; octokit
// refuses it too.
func TestAnotherProvidersDeliveryIsNamed(t *testing.T) {
	requireNode(t)
	body := mustFixtures(t, signing.ProviderStripe)[0].Body
	h := nodeSign(t, "stripe", stripeSecret, "", signedAt, body)
	if v := nodeVerify(t, "stripe", stripeSecret, h, body, signedAt); !v.OK {
		t.Fatalf("stripe-node refuses its own signature: %s", v.Reason)
	}
	const githubSecret = "It's a Secret to Everybody"
	v := hooklabVerify(t, mustScheme(t, signing.ProviderGitHub, githubSecret), h, body, signedAt)
	const want = "found Stripe-Signature, which --provider stripe reads"
	if !errors.Is(v.err, signing.ErrMissing) || v.answer.Status != http.StatusUnauthorized ||
		v.answer.Reason != receiver.ReasonSignatureMissing || !strings.Contains(v.answer.Message, want) {
		t.Fatalf("GitHub listener: %v, answer %d %s %q; want 401 %s saying %q",
			v.err, v.answer.Status, v.answer.Reason, v.answer.Message, receiver.ReasonSignatureMissing, want)
	}
	if n := nodeVerify(t, "octokit", githubSecret, h, body, signedAt); n.OK {
		t.Errorf("octokit accepts a Stripe delivery")
	}
}

// hexMAC is the lowercase hex HMAC-SHA256 of parts keyed with secret,
// computed here so that a bug in signing cannot hide.
func hexMAC(secret string, parts ...[]byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// standardSigs returns the base64 Standard Webhooks MAC of id, at and body
// under secret, and one under another key.
func standardSigs(tb testing.TB, secret, id string, at time.Time, body []byte) (right, wrong string) {
	tb.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		tb.Fatal(err)
	}
	sig := func(key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
		m.Write(body)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return sig(key), sig([]byte("hooklab-not-the-standard-key"))
}

// svixNames renames webhook-* headers to Svix's svix-* names.
func svixNames(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		out[http.CanonicalHeaderKey(strings.Replace(strings.ToLower(name), "webhook-", "svix-", 1))] = values
	}
	return out
}
