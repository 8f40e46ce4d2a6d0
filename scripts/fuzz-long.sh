#!/usr/bin/env bash
# Fuzzes every Jazzer target (the @FuzzTest methods of the *FuzzTargetsTest classes) one after
# the other, each in its own JVM, and prints a table of executions, speed, coverage and crashes.
#
#   scripts/fuzz-long.sh [SECONDS_PER_TARGET | --executions N] [FILTER...]
#
# Default: 1,000,000 executions per target. SECONDS_PER_TARGET bounds each target by time
# instead. FILTERs (substrings of "Class#method") pick targets, e.g. `pduFraming` or `Ring`.
#
# Everything a run writes stays under the module's target/fuzz/<Class>/<method>/: the generated
# corpus (corpus/), crashing inputs (crashes/), Jazzer's temporary files (tmp/, java.io.tmpdir)
# and the log (fuzz.log). A crash is a bug: fix it, copy the crash file into
# src/test/resources/<package>/<Class>Inputs/<method>/ so that `mvn verify` keeps running it.
# Nothing is written to /tmp or the home directory (beyond Maven's local repository).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

LIMIT=(-runs=1000000)
LIMIT_TEXT="1000000 executions"
if [[ $# -gt 0 && $1 == --executions ]]; then
    LIMIT=(-runs="$2"); LIMIT_TEXT="$2 executions"; shift 2
elif [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    LIMIT=(-max_total_time="$1"); LIMIT_TEXT="$1 s"; shift
fi
FILTERS=("$@")

# module  class  method
TARGETS=(
    "bundles/api org.jtgt.api.event.EventFuzzTargetsTest eventRecord"
    "bundles/ring org.jtgt.ring.RingFuzzTargetsTest hostileRegion"
    "bundles/transport-shm org.jtgt.transport.shm.ShmFuzzTargetsTest hostileSlots"
    "bundles/transport-netlink org.jtgt.transport.netlink.NetlinkFuzzTargetsTest hostileFrames"
    "bundles/daemon org.jtgt.daemon.DaemonFuzzTargetsTest cdbSequence"
    "bundles/daemon org.jtgt.daemon.DaemonFuzzTargetsTest eventRecord"
    "bundles/lld-iscsi org.jtgt.iscsi.IscsiFuzzTargetsTest pduFraming"
    "bundles/lld-iscsi org.jtgt.iscsi.IscsiFuzzTargetsTest textNegotiation"
    "bundles/lld-iscsi org.jtgt.iscsi.IscsiFuzzTargetsTest loginNegotiation"
    "bundles/lld-fc org.jtgt.fc.FcFuzzTargetsTest fcipStream"
    "bundles/lld-fc org.jtgt.fc.FcFuzzTargetsTest elsAndFcp"
    "bundles/lld-fc org.jtgt.fc.FcFuzzTargetsTest nameServer"
    "bundles/config org.jtgt.config.ConfigFuzzTargetsTest targetsFileLines"
    "bundles/admin org.jtgt.admin.AdminFuzzTargetsTest controlRequest"
)

selected=()
for t in "${TARGETS[@]}"; do
    read -r module class method <<<"$t"
    if [[ ${#FILTERS[@]} -eq 0 ]]; then
        selected+=("$t"); continue
    fi
    for f in "${FILTERS[@]}"; do
        if [[ "${class##*.}#$method" == *"$f"* ]]; then
            selected+=("$t"); break
        fi
    done
done
if [[ ${#selected[@]} -eq 0 ]]; then
    echo "no target matches ${FILTERS[*]}" >&2
    exit 2
fi

modules=$(for t in "${selected[@]}"; do echo "${t%% *}"; done | sort -u | paste -sd, -)
echo "Compiling $modules and resolving test class paths ..." >&2
mvn -B -o -q test-compile dependency:build-classpath -pl "$modules" -am \
    -Dmdep.outputFile=target/fuzz/classpath.txt -Dmdep.includeScope=test >&2

results=()
for t in "${selected[@]}"; do
    read -r module class method <<<"$t"
    simple=${class##*.}
    dir="$ROOT/$module/target/fuzz/$simple/$method"
    mkdir -p "$dir/corpus" "$dir/crashes" "$dir/tmp"
    cp="$ROOT/$module/target/test-classes:$ROOT/$module/target/classes:$(cat "$ROOT/$module/target/fuzz/classpath.txt")"
    echo "Fuzzing $simple#$method ($LIMIT_TEXT) ..." >&2
    start=$(date +%s)
    touch "$dir/started"
    set +e
    (cd "$ROOT/$module" && java -Xmx1g -Djava.io.tmpdir="$dir/tmp" -Djazzer.internal.basedir="$dir" \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
        -cp "$cp" com.code_intelligence.jazzer.Jazzer \
        --target_class="$class" --target_method="$method" \
        "$dir/corpus" -artifact_prefix="$dir/crashes/" -timeout=60 "${LIMIT[@]}" \
        >"$dir/fuzz.log" 2>&1)
    rc=$?
    set -e
    seconds=$(( $(date +%s) - start ))
    # libFuzzer's status lines: "#123456 DONE cov: 210 ft: 640 corp: 150/6000b ... exec/s: 6666 ..."
    last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1 || true)
    execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    done_runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' "$dir/fuzz.log" | tail -1)
    [[ -n $done_runs ]] && execs=$done_runs
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")
    crashes=$(find "$dir/crashes" -type f -newer "$dir/started" | wc -l)
    results+=("$(printf '%-44s %11s %8s %6s %6s %6s %8s' "$simple#$method" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$crashes" "${seconds}s")")
    if [[ $rc -ne 0 || $crashes -gt 0 ]]; then
        echo "  exit $rc, $crashes crash file(s) in $dir/crashes; see $dir/fuzz.log" >&2
    fi
done

printf '%-44s %11s %8s %6s %6s %6s %8s\n' target executions exec/s cov ft crashes time
for r in "${results[@]}"; do
    echo "$r"
done
