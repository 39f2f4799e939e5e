#!/usr/bin/env bash
# bench-alertmanager.sh compares gridwarn's intake with the peer users would
# compare it with: Prometheus Alertmanager (issue #18, goal 7).
#
#   scripts/bench-alertmanager.sh [gridwarn bench flags...]
#   scripts/bench-alertmanager.sh --intake-duration 10s --reps 5
#
# It builds Alertmanager $ALERTMANAGER_VERSION (default v0.35.0) from the Go
# module proxy — `go mod download` of github.com/prometheus/alertmanager, no
# binary download — into a temporary directory; the module carries no
# compiled web UI, so the build adds two one-line placeholder index.html
# files under ui/app/dist/{elm,mantine} for its //go:embed. Then it runs
# `gridwarn bench --only alertmanager` through scripts/bench.sh (a throwaway
# PostgreSQL, embedded NATS), which starts a fresh Alertmanager on loopback
# for each repetition and drives it and gridwarn with the same load
# generator: one alert or report per request, 32 connections, the median of
# three repetitions with min and max. The table (rows 7a–7c, the ratios
# beside them) goes to standard output, progress to standard error.
#
# When the proxy does not serve the module (or it does not build), it says
# so and exits 2 without measuring anything. ALERTMANAGER_BIN=<path> skips
# the build and uses that binary.
set -euo pipefail

log() { printf 'bench-alertmanager.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

version=${ALERTMANAGER_VERSION:-v0.35.0}
module=github.com/prometheus/alertmanager

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwarn-bench-am.XXXXXX")
cleanup() {
	chmod -R u+w -- "$work_dir" 2>/dev/null || true
	rm -rf -- "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cannot() {
	log "CANNOT BUILD THE PEER: $*"
	log "no comparison measured (Alertmanager $version is needed from the Go module proxy: $(go env GOPROXY))"
	exit 2
}

if [[ -n ${ALERTMANAGER_BIN:-} ]]; then
	bin=$ALERTMANAGER_BIN
	[[ -x $bin ]] || cannot "ALERTMANAGER_BIN=$bin is not an executable"
	log "using $bin (ALERTMANAGER_BIN)"
else
	log "go mod download $module@$version (GOPROXY=$(go env GOPROXY))"
	# A throwaway module, so that -mod=mod never touches gridwarn's go.mod.
	mkdir -p "$work_dir/dl"
	(cd "$work_dir/dl" && go mod init gridwarn-bench-peer >/dev/null 2>&1)
	if ! json=$(cd "$work_dir/dl" && GOFLAGS=-mod=mod go mod download -json "$module@$version" 2>"$work_dir/dl.err"); then
		cannot "the module proxy does not serve $module@$version: $(tr '\n' ' ' <"$work_dir/dl.err") $(printf '%s' "${json:-}" | tr '\n' ' ')"
	fi
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
	[[ -n $dir && -d $dir ]] || cannot "go mod download gave no module directory: $(printf '%s' "$json" | tr '\n' ' ')"
	src=$work_dir/alertmanager
	cp -R "$dir" "$src"
	chmod -R u+w "$src"
	for ui in elm mantine; do
		mkdir -p "$src/ui/app/dist/$ui"
		echo '<!doctype html><title>Alertmanager UI not built (gridwarn bench placeholder)</title>' >"$src/ui/app/dist/$ui/index.html"
	done
	bin=$work_dir/alertmanager-bin
	log "go build $module/cmd/alertmanager (its dependencies come from the proxy too; the first build takes minutes)"
	if ! (cd "$src" && GOFLAGS=-mod=mod go build -ldflags "-X github.com/prometheus/common/version.Version=${version#v}" -o "$bin" ./cmd/alertmanager) 2>"$work_dir/build.err"; then
		tail -n 20 "$work_dir/build.err" >&2
		cannot "go build ./cmd/alertmanager failed (above)"
	fi
	log "built: $("$bin" --version 2>&1 | head -n 1)"
fi

scripts/bench.sh --only alertmanager --alertmanager-bin "$bin" "$@"
