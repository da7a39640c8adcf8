#!/usr/bin/env bash
# sandbox-tls.sh: start the sandbox stand-ins and put them behind TLS on an
# address a container can reach, so that a Docker action run by GitHub's runner
# (on Docker's bridge network, not the host's) can talk to them.
#
# The stand-ins listen on 127.0.0.1 only, and the action speaks plain http to
# loopback only. A container on the bridge reaches the host at the bridge's
# gateway, over https: socat terminates TLS there with a throwaway self-signed
# certificate for that IP and forwards to the stand-ins. The action trusts the
# certificate through SSL_CERT_FILE, which Go reads in place of the system CA
# bundle; nothing else changes in the action or the image.
#
# Usage: sandbox-tls.sh start BINARY BIND_ADDR DIR
#   Starts `BINARY sandbox -serve -dir DIR/sandbox` and two TLS proxies on
#   BIND_ADDR (ports 18443 for App Store Connect, 18444 for mos.portal), then
#   writes DIR/asc-api-url and DIR/mos-url (https URLs on BIND_ADDR) and
#   DIR/tls.crt (the certificate to trust), and returns; the processes keep
#   running in the background, their ids in DIR/pids.
# Usage: sandbox-tls.sh stop DIR
#
# Needs socat and openssl. DIR should be inside the workspace that the
# container sees (e.g. $GITHUB_WORKSPACE/.sandbox).
set -euo pipefail

die() {
	printf 'sandbox-tls: %s\n' "$*" >&2
	exit 1
}

stop() {
	local dir=$1 pid
	[[ -f $dir/pids ]] || return 0
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null || true
	done <"$dir/pids"
	rm -f "$dir/pids"
}

# wait_port ADDR PORT PID: until ADDR:PORT accepts connections, for 10s at most.
wait_port() {
	for _ in $(seq 1 100); do
		kill -0 "$3" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# proxy NAME URL PORT: TLS on BIND_ADDR:PORT to the stand-in at URL (http://127.0.0.1:P[/path]).
proxy() {
	local name=$1 url=$2 port=$3 rest hostport path pid
	[[ $url == http://127.0.0.1:* ]] || die "$name stand-in is at an unexpected URL"
	rest=${url#http://}
	hostport=${rest%%/*}
	path=${rest#"$hostport"}
	socat "OPENSSL-LISTEN:$port,bind=$addr,reuseaddr,fork,cert=$dir/tls.crt,key=$dir/tls.key,verify=0" \
		"TCP:$hostport" >>"$dir/socat.log" 2>&1 &
	pid=$!
	echo "$pid" >>"$dir/pids"
	wait_port "$addr" "$port" "$pid" || { cat "$dir/socat.log" >&2; die "TLS proxy for $name did not start on $addr:$port"; }
	printf 'https://%s:%s%s' "$addr" "$port" "$path" >"$dir/$name"
}

case ${1:-} in
start)
	[[ $# -eq 4 ]] || die "usage: sandbox-tls.sh start BINARY BIND_ADDR DIR"
	bin=$2 addr=$3 dir=$4
	command -v socat >/dev/null || die "socat is not installed"
	command -v openssl >/dev/null || die "openssl is not installed"
	[[ $addr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "BIND_ADDR must be an IPv4 address, got '$addr'"
	mkdir -p "$dir/sandbox"
	: >"$dir/pids"

	"$bin" sandbox -serve -dir "$dir/sandbox" >"$dir/sandbox.log" 2>&1 &
	sandbox_pid=$!
	echo "$sandbox_pid" >>"$dir/pids"
	for _ in $(seq 1 100); do
		[[ -e $dir/sandbox/ready ]] && break
		kill -0 "$sandbox_pid" 2>/dev/null || { cat "$dir/sandbox.log" >&2; die "sandbox -serve exited"; }
		sleep 0.1
	done
	[[ -e $dir/sandbox/ready ]] || { cat "$dir/sandbox.log" >&2; die "sandbox -serve was not ready within 10s"; }

	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj "/CN=publisher-keys sandbox" -addext "subjectAltName=IP:$addr" \
		-keyout "$dir/tls.key" -out "$dir/tls.crt" 2>"$dir/openssl.log" ||
		{ cat "$dir/openssl.log" >&2; die "openssl could not make the certificate"; }

	proxy asc-api-url "$(cat "$dir/sandbox/asc-api-url")" 18443
	proxy mos-url "$(cat "$dir/sandbox/mos-url")" 18444
	;;
stop)
	[[ $# -eq 2 ]] || die "usage: sandbox-tls.sh stop DIR"
	stop "$2"
	;;
*)
	die "usage: sandbox-tls.sh start BINARY BIND_ADDR DIR | stop DIR"
	;;
esac
