#!/usr/bin/env bash
# Install a real Splash 3.5 server without Docker (Debian 12, as root).
#
#   bash scripts/splash/install.sh
#
# Idempotent: Debian packages are installed only when missing (apt-get update runs only then),
# the venv is created only when absent, and pip only acts when a pinned version differs.
# Env: SPLASH_VENV (default /opt/dwnews-splash).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${SPLASH_VENV:-/opt/dwnews-splash}"
SYS_PY=/usr/bin/python3
DEB_PKGS=(python3-venv python3-pyqt5 python3-pyqt5.qtwebkit python3-pyqt5.qtwebengine xvfb)

die() { echo "install.sh: ERROR: $*" >&2; exit 1; }
log() { echo "install.sh: $*"; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, venv under /opt)"
command -v dpkg-query >/dev/null && command -v apt-get >/dev/null || die "needs a Debian/Ubuntu system (apt-get, dpkg-query)"

# 1. Debian packages (PyQt5 + QtWebKit/QtWebEngine bindings built for the system Python 3.11).
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
    log "Debian packages already installed"
fi

[ -x "$SYS_PY" ] || die "$SYS_PY not found (python3 package)"
"$SYS_PY" -c 'import PyQt5.QtWebKit, PyQt5.QtWebEngineWidgets' 2>/dev/null \
    || die "$SYS_PY cannot import PyQt5.QtWebKit / QtWebEngineWidgets after installing ${DEB_PKGS[*]}"

# 2. venv on the system Python, seeing the Debian PyQt5 through --system-site-packages.
if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    "$SYS_PY" -m venv --system-site-packages "$VENV" || die "could not create venv at $VENV"
else
    log "venv $VENV exists"
fi

# 3. Splash and its pinned dependencies. --no-deps is not used: requirements.txt pins every
#    package pip would pull in, so a resolver change cannot silently upgrade one.
if "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt"; then
    :
else
    die "pip install -r $HERE/requirements.txt failed (is PyPI reachable?)"
fi

"$VENV/bin/python" -c 'import splash, splash.server, lupa' \
    || die "splash is installed but does not import in $VENV"
log "ok: $("$VENV/bin/python" -c 'import splash; print("splash", splash.__version__)') in $VENV"
