#!/usr/bin/env bash
# Ring transfer-rate benchmarks: SlotRing vs ArrayBlockingQueue vs Agrona, 64-byte events, on one
# thread and with 1 and 2 producers into 1 consumer. About 3 minutes on 2 cores. Two forks per
# benchmark because a fork's result depends on where its buffers land (seen: the same benchmark at
# 31 and at 39 million events/s in two forks); run it on an otherwise idle machine.
#
#   bench/run-ring-bench.sh                 # build if needed, run, print the table
#   bench/run-ring-bench.sh -prof gc        # extra JMH options are passed through
#
# Results: bench/target/ring-bench.json (JMH JSON), ring-bench.txt (JMH's console output),
# ring-bench-table.txt (the table printed at the end).
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
