#!/usr/bin/env bash
# scripts/pin-release.sh - turn a checkout of the released main commit into the
# release commit's tree (issue 9). release.yml runs it once the image and the
# binaries of TAG exist, then commits the result and points TAG at it.
#
# Usage: scripts/pin-release.sh TAG DIGEST SUMS
#   TAG     the release tag: vX.Y.Z or vX.Y.Z-<pre-release> (v1.2.3, v1.2.3-rc.1)
#   DIGEST  the digest of the multi-arch image the release pushed: sha256:<64 hex>
#   SUMS    the release's SHA256SUMS file, as `sha256sum publisher-keys-*` wrote it
#
# It edits the working tree of the repository that holds it, and nothing else
# (no git, no network):
#   action.yml          image: Dockerfile
#                    -> image: docker://ghcr.io/mos-tools/publisher-keys@DIGEST
#                       (a digest, unlike a tag, names one image for good)
#   binary/action.yml   PUBLISHER_KEYS_RELEASE: ""  ->  PUBLISHER_KEYS_RELEASE: "TAG"
#   binary/SHA256SUMS   the lines of publisher-keys-{darwin,linux}-{amd64,arm64}
#                       from SUMS, which binary/run.sh checks each download against
#
# Everything is checked before the first file is written, so a refusal changes
# nothing. Exit status: 0 pinned; 2 a malformed TAG, DIGEST or SUMS (the message
# says what was wrong); 1 the tree is not that of a main commit (already pinned?)
# or could not be written.
set -euo pipefail
export LC_ALL=C # [a-z] and friends mean ASCII, whatever the caller's locale

image=ghcr.io/mos-tools/publisher-keys
assets=(publisher-keys-darwin-amd64 publisher-keys-darwin-arm64 publisher-keys-linux-amd64 publisher-keys-linux-arm64)

usage() {
	printf 'usage: %s TAG DIGEST SUMS\n' "${0##*/}" >&2
	printf '  e.g. %s v1.2.3 sha256:<64 hex> dist/SHA256SUMS\n' "${0##*/}" >&2
}
refuse() { # refuse MESSAGE: a malformed argument; nothing was changed.
	printf 'pin-release: %s\n' "$1" >&2
	exit 2
}
die() { # die MESSAGE: the tree is not what a main commit holds.
	printf 'pin-release: %s\n' "$1" >&2
	exit 1
}

if (($# != 3)); then
	usage
	refuse "want 3 arguments, got $#"
fi
tag=$1 digest=$2 sums=$3

# Semantic versioning with a v: no leading zeros, a pre-release of dot-separated
# [0-9A-Za-z-] identifiers. It also keeps the tag safe inside a quoted YAML
# string and a download URL.
tag_re='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
[[ $tag =~ $tag_re ]] ||
	refuse "TAG $(printf '%q' "$tag") is not a release tag: want vX.Y.Z or vX.Y.Z-<pre-release> (v1.2.3, v1.2.3-rc.1), numbers without leading zeros"

digest_re='^sha256:[0-9a-f]{64}$'
[[ $digest =~ $digest_re ]] ||
	refuse "DIGEST $(printf '%q' "$digest") is not an image digest: want sha256: and 64 lowercase hex digits, as docker/build-push-action's digest output gives it"

[[ -f $sums && -r $sums ]] || refuse "SUMS $(printf '%q' "$sums") is not a readable file"

# One line per asset, exactly as sha256sum writes it (two spaces, or " *" for
# binary mode); other files listed in SUMS are none of our business.
line_re='^[0-9a-f]{64} [ *]publisher-keys-[a-z0-9]+-[a-z0-9]+$'
out_sums=""
for asset in "${assets[@]}"; do
	found="" found_n=0 n=0
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		line=${line%$'\r'}
		case $line in
		*" $asset" | *"*$asset") ;;
		*) continue ;;
		esac
		[[ $line =~ $line_re ]] ||
			refuse "SUMS line $n for $asset is malformed: want '<64 lowercase hex>  $asset' as sha256sum writes it"
		[[ -z $found ]] || refuse "SUMS lists $asset twice (lines $found_n and $n)"
		found=${line%% *} found_n=$n
	done <"$sums"
	[[ -n $found ]] ||
		refuse "SUMS has no line for $asset: it must list all of ${assets[*]} by bare name (cd dist && sha256sum publisher-keys-*)"
	out_sums+="$found  $asset"$'\n'
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# exactly_one FILE ERE WHAT: FILE has one line matching ERE, or this is no main tree.
exactly_one() {
	local count
	count=$(grep -c -E -e "$2" "$1") || true
	[[ $count == 1 ]] ||
		die "$1 has $count lines with $3 where a main commit has one: is this already a release commit? Run pin-release.sh on a checkout of the released main commit"
}
[[ -f action.yml && -f binary/action.yml ]] || die "no action.yml and binary/action.yml in $root"
exactly_one action.yml '^ +image: Dockerfile$' "'image: Dockerfile'"
exactly_one binary/action.yml '^ +PUBLISHER_KEYS_RELEASE: ""$' "'PUBLISHER_KEYS_RELEASE: \"\"'"
[[ ! -e binary/SHA256SUMS ]] ||
	die "binary/SHA256SUMS exists already: is this already a release commit? Run pin-release.sh on a checkout of the released main commit"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The replacements hold only [0-9A-Za-z.:@/-] (checked above), nothing awk's
# sub() treats specially.
awk -v to="docker://$image@$digest" '/^ +image: Dockerfile$/ { sub(/Dockerfile$/, to) } { print }' \
	action.yml >"$work/action.yml"
awk -v to="\"$tag\"" '/^ +PUBLISHER_KEYS_RELEASE: ""$/ { sub(/""$/, to) } { print }' \
	binary/action.yml >"$work/binary-action.yml"
printf '%s' "$out_sums" >"$work/SHA256SUMS"

# cat > keeps each file's mode (and so what git records).
cat "$work/action.yml" >action.yml
cat "$work/binary-action.yml" >binary/action.yml
cat "$work/SHA256SUMS" >binary/SHA256SUMS

printf 'pin-release: %s\n' \
	"action.yml: image: docker://$image@$digest" \
	"binary/action.yml: PUBLISHER_KEYS_RELEASE: \"$tag\"" \
	"binary/SHA256SUMS: ${#assets[@]} binaries"
