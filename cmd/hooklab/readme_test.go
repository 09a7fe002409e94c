package main

import (
	"os"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/provider"
)

// The README's sample banner (Quick start) is the banner listen prints
// with a generated secret, line for line; a line may stop early at "…",
// and the secret is the README's own.
func TestREADMEBannerSample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const first = "hooklab listen  POST "
	_, rest, ok := strings.Cut(string(readme), "```\n"+first)
	if !ok {
		t.Fatalf("README.md has no code block starting %q", first)
	}
	block, _, ok := strings.Cut(first+rest, "```")
	if !ok {
		t.Fatal("README.md: the sample banner's code block does not end")
	}
	golden, err := os.ReadFile("testdata/banner-generated.txt")
	if err != nil {
		t.Fatal(err)
	}
	sample := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	banner := strings.Split(strings.TrimSuffix(string(golden), "\n"), "\n")
	if len(sample) != len(banner) {
		t.Errorf("the README's sample banner has %d lines, listen prints %d:\n%s\nlisten:\n%s", len(sample), len(banner), block, golden)
	}
	secretLine := "export " + envSecret + "="
	for i := range min(len(sample), len(banner)) {
		if before, _, ok := strings.Cut(sample[i], secretLine); ok {
			sample[i], banner[i] = before+secretLine+"…", strings.Replace(banner[i], generatedSecret(), "", 1)
		}
		if prefix, cut := strings.CutSuffix(sample[i], "…"); !strings.HasPrefix(banner[i], prefix) || (!cut && sample[i] != banner[i]) {
			t.Errorf("README sample line %d:\n  %s\nlisten prints:\n  %s", i+1, sample[i], banner[i])
		}
	}
}

// The README says where a secret is printed: listen's banner, once, for a
// generated one; sign --provider gitlab, whose header is the secret itself;
// `hooklab secret`. Every command that takes a configured secret is run
// here with each provider, and only sign --provider gitlab may print it.
func TestSecretPrintedOnlyWhereTheREADMESays(t *testing.T) {
	closed := mustClosedURL(t)
	for _, p := range provider.All() {
		t.Run(p.Name, func(t *testing.T) {
			current := mustProviderSecret(t, p.Name, "readme current")
			previous := mustProviderSecret(t, p.Name, "readme previous")
			env := map[string]string{envSecret: current, envSecretPrevious: previous}
			tests := []struct {
				name      string
				args      []string
				wantPrint bool // prints the current secret
			}{
				{name: "listen", args: []string{"listen", "--addr", "127.0.0.1:0"}},
				{name: "listen json", args: []string{"listen", "--addr", "127.0.0.1:0", "--log-format", "json"}},
				{name: "send", args: []string{"send", "--url", closed}},
				{name: "send json", args: []string{"send", "--url", closed, "--json"}},
				{name: "check", args: []string{"check", closed}},
				{name: "check json", args: []string{"check", closed, "--format", "json"}},
				{name: "sign", args: []string{"sign"}, wantPrint: p.Name == "gitlab"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					args := append(tt.args, "--provider", p.Name)
					var got result
					if tt.args[0] == "listen" {
						got = runStopped(t, world{env: env}, args...)
					} else {
						got = runHooklab(t, world{env: env, stdin: pingBody}, args...)
					}
					out := got.stdout + got.stderr
					if printed := strings.Contains(out, current); printed != tt.wantPrint {
						t.Errorf("prints the secret: %v, want %v\nstdout:\n%s\nstderr:\n%s", printed, tt.wantPrint, got.stdout, got.stderr)
					}
					if strings.Contains(out, previous) {
						t.Errorf("prints %s\nstdout:\n%s\nstderr:\n%s", envSecretPrevious, got.stdout, got.stderr)
					}
				})
			}
		})
	}
}
