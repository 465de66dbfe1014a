"""The scheduling recipes of docs/scheduling.md as written: the documented cron line run under cron's
environment (``env -i PATH=/usr/bin:/bin``), and the wrapper it calls, scripts/cron/dwnews-run
(overlapping runs, the one-line alert with the reason and the log, log cleanup), against the mirror.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import pytest

from dwnews.mirror import PROJECT_ROOT, Fault, MirrorServer
from tests.helpers import POLITICS, wait_until

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses under a cron-like environment

WRAPPER = PROJECT_ROOT / "scripts" / "cron" / "dwnews-run"
SCHEDULING = PROJECT_ROOT / "docs" / "scheduling.md"
CRON_PATH = "/usr/bin:/bin"  # cron's PATH: no virtual environment, no ~/.local/bin, no pyenv
SKIPPED = 75  # the wrapper's status for a run skipped because the previous one holds the lock
BLOCKED = "sw/a-66808855"  # a politics article every crawl of the mirror fetches


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment's interpreter with the project's requirements (this interpreter's packages:
    CI has no .venv in the project, so the recipe for a set-up without one is what is tested)."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # --system-site-packages sees the base interpreter's packages; when the tests run in a venv of their
    # own, the requirements are there instead: a .pth makes them visible either way.
    found = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    )
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(found.stdout.strip()) / "dwnews-test-requirements.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


def cron_env(tmp_path: Path, python: Path, **extra: str) -> dict[str, str]:
    """A cron-like environment (nothing but PATH and HOME) with the wrapper's variables pointing into
    ``tmp_path``: the project's own logs/ and .scrapy/ are never touched."""
    return {
        "PATH": CRON_PATH,
        "HOME": str(tmp_path),
        "DWNEWS_PYTHON": str(python),
        "DWNEWS_LOG_DIR": str(tmp_path / "logs"),
        "DWNEWS_LOCK_FILE": str(tmp_path / "run.lock"),
        **extra,
    }


def mirror_args(mirror: MirrorServer, tmp_path: Path) -> list[str]:
    """`scrapy crawl politics` arguments of a fast run against the mirror, its feed in ``tmp_path``."""
    return [
        *("-s", f"DWNEWS_BASE_URL={mirror.base_url}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"),
        *("-s", f"DWNEWS_DEFAULT_FEED={tmp_path / 'feeds'}/%(name)s-%(batch_time)s.jsonl"),
    ]


def crawl_args(mirror: MirrorServer, tmp_path: Path) -> list[str]:
    """The same, with the state in ``tmp_path`` too."""
    return [*mirror_args(mirror, tmp_path), "-s", f"DWNEWS_STATE_DIR={tmp_path / 'state'}"]


def run_wrapper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WRAPPER), *args], env=env, capture_output=True, text=True, timeout=180, check=False)


def logs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "logs").glob("dwnews-*.log"))


def documented_cron_lines(page: Path = SCHEDULING) -> list[str]:
    """The crontab lines of a page (the five time fields dropped: the command cron runs)."""
    lines = re.findall(r"^\*/15 \* \* \* \* (.+)$", page.read_text("utf-8"), flags=re.MULTILINE)
    assert lines, f"no crontab line (*/15 * * * * ...) in {page}"
    return lines


def test_documented_cron_line_runs_under_cron_environment(
    mirror: MirrorServer, tmp_path: Path, venv_python: Path
) -> None:
    with_venv, without_venv = documented_cron_lines()[:2]
    assert without_venv == f"DWNEWS_PYTHON=/usr/bin/python3 {with_venv}", (
        "the two recipes differ in the interpreter only"
    )
    assert documented_cron_lines(PROJECT_ROOT / "README.md") == [with_venv], "the README shows the same line"
    # The documented line for a set-up without .venv, its /srv/dwnews paths moved into tmp_path and the
    # mirror's settings added to the crawl's arguments.
    line = (
        without_venv.replace("DWNEWS_PYTHON=/usr/bin/python3", f"DWNEWS_PYTHON={shlex.quote(str(venv_python))}")
        .replace("/srv/dwnews/scripts/cron/dwnews-run", shlex.quote(str(WRAPPER)))
        .replace("/srv/dwnews/siasa.jsonl", shlex.quote(str(tmp_path / "siasa.jsonl")))
        .replace("/srv/dwnews/state", shlex.quote(str(tmp_path / "state")))
    )
    assert "/srv/dwnews" not in line, f"a path of the recipe this test does not move: {line}"
    assert not {"&&", "||", "|", ";", ">"} & set(shlex.split(line)), "the crawl's arguments end the line"
    line += " " + shlex.join(mirror_args(mirror, tmp_path))  # the state dir is the line's own
    cron = ["env", "-i", f"PATH={CRON_PATH}", f"HOME={tmp_path}"]
    logs_and_lock = {"DWNEWS_LOG_DIR": str(tmp_path / "logs"), "DWNEWS_LOCK_FILE": str(tmp_path / "run.lock")}
    where = " ".join(f"{name}={shlex.quote(value)}" for name, value in logs_and_lock.items()) + " "

    # What the recipe is about: cron's PATH has no scrapy (`scrapy: not found`, exit 127, as the old line).
    assert subprocess.run([*cron, "sh", "-c", "scrapy version"], capture_output=True, check=False).returncode == 127

    done = subprocess.run([*cron, "sh", "-c", where + line], capture_output=True, text=True, timeout=180, check=False)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")  # healthy: cron mails nothing
    feeds = list((tmp_path / "feeds").glob("politics-*.jsonl"))
    assert len(feeds) == 1
    assert {json.loads(row)["content_id"] for row in feeds[0].read_text("utf-8").splitlines()} == POLITICS
    corpus = (tmp_path / "siasa.jsonl").read_text("utf-8").splitlines()
    assert {json.loads(row)["content_id"] for row in corpus} == POLITICS  # --export after a healthy crawl
    [log] = logs(tmp_path)
    assert re.fullmatch(r"dwnews-\d{8}T\d{6}Z\.log", log.name)
    text = log.read_text("utf-8")
    assert "Spider closed (finished)" in text and "== the corpus: python -m dwnews.state export -O" in text


def test_overlapping_run_is_skipped_with_its_own_status(
    mirror: MirrorServer, tmp_path: Path, venv_python: Path
) -> None:
    release = threading.Event()
    mirror.faults[BLOCKED] = Fault("block", release=release, seconds=120)
    env = cron_env(tmp_path, venv_python)
    first = subprocess.Popen(
        [str(WRAPPER), *crawl_args(mirror, tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: any(BLOCKED.split("/")[1] in path for path in mirror.paths()), what="the blocked article asked for"
        )

        second = run_wrapper(env, *crawl_args(mirror, tmp_path))

        [first_log] = logs(tmp_path)  # the skipped run wrote none
        assert second.returncode == SKIPPED
        assert second.stdout == ""
        assert second.stderr == (
            f"dwnews crawl skipped (exit {SKIPPED}): the previous run still holds {tmp_path / 'run.lock'} "
            f"(pid {first.pid}, log: {first_log})\n"
        )
    finally:
        release.set()
        out, err = first.communicate(timeout=180)
    assert (first.returncode, out, err) == (0, "", "")
    assert len(logs(tmp_path)) == 1


def test_failed_run_says_why_in_one_line_with_the_log(mirror: MirrorServer, tmp_path: Path, venv_python: Path) -> None:
    mirror.faults["sw/s-11588"] = Fault("status", status=404)  # the home page is gone, the sections source with it

    done = run_wrapper(cron_env(tmp_path, venv_python), *crawl_args(mirror, tmp_path), "-a", "source=sections")

    assert done.returncode == 3
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    said = re.fullmatch(r"dwnews crawl unhealthy \(exit 3\): (dwnews: crawl unhealthy: .+) -- log: (/\S+)", line)
    assert said, line
    [log] = logs(tmp_path)
    assert said.group(2) == str(log)
    verdicts = re.findall(r"ERROR: (dwnews: crawl unhealthy: .+)", log.read_text("utf-8"))
    assert verdicts[:1] == [said.group(1)]  # the crawl's own verdict line, as logged


def test_refused_run_names_the_argument(mirror: MirrorServer, tmp_path: Path, venv_python: Path) -> None:
    done = run_wrapper(cron_env(tmp_path, venv_python), *crawl_args(mirror, tmp_path), "-a", "section=bogus")

    [log] = logs(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("dwnews crawl refused (exit 2): dwnews: politics: section='bogus': ")
    assert done.stderr.endswith(f" -- log: {log}\n") and done.stderr.count("\n") == 1
    assert not mirror.requests  # refused before any request


def test_old_logs_are_removed_recent_ones_kept(mirror: MirrorServer, tmp_path: Path, venv_python: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    now = time.time()
    ages = {"dwnews-20261101T000000Z.log": 30, "dwnews-20261129T000000Z.log": 13, "notes.log": 30}
    for name, days in ages.items():
        (folder / name).write_text("an earlier run\n")
        os.utime(folder / name, (now - days * 86400, now - days * 86400))
    (tmp_path / "run.lock").write_text(f"pid 1, log: {folder / 'dwnews-20261129T000000Z.log'}\n")

    done = run_wrapper(cron_env(tmp_path, venv_python), *crawl_args(mirror, tmp_path))

    assert (done.returncode, done.stderr) == (0, "")
    kept = sorted(path.name for path in folder.iterdir())
    assert "dwnews-20261101T000000Z.log" not in kept  # older than DWNEWS_LOG_KEEP_DAYS (14)
    assert {"dwnews-20261129T000000Z.log", "notes.log"} <= set(kept)  # recent, or not the wrapper's
    assert len(kept) == 3  # and this run's own
    (own,) = set(logs(tmp_path)) - {folder / "dwnews-20261129T000000Z.log"}
    # the lock names the run that held it last, alone (written through its descriptor, truncated)
    lines = (tmp_path / "run.lock").read_text().splitlines()
    assert len(lines) == 1 and re.fullmatch(rf"pid \d+, log: {re.escape(str(own))}", lines[0]), lines


@pytest.mark.parametrize(
    ("extra", "status", "said"),
    [
        (
            {"DWNEWS_PYTHON": "/nonexistent/.venv/bin/python"},
            1,
            "dwnews crawl could not start (exit 1): no Python interpreter at /nonexistent/.venv/bin/python: ",
        ),
        (
            {"DWNEWS_LOG_KEEP_DAYS": "two weeks"},
            2,
            "dwnews-run: DWNEWS_LOG_KEEP_DAYS=two weeks: give a whole number of days",
        ),
    ],
)
def test_wrapper_faults_are_one_line_before_any_run(
    tmp_path: Path, venv_python: Path, extra: dict[str, str], status: int, said: str
) -> None:
    done = run_wrapper(cron_env(tmp_path, venv_python, **extra))

    assert done.returncode == status
    assert done.stderr.startswith(said) and done.stderr.count("\n") == 1
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize("plant", ["symlink", "fifo"])
def test_a_link_or_fifo_at_the_lock_file_is_refused_not_written_through_or_hung_on(
    tmp_path: Path, venv_python: Path, plant: str
) -> None:
    """`exec 9>>lock` followed a link (and the holder's line then truncated the file it led to) and
    blocked for good on a FIFO."""
    victim = tmp_path / "victim"
    victim.write_text("the victim's data\n")
    lock = tmp_path / "run.lock"
    if plant == "symlink":
        lock.symlink_to(victim)
    else:
        os.mkfifo(lock)
    done = run_wrapper(cron_env(tmp_path, venv_python))
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"dwnews crawl could not start (exit 4): the lock file {lock} is a link")
    assert done.stderr.count("\n") == 1 and victim.read_text() == "the victim's data\n"
    assert not logs(tmp_path)
