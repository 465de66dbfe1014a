#!/usr/bin/env bash
# Creates the benchmark's peer environments: bench/.venvs/<name> for every "[venv: <name>]" block
# of bench/requirements.txt, and installs the "[main]" block (the profiler) into the project's
# python3. Packages come from PyPI only; nothing else is downloaded. Idempotent: re-running only
# installs what is missing.
#
#   bash bench/setup.sh
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"

block() {  # the requirement lines of one [section] of requirements.txt
    awk -v want="$1" '
        /^\[/ { current = $0; next }
        /^[[:space:]]*(#|$)/ { next }
        current == want { print }
    ' requirements.txt
}

"$PYTHON" -m pip install --quiet --disable-pip-version-check -r ../requirements.txt
main_reqs=$(block "[main]")
if [ -n "$main_reqs" ]; then
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install --quiet --disable-pip-version-check $main_reqs
fi

for name in $(sed -n 's/^\[venv: \(.*\)\]$/\1/p' requirements.txt); do
    venv=".venvs/$name"
    if [ ! -x "$venv/bin/python" ]; then
        echo "== creating $venv"
        "$PYTHON" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    fi
    echo "== installing into $venv: $(block "[venv: $name]" | tr '\n' ' ')"
    # shellcheck disable=SC2046
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $(block "[venv: $name]")
    "$venv/bin/python" -m pip freeze --disable-pip-version-check > "$venv/freeze.txt"
done
echo "peer environments ready in bench/.venvs/"
