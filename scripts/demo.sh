#!/usr/bin/env bash
# demo.sh builds gridwarn and runs `gridwarn demo` against a throwaway local
# PostgreSQL cluster (scripts/pg-local.sh), which it stops when the demo ends.
#
#   scripts/demo.sh [gridwarn demo flags...]
#
# State lives in <repo>/.demo (the cluster in $PGLOCAL_DIR, default
# <repo>/.demo/pg), so a second run starts where the first one stopped.
# Delete the cluster with: PGLOCAL_DIR=.demo/pg scripts/pg-local.sh destroy
set -euo pipefail

log() { printf 'demo.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
log "building ./bin/gridwarn ($version)"
go build -ldflags "-X github.com/gridwarn/gridwarn/internal/version.Version=$version" \
	-o bin/gridwarn ./cmd/gridwarn

export PGLOCAL_DIR=${PGLOCAL_DIR:-$repo_root/.demo/pg}
mkdir -p "$repo_root/.demo"
url=$(scripts/pg-local.sh start) ||
	die "could not start PostgreSQL (see above); install it with: apt-get install postgresql"

# Not exec: the shell stays to stop the cluster when the demo exits. Ctrl-C
# reaches gridwarn directly (same process group); the postmaster runs in its
# own session, so it keeps serving while gridwarn shuts down gracefully.
trap 'scripts/pg-local.sh stop >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export GRIDWARN_DATABASE_URL=$url
status=0
./bin/gridwarn demo --data-dir "$repo_root/.demo" "$@" || status=$?
exit "$status"
