package signing_test

// Verdicts never laxer than the official verifiers (issue #15): what the
// libraries refuse is refused here with a detail that says why, what some of
// them refuse and others accept is accepted with a warning, and a delivery
// signed for another provider is said to be one. interop/ checks the same
// cases against the libraries themselves.

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/signing"
)

func TestStripeWhiteSpaceAfterComma(t *testing.T) {
	secret := providerSecret(signing.ProviderStripe)
	s := mustNew(t, signing.ProviderStripe, signing.Options{Tolerance: signing.DefaultTolerance}, secret)
	ts := unix(caseTime)
	mac := hex.EncodeToString(stripeMAC([]byte(secret), ts, caseBody))
	tests := []struct {
		name       string
		value      string
		wantDetail string // a phrase of the detail; empty when it verifies
	}{
		{name: "no white space", value: "t=" + ts + ",v1=" + mac},
		{name: "a space after the comma", value: "t=" + ts + ", v1=" + mac, wantDetail: "white space after a comma in Stripe-Signature; Stripe's libraries refuse it"},
		{name: "two spaces after the comma", value: "t=" + ts + ",  v1=" + mac, wantDetail: "white space after a comma in Stripe-Signature; Stripe's libraries refuse it"},
		{name: "a tab after the comma", value: "t=" + ts + ",\tv1=" + mac, wantDetail: "white space after a comma"},
		{name: "a space before t", value: "v1=" + mac + ", t=" + ts, wantDetail: "white space after a comma"},
		{name: "a space around the comma", value: "t=" + ts + " , v1=" + mac, wantDetail: "white space"},
		// stripe-go parses every t= (the last counts) and refuses the
		// header for one that is not a number.
		{name: "a t= that is not a number, then a good one", value: "t=abc,t=" + ts + ",v1=" + mac, wantDetail: "not a whole number"},
		{name: "an empty t=, then a good one", value: "t=,t=" + ts + ",v1=" + mac, wantDetail: "empty"},
		{name: "a spaced t= value, then a good one", value: "t= 1,t=" + ts + ",v1=" + mac, wantDetail: "white space around the t= timestamp"},
		{name: "two good t=, the last signed", value: "t=1,t=" + ts + ",v1=" + mac},
		{name: "a space before the comma", value: "t=" + ts + " ,v1=" + mac, wantDetail: "white space around the t= timestamp; stripe-go refuses it"},
		{name: "a trailing comma", value: "t=" + ts + ",v1=" + mac + ",", wantDetail: "item 3 is not one key=value"},
		{name: "a spaced v1 besides a good one", value: "t=" + ts + ",v1=" + mac + ", v1=" + mac},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signing.Verify(s, headerOf(signing.StripeSignatureHeader, tt.value), caseBody, caseTime)
			if tt.wantDetail == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			var se *signing.Error
			if !errors.Is(err, signing.ErrMalformed) || !errors.As(err, &se) || !strings.Contains(se.Detail, tt.wantDetail) {
				t.Fatalf("Verify = %v, want a malformed signature whose detail says %q", err, tt.wantDetail)
			}
		})
	}
}

func TestStandardSignatureListAsTheLibrariesReadIt(t *testing.T) {
	secret := providerSecret(signing.ProviderStandard)
	s := mustNew(t, signing.ProviderStandard, signing.Options{Tolerance: signing.DefaultTolerance}, secret)
	ts := unix(caseTime)
	mac := b64(standardMAC(standardKeyOf(t, secret), caseID, ts, caseBody))
	wrong := b64(standardMAC([]byte("hooklab-not-the-secret"), caseID, ts, caseBody))
	tests := []struct {
		name    string
		value   string
		wantErr error
	}{
		{name: "one space between", value: "v1," + wrong + " v1," + mac},
		{name: "two spaces between: an empty item is skipped", value: "v1," + wrong + "  v1," + mac},
		// standardwebhooks (Node) compares the whole item with "v1,<base64>".
		{name: "text after a second comma", value: "v1," + mac + ",more", wantErr: signing.ErrMalformed},
		// The libraries split at " " only: a tab joins the two into one item.
		{name: "a tab between", value: "v1," + wrong + "\tv1," + mac, wantErr: signing.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, tt.value)
			if err := signing.Verify(s, h, caseBody, caseTime); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	body := caseBody
	ts := unix(caseTime)
	github := providerSecret(signing.ProviderGitHub)
	stripe := providerSecret(signing.ProviderStripe)
	slack := providerSecret(signing.ProviderSlack)
	gitea := providerSecret(signing.ProviderGitea)
	ghMAC := hex.EncodeToString(hmacSHA256([]byte(github), body))
	stMAC := hex.EncodeToString(stripeMAC([]byte(stripe), ts, body))
	stWrong := hex.EncodeToString(stripeMAC([]byte("hooklab-not-the-secret"), ts, body))
	slMAC := hex.EncodeToString(hmacSHA256([]byte(slack), []byte("v0:"+ts+":"+string(body))))
	giMAC := hex.EncodeToString(hmacSHA256([]byte(gitea), body))
	upper := strings.ToUpper
	tests := []struct {
		name     string
		provider string
		secret   string
		header   http.Header
		body     []byte
		wantErr  error
		want     []string
	}{
		{name: "github lowercase", provider: signing.ProviderGitHub, secret: github, header: githubHeader("sha256=" + ghMAC), body: body},
		{name: "github uppercase", provider: signing.ProviderGitHub, secret: github, header: githubHeader("sha256=" + upper(ghMAC)), body: body,
			want: []string{"X-Hub-Signature-256: accepted; octokit would refuse uppercase hex"}},
		{name: "github uppercase, wrong body", provider: signing.ProviderGitHub, secret: github, header: githubHeader("sha256=" + upper(ghMAC)), body: flipLastByte(body), wantErr: signing.ErrMismatch},
		{name: "stripe lowercase", provider: signing.ProviderStripe, secret: stripe, header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+stMAC), body: body},
		{name: "stripe uppercase", provider: signing.ProviderStripe, secret: stripe, header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+upper(stMAC)), body: body,
			want: []string{"Stripe-Signature: accepted; stripe-node would refuse uppercase hex"}},
		{name: "stripe wrong lowercase, right uppercase", provider: signing.ProviderStripe, secret: stripe, header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+stWrong+",v1="+upper(stMAC)), body: body,
			want: []string{"Stripe-Signature: accepted; stripe-node would refuse uppercase hex"}},
		// stripe-node accepts when any v1 matches as text.
		{name: "stripe right in both cases", provider: signing.ProviderStripe, secret: stripe, header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+upper(stMAC)+",v1="+stMAC), body: body},
		{name: "stripe wrong uppercase, right lowercase", provider: signing.ProviderStripe, secret: stripe, header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+upper(stWrong)+",v1="+stMAC), body: body},
		{name: "slack uppercase", provider: signing.ProviderSlack, secret: slack, header: headerOf(signing.SlackTimestampHeader, ts, signing.SlackSignatureHeader, "v0="+upper(slMAC)), body: body,
			want: []string{"X-Slack-Signature: accepted; Slack's Bolt and slack_sdk would refuse uppercase hex"}},
		{name: "slack lowercase", provider: signing.ProviderSlack, secret: slack, header: headerOf(signing.SlackTimestampHeader, ts, signing.SlackSignatureHeader, "v0="+slMAC), body: body},
		// Gitea publishes no verifier that would refuse it.
		{name: "gitea uppercase", provider: signing.ProviderGitea, secret: gitea, header: headerOf(signing.GiteaSignatureHeader, upper(giMAC)), body: body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, tt.provider, signing.Options{Tolerance: signing.DefaultTolerance}, tt.secret)
			got, err := signing.VerifyWarnings(s, tt.header, tt.body, caseTime)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyWarnings error = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWarningsAllocatesNothing(t *testing.T) {
	s := mustNew(t, signing.ProviderGitHub, signing.Options{}, providerSecret(signing.ProviderGitHub))
	h := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte(providerSecret(signing.ProviderGitHub)), caseBody)))
	v, err := s.Begin(h, caseTime)
	if err != nil {
		t.Fatal(err)
	}
	defer signing.Release(v)
	v.Write(caseBody) //nolint:errcheck // Verifier writes never fail.
	if err := v.Verify(); err != nil {
		t.Fatal(err)
	}
	var w []string
	if n := testing.AllocsPerRun(100, func() { w = signing.Warnings(v) }); n != 0 || w != nil {
		t.Errorf("Warnings = %q with %v allocations, want nil with none", w, n)
	}
}

func TestMissingSignatureNamesTheProviderWhoseHeaderCame(t *testing.T) {
	mac := strings.Repeat("ab", 32)
	tests := []struct {
		name       string
		listener   string
		header     http.Header
		wantDetail string
	}{
		{name: "stripe at github", listener: signing.ProviderGitHub, header: headerOf(signing.StripeSignatureHeader, "t=1,v1="+mac),
			wantDetail: "found Stripe-Signature, which --provider stripe reads"},
		{name: "github at stripe", listener: signing.ProviderStripe, header: githubHeader("sha256=" + mac),
			wantDetail: "found X-Hub-Signature-256, which --provider github reads"},
		{name: "svix at slack", listener: signing.ProviderSlack, header: headerOf(signing.SvixSignatureHeader, "v1,x"),
			wantDetail: "found svix-signature, which --provider standard reads"},
		{name: "slack at standard", listener: signing.ProviderStandard, header: headerOf(signing.SlackSignatureHeader, "v0="+mac),
			wantDetail: "found X-Slack-Signature, which --provider slack reads"},
		{name: "gitea (with GitHub's header too) at shopify", listener: signing.ProviderShopify, header: headerOf(signing.GiteaSignatureHeader, mac, signing.GitHubSignatureHeader, "sha256="+mac),
			wantDetail: "found X-Gitea-Signature, which --provider gitea reads"},
		{name: "github at gitea", listener: signing.ProviderGitea, header: githubHeader("sha256=" + mac),
			wantDetail: "found X-Hub-Signature-256, which --provider github reads"},
		{name: "shopify at gitlab", listener: signing.ProviderGitLab, header: headerOf(signing.ShopifySignatureHeader, "x"),
			wantDetail: "found X-Shopify-Hmac-Sha256, which --provider shopify reads"},
		{name: "gitlab at github", listener: signing.ProviderGitHub, header: headerOf(signing.GitLabTokenHeader, "x"),
			wantDetail: "found X-Gitlab-Token, which --provider gitlab reads"},
		{name: "nothing at github", listener: signing.ProviderGitHub, header: http.Header{},
			wantDetail: "the header is missing; sign the raw body"},
		{name: "nothing at stripe", listener: signing.ProviderStripe, header: http.Header{},
			wantDetail: "the header is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, tt.listener, signing.Options{}, providerSecret(tt.listener))
			err := signing.Verify(s, tt.header, caseBody, caseTime)
			var se *signing.Error
			if !errors.Is(err, signing.ErrMissing) || !errors.As(err, &se) || !strings.Contains(se.Detail, tt.wantDetail) {
				t.Fatalf("Verify = %v, want a missing signature whose detail says %q", err, tt.wantDetail)
			}
			if se.Header != s.SignatureHeader() {
				t.Errorf("the error is about %s, want %s", se.Header, s.SignatureHeader())
			}
			if !strings.Contains(tt.wantDetail, "found") && strings.Contains(se.Detail, "found") {
				t.Errorf("detail %q names a header that did not come", se.Detail)
			}
		})
	}
}

func TestStandardSecretWithoutPaddingSignsAndVerifies(t *testing.T) {
	key := []byte(standardCaseKey[:31]) // 31 bytes: "==" of padding
	padded := "whsec_" + b64(key)
	unpadded := strings.TrimRight(padded, "=")
	signer := mustNew(t, signing.ProviderStandard, signing.Options{}, unpadded)
	h, err := signer.Sign(signing.Message{Body: caseBody, ID: caseID, Time: caseTime})
	if err != nil {
		t.Fatal(err)
	}
	verifier := mustNew(t, signing.ProviderStandard, signing.Options{}, padded)
	if err := signing.Verify(verifier, h, caseBody, caseTime); err != nil {
		t.Fatalf("a delivery signed with the unpadded secret does not verify with the padded one: %v", err)
	}
}
