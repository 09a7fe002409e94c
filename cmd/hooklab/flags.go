package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/signing"
)

// The flags listen, send and sign share, so that they read the same way.

func secretFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "secret", KeepSpace: true, Usage: "shared `SECRET`; repeat it while rotating: the first signs, any verifies " +
		"(visible to other local users: prefer --secret-file or " + envSecret + ", with " + envSecretPrevious + " for the old one)"}
}

func providerFlag() cli.Flag {
	return &cli.StringFlag{Name: "provider", Value: signing.ProviderGitHub, Usage: "`NAME` of the signature scheme: " +
		strings.Join(signing.Providers(), ", ") + " [$" + envProvider + "]"}
}

func timestampFlag() cli.Flag {
	return &cli.Int64Flag{Name: "timestamp", Usage: "sign at `UNIX` time instead of now (stripe, standard, slack), for stale or fixed requests"}
}

func idFlag() cli.Flag {
	return &cli.StringFlag{Name: "id", Usage: "the delivery `ID` (default: a fresh one); Standard Webhooks signs it"}
}

func secretFileFlag() cli.Flag {
	return &cli.StringFlag{Name: "secret-file", Usage: "read the secret from `FILE` (one trailing newline dropped)"}
}

func envFileFlag(vars string) cli.Flag {
	return &cli.StringFlag{Name: "env-file", Value: defaultEnvFile, Usage: "read " + vars + " from `FILE` when not in the environment"}
}

func colorFlag() cli.Flag {
	return &cli.StringFlag{Name: "color", Value: string(colorAuto), Usage: "colour the output: `WHEN` auto, always or never (auto: only on a terminal without NO_COLOR)"}
}
