package main

import "github.com/urfave/cli/v2"

// The flags listen, send and sign share, so that they read the same way.

func secretFlag() cli.Flag {
	return &cli.StringFlag{Name: "secret", Usage: "shared `SECRET` (visible to other local users: prefer --secret-file or " + envSecret + ")"}
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
