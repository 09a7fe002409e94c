package main

import (
	"os"
	"strings"
	"testing"
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
