// Command hooklab builds, debugs and smoke-tests webhook endpoints.
// See the README or `hooklab --help`.
package main

import "os"

func main() {
	ctx, force, stop := notifyInterrupts()
	code := run(ctx, force, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
