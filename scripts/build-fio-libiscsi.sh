#!/usr/bin/env bash
# fio with the libiscsi engine (Debian's fio package has none), built from Debian's fio source
# package. Used by bench/run-fio-bench.sh and, through .ci/run, by SplitDaemonIT.
#
#   scripts/build-fio-libiscsi.sh OUTDIR     # prints OUTDIR/fio; under a minute on 2 cores
#
# Does nothing but print the path when OUTDIR/fio already lists libiscsi in `fio --enghelp`.
# Otherwise: `apt-get source fio` through a private sources list (OUTDIR/apt/sources.list, one
# deb-src line: JTGT_FIO_DEB_SRC, or the machine's own Debian archive and release taken from its
# apt sources and /etc/os-release) and private package lists under OUTDIR/apt, so /etc/apt and
# /var/lib/apt are not touched; then `./configure --enable-libiscsi && make` with TMPDIR inside
# OUTDIR, and OUTDIR/fio is the result. The source tree and apt's files are removed afterwards;
# the log stays in OUTDIR/build.log. Delete OUTDIR/fio to build again.
#
# Needs (Debian): dpkg-dev (dpkg-source for apt-get source; it brings make and patch), gcc,
# libc6-dev, pkg-config and libiscsi-dev (fio's configure asks pkg-config for libiscsi >= 1.9.0).
# .ci/run installs them; run as root, this script installs the missing ones itself with
# `apt-get install -y --no-install-recommends`. Nothing is written to /tmp or $HOME.
set -euo pipefail

die() { echo "build-fio-libiscsi: $*" >&2; exit 1; }
(( $# == 1 )) || die "usage: $0 OUTDIR"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
FIO=$OUT/fio
LOG=$OUT/build.log

has_libiscsi() { "$1" --enghelp 2>/dev/null | grep -qx '[[:space:]]*libiscsi'; }

if [[ -x $FIO ]] && has_libiscsi "$FIO"; then
    echo "$FIO"
    exit 0
fi

PACKAGES=(dpkg-dev gcc libc6-dev pkg-config libiscsi-dev)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
    [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}: apt-get install --no-install-recommends ${missing[*]} (as root)"
    echo "build-fio-libiscsi: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 \
        || die "installing ${missing[*]} failed (see $LOG)"
fi
for tool in apt-get dpkg-source gcc make pkg-config; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
pkg-config --exists libiscsi || die "pkg-config does not know libiscsi (libiscsi-dev)"

# The deb-src line: the Debian archive this machine installs from (deb822 .sources files or
# one-line sources.list entries), the release it runs.
deb_src() {
    local codename uri
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || return 1
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v rel="$codename" '
        /^[[:space:]]*$/ { if (deb && suite && u != "") { print u; exit } deb = suite = 0; u = ""; next }
        /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) suite = 1 }
        /^URIs:/ { u = $2 }
        END { if (deb && suite && u != "") print u }' | head -1)
    if [[ -z $uri ]]; then
        uri=$(cat /etc/apt/sources.list 2>/dev/null | awk -v rel="$codename" '
            $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == rel) { print $i; exit } }')
    fi
    [[ -n $uri ]] || return 1
    echo "deb-src $uri $codename main"
}

rm -rf "$OUT/apt" "$OUT/src" "$OUT/tmp"
mkdir -p "$OUT"/{apt/lists/partial,apt/cache/archives/partial,src,tmp}
: >"$LOG"
echo "build-fio-libiscsi: building fio with the libiscsi engine in $OUT (log $LOG)" >&2
SRC_LINE=${JTGT_FIO_DEB_SRC:-$(deb_src)} || die "no Debian archive found in /etc/apt for the deb-src line; set JTGT_FIO_DEB_SRC"
echo "$SRC_LINE" >"$OUT/apt/sources.list"
APT=(-o "Dir::Etc::SourceList=$OUT/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$OUT/apt/lists" -o "Dir::Cache=$OUT/apt/cache" -o APT::Sandbox::User=root)
(
    export TMPDIR=$OUT/tmp
    set -e
    echo "== apt-get update ($SRC_LINE)"
    timeout 300 apt-get "${APT[@]}" update
    echo "== apt-get source fio"
    cd "$OUT/src"
    timeout 300 apt-get "${APT[@]}" source fio
) >>"$LOG" 2>&1 || die "fetching Debian's fio source package failed (see $LOG)"
src=$(find "$OUT/src" -mindepth 1 -maxdepth 1 -type d -name 'fio-*' | head -1)
[[ -n $src ]] || die "no fio-* source directory in $OUT/src (see $LOG)"
(
    export TMPDIR=$OUT/tmp
    set -e
    cd "$src"
    echo "== ./configure --enable-libiscsi"
    ./configure --enable-libiscsi
    grep -q '^CONFIG_LIBISCSI=y' config-host.mak || { echo "configure did not enable libiscsi"; exit 1; }
    echo "== make -j$(nproc)"
    make -j"$(nproc)" fio
) >>"$LOG" 2>&1 || die "configure/make failed (see $LOG)"
has_libiscsi "$src/fio" || die "the fio built in $src does not list libiscsi in --enghelp (see $LOG)"
cp "$src/fio" "$FIO.new"
mv "$FIO.new" "$FIO"
rm -rf "$OUT/apt" "$OUT/src" "$OUT/tmp"
echo "build-fio-libiscsi: $("$FIO" --version) with libiscsi: $FIO" >&2
echo "$FIO"
