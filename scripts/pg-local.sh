#!/usr/bin/env bash
# pg-local.sh manages a throwaway local PostgreSQL cluster for tests and the demo.
#
#   scripts/pg-local.sh start    initialise if needed, start, print the connection URL
#   scripts/pg-local.sh url      print the connection URL
#   scripts/pg-local.sh stop     stop (fast mode); succeeds when already stopped
#   scripts/pg-local.sh status   exit 0 when running, 1 otherwise
#   scripts/pg-local.sh destroy  stop and delete the cluster and $PGLOCAL_DIR
#
# The cluster lives in $PGLOCAL_DIR (default <repo>/.pglocal). The server
# binaries are looked up on PATH, then in /usr/lib/postgresql/<version>/bin;
# $PGLOCAL_BINDIR names their directory explicitly (to pick a version).
#
# Only the URL is printed on stdout
# (postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable); everything
# else goes to stderr. The server listens on 127.0.0.1 only, with
# trust authentication, so it must never hold anything that matters.
#
# Exit status: 0 success, 1 failure, 3 a prerequisite is missing (PostgreSQL
# server binaries, the postgres user, runuser). Callers use 3 to tell "cannot
# run PostgreSQL on this machine" from "PostgreSQL failed".
#
# Layout of $PGLOCAL_DIR:
#   .pglocal       marker: this directory is managed by pg-local.sh
#   port           the TCP port, chosen once and reused by every start
#   lock           flock(1) lock serialising concurrent invocations
#   data/          the cluster (PGDATA)            } in the "home" directory,
#   postgres.log   the server log                  } normally $PGLOCAL_DIR itself
#   .s.PGSQL.PORT  the Unix socket                 }
#   home           only when the home is elsewhere: its path (see below)
#
# Running as root: initdb, pg_ctl and postgres refuse to run as root, so they
# run as the postgres user through runuser, and the home must be owned by and
# reachable for that user. $PGLOCAL_DIR is chowned to postgres when it is ours
# (new, empty, or carrying the marker). When postgres still cannot reach it -
# typically because a parent directory is private, such as /root/src/gridwarn -
# the home moves to a fresh directory under /tmp (world-traversable, sticky),
# created with mktemp as /tmp/gridwarn-pg-<hash of $PGLOCAL_DIR>.XXXXXX and
# recorded in $PGLOCAL_DIR/home. We never chmod parent directories: opening up
# someone's home directory to make a test database work would be a surprising
# side effect. mktemp (rather than a predictable name) means another local
# user cannot pre-create the directory. `destroy` removes that directory too.
set -euo pipefail

readonly EXIT_MISSING=3

log() { printf 'pg-local: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
missing() {
	log "error: $*"
	exit "$EXIT_MISSING"
}

usage() {
	cat >&2 <<'EOF'
usage: scripts/pg-local.sh start|stop|url|status|destroy
  cluster directory: $PGLOCAL_DIR (default <repo>/.pglocal)
EOF
	exit 2
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

pglocal_dir=${PGLOCAL_DIR:-$repo_root/.pglocal}
case $pglocal_dir in
/*) ;;
*) pglocal_dir=$PWD/$pglocal_dir ;;
esac
pglocal_dir=${pglocal_dir%/}
[[ -n $pglocal_dir ]] || die "PGLOCAL_DIR must not be /"

is_root=false
if [[ $(id -u) -eq 0 ]]; then
	is_root=true
fi

# Absolute paths of the server binaries, set by find_binaries. Absolute
# because runuser resets PATH for the target user.
initdb_bin=''
pg_ctl_bin=''

# find_binaries looks for initdb, pg_ctl and postgres on PATH, then in the
# Debian/Ubuntu location /usr/lib/postgresql/<version>/bin (newest first),
# which is not on PATH by default.
find_binaries() {
	local dir candidates=()
	if [[ -n ${PGLOCAL_BINDIR:-} ]]; then
		candidates+=("$PGLOCAL_BINDIR")
	elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		candidates+=("$(dirname "$(command -v pg_ctl)")")
	fi
	local versioned
	while IFS= read -r versioned; do
		[[ -n $versioned ]] && candidates+=("$versioned")
	done < <([[ -n ${PGLOCAL_BINDIR:-} ]] ||
		find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -t/ -k5,5nr)
	for dir in "${candidates[@]}"; do
		# pg_ctl starts the postgres found next to its own (resolved) binary;
		# check the directories that matter after resolving symlinks.
		local initdb_path pg_ctl_path
		initdb_path=$(readlink -f "$dir/initdb" 2>/dev/null || true)
		pg_ctl_path=$(readlink -f "$dir/pg_ctl" 2>/dev/null || true)
		if [[ -x $initdb_path && -x $pg_ctl_path && -x $(dirname "$pg_ctl_path")/postgres ]]; then
			initdb_bin=$initdb_path
			pg_ctl_bin=$pg_ctl_path
			return 0
		fi
	done
	missing "PostgreSQL server binaries not found: need initdb, pg_ctl and postgres" \
		"(looked in ${PGLOCAL_BINDIR:-PATH and /usr/lib/postgresql/*/bin})." \
		"Install them with: apt-get install postgresql (Debian/Ubuntu)," \
		"dnf install postgresql-server (Fedora), brew install postgresql (macOS)."
}

check_root_prerequisites() {
	$is_root || return 0
	command -v runuser >/dev/null 2>&1 ||
		missing "running as root needs runuser (util-linux) to run PostgreSQL as the postgres user; install util-linux"
	id -u postgres >/dev/null 2>&1 ||
		missing "running as root needs an OS user named postgres (initdb refuses root);" \
			"apt-get install postgresql creates it, or: useradd --system --home-dir /var/lib/postgresql postgres"
}

# as_pg runs a command as the cluster owner: the postgres user when we are
# root, ourselves otherwise. It runs from / so that postgres is not left in a
# working directory it cannot read (such as /root). File descriptor 9 (our
# lock) is closed so that the postmaster does not inherit and hold it forever.
as_pg() {
	if $is_root; then
		(cd / && runuser -u postgres -- "$@") 9>&-
	else
		"$@" 9>&-
	fi
}

# home_dir prints the directory holding data/, the log and the socket, without
# creating anything. Empty when none has been set up yet.
home_dir() {
	if [[ -f $pglocal_dir/home ]]; then
		cat "$pglocal_dir/home"
	elif [[ -d $pglocal_dir/data ]]; then
		printf '%s\n' "$pglocal_dir"
	fi
}

# dir_is_ours reports whether $1 may be chowned or deleted: it carries the
# marker, or holds nothing but our lock file.
dir_is_ours() {
	[[ -e $1/.pglocal ]] || [[ -z $(find "$1" -mindepth 1 -maxdepth 1 ! -name lock -print -quit) ]]
}

# ensure_home creates (when needed) and prints the home directory.
ensure_home() {
	mkdir -p "$pglocal_dir"
	local home
	home=$(home_dir)
	if [[ -n $home && -d $home/data ]]; then
		printf '%s\n' "$home"
		return 0
	fi
	if [[ -n $home ]]; then
		# A recorded external home vanished (e.g. /tmp was cleaned): start over.
		log "cluster home $home is gone; initialising a new cluster"
		rm -f "$pglocal_dir/home"
	fi
	local ours=false
	if dir_is_ours "$pglocal_dir"; then
		ours=true
		touch "$pglocal_dir/.pglocal"
	fi
	if ! $is_root; then
		printf '%s\n' "$pglocal_dir"
		return 0
	fi
	if $ours; then
		chown postgres: "$pglocal_dir"
		if runuser -u postgres -- test -w "$pglocal_dir" -a -x "$pglocal_dir" 2>/dev/null; then
			printf '%s\n' "$pglocal_dir"
			return 0
		fi
	fi
	local hash
	hash=$(printf '%s' "$pglocal_dir" | cksum | cut -d' ' -f1)
	home=$(mktemp -d "/tmp/gridwarn-pg-$hash.XXXXXX")
	chown postgres: "$home"
	log "the postgres user cannot reach $pglocal_dir; keeping the cluster in $home"
	printf '%s\n' "$home" >"$pglocal_dir/home"
	printf '%s\n' "$home"
}

port_in_use() {
	# A connection to a loopback port is refused at once when nobody listens.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port prints a free TCP port below the kernel's ephemeral range, so that
# no outgoing connection can be holding it when the server binds.
pick_port() {
	local low=32768 range port i
	if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
		read -r low _ </proc/sys/net/ipv4/ip_local_port_range || true
	fi
	range=$((low - 1 - 15000))
	if ((range < 1000)); then
		range=10000
	fi
	for ((i = 0; i < 100; i++)); do
		port=$((15000 + (RANDOM * 32768 + RANDOM) % range))
		if ! port_in_use "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	die "could not find a free TCP port on 127.0.0.1"
}

url_for_port() {
	printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$1"
}

stored_port() {
	[[ -f $pglocal_dir/port ]] && cat "$pglocal_dir/port"
}

is_running() {
	local home
	home=$(home_dir)
	[[ -n $home && -d $home/data ]] || return 1
	as_pg "$pg_ctl_bin" -D "$home/data" status >/dev/null 2>&1
}

lock() {
	mkdir -p "$pglocal_dir"
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$pglocal_dir/lock"
		flock -w 600 9 || die "timed out waiting for the lock on $pglocal_dir/lock"
	fi
}

init_cluster() {
	local home=$1
	log "initialising a new cluster in $home/data"
	as_pg "$initdb_bin" -D "$home/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2 ||
		die "initdb failed"
	# Settings that must hold on every start live in gridwarn.conf, rewritten
	# before each start (the port may be chosen then).
	printf "\n# Added by scripts/pg-local.sh\ninclude_if_exists = 'gridwarn.conf'\n" |
		as_pg tee -a "$home/data/postgresql.conf" >/dev/null
}

# sql_quote prints $1 as a single-quoted postgresql.conf string.
sql_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

write_conf() {
	local home=$1 port=$2 socket_dirs
	# A Unix socket path is limited to ~107 bytes; with a long home we go
	# without the socket (clients use TCP anyway) rather than fail.
	if ((${#home} + ${#port} + 12 > 103)); then
		log "warning: $home is too long for a Unix socket; listening on TCP only"
		socket_dirs=''
	else
		socket_dirs=$home
	fi
	{
		printf '# Written by scripts/pg-local.sh on every start; edits are lost.\n'
		printf "listen_addresses = '127.0.0.1'\n"
		printf 'port = %s\n' "$port"
		printf 'unix_socket_directories = %s\n' "$(sql_quote "$socket_dirs")"
		printf 'max_connections = 200\n'
		printf 'fsync = on\n'
	} | as_pg tee "$home/data/gridwarn.conf" >/dev/null
}

cmd_start() {
	find_binaries
	check_root_prerequisites
	lock
	local home port fresh_port=false attempt
	home=$(ensure_home)
	if [[ ! -f $home/data/PG_VERSION ]]; then
		if [[ -e $home/data ]]; then
			# A half-initialised data directory from an interrupted initdb.
			as_pg rm -rf "$home/data"
		fi
		init_cluster "$home"
	fi
	if is_running; then
		port=$(stored_port) || die "cluster is running but $pglocal_dir/port is missing"
		log "already running on port $port"
		url_for_port "$port"
		return 0
	fi
	if port=$(stored_port); then
		if port_in_use "$port"; then
			die "port $port (stored in $pglocal_dir/port) is taken by another process;" \
				"stop it, or delete that file to pick a new port"
		fi
	else
		port=$(pick_port)
		fresh_port=true
	fi
	local logfile=$home/postgres.log log_offset
	for attempt in 1 2 3; do
		write_conf "$home" "$port"
		log_offset=0
		if [[ -f $logfile ]]; then
			log_offset=$(wc -c <"$logfile")
		fi
		if as_pg "$pg_ctl_bin" -D "$home/data" -l "$logfile" -w -t 120 start >&2; then
			printf '%s\n' "$port" >"$pglocal_dir/port"
			log "started on 127.0.0.1:$port (data: $home/data, log: $home/postgres.log)"
			url_for_port "$port"
			return 0
		fi
		# Another process may have taken a freshly picked port between the
		# check and the bind: pick again. A stored port is never changed, so
		# clients can reconnect after a restart.
		if $fresh_port && tail -c "+$((log_offset + 1))" "$logfile" 2>/dev/null |
			grep -q 'could not bind\|could not create any TCP/IP sockets'; then
			log "port $port was taken meanwhile (attempt $attempt); picking another"
			port=$(pick_port)
			continue
		fi
		break
	done
	log "error: PostgreSQL did not start; last lines of $logfile:"
	tail -n 20 "$logfile" >&2 2>/dev/null || true
	exit 1
}

cmd_stop() {
	local home
	home=$(home_dir)
	if [[ -z $home || ! -d $home/data ]]; then
		log "no cluster in $pglocal_dir; nothing to stop"
		return 0
	fi
	find_binaries
	check_root_prerequisites
	lock
	if ! is_running; then
		log "not running"
		return 0
	fi
	as_pg "$pg_ctl_bin" -D "$home/data" -m fast -w -t 120 stop >&2 || {
		is_running && die "pg_ctl stop failed; see $home/postgres.log"
	}
	log "stopped"
}

cmd_url() {
	local port
	port=$(stored_port) || die "no cluster has been started in $pglocal_dir; run: scripts/pg-local.sh start"
	url_for_port "$port"
}

cmd_status() {
	local home
	home=$(home_dir)
	if [[ -z $home || ! -d $home/data ]]; then
		log "no cluster in $pglocal_dir"
		exit 1
	fi
	find_binaries
	check_root_prerequisites
	if is_running; then
		log "running: $(cmd_url)"
		exit 0
	fi
	log "stopped"
	exit 1
}

cmd_destroy() {
	[[ -d $pglocal_dir ]] || return 0
	local home
	home=$(home_dir)
	if [[ -n $home && -d $home/data ]]; then
		cmd_stop
	fi
	if [[ -n $home && $home != "$pglocal_dir" ]]; then
		rm -rf -- "$home"
	fi
	if dir_is_ours "$pglocal_dir"; then
		rm -rf -- "$pglocal_dir"
		log "removed $pglocal_dir"
		return 0
	fi
	# A directory we did not create (it held other files): remove only ours.
	local dir=${pglocal_dir:?}
	rm -rf -- "$dir/data" "$dir/postgres.log" "$dir/port" "${dir:?}/home" "$dir/lock" "$dir"/.s.PGSQL.*
	log "removed the cluster from $pglocal_dir (other files left alone)"
}

[[ $# -eq 1 ]] || usage
case $1 in
start) cmd_start ;;
stop) cmd_stop ;;
url) cmd_url ;;
status) cmd_status ;;
destroy) cmd_destroy ;;
-h | --help | help) usage ;;
*) usage ;;
esac
