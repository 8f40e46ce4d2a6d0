#!/usr/bin/env bash
# libiscsi's conformance suite against jtgt and Linux tgt on this machine, one after the other, in
# one run, with the same LUN shape and the same options, and both totals side by side.
#
#   conformance/run-test-cu-both.sh      # about 2 minutes; as root (tgtd needs /var/run/tgtd)
#
# Needs: launcher/target/jtgt.jar (mvn -B -q -DskipTests package), java, Debian's tgt (tgtd,
# tgtadm) and libiscsi-bin (iscsi-test-cu).
#
# Both targets get: a 256 MiB thin-provisioned LUN, two portals on 127.0.0.1 (so the MultipathIO
# tests have their second URL) and `iscsi-test-cu -d -t ALL URL1 URL2` (destructive tests on).
#   jtgt  127.0.0.1:3266 and :3267, default target iqn.2026-11.org.jtgt:default, LUN 0: thin memory
#         disk (-Djtgt.default.target.size), config dir conformance/target/test-cu-both/jtgt.
#   tgt   127.0.0.1:3268 and :3269, control port 3268, target iqn.2026-11.org.jtgt:tgt, LUN 1 (its
#         LUN 0 is the controller LU), bstype rdwr on a sparse file on /dev/shm with
#         thin_provisioning=1 (tgt punches holes for UNMAP), bound to ALL initiators, no CHAP.
#
# Output in conformance/target/test-cu-both/: NAME.txt (raw iscsi-test-cu output), NAME-summary.txt
# (summarize-test-cu.sh: one line per test), results.txt (the table printed at the end: totals per
# target, then every test whose result differs). Nothing is written to /tmp or $HOME.
#
# Environment overrides: JTGT_CONF_SIZE (bytes; 268435456), JTGT_CONF_JTGT_PORTS (3266,3267),
# JTGT_CONF_TGT_PORTS (3268,3269), JTGT_CONF_TGT_THIN (1; 0 leaves tgt's thin provisioning off:
# tgt 1.0.85 then fails fewer 16-byte-CDB tests, and skips the thin-provisioning ones).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$HERE/target/test-cu-both
SIZE=${JTGT_CONF_SIZE:-268435456}
IFS=, read -r J1 J2 <<<"${JTGT_CONF_JTGT_PORTS:-3266,3267}"
IFS=, read -r T1 T2 <<<"${JTGT_CONF_TGT_PORTS:-3268,3269}"
SUITE_TIMEOUT=600
SCRIPT_DEADLINE=1500

JTGT_IQN=iqn.2026-11.org.jtgt:default
TGT_IQN=iqn.2026-11.org.jtgt:tgt
TGT_BACKING=/dev/shm/jtgt-conformance-tgt-$$.img

# shellcheck source=../scripts/side-by-side.sh
source "$ROOT/scripts/side-by-side.sh"

for tool in java tgtd tgtadm iscsi-test-cu timeout awk; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: tgt, libiscsi-bin)"
done
[[ $(id -u) -eq 0 ]] || die "run as root: tgtd needs /var/run/tgtd"

sbs_init "$OUT" "$SCRIPT_DEADLINE"

run_suite() { # NAME URL1 URL2
    local name=$1 rc=0
    shift
    log "$name: iscsi-test-cu -d -t ALL $*"
    timeout -k 5 "$SUITE_TIMEOUT" iscsi-test-cu -d -t ALL "$@" >"$OUT/$name.txt" 2>&1 || rc=$?
    # iscsi-test-cu exits non-zero when a test fails; a timeout (124) means the run is incomplete.
    (( rc != 124 && rc != 137 )) || die "$name: iscsi-test-cu did not finish within $SUITE_TIMEOUT s"
    "$HERE/summarize-test-cu.sh" <"$OUT/$name.txt" >"$OUT/$name-summary.txt" || true
    tail -1 "$OUT/$name-summary.txt" >&2
}

# jtgt
log "starting jtgt on 127.0.0.1:$J1 and :$J2 ($SIZE-byte thin memory LUN)"
# TARGET WARM/COLD RESET are refused unless allowed; tgt allows them, and the suite tests them.
sbs_start_jtgt "$OUT/jtgt.log" "127.0.0.1:$J1,127.0.0.1:$J2" -Djtgt.default.target.size="$SIZE" \
    -Djtgt.iscsi.targetResetInitiators='*'
JTGT_VERSION=$(sed -n 's/.*EmbeddedFramework - \(jtgt [^ ]*\) starting.*/\1/p' "$OUT/jtgt.log" | head -1)
run_suite jtgt "iscsi://127.0.0.1:$J1/$JTGT_IQN/0" "iscsi://127.0.0.1:$J2/$JTGT_IQN/0"

# tgt
log "starting tgtd on 127.0.0.1:$T1 and :$T2 (rdwr LUN on $TGT_BACKING, thin provisioning on)"
sbs_delete_on_exit "$TGT_BACKING"
truncate -s "$SIZE" "$TGT_BACKING"
sbs_start_tgtd "$OUT/tgtd.log" "$T1" "127.0.0.1:$T1" "127.0.0.1:$T2"
sbs_tgt_target 1 "$TGT_IQN" "$TGT_BACKING"
TGT_VERSION="tgt $(tgtd -V 2>&1 | head -1)"
if [[ ${JTGT_CONF_TGT_THIN:-1} == 1 ]]; then
    sbs_tgtadm --mode logicalunit --op update --tid 1 --lun 1 --params thin_provisioning=1
else
    TGT_VERSION="$TGT_VERSION (thin off)"
fi
run_suite tgt "iscsi://127.0.0.1:$T1/$TGT_IQN/1" "iscsi://127.0.0.1:$T2/$TGT_IQN/1"

# report
{
    echo "# libiscsi iscsi-test-cu -d -t ALL (two URLs), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
    echo "# command: conformance/run-test-cu-both.sh; $(dpkg-query -W -f='libiscsi-bin ${Version}' libiscsi-bin 2>/dev/null || echo libiscsi-bin)"
    printf '%-22s | %s\n' "${JTGT_VERSION:-jtgt}" "$(tail -1 "$OUT/jtgt-summary.txt")"
    printf '%-22s | %s\n' "$TGT_VERSION" "$(tail -1 "$OUT/tgt-summary.txt")"
    echo
    echo "# tests whose result differs (jtgt | tgt)"
    awk -F'  ' '
        FNR == 1 { side++ }
        /^(pass|skip|fail)  / { split($2, n, ":"); r[n[1], side] = $1; names[n[1]] = 1 }
        END {
            for (t in names) {
                a = r[t, 1]; b = r[t, 2]
                if (a != b) printf "%-60s %-5s | %s\n", t, a == "" ? "-" : a, b == "" ? "-" : b
            }
        }' "$OUT/jtgt-summary.txt" "$OUT/tgt-summary.txt" | sort
} | tee "$OUT/results.txt"
log "raw output and per-test lines in $OUT"
