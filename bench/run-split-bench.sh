#!/usr/bin/env bash
# The split shape (front and daemon in two processes) against the embedded default, same jar, same
# machine, one after the other in each repetition:
#   embedded-direct  one process, the direct transport (the default)
#   embedded-shm     one process, the shared-memory ring (jtgtadm --mode transport --op swap --name shm)
#   split            --role front + --role daemon on one --config directory, the shared-memory ring
#   split-netlink    the same over the netlink-style socket (-Djtgt.split.transport=netlink)
# each with the default target's 64 MiB memory LUN filled first, and for each:
#   iscsi-perf -m 1 -b 8 -t SECONDS URL        (libiscsi, 4 KiB reads at QD1)
#   iscsi-perf -m 32 -b 8 -t SECONDS URL       (QD32)
#   qemu-img bench -f raw -t none -d 1 -s 4096 -c N URL   (QEMU's iscsi driver, QD1)
# IOPS, and the mean latency of the QD1 runs (their inverse); the ratio split / embedded-direct.
# The daemon's takeover time (death to the next completed command) is SplitDaemonIT's to measure.
#
#   bench/run-split-bench.sh          # about 3 minutes; needs libiscsi-bin, qemu-utils, qemu-block-extra
#
# Environment: JTGT_BENCH_JTGT_PORT (3270), JTGT_BENCH_SECONDS (5), JTGT_BENCH_QD1_COUNT (20000),
# JTGT_BENCH_REPS (2). Output: bench/target/split/results.txt, raw output and logs next to it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/target/split
RAW=$OUT/raw
PORT=${JTGT_BENCH_JTGT_PORT:-3270}
SECS=${JTGT_BENCH_SECONDS:-5}
COUNT=${JTGT_BENCH_QD1_COUNT:-20000}
REPS=${JTGT_BENCH_REPS:-2}
SIZE=67108864
URL=iscsi://127.0.0.1:$PORT/iqn.2026-11.org.jtgt:default/0

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"
for tool in java iscsi-perf qemu-img timeout awk; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: libiscsi-bin, qemu-utils, qemu-block-extra)"
done
sbs_init "$OUT" 900
mkdir -p "$RAW"
FRONT_PID=
DAEMON_PID=

split_stop() {
    local p
    for p in $FRONT_PID $DAEMON_PID; do
        kill -TERM "$p" 2>/dev/null || true
        sbs_wait_gone "$p" 30 || kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    FRONT_PID=
    DAEMON_PID=
}
trap 'rc=$?; split_stop; (exit $rc); sbs_cleanup' EXIT

await_line() { # LOG PATTERN PID
    local i
    for ((i = 0; i < 600; i++)); do
        grep -q "$2" "$1" && return 0
        kill -0 "$3" 2>/dev/null || { tail -20 "$1" >&2; die "process $3 exited; see $1"; }
        sleep 0.1
    done
    tail -20 "$1" >&2
    die "no '$2' in $1 after 60 s"
}

split_start() { # REP TRANSPORT
    local dir=$OUT/split-config-$1-$2 n=$1-$2
    rm -rf "$dir"
    java -XX:-UsePerfData -Djava.io.tmpdir="$OUT/tmp" -Djtgt.default.target.size=$SIZE -Djtgt.split.transport="$2" \
        -jar "$SBS_JAR" --role daemon --config "$dir" >"$OUT/daemon-$n.log" 2>&1 &
    DAEMON_PID=$!
    java -XX:-UsePerfData -Djava.io.tmpdir="$OUT/tmp" -Djtgt.split.transport="$2" \
        -jar "$SBS_JAR" --role front --config "$dir" --portal "127.0.0.1:$PORT" >"$OUT/front-$n.log" 2>&1 &
    FRONT_PID=$!
    await_line "$OUT/front-$n.log" "iSCSI portal listening on 127.0.0.1:$PORT" "$FRONT_PID"
    await_line "$OUT/front-$n.log" "attached: generation" "$FRONT_PID"
    # The front answers discovery from the daemon's catalog: wait until the target is in it.
    local i
    for ((i = 0; i < 100; i++)); do
        iscsi-inq "$URL" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "the default target never appeared on the front"
}

fill() {
    timeout 120 qemu-img bench -f raw -t none -w -s 1M -c 64 -d 4 --pattern=0x5a "$URL" >"$RAW/fill.txt" 2>&1 \
        || die "filling the LUN failed, see $RAW/fill.txt"
}

measure() { # REP NAME
    local n="$1-$2" secs q1 q32 qemu
    timeout $((SECS + 30)) iscsi-perf -m 1 -b 8 -t "$SECS" "$URL" >"$RAW/qd1-$n.txt" 2>&1 || true
    timeout $((SECS + 30)) iscsi-perf -m 32 -b 8 -t "$SECS" "$URL" >"$RAW/qd32-$n.txt" 2>&1 || true
    timeout 300 qemu-img bench -f raw -t none -d 1 -s 4096 -c "$COUNT" "$URL" >"$RAW/qemu-$n.txt" 2>&1 || true
    q1=$(tr '\r' '\n' <"$RAW/qd1-$n.txt" | grep -Eo '^ *iops average [0-9]+' | tail -1 | awk '{ print $3 }')
    q32=$(tr '\r' '\n' <"$RAW/qd32-$n.txt" | grep -Eo '^ *iops average [0-9]+' | tail -1 | awk '{ print $3 }')
    secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' "$RAW/qemu-$n.txt")
    awk -v rep="$1" -v name="$2" -v a="${q1:-0}" -v b="${q32:-0}" -v c="$COUNT" -v s="${secs:-0}" 'BEGIN {
        q = 0; if (s > 0) q = c / s
        printf "%-4s %-16s %12.0f %10.1f %12.0f %12.0f %10.1f\n", rep, name, a, (a > 0 ? 1e6 / a : 0), b, q, (q > 0 ? 1e6 / q : 0) }'
}

{
    echo "# $(date -u +%FT%TZ) load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(java -version 2>&1 | head -1)"
    printf '%-4s %-16s %12s %10s %12s %12s %10s\n' rep shape "perf QD1" "mean us" "perf QD32" "qemu QD1" "mean us"
    for rep in $(seq 1 "$REPS"); do
        sbs_start_jtgt "$OUT/embedded-$rep.log" "127.0.0.1:$PORT" -Djtgt.default.target.size=$SIZE
        fill
        measure "$rep" embedded-direct
        java -XX:-UsePerfData -cp "$SBS_JAR" org.jtgt.launcher.Jtgtadm --control "$OUT/jtgt/control.sock" \
            --mode transport --op swap --name shm >"$RAW/swap-$rep.txt" 2>&1 || die "swap to shm failed"
        measure "$rep" embedded-shm
        kill -TERM "$SBS_JTGT_PID"
        sbs_wait_gone "$SBS_JTGT_PID" 30 || die "jtgt did not stop"
        wait "$SBS_JTGT_PID" 2>/dev/null || true
        SBS_JTGT_PID=
        split_start "$rep" shm
        fill
        measure "$rep" split
        split_stop
        split_start "$rep" netlink
        fill
        measure "$rep" split-netlink
        split_stop
    done
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.txt"

awk '/^[0-9]/ { v[$2] += $3; w[$2] += $5; q[$2] += $6 }
     END { if (v["embedded-direct"] > 0 && w["embedded-direct"] > 0 && q["embedded-direct"] > 0)
             for (i = 1; i <= 2; i++) { s = (i == 1 ? "split" : "split-netlink")
               printf "%s / embedded-direct: perf QD1 %.2f, perf QD32 %.2f, qemu QD1 %.2f\n",
                 s, v[s] / v["embedded-direct"], w[s] / w["embedded-direct"], q[s] / q["embedded-direct"] } }' \
    "$OUT/results.txt" | tee -a "$OUT/results.txt"
