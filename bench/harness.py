"""Running the mirror server and the crawls as separate processes, and measuring them.

Each crawl runs in its own process; its wall time, CPU time and peak RSS come from ``wait4``
(the kernel's accounting of exactly that child), and its RSS over time from ``/proc`` every
0.25 s. The server runs in another process (``bench/serve.py``), so the measured crawl never
shares a GIL with it; its CPU time over each crawl is read from ``/proc`` too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import BENCH, ROOT

from dwnews.mirror import crawl_command

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Server:
    """``bench/serve.py`` in a child process, on a free loopback port."""

    def __init__(self, articles: int, sections: int = 10, known_below: int = 0) -> None:
        self.articles = articles
        self.sections = sections
        command = [sys.executable, str(BENCH / "serve.py"), "--articles", str(articles), "--sections", str(sections)]
        command += ["--known-below", str(known_below)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"

    def forget(self) -> None:
        with urllib.request.urlopen(f"{self.base_url}/__bench__/forget", timeout=10) as answer:
            answer.read()

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.base_url}/__bench__/counts", timeout=10) as answer:
            return dict(json.loads(answer.read()))

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Measured:
    """One crawl process: what it cost and what it did."""

    command: list[str]
    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mib: float
    rss_series: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB)
    stats: dict[str, Any] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)  # requests the server answered during the crawl
    server_cpu_s: float = 0.0

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": " ".join(self.command),
            "returncode": self.returncode,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "user_s": self.user_s,
            "sys_s": self.sys_s,
            "max_rss_mib": self.max_rss_mib,
            "server_cpu_s": self.server_cpu_s,
            "served": self.served,
            "rss_series": self.rss_series,
            "stats": {k: v for k, v in self.stats.items() if not isinstance(v, dict)},
        }


def run_process(
    command: list[str], log: Path, server: Server | None = None, stats_file: Path | None = None, timeout: float = 1200
) -> Measured:
    """Run one crawl to its end and measure it (wait4 for time and peak RSS, /proc for RSS over time)."""
    if server is not None:
        server.forget()
    before = server.counts() if server else {}
    server_cpu = server.cpu_seconds() if server else 0.0
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        series: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                value = rss_kib(proc.pid)
                if value is not None:
                    series.append((round(time.perf_counter() - start, 2), round(value / 1024, 1)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.05)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    measured = Measured(
        command=[Path(command[0]).name, *command[1:]],
        returncode=proc.returncode,
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_mib=usage.ru_maxrss / 1024,
        rss_series=series,
    )
    if stats_file is not None and stats_file.exists():
        measured.stats = json.loads(stats_file.read_text("utf-8"))
    if server is not None:
        after = server.counts()
        measured.served = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
        measured.server_cpu_s = server.cpu_seconds() - server_cpu
    return measured


def concurrency_settings(concurrency: int) -> list[str]:
    return ["-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"]


def plain_command(
    server: Server, concurrency: int, work: Path, name: str, extra: list[str] | None = None
) -> tuple[list[str], Path]:
    stats_file = work / f"{name}.stats.json"
    command = [
        sys.executable,
        str(BENCH / "plain_crawl.py"),
        "--base-url",
        server.base_url,
        "--stats-file",
        str(stats_file),
        *concurrency_settings(concurrency),
        *(extra or []),
    ]
    return command, stats_file


def plain_crawl(
    server: Server, concurrency: int, work: Path, name: str = "plain", extra: list[str] | None = None
) -> Measured:
    command, stats_file = plain_command(server, concurrency, work, name, extra)
    return run_process(command, work / f"{name}.log", server, stats_file)


def project_command(
    base_url: str, concurrency: int, work: Path, name: str, state_dir: Path | None, extra: list[str] | None = None
) -> tuple[list[str], Path]:
    stats_file = work / f"{name}.stats.json"
    args = [*concurrency_settings(concurrency), "-s", f"DWNEWS_STATS_FILE={stats_file}"]
    if state_dir is None:
        args += ["-s", "DWNEWS_INCREMENTAL=False"]
    else:
        args += ["-s", f"DWNEWS_STATE_DIR={state_dir}"]
    args += ["-O", str(work / f"{name}.jsonl"), *(extra or [])]
    return crawl_command(base_url, "politics", args), stats_file


def project_crawl(
    server: Server,
    concurrency: int,
    work: Path,
    name: str,
    state_dir: Path | None,
    extra: list[str] | None = None,
    prefix: list[str] | None = None,
) -> Measured:
    command, stats_file = project_command(server.base_url, concurrency, work, name, state_dir, extra)
    return run_process([*(prefix or []), *command], work / f"{name}.log", server, stats_file)
