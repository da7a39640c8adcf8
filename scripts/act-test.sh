#!/usr/bin/env bash
# act-test.sh: run this repository's actions under a real workflow runner,
# nektos/act, against the sandbox's loopback stand-ins of App Store Connect,
# Google and mos.portal, with scripts/act/workflow.yml:
#
#   docker    `uses: ./`, the Docker action, from a busybox job container
#   source    `uses: ./binary` on main: the composite action builds the binary
#             from this checkout with go build (self-hosted mode, as on macOS)
#   release   `uses: ./binary` at a release commit: pin-release.sh run on a
#             scratch copy, with the checksums of a binary built here and
#             served over loopback through binary-download-url
#   tampered  the same, with a binary that does not match its checksum: the
#             step must fail before the binary runs
#
# container-test.sh imitates the runner's `docker run` by hand, and an
# imitation agrees with itself; act is the widely used local runner, so what it
# does with action.yml, inputs, outputs and masks is an independent reading.
# Each case gets fresh stand-ins; a later step of the workflow checks the
# outputs (valid, asc-fingerprint, results, ...); this script checks that no
# key line nor the mos token appears in act's log, and, from the request
# counts the stand-ins write when they stop, which cases reached them.
#
# Needs: root, Debian's apt (docker.io, busybox-static, ca-certificates,
# openssl and curl are installed when missing), git, the Go module proxy (act is built
# with go install into the tools cache scripts/lint.sh uses). No image is
# pulled: scripts/docker/engine.sh starts a dockerd of its own and stands in
# for the Dockerfile's base image and the job container with `docker import`.
#
# Usage: bash scripts/act-test.sh          (as root; .ci/run calls it)
#        ACT_TEST_KEEP=1 keeps each case's act log, vars and stand-in files in
#        the temp dir it names at the end.
# Prints one summary line starting with "act-test: PASS" and exits 0, or says
# what failed and exits 1. It never passes by skipping.
set -euo pipefail

ACT_VERSION=v0.2.89 # github.com/nektos/act
GO_TOOLCHAIN=go1.27.3

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GOTOOLCHAIN=$GO_TOOLCHAIN
cache_dir=${LINT_CACHE_DIR:-${HOME:?HOME must be set}/.cache/publisher-keys}
tools_dir=${TOOLS_DIR:-$cache_dir/tools}
# Short, directly under /tmp: dockerd's unix socket lives in it.
tmp=$(mktemp -d /tmp/pk-act.XXXXXX)
tag=v0.0.0-act-test # the release pin-release.sh pins in the scratch copy
docker_version=v0.0.0-act-test-docker
job_image=pk-act-job:busybox

log() { printf 'act-test: %s\n' "$*"; }
die() {
	printf 'act-test: FAIL: %s\n' "$*" >&2
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# shellcheck source=scripts/docker/engine.sh
. "$root/scripts/docker/engine.sh"

declare -A sandbox_pids=()
httpd_pid=
cleanup() {
	local rc=$? name
	set +e
	for name in "${!sandbox_pids[@]}"; do
		kill -TERM "${sandbox_pids[$name]}" 2>/dev/null
		wait "${sandbox_pids[$name]}" 2>/dev/null
	done
	if [[ -n $httpd_pid ]]; then
		kill -TERM "$httpd_pid" 2>/dev/null
		wait "$httpd_pid" 2>/dev/null
	fi
	engine_cleanup "${ACT_TEST_KEEP:-}" act-test act/cache
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $(id -u) -eq 0 ]] || die "run as root: it starts its own dockerd"
for f in action.yml Dockerfile scripts/act/workflow.yml scripts/act/check-outputs.sh; do
	[[ -f $root/$f ]] || die "no $f in $root"
done
started=$(now_ms)

# --- Tools ------------------------------------------------------------------
engine_packages busybox-static ca-certificates openssl curl
command -v go >/dev/null || die "go is not on PATH"
command -v git >/dev/null || die "git is not on PATH"

# act at a pinned version, built with the pinned Go into the tools cache,
# rebuilt only when the cached binary is another version.
act_bin=$tools_dir/bin/act
if ! go version -m "$act_bin" 2>/dev/null | awk -v v="$ACT_VERSION" -v g="$GO_TOOLCHAIN" '
	NR == 1 && $2 == g { go = 1 } $1 == "mod" && $2 == "github.com/nektos/act" && $3 == v { act = 1 }
	END { exit !(go && act) }'; then
	log "installing github.com/nektos/act@$ACT_VERSION into $tools_dir/bin"
	mkdir -p "$tools_dir/bin" "$tmp/gobuild"
	# Outside any module, so the repo's go.mod/go.sum are never touched.
	(cd "$tmp/gobuild" && GOBIN=$tools_dir/bin go install "github.com/nektos/act@$ACT_VERSION") ||
		die "go install github.com/nektos/act@$ACT_VERSION failed"
fi
"$act_bin" --version | grep -qx "act version ${ACT_VERSION#v}" || die "$act_bin is not act $ACT_VERSION"

# --- The binary: the stand-ins' server and the release asset -----------------
goos=$(go env GOOS)
goarch=$(go env GOARCH)
asset=publisher-keys-$goos-$goarch
mkdir -p "$tmp/bin" "$tmp/dl/$tag"
log "building $asset ($tag)"
(cd "$root" && CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/mos-tools/publisher-keys/internal/version.version=$tag" \
	-o "$tmp/bin/publisher-keys" .) || die "go build failed"
binary=$tmp/bin/publisher-keys

# --- Scratch checkouts ----------------------------------------------------------
# The working tree's files (tracked and untracked, not ignored), committed in a
# repository of their own: act reads the commit, the actions run from it, and
# `git status` shows whatever a run leaves behind.
checkout() { # checkout DIR
	local dir=$1 f
	mkdir -p "$dir"
	git -C "$root" ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
		[[ -e $root/$f || -L $root/$f ]] && printf '%s\0' "$f"
	done | tar -C "$root" --null -T - -cf - | tar -C "$dir" -xf -
	git -C "$dir" init -q -b main
	git -C "$dir" add -A
	git -C "$dir" -c user.name=act-test -c user.email=act-test@localhost -c commit.gpgsign=false \
		commit -q -m "act-test checkout" || die "could not commit the scratch checkout $dir"
}
checkout "$tmp/repo"

# --- A Docker engine of our own, the action's image, the job container -----------
engine_start pk-act
engine_import_bases "$root/Dockerfile"
engine_import_busybox "$job_image"
# act builds a local Docker action's image itself, but its build gets no
# network here; with the image present and --rebuild=false it uses this one,
# built from the same Dockerfile under the name act gives it.
log "building act-dockeraction:latest from the Dockerfile"
t0=$(now_ms)
docker build --network host --progress=plain \
	--build-arg GOPROXY="$(go env GOPROXY)" --build-arg VERSION="$docker_version" \
	-t act-dockeraction:latest "$tmp/repo" >"$tmp/build.log" 2>&1 ||
	{ tail -n 40 "$tmp/build.log"; die "docker build failed (log above)"; }
build_ms=$(($(now_ms) - t0))

# --- Stand-ins and act -----------------------------------------------------------
start_sandbox() { # start_sandbox CASE: fresh stand-ins in $tmp/cases/CASE/sandbox
	local dir="$tmp/cases/$1/sandbox"
	mkdir -p "$dir"
	"$binary" sandbox -serve -dir "$dir" >"$tmp/cases/$1/sandbox.log" 2>&1 &
	sandbox_pids[$1]=$!
	for _ in $(seq 1 100); do
		[[ -e $dir/ready ]] && return 0
		kill -0 "${sandbox_pids[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/cases/$1/sandbox.log"
	die "sandbox -serve for $1 was not ready within 10s"
}
stop_sandbox() { # stop_sandbox CASE: stop it; it writes sandbox/requests
	kill -TERM "${sandbox_pids[$1]}" 2>/dev/null || true
	wait "${sandbox_pids[$1]}" || die "sandbox -serve for $1 failed: $(cat "$tmp/cases/$1/sandbox.log")"
	unset "sandbox_pids[$1]"
	[[ -f $tmp/cases/$1/sandbox/requests ]] || die "sandbox -serve for $1 wrote no request counts"
}
requests() { # requests CASE STAND-IN: how many requests reached it
	awk -v s="$2" '$1 == s { print $2 }' "$tmp/cases/$1/sandbox/requests"
}

# vars CASE NAME=VALUE...: the act --var-file of a case, YAML block scalars so
# that keys and JSON need no quoting. The stand-ins' addresses and keys are
# read from the files sandbox -serve wrote.
vars() {
	local case=$1 kv sb="$tmp/cases/$1/sandbox" fp
	shift
	fp=$(openssl pkey -in "$sb/asc-key.p8" -pubout -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr -d '=')
	[[ ${#fp} -eq 43 ]] || die "openssl could not fingerprint the sandbox key"
	{
		for kv in "ASC_KEY=$(cat "$sb/asc-key.p8")" "ASC_KEY_ID=$(cat "$sb/asc-key-id")" \
			"ASC_ISSUER_ID=$(cat "$sb/asc-issuer-id")" "ASC_API_URL=$(cat "$sb/asc-api-url")" \
			"PLAY_SERVICE_ACCOUNT=$(cat "$sb/play-service-account.json")" \
			"PLAY_PACKAGE_NAMES=$(cat "$sb/play-package-names")" "PLAY_API_URL=$(cat "$sb/play-api-url")" \
			"MOS_URL=$(cat "$sb/mos-url")" "MOS_TOKEN=$(cat "$sb/mos-token")" \
			"MOS_PROJECT=$(cat "$sb/mos-project")" "MOS_APPS=$(cat "$sb/mos-apps")" \
			"WANT_ASC_FINGERPRINT=SHA256:$fp" "$@"; do
			printf '%s: |-\n' "${kv%%=*}"
			printf '%s\n' "${kv#*=}" | sed 's/^/  /'
		done
	} >"$tmp/cases/$case/vars.yml"
}

# The secrets: every line of both private keys and the token. Each must appear
# nowhere in act's log: act prints what the action printed, with what the
# action masked replaced by ***.
secrets() { # secrets CASE
	local sb="$tmp/cases/$1/sandbox"
	grep -v -- '-----' "$sb/asc-key.p8"
	sed -n 's/^ *"private_key": "\(.*\)",*$/\1/p' "$sb/play-service-account.json" |
		sed 's/\\n/\n/g' | grep -v -- '-----'
	sed -n 's/^ *"private_key": "\(.*\)",*$/\1/p' "$sb/play-service-account.json"
	cat "$sb/mos-token"
	echo
}
leaks() { # leaks CASE FILE: print the first secret FILE holds
	local s
	while IFS= read -r s; do
		[[ ${#s} -ge 8 ]] || continue
		if grep -qF -- "$s" "$2"; then
			printf '%s\n' "$s"
			return 0
		fi
	done < <(secrets "$1")
	return 1
}

export_go_env() { # Go in act's host steps keeps this machine's caches and config
	local v
	for v in GOPATH GOMODCACHE GOCACHE GOENV GOPROXY; do
		export "$v=$(go env "$v")"
	done
}
export_go_env
mkdir -p "$tmp/act/home" "$tmp/act/cache"
: >"$tmp/act/empty"
# run_case CASE CHECKOUT JOB [NAME=VALUE...] -- [act flags...]: fresh
# stand-ins, the case's vars (these added), then act's job JOB in CHECKOUT,
# with its log in cases/CASE/act.log, its exit code in act_rc, and the file
# server's log lines of the case in cases/CASE/downloads. HOME and
# XDG_CONFIG_HOME of its own so that no .actrc of the machine's user changes
# what act does; no cache server, no docker socket in the job container,
# nothing pulled or rebuilt.
run_case() {
	local case=$1 dir=$2 job=$3 extra=() t0 mark
	shift 3
	while (($#)) && [[ $1 != -- ]]; do
		extra+=("$1")
		shift
	done
	shift
	mkdir -p "$tmp/cases/$case"
	start_sandbox "$case"
	vars "$case" "${extra[@]}"
	mark=$(wc -l <"$tmp/httpd.log")
	t0=$(now_ms)
	set +e
	(cd "$dir" && env "${act_env[@]}" HOME="$tmp/act/home" XDG_CONFIG_HOME="$tmp/act/home/.config" \
		timeout 600 "$act_bin" push -W scripts/act/workflow.yml -j "$job" \
		--var-file "$tmp/cases/$case/vars.yml" --secret-file "$tmp/act/empty" -s GITHUB_TOKEN= \
		--env-file "$tmp/act/empty" --input-file "$tmp/act/empty" \
		--pull=false --rebuild=false --no-cache-server --container-daemon-socket - \
		--action-cache-path "$tmp/act/cache" "$@") >"$tmp/cases/$case/act.log" 2>&1
	act_rc=$?
	set -e
	act_ms[$case]=$(($(now_ms) - t0))
	tail -n "+$((mark + 1))" "$tmp/httpd.log" >"$tmp/cases/$case/downloads"
	stop_sandbox "$case"
}
declare -A act_ms=()
act_env=() # env(1) arguments for the next run_case
: >"$tmp/httpd.log"

# --- Assertions -------------------------------------------------------------------
# Failures are counted, so that one run shows all that is wrong.
failures=0
fail() {
	printf 'act-test:   - %s\n' "$*" >&2
	failures=$((failures + 1))
}
want_log() { grep -Eq -- "$2" "$tmp/cases/$1/act.log" || fail "$1: no line matching /$2/ in act's log"; }
want_no_log() { ! grep -Eq -- "$2" "$tmp/cases/$1/act.log" || fail "$1: a line matches /$2/ in act's log"; }
want_no_secrets() {
	local s
	if s=$(leaks "$1" "$tmp/cases/$1/act.log"); then
		fail "$1: a secret (a key line or the mos token, ${#s} characters) appears in act's log"
	fi
}
# The leak check itself must see a leak: a log line holding one key line.
check_leak_check() {
	local probe="$tmp/cases/$1/probe.log"
	printf '[act-test/docker-action]   | %s\n' "$(sed -n 2p "$tmp/cases/$1/sandbox/asc-key.p8")" >"$probe"
	leaks "$1" "$probe" >/dev/null || die "the leak check does not see a key line in a log"
	printf '[act-test/docker-action]   | %s\n' "$(cat "$tmp/cases/$1/sandbox/mos-token")" >"$probe"
	leaks "$1" "$probe" >/dev/null || die "the leak check does not see the mos token in a log"
	# A line of the service account's RSA key, as the JSON holds it (\n escaped).
	sed -n 's/^ *"private_key": "\(.*\)",*$/\1/p' "$tmp/cases/$1/sandbox/play-service-account.json" |
		sed 's/\\n/\n/g' | sed -n 5p >"$probe"
	[[ -s $probe ]] && leaks "$1" "$probe" >/dev/null || die "the leak check does not see a line of the Play key in a log"
}
# The outputs check of the workflow must pass good outputs and fail wrong
# ones; run here under busybox sh, the job container's shell.
check_outputs() { # check_outputs RESULTS [NAME=VALUE...]: its exit code
	env VALID=true PLAY_VALID=true UPLOADED=true ASC_KEY_ID=KEY0000001 WANT_KEY_ID=KEY0000001 \
		ASC_FINGERPRINT=SHA256:fp WANT_FINGERPRINT=SHA256:fp WANT_APPS=a,b RESULTS="$1" "${@:2}" \
		busybox sh "$root/scripts/act/check-outputs.sh" >/dev/null
}
check_the_checker() {
	local r='{"platform":"ios","app":"a","status":"uploaded"},{"platform":"ios","app":"b","status":"uploaded"},'
	r+='{"platform":"android","app":"a","status":"uploaded"},{"platform":"android","app":"b","status":"%s"}'
	# shellcheck disable=SC2059 # r is the format on purpose
	check_outputs "[$(printf "$r" uploaded)]" || die "scripts/act/check-outputs.sh fails outputs that are right"
	local bad
	for bad in "[$(printf "$r" failed)]" "[$(printf "$r" uploaded)" "[${r%,*}]"; do
		! check_outputs "$bad" || die "scripts/act/check-outputs.sh passes wrong results: $bad"
	done
	for bad in VALID=false PLAY_VALID= UPLOADED=false ASC_KEY_ID=KEY0000002 ASC_FINGERPRINT=SHA256:other WANT_FINGERPRINT=; do
		! check_outputs "[$(printf "$r" uploaded)]" "$bad" || die "scripts/act/check-outputs.sh passes $bad"
	done
}
want_requests() { # CASE: every stand-in was reached
	local s n
	for s in app-store-connect mos-portal google; do
		n=$(requests "$1" "$s")
		((n > 0)) || fail "$1: no request reached the $s stand-in"
	done
}
want_clean() { # CASE CHECKOUT: nothing left in the workspace
	local left
	left=$(git -C "$2" status --porcelain --ignored --untracked-files=all)
	[[ -z $left ]] || fail "$1: the run left files in the checkout: $left"
}
report() { # CASE: the end of act's log, masks and all
	printf -- '--- %s: act exit %s; the end of its log:\n' "$1" "$act_rc" >&2
	tail -n 60 "$tmp/cases/$1/act.log" >&2 || true
}
mark=$failures
verdict() { # CASE DESCRIPTION
	want_no_secrets "$1"
	if ((failures > mark)); then
		report "$1"
	else
		log "ok   $1: $2 ($(secs "${act_ms[$1]}")s)"
	fi
	mark=$failures
}
# act prints an ::add-mask:: command as this line, never the value.
mask_line='⚙  \*\*\*$'

# --- docker: uses: ./ in a job container ------------------------------------------
check_the_checker
run_case docker "$tmp/repo" docker-action -- -b -P "ubuntu-latest=$job_image"
check_leak_check docker
((act_rc == 0)) || fail "docker: act exited $act_rc, want 0"
want_log docker 'act-check: outputs ok'
want_log docker "$mask_line"
want_log docker "mos publisher-keys $docker_version "
want_requests docker
want_clean docker "$tmp/repo"
verdict docker "uses: ./ (Docker action) in a busybox job container: outputs checked by a later step, keys masked"

# --- The release: pin-release.sh on a copy, the binaries served on loopback -----
# The composite action's cases need both; without them the test fails here.
for f in binary/action.yml scripts/pin-release.sh; do
	[[ -f $tmp/repo/$f ]] || die "no $f in $root: the act test runs the composite action, on main and pinned by scripts/pin-release.sh"
done
# SUMS has the four assets' lines, as release.yml's SHA256SUMS does; only this
# machine's binary is real, the three others are never fetched here.
for name in publisher-keys-{linux,darwin}-{amd64,arm64}; do
	if [[ $name == "$asset" ]]; then
		cp "$binary" "$tmp/dl/$tag/$name"
	else
		printf 'placeholder for %s: act-test.sh fetches only %s\n' "$name" "$asset" >"$tmp/dl/$tag/$name"
	fi
done
(cd "$tmp/dl/$tag" && sha256sum publisher-keys-*) >"$tmp/SHA256SUMS"
digest=$(docker image inspect -f '{{.Id}}' act-dockeraction:latest)
cp -a "$tmp/repo" "$tmp/repo-release"
(cd "$tmp/repo-release" && bash scripts/pin-release.sh "$tag" "$digest" "$tmp/SHA256SUMS") \
	>"$tmp/pin-release.log" 2>&1 || { cat "$tmp/pin-release.log"; die "pin-release.sh $tag failed"; }
git -C "$tmp/repo-release" add -A
git -C "$tmp/repo-release" diff --cached >"$tmp/pin-release.diff"
git -C "$tmp/repo-release" -c user.name=act-test -c user.email=act-test@localhost -c commit.gpgsign=false \
	commit -q -m "release $tag" || die "pin-release.sh changed nothing in the scratch copy"

# busybox httpd on a free loopback port, logging every request to httpd.log.
: >"$tmp/httpd.conf"
for _ in $(seq 1 10); do
	port=$((20000 + RANDOM % 20000))
	busybox httpd -f -vv -c "$tmp/httpd.conf" -p "127.0.0.1:$port" -h "$tmp/dl" 2>>"$tmp/httpd.log" &
	httpd_pid=$!
	for _ in $(seq 1 50); do
		kill -0 "$httpd_pid" 2>/dev/null || break
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break 2
		sleep 0.1
	done
	kill -TERM "$httpd_pid" 2>/dev/null
	wait "$httpd_pid" 2>/dev/null || true
	httpd_pid=
done
[[ -n $httpd_pid ]] || { cat "$tmp/httpd.log"; die "busybox httpd did not start on loopback"; }
download_url=http://127.0.0.1:$port
want_fetched() { # CASE: the case downloaded this machine's asset of the release
	grep -q ": url:/$tag/$asset\$" "$tmp/cases/$1/downloads" ||
		fail "$1: $download_url/$tag/$asset was never requested"
}

# --- source: uses: ./binary on main, built from the checkout ------------------------
# As on a runner whose Go is older than go.mod's: no GOTOOLCHAIN from here.
act_env=(-u GOTOOLCHAIN)
run_case source "$tmp/repo" binary-action "CHECKOUT=$tmp/repo" "BINARY_DOWNLOAD_URL=$download_url" \
	-- -P ubuntu-latest=-self-hosted
act_env=()
((act_rc == 0)) || fail "source: act exited $act_rc, want 0"
want_log source 'act-check: outputs ok'
want_log source 'act-check: workspace clean'
want_log source "$mask_line"
want_log source 'mos publisher-keys '
want_no_log source "mos publisher-keys $tag "
[[ ! -s $tmp/cases/source/downloads ]] || fail "source: on main the composite action downloaded something: $(cat "$tmp/cases/source/downloads")"
want_requests source
want_clean source "$tmp/repo"
verdict source "uses: ./binary on main: built from source, outputs checked, workspace clean"

# --- release: uses: ./binary pinned by pin-release.sh, binary over loopback ---------
run_case release "$tmp/repo-release" binary-action "CHECKOUT=$tmp/repo-release" "BINARY_DOWNLOAD_URL=$download_url" \
	-- -P ubuntu-latest=-self-hosted
((act_rc == 0)) || fail "release: act exited $act_rc, want 0"
want_log release 'act-check: outputs ok'
want_log release 'act-check: workspace clean'
want_log release "$mask_line"
want_log release "mos publisher-keys $tag "
want_fetched release
want_requests release
want_clean release "$tmp/repo-release"
verdict release "uses: ./binary at a release commit: $asset fetched from binary-download-url, checksum ok, outputs checked"

# --- tampered: the served binary no longer matches binary/SHA256SUMS -----------------
# Still a working binary (bytes appended to an ELF file do not stop it), so a
# composite action that ran it regardless would reach the stand-ins.
printf 'tampered by act-test\n' >>"$tmp/dl/$tag/$asset"
"$tmp/dl/$tag/$asset" version | grep -qx "$tag" || die "the tampered binary does not run: the case would prove nothing"
run_case tampered "$tmp/repo-release" binary-action "CHECKOUT=$tmp/repo-release" "BINARY_DOWNLOAD_URL=$download_url" \
	-- -P ubuntu-latest=-self-hosted
((act_rc != 0)) || fail "tampered: act exited 0: a binary that does not match its checksum was accepted"
want_log tampered '::error title=[^:]*::'
grep -E '::error title=' "$tmp/cases/tampered/act.log" | grep -iE 'checksum|sha-?256' | grep -iqE 'not match|mismatch' ||
	fail "tampered: no ::error annotation saying the checksum does not match"
want_no_log tampered 'act-check: outputs ok'
want_no_log tampered "$mask_line"
want_no_log tampered 'mos publisher-keys '
want_fetched tampered # so its checksum was checked, not the download refused
for s in app-store-connect mos-portal google; do
	[[ $(requests tampered "$s") == 0 ]] || fail "tampered: $(requests tampered "$s") request(s) reached the $s stand-in"
done
want_clean tampered "$tmp/repo-release"
verdict tampered "a tampered binary: refused with an ::error before it ran, no request reached the stand-ins"

((failures == 0)) || die "$failures assertion(s) failed (details above)"
log "the refusal: $(grep -E '::error title=' "$tmp/cases/tampered/act.log" | head -n 1 | sed 's/.*\(::error\)/\1/')"
log "PASS act $ACT_VERSION: docker $(secs "${act_ms[docker]}")s, source $(secs "${act_ms[source]}")s, release $(secs "${act_ms[release]}")s, tampered $(secs "${act_ms[tampered]}")s; image build $(secs "$build_ms")s; total $(secs $(($(now_ms) - started)))s"
