#!/usr/bin/env bash
# Reads the output of libiscsi's iscsi-test-cu and prints one line per test and a totals line:
#
#   iscsi-test-cu -d -t ALL iscsi://127.0.0.1:3260/iqn.2026-11.org.jtgt:default/0 2>&1 | conformance/summarize-test-cu.sh
#
#   pass  SCSI.Inquiry.Standard
#   skip  SCSI.CompareAndWrite.Simple: COMPAREANDWRITE is not implemented.
#   fail  SCSI.Foo.Bar: <the first [FAILED] message>
#   ...
#   172 passed, 46 skipped, 12 failed (of 230)
#
# A test counts as failed when CUnit says FAILED, as skipped when its own output (from
# "Test: NAME ..." to its result) contains "[SKIPPED]" (CUnit counts those as passed), else as
# passed. "[SKIPPED]" lines printed after a result belong to the next suite's set-up, not to the
# test. Exit status: 1 if any test failed or no test was found, else 0.
set -euo pipefail

awk '
function finish(result,    reason) {
    if (name == "") return
    if (result == "FAILED") {
        reason = failure != "" ? failure : "FAILED"
        printf "fail  %s: %s\n", name, reason; failed++
    } else if (skipped != "") {
        printf "skip  %s: %s\n", name, skipped; skips++
    } else {
        printf "pass  %s\n", name; passed++
    }
    name = ""
}
function own(text,    i) {
    # text of the current test up to its result word; notes skips and failures
    if (skipped == "" && (i = index(text, "[SKIPPED]")) > 0) {
        skipped = substr(text, i + 9); sub(/^ +/, "", skipped); sub(/ *$/, "", skipped)
    }
    if (failure == "" && (i = index(text, "[FAILED]")) > 0) {
        failure = substr(text, i + 8); sub(/^ +/, "", failure); sub(/ *$/, "", failure)
    }
}
/^Suite: / { suite = substr($0, 8); sub(/ *$/, "", suite); next }
/^  Test: / {
    line = $0; sub(/^  Test: /, "", line)
    split(line, parts, " ...")
    name = suite "." parts[1]; skipped = ""; failure = ""
    rest = substr(line, length(parts[1]) + 5)
} 
name != "" {
    text = ($0 ~ /^  Test: /) ? rest : $0
    if (match(text, /(^|\.\.\.|[ \t])(passed|FAILED)/)) {
        word = substr(text, RSTART, RLENGTH); sub(/^[^pF]*/, "", word)
        own(substr(text, 1, RSTART - 1))
        finish(word)
    } else {
        own(text)
    }
}
END {
    total = passed + skips + failed
    printf "%d passed, %d skipped, %d failed (of %d)\n", passed, skips, failed, total
    exit (failed > 0 || total == 0) ? 1 : 0
}'
