#!/usr/bin/env bash
# container-test.sh: build the action's image from the Dockerfile and run it
# exactly as the GitHub runner runs a Docker action, against the sandbox's
# loopback stand-ins of App Store Connect and mos.portal.
#
# Unit tests cannot see a Dockerfile that does not build, a wrong entrypoint or
# an image whose user cannot write /github/file_commands; this can.
#
# Needs: root, Debian's apt (docker.io, busybox-static, ca-certificates, openssl
# and socat are installed when missing), the Go module proxy. No image is pulled:
# the base images named in the Dockerfile's FROM lines are stood in for with
# `docker import`. The script starts its own dockerd (no bridge, no iptables,
# its own socket and data under a temp dir) and stops it on exit; both are
# scripts/docker/engine.sh, shared with scripts/act-test.sh.
#
# Usage: bash scripts/container-test.sh          (as root; .ci/run calls it)
#        CONTAINER_TEST_KEEP=1 keeps each case's workspace, outputs, summary
#        and log, and the build logs, in the temp dir it names at the end.
# Prints one summary line starting with "container-test: PASS" and exits 0, or
# says what failed and exits 1. It never passes by skipping.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GOTOOLCHAIN=go1.27.3
# Everything about the test's Docker lives in this temp dir; unix socket paths
# must stay short, so keep it directly under /tmp.
tmp=$(mktemp -d /tmp/pk-ct.XXXXXX)
image=publisher-keys:container-test
version=v0.0.0-container-test
image_budget=$((15 * 1024 * 1024))
binary_budget=$((10 * 1024 * 1024))

log() { printf 'container-test: %s\n' "$*"; }
die() {
	printf 'container-test: FAIL: %s\n' "$*" >&2
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# shellcheck source=scripts/docker/engine.sh
. "$root/scripts/docker/engine.sh"

sandbox_pid=
tls_dir=
cleanup() {
	local rc=$?
	set +e
	[[ -n $tls_dir ]] && bash "$root/scripts/docker/sandbox-tls.sh" stop "$tls_dir"
	if [[ -n $sandbox_pid ]]; then
		kill -TERM "$sandbox_pid" 2>/dev/null
		wait "$sandbox_pid" 2>/dev/null
	fi
	engine_cleanup "${CONTAINER_TEST_KEEP:-}" container-test save
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $(id -u) -eq 0 ]] || die "run as root: it starts its own dockerd"
[[ -f $root/Dockerfile ]] || die "no Dockerfile in $root"
[[ -f $root/action.yml ]] || die "no action.yml in $root"

# --- Tools ------------------------------------------------------------------
engine_packages busybox-static ca-certificates openssl socat
command -v go >/dev/null || die "go is not on PATH"

# --- A Docker engine of our own, and stand-ins for the FROM images -------------
engine_start pk-ct
engine_import_bases "$root/Dockerfile"

# --- Build: cold, warm, and with the legacy builder ----------------------------
build() { # build LOG TAG [docker build args...]
	local logf=$1 tag=$2
	shift 2
	docker build --network host --progress=plain \
		--build-arg GOPROXY="$(go env GOPROXY)" \
		--build-arg REVISION="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
		-t "$tag" -f "$root/Dockerfile" "$@" "$root" >"$logf" 2>&1 ||
		{ tail -n 40 "$logf"; die "docker build failed (log above)"; }
}

log "cold build (empty build cache, empty module cache)"
t0=$(now_ms)
build "$tmp/build-cold.log" "$image-cold" --no-cache --build-arg VERSION="$version-cold"
cold_ms=$(($(now_ms) - t0))

# A new VERSION invalidates only the layers after the module download, as a
# code change does: the modules must come from the cache.
log "warm build (modules cached, binary rebuilt)"
t0=$(now_ms)
build "$tmp/build-warm.log" "$image" --build-arg VERSION="$version"
warm_ms=$(($(now_ms) - t0))
grep -A2 'RUN go mod download' "$tmp/build-warm.log" | grep -q CACHED ||
	{ cat "$tmp/build-warm.log"; die "warm build downloaded the modules again: the cached layer did not hold"; }

# Self-hosted runners with Docker < 23 build actions with the legacy builder.
log "legacy builder build (DOCKER_BUILDKIT=0)"
t0=$(now_ms)
DOCKER_BUILDKIT=0 build "$tmp/build-legacy.log" "$image-legacy" --build-arg VERSION="$version"
legacy_ms=$(($(now_ms) - t0))

# --- What is in the image -------------------------------------------------------
# Failures from here on are counted, so that one run shows all that is wrong.
failures=0
quiet=
fail() {
	[[ -n $quiet ]] || printf 'container-test:   - %s\n' "$*" >&2
	failures=$((failures + 1))
}

image_bytes=$(docker image inspect -f '{{.Size}}' "$image")
user=$(docker image inspect -f '{{.Config.User}}' "$image")
entrypoint=$(docker image inspect -f '{{json .Config.Entrypoint}}' "$image")
label_version=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$image")
[[ -z $user ]] || fail "image sets USER $user: GitHub requires the default (root) user"
[[ $entrypoint == '["/publisher-keys"]' ]] || fail "entrypoint is $entrypoint, want [\"/publisher-keys\"]"
[[ $label_version == "$version" ]] || fail "label org.opencontainers.image.version is '$label_version', want $version"

mkdir -p "$tmp/save"
docker save "$image" | tar -C "$tmp/save" -xf -
# manifest.json names the layer archives, in the legacy layout (<id>/layer.tar)
# and in the OCI one that Docker 25+ writes (blobs/sha256/<digest>).
layers=$(grep -o '"Layers":\[[^]]*\]' "$tmp/save/manifest.json" | grep -o '"[^"]*"' | tr -d '"' | grep -vx Layers) ||
	die "no layers listed in the saved image's manifest.json"
for layer in $layers; do tar -tf "$tmp/save/$layer"; done | sed 's|^\./||; s|/$||' | sort -u >"$tmp/files"
printf '%s\n' etc etc/ssl etc/ssl/certs etc/ssl/certs/ca-certificates.crt publisher-keys | sort >"$tmp/files-want"
diff -u "$tmp/files-want" "$tmp/files" >&2 ||
	fail "the image holds other files than the binary and the CA bundle (diff above)"

docker create --name pk-ct-extract "$image" >/dev/null
docker cp pk-ct-extract:/publisher-keys "$tmp/publisher-keys" >/dev/null
docker rm pk-ct-extract >/dev/null
binary_bytes=$(stat -c %s "$tmp/publisher-keys")
((image_bytes < image_budget)) || fail "image is $(mib "$image_bytes"), over the $(mib "$image_budget") budget"
((binary_bytes < binary_budget)) || fail "binary is $(mib "$binary_bytes"), over the $(mib "$binary_budget") budget"

# --- The sandbox's stand-ins, on loopback ------------------------------------------
# The binary from the image is static: it runs on the host as the sandbox.
mkdir -p "$tmp/sandbox"
chmod 755 "$tmp/publisher-keys"
"$tmp/publisher-keys" sandbox -serve -dir "$tmp/sandbox" >"$tmp/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
	[[ -e $tmp/sandbox/ready ]] && break
	kill -0 "$sandbox_pid" 2>/dev/null || { cat "$tmp/sandbox.log"; die "sandbox -serve exited"; }
	sleep 0.1
done
[[ -e $tmp/sandbox/ready ]] || { cat "$tmp/sandbox.log"; die "sandbox -serve was not ready within 10s"; }
sb() { cat "$tmp/sandbox/$1"; }
key_id=$(sb asc-key-id)
[[ $key_id =~ ^[A-Z0-9]{10}$ ]] || die "sandbox wrote an odd Key ID"
apps=()
for app in $(sb mos-apps | tr ',' ' '); do apps+=("$app"); done
((${#apps[@]})) || die "sandbox wrote no mos-apps"

# A P-256 key the App Store Connect stand-in has never seen.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
	openssl pkcs8 -topk8 -nocrypt -out "$tmp/other-key.p8" 2>/dev/null
grep -q 'BEGIN PRIVATE KEY' "$tmp/other-key.p8" || die "openssl did not make a test key"

# --- Running the image as the runner does -----------------------------------------
inputs=()
while IFS= read -r name; do inputs+=("$name"); done < <(
	awk '/^inputs:/ { on = 1; next } /^[^ #]/ { on = 0 }
	     on && /^  [A-Za-z0-9_-]+:/ { sub(/^  /, ""); sub(/:.*/, ""); print }' "$root/action.yml"
)
((${#inputs[@]} >= 5)) || die "found only ${#inputs[@]} inputs in action.yml"

extra_env=()
# run_case IMAGE CASE input=value... : a fresh workspace and file_commands folder,
# files created beforehand as the runner does, every input of action.yml passed
# by name (hyphens kept, empty unless given), values through the environment so
# that no key appears on a command line.
run_case() {
	local img=$1 case=$2 kv name value
	shift 2
	local dir="$tmp/cases/$case"
	mkdir -p "$dir/workspace" "$dir/file_commands" "$dir/home" "$dir/workflow"
	local fc="$dir/file_commands" id=$RANDOM$RANDOM
	for f in set_output set_env add_path save_state step_summary; do
		: >"$fc/${f}_$id"
		chmod 644 "$fc/${f}_$id"
	done
	declare -A given=()
	for kv in "$@"; do given[${kv%%=*}]=${kv#*=}; done
	for name in "${!given[@]}"; do
		[[ " ${inputs[*]} " == *" $name "* ]] || die "case $case sets input $name, which action.yml does not declare"
	done
	local assign=() eargs=("${extra_env[@]}")
	for name in "${inputs[@]}"; do
		value=${given[$name]:-}
		assign+=("INPUT_${name^^}=$value")
		eargs+=(-e "INPUT_${name^^}")
	done
	[[ -d $dir/keys ]] && cp -r "$dir/keys" "$dir/workspace/"
	set +e
	env "${assign[@]}" timeout 180 "$docker_bin" run --rm --name "pk-ct-$case" \
		--network host --workdir /github/workspace \
		-v "$dir/workspace:/github/workspace" \
		-v "$fc:/github/file_commands" \
		-v "$dir/home:/github/home" \
		-v "$dir/workflow:/github/workflow" \
		-e HOME=/github/home -e CI=true -e GITHUB_ACTIONS=true -e RUNNER_OS=Linux \
		-e GITHUB_WORKSPACE=/github/workspace \
		-e GITHUB_OUTPUT="/github/file_commands/set_output_$id" \
		-e GITHUB_ENV="/github/file_commands/set_env_$id" \
		-e GITHUB_PATH="/github/file_commands/add_path_$id" \
		-e GITHUB_STATE="/github/file_commands/save_state_$id" \
		-e GITHUB_STEP_SUMMARY="/github/file_commands/step_summary_$id" \
		"${eargs[@]}" "$img" >"$dir/stdout" 2>"$dir/stderr"
	echo $? >"$dir/rc"
	set -e
	"$docker_bin" rm -f "pk-ct-$case" >/dev/null 2>&1 || true
	ln -sf "$fc/set_output_$id" "$dir/outputs"
	ln -sf "$fc/step_summary_$id" "$dir/summary"
}

# output CASE NAME: the value of an output, in either file-command form
# (name=value, or name<<DELIM ... DELIM); the last one written wins.
output() {
	awk -v want="$2" '
		delim != "" { if ($0 == delim) { delim = ""; if (n == want) { val = buf; found = 1 } } else { buf = buf (buf == "" ? "" : "\n") $0 } next }
		/^[^=<]+<</ { n = substr($0, 1, index($0, "<<") - 1); delim = substr($0, index($0, "<<") + 2); buf = ""; next }
		/^[^=]+=/ { n = substr($0, 1, index($0, "=") - 1); if (n == want) { val = substr($0, index($0, "=") + 1); found = 1 } }
		END { if (found) print val; else exit 3 }' "$tmp/cases/$1/outputs"
}

want_rc() { [[ $(cat "$tmp/cases/$1/rc") == "$2" ]] || fail "$1: exit code $(cat "$tmp/cases/$1/rc"), want $2"; }
want_output() { # CASE NAME ERE
	local v
	v=$(output "$1" "$2") || { fail "$1: no output $2"; return; }
	[[ $v =~ $3 ]] || fail "$1: output $2 is '$v', want /$3/"
}
want_stdout() { grep -Eq -- "$2" "$tmp/cases/$1/stdout" || fail "$1: no line matching /$2/ on stdout"; }
want_summary() { grep -Eq -- "$2" "$tmp/cases/$1/summary" || fail "$1: step summary has no line matching /$2/"; }
want_results() { # CASE STATUS: one result per app, each with STATUS
	local r app
	r=$(output "$1" results) || { fail "$1: no output results"; return; }
	[[ $r == \[*\] ]] || fail "$1: results is not a JSON array: $r"
	for app in "${apps[@]}"; do
		grep -Eq "\"app\": *\"$app\"[^}]*\"status\": *\"$2\"|\"status\": *\"$2\"[^}]*\"app\": *\"$app\"" <<<"$r" ||
			fail "$1: results has no status $2 for app $app: $r"
	done
}
# No secret outside the ::add-mask:: commands that register it.
want_no_secrets() {
	local d="$tmp/cases/$1" s
	while IFS= read -r s; do
		[[ ${#s} -ge 8 ]] || continue
		if grep -v '^::add-mask::' "$d/stdout" "$d/stderr" | grep -qF -- "$s" ||
			grep -qF -- "$s" "$d/outputs" "$d/summary"; then
			fail "$1: a secret (a key line or the mos token) appears in the log, outputs or summary"
			return
		fi
	done < <(grep -hv -- '-----' "$tmp/sandbox/asc-key.p8" "$tmp/other-key.p8"; sb mos-token; echo)
}
report() { # CASE: print what the case showed when it failed, masks removed
	local d="$tmp/cases/$1"
	printf -- '--- %s: exit %s; stdout and stderr:\n' "$1" "$(cat "$d/rc")" >&2
	grep -hv '^::add-mask::' "$d/stdout" "$d/stderr" | tail -n 40 >&2 || true
	printf -- '--- outputs:\n' >&2
	cat "$d/outputs" >&2 || true
	printf -- '--- summary:\n' >&2
	cat "$d/summary" >&2 || true
}
mark=$failures
verdict() { # CASE DESCRIPTION: after a case's assertions
	want_no_secrets "$1"
	if ((failures > mark)); then
		report "$1"
	else
		log "ok   $1: $2"
	fi
	mark=$failures
}

fp_re='^SHA256:[A-Za-z0-9+/]{43}$'
common_inputs=(asc-issuer-id="$(sb asc-issuer-id)" asc-api-url="$(sb asc-api-url)"
	mos-url="$(sb mos-url)" mos-token="$(sb mos-token)" mos-project="$(sb mos-project)"
	mos-apps="$(sb mos-apps)")

# Timed: a `docker run` of the built image is what a runner does when it pulls
# a prebuilt image instead of building one (the cold build above).
t0=$(now_ms)
run_case "$image" good-sync "${common_inputs[@]}" asc-key="$(sb asc-key.p8)" asc-key-id="$key_id"
run_ms=$(($(now_ms) - t0))
want_rc good-sync 0
want_output good-sync valid '^true$'
want_output good-sync uploaded '^true$'
want_output good-sync asc-key-id "^$key_id\$"
want_output good-sync asc-fingerprint "$fp_re"
want_results good-sync uploaded
want_stdout good-sync "$version"
want_summary good-sync "^\|.*$key_id"
want_summary good-sync 'SHA256:'
verdict good-sync "good key, sync: valid, uploaded to every app"
fingerprint=$(output good-sync asc-fingerprint || true)

run_case "$image" good-again "${common_inputs[@]}" asc-key="$(sb asc-key.p8)" asc-key-id="$key_id"
want_rc good-again 0
want_output good-again valid '^true$'
want_output good-again uploaded '^false$'
want_results good-again unchanged
verdict good-again "same key again: nothing uploaded"

run_case "$image" other-key "${common_inputs[@]}" asc-key="$(cat "$tmp/other-key.p8")" asc-key-id="$key_id"
want_rc other-key 1
want_output other-key valid '^false$'
want_output other-key uploaded '^false$'
want_stdout other-key '^::error .*title=[^:,]+'
want_summary other-key "^\|.*$key_id"
verdict other-key "a key App Store Connect does not know: invalid, nothing uploaded"

run_case "$image" unknown-key-id "${common_inputs[@]}" asc-key="$(sb asc-key.p8)" asc-key-id=ZZZZZ99999
want_rc unknown-key-id 1
want_output unknown-key-id valid '^false$'
want_stdout unknown-key-id '^::error .*title=[^:,]+'
want_summary unknown-key-id 'ZZZZZ99999'
verdict unknown-key-id "a Key ID App Store Connect does not know: invalid"

# asc-key-file, relative to the workspace, Key ID taken from the file name;
# check mode also proves that the bad keys above replaced nothing.
mkdir -p "$tmp/cases/key-file/keys"
cp "$tmp/sandbox/asc-key.p8" "$tmp/cases/key-file/keys/AuthKey_$key_id.p8"
run_case "$image" key-file "${common_inputs[@]}" asc-key-file="keys/AuthKey_$key_id.p8" mode=check
want_rc key-file 0
want_output key-file valid '^true$'
want_output key-file asc-key-id "^$key_id\$"
[[ $(output key-file asc-fingerprint || true) == "$fingerprint" ]] ||
	fail "key-file: asc-fingerprint differs from the one of the same key given inline"
want_results key-file in-sync
verdict key-file "asc-key-file in the workspace, check mode: in sync everywhere"

# Over https, as on GitHub where the action's container is on Docker's bridge
# and reaches stand-ins on the host through scripts/docker/sandbox-tls.sh (the
# ci.yml job that runs `uses: ./`): here on 127.0.0.2, with a fresh sandbox.
# This also proves the TLS client in the scratch image and SSL_CERT_FILE.
tls_dir="$tmp/cases/tls/workspace/.sandbox"
bash "$root/scripts/docker/sandbox-tls.sh" start "$tmp/publisher-keys" 127.0.0.2 "$tls_dir" ||
	die "could not start the sandbox behind TLS"
tls() { cat "$tls_dir/$1"; }
extra_env=(-e SSL_CERT_FILE=/github/workspace/.sandbox/tls.crt)
run_case "$image" tls asc-key="$(tls sandbox/asc-key.p8)" asc-key-id="$(tls sandbox/asc-key-id)" \
	asc-issuer-id="$(tls sandbox/asc-issuer-id)" asc-api-url="$(tls asc-api-url)" \
	mos-url="$(tls mos-url)" mos-token="$(tls sandbox/mos-token)" \
	mos-project="$(tls sandbox/mos-project)" mos-apps="$(tls sandbox/mos-apps)"
extra_env=()
want_rc tls 0
want_output tls valid '^true$'
want_output tls uploaded '^true$'
grep -q '^https://127\.0\.0\.2:' "$tls_dir/asc-api-url" || fail "tls: the App Store Connect URL is not https on 127.0.0.2"
verdict tls "over https through a TLS proxy, CA from SSL_CERT_FILE: valid, uploaded"

# The legacy builder's image must behave the same.
run_case "$image-legacy" legacy "${common_inputs[@]}" asc-key="$(sb asc-key.p8)" asc-key-id="$key_id" mode=check
want_rc legacy 0
want_output legacy valid '^true$'
want_results legacy in-sync
verdict legacy "image from the legacy builder, check mode: in sync"

((failures == 0)) || die "$failures assertion(s) failed (details above)"

# The harness must see a broken image: the same image with a non-root USER
# (which GitHub forbids) has to fail the good-key check.
printf 'FROM %s\nUSER 65534\n' "$image" | docker build -q -t "$image-nonroot" - >/dev/null ||
	die "could not build the non-root variant"
run_case "$image-nonroot" nonroot "${common_inputs[@]}" asc-key="$(sb asc-key.p8)" asc-key-id="$key_id" mode=check
quiet=1
want_rc nonroot 0
want_output nonroot valid '^true$'
quiet=
if ((failures == 0)); then
	report nonroot
	die "an image running as a non-root user passed: the test cannot see that breakage"
fi
log "ok   nonroot: the same image with USER 65534 fails, as it would on GitHub: exit $(cat "$tmp/cases/nonroot/rc"), no outputs; it said:"
grep -hv '^::add-mask::' "$tmp/cases/nonroot/stdout" "$tmp/cases/nonroot/stderr" |
	grep -E 'error|denied' | head -n 3 | sed 's/^/container-test:        /' || true

log "PASS image $(mib "$image_bytes") (budget $(mib "$image_budget")), binary $(mib "$binary_bytes") (budget $(mib "$binary_budget")), build cold $(secs "$cold_ms")s, warm (modules cached) $(secs "$warm_ms")s, legacy builder $(secs "$legacy_ms")s; one case (good-sync) runs in $(secs "$run_ms")s, the cold build takes $(awk -v b="$cold_ms" -v r="$run_ms" 'BEGIN { printf "%.0f", b / (r > 0 ? r : 1) }')x as long"
