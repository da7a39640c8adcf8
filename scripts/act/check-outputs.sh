#!/bin/sh
# check-outputs.sh: the step after the action in scripts/act/workflow.yml. It
# checks the outputs the runner handed on from the action's step, as a later
# step of a user's job sees them, and prints "act-check: outputs ok" or an
# ::error per output that is wrong, then fails. POSIX sh: the docker-action job
# runs in a busybox container.
#
# Environment: VALID PLAY_VALID UPLOADED ASC_KEY_ID ASC_FINGERPRINT RESULTS
# (the outputs), WANT_KEY_ID WANT_FINGERPRINT (computed by act-test.sh from the
# key with openssl, not by the action) and WANT_APPS (comma-separated).
# Every app must show an "uploaded" result for ios and for android: act-test.sh
# runs each case against fresh stand-ins where no app holds the keys.
failed=0
bad() {
	echo "::error title=act-test: wrong output::$*"
	failed=1
}

[ "$VALID" = true ] || bad "valid is '$VALID', want true"
[ "$PLAY_VALID" = true ] || bad "play-valid is '$PLAY_VALID', want true"
[ "$UPLOADED" = true ] || bad "uploaded is '$UPLOADED', want true"
[ "$ASC_KEY_ID" = "$WANT_KEY_ID" ] || bad "asc-key-id is '$ASC_KEY_ID', want '$WANT_KEY_ID'"
[ -n "$WANT_FINGERPRINT" ] || bad "no expected fingerprint given"
[ "$ASC_FINGERPRINT" = "$WANT_FINGERPRINT" ] || bad "asc-fingerprint is '$ASC_FINGERPRINT', want '$WANT_FINGERPRINT'"

# results: a JSON array of objects with platform, app and status among their
# fields, in whatever order and spacing.
flat=$(printf '%s' "$RESULTS" | tr -d '\n')
case $flat in
\[*\]) ;;
*) bad "results is not a JSON array: $flat" ;;
esac
n=0
for app in $(printf '%s' "$WANT_APPS" | tr ',' ' '); do
	for platform in ios android; do
		n=$((n + 1))
		printf '%s' "$flat" | sed 's/}/}\n/g' |
			grep "\"app\": *\"$app\"" | grep "\"platform\": *\"$platform\"" |
			grep -q "\"status\": *\"uploaded\"" ||
			bad "results has no $platform result with status uploaded for app $app: $flat"
	done
done
objects=$(printf '%s' "$flat" | sed 's/}/}\n/g' | grep -c '"app"')
[ "$objects" -eq "$n" ] || bad "results holds $objects entries, want $n: $flat"

[ "$failed" -eq 0 ] || exit 1
echo "act-check: outputs ok: valid=$VALID play-valid=$PLAY_VALID uploaded=$UPLOADED asc-key-id=$ASC_KEY_ID asc-fingerprint=$ASC_FINGERPRINT results=$n entries, all uploaded"
