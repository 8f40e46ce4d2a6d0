#!/usr/bin/env bash
# Ceph RBD benchmark: jtgt's rbd LUN against Linux tgt's bs_rbd (Debian's tgt-rbd) on the same
# image of the same one-node cluster, with librbd itself (fio's rbd engine, no iSCSI) as the
# ceiling; then the takeover time of a two-gateway jtgt cluster over KILLS kill -9s of the owner.
#
#   bench/run-rbd-bench.sh            # about 8 minutes with the defaults; must run as root
#
# Needs: launcher/target/jtgt.jar and testkit's classes (mvn -B -q -DskipTests package -pl
# launcher -am), java, the Ceph packages (ceph-mon ceph-osd ceph-common librbd-dev, as for the
# tests), Debian's tgt and tgt-rbd (tgt-rbd is installed with apt-get if missing), jq, and fio with
# the libiscsi and rbd engines: bench/target/fio-build/fio, built by scripts/build-fio-libiscsi.sh
# from Debian's fio source (its configure adds the rbd engine when librbd-dev is installed), or
# JTGT_FIO_BIN.
#
# Cluster: testkit's CephCluster (one monitor, one BlueStore OSD on a sparse file, 127.0.0.1, a
# free port), run through its main under bench/target/rbd-bench/ceph, pool `bench`, image `disk`
# (JTGT_RBD_SIZE bytes, default 1 GiB, written in full with 1 MiB writes before the targets start)
# and image `gw` (64 MiB, for the gateways). Every client reads bench/target/rbd-bench/ceph.conf:
# the cluster's conf plus `rbd cache = false` for clients, as jtgt sets for itself, so the three
# paths do the same work (tgt's bs_rbd would otherwise run with librbd's cache on).
#
# Paths to the image (each on loopback, all running for the whole measurement):
#   jtgt    127.0.0.1:3274, launcher jar, `lun 1 0 rbd bench/disk ... conf=... id=admin` in its
#           targets.conf (no default target)
#   tgt     127.0.0.1:3275, `tgtd -f -C 3275`, LUN 1 `--bstype rbd --backing-store bench/disk
#           --bsopts "conf=...;id=admin"` (tgt 1.0.85's bs_rbd: bsopts conf=, id=, cluster=;
#           without conf= librados' default search, $CEPH_CONF first)
#   librbd  fio --ioengine=rbd --pool=bench --rbdname=disk --clientname=admin, CEPH_CONF set
# The image's exclusive lock follows the writer (librbd hands it over on request), so every job
# has 2 s of ramp time (fio's ramp_time, not counted) in which it settles.
#
# Workloads (fio --time_based --runtime=JTGT_RBD_SECONDS --ramp_time=2 --norandommap
# --randrepeat=0 --unified_rw_reporting=mixed, a fresh login or image open per job):
#   randread4k-qd1     4 KiB random read, QD1     randwrite4k-qd1    4 KiB random write, QD1
#   randread4k-qd16    4 KiB random read, QD16    randwrite4k-qd16   4 KiB random write, QD16
#   seqread128k-qd16   128 KiB sequential read, QD16
# Order: for each workload, for each repetition: jtgt, tgt, librbd (so drift in the machine's load
# hits all alike). Per job: IOPS, MB/s (10^6 bytes), p50 and p99 completion latency from fio's json.
# Every fio runs its job as a thread (--thread), so a timeout that ends fio ends its I/O too.
#
# Takeover: two jtgt gateways (gateway=1 on 127.0.0.2, gateway=2 on 127.0.0.3, port 3276, one
# config dir each, follower=active/non-optimized, heartbeat JTGT_RBD_HEARTBEAT ms, takeover
# JTGT_RBD_TAKEOVER ms) on image `gw`; KILLS times: kill -9 of the owner, then (a) the time until
# the other gateway logs that it owns the image (its log's time stamp; the clock is the same) and
# (b) the time until a 4 KiB WRITE through the other gateway succeeds (fio, libiscsi engine, one
# write per try, tried again at once: resolution about a fio start and login, 0.1-0.3 s); then
# the killed gateway is started again (it follows) and the next kill goes to the new owner.
#
# Results under bench/target/rbd-bench/: results.txt (also printed: the header with the load
# average before and after, means per path, ratios jtgt/tgt and jtgt/librbd as the mean of the
# per-repetition ratios with their range, the takeover table with p50 and max), runs.tsv (one line
# a job), takeover.tsv, raw/ (fio's json), logs of jtgt, tgtd, the gateways and the cluster.
# Everything is stopped on exit, also on error or Ctrl-C: gateways, jtgt, tgtd, then the cluster;
# the OSD's block file and the monitor's store are deleted (the cluster's logs stay); nothing is
# written to /tmp or $HOME (TMPDIR and java.io.tmpdir point into bench/target/rbd-bench/tmp).
#
# Environment: JTGT_RBD_SECONDS (10), JTGT_RBD_REPS (2), JTGT_RBD_SIZE (1073741824),
# JTGT_RBD_KILLS (5), JTGT_RBD_HEARTBEAT (500), JTGT_RBD_TAKEOVER (3000), JTGT_RBD_WORKLOADS
# (all of the above), JTGT_RBD_JTGT_PORT (3274), JTGT_RBD_TGT_PORT (3275), JTGT_RBD_GATEWAY_PORT
# (3276), JTGT_FIO_BIN. Run time: workloads x repetitions x 3 x (JTGT_RBD_SECONDS + 3 s), plus
# about a minute for the cluster and the fill, plus about 20 s a kill.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/target/rbd-bench
RAW=$OUT/raw
RUNS=$OUT/runs.tsv
TAKEOVERS=$OUT/takeover.tsv
RESULTS=$OUT/results.txt

SECS=${JTGT_RBD_SECONDS:-10}
REPS=${JTGT_RBD_REPS:-2}
SIZE=${JTGT_RBD_SIZE:-1073741824}
KILLS=${JTGT_RBD_KILLS:-5}
HEARTBEAT=${JTGT_RBD_HEARTBEAT:-500}
TAKEOVER=${JTGT_RBD_TAKEOVER:-3000}
ALL_WORKLOADS=(randread4k-qd1 randwrite4k-qd1 randread4k-qd16 randwrite4k-qd16 seqread128k-qd16)
read -r -a WORKLOADS <<<"${JTGT_RBD_WORKLOADS:-${ALL_WORKLOADS[*]}}"
JTGT_PORT=${JTGT_RBD_JTGT_PORT:-3274}
TGT_PORT=${JTGT_RBD_TGT_PORT:-3275}
GW_PORT=${JTGT_RBD_GATEWAY_PORT:-3276}
GW_SIZE=67108864
POOL=bench
IMAGE=disk
GW_IMAGE=gw
RAMP=2

JTGT_IQN=iqn.2026-12.org.jtgt:rbd-bench
TGT_IQN=iqn.2026-12.org.jtgt:rbd-bench-tgt
GW_IQN=iqn.2026-12.org.jtgt:rbd-gateways
INITIATOR=iqn.2026-12.org.jtgt:rbd-bench-fio

declare -A LABEL=(
    [randread4k-qd1]="4 KiB random read, QD1"
    [randwrite4k-qd1]="4 KiB random write, QD1"
    [randread4k-qd16]="4 KiB random read, QD16"
    [randwrite4k-qd16]="4 KiB random write, QD16"
    [seqread128k-qd16]="128 KiB seq read, QD16"
)
declare -A FIO_ARGS=(
    [randread4k-qd1]="--rw=randread --bs=4k --iodepth=1"
    [randwrite4k-qd1]="--rw=randwrite --bs=4k --iodepth=1"
    [randread4k-qd16]="--rw=randread --bs=4k --iodepth=16"
    [randwrite4k-qd16]="--rw=randwrite --bs=4k --iodepth=16"
    [seqread128k-qd16]="--rw=read --bs=128k --iodepth=16"
)

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"

# ---------------------------------------------------------------------------------------------------
# checks
[[ $(id -u) -eq 0 ]] || die "run as root: tgtd needs $SBS_TGT_SOCK_DIR"
for tool in java tgtd tgtadm jq timeout awk ceph-mon ceph-osd ceph rbd; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: tgt, jq, ceph-mon ceph-osd ceph-common librbd-dev, a JDK)"
done
for v in SECS REPS SIZE KILLS HEARTBEAT TAKEOVER; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"
done
(( SIZE % 1048576 == 0 && SIZE > 0 )) || die "JTGT_RBD_SIZE must be a positive multiple of 1 MiB"
for w in "${WORKLOADS[@]}"; do
    [[ -n ${FIO_ARGS[$w]:-} ]] || die "JTGT_RBD_WORKLOADS: unknown workload '$w' (${ALL_WORKLOADS[*]})"
done
[[ -f $SBS_JAR ]] || die "$SBS_JAR missing: mvn -B -q -DskipTests package -pl launcher -am"
TESTKIT=$ROOT/testkit/target/classes
[[ -f $TESTKIT/org/jtgt/testkit/CephCluster.class ]] || die "testkit not built: mvn -B -q -DskipTests package -pl launcher -am"
SLF4J_VERSION=$(sed -n 's:.*<slf4j.version>\(.*\)</slf4j.version>.*:\1:p' "$ROOT/pom.xml")
M2=${MAVEN_REPOSITORY:-$HOME/.m2/repository}
CEPH_CP=$TESTKIT
for a in slf4j-api slf4j-simple; do
    jar=$M2/org/slf4j/$a/$SLF4J_VERSION/$a-$SLF4J_VERSION.jar
    [[ -f $jar ]] || die "$jar missing (the build downloads it)"
    CEPH_CP=$CEPH_CP:$jar
done

if ! [[ -f /usr/lib/tgt/backing-store/bs_rbd.so ]]; then
    log "tgt's bs_rbd missing: apt-get install -y --no-install-recommends tgt-rbd"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tgt-rbd >/dev/null 2>&1 \
        || die "could not install tgt-rbd"
fi

if [[ -n ${JTGT_FIO_BIN:-} ]]; then
    FIO=$JTGT_FIO_BIN
else
    FIO=$("$ROOT/scripts/build-fio-libiscsi.sh" "$BENCH_DIR/target/fio-build") || die "cannot build fio (see $BENCH_DIR/target/fio-build/build.log)"
fi
for e in libiscsi rbd; do
    "$FIO" --enghelp 2>/dev/null | grep -qx "[[:space:]]*$e" || die "$FIO has no $e engine (fio --enghelp)"
done

# ---------------------------------------------------------------------------------------------------
# plan, deadline, cleanup
NJOBS=$(( ${#WORKLOADS[@]} * REPS * 3 ))
ESTIMATE=$(( NJOBS * (SECS + RAMP + 2) + SIZE / 1048576 / 20 + 90 + KILLS * 25 ))
sbs_init "$OUT" $(( ESTIMATE * 2 + 300 ))
mkdir -p "$RAW"
CEPH_PID=
declare -A GW_PID=()

sbs_after_targets() { # the gateways, then the cluster, after jtgt and tgtd (side-by-side.sh's cleanup)
    local p
    for p in "${GW_PID[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${GW_PID[@]}"; do sbs_wait_gone "$p" 30 || kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    if [[ -n $CEPH_PID ]]; then
        kill -TERM "$CEPH_PID" 2>/dev/null   # its shutdown hook stops the daemons
        sbs_wait_gone "$CEPH_PID" 40 || kill -KILL "$CEPH_PID" 2>/dev/null
        wait "$CEPH_PID" 2>/dev/null
    fi
    rm -rf "$OUT/ceph/osd" "$OUT/ceph/mon"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_SECONDS=$SECONDS
log "$NJOBS fio jobs of ${SECS}s (${#WORKLOADS[@]} workloads x $REPS repetitions x jtgt, tgt, librbd), $KILLS takeovers; estimate $((ESTIMATE / 60)) min; load $LOAD_BEFORE"

# ---------------------------------------------------------------------------------------------------
# the cluster and its images
log "starting the Ceph cluster in $OUT/ceph"
java -XX:-UsePerfData -Djava.io.tmpdir="$OUT/tmp" -cp "$CEPH_CP" org.jtgt.testkit.CephCluster "$OUT/ceph" "$POOL" \
    "$IMAGE" "$SIZE" "$GW_IMAGE" "$GW_SIZE" >"$OUT/ceph.log" 2>&1 &
CEPH_PID=$!
for ((i = 0; ; i++)); do
    grep -q '^ready ' "$OUT/ceph.log" && break
    kill -0 "$CEPH_PID" 2>/dev/null || { tail -20 "$OUT/ceph.log" >&2; CEPH_PID=; die "the cluster did not start"; }
    (( i < 1800 )) || { tail -20 "$OUT/ceph.log" >&2; die "the cluster not ready after 180 s"; }
    sleep 0.1
done
CONF=$OUT/ceph.conf
{ cat "$OUT/ceph/ceph.conf"; printf '[client]\nrbd cache = false\n'; } >"$CONF"
KEYRING=$OUT/ceph/ceph.client.admin.keyring
export CEPH_CONF=$CONF
log "cluster up ($(sed -n 's/^mon host = //p' "$CONF")); writing $SIZE bytes to $POOL/$IMAGE"
timeout -k 5 600 "$FIO" --name=fill --thread --ioengine=rbd --clientname=admin --pool="$POOL" --rbdname="$IMAGE" --rw=write \
    --bs=1M --iodepth=8 --output-format=terse >"$OUT/fill.log" 2>&1 || die "filling $POOL/$IMAGE failed (see $OUT/fill.log)"

# ---------------------------------------------------------------------------------------------------
# jtgt and tgt on the image
mkdir -m 0700 -p "$OUT/jtgt"
cat >"$OUT/jtgt/targets.conf" <<EOF
# written by bench/run-rbd-bench.sh
target 1 $JTGT_IQN
lun 1 0 rbd $POOL/$IMAGE size=$SIZE blocksize=512 conf=$CONF keyring=$KEYRING id=admin
acl 1 ALL
EOF
log "starting jtgt on 127.0.0.1:$JTGT_PORT"
sbs_start_jtgt "$OUT/jtgt.log" "127.0.0.1:$JTGT_PORT" -Djtgt.default.target.enabled=false
if grep -q 'targets.conf:[0-9]' "$OUT/jtgt.log"; then
    grep 'targets.conf:[0-9]' "$OUT/jtgt.log" >&2
    die "jtgt refused a line of its targets.conf"
fi
log "starting tgtd on 127.0.0.1:$TGT_PORT"
sbs_start_tgtd "$OUT/tgtd.log" "$TGT_PORT" "127.0.0.1:$TGT_PORT"
SBS_TGT_TIDS+=(1)
sbs_tgtadm --mode target --op new --tid 1 --targetname "$TGT_IQN"
sbs_tgtadm --mode logicalunit --op new --tid 1 --lun 1 --bstype rbd --backing-store "$POOL/$IMAGE" \
    --bsopts "conf=$CONF;id=admin" || die "tgt refused the rbd LUN (see $OUT/tgtd.log)"
sbs_tgtadm --mode target --op bind --tid 1 --initiator-address ALL
sbs_tgtadm --mode target --op show >"$OUT/tgt-target.txt"
grep -q "Backing store type: rbd" "$OUT/tgt-target.txt" || die "tgt shows no rbd LUN (see $OUT/tgt-target.txt)"

# ---------------------------------------------------------------------------------------------------
# measurement
run_fio() { # JSON PATH [fio options...]
    local json=$1 path=$2 u
    shift 2
    local engine=()
    case $path in
        jtgt)   u="iscsi://127.0.0.1:$JTGT_PORT/$JTGT_IQN/0"; engine=(--ioengine=libiscsi --initiator="$INITIATOR" --filename="${u//:/\\:}") ;;
        tgt)    u="iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1"; engine=(--ioengine=libiscsi --initiator="$INITIATOR" --filename="${u//:/\\:}") ;;
        librbd) engine=(--ioengine=rbd --clientname=admin --pool="$POOL" --rbdname="$IMAGE") ;;
    esac
    timeout -k 5 $((SECS + RAMP + 60)) "$FIO" --name=bench "${engine[@]}" --thread --time_based=1 --runtime="$SECS" \
        --ramp_time="$RAMP" --norandommap=1 --randrepeat=0 --unified_rw_reporting=mixed --output-format=json \
        --output="$json" "$@" >"${json%.json}.err" 2>&1
}

printf 'workload\trep\tpath\tiops\tMBps\tp50_us\tp99_us\tload1\n' >"$RUNS"
measure() { # WORKLOAD REP PATH
    local w=$1 rep=$2 p=$3 json rc=0 fields
    json=$RAW/$w-$p-$rep.json
    # shellcheck disable=SC2086 # FIO_ARGS are word lists
    run_fio "$json" "$p" ${FIO_ARGS[$w]} || rc=$?
    # (with --thread fio writes its notes, such as the libiscsi engine's "queue depth will be capped
    # at 1", which it then does not do, into the output file before the json)
    fields=$(sed -n '/^{/,$p' "$json" | jq -r '.jobs[0] | select(.error == 0) | .mixed as $m
        | [ ($m.iops | floor), ($m.bw_bytes / 1e6 * 10 | round / 10),
            ($m.clat_ns.percentile["50.000000"] / 1000 | round),
            ($m.clat_ns.percentile["99.000000"] / 1000 | round) ] | @tsv' 2>/dev/null || true)
    if (( rc != 0 )) || [[ -z $fields ]]; then
        log "fio $w through $p failed (rc $rc), see ${json%.json}.err"
        fields=$'n/a\tn/a\tn/a\tn/a'
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$rep" "$p" "$fields" "$(cut -d' ' -f1 /proc/loadavg)" >>"$RUNS"
    log "$p ${LABEL[$w]} #$rep: $(tail -1 "$RUNS" | cut -f4- | awk -F'\t' '{ printf "%s IOPS, %s MB/s, p50 %s us, p99 %s us (load %s)", $1, $2, $3, $4, $5 }')"
}

for w in "${WORKLOADS[@]}"; do
    for ((rep = 1; rep <= REPS; rep++)); do
        for p in jtgt tgt librbd; do
            measure "$w" "$rep" "$p"
        done
    done
done
BENCH_SECONDS=$((SECONDS - START_SECONDS))

# ---------------------------------------------------------------------------------------------------
# takeover: two gateways on image gw, KILLS kill -9s of the owner
gw_start() { # N RUN
    local n=$1 dir=$OUT/gateway$1 host=127.0.0.$(($1 + 1)) logfile=$OUT/gateway$1-$2.log i
    mkdir -m 0700 -p "$dir/etc"
    echo "portalGroupTag = $n" >"$dir/etc/org.jtgt.iscsi.cfg"
    echo "relativePortId = $((256 + n))" >"$dir/etc/org.jtgt.fc.cfg"
    cat >"$dir/targets.conf" <<EOF
target 1 $GW_IQN
lun 1 0 rbd $POOL/$GW_IMAGE size=$GW_SIZE blocksize=512 conf=$CONF keyring=$KEYRING id=admin gateway=$n follower=active/non-optimized heartbeat=$HEARTBEAT takeover=$TAKEOVER
portgroup 1 1 ports=1,257 state=active/optimized
portgroup 1 2 ports=2,258 state=active/non-optimized
acl 1 ALL
EOF
    java -XX:-UsePerfData -Djava.io.tmpdir="$OUT/tmp" -Djtgt.default.target.enabled=false -jar "$SBS_JAR" \
        --config "$dir" --portal "$host:$GW_PORT" >"$logfile" 2>&1 &
    GW_PID[$n]=$!
    for ((i = 0; ; i++)); do
        grep -q "iSCSI portal listening on $host:$GW_PORT" "$logfile" && break
        kill -0 "${GW_PID[$n]}" 2>/dev/null || { tail -20 "$logfile" >&2; die "gateway $n exited during start-up"; }
        (( i < 1200 )) || { tail -20 "$logfile" >&2; die "gateway $n not listening after 120 s"; }
        sleep 0.1
    done
}

gw_write() { # N: one 4 KiB write at the image's last block through gateway N; exit status of fio
    local u="iscsi://127.0.0.$(($1 + 1)):$GW_PORT/$GW_IQN/0"
    timeout -k 2 10 "$FIO" --name=probe --thread --ioengine=libiscsi --initiator="$INITIATOR" --filename="${u//:/\\:}" \
        --rw=write --bs=4k --size=4k --offset=$((GW_SIZE - 4096)) --output-format=terse >/dev/null 2>&1
}

now_ms() { date +%s%3N; }

await_owner() { # N LOG SINCE-LINE SECONDS -> prints the epoch ms of the "gateway N owns the image" line
    local i line
    for ((i = 0; i < $4 * 10; i++)); do
        line=$(tail -n +"$(($3 + 1))" "$2" | grep -m1 "gateway $1 owns the image" || true)
        if [[ -n $line ]]; then date -d "${line%% *}" +%s%3N; return 0; fi
        sleep 0.1
    done
    return 1
}

printf 'kill\tkilled\towner_after_ms\tfirst_write_ms\twrite_tries\tload1\n' >"$TAKEOVERS"
if (( KILLS > 0 )); then
    log "takeover: gateways 1 and 2 on $POOL/$GW_IMAGE (heartbeat $HEARTBEAT ms, takeover $TAKEOVER ms), $KILLS kill -9s"
    gw_start 1 0
    await_owner 1 "$OUT/gateway1-0.log" 0 60 >/dev/null || die "gateway 1 does not own $GW_IMAGE"
    gw_start 2 0
    owner=1
    for ((k = 1; k <= KILLS; k++)); do
        other=$((3 - owner))
        sleep $(( (HEARTBEAT * 4 + 999) / 1000 ))   # the follower has seen a few heartbeats
        gw_write "$owner" || die "the owner (gateway $owner) refused a write before kill $k"
        otherlog=$(ls -t "$OUT"/gateway"$other"-*.log | head -1)
        mark=$(wc -l <"$otherlog")
        t0=$(now_ms)
        kill -KILL "${GW_PID[$owner]}"
        wait "${GW_PID[$owner]}" 2>/dev/null || true
        tries=0
        until gw_write "$other"; do
            tries=$((tries + 1))
            (( $(now_ms) - t0 < TAKEOVER * 2 + 30000 )) || die "gateway $other accepted no write within $((TAKEOVER * 2 + 30000)) ms of kill $k"
        done
        t1=$(now_ms)
        owned=$(await_owner "$other" "$otherlog" "$mark" 10) || die "gateway $other never logged that it owns the image"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$owner" $((owned - t0)) $((t1 - t0)) "$((tries + 1))" \
            "$(cut -d' ' -f1 /proc/loadavg)" >>"$TAKEOVERS"
        log "kill $k of gateway $owner: gateway $other owns the image $((owned - t0)) ms after, first write accepted after $((t1 - t0)) ms ($((tries + 1)) tries)"
        gw_start "$owner" "$k"   # back as a follower (a new client: the old one is blocklisted)
        owner=$other
    done
fi

# ---------------------------------------------------------------------------------------------------
# report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - START_SECONDS))
labels=$(for w in "${ALL_WORKLOADS[@]}"; do printf '%s=%s;' "$w" "${LABEL[$w]}"; done)
{
    echo "# jtgt vs Linux tgt vs librbd on one Ceph RBD image, fio $("$FIO" --version | sed 's/^fio-//'), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
    echo "# cluster: testkit CephCluster, 1 mon + 1 BlueStore OSD on a sparse file, $(ceph --version | awk '{ print $3 }'); image $POOL/$IMAGE $SIZE bytes, pre-written; rbd cache off for every client"
    echo "# jtgt: rbd LUN, $(java -version 2>&1 | head -1); tgt: $(tgtd -V 2>&1 | head -1) bs_rbd; librbd: fio's rbd engine"
    echo "# $SECS s a job after ${RAMP} s of ramp, $REPS repetitions, jtgt, tgt and librbd interleaved"
    echo "# load before: $LOAD_BEFORE; load after: $LOAD_AFTER"
    echo "# command: ${JTGT_RBD_SECONDS:+JTGT_RBD_SECONDS=$SECS }${JTGT_RBD_REPS:+JTGT_RBD_REPS=$REPS }${JTGT_RBD_KILLS:+JTGT_RBD_KILLS=$KILLS }bench/run-rbd-bench.sh (${ELAPSED} s; ${BENCH_SECONDS} s before the takeovers)"
    echo
    awk -F'\t' -v labels="$labels" -v order="${WORKLOADS[*]}" '
        function num(x) { return x ~ /^[0-9.]+$/ }
        function mean(k) { return n[k] ? s[k] / n[k] : "" }
        function fmt(x, d) { return x == "" ? "n/a" : sprintf("%." d "f", x) }
        function ratio(w, a, b, f,   r, i, c, lo, hi, t) {   # mean and range of the per-repetition ratios
            c = 0; t = 0
            for (i = 1; i <= maxrep; i++) if (num(v[w, i, a, f]) && num(v[w, i, b, f]) && v[w, i, b, f] > 0) {
                r = v[w, i, a, f] / v[w, i, b, f]; t += r; c++
                if (c == 1 || r < lo) lo = r; if (c == 1 || r > hi) hi = r }
            return c ? sprintf("%.2f [%.2f-%.2f]", t / c, lo, hi) : "n/a"
        }
        BEGIN { split(labels, a, ";"); for (i in a) { split(a[i], b, "="); label[b[1]] = b[2] }
                nw = split(order, W, " "); np = split("jtgt tgt librbd", P, " ") }
        NR > 1 { if ($2 > maxrep) maxrep = $2
                 for (f = 4; f <= 7; f++) { v[$1, $2, $3, f] = $f; if (num($f)) { s[$1, $3, f] += $f; n[$1, $3, f]++ } } }
        END {
            printf "%-27s %-7s %9s %9s %8s %8s\n", "workload", "path", "IOPS", "MB/s", "p50 us", "p99 us"
            for (i = 1; i <= nw; i++) for (j = 1; j <= np; j++) {
                w = W[i]; p = P[j]
                printf "%-27s %-7s %9s %9s %8s %8s\n", label[w], p, fmt(mean(w SUBSEP p SUBSEP 4), 0),
                    fmt(mean(w SUBSEP p SUBSEP 5), 1), fmt(mean(w SUBSEP p SUBSEP 6), 0), fmt(mean(w SUBSEP p SUBSEP 7), 0)
            }
            printf "\n%-27s %-20s %-20s %-20s %-20s\n", "workload", "IOPS jtgt/tgt", "IOPS jtgt/librbd", "p50 jtgt/tgt", "p50 jtgt/librbd"
            for (i = 1; i <= nw; i++) { w = W[i]
                printf "%-27s %-20s %-20s %-20s %-20s\n", label[w], ratio(w, "jtgt", "tgt", 4), ratio(w, "jtgt", "librbd", 4),
                    ratio(w, "jtgt", "tgt", 6), ratio(w, "jtgt", "librbd", 6) }
        }' "$RUNS"
    if (( KILLS > 0 )); then
        echo
        echo "takeover, kill -9 of the owner (heartbeat $HEARTBEAT ms, takeover $TAKEOVER ms), ms:"
        awk -F'\t' 'NR > 1 { printf "  kill %s (gateway %s): other gateway owns the image %s, first write accepted %s\n", $1, $2, $3, $4 }' "$TAKEOVERS"
        for c in 3 4; do
            name=$([[ $c == 3 ]] && echo "owns the image" || echo "first write accepted")
            tail -n +2 "$TAKEOVERS" | cut -f"$c" | sort -n | awk -v name="$name" '{ x[NR] = $1 }
                END { if (NR) printf "  %-21s p50 %d ms, max %d ms (n = %d)\n", name, x[int((NR + 1) / 2)], x[NR], NR }'
        done
    fi
} | tee "$RESULTS"
