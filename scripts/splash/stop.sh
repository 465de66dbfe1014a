#!/usr/bin/env bash
# Stop the Splash server started by start.sh (its whole process group: supervisor, Splash, Xvfb,
# QtWebEngine helpers). Safe to run when nothing is running.
#
#   bash scripts/splash/stop.sh
#
# Env: SPLASH_RUN_DIR (default /tmp/dwnews-splash).
set -euo pipefail

RUN_DIR="${SPLASH_RUN_DIR:-/tmp/dwnews-splash}"
PID_FILE="$RUN_DIR/splash.pid"
STOP_FLAG="$RUN_DIR/stopping"

if [ ! -f "$PID_FILE" ]; then
    echo "stop.sh: not running (no $PID_FILE)"
    exit 0
fi
pid="$(cat "$PID_FILE")"
if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null \
        || ! grep -qa dwnews-splash-supervisor "/proc/$pid/cmdline" 2>/dev/null; then
    echo "stop.sh: not running (stale pid file removed)"
    rm -f "$PID_FILE" "$STOP_FLAG"
    exit 0
fi

# Anything left in the supervisor's process group or session (start.sh made it a session leader)?
group_alive() { [ -n "$(ps -eo pid=,pgid=,sid= | awk -v p="$pid" '$2 == p || $3 == p')" ]; }

wait_gone() {  # $1 = seconds
    local i
    for ((i = 0; i < $1 * 2; i++)); do
        group_alive || return 0
        sleep 0.5
    done
    ! group_alive
}

touch "$STOP_FLAG"  # the supervisor loop must not restart Splash
# First SIGTERM to Splash only, so it shuts down in order and stops its own Xvfb; then the whole group.
for child in $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
    kill -TERM "$child" 2>/dev/null || true
done
if ! wait_gone 10; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    if ! wait_gone 10; then
        echo "stop.sh: still running after 20 s; sending SIGKILL to process group $pid" >&2
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait_gone 2 || true
    fi
fi
rm -f "$PID_FILE" "$STOP_FLAG"
if group_alive; then
    echo "stop.sh: ERROR: process group $pid did not stop" >&2
    exit 1
fi
echo "stop.sh: stopped Splash (process group $pid)"
