#!/usr/bin/env bash
# scripts/pin-release-test.sh - the pin-release.sh tests, actionlint included
# (issue 9). .ci/run calls it after scripts/lint.sh, which installs actionlint.
#
# `go test ./...` runs the same tests but skips the actionlint one when
# ACTIONLINT is unset (a developer's machine may not have it); this script
# sets ACTIONLINT to the actionlint lint.sh installs and fails if there is
# none, or if anything was skipped, so CI never passes by skipping.
#
# Environment (optional): ACTIONLINT, or TOOLS_DIR / LINT_CACHE_DIR as in
# scripts/lint.sh to find it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=go1.27.3

cache_dir=${LINT_CACHE_DIR:-${HOME:?HOME must be set}/.cache/publisher-keys}
export ACTIONLINT=${ACTIONLINT:-${TOOLS_DIR:-$cache_dir/tools}/bin/actionlint}
if [[ ! -x $ACTIONLINT ]]; then
	echo "pin-release-test: FAILED: no actionlint at $ACTIONLINT; run scripts/lint.sh first (it installs it)" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
go test -count=1 -v -run '^(TestPinRelease|TestPinReleaseRefuses|TestPinReleaseActionlint|TestBinaryActionMatchesRoot)$' \
	. >"$log" 2>&1 || rc=$?
grep -E '^(--- |ok |FAIL|PASS$)' "$log" || true
if ((rc != 0)); then
	cat "$log" >&2
	echo "pin-release-test: FAILED" >&2
	exit 1
fi
if grep -q -- '--- SKIP' "$log"; then
	grep -B2 -A2 -- '--- SKIP' "$log" >&2
	echo "pin-release-test: FAILED: a test was skipped" >&2
	exit 1
fi
echo "pin-release-test: PASS ($("$ACTIONLINT" -version | head -n 1))"
