package signing_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// The fixed delivery the header fuzz targets sign: a body, the sender's
// time, which is also the clock of the receivers with a tolerance, and an id.
var (
	fuzzBody = []byte(`{"id":"evt_fuzz","type":"customer.created"}` + "\n")
	fuzzTime = time.Unix(1700000000, 0)
)

const fuzzID = "msg_fuzz"

// fuzzReceivers returns the scheme without a clock check and the one with
// the default tolerance, which a fuzz target verifies at fuzzTime.
func fuzzReceivers(f *testing.F, provider, secret string) []signing.Scheme {
	f.Helper()
	return []signing.Scheme{
		mustNew(f, provider, signing.Options{}, secret),
		mustNew(f, provider, signing.Options{Tolerance: signing.DefaultTolerance}, secret),
	}
}

// withinTolerance reports whether the timestamp text t is a whole number of
// seconds no further from fuzzTime than the default tolerance.
func withinTolerance(t string) bool {
	ts, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil {
		return false
	}
	d := ts - fuzzTime.Unix()
	return d >= -int64(signing.DefaultTolerance/time.Second) && d <= int64(signing.DefaultTolerance/time.Second)
}

// timeSpellings returns the ways a verifier may read the timestamp text t
// into the signed string: as sent, trimmed, or as the number it parses to.
func timeSpellings(t string) []string {
	out := []string{t, strings.TrimSpace(t)}
	if ts, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
		out = append(out, strconv.FormatInt(ts, 10))
	}
	return out
}

// checkFuzzError fails unless err is a *signing.Error of a kind a delivery
// with these headers can have, and leaks nothing.
func checkFuzzError(t *testing.T, err error, provider string, h http.Header, secret string) {
	t.Helper()
	var se *signing.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *signing.Error", err, err)
	}
	kinds := 0
	for _, kind := range []error{signing.ErrMissing, signing.ErrMalformed, signing.ErrMismatch, signing.ErrTimestamp} {
		if errors.Is(err, kind) {
			kinds++
		}
	}
	if kinds != 1 {
		t.Fatalf("error %v wraps %d of the sentinel errors, want one", err, kinds)
	}
	mustNotLeak(t, err, provider, h, fuzzBody, secret)
}

func FuzzStripeHeader(f *testing.F) {
	const secret = "whsec_hooklabStripeFuzzSecret7Zq"
	key := []byte(secret)
	ts := unix(fuzzTime)
	mac := hex.EncodeToString(stripeMAC(key, ts, fuzzBody))
	stale := unix(fuzzTime.Add(-time.Hour))
	for _, seed := range []string{
		"t=" + ts + ",v1=" + mac, // right
		"t=" + ts + ",v1=" + strings.ToUpper(mac),
		"v1=" + mac + ",t=" + ts,
		"t=" + ts + ",v1=" + strings.Repeat("0", 64) + ",v1=" + mac,
		"t=" + ts + ",v1=" + mac + ",v0=" + mac,
		"t=" + ts + ",v0=" + mac,
		"t=" + ts + ",v1=" + mac[:63],
		"t=" + ts + ",v1=" + mac + "0",
		"t=" + ts + " , v1=" + mac,
		"t=" + stale + ",v1=" + hex.EncodeToString(stripeMAC(key, stale, fuzzBody)),
		"t=+" + ts + ",v1=" + mac,
		"t=" + ts + "000,v1=" + mac,
		"t=-1,v1=" + mac,
		"t=,v1=",
		"t=" + ts,
		"v1=" + mac,
		",,,=,t,v1",
		"",
	} {
		f.Add(seed)
	}
	receivers := fuzzReceivers(f, signing.ProviderStripe, secret)

	f.Fuzz(func(t *testing.T, value string) {
		h := http.Header{}
		h.Set(signing.StripeSignatureHeader, value)
		// The entries of the header, and the t= and v1= values among them.
		var times, v1s []string
		for item := range strings.SplitSeq(value, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(item), "=")
			switch k {
			case "t":
				times = append(times, v)
			case "v1":
				v1s = append(v1s, v)
			}
		}
		for i, s := range receivers {
			err := signing.Verify(s, h, fuzzBody, fuzzTime)
			if err != nil {
				checkFuzzError(t, err, signing.ProviderStripe, h, secret)
				if value == "t="+ts+",v1="+mac {
					t.Fatalf("receiver %d: Verify(%q) = %v, want nil: that is what Sign writes", i, value, err)
				}
				continue
			}
			// It verified: some v1= must be the MAC of a t= it carries,
			// and with a tolerance that t must be within it.
			signed := false
			for _, tv := range times {
				for _, spelling := range timeSpellings(tv) {
					want := hex.EncodeToString(stripeMAC(key, spelling, fuzzBody))
					for _, v1 := range v1s {
						if strings.EqualFold(v1, want) && (i == 0 || withinTolerance(tv)) {
							signed = true
						}
					}
				}
			}
			if !signed {
				t.Fatalf("receiver %d: Verify(%q) = nil, but no v1= signs a t= in range", i, value)
			}
		}
	})
}

func FuzzStandardHeaders(f *testing.F) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("hooklab-standard-fuzz-key-32byte"))
	key := standardKeyOf(f, secret)
	ts := unix(fuzzTime)
	mac := b64(standardMAC(key, fuzzID, ts, fuzzBody))
	stale := unix(fuzzTime.Add(-time.Hour))
	for _, seed := range [][3]string{
		{fuzzID, ts, "v1," + mac}, // right
		{fuzzID, ts, "v1,bad v1," + mac},
		{fuzzID, ts, "v2," + mac + " v1," + mac},
		{fuzzID, ts, "v2," + mac},
		{fuzzID, ts, "v1," + mac + "="},
		{fuzzID, ts, "v1," + mac[:43]},
		{fuzzID, ts, "v1," + strings.TrimRight(mac, "=")},
		{fuzzID, ts, "v1, " + mac},
		{fuzzID, ts, "v1," + mac + "\tv1,x"},
		{fuzzID, stale, "v1," + b64(standardMAC(key, fuzzID, stale, fuzzBody))},
		{fuzzID, " " + ts, "v1," + mac},
		{fuzzID, "0" + ts, "v1," + mac},
		{fuzzID, ts + "000", "v1," + mac},
		{fuzzID, "-1", "v1," + mac},
		{fuzzID + ".x", ts, "v1," + mac},
		{"", ts, "v1," + b64(standardMAC(key, "", ts, fuzzBody))},
		{"", "", ""},
		{fuzzID, ts, "v1,"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	receivers := fuzzReceivers(f, signing.ProviderStandard, secret)

	f.Fuzz(func(t *testing.T, id, timestamp, signature string) {
		h := http.Header{}
		h.Set(signing.StandardIDHeader, id)
		h.Set(signing.StandardTimestampHeader, timestamp)
		h.Set(signing.StandardSignatureHeader, signature)
		for i, s := range receivers {
			err := signing.Verify(s, h, fuzzBody, fuzzTime)
			if err != nil {
				checkFuzzError(t, err, signing.ProviderStandard, h, secret)
				if id == fuzzID && timestamp == ts && signature == "v1,"+mac {
					t.Fatalf("receiver %d: Verify(%q, %q, %q) = %v, want nil: that is what Sign writes", i, id, timestamp, signature, err)
				}
				continue
			}
			if i == 1 && !withinTolerance(timestamp) {
				t.Fatalf("receiver %d: Verify(%q, %q, %q) = nil, but the timestamp is out of range", i, id, timestamp, signature)
			}
			// It verified: some v1, entry must be the MAC of id, the
			// timestamp and the body.
			signed := false
			for item := range strings.FieldsSeq(signature) {
				got, ok := strings.CutPrefix(item, "v1,")
				if !ok {
					continue
				}
				decoded, err := base64.StdEncoding.DecodeString(got)
				if err != nil {
					continue
				}
				for _, spelling := range timeSpellings(timestamp) {
					if string(decoded) == string(standardMAC(key, id, spelling, fuzzBody)) {
						signed = true
					}
				}
			}
			if !signed {
				t.Fatalf("receiver %d: Verify(%q, %q, %q) = nil, but no v1, entry signs them", i, id, timestamp, signature)
			}
		}
	})
}

func FuzzSlackHeaders(f *testing.F) {
	const secret = "hooklab-slack-fuzz-secret-3Hx8"
	key := []byte(secret)
	ts := unix(fuzzTime)
	mac := hex.EncodeToString(slackMAC(key, ts, fuzzBody))
	stale := unix(fuzzTime.Add(-time.Hour))
	for _, seed := range [][2]string{
		{ts, "v0=" + mac}, // right
		{ts, "v0=" + strings.ToUpper(mac)},
		{ts, "V0=" + mac},
		{ts, "v1=" + mac},
		{ts, mac},
		{ts, "v0=" + mac[:63] + "g"},
		{ts, "v0=" + mac + "00"},
		{ts, " v0=" + mac},
		{stale, "v0=" + hex.EncodeToString(slackMAC(key, stale, fuzzBody))},
		{"+" + ts, "v0=" + mac},
		{"0" + ts, "v0=" + hex.EncodeToString(slackMAC(key, "0"+ts, fuzzBody))},
		{ts + "000", "v0=" + mac},
		{"", "v0=" + mac},
		{ts, ""},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	receivers := fuzzReceivers(f, signing.ProviderSlack, secret)

	f.Fuzz(func(t *testing.T, timestamp, signature string) {
		h := http.Header{}
		h.Set(signing.SlackTimestampHeader, timestamp)
		h.Set(signing.SlackSignatureHeader, signature)
		for i, s := range receivers {
			err := signing.Verify(s, h, fuzzBody, fuzzTime)
			if err != nil {
				checkFuzzError(t, err, signing.ProviderSlack, h, secret)
				if timestamp == ts && signature == "v0="+mac {
					t.Fatalf("receiver %d: Verify(%q, %q) = %v, want nil: that is what Sign writes", i, timestamp, signature, err)
				}
				continue
			}
			if i == 1 && !withinTolerance(timestamp) {
				t.Fatalf("receiver %d: Verify(%q, %q) = nil, but the timestamp is out of range", i, timestamp, signature)
			}
			signed := false
			for _, spelling := range timeSpellings(timestamp) {
				if strings.EqualFold(signature, "v0="+hex.EncodeToString(slackMAC(key, spelling, fuzzBody))) {
					signed = true
				}
			}
			if !signed {
				t.Fatalf("receiver %d: Verify(%q, %q) = nil, but that is not v0= and the MAC", i, timestamp, signature)
			}
		}
	})
}

func FuzzPlainMAC(f *testing.F) {
	const secret = "hooklab-plain-fuzz-secret-6Tn1"
	mac := hmacSHA256([]byte(secret), fuzzBody)
	for _, seed := range []string{
		hex.EncodeToString(mac), // right for gitea
		b64(mac),                // right for shopify
		strings.ToUpper(hex.EncodeToString(mac)),
		"sha256=" + hex.EncodeToString(mac),
		hex.EncodeToString(mac)[:62],
		hex.EncodeToString(mac) + "0",
		b64(mac)[:43],
		base64.RawStdEncoding.EncodeToString(mac),
		base64.URLEncoding.EncodeToString(mac),
		b64(mac) + "\n",
		" " + b64(mac),
		b64(mac[:31]),
		b64(append(mac, 0)),
		"",
		"=",
	} {
		f.Add(seed)
	}
	shopify := mustNew(f, signing.ProviderShopify, signing.Options{}, secret)
	gitea := mustNew(f, signing.ProviderGitea, signing.Options{}, secret)

	f.Fuzz(func(t *testing.T, value string) {
		for _, s := range []signing.Scheme{shopify, gitea} {
			h := headerOf(s.SignatureHeader(), value)
			err := signing.Verify(s, h, fuzzBody, fuzzTime)
			var right bool
			if s == shopify {
				decoded, decodeErr := base64.StdEncoding.DecodeString(value)
				right = decodeErr == nil && string(decoded) == string(mac)
			} else {
				right = strings.EqualFold(value, hex.EncodeToString(mac))
			}
			if err == nil && !right {
				t.Fatalf("%s: Verify(%q) = nil, but that is not the encoded MAC", s.Name(), value)
			}
			if err != nil {
				if right {
					t.Fatalf("%s: Verify(%q) = %v, want nil: that is the encoded MAC", s.Name(), value, err)
				}
				checkFuzzError(t, err, s.Name(), h, secret)
			}
		}
	})
}

func FuzzGitLabToken(f *testing.F) {
	const secret = "hooklab-gitlab-fuzz-token-2Wc5"
	for _, seed := range []string{
		secret, // right
		strings.ToUpper(secret),
		secret[:len(secret)-1],
		secret + " ",
		" " + secret,
		secret + "\x00",
		"",
		hex.EncodeToString(hmacSHA256([]byte(secret), fuzzBody)),
	} {
		f.Add(seed)
	}
	s := mustNew(f, signing.ProviderGitLab, signing.Options{}, secret)

	f.Fuzz(func(t *testing.T, value string) {
		h := headerOf(signing.GitLabTokenHeader, value)
		err := signing.Verify(s, h, fuzzBody, fuzzTime)
		switch {
		case value == secret && err != nil:
			t.Fatalf("Verify(the token) = %v, want nil", err)
		case value != secret && err == nil:
			t.Fatalf("Verify(%q) = nil, but the token is %q", value, secret)
		case value == "" && !errors.Is(err, signing.ErrMalformed):
			t.Fatalf("Verify(empty token) = %v, want ErrMalformed", err)
		case value != "" && value != secret && !errors.Is(err, signing.ErrMismatch):
			t.Fatalf("Verify(%q) = %v, want ErrMismatch", value, err)
		}
		if err != nil {
			checkFuzzError(t, err, signing.ProviderGitLab, h, secret)
		}
	})
}
