package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/signing"
)

// secretCommand prints a new random secret in a provider's form.
func secretCommand(sys system, onUsageError cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "secret",
		Usage:     "print a new random secret in a provider's form",
		UsageText: "hooklab secret [--provider NAME]",
		Description: "Prints 32 random bytes as a secret: whsec_ and base64 for Standard Webhooks, hex for the\n" +
			"others. Put it in WEBHOOK_SECRET (or .env) for listen and send, and in the sender's settings.\n\n" +
			"Examples:\n" +
			"   hooklab secret > secret.txt && hooklab listen --secret-file secret.txt\n" +
			"   echo \"WEBHOOK_SECRET=$(hooklab secret --provider standard)\" >> .env",
		OnUsageError: onUsageError,
		Flags:        []cli.Flag{providerFlag(), envFileFlag(envProvider)},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("secret takes no arguments, got %q", c.Args().First())
			}
			env, err := loadEnviron(sys.getenv, c.String("env-file"), c.IsSet("env-file"))
			if err != nil {
				return err
			}
			name, err := resolveProvider(c.String("provider"), c.IsSet("provider"), env)
			if err != nil {
				return err
			}
			s, err := signing.NewSecret(name, sys.random)
			if err != nil {
				return err
			}
			// What it makes, its scheme must take (a whsec_ key of 32 bytes).
			if _, err := signing.New(name, []string{s}, signing.Options{}); err != nil {
				return err
			}
			fmt.Fprintln(sys.stdout, s)
			return nil
		},
	}
}
