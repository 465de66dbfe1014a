"""Extraction quality and speed: dwnews against fundus, trafilatura and newspaper4k, offline.

Every article fixture with an expected record (``tests/site/*/a-*.expected.json``: 9 Kiswahili
pages from real DW markup, 5 unchanged real DW pages in de/ and en/) is given to each
extractor as HTML with its canonical URL. Each extractor runs in its own interpreter
(``bench/.venvs/<peer>``, made by ``bash bench/setup.sh``; dwnews in the project's python3)
through ``bench/peer_extract.py``, which also times it in process.

Quality: body token precision/recall/F1 against the expected body (bag of ``\\w+`` tokens,
case-folded, NFC), and exact title, published date and author list.

    python3 bench/extraction.py [--repeat 25] [--rounds 2] [--profile-rounds 20]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import re
import statistics
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from common import OUT, ROOT, SITE, md_table, save, venv_python, verdict

PEERS = ["fundus", "trafilatura", "newspaper4k"]
# fundus chooses its DW parser version by crawl date. A page is parsed with the version that was
# current when its markup was served: the legacy layout (div.longText) was served until mid-2023
# (fundus's V1 is valid until 2023-06-12), the current and 2026 layouts get the newest version.
LEGACY_CRAWL_DATE = "2023-04-28"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "′": "'", "ʼ": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def fixtures() -> list[dict[str, Any]]:
    pages = []
    for expected_file in sorted(SITE.glob("*/a-*.expected.json")):
        html_file = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
        expected = json.loads(expected_file.read_text("utf-8"))
        legacy = 'class="longText' in html_file.read_text("utf-8")
        pages.append(
            {
                "id": f"{expected_file.parent.name}/{html_file.stem}",
                "path": str(html_file),
                "url": expected["url"],
                "crawl_date": LEGACY_CRAWL_DATE if legacy else dt.date.today().isoformat(),
                "layout": "legacy" if legacy else "current",
                "expected": expected,
            }
        )
    return pages


# ----- quality --------------------------------------------------------------------------------


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold()))


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    pred, ref = tokens(predicted), tokens(gold)
    overlap = sum((pred & ref).values())
    precision = overlap / sum(pred.values()) if pred else 0.0
    recall = overlap / sum(ref.values()) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def norm(text: Any) -> str:
    text = unicodedata.normalize("NFC", str(text or "")).translate(_QUOTES).replace("''", '"')
    return " ".join(text.split())


def _utc(value: str) -> dt.datetime | dt.date | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 10:
        return dt.date.fromisoformat(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # a naive time is taken as UTC
    return parsed.astimezone(dt.UTC).replace(microsecond=0)


def date_match(predicted: str | None, expected: str | None) -> bool:
    """The expected date at its own precision: the day for a date-only value, else to the second (UTC)."""
    if not expected:
        return not predicted
    if not predicted:
        return False
    want, got = _utc(expected), _utc(predicted)
    if isinstance(want, dt.datetime):
        return isinstance(got, dt.datetime) and got == want
    got_day = got.date() if isinstance(got, dt.datetime) else got
    return got_day == want


def authors_match(predicted: list[str], expected: list[str]) -> bool:
    return {norm(a).casefold() for a in predicted} == {norm(a).casefold() for a in expected}


def score(page: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    expected = page["expected"]
    precision, recall, f1 = prf("\n".join(out["paragraphs"]), expected["body"])
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "title": norm(out["title"]) == norm(expected["title"]),
        "date": date_match(out["published"], expected["published"]),
        "authors": authors_match(out["authors"], expected["authors"]),
    }


# ----- running the extractors ------------------------------------------------------------------


def run_extractor(name: str, python: Path, manifest: Path, repeat: int) -> dict[str, Any]:
    command = [str(python), str(ROOT / "bench" / "peer_extract.py"), name, str(manifest), "--repeat", str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def profile_page_object(pages: list[dict[str, Any]], rounds: int = 20) -> list[dict[str, Any]]:
    """cProfile of dwnews page object + cleaning over the fixtures: share of time per function."""
    from dwnews.core.text import clean_record
    from dwnews.pages.article import ArticlePage

    inputs = [(p["url"], Path(p["path"]).read_text("utf-8")) for p in pages]

    def run() -> None:
        for _ in range(rounds):
            for url, html in inputs:
                clean_record(ArticlePage(url, html).record())

    run()
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in raw.values())
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in raw.items():
        if filename == __file__:
            continue  # the loop above
        where = Path(filename).name if filename.startswith(("/", "<")) else filename
        if "/dwnews/" in filename:
            where = "dwnews/" + filename.split("/dwnews/", 1)[1]
        elif "/lxml/" in filename:
            where = "lxml/" + filename.split("/lxml/", 1)[1]
        rows.append(
            {
                "function": f"{where}:{line}({function})",
                "calls_per_page": calls / (rounds * len(inputs)),
                "self_share": tottime / total,
                "cum_share": cumtime / total,
                "dwnews": "/dwnews/" in filename,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=25, help="timed calls per page (median taken)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every extractor, alternated")
    parser.add_argument(
        "--profile-rounds", type=int, default=20, help="passes over all pages under cProfile (0: no profile)"
    )
    args = parser.parse_args()
    pages = fixtures()
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = OUT / "pages.json"
    manifest.write_text(json.dumps([{k: v for k, v in p.items() if k != "expected"} for p in pages]), "utf-8")

    pythons: dict[str, Path] = {"dwnews-page": Path(sys.executable), "dwnews": Path(sys.executable)}
    missing = []
    for name in PEERS:
        python = venv_python(name)
        if python is None:
            missing.append(name)
        else:
            pythons[name] = python
    # Rounds of all extractors in turn; per page, the better of the rounds' medians: a period of load
    # from other work on the machine then costs one round, not one extractor.
    runs: dict[str, dict[str, Any]] = {}
    for round_no in range(args.rounds):
        for name, python in pythons.items():
            run = run_extractor(name, python, manifest, args.repeat)
            print(f"  round {round_no}: {name} done", file=sys.stderr, flush=True)
            if name not in runs:
                runs[name] = run
                continue
            for kept, new in zip(runs[name]["pages"], run["pages"], strict=True):
                for key in ("ms", "lxml_ms"):
                    kept[key] = min(kept[key], new[key])
    by_id = {p["id"]: p for p in pages}
    scores = {name: {r["id"]: score(by_id[r["id"]], r) for r in run["pages"]} for name, run in runs.items()}
    timing = {name: {r["id"]: r for r in run["pages"]} for name, run in runs.items()}
    names = list(runs)
    peers = [n for n in PEERS if n in runs]
    ids = [p["id"] for p in pages]
    sw_ids = [i for i in ids if i.startswith("sw/")]
    real_ids = [i for i in ids if not i.startswith("sw/")]

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else float("nan")

    # --- quality tables
    quality_rows = []
    for name in names:
        s = scores[name]
        quality_rows.append(
            [
                name,
                *(
                    f"{v:.3f}"
                    for v in (
                        mean([s[i]["precision"] for i in ids]),
                        mean([s[i]["recall"] for i in ids]),
                        mean([s[i]["f1"] for i in ids]),
                        mean([s[i]["f1"] for i in sw_ids]),
                        mean([s[i]["f1"] for i in real_ids]),
                        min(s[i]["f1"] for i in ids),
                    )
                ),
                f"{sum(s[i]['title'] for i in ids)}/{len(ids)}",
                f"{sum(s[i]['date'] for i in ids)}/{len(ids)}",
                f"{sum(s[i]['authors'] for i in ids)}/{len(ids)}",
            ]
        )
    per_page_rows = []
    goal_pages_ok = 0
    for i in ids:
        best_peer = max((scores[n][i]["f1"] for n in peers), default=0.0)
        ours = scores["dwnews"][i]["f1"]
        ok = ours >= best_peer - 1e-9
        goal_pages_ok += ok
        per_page_rows.append(
            [i, by_id[i]["layout"], *[f"{scores[n][i]['f1']:.3f}" for n in names], "yes" if ok else "**no**"]
        )
    sw_min = min(scores["dwnews"][i]["f1"] for i in sw_ids)

    # --- speed tables
    speed_rows = []
    summary: dict[str, dict[str, float]] = {}
    for name in names:
        t = timing[name]
        ms = [t[i]["ms"] for i in ids]
        sw_ms = [t[i]["ms"] for i in sw_ids]
        lx = [t[i]["lxml_ms"] for i in ids]
        summary[name] = {
            "median_ms": statistics.median(ms),
            "mean_ms": mean(ms),
            "sw_median_ms": statistics.median(sw_ms),
            "lxml_median_ms": statistics.median(lx),
        }
        speed_rows.append(
            [
                name,
                runs[name]["versions"].get("lxml", "?"),
                summary[name]["median_ms"],
                summary[name]["mean_ms"],
                summary[name]["sw_median_ms"],
                1000 / summary[name]["mean_ms"],
                summary[name]["lxml_median_ms"],
                summary[name]["median_ms"] / summary[name]["lxml_median_ms"],
            ]
        )
    per_page_speed = [
        [i, *[f"{timing[n][i]['ms']:.2f}" for n in names], f"{timing['dwnews'][i]['lxml_ms']:.2f}"] for i in ids
    ]

    versions = {n: runs[n]["versions"] for n in names}
    ours = summary["dwnews"]
    ours_page = summary["dwnews-page"]
    goals = [
        [
            "Body F1 >= best peer on every page",
            f"{goal_pages_ok}/{len(ids)} pages",
            verdict(goal_pages_ok == len(ids)),
        ],
        ["Body F1 >= 0.99 on every Kiswahili fixture", f"min {sw_min:.3f}", verdict(sw_min >= 0.99)],
    ]
    per_page_ratio: dict[str, list[float]] = {}
    if "fundus" in summary:
        ratio = ours["median_ms"] / summary["fundus"]["median_ms"]
        faster = sum(timing["dwnews"][i]["ms"] < timing["fundus"][i]["ms"] for i in ids)
        per_page_ratio["fundus"] = [timing["dwnews"][i]["ms"] / timing["fundus"][i]["ms"] for i in ids]
        goals.append(
            [
                "Faster than fundus's DW parser on every page",
                f"{ours['median_ms']:.2f} vs {summary['fundus']['median_ms']:.2f} ms median "
                f"(x{ratio:.2f}; faster on {faster}/{len(ids)} pages; page object alone "
                f"{ours_page['median_ms']:.2f} ms)",
                verdict(faster == len(ids)),
            ]
        )
    if "trafilatura" in summary:
        # issue 13's goal: 5x on the median page (the earlier 10x-per-page goal and "within 3x of a
        # bare lxml parse" are dropped: a polite crawl is bound by the network, not by extraction)
        speedup = [timing["trafilatura"][i]["ms"] / timing["dwnews"][i]["ms"] for i in ids]
        median_speedup = summary["trafilatura"]["median_ms"] / ours["median_ms"]
        goals.append(
            [
                ">= 5x faster than trafilatura on the median page",
                f"{summary['trafilatura']['median_ms']:.1f} vs {ours['median_ms']:.2f} ms: x{median_speedup:.1f} "
                f"(per page x{min(speedup):.1f} to x{max(speedup):.1f})",
                verdict(median_speedup >= 5),
            ]
        )

    profile_rows = profile_page_object(pages, args.profile_rounds) if args.profile_rounds else []
    by_self = sorted(profile_rows, key=lambda r: -r["self_share"])[:12]
    hot_rows = [[h["function"], f"{h['calls_per_page']:.1f}", f"{100 * h['self_share']:.1f}%"] for h in by_self]
    skip_cum = ("(record)", "(__get__)")
    by_cum = sorted(
        (r for r in profile_rows if r["dwnews"] and not r["function"].endswith(skip_cum)), key=lambda r: -r["cum_share"]
    )[:15]
    cum_rows = [[h["function"], f"{h['calls_per_page']:.1f}", f"{100 * h['cum_share']:.1f}%"] for h in by_cum]

    md = [
        f"### Extraction quality ({len(ids)} fixtures: {len(sw_ids)} Kiswahili from real DW markup, "
        f"{len(real_ids)} real de/en DW pages)",
        "",
        "Body: bag-of-tokens (`\\w+`, case-folded, NFC) precision/recall/F1 against the expected body. "
        "Title, date (at the expected precision, UTC) and author set: exact after NFC, quote and whitespace "
        "normalisation. `dwnews` = page object + `clean_record` (the exported record); `dwnews-page` = "
        "page object alone.",
        "",
        md_table(
            ["extractor", "P", "R", "F1 all", "F1 sw", "F1 de/en", "F1 min", "title", "date", "authors"],
            quality_rows,
        ),
        "",
        "Versions (each peer in its own environment, bench/.venvs/<peer>): "
        + "; ".join(
            f"{n}: " + ", ".join(f"{k} {v}" for k, v in versions[n].items()) for n in names if n != "dwnews-page"
        )
        + ". fundus parses each page with the DW parser version current when that markup was served "
        f"(legacy layout: crawl date {LEGACY_CRAWL_DATE}, i.e. `V1`; current and 2026 layouts: the newest, `V2_1`).",
        "",
        "Body F1 per page (`ok` = dwnews at least as high as the best peer):",
        "",
        md_table(["page", "layout", *names, "ok"], per_page_rows),
        "",
        f"### Extraction speed (ms per page: median of {args.repeat} warm in-process calls, the better of "
        f"{args.rounds} alternated rounds)",
        "",
        md_table(
            [
                "extractor",
                "lxml",
                "median ms",
                "mean ms",
                "sw median ms",
                "pages/s/core",
                "bare lxml parse ms (same env)",
                "x bare lxml",
            ],
            speed_rows,
        ),
        "",
        md_table(["page", *[f"{n} ms" for n in names], "bare lxml ms"], per_page_speed),
        "",
        "### Extraction goals",
        "",
        md_table(["goal", "measured", "verdict"], goals),
        "",
        "### Where the page object's time goes (cProfile, page object + cleaning, all fixtures)",
        "",
        md_table(["function (self time)", "calls/page", "share"], hot_rows),
        "",
        "dwnews functions by cumulative time (callees included; they overlap):",
        "",
        md_table(["function (cumulative)", "calls/page", "share"], cum_rows),
    ]
    data = {
        "versions": versions,
        "missing_peers": missing,
        "scores": scores,
        "timing": timing,
        "summary": summary,
        "goals": goals,
        "profile": profile_rows,
        "outputs": {n: runs[n]["pages"] for n in names},
    }
    if missing:
        md.insert(0, f"Peers not installed (run `bash bench/setup.sh`): {', '.join(missing)}\n")
    save("extraction", data, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
