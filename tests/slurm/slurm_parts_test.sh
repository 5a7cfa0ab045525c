#!/usr/bin/env bash
# A real Slurm run of one volume's parts (README: One volume on many
# machines): a one-node cluster started here (munged, slurmctld, slurmd from
# Debian's slurm-wlm and munge), an array of 4 parts, a join job that waits
# for it (--dependency=afterok), and the joined file compared with the
# single run's, byte for byte.
#
#   bash tests/slurm/slurm_parts_test.sh RESPACE RESPACE_MAKE_VOLUME
#
# Needs root (the daemons and munge's key); exits 77 (ctest: skipped) with a
# message otherwise. Everything it starts is stopped on exit; the cluster's
# files live in a temporary folder.
set -euo pipefail
RESPACE=$(readlink -f "$1")
MAKE_VOLUME=$(readlink -f "$2")
if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: the Slurm test starts munged, slurmctld and slurmd, which needs root (run the test command as root, as CI does)"
  exit 77
fi
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (scripts/setup.sh installs slurm-wlm and munge)"; exit 1; }
done

work=$(mktemp -d /tmp/respace-slurm-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# munge: a key of our own, its own socket and files.
mkdir -p "$work/munge"
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" status=none
chmod 700 "$work/munge"
chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
munged --force --key-file="$work/munge/munge.key" --socket="$socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"
for _ in $(seq 50); do [ -f "$work/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/munge/munged.pid")")

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
mkdir -p "$work/state" "$work/spool" "$work/log"
cat > "$work/slurm.conf" <<EOF
ClusterName=respace-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$socket
CryptoType=crypto/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -i -f "$SLURM_CONF"
for _ in $(seq 100); do [ -f "$work/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurmctld.pid")")
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do [ -f "$work/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurmd.pid")")
ready=0
for _ in $(seq 200); do
  if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then ready=1; break; fi
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  echo "FAILED: the one-node cluster did not come up"; sinfo || true
  tail -n 20 "$work/log/slurmctld.log" "$work/log/slurmd.log" || true
  exit 1
fi

# The volume, the single run, then the parts on the cluster.
cd "$work"
"$MAKE_VOLUME" in.nii.gz 120 110 90 --spacing 0.3 >/dev/null
"$RESPACE" index in.nii.gz --span 1M >/dev/null
"$RESPACE" in.nii.gz single.nii.gz --spacing 0.4 0.4 0.35 --order 3 --quiet
cat > parts.sh <<EOF
#!/bin/bash
set -euo pipefail
mkdir -p parts
"$RESPACE" in.nii.gz "parts/\$SLURM_ARRAY_TASK_ID.rsp" --spacing 0.4 0.4 0.35 --order 3 \
  --part "\$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT" --threads 1 --quiet
EOF
jid=$(sbatch --parsable --chdir="$work" --output="$work/log/part-%a.out" --cpus-per-task=1 --mem=200M --array=1-4 parts.sh)
join=$(sbatch --parsable --chdir="$work" --output="$work/log/join.out" --mem=100M --dependency=afterok:"$jid" \
  --wrap "\"$RESPACE\" join joined.nii.gz parts/1.rsp parts/2.rsp parts/3.rsp parts/4.rsp")
echo "submitted the array $jid (4 parts) and the join $join"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$jid,$join" 2>/dev/null)" ] && break
  sleep 0.5
done
if [ -n "$(squeue -h -j "$jid,$join" 2>/dev/null)" ]; then
  echo "FAILED: the jobs did not finish in 5 minutes"; squeue; exit 1
fi
cat log/part-*.out log/join.out 2>/dev/null || true
if [ ! -f joined.nii.gz ]; then
  echo "FAILED: the join job wrote nothing"; scontrol show job "$join" 2>/dev/null | head -20 || true
  tail -n 20 log/slurmctld.log || true
  exit 1
fi
cmp single.nii.gz joined.nii.gz
gzip -t joined.nii.gz
echo "PASSED: 4 parts on Slurm, joined after them: $(stat -c %s joined.nii.gz) bytes, identical to the single run"
