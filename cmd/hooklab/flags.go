package main

import (
	"github.com/fatih/color"
	"github.com/urfave/cli/v2"
)

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

// palette is one output's colours, all on or all off. It never touches
// the global color.NoColor.
type palette struct {
	bold, dim, ok, warn, bad *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		bold: mk(color.Bold), dim: mk(color.Faint), ok: mk(color.FgGreen, color.Bold),
		warn: mk(color.FgYellow, color.Bold), bad: mk(color.FgRed, color.Bold),
	}
}

// status returns the colour for an HTTP status: green 2xx, yellow 4xx,
// red otherwise.
func (p palette) status(code int) *color.Color {
	switch {
	case code >= 200 && code < 300:
		return p.ok
	case code >= 400 && code < 500:
		return p.warn
	}
	return p.bad
}
