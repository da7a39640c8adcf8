#!/usr/bin/env bash
# scripts/lint.sh - static checks for publisher-keys (issue 5, item 6).
#
# Runs, in order, and stops with a non-zero exit at the first failure:
#   go mod tidy -diff (must report nothing), gofmt -l (must list nothing),
#   go vet, staticcheck, govulncheck (against a vulnerability database built
#   locally from the golang.org/x/vulndb module, because the database host is
#   not reachable from our machines), shellcheck on our shell scripts
#   (scripts/*.sh, scripts/{docker,act}/*.sh, binary/*.sh, .ci/run), and
#   actionlint on workflow files (.github/workflows, docs/examples, and
#   scripts/act, the workflow act-test.sh runs).
#
# Works on a fresh machine that has only Go, git and apt: every tool is
# installed at a pinned version into a cache dir, so later runs are fast.
#
# Usage: scripts/lint.sh            (from anywhere; checks the repo it lives in)
#
# Environment (all optional):
#   TOOLS_DIR          where the pinned tools are installed, in $TOOLS_DIR/bin
#                      (default $LINT_CACHE_DIR/tools)
#   LINT_CACHE_DIR     cache root (default $HOME/.cache/publisher-keys)
#   VULNDB_DIR         where the built vulnerability databases are kept, one
#                      folder per vulndb version (default $LINT_CACHE_DIR/vulndb)
#   LINT_ROOT          module to check (default: the repo holding this script)
#   LINT_GOTOOLCHAIN   Go toolchain to check with (default $GO_TOOLCHAIN below);
#                      only for proving that govulncheck fails on an unpatched Go.
#                      The tools themselves are always built with $GO_TOOLCHAIN.
#   SHELLCHECK         shellcheck binary (default: shellcheck on PATH; installed
#                      with apt-get when missing)
set -euo pipefail

# ---- pinned versions --------------------------------------------------------
GO_TOOLCHAIN=go1.27.3                                # go.mod's toolchain; govulncheck is clean on it
STATICCHECK_VERSION=v0.8.2                           # honnef.co/go/tools
GOVULNCHECK_VERSION=v1.9.0                           # golang.org/x/vuln, latest tag
ACTIONLINT_VERSION=v1.7.12                           # github.com/rhysd/actionlint
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018    # golang.org/x/vulndb: data/osv + cmd/indexdb
# -----------------------------------------------------------------------------

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${LINT_ROOT:-$(cd "$script_dir/.." && pwd)}
cache_dir=${LINT_CACHE_DIR:-${HOME:?HOME must be set}/.cache/publisher-keys}
tools_dir=${TOOLS_DIR:-$cache_dir/tools}
vulndb_root=${VULNDB_DIR:-$cache_dir/vulndb}
bin_dir=$tools_dir/bin

# Overrides any GOTOOLCHAIN from the environment (these machines set "local").
export GOTOOLCHAIN=${LINT_GOTOOLCHAIN:-$GO_TOOLCHAIN}

start=$SECONDS
step_start=$SECONDS
step() {
	printf '\n==> %s\n' "$*"
	step_start=$SECONDS
}
done_step() {
	printf '    ok (%ds)\n' "$((SECONDS - step_start))"
}
die() {
	printf 'lint: FAILED: %s\n' "$*" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
[[ -f go.mod ]] || die "no go.mod in $root"

step "Go toolchain (GOTOOLCHAIN=$GOTOOLCHAIN)"
go version
done_step

# install_tool NAME PKG VERSION: go install PKG@VERSION into $bin_dir unless the
# binary there was already built from that module version with $GO_TOOLCHAIN.
install_tool() {
	local name=$1 pkg=$2 version=$3 bin=$bin_dir/$1 info
	if [[ -x $bin ]]; then
		info=$(GOTOOLCHAIN=$GO_TOOLCHAIN go version -m "$bin" 2>/dev/null || true)
		if [[ $info == *": $GO_TOOLCHAIN"* ]] &&
			awk -v v="$version" '$1 == "mod" && $3 == v { found = 1 } END { exit !found }' <<<"$info"; then
			printf '    %s %s (cached)\n' "$name" "$version"
			return
		fi
	fi
	printf '    installing %s@%s\n' "$pkg" "$version"
	# Outside any module, so the repo's go.mod/go.sum are never touched.
	(cd "$work" && GOTOOLCHAIN=$GO_TOOLCHAIN GOBIN=$bin_dir go install "$pkg@$version")
	[[ -x $bin ]] || die "go install $pkg@$version did not produce $bin"
}

step "Tools into $bin_dir"
mkdir -p "$bin_dir"
install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"
install_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
done_step

step "go mod tidy -diff"
# A go.mod that marks direct dependencies indirect, or a go.sum missing lines,
# is a change nobody reviewed: fail on any difference tidy would make.
if ! tidy_diff=$(go mod tidy -diff 2>&1); then
	printf '%s\n' "$tidy_diff" >&2
	die "go.mod/go.sum are not tidy; run: go mod tidy"
fi
done_step

step "gofmt -l"
gofmt_bin=$(go env GOROOT)/bin/gofmt # the pinned toolchain's gofmt, not whatever is on PATH
find . \( -name .git -o -name vendor -o -name testdata -o -name node_modules \) -prune \
	-o -type f -name '*.go' -print0 >"$work/go_files"
go_files=()
while IFS= read -r -d '' f; do
	go_files+=("$f")
done <"$work/go_files"
if ((${#go_files[@]} == 0)); then
	echo "    no .go files"
else
	unformatted=$("$gofmt_bin" -l "${go_files[@]}")
	if [[ -n $unformatted ]]; then
		printf '%s\n' "$unformatted" >&2
		die "the files above are not gofmt-ed; run: gofmt -w <file>"
	fi
fi
done_step

packages=$(go list -e ./...) || die "go list ./... (is go.mod valid?)"
if [[ -z $packages ]]; then
	step "Go packages"
	echo "    no Go packages in $root yet; skipping go vet, staticcheck and govulncheck"
else
	step "go vet ./..."
	go vet ./... || die "go vet"
	done_step

	step "staticcheck ./... ($STATICCHECK_VERSION)"
	"$bin_dir/staticcheck" ./... || die "staticcheck"
	done_step

	step "Vulnerability database (golang.org/x/vulndb@$VULNDB_VERSION)"
	db=$vulndb_root/$VULNDB_VERSION
	if [[ -f $db/index/db.json && -f $db/index/modules.json && -d $db/ID ]]; then
		echo "    cached: $db"
	else
		mod_json=$(cd "$work" && GOTOOLCHAIN=$GO_TOOLCHAIN go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION")
		vulndb_src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$mod_json")
		[[ -d $vulndb_src/data/osv ]] || die "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv (download said: $mod_json)"
		echo "    building from $vulndb_src/data/osv"
		mkdir -p "$vulndb_root"
		tmp_db=$(mktemp -d "$vulndb_root/.build.XXXXXX")
		# Run outside any module so the repo's go.mod/go.sum are never touched.
		if ! (cd "$work" && GOTOOLCHAIN=$GO_TOOLCHAIN go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" \
			-vulns "$vulndb_src/data/osv" -out "$tmp_db"); then
			rm -rf "$tmp_db"
			die "building the vulnerability database with cmd/indexdb"
		fi
		# Publish atomically; a concurrent run may have won the race.
		if ! mv -T "$tmp_db" "$db" 2>/dev/null; then
			rm -rf "$tmp_db"
			[[ -f $db/index/db.json ]] || die "could not store the vulnerability database in $db"
		fi
		echo "    built: $db"
	fi
	done_step

	step "govulncheck ./... ($GOVULNCHECK_VERSION, db file://$db)"
	# Exits 3 when a reachable vulnerability is found.
	rc=0
	"$bin_dir/govulncheck" -db "file://$db" ./... || rc=$?
	((rc == 0)) || die "govulncheck exited $rc (3 = reachable vulnerabilities; move to a patched Go or module version)"
	done_step
fi

# actionlint needs shellcheck to check run: steps; we also use it on our own scripts.
shellcheck_bin=${SHELLCHECK:-shellcheck}
if ! command -v "$shellcheck_bin" >/dev/null 2>&1; then
	step "Installing shellcheck (apt)"
	sudo=()
	if ((EUID != 0)); then
		command -v sudo >/dev/null 2>&1 || die "shellcheck is missing and we are not root; install Debian's shellcheck"
		sudo=(sudo -n)
	fi
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
	shellcheck_bin=$(command -v shellcheck) || die "apt-get installed no shellcheck"
	done_step
fi

shell_scripts=()
for f in scripts/*.sh scripts/docker/*.sh scripts/act/*.sh binary/*.sh .ci/run; do
	[[ -f $f ]] && shell_scripts+=("$f")
done
step "shellcheck ${shell_scripts[*]:-(none)}"
if ((${#shell_scripts[@]} > 0)); then
	"$shellcheck_bin" --version | sed -n 's/^version: /    shellcheck /p'
	"$shellcheck_bin" --severity=warning "${shell_scripts[@]}" || die "shellcheck"
fi
done_step

workflows=()
shopt -s nullglob
for f in .github/workflows/*.yml .github/workflows/*.yaml docs/examples/*.yml docs/examples/*.yaml scripts/act/*.yml; do
	workflows+=("$f")
done
shopt -u nullglob
if ((${#workflows[@]} == 0)); then
	step "actionlint"
	echo "    no workflow files in .github/workflows or docs/examples yet; skipping"
else
	step "actionlint ${workflows[*]} ($ACTIONLINT_VERSION)"
	"$bin_dir/actionlint" -shellcheck "$shellcheck_bin" "${workflows[@]}" || die "actionlint"
	done_step
fi

printf '\nlint: all checks passed in %ds\n' "$((SECONDS - start))"
