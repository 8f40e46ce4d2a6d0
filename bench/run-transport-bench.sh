#!/usr/bin/env bash
# Transport benchmarks: the shared-memory ring (shm) against the netlink-style socket (netlink),
# through the Transport SPI only (no daemon, no host side): host threads send KEVENT_CMD_REQ
# records (TEST UNIT READY, no data), the daemon endpoint's sink answers each with a
# UEVENT_CMD_RSP at once. Measures commands/s with 1 and 4 host threads (up to 32 outstanding
# each) and the round trip's p50/p99 with one outstanding. About 2 minutes on 2 cores; run it on
# an otherwise idle machine.
#
#   bench/run-transport-bench.sh                 # build if needed, run, print the table
#   bench/run-transport-bench.sh -prof gc        # extra JMH options are passed through
#
# Results: bench/target/transport-bench.json (JMH JSON), transport-bench.txt (JMH's console
# output), transport-bench-table.txt (the table printed at the end). The transports' files (the
# shm region, the netlink socket) and every JVM's temporary files stay under bench/target.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
JAR=$BENCH_DIR/target/benchmarks.jar

needs_build() {
    [[ ! -f $JAR ]] && return 0
    [[ -n $(find "$BENCH_DIR/src" "$BENCH_DIR/pom.xml" \
        "$ROOT/bundles/api/src/main" "$ROOT/bundles/ring/src/main" \
        "$ROOT/bundles/transport-shm/src/main" "$ROOT/bundles/transport-netlink/src/main" \
        -newer "$JAR" -print -quit) ]]
}

if needs_build; then
    echo "building $JAR ..."
    mkdir -p "$BENCH_DIR/target/jmh"
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:-} -XX:-UsePerfData -Djava.io.tmpdir=$BENCH_DIR/target/jmh" \
        mvn -B -q -o -pl bench -am -DskipTests package)
fi

# JMH settings: 2 forks x (3 x 1 s warm-up + 4 x 1 s measurement) per benchmark and transport.
# The forked JVMs inherit these options: their temporary files (and no hsperfdata in /tmp) and
# the transports' files stay in target/.
mkdir -p "$BENCH_DIR/target/jmh" "$BENCH_DIR/target/transport-bench"
java -XX:-UsePerfData -Djava.io.tmpdir="$BENCH_DIR/target/jmh" -Djtgt.bench.dir="$BENCH_DIR/target/transport-bench" \
    -Dtable="$BENCH_DIR/target/transport-bench-table.txt" \
    -cp "$JAR" org.jtgt.bench.TransportBenchReport \
    -f 2 -wi 3 -w 1s -i 4 -r 1s \
    -rf json -rff "$BENCH_DIR/target/transport-bench.json" \
    "$@" 'org\.jtgt\.bench\.TransportBench\.' \
    | tee "$BENCH_DIR/target/transport-bench.txt"
