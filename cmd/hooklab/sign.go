package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/signing"
)

// signCommand prints the signature headers for a body.
func signCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "print the signature headers for a body, ready for curl -H",
		UsageText: "hooklab sign [--file PATH|-] [--secret S | --secret-file F]",
		Description: "Reads a body (standard input by default) and prints X-Hub-Signature-256 and the legacy\n" +
			"X-Hub-Signature, one 'Name: value' per line. The body is signed byte for byte.\n\n" +
			"Examples:\n" +
			"   printf %s 'Hello, World!' | hooklab sign --secret \"It's a Secret to Everybody\"\n" +
			"   curl http://127.0.0.1:8080/webhook -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \\\n" +
			"        -H \"$(hooklab sign --file ping.json | head -1)\" --data-binary @ping.json",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Value: "-", Usage: "sign the bytes of `PATH` (- for standard input)"},
			secretFlag(),
			secretFileFlag(),
			envFileFlag(envSecret),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("sign takes no arguments (use --file), got %q", c.Args().First())
			}
			return runSign(sys, signOptions{
				File: c.String("file"), Secret: c.String("secret"), SecretFile: c.String("secret-file"),
				EnvFile: c.String("env-file"), EnvFileSet: c.IsSet("env-file"),
			})
		},
	}
}

// signOptions is everything `hooklab sign` is told on its command line.
type signOptions struct {
	File               string
	Secret, SecretFile string
	EnvFile            string
	EnvFileSet         bool
}

// runSign prints the signature headers for a body, one per line.
func runSign(sys system, o signOptions) error {
	env, err := loadEnviron(sys.getenv, o.EnvFile, o.EnvFileSet)
	if err != nil {
		return err
	}
	s, err := configuredSecret(o.Secret, o.SecretFile, env)
	if err != nil {
		return err
	}
	if s.value == "" {
		return noSecretError(o.EnvFile, "")
	}
	body, _, err := readInput(sys, o.File)
	if err != nil {
		return usageErrorf("cannot read the body: %v", err)
	}
	scheme, err := signing.NewGitHub(s.value)
	if err != nil {
		return err
	}
	h, err := scheme.Sign(signing.Message{Body: body})
	if err != nil {
		return err
	}
	for _, name := range []string{signing.GitHubSignatureHeader, signing.GitHubLegacySignatureHeader} {
		fmt.Fprintf(sys.stdout, "%s: %s\n", name, h.Get(name))
	}
	return nil
}
