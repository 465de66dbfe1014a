#!/usr/bin/env bash
# Install a real Splash 3.5 server without Docker (Debian 12, as root).
#
#   bash scripts/splash/install.sh
#
# Idempotent: Debian packages are installed only when missing (apt-get update runs only then), the venv
# is created only when absent, and pip runs only when requirements.txt changed since the last good
# install (a sha256 stamp in the venv) or the installed packages no longer import.
# Env: SPLASH_VENV (default /opt/dwnews-splash).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${SPLASH_VENV:-/opt/dwnews-splash}"
REQS="$HERE/requirements.txt"
STAMP="$VENV/.dwnews-requirements.sha256"
SYS_PY=/usr/bin/python3
# PyQt5 + QtWebKit/QtWebEngine bindings built for the system Python, Xvfb for a virtual display.
DEB_PKGS=(python3-venv python3-pyqt5 python3-pyqt5.qtwebkit python3-pyqt5.qtwebengine xvfb)

die() { echo "install.sh: ERROR: $*" >&2; exit 1; }
log() { echo "install.sh: $*"; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, venv under /opt)"
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
    die "needs a Debian-based system with apt-get (tested on Debian 12)"
fi
[ -f "$REQS" ] || die "missing $REQS"

# 1. Debian packages.
missing=()
for p in "${DEB_PKGS[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
else
    log "Debian packages already installed: ${DEB_PKGS[*]}"
fi
[ -x "$SYS_PY" ] || die "$SYS_PY not found"
command -v Xvfb >/dev/null || die "Xvfb not found after installing xvfb"
"$SYS_PY" -c 'import PyQt5.QtWebKitWidgets, PyQt5.QtWebEngineWidgets' \
    || die "$SYS_PY cannot import PyQt5.QtWebKitWidgets / QtWebEngineWidgets (Debian packages broken?)"

# 2. venv on the system Python; it sees Debian's PyQt5 through --system-site-packages.
if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    "$SYS_PY" -m venv --system-site-packages "$VENV" || die "could not create the venv at $VENV"
    rm -f "$STAMP"
else
    log "venv $VENV exists"
fi

# 3. Splash and its pinned dependencies.
want_sha="$(sha256sum "$REQS" | cut -d' ' -f1)"
check_imports() {
    "$VENV/bin/python" -c 'import splash.server, qt5reactor, twisted, lupa.lua52' 2>/dev/null
}
if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$want_sha" ] && check_imports; then
    log "Python packages already installed (requirements.txt unchanged)"
else
    log "pip install -r requirements.txt into $VENV"
    pip_log="$(mktemp /tmp/dwnews-splash-pip.XXXXXX.log)"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$REQS" >"$pip_log" 2>&1; then
        grep -v "^WARNING: Location .* is ignored" "$pip_log" | tail -n 30 >&2
        die "pip install -r $REQS failed (full log: $pip_log)"
    fi
    rm -f "$pip_log"
    check_imports || die "packages installed but 'import splash.server, qt5reactor, twisted, lupa.lua52' fails in $VENV"
    echo "$want_sha" >"$STAMP"
fi

version="$("$VENV/bin/python" -c 'import splash, lupa, twisted; print("splash", splash.__version__, "/ Twisted", twisted.__version__, "/ lupa", lupa.__version__)')"
log "ok: $version in $VENV"
