#!/usr/bin/env bash
# fio benchmark: jtgt against Linux tgt (Debian's `tgt`) through fio's libiscsi engine, file LUNs on
# disk and on tmpfs, seven workloads plus QD1 write, interleaved, repeated; one run, same machine.
#
#   bench/run-fio-bench.sh            # about 15 minutes with the defaults; must run as root
#
# Needs: launcher/target/jtgt.jar (mvn -B -q -DskipTests package -pl launcher -am), java, Debian's
# tgt (tgtd, tgtadm), jq, and a fio with the libiscsi engine (Debian's fio has none; see below).
# iperf3 (installed with apt-get if missing and possible) gives the loopback reference for the
# 128 KiB sequential read; without it that comparison is left out.
#
# fio: unless JTGT_FIO_BIN names one, the script uses bench/target/fio-build/fio, built once by
# scripts/build-fio-libiscsi.sh from Debian's fio source package (`./configure --enable-libiscsi`;
# under a minute on 2 cores; it installs libiscsi-dev and the build tools if missing; log
# bench/target/fio-build/build.log). Delete bench/target/fio-build/fio to build again.
#
# Targets (both run for the whole script, on loopback, each on its own port):
#   jtgt  127.0.0.1:3272  launcher jar, no default target (-Djtgt.default.target.enabled=false);
#         targets.conf written into its config dir bench/target/fio-bench/jtgt before start:
#         target iqn.2026-11.org.jtgt:fio, LUN 0 = file on disk, LUN 1 = file on tmpfs, LUN 2 =
#         memory disk (only when JTGT_FIO_LUNS names `memory`), ACL ALL.
#   tgt   127.0.0.1:3273  `tgtd -f -C 3273`, target iqn.2026-11.org.jtgt:tgt, LUN 1 = file on disk,
#         LUN 2 = file on tmpfs, both `--bstype rdwr` (pread/pwrite on its I/O threads), ACL ALL.
# LUN files, JTGT_FIO_SIZE bytes each (default 2 GiB), one per target, written in full with 4 KiB
# writes (JTGT_FIO_FILL_BS; this fio, psync engine, fsync at the end) before the targets start. The
# fill's block size decides how the page cache holds the file for the rest of the run: written in
# 4 KiB, in 4 KiB pages, as the jobs' own 4 KiB I/O leaves it; written in 1 MiB, in large folios
# (ext4 on Linux 6.x), and then every 4 KiB write walks the buffer heads of the whole folio under
# the file's lock and write-back writes whole folios (9-19 GiB during a 10 s job that wrote about 1 GB),
# which caps both targets' disk writes near 20-30 k IOPS with CPU left idle: the row then measures
# ext4, not the targets (README, "Disk writes and the fill").
#   disk   bench/target/fio-bench/luns/{jtgt,tgt}-disk.img   (the file system of bench/target; both
#          targets use buffered I/O, so on a machine with enough memory reads are page-cache hits
#          and writes reach the disk through write-back; `sync FILE` after every job on these LUNs,
#          outside the measurement, so that one job's dirty pages are not flushed during the next)
#   tmpfs  /dev/shm/jtgt-fio-bench-$$-{jtgt,tgt}.img
#   memory jtgt's memory store (thin=0), filled with fio over iSCSI; tgt has no memory store, so
#          its side of the comparison is the rdwr LUN on tmpfs (as in run-iscsi-bench.sh).
# All LUN files are deleted on exit.
#
# Workloads (fio --ioengine=libiscsi --time_based --runtime=JTGT_FIO_SECONDS --ramp_time=3
# --norandommap --randrepeat=0 --unified_rw_reporting=mixed, a fresh login per job; fio counts
# nothing during the 3 s ramp):
#   randread4k-qd32   4 KiB random read, QD32          --rw=randread  --bs=4k   --iodepth=32
#   randwrite4k-qd32  4 KiB random write, QD32         --rw=randwrite --bs=4k   --iodepth=32
#   randrw4k-qd32     4 KiB random 50/50 r/w, QD32     --rw=randrw --rwmixread=50 --bs=4k --iodepth=32
#   randread4k-qd1    4 KiB random read, QD1           --rw=randread  --bs=4k   --iodepth=1
#   randwrite4k-qd1   4 KiB random write, QD1          --rw=randwrite --bs=4k   --iodepth=1
#   seqread128k-qd16  128 KiB sequential read, QD16    --rw=read      --bs=128k --iodepth=16
#   seqwrite128k-qd16 128 KiB sequential write, QD16   --rw=write     --bs=128k --iodepth=16
#   randread4k-4x16   4 sessions x 4 KiB random read, QD16 each: --numjobs=4 --group_reporting;
#                     every fio job process creates its own libiscsi context (own ISID, own TCP
#                     connection), so 4 jobs are 4 sessions (checked during the warm-up, below).
# Order: for each LUN kind, for each workload, for each repetition: jtgt, then tgt (jtgt, tgt, jtgt,
# tgt, ... so drift in machine load hits both alike). Each target's LUN gets 8 s of 4 KiB random
# reads and writes first (50/50), 4 fio jobs at QD8, not counted and followed by a `sync` of a disk
# LUN's file; the target's session count is taken (jtgtadm / tgtadm) and logged meanwhile, and
# must be 4. The warm-up and the ramp are there because jtgt's JIT compiles what runs: after a
# warm-up of reads alone, its compiler threads took about 1.9 s of CPU during the first 8 s write
# job; after a warm-up of reads and writes, 1.5 s in the first 3 s of it, hence the ramp as well.
# Before every repetition of the 128 KiB sequential read and again right after jtgt's job in it,
# iperf3 (one TCP stream, 127.0.0.1, JTGT_FIO_SECONDS) measures the loopback rate; the report holds
# jtgt's rate against the mean of those runs. (Run only before, it compared jtgt with a rate the
# machine had 10 s earlier: on the 2-vCPU build machine one iperf3 run made 1,379 MB/s and one
# 3 min later 2,157, and jtgt's 128 KiB read moves with it.)
#
# Per job: IOPS and MB/s (10^6 bytes) from fio's json (`mixed`: reads and writes together), p50 and
# p99 completion latency (clat_ns percentiles), and CPU per I/O: utime+stime of the target process
# (all threads: jtgt's java, tgtd) from /proc/PID/stat at the end of the ramp and after fio has
# ended (its logout included), divided by the I/Os fio counted; and context switches per I/O: every
# switch of the target's threads in the same span (perf stat -e context-switches -p PID, which follows the
# threads the target starts meanwhile, such as a connection's; n/a without perf), divided the same
# way: each is a wake-up or a preemption, which on this kind of virtual machine costs more than
# most of the work. For disk jobs the log also gives what the whole machine wrote back to disk
# during that span (/proc/vmstat nr_written): a job that dirties more pages than the kernel's
# background write-back threshold (nr_dirty_background_threshold, logged once the LUN files are
# written, and in the report) pays for write-back inside its measurement, and the target that
# dirties pages faster the more; the tmpfs files count against the memory that threshold is a
# share of (with both LUN kinds and 2 GiB files it was below a file's 524,288 pages here).
# Results under bench/target/fio-bench/:
#   raw/LUN-WORKLOAD-TARGET-REP.json   fio's output;   raw/iperf3-LUN-REP.json
#   runs.tsv                           one line a job
#   results.txt                        the tables below (also printed): means over the repetitions
#                                      per target, then jtgt/tgt ratios (mean of the per-repetition
#                                      ratios and their range) for IOPS and p50, and the 128 KiB
#                                      read against iperf3
#   jtgt.log, tgtd.log, fill.log
#
# Both targets, iperf3 and any fio still running are stopped on exit, also on error or Ctrl-C (see
# scripts/side-by-side.sh); the LUN files are deleted; nothing is written to /tmp or $HOME (TMPDIR
# and java.io.tmpdir point into bench/target/fio-bench/tmp, removed at the end).
#
# Environment overrides: JTGT_FIO_SECONDS (run time per job, default 10), JTGT_FIO_REPS (2),
# JTGT_FIO_SIZE (bytes per LUN, multiple of 1 MiB; 2147483648), JTGT_FIO_FILL_BS (the LUN files' fill
# block size, fio's --bs syntax; 4k), JTGT_FIO_LUNS ("disk tmpfs"; any of
# disk tmpfs memory), JTGT_FIO_WORKLOADS (all of the above, in that order), JTGT_FIO_BIN (a fio
# with libiscsi), JTGT_FIO_JTGT_PORT (3272), JTGT_FIO_TGT_PORT (3273), JTGT_FIO_IPERF_PORT (5211),
# JTGT_FIO_JAVA_OPTS (extra JVM options), JTGT_FIO_DEB_SRC (the deb-src line for the fio build).
# Run time: about (LUN kinds x workloads x repetitions x 2 x (JTGT_FIO_SECONDS + 2 s)) plus the
# iperf3 runs and about a minute of set-up; the script logs its estimate when it starts.
#
# The numbers are only meaningful on an otherwise idle machine: fio, both targets and anything
# else running share the same cores (the load average before and after is in the header, and the
# 1-minute load at the end of every job in runs.tsv).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/target/fio-bench
RAW=$OUT/raw
LUN_DIR=$OUT/luns
RUNS=$OUT/runs.tsv
RESULTS=$OUT/results.txt
FIO_BUILD=$BENCH_DIR/target/fio-build

SECS=${JTGT_FIO_SECONDS:-10}
FILL_BS=${JTGT_FIO_FILL_BS:-4k}
REPS=${JTGT_FIO_REPS:-2}
SIZE=${JTGT_FIO_SIZE:-2147483648}
read -r -a LUNS <<<"${JTGT_FIO_LUNS:-disk tmpfs}"
ALL_WORKLOADS=(randread4k-qd32 randwrite4k-qd32 randrw4k-qd32 randread4k-qd1 randwrite4k-qd1
    seqread128k-qd16 seqwrite128k-qd16 randread4k-4x16)
read -r -a WORKLOADS <<<"${JTGT_FIO_WORKLOADS:-${ALL_WORKLOADS[*]}}"
JTGT_PORT=${JTGT_FIO_JTGT_PORT:-3272}
TGT_PORT=${JTGT_FIO_TGT_PORT:-3273}
IPERF_PORT=${JTGT_FIO_IPERF_PORT:-5211}
WARMUP_SECONDS=8
RAMP_SECONDS=3 # per measured job, not counted

JTGT_IQN=iqn.2026-11.org.jtgt:fio
TGT_IQN=iqn.2026-11.org.jtgt:tgt
INITIATOR=iqn.2026-11.org.jtgt:fio-bench
TGT_TID=1

declare -A LABEL=(
    [randread4k-qd32]="4 KiB random read, QD32"
    [randwrite4k-qd32]="4 KiB random write, QD32"
    [randrw4k-qd32]="4 KiB random 50/50, QD32"
    [randread4k-qd1]="4 KiB random read, QD1"
    [randwrite4k-qd1]="4 KiB random write, QD1"
    [seqread128k-qd16]="128 KiB seq read, QD16"
    [seqwrite128k-qd16]="128 KiB seq write, QD16"
    [randread4k-4x16]="4 sess x 4 KiB rand read, QD16"
)
declare -A FIO_ARGS=(
    [randread4k-qd32]="--rw=randread --bs=4k --iodepth=32"
    [randwrite4k-qd32]="--rw=randwrite --bs=4k --iodepth=32"
    [randrw4k-qd32]="--rw=randrw --rwmixread=50 --bs=4k --iodepth=32"
    [randread4k-qd1]="--rw=randread --bs=4k --iodepth=1"
    [randwrite4k-qd1]="--rw=randwrite --bs=4k --iodepth=1"
    [seqread128k-qd16]="--rw=read --bs=128k --iodepth=16"
    [seqwrite128k-qd16]="--rw=write --bs=128k --iodepth=16"
    [randread4k-4x16]="--rw=randread --bs=4k --iodepth=16 --numjobs=4 --group_reporting=1"
)

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"

# ---------------------------------------------------------------------------------------------------
# checks
[[ $(id -u) -eq 0 ]] || die "run as root: tgtd needs $SBS_TGT_SOCK_DIR"
for tool in java tgtd tgtadm jq timeout awk sync; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: tgt, jq, coreutils, a JDK)"
done
[[ $SIZE =~ ^[0-9]+$ ]] && (( SIZE > 0 && SIZE % 1048576 == 0 )) || die "JTGT_FIO_SIZE must be a positive multiple of 1 MiB"
[[ $SECS =~ ^[0-9]+$ ]] && (( SECS > 0 )) || die "JTGT_FIO_SECONDS must be a positive integer"
[[ $FILL_BS =~ ^([1-9][0-9]*)([kKmM]?)$ ]] || die "JTGT_FIO_FILL_BS must be a block size such as 4k or 1M, not '$FILL_BS'"
case ${BASH_REMATCH[2]} in k | K) FILL_BYTES=$((BASH_REMATCH[1] << 10)) ;; m | M) FILL_BYTES=$((BASH_REMATCH[1] << 20)) ;; *) FILL_BYTES=${BASH_REMATCH[1]} ;; esac
# a fill that does not divide the LUN would leave its tail unwritten (fio writes whole blocks only)
(( FILL_BYTES % 512 == 0 && SIZE % FILL_BYTES == 0 )) || die "JTGT_FIO_FILL_BS ($FILL_BS) must be a multiple of 512 that divides JTGT_FIO_SIZE ($SIZE)"
[[ $REPS =~ ^[0-9]+$ ]] && (( REPS > 0 )) || die "JTGT_FIO_REPS must be a positive integer"
for l in "${LUNS[@]}"; do
    [[ $l == disk || $l == tmpfs || $l == memory ]] || die "JTGT_FIO_LUNS: unknown LUN kind '$l' (disk tmpfs memory)"
done
for w in "${WORKLOADS[@]}"; do
    [[ -n ${FIO_ARGS[$w]:-} ]] || die "JTGT_FIO_WORKLOADS: unknown workload '$w' (${ALL_WORKLOADS[*]})"
done
(( ${#LUNS[@]} > 0 && ${#WORKLOADS[@]} > 0 )) || die "nothing to run"

# ---------------------------------------------------------------------------------------------------
# fio with the libiscsi engine: built once under bench/target/fio-build

fio_has_libiscsi() { "$1" --enghelp 2>/dev/null | grep -qx '[[:space:]]*libiscsi'; }

if [[ -n ${JTGT_FIO_BIN:-} ]]; then
    FIO=$JTGT_FIO_BIN
else
    FIO=$("$ROOT/scripts/build-fio-libiscsi.sh" "$FIO_BUILD") || die "cannot build fio with the libiscsi engine (see $FIO_BUILD/build.log)"
fi
[[ -x $FIO ]] || die "fio not found at '$FIO'"
fio_has_libiscsi "$FIO" || die "$FIO has no libiscsi engine (fio --enghelp does not list it)"

if ! command -v iperf3 >/dev/null; then
    log "iperf3 missing: apt-get install -y --no-install-recommends iperf3"
    apt-get install -y --no-install-recommends iperf3 >/dev/null 2>&1 || log "could not install iperf3: the 128 KiB read is not compared with loopback TCP"
fi
HAVE_IPERF=0
command -v iperf3 >/dev/null && HAVE_IPERF=1
HAVE_PERF=0
if perf stat -e context-switches -x, -o /dev/null true 2>/dev/null; then
    HAVE_PERF=1
else
    log "perf (Debian: linux-perf) cannot count context switches here: the switches column stays n/a"
fi

# ---------------------------------------------------------------------------------------------------
# plan, deadline, start
NJOBS=$(( ${#LUNS[@]} * ${#WORKLOADS[@]} * REPS * 2 ))
NIPERF=0
if (( HAVE_IPERF )) && [[ " ${WORKLOADS[*]} " == *" seqread128k-qd16 "* ]]; then NIPERF=$(( ${#LUNS[@]} * REPS * 2 )); fi
ESTIMATE=$(( NJOBS * (SECS + RAMP_SECONDS + 2) + NIPERF * (SECS + 1) + ${#LUNS[@]} * 2 * (WARMUP_SECONDS + 2) + SIZE / 1048576 * 4 / 200 + 30 ))
SCRIPT_DEADLINE=$(( ESTIMATE * 2 + 300 )) # the whole run is killed (and cleaned up) after this many seconds

sbs_init "$OUT" "$SCRIPT_DEADLINE"
mkdir -p "$RAW" "$LUN_DIR"
# Also stop what this script starts itself (iperf3 server, a fio run in the background), then the
# targets through side-by-side.sh's cleanup, which keeps the exit status.
BG_PIDS=() # at most two at a time (a measured fio and its perf stat)
fio_cleanup() {
    local rc=$? p
    set +e
    for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    (exit "$rc")
    sbs_cleanup
}
trap fio_cleanup EXIT

LOAD_BEFORE=$(uptime)
START_SECONDS=$SECONDS
log "$NJOBS fio jobs of ${SECS}s (${#LUNS[@]} LUN kinds x ${#WORKLOADS[@]} workloads x $REPS repetitions x 2 targets), $NIPERF iperf3 runs; estimate $((ESTIMATE / 60)) min $((ESTIMATE % 60)) s"
log "fio: $FIO ($("$FIO" --version)); load: $LOAD_BEFORE"

# ---------------------------------------------------------------------------------------------------
# LUN files, filled before the targets start
declare -A FILE
for l in "${LUNS[@]}"; do
    case $l in
        disk)   FILE[disk,jtgt]=$LUN_DIR/jtgt-disk.img; FILE[disk,tgt]=$LUN_DIR/tgt-disk.img ;;
        tmpfs | memory)
                FILE[tmpfs,jtgt]=/dev/shm/jtgt-fio-bench-$$-jtgt.img; FILE[tmpfs,tgt]=/dev/shm/jtgt-fio-bench-$$-tgt.img ;;
    esac
done
for k in "${!FILE[@]}"; do
    f=${FILE[$k]}
    [[ $k == tmpfs,jtgt && " ${LUNS[*]} " != *" tmpfs "* ]] && { unset "FILE[$k]"; continue; } # memory only: tgt's side
    sbs_delete_on_exit "$f"
    log "writing $SIZE bytes to $f ($FILL_BS writes, fsync at the end)"
    timeout -k 5 600 "$FIO" --name=fill --ioengine=psync --filename="$f" --size="$SIZE" --bs="$FILL_BS" --rw=write \
        --end_fsync=1 --output-format=terse >>"$OUT/fill.log" 2>&1 || die "writing $f failed (see $OUT/fill.log)"
done

# ---------------------------------------------------------------------------------------------------
# jtgt: targets.conf in its config dir, read at start
declare -A JTGT_LUN=([disk]=0 [tmpfs]=1 [memory]=2)
declare -A TGT_LUN=([disk]=1 [tmpfs]=2 [memory]=2)
mkdir -m 0700 -p "$OUT/jtgt"
{
    echo "# written by bench/run-fio-bench.sh"
    echo "target 1 $JTGT_IQN"
    [[ -n ${FILE[disk,jtgt]:-} ]] && echo "lun 1 ${JTGT_LUN[disk]} file ${FILE[disk,jtgt]} size=$SIZE blocksize=512 thin=0"
    [[ -n ${FILE[tmpfs,jtgt]:-} ]] && echo "lun 1 ${JTGT_LUN[tmpfs]} file ${FILE[tmpfs,jtgt]} size=$SIZE blocksize=512 thin=0"
    [[ " ${LUNS[*]} " == *" memory "* ]] && echo "lun 1 ${JTGT_LUN[memory]} memory size=$SIZE blocksize=512 thin=0"
    echo "acl 1 ALL"
} >"$OUT/jtgt/targets.conf"
chmod 0600 "$OUT/jtgt/targets.conf"
log "starting jtgt on 127.0.0.1:$JTGT_PORT ($(grep -c '^lun' "$OUT/jtgt/targets.conf") LUNs)"
# shellcheck disable=SC2086 # JTGT_FIO_JAVA_OPTS is a word list
sbs_start_jtgt "$OUT/jtgt.log" "127.0.0.1:$JTGT_PORT" -Djtgt.default.target.enabled=false ${JTGT_FIO_JAVA_OPTS:-}
JTGT_PID=$SBS_JTGT_PID
if grep -q 'targets.conf:[0-9]' "$OUT/jtgt.log"; then
    grep 'targets.conf:[0-9]' "$OUT/jtgt.log" >&2
    die "jtgt refused a line of its targets.conf"
fi

# ---------------------------------------------------------------------------------------------------
# tgt
log "starting tgtd on 127.0.0.1:$TGT_PORT (control port $TGT_PORT)"
sbs_start_tgtd "$OUT/tgtd.log" "$TGT_PORT" "127.0.0.1:$TGT_PORT"
TGTD_PID=$SBS_TGTD_PID
SBS_TGT_TIDS+=("$TGT_TID")
sbs_tgtadm --mode target --op new --tid "$TGT_TID" --targetname "$TGT_IQN"
[[ -n ${FILE[disk,tgt]:-} ]] && sbs_tgtadm --mode logicalunit --op new --tid "$TGT_TID" --lun "${TGT_LUN[disk]}" --backing-store "${FILE[disk,tgt]}" --bstype rdwr
[[ -n ${FILE[tmpfs,tgt]:-} ]] && sbs_tgtadm --mode logicalunit --op new --tid "$TGT_TID" --lun "${TGT_LUN[tmpfs]}" --backing-store "${FILE[tmpfs,tgt]}" --bstype rdwr
sbs_tgtadm --mode target --op bind --tid "$TGT_TID" --initiator-address ALL
sbs_tgtadm --mode target --op show >"$OUT/tgt-target.txt"
TGT_VERSION=$(tgtd -V 2>&1 | head -1)

# ---------------------------------------------------------------------------------------------------
# measurement helpers
declare -A PID=([jtgt]=$JTGT_PID [tgt]=$TGTD_PID)
CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() { # PID -> utime+stime of all its threads, in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

vmstat_pages() { # NAME -> its value in /proc/vmstat (pages), 0 if absent
    awk -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print 0 }' /proc/vmstat
}
PAGE_SIZE=$(getconf PAGESIZE)
# The kernel starts writing dirty pages back once they exceed this; a disk job that dirties more
# pays for write-back inside its measurement (whichever target dirties pages faster, the more).
# Taken now, with every LUN file written: the tmpfs files count against the memory it is a share of.
WB_THRESHOLD=$(vmstat_pages nr_dirty_background_threshold)
log "kernel write-back threshold: $WB_THRESHOLD pages (nr_dirty_background_threshold); a LUN file is $((SIZE / PAGE_SIZE)) pages"

switches_counted() { # FILE of a perf stat that has ended -> its context-switch count, or n/a
    awk -F, '$3 == "context-switches" && $1 ~ /^[0-9]+$/ { print $1; found = 1 } END { if (!found) print "n/a" }' "$1" 2>/dev/null || echo n/a
}

url() { # TARGET LUN-KIND -> fio filename (':' escaped)
    local u
    if [[ $1 == jtgt ]]; then
        u="iscsi://127.0.0.1:$JTGT_PORT/$JTGT_IQN/${JTGT_LUN[$2]}"
    else
        u="iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/${TGT_LUN[$2]}"
    fi
    echo "${u//:/\\:}"
}

run_fio() { # JSON TARGET LUN-KIND SECONDS [fio options...]; exit status of fio
    local json=$1 target=$2 kind=$3 secs=$4
    shift 4
    timeout -k 5 $((secs + 60)) "$FIO" --name=bench --ioengine=libiscsi --initiator="$INITIATOR" \
        --filename="$(url "$target" "$kind")" --time_based=1 --runtime="$secs" --norandommap=1 \
        --randrepeat=0 --unified_rw_reporting=mixed --output-format=json --output="$json" "$@" \
        >"${json%.json}.err" 2>&1
}

sessions() { # TARGET -> number of iSCSI sessions the target reports now
    if [[ $1 == jtgt ]]; then
        "$ROOT/launcher/target/jtgtadm" --control "$OUT/jtgt/control.sock" --op show --mode session --tid 1 2>/dev/null \
            | grep -c '^ *Session ' || true
    else
        sbs_tgtadm --mode conn --op show --tid "$TGT_TID" 2>/dev/null | grep -c '^Session:' || true
    fi
}

# one line per job: lun workload rep target iops mbps p50_us p99_us cpu_us_per_io ios load1 cs_per_io
printf 'lun\tworkload\trep\ttarget\tiops\tMBps\tp50_us\tp99_us\tcpu_us_per_io\tios\tload1\tcs_per_io\n' >"$RUNS"

measure() { # KIND WORKLOAD REP TARGET
    local kind=$1 w=$2 rep=$3 t=$4 json before after written_before written_mib fio_pid perf_pid="" switches=n/a cs rc=0 fields lun_kind
    json=$RAW/$kind-$w-$t-$rep.json
    lun_kind=$kind
    [[ $kind == memory && $t == tgt ]] && lun_kind=tmpfs
    # fio counts nothing during its ramp (login and the first RAMP_SECONDS of I/O); the target's
    # CPU time and switches are counted from then on, until fio has logged out
    # shellcheck disable=SC2086 # FIO_ARGS are word lists
    run_fio "$json" "$t" "$lun_kind" "$SECS" --ramp_time="$RAMP_SECONDS" ${FIO_ARGS[$w]} &
    fio_pid=$!
    BG_PIDS=("$fio_pid")
    sleep "$RAMP_SECONDS"
    before=$(cpu_ticks "${PID[$t]}")
    written_before=$(vmstat_pages nr_written)
    if (( HAVE_PERF )); then
        # every switch of the target's threads, those it starts meanwhile (a connection's) too
        perf stat -e context-switches -x, -o "$RAW/$kind-$w-$t-$rep.switches" -p "${PID[$t]}" >/dev/null 2>&1 &
        perf_pid=$!
        BG_PIDS+=("$perf_pid")
    fi
    wait "$fio_pid" || rc=$?
    if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid" 2>/dev/null
        wait "$perf_pid" 2>/dev/null || true   # 130: it ends on SIGINT
        switches=$(switches_counted "$RAW/$kind-$w-$t-$rep.switches")
    fi
    BG_PIDS=()
    after=$(cpu_ticks "${PID[$t]}")
    written_mib=$(( ($(vmstat_pages nr_written) - written_before) * PAGE_SIZE >> 20 ))
    fields=$(jq -r --argjson d $((after - before)) --argjson hz "$CLK_TCK" '
        .jobs[0] | select(.error == 0) | .mixed as $m
        | [ ($m.iops | floor), ($m.bw_bytes / 1e6 * 10 | round / 10),
            ($m.clat_ns.percentile["50.000000"] / 1000 | round),
            ($m.clat_ns.percentile["99.000000"] / 1000 | round),
            (if $m.total_ios > 0 then ($d / $hz * 1e6 / $m.total_ios * 10 | round / 10) else "n/a" end),
            $m.total_ios ] | @tsv' "$json" 2>/dev/null || true)
    if (( rc != 0 )) || [[ -z $fields ]]; then
        log "fio $w on $t ($kind) failed (rc $rc), see ${json%.json}.err"
        fields=$'n/a\tn/a\tn/a\tn/a\tn/a\t0'
    fi
    cs=n/a
    if [[ $switches =~ ^[0-9]+$ ]]; then
        cs=$(jq -r --argjson d "$switches" '.jobs[0].mixed.total_ios as $n
            | if $n > 0 then ($d / $n * 100 | round / 100) else "n/a" end' "$json" 2>/dev/null || echo n/a)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$w" "$rep" "$t" "$fields" "$(cut -d' ' -f1 /proc/loadavg)" "${cs:-n/a}" >>"$RUNS"
    log "$t $kind ${LABEL[$w]} #$rep: $(tail -1 "$RUNS" | cut -f5- | awk -F'\t' '{ printf "%s IOPS, %s MB/s, p50 %s us, p99 %s us, %s us CPU/IO, %s switches/IO", $1, $2, $3, $4, $5, $8 }')$(
        [[ $kind == disk ]] && echo ", $written_mib MiB written back meanwhile (whole machine)")"
    if [[ $kind == disk ]]; then timeout 120 sync "${FILE[disk,$t]}" || log "sync ${FILE[disk,$t]} failed"; fi
}

iperf() { # KIND REP: one iperf3 run over 127.0.0.1, result appended to runs.tsv as target iperf3
    local json=$RAW/iperf3-$1-$2.json i mbps
    timeout -k 5 $((SECS + 60)) iperf3 -s -1 -B 127.0.0.1 -p "$IPERF_PORT" >"$RAW/iperf3-server-$1-$2.txt" 2>&1 &
    local srv=$!
    BG_PIDS+=("$srv")
    # ready when it says so (a probe connection would use up the one test -1 allows)
    for ((i = 0; i < 50; i++)); do grep -qs 'Server listening' "$RAW/iperf3-server-$1-$2.txt" && break; sleep 0.1; done
    timeout -k 5 $((SECS + 30)) iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$SECS" -J >"$json" 2>&1 || true
    wait "$srv" 2>/dev/null || true
    BG_PIDS=()
    mbps=$(jq -r '.end.sum_received.bits_per_second / 8e6 * 10 | round / 10' "$json" 2>/dev/null || echo n/a)
    printf '%s\tseqread128k-qd16\t%s\tiperf3\tn/a\t%s\tn/a\tn/a\tn/a\t0\t%s\tn/a\n' "$1" "$2" "$mbps" "$(cut -d' ' -f1 /proc/loadavg)" >>"$RUNS"
    log "iperf3 127.0.0.1 #$2: $mbps MB/s"
}

# ---------------------------------------------------------------------------------------------------
# fill the memory LUN, warm up every LUN on both targets with 4 fio jobs, which also shows that
# fio's numjobs=4 makes 4 sessions (counted by each target while the warm-up runs: jtgtadm starts a
# JVM, so the count is not taken during a measured job)
for l in "${LUNS[@]}"; do
    if [[ $l == memory ]]; then
        log "jtgt: writing the whole memory LUN (1 MiB writes, QD8)"
        timeout -k 5 600 "$FIO" --name=fill --ioengine=libiscsi --initiator="$INITIATOR" \
            --filename="$(url jtgt memory)" --rw=write --bs=1M --iodepth=8 \
            --output="$RAW/fill-memory.txt" >>"$OUT/fill.log" 2>&1 || die "filling jtgt's memory LUN failed (see $RAW/fill-memory.txt)"
    fi
    for t in jtgt tgt; do
        kind=$l
        [[ $l == memory && $t == tgt ]] && kind=tmpfs
        log "$t: ${WARMUP_SECONDS}s of 4 KiB random reads and writes, 4 jobs x QD8, on the $kind LUN (not counted)"
        run_fio "$RAW/warmup-$l-$t.json" "$t" "$kind" "$WARMUP_SECONDS" --rw=randrw --rwmixread=50 --bs=4k \
            --iodepth=8 --numjobs=4 --group_reporting=1 &
        BG_PIDS+=("$!")
        sleep 1
        sess=$(sessions "$t")
        wait "${BG_PIDS[0]}" || die "fio against $t ($kind LUN) failed; see $RAW/warmup-$l-$t.err"
        BG_PIDS=()
        if [[ $kind == disk ]]; then timeout 120 sync "${FILE[disk,$t]}" || log "sync ${FILE[disk,$t]} failed"; fi
        echo "$l $t $sess" >>"$OUT/sessions.txt"
        (( sess == 4 )) || log "WARNING: $t showed $sess sessions (not 4) while 4 fio jobs ran"
    done
done

# ---------------------------------------------------------------------------------------------------
# workloads
for l in "${LUNS[@]}"; do
    for w in "${WORKLOADS[@]}"; do
        for ((rep = 1; rep <= REPS; rep++)); do
            if [[ $w == seqread128k-qd16 ]] && (( HAVE_IPERF )); then iperf "$l" "$rep"; fi
            for t in jtgt tgt; do
                measure "$l" "$w" "$rep" "$t"
                # and again right after jtgt's job, so that jtgt's rate is held against the
                # loopback's on both sides of it (the machine's rate moves over tens of seconds)
                if [[ $w == seqread128k-qd16 && $t == jtgt ]] && (( HAVE_IPERF )); then iperf "$l" "$rep"; fi
            done
        done
    done
done

# ---------------------------------------------------------------------------------------------------
# report
LOAD_AFTER=$(uptime)
ELAPSED=$((SECONDS - START_SECONDS))
labels=$(for w in "${ALL_WORKLOADS[@]}"; do printf '%s=%s;' "$w" "${LABEL[$w]}"; done)
{
    echo "# jtgt vs Linux tgt, fio $("$FIO" --version | sed 's/^fio-//') libiscsi engine, 127.0.0.1, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
    echo "# jtgt: iscsi://127.0.0.1:$JTGT_PORT/$JTGT_IQN, LUN 0 file on disk, 1 file on tmpfs, 2 memory; $(java -version 2>&1 | head -1)"
    echo "# tgt:  iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN, LUN 1 file on disk, 2 file on tmpfs, bstype rdwr; $TGT_VERSION"
    echo "# LUNs of $SIZE bytes, pre-written in $FILL_BS writes; disk = $(df --output=source "$LUN_DIR" | tail -1) ($(df --output=fstype "$LUN_DIR" | tail -1)); $SECS s a job, $REPS repetitions, jtgt and tgt interleaved"
    echo "# kernel write-back threshold after the LUN files were written: $WB_THRESHOLD pages, a LUN file $((SIZE / PAGE_SIZE)) pages (disk jobs log what was written back during them)"
    echo "# load before: $LOAD_BEFORE"
    echo "# load after:  $LOAD_AFTER"
    echo "# sessions counted by the targets during the 4-job warm-ups (LUN target count): $(paste -sd, "$OUT/sessions.txt" | sed 's/,/, /g')"
    echo "# command: ${JTGT_FIO_SECONDS:+JTGT_FIO_SECONDS=$SECS }${JTGT_FIO_REPS:+JTGT_FIO_REPS=$REPS }${JTGT_FIO_FILL_BS:+JTGT_FIO_FILL_BS=$FILL_BS }${JTGT_FIO_LUNS:+JTGT_FIO_LUNS=\"${LUNS[*]}\" }${JTGT_FIO_WORKLOADS:+JTGT_FIO_WORKLOADS=\"${WORKLOADS[*]}\" }bench/run-fio-bench.sh ($ELAPSED s)"
    echo "# memory LUN rows: jtgt's memory store against tgt's rdwr file on tmpfs"
    echo
    awk -F'\t' -v labels="$labels" -v order="${WORKLOADS[*]}" -v luns="${LUNS[*]}" -v reps="$REPS" '
        function num(x) { return x ~ /^[0-9.]+$/ }
        function fmt(x, d) { return x == "" ? "n/a" : sprintf("%." d "f", x) }
        function mean(k, f) { return n[k, f] ? s[k, f] / n[k, f] : "" }
        BEGIN {
            split(labels, a, ";"); for (i in a) { split(a[i], b, "="); label[b[1]] = b[2] }
            nw = split(order, W, " "); nl = split(luns, L, " ")
        }
        NR > 1 {
            k = $1 SUBSEP $2 SUBSEP $4
            for (f = 5; f <= 12; f++) if (f != 10 && f != 11 && num($f)) { s[k, f] += $f; n[k, f]++ }
            v[$1, $2, $3, $4, 5] = $5; v[$1, $2, $3, $4, 7] = $7; v[$1, $2, $3, $4, 6] = $6
        }
        END {
            print "Per workload and target, mean of the repetitions (MB = 10^6 bytes; latency = fio clat; CPU = target process user+sys per I/O;"
            print "switches = context switches of the target process per I/O):"
            printf "%-6s | %-30s | %-6s | %9s | %8s | %8s | %8s | %9s | %8s\n", "LUN", "workload", "target", "IOPS", "MB/s", "p50 us", "p99 us", "CPU us/IO", "switches"
            printf "%s\n", "-------+--------------------------------+--------+-----------+----------+----------+----------+-----------+---------"
            for (i = 1; i <= nl; i++) for (j = 1; j <= nw; j++) for (t = 1; t <= 2; t++) {
                tg = t == 1 ? "jtgt" : "tgt"; k = L[i] SUBSEP W[j] SUBSEP tg
                printf "%-6s | %-30s | %-6s | %9s | %8s | %8s | %8s | %9s | %8s\n", L[i], label[W[j]], tg,
                    fmt(mean(k, 5), 0), fmt(mean(k, 6), 1), fmt(mean(k, 7), 0), fmt(mean(k, 8), 0), fmt(mean(k, 9), 1),
                    fmt(mean(k, 12), 2)
            }
            print ""
            print "jtgt / tgt: IOPS (higher is better for jtgt) and p50 latency (lower is better), mean of the per-repetition ratios [min-max]:"
            printf "%-6s | %-30s | %-18s | %-18s\n", "LUN", "workload", "IOPS jtgt/tgt", "p50 jtgt/tgt"
            printf "%s\n", "-------+--------------------------------+--------------------+-------------------"
            for (i = 1; i <= nl; i++) for (j = 1; j <= nw; j++) {
                for (f = 5; f <= 7; f += 2) {
                    cnt = 0; sum = 0; lo = ""; hi = ""
                    for (r = 1; r <= reps; r++) {
                        x = v[L[i], W[j], r, "jtgt", f]; y = v[L[i], W[j], r, "tgt", f]
                        if (num(x) && num(y) && y > 0) {
                            q = x / y; sum += q; cnt++
                            if (lo == "" || q < lo) lo = q; if (hi == "" || q > hi) hi = q
                        }
                    }
                    cell[f] = cnt ? sprintf("%.2f [%.2f-%.2f]", sum / cnt, lo, hi) : "n/a"
                }
                printf "%-6s | %-30s | %-18s | %-18s\n", L[i], label[W[j]], cell[5], cell[7]
            }
            for (i = 1; i <= nl; i++) {
                k = L[i] SUBSEP "seqread128k-qd16" SUBSEP "iperf3"
                if (mean(k, 6) == "") continue
                if (!hdr++) { print ""; print "128 KiB sequential read against iperf3 (one TCP stream over 127.0.0.1, run before each repetition and after its jtgt job; mean):" }
                ip = mean(k, 6)
                jt = mean(L[i] SUBSEP "seqread128k-qd16" SUBSEP "jtgt", 6)
                tt = mean(L[i] SUBSEP "seqread128k-qd16" SUBSEP "tgt", 6)
                printf "%-6s | iperf3 %.1f MB/s (%.1f Gbit/s) | jtgt %s MB/s = %s | tgt %s MB/s = %s\n", L[i], ip, ip * 8 / 1000,
                    fmt(jt, 1), jt == "" ? "n/a" : sprintf("%.0f %%", jt / ip * 100),
                    fmt(tt, 1), tt == "" ? "n/a" : sprintf("%.0f %%", tt / ip * 100)
            }
        }' "$RUNS"
} | tee "$RESULTS"
log "done in $ELAPSED s; results in $RESULTS, one line a job in $RUNS, fio output in $RAW"
