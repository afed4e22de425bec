#!/bin/bash
# slurm_single.sh - a private single-node Slurm for tests: munged with its
# own key and socket, slurmctld and slurmd on loopback, everything under
# DIR (config, state, spool, logs, pids). Debian's slurm-wlm and munge.
#
#   slurm_single.sh start DIR   prints "export SLURM_CONF=DIR/slurm.conf";
#                               exit 1 with the reason (and the daemons'
#                               logs) on stderr when it cannot start
#   slurm_single.sh stop DIR    stops the daemons this DIR started
set -u
cmd=${1:?start|stop} d=${2:?DIR}

stop() {
	for p in slurmd slurmctld munged; do
		[ -f "$d/$p.pid" ] || continue
		pid=$(cat "$d/$p.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		rm -f "$d/$p.pid"
	done
}

why() {
	echo "slurm_single: $*" >&2
	for l in munged slurmctld slurmd; do
		[ -s "$d/$l.log" ] && { echo "--- $l.log (last lines)" >&2; tail -n 15 "$d/$l.log" >&2; }
	done
	stop
	exit 1
}

case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: slurm_single.sh start|stop DIR" >&2; exit 2 ;;
esac

for b in munged mungekey slurmctld slurmd sbatch squeue scontrol; do
	command -v $b >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v $b >/dev/null 2>&1 || why "$b not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || why "needs root (slurmd runs jobs as their users)"
mkdir -p "$d/state" "$d/spool" "$d/munge"
chmod 700 "$d/munge"
mungekey --create --keyfile="$d/munge/munge.key" --force 2>"$d/munged.log" ||
	why "mungekey failed"
munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/munge.sock" \
	--pid-file="$d/munged.pid" --log-file="$d/munged.log" --seed-file="$d/munge/seed" \
	2>>"$d/munged.log" || why "munged did not start"
# ports from the directory's name, so that two runs do not collide
base=$((20000 + $(cksum <<<"$d" | cut -d' ' -f1) % 20000))
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
cat >"$d/slurm.conf" <<CONF
ClusterName=sochdbtest
SlurmctldHost=localhost
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$d/slurm.conf
slurmctld -i -f "$SLURM_CONF" 2>>"$d/slurmctld.log" || why "slurmctld did not start"
slurmd -f "$SLURM_CONF" 2>>"$d/slurmd.log" || why "slurmd did not start"
for _ in $(seq 1 100); do
	st=$(sinfo -h -N -o %t 2>/dev/null)
	case $st in idle*|mix*|alloc*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
	sleep 0.2
done
why "the node did not come up (sinfo: '${st:-no answer}')"
