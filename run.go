package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/ghout"
	"github.com/mos-tools/publisher-keys/internal/sandbox"
	"github.com/mos-tools/publisher-keys/internal/version"
)

// run is the whole program with the process passed in, in the manner of
// actionlint's Command.Main: the arguments after the program name, the
// environment and the job log in d (d.Getenv, d.Stdout: the action's own
// seams, which the sandbox and the version command print through too), and
// stderr for the final error; it returns the exit code. The end-to-end tests
// call it in-process, in parallel, each with its own environment and retry
// waits. Nothing reads stdin, so it is not passed.
func run(ctx context.Context, args []string, d action.Deps, stderr io.Writer) int {
	if err := realMain(ctx, args, d); err != nil {
		// The runner reads stderr as it reads stdout: the line goes through
		// the seam's escaping, so no text a wrapped error carries (a
		// server's, a file's) can become a workflow command.
		fmt.Fprintln(stderr, ghout.Plain(err.Error()))
		return 1
	}
	return 0
}

func realMain(ctx context.Context, args []string, d action.Deps) error {
	if len(args) == 0 {
		return action.Run(ctx, d)
	}
	switch args[0] {
	case "sandbox":
		return sandbox.Main(ctx, args[1:], d.Stdout)
	case "version", "--version", "-version":
		_, err := fmt.Fprintln(d.Stdout, version.Version())
		return err
	case "-h", "-help", "--help", "help":
		_, err := fmt.Fprint(d.Stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q: run without arguments as the action, or use `sandbox` or `version`", args[0])
}

const usage = `Usage:
  publisher-keys            run as the GitHub Action: inputs from INPUT_* variables (see action.yml)
  publisher-keys sandbox    run the action against loopback stand-ins with throwaway keys (-h for its flags)
  publisher-keys version    print the version
`
