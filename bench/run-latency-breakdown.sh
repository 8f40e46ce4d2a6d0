#!/usr/bin/env bash
# Where a QD1 4 KiB READ's time goes, stage by stage, for the shm ring and the direct transport:
# org.jtgt.iscsi.LatencyBreakdown runs the iSCSI driver, the host side, the transport and the
# daemon (memory LUN) in one JVM with a raw initiator on a loopback socket, time-stamps each
# hand-over (initiator send, driver submit, daemon receive, daemon answer, driver completion,
# initiator receive) and prints p50 and mean per stage. The two transports run in turn, twice,
# each in a JVM of its own; the load average is printed before and after (2 shared cores: compare
# numbers within one run only).
#
#   bench/run-latency-breakdown.sh [COMMANDS [WARMUP]]     # default 20000 after 10000
#
# Output: the tables on stdout and in bench/target/latency-breakdown/results.txt. Temporary files
# and the shm region stay under bench/target.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
JAR=$BENCH_DIR/target/benchmarks.jar
OUT=$BENCH_DIR/target/latency-breakdown
COMMANDS=${1:-20000}
WARMUP=${2:-10000}

if [[ ! -f $JAR || -n $(find "$BENCH_DIR/src" "$ROOT/bundles" -path '*/src/main/*' -newer "$JAR" -print -quit) ]]; then
    echo "building $JAR ..." >&2
    mkdir -p "$BENCH_DIR/target/jmh"
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:-} -XX:-UsePerfData -Djava.io.tmpdir=$BENCH_DIR/target/jmh" \
        mvn -B -q -o -pl bench -am -DskipTests package)
fi
mkdir -p "$OUT/tmp"
{
    echo "# $(date -u +%FT%TZ) load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(java -version 2>&1 | head -1)"
    for rep in 1 2; do
        for transport in shm direct; do
            echo "## repetition $rep"
            timeout 600 java -XX:-UsePerfData -Djava.io.tmpdir="$OUT/tmp" -Djtgt.bench.dir="$OUT" \
                -cp "$JAR" org.jtgt.iscsi.LatencyBreakdown "$transport" "$COMMANDS" "$WARMUP" 2>&1 | grep -v '^SLF4J'
        done
    done
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.txt"
rm -rf "$OUT/tmp"
