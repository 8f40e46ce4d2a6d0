#!/usr/bin/env bash
# Ring transfer-rate benchmarks: SlotRing vs ArrayBlockingQueue (moving references, and copying the
# event) vs Agrona, 64-byte events, on one thread and with 1 and 2 producers into 1 consumer; then
# RingPairs, which alternates two rings in 200 ms slices and reports the median ratio of the pairs.
# About 6 minutes on 2 cores; run it on an otherwise idle machine. Two forks per JMH benchmark, yet
# on a 2-vCPU virtual machine one JMH run still decides little: the same benchmark moves between
# about 8 and 40 million events/s over tens of seconds, within a fork too (where the host runs the
# two vCPUs), which the paired slices of RingPairs see through.
#
#   bench/run-ring-bench.sh                 # build if needed, run, print the table and the pairs
#   bench/run-ring-bench.sh -prof gc        # extra JMH options are passed through
#   RING_PAIRS=0 bench/run-ring-bench.sh    # JMH only (RING_PAIRS: number of pairs, default 30)
#
# Results: bench/target/ring-bench.json (JMH JSON), ring-bench.txt (JMH's console output),
# ring-bench-table.txt (the table printed at the end of JMH), ring-pairs.txt (RingPairs' report).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
JAR=$BENCH_DIR/target/benchmarks.jar

needs_build() {
    [[ ! -f $JAR ]] && return 0
    [[ -n $(find "$BENCH_DIR/src" "$BENCH_DIR/pom.xml" "$ROOT/bundles/ring/src/main" "$ROOT/bundles/ring/pom.xml" \
        -newer "$JAR" -print -quit) ]]
}

if needs_build; then
    echo "building $JAR ..."
    (cd "$ROOT" && mvn -B -q -pl bench -am -DskipTests package)
fi

# JMH settings: 2 forks x (3 x 1 s warm-up + 4 x 1 s measurement) per benchmark.
# JMH's own temporary files (and those of its forked JVMs, which inherit this option) stay in target/.
mkdir -p "$BENCH_DIR/target/jmh"
java -Djava.io.tmpdir="$BENCH_DIR/target/jmh" -Dtable="$BENCH_DIR/target/ring-bench-table.txt" \
    -cp "$JAR" org.jtgt.bench.RingBenchReport \
    -f 2 -wi 3 -w 1s -i 4 -r 1s \
    -rf json -rff "$BENCH_DIR/target/ring-bench.json" \
    "$@" 'org\.jtgt\.bench\.(SlotRing|AgronaRing|BlockingQueue)Benchmark\.' \
    | tee "$BENCH_DIR/target/ring-bench.txt"

PAIRS=${RING_PAIRS:-30}
if (( PAIRS > 0 )); then
    echo
    echo "RingPairs: $PAIRS pairs of 200 ms slices per comparison"
    java -Djava.io.tmpdir="$BENCH_DIR/target/jmh" -cp "$JAR" org.jtgt.bench.RingPairs "$PAIRS" | tee "$BENCH_DIR/target/ring-pairs.txt"
fi
