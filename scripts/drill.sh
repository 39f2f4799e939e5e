#!/usr/bin/env bash
# drill.sh runs gridwarn's fault drill on the distributed topology: it brings
# the cluster up from scratch (scripts/cluster.sh up), runs `gridwarn drill`
# against it, tears it down, then runs scripts/restore-drill.sh when that
# script exists and appends its row to the table.
#
#   scripts/drill.sh                       the default run: every fault, ~10 minutes on 2 cores
#   scripts/drill.sh --faults leaf-cut --leaf-cut 5m
#   scripts/drill.sh --short               the CI run: a few thousand events, one NATS node
#                                          kill, one leaf cut, one replica kill (a few minutes);
#                                          it leaves the restore drill out unless
#                                          GRIDWARN_DRILL_RESTORE=1
#
# Other options go to `gridwarn drill` (see gridwarn drill --help).
# GRIDWARN_DRILL_KEEP=1 leaves the cluster up afterwards (scripts/cluster.sh down).
# The gridwarn processes run with a small rules time scale (GRIDWARN_RULES_TIME_SCALE,
# default 0.002: a day's clock lasts about three minutes) and a sweep every 5 s,
# so that clocks breach and tickets escalate during the drill.
#
# Exit status: 0 when every scenario lost and duplicated nothing, 1 otherwise.
set -euo pipefail

log() { printf 'drill: %s\n' "$*" >&2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
cd "$repo_root"
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
export GRIDWARN_RULES_TIME_SCALE=${GRIDWARN_RULES_TIME_SCALE:-0.002}
export GRIDWARN_SCHEDULER_SWEEP=${GRIDWARN_SCHEDULER_SWEEP:-@every 5s}
state=${GRIDWARN_CLUSTER_DIR:-$repo_root/.cluster}

args=()
restore=${GRIDWARN_DRILL_RESTORE:-1}
for a in "$@"; do
	if [[ $a == --short ]]; then
		restore=${GRIDWARN_DRILL_RESTORE:-0}
		args+=(--faults nats-kill,leaf-cut,replica-kill --rate 25 --baseline 15s --fault-time 15s
			--leaf-cut 30s --settle 5s --recover-timeout 3m)
	else
		args+=("$a")
	fi
done

keep=${GRIDWARN_DRILL_KEEP:-0}
teardown() {
	if [[ $keep != 1 ]]; then
		scripts/cluster.sh down >/dev/null 2>&1 || log "warning: scripts/cluster.sh down failed"
	fi
}
trap teardown EXIT

scripts/cluster.sh down >/dev/null 2>&1 || true # a fresh topology every run
scripts/cluster.sh up >/dev/null

table=$(mktemp)
rc=0
started=$(date +%s)
"$state/bin/gridwarn" drill --config configs/cluster/gridwarn.yaml --cluster scripts/cluster.sh ${args[@]+"${args[@]}"} \
	>"$table" 2>"$state/logs/drill.log" || rc=$?
log "gridwarn drill finished in $(($(date +%s) - started))s (exit $rc; its log: $state/logs/drill.log)"
if [[ $rc != 0 ]]; then
	tail -n 20 "$state/logs/drill.log" >&2 || true
fi
teardown
trap - EXIT

# The restore-and-recover drill (a base backup mid-run, the database
# destroyed and restored, the stream replayed), when the project has it:
# its row joins our scenarios, before the checks.
restore_rows=''
if [[ $restore == 1 && -x scripts/restore-drill.sh ]]; then
	log "running scripts/restore-drill.sh"
	restore_out=$(mktemp)
	if ! scripts/restore-drill.sh >"$restore_out"; then
		rc=1
	fi
	restore_rows=$(grep '^|' "$restore_out" | grep -v '^| *scenario *|' | grep -v '^|[-:| ]*$' || true)
	rm -f "$restore_out"
fi

grep '^|' "$table" | grep -v '^| check: ' || true
[[ -z $restore_rows ]] || printf '%s\n' "$restore_rows"
grep '^| check: ' "$table" || true
grep -v '^|' "$table" || true
rm -f "$table"
if [[ $rc != 0 ]]; then
	log "FAILED: events lost or duplicated, a recovery timed out, or an invariant broke"
	exit 1
fi
