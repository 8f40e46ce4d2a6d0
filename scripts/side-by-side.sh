# Shared by the scripts that run jtgt and Linux tgt side by side on this machine
# (bench/run-iscsi-bench.sh, conformance/run-test-cu-both.sh); source it, do not run it.
#
#   sbs_init OUT DEADLINE_SECONDS       output directory (recreated), TMPDIR inside it, cleanup on
#                                       exit/Ctrl-C/TERM, the whole script killed after the deadline
#   sbs_start_jtgt LOG PORTALS [JVM options...]
#                                       launcher/target/jtgt.jar with --portal PORTALS (comma-separated
#                                       HOST:PORT list), config dir OUT/jtgt; waits until every portal
#                                       listens. Sets SBS_JTGT_PID.
#   sbs_start_tgtd LOG CONTROL_PORT PORTAL...
#                                       `tgtd -f -C CONTROL_PORT` with the first portal, further portals
#                                       added with tgtadm; needs root (/var/run/tgtd). Sets SBS_TGTD_PID.
#   sbs_tgtadm ARGS...                  tgtadm --lld iscsi -C CONTROL_PORT ARGS, bounded in time
#   sbs_tgt_target TID IQN BACKING      target TID with LUN 1 on BACKING (bstype rdwr) bound to ALL
#   sbs_delete_on_exit FILE...          removed by the cleanup
#   sbs_port_in_use PORT, log, die
#   sbs_after_targets                   define it to have the cleanup run it once both targets are
#                                       stopped (a store they used, such as a Ceph cluster)
#
# The cleanup stops both targets (jtgt: SIGTERM then wait; tgtd: force-delete its targets, delete
# the system, wait, SIGKILL as a last resort), removes tgtd's socket files, the registered files and
# OUT/tmp. Nothing is written to /tmp or $HOME.

SBS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SBS_JAR=$SBS_ROOT/launcher/target/jtgt.jar
SBS_TGT_SOCK_DIR=/var/run/tgtd
SBS_OUT=
SBS_JTGT_PID=
SBS_TGTD_PID=
SBS_TGT_CONTROL=
SBS_TGT_TIDS=()
SBS_WATCHDOG_PID=
SBS_CREATED_SOCK_DIR=0
SBS_FILES=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

sbs_port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

sbs_wait_gone() { # PID SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

sbs_delete_on_exit() { SBS_FILES+=("$@"); }

sbs_cleanup() {
    local rc=$? tid
    set +e
    trap - EXIT INT TERM
    if [[ -n $SBS_TGTD_PID ]]; then
        for tid in "${SBS_TGT_TIDS[@]}"; do
            timeout 10 tgtadm -C "$SBS_TGT_CONTROL" --lld iscsi --mode target --op delete --force --tid "$tid" >/dev/null 2>&1
        done
        timeout 10 tgtadm -C "$SBS_TGT_CONTROL" --mode system --op delete >/dev/null 2>&1
        if ! sbs_wait_gone "$SBS_TGTD_PID" 10; then
            log "tgtd did not exit; SIGKILL"
            kill -KILL "$SBS_TGTD_PID" 2>/dev/null
        fi
        wait "$SBS_TGTD_PID" 2>/dev/null
        rm -f "$SBS_TGT_SOCK_DIR/socket.$SBS_TGT_CONTROL" "$SBS_TGT_SOCK_DIR/socket.$SBS_TGT_CONTROL.lock"
        (( SBS_CREATED_SOCK_DIR )) && rmdir "$SBS_TGT_SOCK_DIR" 2>/dev/null
    fi
    (( ${#SBS_FILES[@]} )) && rm -f "${SBS_FILES[@]}"
    if [[ -n $SBS_JTGT_PID ]]; then
        kill -TERM "$SBS_JTGT_PID" 2>/dev/null
        if ! sbs_wait_gone "$SBS_JTGT_PID" 30; then
            log "jtgt did not stop within 30 s of SIGTERM; SIGKILL"
            kill -KILL "$SBS_JTGT_PID" 2>/dev/null
        fi
        wait "$SBS_JTGT_PID" 2>/dev/null
    fi
    declare -F sbs_after_targets >/dev/null && sbs_after_targets
    if [[ -n $SBS_WATCHDOG_PID ]]; then
        pkill -P "$SBS_WATCHDOG_PID" 2>/dev/null # its sleep
        kill "$SBS_WATCHDOG_PID" 2>/dev/null
        wait "$SBS_WATCHDOG_PID" 2>/dev/null
    fi
    [[ -n $SBS_OUT ]] && rm -rf "$SBS_OUT/tmp"
    exit "$rc"
}

sbs_init() { # OUT DEADLINE_SECONDS
    SBS_OUT=$1
    trap sbs_cleanup EXIT
    trap 'log "interrupted"; exit 130' INT
    trap "log \"terminated (deadline $2 s?)\"; exit 143" TERM
    ( sleep "$2"; kill -TERM $$ ) 2>/dev/null &
    SBS_WATCHDOG_PID=$!
    rm -rf "$SBS_OUT"
    mkdir -p "$SBS_OUT/tmp"
    export TMPDIR=$SBS_OUT/tmp
}

sbs_start_jtgt() { # LOG PORTALS [JVM options...]
    local logfile=$1 portals=$2 p i
    shift 2
    [[ -f $SBS_JAR ]] || die "$SBS_JAR missing; build it: (cd $SBS_ROOT && mvn -B -q -DskipTests package)"
    for p in ${portals//,/ }; do
        ! sbs_port_in_use "${p##*:}" || die "something already listens on $p"
    done
    java -XX:-UsePerfData -Djava.io.tmpdir="$SBS_OUT/tmp" "$@" \
        -jar "$SBS_JAR" --config "$SBS_OUT/jtgt" --portal "$portals" >"$logfile" 2>&1 &
    SBS_JTGT_PID=$!
    for p in ${portals//,/ }; do
        for ((i = 0; ; i++)); do
            grep -q "iSCSI portal listening on $p" "$logfile" && break
            kill -0 "$SBS_JTGT_PID" 2>/dev/null || { tail -20 "$logfile" >&2; SBS_JTGT_PID=; die "jtgt exited during start-up"; }
            (( i < 600 )) || { tail -20 "$logfile" >&2; die "jtgt not listening on $p after 60 s"; }
            sleep 0.1
        done
    done
}

sbs_tgtadm() { timeout 10 tgtadm -C "$SBS_TGT_CONTROL" --lld iscsi "$@"; }

sbs_start_tgtd() { # LOG CONTROL_PORT PORTAL...
    local logfile=$1 i p
    SBS_TGT_CONTROL=$2
    shift 2
    [[ $(id -u) -eq 0 ]] || die "run as root: tgtd needs $SBS_TGT_SOCK_DIR"
    for p in "$@"; do
        ! sbs_port_in_use "${p##*:}" || die "something already listens on $p"
    done
    local sock=$SBS_TGT_SOCK_DIR/socket.$SBS_TGT_CONTROL
    if [[ -e $sock ]]; then
        ! timeout 5 tgtadm -C "$SBS_TGT_CONTROL" --mode system --op show >/dev/null 2>&1 \
            || die "a tgtd already answers on control port $SBS_TGT_CONTROL ($sock)"
        rm -f "$sock" "$sock.lock" # stale, from a tgtd that died
    fi
    [[ -d $SBS_TGT_SOCK_DIR ]] || SBS_CREATED_SOCK_DIR=1
    tgtd -f -C "$SBS_TGT_CONTROL" --iscsi "portal=$1" >"$logfile" 2>&1 &
    SBS_TGTD_PID=$!
    for ((i = 0; ; i++)); do
        timeout 5 tgtadm -C "$SBS_TGT_CONTROL" --mode system --op show >/dev/null 2>&1 && sbs_port_in_use "${1##*:}" && break
        kill -0 "$SBS_TGTD_PID" 2>/dev/null || { tail -20 "$logfile" >&2; SBS_TGTD_PID=; die "tgtd exited during start-up"; }
        (( i < 200 )) || { tail -20 "$logfile" >&2; die "tgtd not ready after 20 s"; }
        sleep 0.1
    done
    shift
    for p in "$@"; do
        sbs_tgtadm --mode portal --op new --param portal="$p"
    done
}

sbs_tgt_target() { # TID IQN BACKING
    SBS_TGT_TIDS+=("$1")
    sbs_tgtadm --mode target --op new --tid "$1" --targetname "$2"
    sbs_tgtadm --mode logicalunit --op new --tid "$1" --lun 1 --backing-store "$3" --bstype rdwr
    sbs_tgtadm --mode target --op bind --tid "$1" --initiator-address ALL
}
