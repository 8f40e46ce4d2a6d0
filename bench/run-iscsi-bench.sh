#!/usr/bin/env bash
# iSCSI benchmark: jtgt against Linux tgt (Debian's `tgt`), same initiators, same workloads, one run.
#
#   bench/run-iscsi-bench.sh          # about 2 minutes; must run as root (tgtd needs /var/run/tgtd)
#
# Needs: launcher/target/jtgt.jar (mvn -B -q -DskipTests package), java, and Debian's tgt (tgtd,
# tgtadm), libiscsi-bin (iscsi-perf) and qemu-utils + qemu-block-extra (qemu-img with iscsi://).
#
# Targets (both run for the whole script, on loopback, each on its own port):
#   jtgt  127.0.0.1:3270  launcher jar, default target iqn.2026-11.org.jtgt:default, LUN 0 = thin
#         MEMORY disk of $SIZE bytes (-Djtgt.default.target.size). Config dir (framework cache,
#         shared-memory region) under bench/target/iscsi-bench/jtgt, recreated on every run.
#   tgt   127.0.0.1:3271  `tgtd -f -C 3271 --iscsi portal=127.0.0.1:3271`: its own control socket
#         (/var/run/tgtd/socket.3271), so it neither clashes with nor talks to a system tgtd.
#         Target iqn.2026-11.org.jtgt:tgt, LUN 1 (tgt's LUN 0 is its controller LU), bound to ALL
#         initiators, no CHAP.
#
# Backing-store choice for tgt: tgt has no RAM-disk backing store. Its `null` store does no I/O at
# all (reads return nothing, writes are dropped), which would not be a like-for-like comparison with
# a memory disk that stores data. So tgt gets its default `rdwr` store (pread/pwrite from its I/O
# thread pool, default thread count) on a sparse file of the same size on /dev/shm (tmpfs): both
# LUNs are memory-backed. The file is named after this script's PID and deleted on exit.
#
# Method (identical for both targets; every tool call is wrapped in `timeout`):
#   1. fill: the whole LUN is written once with 1 MiB writes (qemu-img bench -w -s 1M, pattern 0x5a),
#      so that reads hit stored data on both (jtgt's thin memory disk would otherwise read holes) and
#      both targets are warmed up; then 3 s of 4 KiB random reads (not counted).
#   2. per workload, jtgt then tgt (interleaved, so drift in machine load hits both alike):
#        4 KiB sequential read, QD32   iscsi-perf -m 32 -b 8 -t 10 URL        (IOPS = its "iops average")
#        4 KiB random read, QD32       iscsi-perf -m 32 -b 8 -t 10 -r URL
#        4 KiB sequential write, QD32  qemu-img bench -f raw -t none -w -s 4k -d 32 -c N URL
#        128 KiB sequential read, QD16 qemu-img bench -f raw -t none -s 128k -d 16 -c N URL
#      For qemu-img, N is calibrated per target by a short probe run (not counted) so the measured run
#      takes about 8 s; IOPS = N / "Run completed in" seconds. MiB/s = IOPS x request size / 2^20.
#   3. The table (and the target processes' CPU time per I/O, from /proc/PID/stat) is printed and
#      written to bench/target/iscsi-bench/results.txt; raw tool output and both targets' logs stay
#      in bench/target/iscsi-bench/.
#
# Both targets are stopped on exit, also on error or Ctrl-C (jtgt: SIGTERM, then wait; tgtd: delete
# the target, `tgtadm --op delete --mode system`, wait, SIGKILL as a last resort; its socket files
# and the /dev/shm file are removed). Nothing is written to /tmp or $HOME (TMPDIR and java.io.tmpdir
# point into bench/target/iscsi-bench, the JVM runs with -XX:-UsePerfData).
#
# Environment overrides: JTGT_BENCH_SIZE (bytes, multiple of 1 MiB; default 1 GiB),
# JTGT_BENCH_JTGT_PORT (3270), JTGT_BENCH_TGT_PORT (3271), JTGT_BENCH_TGT_CONTROL_PORT (= tgt port),
# JTGT_BENCH_READ_SECONDS (10), JTGT_BENCH_QEMU_SECONDS (8), JTGT_BENCH_JAVA_OPTS (extra JVM options).
#
# The numbers are only meaningful on an otherwise idle machine: initiator, both targets and anything
# else running share the same cores (the load average before and after is in the header).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/target/iscsi-bench
RAW=$OUT/raw
RESULTS=$OUT/results.txt

SIZE=${JTGT_BENCH_SIZE:-1073741824}
JTGT_PORT=${JTGT_BENCH_JTGT_PORT:-3270}
TGT_PORT=${JTGT_BENCH_TGT_PORT:-3271}
TGT_CONTROL=${JTGT_BENCH_TGT_CONTROL_PORT:-$TGT_PORT}
READ_SECONDS=${JTGT_BENCH_READ_SECONDS:-10}
QEMU_SECONDS=${JTGT_BENCH_QEMU_SECONDS:-8}
WARMUP_SECONDS=3
SCRIPT_DEADLINE=290 # the whole run is killed (and cleaned up) after this many seconds

JTGT_IQN=iqn.2026-11.org.jtgt:default
TGT_IQN=iqn.2026-11.org.jtgt:tgt
JTGT_URL=iscsi://127.0.0.1:$JTGT_PORT/$JTGT_IQN/0
TGT_URL=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1
TGT_TID=1
TGT_BACKING=/dev/shm/jtgt-bench-tgt-$$.img

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"

# ---------------------------------------------------------------------------------------------------
# checks
for tool in java tgtd tgtadm iscsi-perf qemu-img timeout awk; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: tgt, libiscsi-bin, qemu-utils, qemu-block-extra)"
done
[[ $SIZE =~ ^[0-9]+$ ]] && (( SIZE > 0 && SIZE % 1048576 == 0 )) || die "JTGT_BENCH_SIZE must be a positive multiple of 1 MiB"

sbs_init "$OUT" "$SCRIPT_DEADLINE"
mkdir -p "$RAW"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_SECONDS=$SECONDS

# ---------------------------------------------------------------------------------------------------
# jtgt
log "starting jtgt on 127.0.0.1:$JTGT_PORT ($SIZE-byte memory LUN)"
# shellcheck disable=SC2086 # JTGT_BENCH_JAVA_OPTS is a word list
sbs_start_jtgt "$OUT/jtgt.log" "127.0.0.1:$JTGT_PORT" -Djtgt.default.target.size="$SIZE" ${JTGT_BENCH_JAVA_OPTS:-}
JTGT_PID=$SBS_JTGT_PID

# ---------------------------------------------------------------------------------------------------
# tgt
log "starting tgtd on 127.0.0.1:$TGT_PORT (control port $TGT_CONTROL), rdwr LUN on $TGT_BACKING"
sbs_delete_on_exit "$TGT_BACKING"
truncate -s "$SIZE" "$TGT_BACKING"
sbs_start_tgtd "$OUT/tgtd.log" "$TGT_CONTROL" "127.0.0.1:$TGT_PORT"
TGTD_PID=$SBS_TGTD_PID
sbs_tgt_target "$TGT_TID" "$TGT_IQN" "$TGT_BACKING"
sbs_tgtadm --mode target --op show >"$OUT/tgt-target.txt"
TGT_VERSION=$(tgtd -V 2>&1 | head -1)

# ---------------------------------------------------------------------------------------------------
# measurement helpers; each prints "IOPS MiB/s" (or "n/a n/a" if the tool failed)
declare -A URL=([jtgt]=$JTGT_URL [tgt]=$TGT_URL)
declare -A PID=([jtgt]=$JTGT_PID [tgt]=$TGTD_PID)
CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() { # PID -> utime+stime of all its threads, in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

iscsi_perf() { # NAME TARGET SECONDS [iscsi-perf options...]
    local name=$1 target=$2 secs=$3 rc=0 line
    shift 3
    timeout -k 5 $((secs + 30)) iscsi-perf -m 32 -b 8 -t "$secs" "$@" "${URL[$target]}" >"$RAW/$name-$target.txt" 2>&1 || rc=$?
    line=$(tr '\r' '\n' <"$RAW/$name-$target.txt" | grep -Eo '^ *iops average [0-9]+' | tail -1 || true)
    if (( rc != 0 )) || [[ -z $line ]]; then
        log "iscsi-perf $name on $target failed (rc $rc), see $RAW/$name-$target.txt"
        echo "n/a n/a"
        return
    fi
    awk -v iops="${line##* }" 'BEGIN { printf "%d %.1f\n", iops, iops * 4096 / 1048576 }'
}

qemu_bench() { # NAME TARGET COUNT TIMEOUT [qemu-img bench options...] -> "IOPS MiB/s SECONDS"
    local name=$1 target=$2 count=$3 limit=$4 rc=0 secs bs
    shift 4
    timeout -k 5 "$limit" qemu-img bench -f raw -t none -c "$count" "$@" "${URL[$target]}" \
        >"$RAW/$name-$target.txt" 2>&1 || rc=$?
    secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' "$RAW/$name-$target.txt")
    bs=$(sed -n 's/^Sending [0-9]* [a-z]* requests, \([0-9]*\) bytes each.*/\1/p' "$RAW/$name-$target.txt")
    if (( rc != 0 )) || [[ -z $secs || -z $bs ]]; then
        log "qemu-img bench $name on $target failed (rc $rc), see $RAW/$name-$target.txt"
        echo "n/a n/a n/a"
        return
    fi
    awk -v c="$count" -v s="$secs" -v bs="$bs" \
        'BEGIN { if (s < 0.001) s = 0.001; printf "%d %.1f %s\n", c / s, c / s * bs / 1048576, s }'
}

qemu_bench_calibrated() { # NAME TARGET PROBE_COUNT [qemu-img bench options...]: probe, then ~QEMU_SECONDS
    local name=$1 target=$2 probe=$3 iops n
    shift 3
    read -r iops _ _ < <(qemu_bench "$name-probe" "$target" "$probe" 60 "$@")
    if [[ $iops == n/a ]]; then echo "n/a n/a"; return; fi
    n=$(( iops * QEMU_SECONDS ))
    (( n >= probe )) || n=$probe
    read -r iops mib _ < <(qemu_bench "$name" "$target" "$n" $((QEMU_SECONDS * 4 + 30)) "$@")
    echo "$iops $mib"
}

# ---------------------------------------------------------------------------------------------------
# fill + warm-up
for t in jtgt tgt; do
    log "$t: filling the LUN with 1 MiB writes, then ${WARMUP_SECONDS}s of 4 KiB random reads (not counted)"
    read -r _ fill_mib _ < <(qemu_bench fill "$t" $((SIZE / 1048576)) 120 -w -s 1M -d 8 --pattern=0x5a)
    [[ $fill_mib != n/a ]] || die "filling the $t LUN failed"
    log "$t: fill at $fill_mib MiB/s"
    iscsi_perf warmup "$t" "$WARMUP_SECONDS" -r >/dev/null
done

# ---------------------------------------------------------------------------------------------------
# workloads
WORKLOADS=(seqread4k randread4k write4k seqread128k)
declare -A LABEL=(
    [seqread4k]="4 KiB seq read, QD32"
    [randread4k]="4 KiB random read, QD32"
    [write4k]="4 KiB seq write, QD32"
    [seqread128k]="128 KiB seq read, QD16"
)
declare -A IOPS MIB CPU_US
for w in "${WORKLOADS[@]}"; do
    for t in jtgt tgt; do
        log "$t: ${LABEL[$w]}"
        before=$(cpu_ticks "${PID[$t]}")
        case $w in
            seqread4k)   r=$(iscsi_perf "$w" "$t" "$READ_SECONDS") ;;
            randread4k)  r=$(iscsi_perf "$w" "$t" "$READ_SECONDS" -r) ;;
            write4k)     r=$(qemu_bench_calibrated "$w" "$t" 20000 -w -s 4k -d 32) ;;
            seqread128k) r=$(qemu_bench_calibrated "$w" "$t" 4000 -s 128k -d 16) ;;
        esac
        after=$(cpu_ticks "${PID[$t]}")
        read -r IOPS[$w,$t] MIB[$w,$t] <<<"$r"
        # target CPU per I/O; the qemu-img probe run is included in the ticks, so count its I/Os too
        ios=$(awk -v f="$RAW/$w-$t.txt" -v p="$RAW/$w-$t-probe.txt" 'BEGIN {
                n = 0
                while ((getline l < f) > 0) if (l ~ /^Sending [0-9]+ /) { split(l, a, " "); n += a[2] }
                while ((getline l < p) > 0) if (l ~ /^Sending [0-9]+ /) { split(l, a, " "); n += a[2] }
                print n }')
        [[ $w == *read4k ]] && [[ ${IOPS[$w,$t]} != n/a ]] && ios=$(( IOPS[$w,$t] * READ_SECONDS ))
        CPU_US[$w,$t]=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$ios" \
            'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "n/a" }')
    done
done

# ---------------------------------------------------------------------------------------------------
# report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "# jtgt vs Linux tgt over iSCSI, 127.0.0.1, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
    echo "# jtgt: $JTGT_URL, memory LUN $SIZE bytes; $(java -version 2>&1 | head -1)"
    echo "# tgt:  $TGT_URL, $TGT_VERSION, bstype rdwr on tmpfs file $SIZE bytes"
    echo "# initiators: iscsi-perf (libiscsi), qemu-img bench -t none; both LUNs pre-filled; load avg before $LOAD_BEFORE, after $LOAD_AFTER"
    echo "# command: bench/run-iscsi-bench.sh"
    printf '%-24s | %10s | %10s | %10s | %10s | %8s\n' workload "jtgt IOPS" "jtgt MiB/s" "tgt IOPS" "tgt MiB/s" jtgt/tgt
    printf '%-24s-+-%10s-+-%10s-+-%10s-+-%10s-+-%8s\n' "$(printf '%.0s-' {1..24})" ---------- ---------- ---------- ---------- --------
    for w in "${WORKLOADS[@]}"; do
        ratio=$(awk -v a="${IOPS[$w,jtgt]}" -v b="${IOPS[$w,tgt]}" \
            'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) printf "%.2fx", a / b; else print "n/a" }')
        printf '%-24s | %10s | %10s | %10s | %10s | %8s\n' "${LABEL[$w]}" \
            "${IOPS[$w,jtgt]}" "${MIB[$w,jtgt]}" "${IOPS[$w,tgt]}" "${MIB[$w,tgt]}" "$ratio"
    done
    echo
    echo "# target process CPU time per I/O (user+sys of all threads, us; includes the qemu-img probe run)"
    printf '%-24s | %10s | %10s\n' workload "jtgt us/IO" "tgt us/IO"
    for w in "${WORKLOADS[@]}"; do
        printf '%-24s | %10s | %10s\n' "${LABEL[$w]}" "${CPU_US[$w,jtgt]}" "${CPU_US[$w,tgt]}"
    done
} | tee "$RESULTS"
log "done in $((SECONDS - START_SECONDS)) s; results in $RESULTS, raw output in $RAW"
