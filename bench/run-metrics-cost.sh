#!/usr/bin/env bash
# What metrics cost: IOPS with metrics on and off in the same run, same launcher jar, same initiator.
#
#   bench/run-metrics-cost.sh                 # about 1 min with the defaults; no root needed
#   JTGT_COST_SECONDS=20 JTGT_COST_REPS=3 bench/run-metrics-cost.sh
#
# Needs launcher/target/jtgt.jar (mvn -B -q -DskipTests package), java, libiscsi-bin (iscsi-perf), curl.
#
#   on   the defaults: every command's latency recorded in its LUN's histogram, HTTP on a free
#        loopback port, the sampler and the MBeans, and /metrics scraped once a second meanwhile
#   off  -Djtgt.metrics.latency=false (the daemon records no latency) -Djtgt.metrics.http=none
#
# Each repetition starts jtgt once per mode, in the order on, off, then off, on, ... (so a drift in
# the machine's load hits both alike), fills nothing (a thin memory LUN reads zeros, the same for
# both), warms up, and runs `iscsi-perf -m 32 -b 8 -r -t SECONDS` (4 KiB random reads, QD32); IOPS is its
# "iops average". Prints a line per run and the mean off/on ratio; results.txt and the raw output
# stay in bench/target/metrics-cost/. Nothing is written to /tmp or $HOME.
#
# Environment: JTGT_COST_SECONDS (10), JTGT_COST_REPS (2), JTGT_COST_WARMUP (3: seconds of the same
# reads before each measured run, not counted), JTGT_COST_PORT (3272).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$BENCH_DIR/target/metrics-cost
SECONDS_PER_RUN=${JTGT_COST_SECONDS:-10}
REPS=${JTGT_COST_REPS:-2}
WARMUP=${JTGT_COST_WARMUP:-3}
PORT=${JTGT_COST_PORT:-3272}
URL="iscsi://127.0.0.1:$PORT/iqn.2026-11.org.jtgt:default/0"

# shellcheck source=../scripts/side-by-side.sh
source "$BENCH_DIR/../scripts/side-by-side.sh"

for tool in java iscsi-perf curl timeout awk; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
sbs_init "$OUT" $(( (SECONDS_PER_RUN + WARMUP + 40) * REPS * 2 + 60 ))
mkdir -p "$OUT/raw"

stop_jtgt() {
    kill -TERM "$SBS_JTGT_PID" 2>/dev/null || true
    sbs_wait_gone "$SBS_JTGT_PID" 30 || kill -KILL "$SBS_JTGT_PID" 2>/dev/null || true
    wait "$SBS_JTGT_PID" 2>/dev/null || true
    SBS_JTGT_PID=
    rm -rf "$OUT/jtgt"
}

run() { # MODE REP -> RESULT (IOPS); not in a subshell, so the cleanup knows the running jtgt
    local mode=$1 rep=$2 scraper= http= line rc=0 i
    local log=$OUT/raw/jtgt-$mode-$rep.log
    if [[ $mode == on ]]; then
        sbs_start_jtgt "$log" "127.0.0.1:$PORT" -Djtgt.default.target.size=268435456 -Djtgt.metrics.http=127.0.0.1:0
        for ((i = 0; i < 300; i++)); do   # the metrics bundle starts after the drivers
            http=$(grep -Eo 'metrics: HTTP on http://127\.0\.0\.1:[0-9]+/' "$log" | grep -Eo '[0-9]+/$' | tr -d / || true)
            [[ -z $http ]] || break
            sleep 0.1
        done
        [[ -n $http ]] || die "no metrics HTTP line in $log"
        ( while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:$http/metrics" || exit 1; done ) &
        scraper=$!
    else
        sbs_start_jtgt "$log" "127.0.0.1:$PORT" -Djtgt.default.target.size=268435456 \
            -Djtgt.metrics.latency=false -Djtgt.metrics.http=none
    fi
    # warm-up, not counted: the JIT compiles the command path before the measured run
    timeout -k 5 $((WARMUP + 30)) iscsi-perf -m 32 -b 8 -r -t "$WARMUP" "$URL" >"$OUT/raw/warmup-$mode-$rep.txt" 2>&1 || true
    timeout -k 5 $((SECONDS_PER_RUN + 30)) iscsi-perf -m 32 -b 8 -r -t "$SECONDS_PER_RUN" "$URL" \
        >"$OUT/raw/iscsi-perf-$mode-$rep.txt" 2>&1 || rc=$?
    if [[ -n $scraper ]]; then
        kill -0 "$scraper" 2>/dev/null || die "the /metrics scraper failed"
        curl -sf "http://127.0.0.1:$http/metrics" >"$OUT/raw/metrics-$rep.txt" || die "last scrape failed"
        kill "$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null || true
    fi
    stop_jtgt
    line=$(tr '\r' '\n' <"$OUT/raw/iscsi-perf-$mode-$rep.txt" | grep -Eo '^ *iops average [0-9]+' | tail -1 || true)
    [[ -n $line ]] || die "iscsi-perf ($mode, rep $rep, rc $rc) printed no average: $OUT/raw/iscsi-perf-$mode-$rep.txt"
    RESULT=${line##* }
}

declare -A IOPS
for ((rep = 1; rep <= REPS; rep++)); do
    if (( rep % 2 )); then order="on off"; else order="off on"; fi
    for mode in $order; do
        run "$mode" "$rep"
        IOPS[$mode,$rep]=$RESULT
        log "rep $rep metrics $mode: ${IOPS[$mode,$rep]} IOPS"
    done
done

{
    echo "# metrics on vs off, 4 KiB random read QD32 (iscsi-perf -t $SECONDS_PER_RUN), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "| rep | on IOPS | off IOPS | on/off |"
    echo "|---|---:|---:|---:|"
    for ((rep = 1; rep <= REPS; rep++)); do
        awk -v r="$rep" -v a="${IOPS[on,$rep]}" -v b="${IOPS[off,$rep]}" 'BEGIN { printf "| %d | %d | %d | %.3f |\n", r, a, b, a / b }'
    done
    sum_on=0; sum_off=0
    for ((rep = 1; rep <= REPS; rep++)); do sum_on=$((sum_on + IOPS[on,$rep])); sum_off=$((sum_off + IOPS[off,$rep])); done
    awk -v a="$sum_on" -v b="$sum_off" 'BEGIN { printf "mean on/off: %.3f (%+.1f %%)\n", a / b, (a / b - 1) * 100 }'
} | tee "$OUT/results.txt"
