#!/usr/bin/env bash
# The slot ring's hot path with each of its cross-core choices undone in turn (RingLabBenchmark:
# lap stamps vs the seed's FREE store per slot vs clearing per batch, padded vs packed counters,
# head per batch vs per record, cached head or not, waiting-flag read or not), next to Agrona and
# SlotRing itself. Runs every benchmark once per round, for ROUNDS rounds (default 6), and prints
# the median, lowest and highest rate of each: on a busy machine load comes and goes, and rounds
# spread it over all variants alike. About 90 s per round on 2 cores.
#
#   bench/run-ring-lab.sh                   # build if needed, run, print the table
#   ROUNDS=10 bench/run-ring-lab.sh -prof gc  # extra JMH options are passed through
#
# Results: bench/target/ring-lab.txt (JMH's console output and the table at its end).
# On a machine too busy even for rounds, paired 200 ms slices say more:
#   java -cp bench/target/benchmarks.jar org.jtgt.bench.RingPairs [pairs=30] [sliceMillis=200] [fastM=25] [lab]
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
JAR=$BENCH_DIR/target/benchmarks.jar

if [[ ! -f $JAR || -n $(find "$BENCH_DIR/src" "$BENCH_DIR/pom.xml" "$ROOT/bundles/ring/src/main" \
        "$ROOT/bundles/ring/pom.xml" -newer "$JAR" -print -quit) ]]; then
    echo "building $JAR ..."
    (cd "$ROOT" && mvn -B -q -pl bench -am -DskipTests package)
fi

mkdir -p "$BENCH_DIR/target/jmh"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$BENCH_DIR/target/ring-lab.txt"
java -Djava.io.tmpdir="$BENCH_DIR/target/jmh" -Drounds="${ROUNDS:-6}" \
    -cp "$JAR" org.jtgt.bench.RingLabReport \
    -f 1 -wi 1 -w 1s -i 2 -r 1s \
    "$@" 'org\.jtgt\.bench\.RingLabBenchmark\.' \
    'org\.jtgt\.bench\.AgronaRingBenchmark\.(oneProducer|twoProducers)$' \
    'org\.jtgt\.bench\.SlotRingBenchmark\.(oneProducerSingle|twoProducers)$' \
    | tee -a "$BENCH_DIR/target/ring-lab.txt"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$BENCH_DIR/target/ring-lab.txt"
