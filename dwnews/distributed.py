"""Distributed crawling on Redis: several workers share one crawl (scrapy-redis), exactly once.

Switched on by ``DWNEWS_REDIS_URL`` (``redis://host:port/db``). Then:

- scrapy-redis's scheduler and dupefilter hold the crawl's request queue and seen requests in
  Redis (keys ``dwnews:<crawl>:requests`` and ``dwnews:<crawl>:dupefilter``, ``<crawl>`` being
  ``DWNEWS_REDIS_CRAWL``, by default the spider's name): every ``scrapy crawl politics`` started
  with the same settings is a worker of the same crawl, discovery is done once, workers drain the
  queue;
- the cross-run article store lives in Redis too (``dwnews:articles``), so workers on different
  machines never export the same article twice, and later crawls skip what earlier ones exported;
- a worker takes an article when it pops its request from the queue (an atomic claim), and keeps
  every request it popped in its in-flight list until the work is done: a page until its links are
  queued, an article until the feed holding it is complete on disk (or it was found not politics,
  or it failed). Each worker beats a heartbeat every second (from a thread); a worker silent for
  ``DWNEWS_REDIS_WORKER_TIMEOUT`` seconds is dead (SIGKILL, power loss) and the others put its
  in-flight requests back in the queue. So a killed worker loses nothing, and since an article's
  export counts only once its feed is on disk, nothing is exported twice. Should a live worker be
  taken for dead (a heartbeat thread starved for longer than the timeout), its feed is fenced when
  it closes: articles another worker took over meanwhile are left out of it;
- a worker ends when the queue is empty, no live worker has work in flight and it has been idle
  for ``DWNEWS_REDIS_IDLE_TIMEOUT`` seconds; the last one to leave clears the crawl's queue keys,
  so the next scheduled crawl starts afresh (and skips, through the article store, what is known).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from dwnews import urls
from dwnews.incremental import LedgerOwner
from dwnews.ledger import (
    CLAIMED_ELSEWHERE,
    EXPORTED,
    NEW,
    REVISED,
    SKIPPED,
    Claim,
    StorageError,
    in_range,
    instant,
    record_json,
)

logger = logging.getLogger(__name__)

ARTICLES_KEY = "dwnews:articles"
RECORDS_KEY = "dwnews:records"  # short id -> the exported record (latest revision)
FAILURES_KEY = "dwnews:failures"  # short id -> {"path", "reason", "attempts", "given_up"}

# Commit a worker's finished feed: an article counts as its export only if no other worker took it
# over in the meantime (this worker was wrongly thought dead, its work handed out again).
# A revision (ARGV[i + 2] == '1') replaces the exported record. The record itself comes from the
# worker's staged hash; an article whose staged record is gone (the worker was taken for dead and
# its work handed out again, staged records and all) is not this feed's.
# The link date that led to the download (KEYS[6]) becomes the article's lastmod_seen only now, so
# a revision whose download failed is fetched again by a later crawl.
# KEYS: articles, claims, staged, records, failures, link dates; ARGV: me, feed, then (short id,
# modified, revision) triples. Returns the accepted ids.
_COMMIT = """
local accepted = {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local owner = redis.call('HGET', KEYS[2], id)
  local known = redis.call('HGET', KEYS[1], id)
  local revision = ARGV[i + 2] == '1' and known and cjson.decode(known).status == 'exported'
  local staged = redis.call('HGET', KEYS[3], id)
  if staged and (not known or revision) and (not owner or owner == ARGV[1]) then
    local entry = {status='exported', feed=ARGV[2], modified=ARGV[i + 1], worker=ARGV[1]}
    local seen = redis.call('HGET', KEYS[6], id)
    if not seen and known then seen = cjson.decode(known).lastmod_seen end
    if seen then entry.lastmod_seen = seen end
    redis.call('HSET', KEYS[1], id, cjson.encode(entry))
    redis.call('HSET', KEYS[4], id, staged)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[6], id)
    table.insert(accepted, id)
  end
end
return accepted
"""

# Take an article for this worker, unless exported/skipped, already this worker's (the same article
# queued under another slug), or claimed by a live worker.
# KEYS: articles, claims, workers, my in-flight; ARGV: short id, me, now, timeout, encoded request
_TAKE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner == ARGV[2] then return 0 end
if owner then
  local beat = redis.call('HGET', KEYS[3], owner)
  if beat and tonumber(beat) > tonumber(ARGV[3]) - tonumber(ARGV[4]) then return -1 end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], 'a:' .. ARGV[1], ARGV[5])
return 1
"""


def enabled(settings: BaseSettings) -> bool:
    return bool(settings.get("DWNEWS_REDIS_URL"))


def crawl_key(settings: BaseSettings, spider_name: str) -> str:
    return f"dwnews:{settings.get('DWNEWS_REDIS_CRAWL') or spider_name}"


def configure(settings: BaseSettings, spider_name: str) -> None:
    """Put scrapy-redis's scheduler (our recovering subclass) and dupefilter in the settings."""
    if not enabled(settings):
        return
    key = crawl_key(settings, spider_name)
    for name, value in {
        "SCHEDULER": "dwnews.distributed.RecoveringScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        # JSON, never pickle: a queue entry is data, whoever wrote it (dwnews.redis_json)
        "SCHEDULER_SERIALIZER": "dwnews.redis_json",
        "SCHEDULER_QUEUE_KEY": f"{key}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{key}:dupefilter",
        "REDIS_URL": settings.get("DWNEWS_REDIS_URL"),
    }.items():
        settings.set(name, value, priority="spider")
    extensions = {**settings.getdict("EXTENSIONS"), "dwnews.distributed.WorkerLifecycle": 300}
    settings.set("EXTENSIONS", extensions, priority="spider")
    middlewares = {**settings.getdict("SPIDER_MIDDLEWARES"), "dwnews.distributed.PageDoneMiddleware": 50}
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="spider")


def check_url(redis_url: str) -> str | None:
    """Why a ``DWNEWS_REDIS_URL`` is not a Redis URL at all, or None (whether Redis answers is
    another question, asked when the crawl starts)."""
    try:
        parts = urlsplit(redis_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0..65535
    except ValueError as error:
        return str(error)
    if parts.scheme in ("redis", "rediss") and parts.hostname:
        return None
    if parts.scheme == "unix" and parts.path:
        return None
    return "expected redis://[:PASSWORD@]HOST:PORT/DB, rediss://... (TLS) or unix:///path/to/redis.sock"


def ping(redis_url: str) -> str | None:
    """None when Redis answers, else what went wrong."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return None


class RedisLedger:
    """The article ledger (:class:`dwnews.ledger.Ledger`) and one worker's bookkeeping, in Redis.

    Claims happen when the scheduler hands out an article request (:meth:`take`); ``claim_many``
    only tells the known articles apart before they are queued.
    """

    def __init__(
        self,
        redis_url: str,
        crawl: str,
        revisions: bool = False,
        worker_timeout: float = 15.0,
        crawl_keys: tuple[str, ...] = (),
        max_failures: int = 5,
    ) -> None:
        import redis

        # decode_responses: every value read back is a str (redis-py's types cannot say so)
        self.redis: Any = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30)
        self.location = crawl
        self.max_failures = max_failures
        self.fingerprint: Any = None  # the crawl's request fingerprint, set by the scheduler
        self.revised: set[str] = set()
        self.crawl = crawl
        self.revisions = revisions
        self.worker_timeout = worker_timeout
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.claims_key = f"{crawl}:claims"
        self.lastmod_key = f"{crawl}:lastmod"  # short id -> the link date that queued it
        self.workers_key = f"{crawl}:workers"
        self._take = self.redis.register_script(_TAKE)
        self._commit = self.redis.register_script(_COMMIT)
        self._stop_beating = threading.Event()
        self.crawl_keys = crawl_keys  # the crawl's queue and dupefilter, cleared by the last worker out

    def inflight_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:inflight:{worker or self.worker}"

    def pending_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:pending:{worker or self.worker}"

    def staged_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:staged:{worker or self.worker}"

    # ----- workers ------------------------------------------------------------------------------

    def start_run(self) -> dict[str, int]:
        """Register this worker and beat its heartbeat every second from a thread of its own, so
        that a busy reactor (a long parse, a slow start-up) never makes a live worker look dead."""
        self.heartbeat()

        def beat() -> None:
            failing = False
            while not self._stop_beating.wait(1.0):
                try:
                    self.heartbeat()
                    failing = False
                except Exception as error:  # a Redis hiccup must not end the heartbeat
                    if not failing:  # one line per outage, not one a second
                        logger.warning("Redis heartbeat failed: %s: %s", type(error).__name__, error)
                    failing = True

        threading.Thread(target=beat, name="dwnews-heartbeat", daemon=True).start()
        return {}

    def heartbeat(self) -> None:
        self.redis.hset(self.workers_key, self.worker, f"{time.time():.3f}")

    def live_workers(self) -> list[str]:
        now = time.time()
        beats = self.redis.hgetall(self.workers_key)
        return [w for w, beat in beats.items() if float(beat) > now - self.worker_timeout]

    def dead_workers(self) -> list[str]:
        live = set(self.live_workers())
        return [w for w in self.redis.hkeys(self.workers_key) if w not in live and w != self.worker]

    def recover(self, push: Any) -> int:
        """Put the in-flight requests of dead workers back in the queue; how many."""
        moved = 0
        for dead in self.dead_workers():
            # Whoever deletes the worker's heartbeat first recovers it: one recoverer per dead worker.
            if not self.redis.hdel(self.workers_key, dead):
                continue
            for key in (self.inflight_key(dead), self.pending_key(dead)):
                for field, encoded in self.redis.hgetall(key).items():
                    if field.startswith("a:"):
                        short_id = field[2:]
                        # an exported one may be a revision: take() tells (known ones are not taken)
                        self.redis.hdel(self.claims_key, short_id)
                    push(encoded)
                    moved += 1
                self.redis.delete(key)
            self.redis.delete(self.staged_key(dead))
            logger.warning("Worker %s is gone: %d of its requests are back in the queue", dead, moved)
        return moved

    def busy_elsewhere(self) -> bool:
        """Does a live worker other than this one have pages or articles in progress?"""
        return any(self.redis.hlen(self.inflight_key(w)) for w in self.live_workers() if w != self.worker)

    def finish_run(self, status: str = "finished") -> None:
        self._stop_beating.set()
        own_claims = [f[2:] for f in self.redis.hkeys(self.inflight_key()) if f.startswith("a:")]
        own_claims += [f[2:] for f in self.redis.hkeys(self.pending_key()) if f.startswith("a:")]
        if own_claims:
            self.redis.hdel(self.claims_key, *own_claims)
        self.redis.delete(self.inflight_key(), self.pending_key(), self.staged_key())
        self.redis.hdel(self.workers_key, self.worker)
        if not self.live_workers() and not self.redis.llen(self.crawl_keys[0] if self.crawl_keys else "-"):
            # The last worker out clears the crawl's keys: the next crawl starts afresh.
            self.redis.delete(*self.crawl_keys, self.claims_key, self.workers_key, self.lastmod_key)

    def queued(self) -> int:
        return int(self.redis.llen(self.crawl_keys[0])) if self.crawl_keys else 0

    def page_failed(self, request: Request) -> None:
        """A page request ended in an error: its work is over (articles: see :meth:`release`)."""
        if request.meta.get("dwnews_page") != "article" and self.fingerprint is not None:
            self.page_done(self.fingerprint(request))

    def close(self) -> None:
        self.redis.close()

    # ----- articles -----------------------------------------------------------------------------

    def claim_many(self, claims: Iterable[Claim]) -> dict[str, str]:
        """Known articles are skipped before they are queued; the claim itself is :meth:`take`."""
        items = list(claims)
        if not items:
            return {}
        records = self.redis.hmget(ARTICLES_KEY, [c.short_id for c in items])
        answers = {}
        for claim, raw in zip(items, records, strict=True):
            short_id, lastmod = claim.short_id, claim.lastmod
            if raw is None:
                answers[short_id] = NEW
                if lastmod:
                    self.redis.hset(self.lastmod_key, short_id, lastmod)
                continue
            record = json.loads(raw)
            status = record.get("status", EXPORTED)
            seen = max(instant(record.get("modified")), instant(record.get("lastmod_seen")))
            if status == EXPORTED and self.revisions and lastmod and instant(lastmod) > seen:
                self.redis.hset(self.lastmod_key, short_id, lastmod)  # seen once the revision is exported
                answers[short_id] = REVISED
            else:
                answers[short_id] = status
        return answers

    def take(self, short_id: str, encoded_request: str, revision: bool = False) -> int:
        """Claim an article popped from the queue: 1 taken, 0 known, -1 a live worker has it."""
        if revision:
            self.revised.add(short_id)
            self.redis.hset(self.claims_key, short_id, self.worker)
            self.redis.hset(self.inflight_key(), f"a:{short_id}", encoded_request)
            return 1
        args = [short_id, self.worker, f"{time.time():.3f}", str(self.worker_timeout), encoded_request]
        keys = [ARTICLES_KEY, self.claims_key, self.workers_key, self.inflight_key()]
        return int(self._take(keys=keys, args=args))

    def scraped(self, short_id: str) -> None:
        """An article's record is on its way to the feed: no longer in progress, not yet exported."""
        encoded = self.redis.hget(self.inflight_key(), f"a:{short_id}")
        if encoded is not None:
            self.redis.hset(self.pending_key(), f"a:{short_id}", encoded)
            self.redis.hdel(self.inflight_key(), f"a:{short_id}")

    def mark_skipped(self, short_id: str, content_id: int | None, reason: str) -> None:
        record = json.dumps({"status": SKIPPED, "reason": reason})
        self.redis.hsetnx(ARTICLES_KEY, short_id, record)
        self._article_done(short_id)

    def release(self, short_id: str) -> None:
        """Give an article up, unless staged: then it is on its way into this worker's feed."""
        if self.redis.hexists(self.staged_key(), short_id):
            return
        self._article_done(short_id)

    def _article_done(self, short_id: str) -> None:
        self.redis.hdel(self.claims_key, short_id)
        self.redis.hdel(self.inflight_key(), f"a:{short_id}")

    def stage(self, record: dict[str, Any]) -> str | None:
        short_id = str(record["short_id"])
        known = self.redis.hget(ARTICLES_KEY, short_id)
        if known is not None and json.loads(known).get("status") == EXPORTED and short_id not in self.revised:
            return EXPORTED
        owner = self.redis.hget(self.claims_key, short_id)
        if owner and owner != self.worker and owner in self.live_workers():
            return CLAIMED_ELSEWHERE
        self.redis.hset(self.claims_key, short_id, self.worker)
        self.redis.hset(self.staged_key(), short_id, record_json(record))
        return None

    # ----- failures -------------------------------------------------------------------------------

    def record_failure(self, short_id: str, path: str, reason: str) -> bool:
        raw = self.redis.hget(FAILURES_KEY, short_id)
        entry = json.loads(raw) if raw else {"attempts": 0}
        attempts = int(entry.get("attempts", 0)) + 1
        given_up = attempts >= self.max_failures
        entry = {"path": path, "reason": reason, "attempts": attempts, "given_up": given_up}
        self.redis.hset(FAILURES_KEY, short_id, json.dumps(entry))
        return not given_up

    def failures_to_retry(self) -> list[tuple[str, str]]:
        entries = [(k, json.loads(v)) for k, v in self.redis.hgetall(FAILURES_KEY).items()]
        return [(k, str(e["path"])) for k, e in sorted(entries) if not e.get("given_up") and e.get("path")]

    def failures(self) -> list[dict[str, Any]]:
        return [{"short_id": k, **json.loads(v)} for k, v in sorted(self.redis.hgetall(FAILURES_KEY).items())]

    # ----- the corpus -----------------------------------------------------------------------------

    def records(self, since: str | None = None, until: str | None = None) -> Iterator[dict[str, Any]]:
        """Every exported record, ordered by ``published``: the order is found first, then the
        records are read in chunks, so the whole corpus is never held in memory at once."""
        import redis

        order: list[tuple[bool, str, str]] = []
        try:
            for short_id, raw in self.redis.hscan_iter(RECORDS_KEY, count=500):
                published = json.loads(raw).get("published")
                if in_range(published, since, until):
                    order.append((published is None, published or "", short_id))
            order.sort()
            for start in range(0, len(order), 500):
                chunk = [short_id for _, _, short_id in order[start : start + 500]]
                for raw in self.redis.hmget(RECORDS_KEY, chunk):
                    if raw is not None:
                        yield json.loads(raw)
        except redis.RedisError as error:
            raise StorageError(f"Redis ledger {self.location}", f"{type(error).__name__}: {error}") from None

    def forget(self, short_ids: Iterable[str]) -> int:
        ids = list(short_ids)
        if not ids:
            return 0
        self.redis.hdel(RECORDS_KEY, *ids)
        return int(self.redis.hdel(ARTICLES_KEY, *ids))

    def forget_all(self) -> int:
        count = int(self.redis.hlen(ARTICLES_KEY))
        self.redis.delete(ARTICLES_KEY, RECORDS_KEY)
        return count

    def page_done(self, fingerprint: str) -> None:
        self.redis.hdel(self.inflight_key(), f"p:{fingerprint}")

    def page_taken(self, fingerprint: str, encoded_request: str) -> None:
        self.redis.hset(self.inflight_key(), f"p:{fingerprint}", encoded_request)

    # ----- feeds ----------------------------------------------------------------------------------

    def feed_opened(self, target: Any, part: Any, feed_format: str) -> None:
        pass  # a worker's unfinished feed is its own: its articles stay in its in-flight lists

    def feed_aborted(self, target: Any) -> None:
        pass  # its articles stay in the in-flight lists: released when the worker ends

    def fence(self, target: Any, short_ids: list[str]) -> set[str]:
        """Record a finished feed's articles as exported, except those another worker has taken
        over; returns the accepted short ids (the feed keeps only those)."""
        if not short_ids:
            return set()
        staged = self.redis.hmget(self.staged_key(), short_ids)
        args = [self.worker, str(target)]
        for short_id, raw in zip(short_ids, staged, strict=True):
            record = json.loads(raw) if raw else {}
            modified = record.get("modified") or record.get("published") or ""
            args += [short_id, modified, "1" if short_id in self.revised else "0"]
        keys = [ARTICLES_KEY, self.claims_key, self.staged_key(), RECORDS_KEY, FAILURES_KEY, self.lastmod_key]
        accepted = {str(a) for a in self._commit(keys=keys, args=args)}
        pipe = self.redis.pipeline()
        for short_id in short_ids:
            pipe.hdel(self.pending_key(), f"a:{short_id}")
            pipe.hdel(self.inflight_key(), f"a:{short_id}")
        pipe.execute()
        return accepted

    def unfence(self, target: Any, short_ids: set[str]) -> None:
        """The feed :meth:`fence` recorded could not be put in place: its articles are not exported
        after all (a later crawl downloads them again). A revision's earlier record cannot be
        brought back: the revised one stays, and is said so."""
        fresh = [s for s in short_ids if s not in self.revised]
        if fresh:
            self.redis.hdel(ARTICLES_KEY, *fresh)
            self.redis.hdel(RECORDS_KEY, *fresh)
        if len(fresh) < len(short_ids):
            logger.warning(
                "%d revised articles of %s stay recorded in their new revision", len(short_ids) - len(fresh), target
            )

    def feed_stored(self, target: Any, short_ids: list[str]) -> int:
        """Nothing left to record: :meth:`fence` did it before the feed was renamed into place."""
        return len(short_ids)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for raw in self.redis.hvals(ARTICLES_KEY):
            status = json.loads(raw).get("status", EXPORTED)
            counts[status] = counts.get(status, 0) + 1
        return counts


def _redis_guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """A Redis error in a ledger call becomes one :class:`StorageError` (no URL: it may hold a password)."""

    def call(self: RedisLedger, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as error:
            raise StorageError(
                f"Redis ledger {self.location}", urls.redact(f"{type(error).__name__}: {error}")
            ) from None

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


for _name in (
    "start_run",
    "finish_run",
    "claim_many",
    "take",
    "scraped",
    "mark_skipped",
    "release",
    "stage",
    "record_failure",
    "failures_to_retry",
    "failures",
    "fence",
    "counts",
    "forget",
    "forget_all",
    "page_failed",
    "unfence",
    "page_done",
    "page_taken",
    "recover",
    "queued",
    "busy_elsewhere",
    "dead_workers",
):
    setattr(RedisLedger, _name, _redis_guarded(getattr(RedisLedger, _name)))


class RecoveringScheduler(RedisScheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler that claims what it hands out and recovers dead workers' work.

    It is the component that needs Redis, so it is the one that checks Redis answers (when the
    engine is built, before any request; building the spider does no network I/O).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecoveringScheduler:
        url = crawler.settings.get("DWNEWS_REDIS_URL")
        problem = ping(url)
        if problem:
            from dwnews.spiders.base import ArgumentError, fail_at_start

            fail_at_start(
                getattr(crawler.spidercls, "name", "crawl"),
                ArgumentError(
                    f"DWNEWS_REDIS_URL={urls.redact(url)}: Redis does not answer ({urls.redact(problem)}); "
                    "start it (redis-server) "
                    "or leave DWNEWS_REDIS_URL unset for a single process"
                ),
            )
        scheduler: RecoveringScheduler = super().from_crawler(crawler)
        return scheduler

    def open(self, spider: Spider) -> Any:
        result = super().open(spider)
        self.owner = LedgerOwner.of(spider.crawler)
        self.fingerprint = fingerprinter(spider.crawler)
        self.store: RedisLedger | None = None
        try:
            store = self.owner.ledger
        except StorageError:
            return result  # reported: the crawl stops, nothing is handed out
        assert isinstance(store, RedisLedger)
        self.store = store
        store.fingerprint = self.fingerprint
        return result

    def _lost(self, error: Exception) -> None:
        if isinstance(error, StorageError):
            self.owner.fault(error)
        else:
            self.owner.fault(StorageError(f"Redis queue {self.queue_key}", f"{type(error).__name__}: {error}"))

    def next_request(self) -> Request | None:
        import redis

        if self.store is None or self.owner.stopped:
            return None
        try:
            return self._next_request(self.store)
        except (StorageError, redis.RedisError) as error:
            self._lost(error)
            return None

    def enqueue_request(self, request: Request) -> bool:
        import redis

        if self.owner.stopped:
            return False
        try:
            return bool(super().enqueue_request(request))
        except redis.RedisError as error:
            self._lost(error)
            return False

    def has_pending_requests(self) -> bool:
        import redis

        if self.owner.stopped:
            return False
        try:
            return bool(super().has_pending_requests())
        except redis.RedisError as error:
            self._lost(error)
            return False

    def close(self, reason: str) -> None:
        import redis

        try:
            super().close(reason)
        except redis.RedisError as error:
            self._lost(error)

    def _next_request(self, store: RedisLedger) -> Request | None:
        while True:
            try:
                request: Request | None = super().next_request()
            except (ValueError, TypeError, KeyError, AttributeError, UnicodeError) as error:
                # A foreign or malformed entry (it is off the queue now): it costs only itself.
                if self.stats is not None:
                    self.stats.inc_value("dwnews/redis/bad_entry")
                logger.warning("Dropped a queue entry that is not a request of ours: %s", str(error)[:200])
                continue
            if request is None:
                if store.recover(self._push_encoded):
                    continue
                return None
            encoded = self.queue._encode_request(request)
            if isinstance(encoded, bytes):
                encoded = encoded.decode("latin-1")
            content_id = request.meta.get("dwnews_content_id")
            if request.meta.get("dwnews_page") == "article" and content_id:
                short_id = urls.content_id_to_short_id(int(content_id))
                taken = store.take(short_id, encoded, revision=bool(request.meta.get("dwnews_revision")))
                if taken != 1:
                    if self.stats is not None:
                        self.stats.inc_value(f"dwnews/redis/not_taken/{'known' if taken == 0 else 'elsewhere'}")
                    continue
            else:
                store.page_taken(self.fingerprint(request), encoded)
            return request

    def _push_encoded(self, encoded: str) -> None:
        data = encoded.encode("latin-1")
        try:
            request = self.queue._decode_request(data)
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError) as error:
            if self.stats is not None:
                self.stats.inc_value("dwnews/redis/bad_entry")
            logger.warning("Dropped an in-flight entry that is not a request of ours: %s", str(error)[:200])
            return
        request.dont_filter = True  # its fingerprint is in the dupefilter already
        self.queue.push(request)
        if self.stats is not None:
            self.stats.inc_value("dwnews/redis/recovered_requests")


def fingerprinter(crawler: Crawler) -> Any:
    """The crawl's request fingerprint as hex (the same one the dupefilter uses)."""
    assert crawler.request_fingerprinter is not None
    fingerprint = crawler.request_fingerprinter.fingerprint
    return lambda request: fingerprint(request).hex()


class PageDoneMiddleware:
    """Marks a page request done once all it produced is in the queue (spider middleware)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.fingerprint = fingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageDoneMiddleware:
        if not enabled(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    def _done(self, response: Response) -> None:
        owner = LedgerOwner.of(self.crawler)
        request = response.request
        if owner.stopped or request is None or request.meta.get("dwnews_page") == "article":
            return
        try:
            store = owner.ledger
            if isinstance(store, RedisLedger):
                store.page_done(self.fingerprint(request))
        except StorageError as fault:
            owner.fault(fault)

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterator[Any]:
        yield from result
        self._done(response)

    async def process_spider_output_async(self, response: Response, result: Any, spider: Spider | None = None) -> Any:
        async for item in result:
            yield item
        self._done(response)


class WorkerLifecycle:
    """Marks scraped and dropped articles, keeps an idle worker alive while the crawl is not done."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.idle_timeout = crawler.settings.getfloat("DWNEWS_REDIS_IDLE_TIMEOUT")
        self.idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerLifecycle:
        if not enabled(crawler.settings):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def _store(self) -> RedisLedger:
        store = LedgerOwner.of(self.crawler).ledger
        assert isinstance(store, RedisLedger)
        return store

    def spider_opened(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("dwnews/redis/worker", 1)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        short_id = getattr(item, "short_id", None)
        if short_id:
            try:
                self._store().scraped(str(short_id))
            except StorageError as fault:
                LedgerOwner.of(self.crawler).fault(fault)

    def spider_idle(self, spider: Spider) -> None:
        owner = LedgerOwner.of(self.crawler)
        if owner.stopped:
            return
        store = self._store()
        try:
            busy = store.queued() or store.busy_elsewhere() or store.dead_workers()
        except StorageError as fault:
            owner.fault(fault)
            return
        if busy:
            self.idle_since = None
            raise DontCloseSpider("other workers are still at work")
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_timeout:
            raise DontCloseSpider("waiting for the idle timeout")
