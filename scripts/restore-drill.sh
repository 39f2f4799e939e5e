#!/usr/bin/env bash
# restore-drill.sh proves that a PostgreSQL restored from a base backup is
# brought forward by `gridwarn recover` without losing or doubling an event
# (issue #15 item 5).
#
#   scripts/restore-drill.sh
#
# What it does, on loopback, in a throwaway directory:
#   1. starts a PostgreSQL cluster (scripts/pg-local.sh) and gridwarn (the demo
#      county, embedded NATS whose store directory outlives every step);
#   2. publishes a steady stream of events with unique ids through
#      `gridwarn publish`, which prints each id the broker acknowledged;
#   3. takes a base backup with pg_basebackup mid-run, keeps publishing;
#   4. destroys the database (stops PostgreSQL, deletes its data directory)
#      while gridwarn and the publisher go on, restores the backup, starts it;
#   5. runs `gridwarn recover` against the running broker, stops publishing,
#      waits for the engine to drain, and checks every acknowledged id:
#      stored exactly once in events (0 lost, 0 duplicated).
#
# It prints ONE Markdown table row, like the bench's and the drill's:
#   | restore from base backup + recover | <acked> | <lost> | <dup> | <time> | PASS/FAIL |
# where time is from the restored database's start to the end of
# `gridwarn recover` (the checker then waits for the engine to drain what
# was published meanwhile). Exit status: 0 PASS, 1 FAIL (or an error),
# 3 PostgreSQL is not installed.
#
# Settings (environment): DRILL_RATE events per second (default 50),
# DRILL_BEFORE / DRILL_AFTER seconds of publishing before and after the
# backup (default 15 / 15), DRILL_KEEP=1 keeps the work directory,
# DRILL_SKIP_RECOVER=1 restores without recovering (the checker must then
# report the events stored after the backup as lost: FAIL).
set -euo pipefail

log() { printf 'restore-drill: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/go-toolchain.sh
source scripts/go-toolchain.sh

rate=${DRILL_RATE:-50}
before=${DRILL_BEFORE:-15}
after=${DRILL_AFTER:-15}
scenario='restore from base backup + recover'

is_root=false
[[ $(id -u) -eq 0 ]] && is_root=true
# as_pg runs a PostgreSQL tool as the cluster's owner (postgres when root).
as_pg() {
	if $is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

pg_bin() {
	local name=$1 dir
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
		return
	fi
	for dir in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -t/ -k5,5nr); do
		[[ -x $dir/$name ]] && {
			printf '%s\n' "$dir/$name"
			return
		}
	done
	log "error: $name not found (install PostgreSQL: apt-get install postgresql)"
	exit 3
}
basebackup=$(pg_bin pg_basebackup)
command -v psql >/dev/null 2>&1 || psql_bin=$(pg_bin psql)
psql=${psql_bin:-psql}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + (RANDOM % 10000)))
		port_in_use "$port" || {
			printf '%s\n' "$port"
			return
		}
	done
	die "no free port"
}

work=$(mktemp -d /tmp/gridwarn-restore-drill.XXXXXX)
chmod 755 "$work" # the postgres user keeps the cluster and the backup in here
gw_pid='' pub_pid=''
cleanup() {
	touch "$work/stop" 2>/dev/null || true
	[[ -n $pub_pid ]] && kill "$pub_pid" 2>/dev/null || true
	[[ -n $gw_pid ]] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true
	PGLOCAL_DIR=$work/pg scripts/pg-local.sh stop >/dev/null 2>&1 || true
	if [[ ${DRILL_KEEP:-0} == 1 ]]; then
		log "kept $work"
	else
		PGLOCAL_DIR=$work/pg scripts/pg-local.sh destroy >/dev/null 2>&1 || true
		rm -rf "$work"
	fi
}
trap cleanup EXIT

log "building gridwarn"
go build -o "$work/gridwarn" ./cmd/gridwarn
gw=$work/gridwarn

export PGLOCAL_DIR=$work/pg
set +e
server_url=$(scripts/pg-local.sh start 2>"$work/pg-local.log")
rc=$?
set -e
if ((rc != 0)); then
	cat "$work/pg-local.log" >&2
	exit "$rc"
fi
pg_port=${server_url#*127.0.0.1:}
pg_port=${pg_port%%/*}
home=$(cat "$PGLOCAL_DIR/home" 2>/dev/null || printf '%s' "$PGLOCAL_DIR")
datadir=$home/data
"$psql" "$server_url" -qc 'CREATE DATABASE drill' >/dev/null
db_url=${server_url/\/postgres\?/\/drill?}

nats_port=$(pick_port)
api_port=$(pick_port)
export GRIDWARN_DATABASE_URL=$db_url GRIDWARN_NATS_EMBEDDED_PORT=$nats_port GRIDWARN_LOG_FORMAT=text
nats_url=nats://127.0.0.1:$nats_port

log "starting gridwarn (demo county, embedded NATS on $nats_port, store $work/data)"
"$gw" demo --no-simulator --data-dir "$work/data" --listen "127.0.0.1:$api_port" >"$work/gridwarn.log" 2>&1 &
gw_pid=$!
for ((i = 0; i < 300; i++)); do
	if curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; then
		break
	fi
	kill -0 "$gw_pid" 2>/dev/null || {
		tail -n 30 "$work/gridwarn.log" >&2
		die "gridwarn exited"
	}
	sleep 0.2
done
curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null || die "gridwarn not ready; see $work/gridwarn.log"

# The demo loads its county once it is up.
ents=()
for ((i = 0; i < 300; i++)); do
	mapfile -t ents < <("$psql" "$db_url" -Atc 'SELECT credit_code FROM enterprises ORDER BY credit_code LIMIT 60' 2>/dev/null)
	((${#ents[@]} >= 60)) && grep -q 'token' "$work/gridwarn.log" && break
	sleep 0.2
done
((${#ents[@]} > 0)) || die "no enterprises in the registry; see $work/gridwarn.log"

# The publisher: unique ids at a steady rate until $work/stop exists; every
# id the broker acknowledged is a line "published id=..." in acked.log.
generate() {
	local i=0 k per_tick=$(((rate + 9) / 10)) occurred n=${#ents[@]}
	occurred=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
	while [[ ! -e $work/stop ]]; do
		for ((k = 0; k < per_tick; k++)); do
			i=$((i + 1))
			printf '{"id":"drill-%07d","enterprise":"%s","category":"wage_arrears","occurred_at":"%s","workers_involved":%d}\n' \
				"$i" "${ents[i % n]}" "$occurred" $((1 + i % 25))
		done
		sleep 0.1
	done
}
generate | "$gw" publish --nats-url "$nats_url" >"$work/acked.log" 2>"$work/publish.err" &
pub_pid=$!
acked() { grep -c '^published id=' "$work/acked.log" || true; }

sleep "$before"
log "pg_basebackup mid-run ($(acked) acknowledged so far)"
mkdir -p "$work/backup"
$is_root && chown postgres: "$work/backup"
as_pg "$basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$work/backup" -X stream -c fast >"$work/basebackup.log" 2>&1 ||
	die "pg_basebackup failed: $(cat "$work/basebackup.log")"
at_backup=$(acked)

sleep "$after"
log "destroying the database ($(acked) acknowledged so far; $at_backup at the backup)"
scripts/pg-local.sh stop 2>/dev/null
as_pg rm -rf "$datadir"
log "restoring the base backup"
as_pg cp -a "$work/backup" "$datadir"
as_pg chmod 700 "$datadir"
scripts/pg-local.sh start >/dev/null 2>"$work/pg-local.log" || die "restored PostgreSQL did not start: $(cat "$work/pg-local.log")"
restored_at=$(date +%s.%N)

if [[ ${DRILL_SKIP_RECOVER:-0} == 1 ]]; then
	# Shows that the checker catches the loss a restore alone leaves.
	log "skipping gridwarn recover (DRILL_SKIP_RECOVER=1): expect FAIL"
	printf 'skipped\n' >"$work/recover.log"
else
	log "gridwarn recover"
	"$gw" recover --nats-url "$nats_url" --lookback 1h >"$work/recover.log" 2>"$work/recover.err" ||
		die "gridwarn recover failed: $(cat "$work/recover.err")"
fi
elapsed=$(awk -v a="$restored_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')
sed 's/^/restore-drill:   /' "$work/recover.log" >&2

sleep 3
touch "$work/stop"
wait "$pub_pid" || log "the publisher reported failures: $(tail -n 3 "$work/publish.err")"
pub_pid=''
sed -n 's/^published id=\([^ ]*\) .*/\1/p' "$work/acked.log" >"$work/acked.ids"
total=$(wc -l <"$work/acked.ids")

# check prints "lost duplicated" for the acknowledged ids.
check() {
	"$psql" "$db_url" -v ON_ERROR_STOP=1 -Atq -F ' ' <<SQL
CREATE TEMP TABLE acked (id text PRIMARY KEY);
\copy acked FROM '$work/acked.ids'
SELECT (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = a.id)),
       (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM events GROUP BY id HAVING count(*) > 1) d);
SQL
}
lost=$total dup=0
# Without recover the lost never come back: wait less.
tries=600
[[ ${DRILL_SKIP_RECOVER:-0} == 1 ]] && tries=50
for ((i = 0; i < tries; i++)); do
	read -r lost dup < <(check)
	((lost == 0)) && break
	sleep 0.2
done
dead=$("$psql" "$db_url" -Atc 'SELECT count(*) FROM dead_letters')
log "acknowledged $total (at the backup: $at_backup); lost $lost; duplicated $dup; dead letters $dead"

verdict=PASS
((lost == 0 && dup == 0 && total > at_backup && at_backup > 0)) || verdict=FAIL
printf '| %s | %d | %d | %d | %s | %s |\n' "$scenario" "$total" "$lost" "$dup" "$elapsed" "$verdict"
[[ $verdict == PASS ]]
