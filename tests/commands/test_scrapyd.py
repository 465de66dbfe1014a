"""scrapyd for real: a scrapyd on loopback, the project deployed with scrapyd-client, `politics`
scheduled against the mirror through the HTTP API, and the items it wrote read back."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from dwnews.mirror import PROJECT_ROOT, MirrorServer
from tests.helpers import POLITICS, free_port, wait_until

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


@pytest.fixture
def scrapyd(tmp_path: Path) -> Any:
    if shutil.which("scrapyd") is None or shutil.which("scrapyd-deploy") is None:
        pytest.skip("scrapyd/scrapyd-client are not installed (pip install -r requirements.txt)")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.5\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\nitems_dir = {home / 'items'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
    )
    process = subprocess.Popen(["scrapyd"], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded CI machine starts it slowly; polled, not slept
    while True:
        try:
            if api(base, "daemonstatus.json")["status"] == "ok":
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"scrapyd did not start: {process.communicate()[1][-2000:]}")
        time.sleep(0.2)
    try:
        yield base, home
    finally:
        process.terminate()
        process.wait(30)


def test_politics_through_scrapyd(scrapyd: Any, mirror: MirrorServer, tmp_path: Path) -> None:
    base, home = scrapyd
    # Deploy a clean copy of the project (scrapy.cfg + the package) to this scrapyd.
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(PROJECT_ROOT / "dwnews", project / "dwnews", ignore=shutil.ignore_patterns("__pycache__"))
    config = (PROJECT_ROOT / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", base + "/")
    (project / "scrapy.cfg").write_text(config)
    deployed = subprocess.run(
        ["scrapyd-deploy", "-p", "dwnews", "-v", "r1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "politics" in api(base, "listspiders.json?project=dwnews")["spiders"]

    settings = [
        f"DWNEWS_BASE_URL={mirror.base_url}",
        "AUTOTHROTTLE_ENABLED=False",
        "DOWNLOAD_DELAY=0",
        f"DWNEWS_STATE_DIR={tmp_path / 'state'}",
    ]
    job = api(
        base, "schedule.json", [("project", "dwnews"), ("spider", "politics")] + [("setting", s) for s in settings]
    )
    assert job["status"] == "ok", job
    job_id = job["jobid"]
    wait_until(
        lambda: any(j["id"] == job_id for j in api(base, "listjobs.json?project=dwnews")["finished"]),
        timeout=300,
        what="finished scrapyd job",
    )

    items_file = home / "items" / "dwnews" / "politics" / f"{job_id}.jl"
    items = [json.loads(line) for line in items_file.read_text("utf-8").splitlines()]
    assert sorted(item["content_id"] for item in items) == sorted(POLITICS)
    log = (home / "logs" / "dwnews" / "politics" / f"{job_id}.log").read_text("utf-8")
    assert "'dwnews/politics/kept': 6" in log and "'dwnews/health/ok': 1" in log
