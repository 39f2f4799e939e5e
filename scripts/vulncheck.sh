#!/usr/bin/env bash
# vulncheck.sh fails when the code reaches a known vulnerability.
#
#   scripts/vulncheck.sh [packages...]        default ./...
#
# It runs govulncheck (golang.org/x/vuln, built from the Go module proxy)
# against a vulnerability database built from the data/osv directory of the
# golang.org/x/vulndb module version pinned in scripts/vulndb.version, with the
# Go release go.mod names (scripts/go-toolchain.sh): the standard library
# govulncheck checks is the one `go env GOVERSION` reports.
#
# The database is built once per pin by the vulndb module's own cmd/indexdb
# (the v1 layout govulncheck's -db file:// reads: index/db.json,
# index/modules.json, index/vulns.json, ID/<id>.json) into
# $GRIDWARN_VULNDB_CACHE (default: gridwarn-vulndb under `go env GOCACHE`);
# later runs read it from there. index/db.json carries the pin's commit time:
# the entries in data/osv have no modification times of their own.
#
# govulncheck itself is installed once per version and Go release beside the
# database (go install …@version from the module proxy).
#
# Exit status: govulncheck's (0 clean, 3 a reachable vulnerability, 1 an
# error), or 1 when the database or the tool cannot be built.
set -euo pipefail

log() { printf 'vulncheck.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

govulncheck_version=v1.10.0

pin=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' scripts/vulndb.version)
[[ $pin =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
	die "scripts/vulndb.version must hold one module version, not: $pin"

cache=${GRIDWARN_VULNDB_CACHE:-$(go env GOCACHE)/gridwarn-vulndb}
db=$cache/vulndb@$pin

# json_field FILE NAME prints the string field NAME of the JSON in FILE (go's
# own output: go mod download -json, .info files; no quotes inside values).
json_field() { grep -o "\"$2\":[[:space:]]*\"[^\"]*\"" "$1" | head -n 1 | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/'; }

build_db() {
	local meta src info time tmp osv_count id_count
	mkdir -p "$cache"
	meta=$(mktemp "$cache/download.XXXXXX")
	go mod download -json "golang.org/x/vulndb@$pin" >"$meta" ||
		{ rm -f "$meta"; die "go mod download golang.org/x/vulndb@$pin failed"; }
	src=$(json_field "$meta" Dir)
	info=$(json_field "$meta" Info)
	rm -f "$meta"
	[[ -d $src/data/osv ]] || die "golang.org/x/vulndb@$pin has no data/osv directory ($src)"
	time=$(json_field "$info" Time)
	[[ -n $time ]] || die "no commit time for golang.org/x/vulndb@$pin in $info"

	log "building the vulnerability database of golang.org/x/vulndb@$pin ($time) into $db"
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	# shellcheck disable=SC2064 # expand tmp now
	trap "rm -rf -- '$tmp'" EXIT
	go run "golang.org/x/vulndb/cmd/indexdb@$pin" -vulns "$src/data/osv" -out "$tmp/db"
	printf '{"modified":"%s"}' "$time" >"$tmp/db/index/db.json"
	# govulncheck reads a local database's .json files only.
	find "$tmp/db" -name '*.json.gz' -delete

	osv_count=$(find "$src/data/osv" -name '*.json' | wc -l)
	id_count=$(find "$tmp/db/ID" -name '*.json' | wc -l)
	((osv_count > 0 && id_count == osv_count)) ||
		die "the database has $id_count entries, data/osv $osv_count"
	grep -q '"path":"stdlib"' "$tmp/db/index/modules.json" ||
		die "the database's index/modules.json names no standard library vulnerabilities"

	# Renamed into place whole, so a run sees a complete database or none.
	mv -T "$tmp/db" "$db" 2>/dev/null || [[ -f $db/index/modules.json ]] ||
		die "could not move the database to $db"
	rm -rf -- "$tmp"
	trap - EXIT
}

[[ -f $db/index/modules.json ]] || build_db

bin=$cache/govulncheck@$govulncheck_version-$GOTOOLCHAIN
if [[ ! -x $bin/govulncheck ]]; then
	log "go install golang.org/x/vuln/cmd/govulncheck@$govulncheck_version into $bin"
	GOBIN=$bin go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" ||
		die "could not build govulncheck@$govulncheck_version"
fi

# govulncheck runs `go` itself to load the packages. Put the release's own
# go first on PATH: reached through a machine's older go (switching by
# GOTOOLCHAIN), the loader type-checked go1.27.3's standard library as older Go
# and failed ("generic method requires go1.27 or later"); `go run` does the
# same for the programs it starts.
goroot=$(go env GOROOT) || die "go env GOROOT failed"
export PATH=$goroot/bin:$PATH

(($# > 0)) || set -- ./...
log "govulncheck@$govulncheck_version $GOTOOLCHAIN vulndb@$pin $*"
exec "$bin/govulncheck" -db "file://$db" "$@"
