#!/usr/bin/env bash
# vulndb-update.sh moves the vulnerability database pin (scripts/vulndb.version)
# to the newest golang.org/x/vulndb version the Go module proxy serves, writes
# the pin and its date into the README, and runs scripts/vulncheck.sh, which
# builds the new database and checks the code against it.
#
#   scripts/vulndb-update.sh
#
# Commit scripts/vulndb.version and README.md afterwards; a reachable
# vulnerability the new database knows makes the last step fail (exit 3).
set -euo pipefail

log() { printf 'vulndb-update.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

latest=$(go list -m -f '{{.Version}} {{.Time.Format "2006-01-02"}}' golang.org/x/vulndb@latest) ||
	die "go list -m golang.org/x/vulndb@latest failed"
read -r version date <<<"$latest"
[[ $version =~ ^v[0-9] && $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
	die "unexpected answer from the module proxy: $latest"

old=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' scripts/vulndb.version)
if [[ $old == "$version" ]]; then
	log "the pin is already the newest version: $version ($date)"
else
	log "pin: $old -> $version ($date)"
	sed -i "s|^$old\$|$version|" scripts/vulndb.version
	# The README names the pin as `golang.org/x/vulndb@<version>` (<date>).
	sed -i -E "s|(\`golang\.org/x/vulndb@)v[^\`]+(\` \()[0-9]{4}-[0-9]{2}-[0-9]{2}\)|\1$version\2$date)|g" README.md
	grep -q "golang.org/x/vulndb@$version\` ($date)" README.md ||
		die "README.md does not name the new pin; update it by hand"
fi

exec scripts/vulncheck.sh
