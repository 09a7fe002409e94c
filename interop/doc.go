// Package interop checks hooklab's signatures against the Go libraries that
// webhook providers publish or point to, both ways: a signature a library
// makes verifies in hooklab (signing.Verify, and a real receiver behind
// receiver.Serve), and a delivery hooklab's sender builds verifies in the
// library. hooklab's own tests check its schemes against published test
// vectors; these check them against the code that receivers in production
// actually run.
//
// It is a module of its own, github.com/hooklab/hooklab/interop, so that
// those libraries (and everything they pull in: stripe-go alone is large)
// are dependencies of these tests only, never of hooklab. The root go.mod
// does not mention them, `go test ./...` at the repository root does not
// enter this directory (the go tool leaves nested modules out of ./...),
// and hooklab itself is taken from the parent directory through a replace
// directive, so the tests always run against the working tree. CI runs
// them after the root module's tests: cd interop && go test ./...
//
// This package holds no code; everything is in its _test files:
//
//   - stripe: github.com/stripe/stripe-go (webhook.GenerateTestSignedPayload
//     and ComputeSignature sign; webhook.ConstructEventWithOptions verifies)
//   - standard: github.com/standard-webhooks/standard-webhooks/libraries/go,
//     the reference library of the Standard Webhooks specification, and
//     github.com/svix/svix-webhooks/go, Svix's library, which signs the same
//     scheme under svix-* header names (Webhook.Sign and Webhook.Verify)
//   - slack: github.com/slack-go/slack. Slack ships no Go SDK of its own
//     (Bolt has no Go version); slack-go is the community library its
//     developer docs list for Go. It verifies (NewSecretsVerifier) but has
//     no signer, so only hooklab-to-library is checked.
//   - github: github.com/google/go-github. GitHub ships no Go SDK of its
//     own; go-github is the Go library its docs list. It verifies
//     (ValidatePayload, ValidateSignature) but has no signer, so only
//     hooklab-to-library is checked.
//
// The official Node libraries are checked too (node_test.go), since most
// receivers in production run them and some are stricter than the Go ones:
// @octokit/webhooks-methods, stripe (stripe-node), standardwebhooks and
// svix, pinned in node/package-lock.json. node/verify.mjs and node/sign.mjs
// run one of them on one delivery (JSON on stdin, a JSON verdict on
// stdout); the tests hold that hooklab's verdict and the library's agree,
// except where hooklab accepts with a warning naming the library (uppercase
// hex) or refuses as another official library does. Install them first
// with `npm ci --prefix interop/node` (node_modules is not committed);
// without them the tests skip, saying so, and under CI=true they fail.
//
// Shopify, GitLab and Gitea publish no official Go library that verifies
// their webhooks, so there is nothing of theirs to check against here: their
// schemes are covered by the published vectors and the send-to-listen round
// trips in the root module. A hand-written stand-in would only test hooklab
// against itself.
package interop
