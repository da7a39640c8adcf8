#!/usr/bin/env bash
# scripts/test.sh - the README's test command: go vet, then every test with the
# race detector in random order, then each native fuzz target briefly.
#
# Environment (optional):
#   FUZZTIME   how long each fuzz target runs (default 10s; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# go1.27.3: the toolchain go.mod names, served by the module proxy; govulncheck
# finds nothing reachable on it (machines with GOTOOLCHAIN=local, or an older
# Go that ignores go.mod's toolchain line, need the export).
export GOTOOLCHAIN=go1.27.3
# The race detector needs cgo, and so a C compiler.
if ! command -v gcc >/dev/null 2>&1; then
  echo "test: installing gcc for the race detector"
  apt-get update -qq && apt-get install -y -qq gcc >/dev/null
fi

go version
go vet ./...
go test -race -count=1 -shuffle=on ./...

fuzztime=${FUZZTIME:-10s}
if [ "$fuzztime" != "0" ]; then
  # Every func FuzzX in a _test.go file, by package.
  grep -rl --include='*_test.go' '^func Fuzz' internal | sort | while read -r file; do
    pkg="./$(dirname "$file")"
    grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
      echo "fuzz: $pkg $target for $fuzztime"
      go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg"
    done
  done
fi
echo "test: all passed"
