#!/usr/bin/env bash
# cluster.sh runs gridwarn's distributed topology on one machine, on loopback,
# from the project's own files (configs/cluster/, README.md there):
#
#   - a 3-node NATS JetStream cluster (the hub, domain "hub", fsync always),
#     built from the nats-server module in go.mod; GRIDWARN_EVENTS at R3;
#   - two county leaf nodes (320924, 320923), each with its own JetStream
#     domain and a local stream that GRIDWARN_EVENTS sources, each linked to
#     the hub through a TCP proxy (gridwarn drill proxy) that a drill can cut;
#   - a PostgreSQL primary and a streaming replica (pg_basebackup);
#   - three gridwarn processes on one durable consumer: gridwarn-1 and
#     gridwarn-2 (API + engine + relay), gridwarn-3 (API + scheduler + relay).
#
#   scripts/cluster.sh up                  build, start everything, wait until ready
#   scripts/cluster.sh down                stop everything and delete the state (not the binaries)
#   scripts/cluster.sh status              what runs, on which port
#   scripts/cluster.sh logs [NAME] [N]     the last N (50) lines of each log, or of NAME's
#   scripts/cluster.sh kill NAME           kill -9 (PostgreSQL: stop -m immediate)
#   scripts/cluster.sh start NAME          start NAME again (after kill)
#   scripts/cluster.sh pause|resume NAME   SIGSTOP / SIGCONT
#
# NAME: nats-1 nats-2 nats-3 leaf-320924 leaf-320923 proxy-320924 proxy-320923
#       pg-primary pg-replica gridwarn-1 gridwarn-2 gridwarn-3
#
# Ports (127.0.0.1): NATS clients 24221-24223, routes 24231-24233, leafnode
# listeners 24241-24243, monitoring 24281-24283; proxies 24251 (320924) and
# 24252 (320923); leaves 24261, 24262 (monitoring 24291, 24292); PostgreSQL
# 24301 (primary) and 24302 (replica); gridwarn APIs 24081-24083.
#
# State lives in $GRIDWARN_CLUSTER_DIR (default <repo>/.cluster, gitignored).
# Environment variables GRIDWARN_* reach the gridwarn processes (drill.sh sets
# a small rules time scale so that clocks breach within the drill).
# As root, PostgreSQL runs as the postgres user (runuser), like pg-local.sh.
set -euo pipefail

log() { printf 'cluster: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
state=${GRIDWARN_CLUSTER_DIR:-$repo_root/.cluster}
case $state in /*) ;; *) state=$PWD/$state ;; esac
bin=$state/bin
run=$state/run
logs=$state/logs
conf=$repo_root/configs/cluster
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

NATS_NODES=(nats-1 nats-2 nats-3)
COUNTIES=(320924 320923)
GRIDWARN=(gridwarn-1 gridwarn-2 gridwarn-3)
PG_PRIMARY_PORT=24301
PG_REPLICA_PORT=24302

is_root=false
[[ $(id -u) -eq 0 ]] && is_root=true

# ---------------------------------------------------------------- helpers

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for DESCRIPTION SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 4; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.25
	done
	die "$what not ready after ${secs}s (see scripts/cluster.sh logs)"
}

pid_of() { [[ -f $run/$1.pid ]] && cat "$run/$1.pid"; }

alive() {
	local pid
	pid=$(pid_of "$1") || return 1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# spawn NAME COMMAND...: start a process in the background, its output in
# logs/NAME.log, its pid in run/NAME.pid.
spawn() {
	local name=$1
	shift
	if alive "$name"; then
		log "$name already runs (pid $(pid_of "$name"))"
		return 0
	fi
	mkdir -p "$run" "$logs"
	nohup "$@" >>"$logs/$name.log" 2>&1 </dev/null &
	echo $! >"$run/$name.pid"
}

signal() { # signal SIG NAME
	local pid
	pid=$(pid_of "$2") || die "$2 was never started"
	kill "-$1" "$pid" 2>/dev/null || true
}

# stop_proc NAME: SIGTERM, then SIGKILL after 20 s.
stop_proc() {
	local name=$1 pid i
	pid=$(pid_of "$name") || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 80; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$run/$name.pid"
}

kill9() {
	local name=$1 pid i
	pid=$(pid_of "$name") || die "$name was never started"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
}

# --------------------------------------------------------------- binaries

build() {
	mkdir -p "$bin"
	log "building nats-server (the module in go.mod) and gridwarn"
	(cd "$repo_root" && go build -o "$bin/nats-server" github.com/nats-io/nats-server/v2) || die "go build nats-server failed"
	(cd "$repo_root" && go build -o "$bin/gridwarn" ./cmd/gridwarn) || die "go build gridwarn failed"
}

# ------------------------------------------------------------------- NATS

nats_index() { echo "${1#nats-}"; }

start_nats() {
	local name=$1 i
	i=$(nats_index "$name")
	mkdir -p "$state/nats/$name"
	NATS_STORE_DIR=$state/nats/$name spawn "$name" "$bin/nats-server" -c "$conf/$name.conf"
	wait_for "$name" 30 port_open "$((24220 + i))"
}

hub_healthy() {
	local i
	for i in 1 2 3; do
		curl -fsS "http://127.0.0.1:$((24280 + i))/healthz" >/dev/null || return 1
	done
}

proxy_port() { [[ $1 == 320924 ]] && echo 24251 || echo 24252; }
leaf_port() { [[ $1 == 320924 ]] && echo 24261 || echo 24262; }
leaf_monitor() { [[ $1 == 320924 ]] && echo 24291 || echo 24292; }

start_proxy() {
	local county=$1
	spawn "proxy-$county" "$bin/gridwarn" drill proxy --listen "127.0.0.1:$(proxy_port "$county")" \
		--target 127.0.0.1:24241,127.0.0.1:24242,127.0.0.1:24243
	wait_for "proxy-$county" 30 port_open "$(proxy_port "$county")"
}

leaf_linked() { curl -fsS "http://127.0.0.1:$(leaf_monitor "$1")/leafz" | grep -q '"leafnodes": *1'; }

start_leaf() {
	local county=$1
	mkdir -p "$state/nats/leaf-$county"
	NATS_STORE_DIR=$state/nats/leaf-$county spawn "leaf-$county" "$bin/nats-server" -c "$conf/leaf-$county.conf"
	wait_for "leaf-$county" 30 port_open "$(leaf_port "$county")"
}

# ------------------------------------------------------------- PostgreSQL

pg_bindir=''
find_pg() {
	local d
	if command -v pg_ctl >/dev/null 2>&1 && command -v pg_basebackup >/dev/null 2>&1; then
		pg_bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
	else
		d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -t/ -k5,5nr | head -n1)
		[[ -n $d && -x $d/pg_basebackup ]] && pg_bindir=$d
	fi
	[[ -n $pg_bindir ]] || die "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found; apt-get install postgresql"
	if $is_root; then
		id -u postgres >/dev/null 2>&1 || die "running as root needs an OS user named postgres"
	fi
}

as_pg() {
	if $is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_home prints (creating it) the directory of the two data directories:
# $state/pg, or, when the postgres user cannot reach it (a private parent
# directory), a fresh directory under /tmp recorded in $state/pg-home.
pg_home() {
	if [[ -f $state/pg-home ]]; then
		cat "$state/pg-home"
		return 0
	fi
	local home=$state/pg
	mkdir -p "$home"
	if $is_root; then
		chown postgres: "$home"
		if ! runuser -u postgres -- test -w "$home" -a -x "$home" 2>/dev/null; then
			rmdir "$home" 2>/dev/null || true
			home=$(mktemp -d /tmp/gridwarn-cluster-pg.XXXXXX)
			chown postgres: "$home"
			printf '%s\n' "$home" >"$state/pg-home"
		fi
	fi
	printf '%s\n' "$home"
}

pg_data() { echo "$(pg_home)/${1#pg-}"; } # pg-primary -> <home>/primary

# pg_start NAME: the server's log is in the PostgreSQL home (which the
# postgres user can write), linked from logs/NAME.log.
pg_start() {
	local name=$1 data home
	data=$(pg_data "$name")
	home=$(pg_home)
	mkdir -p "$logs"
	ln -sfn "$home/$name.log" "$logs/$name.log"
	as_pg "$pg_bindir/pg_ctl" -D "$data" -l "$home/$name.log" -w -t 120 start >&2 || die "$name did not start; see $home/$name.log"
}

pg_stop() { # pg_stop NAME MODE
	local data
	data=$(pg_data "$1")
	[[ -f $data/PG_VERSION ]] || return 0
	as_pg "$pg_bindir/pg_ctl" -D "$data" -m "$2" -w -t 120 stop >&2 2>/dev/null || true
}

pg_running() { as_pg "$pg_bindir/pg_ctl" -D "$(pg_data "$1")" status >/dev/null 2>&1; }

init_pg() {
	local primary replica
	primary=$(pg_data pg-primary)
	replica=$(pg_data pg-replica)
	if [[ ! -f $primary/PG_VERSION ]]; then
		log "initialising the PostgreSQL primary in $primary"
		as_pg "$pg_bindir/initdb" -D "$primary" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null ||
			die "initdb failed"
		as_pg tee -a "$primary/postgresql.conf" >/dev/null <<EOF

# Added by scripts/cluster.sh (see configs/cluster/README.md)
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = ''
max_connections = 200
fsync = on
synchronous_commit = on
wal_level = replica
max_wal_senders = 5
wal_keep_size = 512MB
hot_standby = on
EOF
	fi
	pg_running pg-primary || pg_start pg-primary
	as_pg "$pg_bindir/createdb" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres gridwarn 2>/dev/null || true
	if [[ ! -f $replica/PG_VERSION ]]; then
		log "taking the replica's base backup (pg_basebackup, streaming)"
		as_pg "$pg_bindir/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$replica" -R -X stream -c fast ||
			die "pg_basebackup failed"
		printf '\n# The streaming replica (scripts/cluster.sh)\nport = %s\n' "$PG_REPLICA_PORT" |
			as_pg tee -a "$replica/postgresql.conf" >/dev/null
	fi
	pg_running pg-replica || pg_start pg-replica
}

# ---------------------------------------------------------------- gridwarn

start_gridwarn() {
	local name=$1 n engine=true scheduler=false
	n=${name#gridwarn-}
	if [[ $n == 3 ]]; then
		engine=false
		scheduler=true
	fi
	mkdir -p "$state/$name"
	GRIDWARN_DATA_DIR=$state/$name GRIDWARN_API_LISTEN=127.0.0.1:$((24080 + n)) \
		GRIDWARN_ROLES_ENGINE=$engine GRIDWARN_ROLES_SCHEDULER=$scheduler \
		spawn "$name" "$bin/gridwarn" serve --config "$conf/gridwarn.yaml"
}

gridwarn_ready() { curl -fsS "http://127.0.0.1:$((24080 + ${1#gridwarn-}))/readyz"; }

wait_gridwarn() {
	local name=$1 i
	for ((i = 0; i < 480; i++)); do
		gridwarn_ready "$name" >/dev/null 2>&1 && return 0
		alive "$name" || die "$name exited; last lines of its log:
$(tail -n 15 "$logs/$name.log")"
		sleep 0.25
	done
	die "$name not ready after 120s"
}

# -------------------------------------------------------------- commands

cmd_up() {
	command -v curl >/dev/null || die "curl is needed"
	find_pg
	mkdir -p "$state" "$run"
	# Each run's logs are fresh; the previous run's stay in logs.prev.
	if [[ -d $logs ]]; then
		rm -rf -- "$logs.prev"
		mv -- "$logs" "$logs.prev"
	fi
	mkdir -p "$logs"
	build
	init_pg
	local n c
	for n in "${NATS_NODES[@]}"; do start_nats "$n"; done
	wait_for "the JetStream hub" 60 hub_healthy
	for c in "${COUNTIES[@]}"; do start_proxy "$c"; done
	for c in "${COUNTIES[@]}"; do start_leaf "$c"; done
	for c in "${COUNTIES[@]}"; do wait_for "leaf-$c's link to the hub" 60 leaf_linked "$c"; done
	start_gridwarn gridwarn-1 # migrates the database, creates the streams
	wait_gridwarn gridwarn-1
	start_gridwarn gridwarn-2
	start_gridwarn gridwarn-3
	wait_gridwarn gridwarn-2
	wait_gridwarn gridwarn-3
	log "up: APIs on 127.0.0.1:24081-24083, hub nats://127.0.0.1:24221-24223, leaves 24261 (320924) and 24262 (320923)"
	cmd_status
}

cmd_down() {
	local n c
	find_pg
	for n in "${GRIDWARN[@]}"; do stop_proc "$n" & done
	wait
	for c in "${COUNTIES[@]}"; do stop_proc "leaf-$c"; stop_proc "proxy-$c"; done
	for n in "${NATS_NODES[@]}"; do stop_proc "$n" & done
	wait
	if [[ -d $state ]]; then
		pg_stop pg-replica fast
		pg_stop pg-primary fast
		local home
		home=$(pg_home)
		if [[ $home != "$state/pg" ]]; then
			rm -rf -- "$home"
		fi
		rm -rf -- "$state/pg" "$state/pg-home" "$state/nats" "$state/run" "$state"/gridwarn-[0-9]
		log "down: stopped; state removed (binaries and logs kept in $state)"
	fi
}

all_names() {
	printf '%s\n' "${NATS_NODES[@]}"
	local c
	for c in "${COUNTIES[@]}"; do printf '%s\n' "proxy-$c" "leaf-$c"; done
	printf '%s\n' pg-primary pg-replica "${GRIDWARN[@]}"
}

cmd_status() {
	find_pg
	local name down=0
	while read -r name; do
		case $name in
		pg-*)
			if [[ -d $state ]] && pg_running "$name"; then
				printf '%-14s running\n' "$name"
			else
				printf '%-14s stopped\n' "$name"
				down=1
			fi
			;;
		*)
			if alive "$name"; then
				local extra=''
				[[ $name == gridwarn-* ]] && { gridwarn_ready "$name" >/dev/null 2>&1 && extra=' ready' || extra=' not ready'; }
				printf '%-14s running (pid %s)%s\n' "$name" "$(pid_of "$name")" "$extra"
			else
				printf '%-14s stopped\n' "$name"
				down=1
			fi
			;;
		esac
	done < <(all_names)
	return $down
}

cmd_logs() {
	local lines=${2:-50} name
	if [[ -n ${1:-} ]]; then
		tail -n "$lines" "$logs/$1.log"
		return
	fi
	while read -r name; do
		[[ -f $logs/$name.log ]] || continue
		printf '==> %s <==\n' "$name"
		tail -n "$lines" "$logs/$name.log"
	done < <(all_names)
}

valid_name() { all_names | grep -qx "$1" || die "unknown name $1 (one of: $(all_names | tr '\n' ' '))"; }

cmd_kill() {
	valid_name "$1"
	case $1 in
	pg-*) find_pg && pg_stop "$1" immediate ;;
	*) kill9 "$1" ;;
	esac
}

cmd_start() {
	valid_name "$1"
	case $1 in
	nats-*) start_nats "$1" ;;
	leaf-*) start_leaf "${1#leaf-}" ;;
	proxy-*) start_proxy "${1#proxy-}" ;;
	pg-*) find_pg && pg_start "$1" ;;
	gridwarn-*) start_gridwarn "$1" && wait_gridwarn "$1" ;;
	esac
}

usage() {
	sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[[ $# -ge 1 ]] || usage
case $1 in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs) cmd_logs "${2:-}" "${3:-}" ;;
kill) [[ $# -eq 2 ]] || usage && cmd_kill "$2" ;;
start) [[ $# -eq 2 ]] || usage && cmd_start "$2" ;;
pause) [[ $# -eq 2 ]] || usage && valid_name "$2" && signal STOP "$2" ;;
resume) [[ $# -eq 2 ]] || usage && valid_name "$2" && signal CONT "$2" ;;
*) usage ;;
esac
