# shellcheck shell=bash
# engine.sh: a private Docker engine for the container and act tests, sourced
# by scripts/container-test.sh and scripts/act-test.sh (not run on its own).
#
# No engine runs on the machines these tests run on, and no registry can be
# reached, so each test installs Debian's Docker when missing, starts its own
# dockerd (no bridge, no iptables; socket, data and containerd namespaces of
# its own under a temp dir), and stands in for the base images it needs with
# `docker import` of a rootfs made from busybox, the Go toolchain and the
# machine's CA bundle.
#
# The caller defines log MESSAGE and die MESSAGE (die exits), sets tmp to its
# temp dir (directly under /tmp: unix socket paths must stay short) and calls
# engine_cleanup (or engine_stop) from its EXIT trap. After engine_start, DOCKER_HOST points at the
# engine and docker runs the client that came with it.

tmp=${tmp:?set tmp before sourcing scripts/docker/engine.sh}
engine_pid=
docker_bin=/usr/bin/docker
docker() { "$docker_bin" "$@"; }

# engine_packages PKG...: apt-get install what is missing of docker.io (the
# engine and, in /usr/bin, its client) and the Debian packages named.
engine_packages() {
	local missing=() pkg
	# A Docker engine from any package will do (GitHub's runners have Docker's
	# own); the client must be the one installed with it, in /usr/bin.
	if [[ ! -x $docker_bin ]] || ! command -v dockerd >/dev/null; then
		missing+=(docker.io)
	fi
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; die "apt-get update failed"; }
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$tmp/apt.log" 2>&1 ||
			{ tail -n 30 "$tmp/apt.log"; die "apt-get install ${missing[*]} failed"; }
	fi
	if [[ ! -x $docker_bin ]] || ! command -v dockerd >/dev/null; then
		die "no dockerd, or no docker client in /usr/bin"
	fi
}

# engine_start NAMESPACE: start dockerd under $tmp/docker and wait until it
# answers (60s at most). NAMESPACE names its containerd namespaces.
engine_start() {
	local ns=$1 ready=
	mkdir -p "$tmp/docker/config"
	export DOCKER_HOST="unix://$tmp/docker/docker.sock"
	export DOCKER_CONFIG="$tmp/docker/config" # no credential helpers, no user config
	export DOCKER_BUILDKIT=1                  # as on GitHub's runners
	log "starting dockerd (no bridge, no iptables) under $tmp/docker"
	# Own containerd namespaces: where a system containerd runs (as on GitHub's
	# runners), dockerd uses it, and must not meet the system dockerd's
	# containers. Its own (empty) config file too: /etc/docker/daemon.json
	# belongs to the machine's engine and may repeat the flags below, which
	# dockerd refuses.
	echo '{}' >"$tmp/docker/daemon.json"
	dockerd --config-file "$tmp/docker/daemon.json" \
		--bridge=none --iptables=false --ip6tables=false \
		--containerd-namespace "$ns" --containerd-plugins-namespace "$ns-plugins" \
		--data-root "$tmp/docker/data" --exec-root "$tmp/docker/exec" \
		-H "$DOCKER_HOST" --pidfile "$tmp/docker/dockerd.pid" \
		>"$tmp/docker/dockerd.log" 2>&1 &
	engine_pid=$!
	for _ in $(seq 1 120); do
		kill -0 "$engine_pid" 2>/dev/null || { tail -n 30 "$tmp/docker/dockerd.log"; die "dockerd exited while starting"; }
		if docker version >/dev/null 2>&1; then
			ready=1
			break
		fi
		sleep 0.5
	done
	[[ -n $ready ]] || { tail -n 30 "$tmp/docker/dockerd.log"; die "dockerd did not answer within 60s"; }
}

# engine_stop: stop dockerd (30s, then KILL) and lazily unmount whatever it
# left mounted under $tmp, deepest first, so that $tmp can be removed.
engine_stop() {
	if [[ -n $engine_pid ]]; then
		kill -TERM "$engine_pid" 2>/dev/null
		for _ in $(seq 1 60); do
			kill -0 "$engine_pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$engine_pid" 2>/dev/null
		wait "$engine_pid" 2>/dev/null
		engine_pid=
	fi
	awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
}

# engine_cleanup KEEP NAME [DIR...]: for the caller's EXIT trap: stop the
# engine, then remove $tmp; or, when KEEP is not empty, only the engine's data,
# the rootfs folders and the DIRs under $tmp, saying where the rest was kept.
engine_cleanup() {
	local keep=$1 name=$2 d
	shift 2
	engine_stop
	if [[ -n $keep ]]; then
		rm -rf "$tmp/docker" "$tmp"/rootfs-*
		for d in "$@"; do rm -rf "${tmp:?}/$d"; done
		printf '%s: kept the cases, logs and sandbox files in %s\n' "$name" "$tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

# busybox_rootfs DIR: a minimal root file system in DIR: busybox and its
# applets in /bin (for /bin/sh), root in /etc/passwd, /tmp, and the machine's
# CA bundle.
busybox_rootfs() {
	local rootfs=$1 applet
	[[ -x /bin/busybox ]] || die "busybox-static did not install /bin/busybox"
	mkdir -p "$rootfs"/{bin,etc/ssl/certs,root,tmp}
	chmod 1777 "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
	done
	cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\n' >"$rootfs/etc/group"
}

# engine_import_busybox REF: import the busybox rootfs alone as REF.
engine_import_busybox() {
	local ref=$1 rootfs="$tmp/rootfs-busybox"
	busybox_rootfs "$rootfs"
	log "importing $ref (busybox + CA bundle)"
	tar --owner=0 --group=0 -cf - -C "$rootfs" . | docker import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["/bin/sh"]' \
		- "$ref" >/dev/null || die "docker import of $ref failed"
	docker run --rm --network none "$ref" sh -c 'echo ok' | grep -qx ok || die "$ref does not run sh"
}

# engine_import_golang REF VERSION: golang:X.Y.Z-* from busybox, the Go X.Y.Z
# toolchain at /usr/local/go and the CA bundle, with the real image's
# environment.
engine_import_golang() {
	local ref=$1 ver=$2 goroot rootfs="$tmp/rootfs-golang"
	goroot=$(GOTOOLCHAIN="go$ver" go env GOROOT) || die "cannot get the Go $ver toolchain for $ref"
	[[ -x $goroot/bin/go ]] || die "no go binary in $goroot"
	busybox_rootfs "$rootfs"
	mkdir -p "$rootfs"/{go,usr/local}
	log "importing $ref (busybox + Go $ver from $goroot + CA bundle)"
	# One archive: the rootfs, then GOROOT renamed to usr/local/go.
	tar --owner=0 --group=0 --transform "s|^$(basename "$goroot")|./usr/local/go|S" -cf - \
		-C "$rootfs" . -C "$(dirname "$goroot")" "$(basename "$goroot")" | docker import \
		--change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change "ENV GOLANG_VERSION=$ver" \
		--change 'ENV GOTOOLCHAIN=local' \
		--change 'ENV GOPATH=/go' \
		--change 'WORKDIR /go' \
		- "$ref" >/dev/null || die "docker import of $ref failed"
	docker run --rm --network none "$ref" go version | grep -q "go$ver " || die "$ref does not run go $ver"
}

# engine_import_bases DOCKERFILE: a stand-in for every image its FROM lines
# name (golang:X.Y.Z-* only). Any other base is unknown here: fail rather than
# build something untested.
engine_import_bases() {
	local dockerfile=$1 kw rest ref stages=()
	while read -r kw rest; do
		[[ ${kw^^} == FROM ]] || continue
		# shellcheck disable=SC2086 # split the FROM line into words on purpose
		set -- $rest
		while [[ ${1:-} == --* ]]; do shift; done
		ref=${1:?"FROM without an image in $dockerfile"}
		[[ ${2:-} =~ ^[Aa][Ss]$ ]] && stages+=("${3:?}")
		if [[ $ref == scratch || " ${stages[*]} " == *" $ref "* ]]; then
			continue
		elif [[ $ref =~ ^golang:([0-9]+\.[0-9]+\.[0-9]+)(-[a-z]+)?$ ]]; then
			engine_import_golang "$ref" "${BASH_REMATCH[1]}"
		else
			die "no stand-in for base image $ref: teach scripts/docker/engine.sh to build one"
		fi
	done <"$dockerfile"
}
