#!/usr/bin/env bash
# bench.sh runs `gridwarn bench` against a throwaway PostgreSQL cluster.
#
#   scripts/bench.sh [gridwarn bench flags...]    e.g. scripts/bench.sh --quick
#
# It starts a private cluster with scripts/pg-local.sh in a temporary
# directory, builds gridwarn into it (or runs $GRIDWARN_BIN), runs
# `gridwarn bench` with GRIDWARN_DATABASE_URL pointing at the cluster, and
# removes the cluster on exit. The Markdown table goes to standard output,
# progress to standard error:
#
#   scripts/bench.sh > bench.md            # the defaults: about ten minutes on two cores
#   scripts/bench.sh --quick               # a smoke run of a minute or two
#   scripts/bench.sh --only engine,latency --events 100000
set -euo pipefail

log() { printf 'bench.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwarn-bench.XXXXXX")
export PGLOCAL_DIR=$work_dir/pg

cleanup() {
	# destroy stops the server and also removes its data when pg-local.sh had
	# to keep it outside PGLOCAL_DIR (running as root).
	scripts/pg-local.sh destroy >/dev/null 2>&1 || scripts/pg-local.sh stop >/dev/null 2>&1 || true
	rm -rf -- "$work_dir"
}
trap cleanup EXIT
# Turn signals into an exit so that the EXIT trap stops the cluster.
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${GRIDWARN_BIN:-} ]]; then
	bin=$GRIDWARN_BIN
	[[ -x $bin ]] || die "GRIDWARN_BIN=$bin is not an executable"
else
	# shellcheck source=scripts/go-toolchain.sh
	source scripts/go-toolchain.sh
	bin=$work_dir/gridwarn
	log "go build -o $bin ./cmd/gridwarn"
	go build -o "$bin" ./cmd/gridwarn
fi

url=$(scripts/pg-local.sh start) ||
	die "could not start PostgreSQL (see above); install the server binaries (apt-get install postgresql)"
log "PostgreSQL ready at $url"
export GRIDWARN_DATABASE_URL=$url

"$bin" bench "$@"
