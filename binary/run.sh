#!/usr/bin/env bash
# binary/run.sh - what binary/action.yml runs: get the publisher-keys binary
# for this runner, then run it as the step.
#
# At a release commit (PUBLISHER_KEYS_RELEASE=vX.Y.Z, written by
# scripts/pin-release.sh) it downloads
#   <binary-download-url>/<tag>/publisher-keys-<os>-<arch>
# and runs it only if its SHA-256 is the one in SHA256SUMS beside this script,
# which was committed with the release: neither the download host nor a mirror
# can substitute a binary. On main (PUBLISHER_KEYS_RELEASE empty) it builds the
# binary from this action's own source with go build.
#
# The binary goes to a fresh folder under RUNNER_TEMP (or a mktemp folder when
# RUNNER_TEMP is unset), never into the workspace, and is removed when it is
# done. The inputs reach it as the step's INPUT_<NAME> variables, as in the
# container; it masks, writes the outputs and the summary itself. Its exit
# status is the step's.
#
# Runs on macOS's bash 3.2 as well as on Linux: no associative arrays, no
# ${x,,}, no mapfile, no empty "${array[@]}" under set -u.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
default_download_url=https://github.com/mos-tools/publisher-keys/releases/download

# fail TITLE MESSAGE: an error annotation (escaped as workflow commands need),
# then exit 1. Nothing has run.
cr=$'\r' nl=$'\n' pct=%
fail() {
	local msg=$2
	msg=${msg//$pct/%25}
	msg=${msg//$cr/%0D}
	msg=${msg//$nl/%0A}
	printf '::error title=%s::%s\n' "$1" "$msg"
	exit 1
}

case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) os="" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
arm64 | aarch64) arch=arm64 ;;
*) arch="" ;;
esac
if [[ -z $os || -z $arch ]]; then
	fail "Unsupported runner" "publisher-keys/binary runs on Linux and macOS, amd64 and arm64; this runner is $(uname -s) $(uname -m). Run the step on such a runner (on Linux, the Docker action mos-tools/publisher-keys@v1 works too)."
fi
asset=publisher-keys-$os-$arch

if [[ -n ${RUNNER_TEMP:-} ]]; then
	dir=$(mktemp -d "$RUNNER_TEMP/publisher-keys.XXXXXX")
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/publisher-keys.XXXXXX")
fi
trap 'rm -rf "$dir"' EXIT
bin=$dir/publisher-keys

# sha256 FILE: its SHA-256 in lowercase hex, with sha256sum (Linux) or
# shasum -a 256 (macOS).
sha256() {
	local sum
	if command -v sha256sum >/dev/null 2>&1; then
		sum=$(sha256sum <"$1")
	elif command -v shasum >/dev/null 2>&1; then
		sum=$(shasum -a 256 <"$1")
	else
		return 1
	fi
	printf '%s\n' "${sum%% *}"
}

release=${PUBLISHER_KEYS_RELEASE:-}
if [[ -n $release ]]; then
	sums=$here/SHA256SUMS
	want=""
	if [[ -f $sums ]]; then
		want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$sums")
	fi
	hex_re='^[0-9a-f]{64}$'
	[[ $want =~ $hex_re ]] ||
		fail "Missing checksum" "binary/SHA256SUMS of $release has no single valid line for $asset, so nothing can be checked and nothing is run. The release commit was not pinned completely (scripts/pin-release.sh writes that file): use another release, and report it."

	# printenv, because bash cannot name a variable with a hyphen.
	base=$(printenv 'INPUT_BINARY-DOWNLOAD-URL' || true)
	base=${base:-$default_download_url}
	base=${base%/}
	url=$base/$release/$asset
	echo "publisher-keys: downloading $asset of $release from $url"
	code=000 curl_rc=0
	code=$(curl --silent --show-error --location --proto '=https,http' \
		--connect-timeout 20 --max-time 300 --retry 3 \
		--output "$bin" --write-out '%{http_code}' "$url" 2>"$dir/curl.log") || curl_rc=$?
	if ((curl_rc != 0)) || [[ $code != 200 ]]; then
		if [[ $code != 000 && -n $code ]]; then
			why="HTTP $code"
		else
			why="no HTTP answer ($(tr '\n' ' ' <"$dir/curl.log" | cut -c 1-300))"
		fi
		fail "Binary download failed" "could not download $asset of $release from $url: $why. Nothing was run. On GitHub Enterprise Server, or where github.com is out of reach, set the input binary-download-url to a base URL that serves <tag>/$asset (now $base); the download is checked against binary/SHA256SUMS wherever it comes from."
	fi

	got=$(sha256 "$bin") ||
		fail "No SHA-256 tool" "neither sha256sum nor shasum is on PATH, so the download cannot be checked and is not run. Install coreutils (sha256sum) or Perl's shasum on the runner."
	if [[ $got != "$want" ]]; then
		rm -f "$bin"
		fail "Checksum mismatch" "$asset downloaded from $url has SHA-256 $got, but binary/SHA256SUMS of $release expects $want. It was deleted, not run. The host behind binary-download-url served another file than the release's: check that it mirrors the release $release unchanged."
	fi
	chmod +x "$bin"
	echo "publisher-keys: $asset of $release, SHA-256 $got as in binary/SHA256SUMS"
else
	command -v go >/dev/null 2>&1 ||
		fail "Go not found" "at this commit (not a release, e.g. @main or uses: ./binary) the action builds itself from source and needs go on PATH. Add a step uses: actions/setup-go before it, or use a release, e.g. uses: mos-tools/publisher-keys/binary@v1, which downloads a prebuilt binary instead."
	src=$(cd "$here/.." && pwd)
	# go.mod's toolchain line decides the Go version unless the caller chose one;
	# go.work files and GOFLAGS=-mod=mod of the caller's project stay out of it.
	toolchain=${GOTOOLCHAIN:-auto}
	# In $src, so that it names the Go go.mod selects, which builds it.
	version=$(cd "$src" && GOTOOLCHAIN=$toolchain GOWORK=off go version 2>&1) || version="(go version failed: $version)"
	echo "publisher-keys: building from source in $src with $version (GOTOOLCHAIN=$toolchain)"
	if ! (cd "$src" && GOTOOLCHAIN=$toolchain GOWORK=off CGO_ENABLED=0 go build -mod=readonly -trimpath -o "$bin" .) >"$dir/build.log" 2>&1; then
		cat "$dir/build.log"
		hint="See the go build output above."
		if grep -q 'requires go >=' "$dir/build.log"; then
			hint="The Go on PATH is older than the action's go.mod asks for, and GOTOOLCHAIN=$toolchain keeps it from fetching the toolchain go.mod names: set up a Go at least that new with actions/setup-go, or set GOTOOLCHAIN: auto in this step's env."
		fi
		fail "Build failed" "go build of the action's source in $src failed. $hint"
	fi
fi

rc=0
"$bin" || rc=$?
exit "$rc"
