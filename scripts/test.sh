#!/usr/bin/env bash
# test.sh runs the whole test suite against a throwaway PostgreSQL cluster.
#
#   scripts/test.sh [go test flags...]
#
# It starts a private cluster with scripts/pg-local.sh in a temporary
# directory, exports GRIDWARN_TEST_DATABASE_URL, runs `go vet` and
# scripts/vulncheck.sh (govulncheck; fails on a reachable known vulnerability),
# `go test -race -count=1 -timeout 30m`, and removes the cluster on exit.
# go runs as go.mod names it (GOTOOLCHAIN=go1.27.3, scripts/go-toolchain.sh).
# Arguments are passed to go test (after the defaults, so -timeout 1h wins).
# The packages come from $GRIDWARN_TEST_PACKAGES (default ./...), a
# space-separated list, e.g. GRIDWARN_TEST_PACKAGES="./internal/postgres/...".
#
# When PostgreSQL cannot be started, CI=true fails; elsewhere it warns and the
# tests that need a database skip (see internal/testutil). The same goes for
# Chromium, which the web console's browser tests drive: it is installed with
# apt-get when missing and this user may (root or password-less sudo).
set -euo pipefail

log() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# Exports GOTOOLCHAIN=go1.27.3 (go.mod's): the tests and the vulnerability
# check run on the release go.mod names, not on the machine's own Go.
# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

in_ci=false
case ${CI:-} in
1 | t | T | true | TRUE | True) in_ci=true ;;
esac

read -r -a packages <<<"${GRIDWARN_TEST_PACKAGES:-./...}"
((${#packages[@]} > 0)) || packages=(./...)

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwarn-test.XXXXXX")
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

if url=$(scripts/pg-local.sh start); then
	export GRIDWARN_TEST_DATABASE_URL=$url
	log "PostgreSQL ready at $url"
elif $in_ci; then
	die "could not start PostgreSQL (see the messages above) and CI=true: tests that" \
		"need PostgreSQL must not be skipped in CI. Install the server binaries" \
		"(apt-get install postgresql) on the CI image."
else
	log "warning: could not start PostgreSQL (see above); running the tests anyway -" \
		"the tests that need a database will SKIP. Install it with: apt-get install postgresql"
	unset GRIDWARN_TEST_DATABASE_URL
fi

# The console's browser tests drive a real headless Chromium: install
# Debian's chromium package when it is missing and this user can.
have_chromium() {
	[[ -n ${GRIDWARN_CHROMIUM:-} ]] && return 0
	local b
	for b in chromium chromium-browser google-chrome google-chrome-stable; do
		command -v "$b" >/dev/null 2>&1 && return 0
	done
	return 1
}
if ! have_chromium && command -v apt-get >/dev/null 2>&1; then
	sudo=()
	if [[ $(id -u) != 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	fi
	if [[ $(id -u) == 0 || ${#sudo[@]} -gt 0 ]]; then
		log "installing Chromium for the browser tests (apt-get install chromium)"
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get install -y -q chromium >/dev/null 2>&1 ||
			{ "${sudo[@]}" apt-get update -q >/dev/null 2>&1 && "${sudo[@]}" apt-get install -y -q chromium >/dev/null; } ||
			log "warning: apt-get install chromium failed"
	fi
fi
if ! have_chromium; then
	if $in_ci; then
		die "Chromium is missing and could not be installed, and CI=true: the browser tests" \
			"must not be skipped in CI. Install it (apt-get install chromium) or set GRIDWARN_CHROMIUM."
	fi
	log "warning: no Chromium (apt-get install chromium); the browser tests will SKIP"
fi

# The API document must pass the OpenAPI linter (@redocly/cli, pinned): run
# it when npx is present; CI=true requires it.
redocly_version=1.34.5
if command -v npx >/dev/null 2>&1; then
	log "redocly lint internal/api/openapi.yaml (@redocly/cli@$redocly_version)"
	npx --yes "@redocly/cli@$redocly_version" lint --format=stylish internal/api/openapi.yaml ||
		die "openapi.yaml fails @redocly/cli lint (see above)"
elif $in_ci; then
	die "npx is missing and CI=true: the API document must be linted in CI. Install Node.js (apt-get install npm)."
else
	log "warning: no npx (apt-get install npm); openapi.yaml is not linted"
fi

log "go vet ${packages[*]}"
go vet "${packages[@]}"

# A reachable known vulnerability fails the run (scripts/vulncheck.sh:
# govulncheck against the pinned golang.org/x/vulndb database).
scripts/vulncheck.sh "${packages[@]}"

log "go test -race -count=1 -timeout 30m ${packages[*]} $*"
go test -race -count=1 -timeout 30m "${packages[@]}" "$@"

# The short cluster drill (#15, scripts/drill.sh --short): the distributed
# topology of scripts/cluster.sh (3-node JetStream hub, two county leaf
# nodes, PostgreSQL primary + streaming replica, three gridwarn processes),
# a few thousand events, kill -9 of a NATS node, a county cut off, kill -9 of
# a gridwarn replica; it fails on any lost or duplicated event. A few
# minutes; GRIDWARN_TEST_DRILL=0 skips it.
if [[ ${GRIDWARN_TEST_DRILL:-1} != 0 && -z ${GRIDWARN_TEST_DATABASE_URL:-} ]] && ! $in_ci; then
	log "warning: no PostgreSQL on this machine; the short cluster drill is skipped"
elif [[ ${GRIDWARN_TEST_DRILL:-1} != 0 ]]; then
	log "short cluster drill: scripts/drill.sh --short (GRIDWARN_TEST_DRILL=0 skips it)"
	GRIDWARN_CLUSTER_DIR=$work_dir/cluster scripts/drill.sh --short
else
	log "short cluster drill skipped (GRIDWARN_TEST_DRILL=0)"
fi
