// Command publisher-keys is a GitHub Action that checks App Store Connect and
// Google Play keys and keeps mos.portal apps supplied with them. Run without
// arguments it is the action; `publisher-keys sandbox` runs it against
// loopback stand-ins.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/sandbox"
	"github.com/mos-tools/publisher-keys/internal/version"
)

func main() {
	ctx, done := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	done()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	args := os.Args[1:]
	if len(args) == 0 {
		return action.Run(ctx, action.Deps{})
	}
	switch args[0] {
	case "sandbox":
		return sandbox.Main(ctx, args[1:], os.Stdout)
	case "version", "--version", "-version":
		fmt.Println(version.Version())
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q: run without arguments as the action, or use `sandbox` or `version`", args[0])
}

const usage = `Usage:
  publisher-keys            run as the GitHub Action: inputs from INPUT_* variables (see action.yml)
  publisher-keys sandbox    run the action against loopback stand-ins with throwaway keys (-h for its flags)
  publisher-keys version    print the version
`
