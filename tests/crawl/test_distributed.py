"""Distributed crawling on a real Redis: several `scrapy crawl politics` workers share one crawl.

Against a synthetic mirror of 600 articles made from the real-markup fixtures.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from dwnews.commands.state import main as state_main
from dwnews.mirror import PROJECT_ROOT, Fault, MirrorServer, SyntheticSite
from tests.helpers import POLITICS, SITE, crawl_args, free_port, politics_ids, read_result, run_crawl, wait_until

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

ARTICLES = 600


def worker_args(redis_url: str) -> tuple[str, ...]:
    return (
        "-s",
        f"DWNEWS_REDIS_URL={redis_url}",
        "-s",
        "DOWNLOAD_DELAY=0.01",
        "-s",
        "DWNEWS_REDIS_IDLE_TIMEOUT=2",
        "-s",
        "DWNEWS_REDIS_WORKER_TIMEOUT=4",
        "-s",
        "LOG_LEVEL=INFO",
    )


def start(server: MirrorServer, run_dir: Path, redis_url: str) -> subprocess.Popen[str]:
    command = crawl_args(server.base_url, "politics", run_dir, *worker_args(redis_url))
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, stderr=(run_dir.parent / f"{run_dir.name}.log").open("w"), text=True
    )


def exported(run_dirs: list[Path]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for run_dir in run_dirs:
        for item in read_result(run_dir, 0, "").items:
            counts[item["content_id"]] += 1
    return counts


def test_three_workers_export_every_politics_article_exactly_once(redis_url: str, tmp_path: Path) -> None:
    site = SyntheticSite(SITE, articles=ARTICLES, sections=8)
    with MirrorServer(SITE, synthetic=site) as server:
        runs = [tmp_path / f"worker{n}" for n in range(3)]
        workers = [start(server, run_dir, redis_url) for run_dir in runs]
        codes = [worker.wait(300) for worker in workers]
        downloads = Counter(p for p in server.paths(200) if "/a-" in p)
        home_requests = [p for p in server.paths() if p.endswith("/s-11588")]
    assert codes == [0, 0, 0]
    counts = exported(runs)
    assert set(counts) == politics_ids(site)
    assert max(counts.values()) == 1
    per_worker = [len(read_result(r, 0, "").items) for r in runs]
    assert sum(1 for n in per_worker if n) >= 2, f"the work was shared: {per_worker}"
    assert len(home_requests) == 1, "discovery seeds the queue once"
    assert sum(downloads.values()) == ARTICLES, "each article downloaded once"


def test_a_worker_killed_mid_crawl_loses_nothing(redis_url: str, tmp_path: Path) -> None:
    rng = random.Random(20261130)
    site = SyntheticSite(SITE, articles=ARTICLES, sections=8)
    with MirrorServer(SITE, synthetic=site) as server:
        runs = [tmp_path / f"worker{n}" for n in range(3)]
        workers = [start(server, run_dir, redis_url) for run_dir in runs]
        # killed at a point of progress (articles downloaded by all), never after a delay
        target = rng.randint(ARTICLES // 10, ARTICLES // 3)
        wait_until(lambda: sum(1 for p in server.paths(200) if "/a-" in p) >= target, what="downloads")
        assert workers[0].poll() is None, "the victim must still be at work"
        workers[0].kill()  # SIGKILL: no clean-up of any kind
        workers[0].wait(30)
        restarted = tmp_path / "worker0-restarted"
        workers.append(start(server, restarted, redis_url))
        codes = [worker.wait(300) for worker in workers[1:]]
    assert codes == [0, 0, 0]
    counts = exported([*runs[1:], restarted])  # the killed worker's feed never became a feed file
    assert not (runs[0] / "items.jsonl").exists(), "a killed worker's feed is never complete"
    assert set(counts) == politics_ids(site), f"lost: {sorted(politics_ids(site) - set(counts))[:5]}"
    assert max(counts.values()) == 1, f"twice: {[k for k, v in counts.items() if v > 1][:5]}"
    # the distributed ledger holds the corpus: every politics article once, with its record
    corpus_file = tmp_path / "corpus.jsonl"
    assert state_main(["--redis-url", redis_url, "export", "-O", str(corpus_file)]) == 0
    corpus = [json.loads(line) for line in corpus_file.read_text("utf-8").splitlines()]
    assert Counter(r["content_id"] for r in corpus) == Counter(politics_ids(site))


def test_redis_unreachable_is_a_clear_error_at_start(mirror: MirrorServer, tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-s", f"DWNEWS_REDIS_URL={nowhere}")
    assert result.returncode == 2
    errors = [line for line in result.log.splitlines() if line.startswith("dwnews: ")]
    assert len(errors) == 1 and f"DWNEWS_REDIS_URL={nowhere}: Redis does not answer" in errors[0]
    assert mirror.paths() == []


def test_redis_lost_mid_crawl_exits_4_with_one_line(tmp_path: Path) -> None:
    """The Redis a worker shares dies while it works: exit 4, one line, no traceback, nothing exported."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    release = threading.Event()
    try:
        wait_until(lambda: _listening(port), what="redis-server")
        with MirrorServer(SITE) as server:
            server.faults["sw/a-66808855"] = Fault("block", release=release, seconds=120)
            run_dir = tmp_path / "worker"
            worker = start(server, run_dir, f"redis://127.0.0.1:{port}/0")
            # discovery done, the article held by the mirror: the worker is mid-crawl
            wait_until(lambda: any(p.endswith("/s-11588") for p in server.paths(200)), what="the home page")
            redis.kill()
            redis.wait(30)
            release.set()
            code = worker.wait(120)
    finally:
        release.set()
        redis.kill()
    log = (tmp_path / "worker.log").read_text()
    assert code == 4, log[-3000:]
    faults = [line for line in log.splitlines() if "dwnews: storage fault" in line]
    assert len(faults) == 1 and "Redis" in faults[0] and "ConnectionError" in faults[0], faults
    assert "Traceback" not in log, log[-3000:]
    assert not (run_dir / "items.jsonl").exists(), "no feed whose articles could not be recorded"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_feed_that_could_not_be_put_in_place_is_not_exported_in_redis(redis_url: str, tmp_path: Path) -> None:
    """The Redis fence records a feed's articles before the rename; a rename that fails undoes it."""
    from dwnews.store.redis import ARTICLES_KEY, RECORDS_KEY, RedisLedger
    from tests.helpers import real_records

    ledger = RedisLedger(redis_url, "dwnews:test")
    ledger.start_run()
    records = real_records()[:2]
    for record in records:
        assert ledger.stage(record) is None
    ids = [r["short_id"] for r in records]
    assert ledger.fence(tmp_path / "f.jsonl", ids) == set(ids)
    assert all(ledger.redis.hexists(ARTICLES_KEY, i) for i in ids)
    ledger.unfence(tmp_path / "f.jsonl", set(ids))
    assert not any(ledger.redis.hexists(ARTICLES_KEY, i) or ledger.redis.hexists(RECORDS_KEY, i) for i in ids)
    ledger.finish_run()
    ledger.close()


def test_a_pickled_payload_in_the_queue_runs_nothing_and_costs_only_itself(redis_url: str, tmp_path: Path) -> None:
    """Anyone who can write to the shared Redis pushes a pickled __reduce__: the worker drops it,
    counts it, and exports every politics article all the same."""
    import pickle

    import redis

    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, (f"touch {marker}",))

    client = redis.Redis.from_url(redis_url)
    client.lpush("dwnews:politics:requests", pickle.dumps(Boom()), b'{"url": "http://x/a", "_class": "os.system"}')
    with MirrorServer(SITE) as server:
        result = run_crawl(server.base_url, "politics", tmp_path / "w", *worker_args(redis_url))
    assert not marker.exists(), "the payload never ran"
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("dwnews/redis/bad_entry") == 2
    assert {item["content_id"] for item in result.items} == POLITICS


def test_a_redis_password_is_never_logged(mirror: MirrorServer, tmp_path: Path) -> None:
    nowhere = f"redis://worker:S3cret-pw@127.0.0.1:{free_port()}/0"
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-s", f"DWNEWS_REDIS_URL={nowhere}")
    assert result.returncode == 2
    assert "S3cret-pw" not in result.log, "not in the error, not in Scrapy's overridden settings"
    assert "redis://worker:***@127.0.0.1" in result.log


def test_queue_entries_that_would_steer_a_worker_cost_only_themselves(redis_url: str, tmp_path: Path) -> None:
    """Valid JSON, but meta a worker must not obey: a proxy of the sender's choosing (whose page would
    be exported as a dw.com article), robots.txt switched off, a POST, an unknown callback argument.
    Each is refused and counted; the other server sees no connection; the crawl exports every politics
    article and exits 0."""
    import json

    import redis

    with MirrorServer(SITE) as server, MirrorServer(SITE) as other:
        base = server.base_url
        article = {"dwnews_page": "article", "dwnews_content_id": 99000001, "dwnews_short_id": "6hOQD"}
        entries = [
            {
                "url": f"{base}/sw/x/a-99000001",
                "callback": "parse_article",
                "meta": {**article, "proxy": other.base_url},
            },
            {
                "url": f"{base}/sw/kumbukumbu/s-12759",
                "callback": "parse_listing",
                "cb_kwargs": {"follow_sections": False},
                "meta": {"dwnews_page": "listing", "dont_obey_robotstxt": True},
            },
            {"url": f"{base}/sw/x/a-99000001", "callback": "parse_article", "method": "POST", "meta": article},
            {"url": f"{base}/sw/s-11588", "callback": "parse_listing", "cb_kwargs": {"follow_sections": True, "x": 1}},
        ]
        client = redis.Redis.from_url(redis_url)
        client.lpush("dwnews:politics:requests", *[json.dumps(entry) for entry in entries])
        result = run_crawl(base, "politics", tmp_path / "w", *worker_args(redis_url))
        assert other.requests == [], "no connection to the server the entry named"
        assert not [path for path in server.paths() if "kumbukumbu" in path], "robots.txt still obeyed"
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("dwnews/redis/bad_entry") == 4
    assert result.stat("dwnews/redis/bad_entry/meta") == 2 and result.stat("dwnews/redis/bad_entry/kwargs") == 1
    assert {item["content_id"] for item in result.items} == POLITICS
    assert not [item for item in result.items if item["content_id"] == 99000001]
