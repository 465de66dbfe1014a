#!/usr/bin/env bash
# Start the Splash 3.5 server installed by install.sh, in the background, on 127.0.0.1 only.
#
#   bash scripts/splash/start.sh [PORT]        # default port 8050; prints the URL when /_ping answers
#
# Env:
#   SPLASH_VENV      venv made by install.sh (default /opt/dwnews-splash)
#   SPLASH_RUN_DIR   splash.pid, splash.log (previous run: splash.log.1), stop flag (default /tmp/dwnews-splash)
#   SPLASH_DISPLAY   xvfb (default: Splash starts its own Xvfb; WebKit and Chromium engines both work)
#                    or offscreen (Qt's offscreen platform, no X server; WebKit engine only, because
#                    Splash's Chromium engine aborts the whole server there for lack of an OpenGL context)
#   SPLASH_SLOTS     parallel renders (default 8)
#   SPLASH_MAXRSS    MB of RSS after which Splash exits and the supervisor loop restarts it (default 3072; 0 = off)
#   SPLASH_MAX_TIMEOUT  largest 'timeout' argument allowed (default 90)
#   SPLASH_START_TIMEOUT seconds to wait for /_ping (default 60)
#   SPLASH_EXTRA_ARGS  more splash.server options, e.g. "--disable-lua -v 2"
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${1:-${SPLASH_PORT:-8050}}"
VENV="${SPLASH_VENV:-/opt/dwnews-splash}"
RUN_DIR="${SPLASH_RUN_DIR:-/tmp/dwnews-splash}"
DISPLAY_MODE="${SPLASH_DISPLAY:-xvfb}"
SLOTS="${SPLASH_SLOTS:-8}"
MAXRSS="${SPLASH_MAXRSS:-3072}"
MAX_TIMEOUT="${SPLASH_MAX_TIMEOUT:-90}"
START_TIMEOUT="${SPLASH_START_TIMEOUT:-60}"
PID_FILE="$RUN_DIR/splash.pid"
LOG_FILE="$RUN_DIR/splash.log"
STOP_FLAG="$RUN_DIR/stopping"
URL="http://127.0.0.1:$PORT"

die() { echo "start.sh: ERROR: $*" >&2; exit 1; }

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
    die "bad port: $PORT"
fi
[ -x "$VENV/bin/python" ] || die "no Splash venv at $VENV: run 'bash $HERE/install.sh' first"
mkdir -p "$RUN_DIR"

ping_ok() { "$VENV/bin/python" - "$URL/_ping" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 and b'"ok"' in r.read() else 1)
except Exception:
    sys.exit(1)
PY
}

# Already running (ours)? Then this is a no-op.
if [ -f "$PID_FILE" ]; then
    old_pid="$(cat "$PID_FILE")"
    if [ -n "$old_pid" ] && kill -0 "$old_pid" 2>/dev/null && grep -qa dwnews-splash-supervisor "/proc/$old_pid/cmdline" 2>/dev/null; then
        if ping_ok; then
            echo "start.sh: Splash already running (pid $old_pid): $URL"
            exit 0
        fi
        die "a Splash from $RUN_DIR is running (pid $old_pid) but $URL/_ping does not answer; run stop.sh first (log: $LOG_FILE)"
    fi
    rm -f "$PID_FILE"
fi
if ping_ok; then
    die "something already answers on $URL that is not the Splash from $RUN_DIR; choose another port"
fi

server_args=(--ip 127.0.0.1 --port "$PORT" --slots "$SLOTS" --max-timeout "$MAX_TIMEOUT")
if [ "$MAXRSS" != 0 ]; then server_args+=(--maxrss "$MAXRSS"); fi
case "$DISPLAY_MODE" in
    xvfb) export QT_QPA_PLATFORM=xcb ;;  # Splash starts (and stops) its own Xvfb through xvfbwrapper
    offscreen)
        export QT_QPA_PLATFORM=offscreen
        server_args+=(--disable-xvfb --browser-engines webkit) ;;
    *) die "SPLASH_DISPLAY must be xvfb or offscreen, not '$DISPLAY_MODE'" ;;
esac
if [ -n "${SPLASH_EXTRA_ARGS:-}" ]; then
    # shellcheck disable=SC2206  # word splitting of the extra options is intended
    server_args+=(${SPLASH_EXTRA_ARGS})
fi
# Chromium (QtWebEngine) refuses to run as root with its sandbox on.
export QTWEBENGINE_CHROMIUM_FLAGS="${QTWEBENGINE_CHROMIUM_FLAGS:---no-sandbox}"
export XDG_RUNTIME_DIR="$RUN_DIR/xdg"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export PYTHONUNBUFFERED=1

rm -f "$STOP_FLAG"
if [ -f "$LOG_FILE" ]; then mv -f "$LOG_FILE" "$LOG_FILE.1"; fi  # keep one previous log
{
    echo "=== $(date -Is) start.sh: $VENV/bin/python $HERE/launcher.py ${server_args[*]}"
    echo "=== QT_QPA_PLATFORM=$QT_QPA_PLATFORM QTWEBENGINE_CHROMIUM_FLAGS=$QTWEBENGINE_CHROMIUM_FLAGS"
} >>"$LOG_FILE"

# A small supervisor, in its own session (so stop.sh can end Splash, Xvfb and the QtWebEngine helpers as one
# process group): it restarts Splash when it exits on its own (--maxrss, or a crash) until stop.sh sets the
# stop flag, and gives up after 3 exits in a row within 30 s of starting (e.g. port taken). Its $0 is
# 'dwnews-splash-supervisor', which start.sh and stop.sh look for. The $-expressions in single quotes
# belong to that inner bash:
# shellcheck disable=SC2016
setsid bash -c '
    stop_flag="$1"; shift
    quick_exits=0
    while :; do
        started=$SECONDS
        "$@"
        rc=$?
        [ -e "$stop_flag" ] && exit 0
        if [ $((SECONDS - started)) -lt 30 ]; then quick_exits=$((quick_exits + 1)); else quick_exits=0; fi
        if [ "$quick_exits" -ge 3 ]; then
            echo "=== $(date -Is) supervisor: Splash exited with status $rc, 3 times within 30 s of starting; giving up"
            exit 1
        fi
        echo "=== $(date -Is) supervisor: Splash exited with status $rc; restarting in 1 s"
        sleep 1
        [ -e "$stop_flag" ] && exit 0
    done
' dwnews-splash-supervisor "$STOP_FLAG" "$VENV/bin/python" "$HERE/launcher.py" "${server_args[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1 &
# The supervisor is the session leader whose arguments name our stop flag. (Normally that is $!, but
# setsid forks when it is already a process group leader, so look it up rather than trust $!.)
find_supervisor() {
    ps -eo pid=,sid=,args= | awk -v f="$STOP_FLAG" '$1 == $2 && /dwnews-splash-supervisor/ && index($0, f) {print $1}' | head -n 1
}
pid=""
for _ in $(seq 1 20); do
    pid="$(find_supervisor)"
    [ -n "$pid" ] && break
    sleep 0.1
done
if [ -z "$pid" ]; then
    tail -n 20 "$LOG_FILE" >&2 || true
    die "the supervisor process did not start"
fi
echo "$pid" >"$PID_FILE"

deadline=$((SECONDS + START_TIMEOUT))
until ping_ok; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "start.sh: Splash did not answer $URL/_ping within ${START_TIMEOUT}s; last lines of $LOG_FILE:" >&2
        tail -n 40 "$LOG_FILE" >&2 || true
        bash "$HERE/stop.sh" >/dev/null 2>&1 || true
        exit 1
    fi
    sleep 0.5
done
echo "start.sh: Splash is up (pid $pid, log $LOG_FILE): $URL"
