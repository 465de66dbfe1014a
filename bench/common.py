"""Helpers shared by the benchmark scripts: paths, machine facts, Markdown tables, results files."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Results and work files; DWNEWS_BENCH_OUT puts them elsewhere (the CI smoke test: a temporary dir,
# so that it never overwrites a real run's results).
OUT = Path(os.environ.get("DWNEWS_BENCH_OUT") or BENCH / "out").resolve()
SITE = ROOT / "tests" / "site"
VENVS = BENCH / ".venvs"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def venv_python(name: str) -> Path | None:
    python = VENVS / name / "bin" / "python"
    return python if python.exists() else None


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for package in ("scrapy", "twisted", "lxml", "py-spy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        **versions,
    }


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def save(name: str, data: Any, markdown: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), "utf-8")
    (OUT / f"{name}.md").write_text(markdown.rstrip() + "\n", "utf-8")
    print(markdown, flush=True)
