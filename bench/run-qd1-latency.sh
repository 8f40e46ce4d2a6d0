#!/usr/bin/env bash
# QD1 4 KiB read latency through real initiators against the launcher jar, on each embedded
# transport: one jtgt (launcher/target/jtgt.jar, a 64 MiB memory LUN filled first), and for each
# repetition and transport (`jtgtadm --mode transport --op swap`, shm and direct in turn):
#   qemu-img bench -f raw -t none -d 1 -s 4096 -c N URL      (QEMU's iscsi driver, sequential)
#   iscsi-perf -m 1 -b 8 -t SECONDS URL                       (libiscsi, sequential)
# Both report a rate only: the mean latency is its inverse (no percentiles; the per-stage p50s
# are bench/run-latency-breakdown.sh's). The load average is printed with the numbers: on 2
# shared cores compare within one run only.
#
#   bench/run-qd1-latency.sh          # about a minute; needs qemu-utils + qemu-block-extra, libiscsi-bin
#
# Environment: JTGT_BENCH_JTGT_PORT (3270), JTGT_BENCH_QD1_COUNT (20000 qemu-img requests),
# JTGT_BENCH_QD1_SECONDS (5, iscsi-perf), JTGT_BENCH_TRANSPORTS ("shm direct"), JTGT_BENCH_REPS (2).
# Output: bench/target/qd1-latency/results.txt; raw tool output and the jtgt log next to it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/target/qd1-latency
RAW=$OUT/raw
PORT=${JTGT_BENCH_JTGT_PORT:-3270}
COUNT=${JTGT_BENCH_QD1_COUNT:-20000}
SECONDS_PERF=${JTGT_BENCH_QD1_SECONDS:-5}
TRANSPORTS=${JTGT_BENCH_TRANSPORTS:-shm direct}
REPS=${JTGT_BENCH_REPS:-2}
SIZE=67108864
URL=iscsi://127.0.0.1:$PORT/iqn.2026-11.org.jtgt:default/0

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"
for tool in java iscsi-perf qemu-img timeout awk; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: libiscsi-bin, qemu-utils, qemu-block-extra)"
done
sbs_init "$OUT" 600
mkdir -p "$RAW"
sbs_start_jtgt "$OUT/jtgt.log" "127.0.0.1:$PORT" -Djtgt.default.target.size=$SIZE
CONTROL=$OUT/jtgt/control.sock
jtgtadm() { java -XX:-UsePerfData -cp "$SBS_JAR" org.jtgt.launcher.Jtgtadm --control "$CONTROL" "$@"; }

timeout 120 qemu-img bench -f raw -t none -w -s 1M -c 64 -d 4 --pattern=0x5a "$URL" >"$RAW/fill.txt" 2>&1 \
    || die "filling the LUN failed, see $RAW/fill.txt"

{
    echo "# $(date -u +%FT%TZ) load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(java -version 2>&1 | head -1)"
    printf '%-4s %-8s %14s %14s %14s %14s\n' rep transport "qemu-img IOPS" "mean us" "iscsi-perf IOPS" "mean us"
    for rep in $(seq 1 "$REPS"); do
        for t in $TRANSPORTS; do
            jtgtadm --mode transport --op swap --name "$t" >"$RAW/swap-$rep-$t.txt" 2>&1 \
                || die "swap to $t failed: $(cat "$RAW/swap-$rep-$t.txt")"
            timeout 300 qemu-img bench -f raw -t none -d 1 -s 4096 -c "$COUNT" "$URL" >"$RAW/qemu-$rep-$t.txt" 2>&1 || true
            secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' "$RAW/qemu-$rep-$t.txt")
            timeout $((SECONDS_PERF + 30)) iscsi-perf -m 1 -b 8 -t "$SECONDS_PERF" "$URL" >"$RAW/perf-$rep-$t.txt" 2>&1 || true
            iops=$(tr '\r' '\n' <"$RAW/perf-$rep-$t.txt" | grep -Eo '^ *iops average [0-9]+' | tail -1 | awk '{ print $3 }')
            awk -v rep="$rep" -v t="$t" -v n="$COUNT" -v s="${secs:-0}" -v p="${iops:-0}" 'BEGIN {
                q = 0; if (s > 0) q = n / s
                ql = 0; if (q > 0) ql = 1e6 / q
                pl = 0; if (p > 0) pl = 1e6 / p
                printf "%-4s %-8s %14.0f %14.1f %14.0f %14.1f\n", rep, t, q, ql, p, pl }'
        done
    done
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.txt"
