#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for testing the SLURM profile for real.
#
#   scripts/slurm-local.sh start    install slurm-wlm + munge if missing, configure, start the daemons
#   scripts/slurm-local.sh stop     cancel this cluster's jobs, stop the daemons it started, remove its config
#   scripts/slurm-local.sh status   show the node and the queue
#
# Needs root (Debian/Ubuntu: packages come from apt). The node advertises one GPU (gres gpu:1,
# File=/dev/null), so jobs asking for `--gpus=1` are schedulable on a machine without one.
# Accounting is off: Snakemake's SLURM executor must poll with `--slurm-status-command squeue`,
# which MinJobAge=600 keeps reliable (finished jobs stay visible to squeue for 10 minutes).
#
# Environment: SLURM_LOCAL_DIR (state, logs, pid files; default /var/lib/rnnlab-slurm),
# SLURM_LOCAL_PARTITION (default gpu, the partition profiles/slurm/config.yaml names).
set -euo pipefail

BASE=${SLURM_LOCAL_DIR:-/var/lib/rnnlab-slurm}
PARTITION=${SLURM_LOCAL_PARTITION:-gpu}
CONF_DIR=/etc/slurm
MARKER="# written by scripts/slurm-local.sh"

die() { echo "slurm-local: $*" >&2; exit 1; }
say() { echo "slurm-local: $*"; }

# Debian >= 11 and Ubuntu >= 22.04 read /etc/slurm; older releases /etc/slurm-llnl.
find_conf_dir() {
    if [ ! -d /etc/slurm ] && [ -d /etc/slurm-llnl ]; then CONF_DIR=/etc/slurm-llnl; fi
}

require_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts slurmctld/slurmd); try: sudo $0 $1"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null ||
        die "missing ${missing[*]} and apt-get is not available; install slurm-wlm and munge by hand"
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

# Refuse to overwrite a slurm.conf this script did not write (a real cluster's).
check_conf_is_ours() {
    local f
    for f in "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"; do
        if [ -e "$f" ] && ! head -n 1 "$f" | grep -qF "$MARKER"; then
            die "$f exists and was not written by this script; refusing to replace it" \
                "(this machine may belong to a real cluster)"
        fi
    done
}

write_conf() {
    local node_line node cpus_etc
    # `slurmd -C` prints this machine's layout: "NodeName=... CPUs=... ... RealMemory=..."
    node_line=$(slurmd -C | head -n 1)
    node=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$node_line")
    cpus_etc=${node_line#NodeName=$node }
    [ -n "$node" ] || die "could not read the node's layout from 'slurmd -C': $node_line"
    mkdir -p "$CONF_DIR" "$BASE/state" "$BASE/spool"
    cat >"$CONF_DIR/slurm.conf" <<EOF
$MARKER; removed by 'scripts/slurm-local.sh stop'
ClusterName=rnnlab-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/slurmctld.pid
SlurmdPidFile=$BASE/slurmd.pid
SlurmctldLogFile=$BASE/slurmctld.log
SlurmdLogFile=$BASE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=600
ReturnToService=2
GresTypes=gpu
NodeName=$node NodeAddr=127.0.0.1 $cpus_etc Gres=gpu:1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    cat >"$CONF_DIR/gres.conf" <<EOF
$MARKER; removed by 'scripts/slurm-local.sh stop'
NodeName=$node Name=gpu Count=1 File=/dev/null
EOF
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
    if munge_works; then
        say "munged already running; using it"
        return 0
    fi
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null ||
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged --pid-file=/run/munge/munged.pid
    cp /run/munge/munged.pid "$BASE/munged.pid"
    local i
    for i in $(seq 50); do munge_works && return 0; sleep 0.2; done
    die "munged did not start; see /var/log/munge/munged.log"
}

wait_for_node() {
    local i state
    for i in $(seq 120); do
        pid_dead "$BASE/slurmctld.pid" && die "slurmctld exited; see $BASE/slurmctld.log"
        pid_dead "$BASE/slurmd.pid" && die "slurmd exited; see $BASE/slurmd.log"
        state=$(timeout 5 sinfo -h -N -o %T 2>/dev/null | head -n 1 || true)
        case "$state" in
            idle*|mixed*|allocated*) say "node is $state; partition '$PARTITION' is up"; return 0 ;;
            drain*|down*|inval*|fail*)
                sinfo -R >&2 || true
                die "node is $state; see $BASE/slurmd.log and $BASE/slurmctld.log" ;;
        esac
        sleep 0.5
    done
    die "node did not become idle within 60 s (state: ${state:-unknown}); see $BASE/slurmctld.log"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
pid_dead() { [ -s "$1" ] && ! kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    require_root start
    install_packages
    find_conf_dir
    check_conf_is_ours
    if pid_alive "$BASE/slurmctld.pid" || pid_alive "$BASE/slurmd.pid"; then
        die "already running (pid files in $BASE); run '$0 stop' first"
    fi
    rm -rf "$BASE/state" "$BASE/spool"
    rm -f "$BASE/slurmctld.pid" "$BASE/slurmd.pid"
    write_conf
    start_munge
    slurmctld -i
    slurmd
    wait_for_node
}

stop_pidfile() {
    local file=$1 name=$2 pid i
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$file"
}

stop() {
    require_root stop
    find_conf_dir
    if [ -e "$CONF_DIR/slurm.conf" ] && head -n 1 "$CONF_DIR/slurm.conf" | grep -qF "$MARKER"; then
        if pid_alive "$BASE/slurmctld.pid"; then scancel "--partition=$PARTITION" 2>/dev/null || true; fi
    fi
    stop_pidfile "$BASE/slurmd.pid" slurmd
    stop_pidfile "$BASE/slurmctld.pid" slurmctld
    stop_pidfile "$BASE/munged.pid" munged
    local f
    for f in "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"; do
        if [ -e "$f" ] && head -n 1 "$f" | grep -qF "$MARKER"; then rm -f "$f"; fi
    done
}

status() {
    sinfo -N -o "%N %T %c %m %G"
    squeue
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
