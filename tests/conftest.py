"""Shared fixtures: the loopback mirror of dw.com, a real Redis and a real Splash (helpers: tests/helpers.py).

End-to-end tests (real `scrapy crawl` subprocesses, services, signals) carry the `e2e` marker in
their module (`pytestmark`): `python3 -m pytest -m "not e2e"` runs the fast part alone. Tests that
need the live www.dw.com carry `live` and are skipped unless asked for (`-m live`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwnews.mirror import PROJECT_ROOT, MirrorServer, free_port
from tests.helpers import SITE, wait_until

SPLASH_SCRIPTS = PROJECT_ROOT / "scripts" / "splash"


@pytest.fixture(scope="session")
def splash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Splash 3.5 on loopback, started by scripts/splash/start.sh (installed by install.sh).

    Skipped, with the reason, where Splash is not installed; a Splash that is installed but
    does not start is a test failure.
    """
    venv = Path(os.environ.get("SPLASH_VENV", "/opt/dwnews-splash"))
    if not (venv / ".dwnews-requirements.sha256").exists():  # written by install.sh once all went well
        pytest.skip(f"Splash is not installed at {venv}: run `bash scripts/splash/install.sh` (.ci/run does)")
    port = free_port()
    env = {
        **os.environ,
        "SPLASH_RUN_DIR": str(tmp_path_factory.mktemp("splash-run")),
        "SPLASH_EXTRA_ARGS": f"--filters-path {SPLASH_SCRIPTS / 'filters'}",
        "SPLASH_SLOTS": "4",
    }
    started = subprocess.run(
        ["bash", str(SPLASH_SCRIPTS / "start.sh"), str(port)], env=env, capture_output=True, text=True, timeout=180
    )
    if started.returncode != 0:
        pytest.fail(f"Splash did not start: {started.stdout[-1500:]} {started.stderr[-1500:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(SPLASH_SCRIPTS / "stop.sh")], env=env, capture_output=True, timeout=120)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (Debian's package) on a loopback port with a throwaway data dir."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=60, what=f"redis-server listening on 127.0.0.1:{port}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror (tests/site) served on 127.0.0.1, with its own request log."""
    with MirrorServer(SITE) as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the live tests unless `-m live` asks for them."""
    wanted = str(config.getoption("markexpr", "") or "")
    for item in items:
        if "live" in item.keywords and "live" not in wanted:
            item.add_marker(pytest.mark.skip(reason="needs the real www.dw.com: run with -m live"))
