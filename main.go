// Command publisher-keys is a GitHub Action that checks App Store Connect and
// Google Play keys and keeps mos.portal apps supplied with them. Run without
// arguments it is the action; `publisher-keys sandbox` runs it against
// loopback stand-ins.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mos-tools/publisher-keys/internal/action"
)

func main() {
	ctx, done := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], action.Deps{Getenv: os.Getenv, Stdout: os.Stdout}, os.Stderr)
	done()
	os.Exit(code)
}
