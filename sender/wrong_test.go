package sender_test

import (
	"strings"
	"testing"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// GitLab's scheme sends the token itself, so a "wrong" token made from the
// real one would hand the real one to the receiver under test.
func TestWrongSecretSaysNothingOfTheSecret(t *testing.T) {
	const secret = "the-real-gitlab-token-0123456789"
	for _, p := range signing.Providers() {
		real := secret
		if p == signing.ProviderStandard {
			real = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		}
		wrong := sender.WrongSecret(p, real)
		if wrong == real || strings.Contains(wrong, real) || strings.Contains(wrong, strings.TrimPrefix(real, "whsec_")) {
			t.Errorf("%s: WrongSecret = %q, which holds the real secret", p, wrong)
		}
		if _, err := signing.New(p, []string{wrong}, signing.Options{}); err != nil {
			t.Errorf("%s: the scheme refuses the wrong secret: %v", p, err)
		}
	}
}
