package signing_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// The secret, body and signature are GitHub's documented test vector, from
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries

func ExampleGitHub_Sign() {
	scheme, err := signing.NewGitHub("It's a Secret to Everybody")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := scheme.Sign(signing.Message{Body: []byte("Hello, World!")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(signing.GitHubSignatureHeader+":", h.Get(signing.GitHubSignatureHeader))
	// Output:
	// X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
}

func ExampleVerify() {
	scheme, err := signing.NewGitHub("It's a Secret to Everybody")
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")

	if err := signing.Verify(scheme, h, []byte("Hello, World!"), time.Now()); err != nil {
		fmt.Println(err)
	} else {
		fmt.Println("verified")
	}
	// The same signature over a body that gained a trailing newline.
	fmt.Println(signing.Verify(scheme, h, []byte("Hello, World!\n"), time.Now()))
	// Output:
	// verified
	// signature mismatch: X-Hub-Signature-256: the signature does not match the body: the body or the secret differs
}
