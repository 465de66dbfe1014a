"""The article ledger in Redis, shared by the workers of one crawl on several machines.

What distributed mode is and how its workers share a crawl is :mod:`dwnews.crawl.redis` (the
scheduler side: scrapy-redis's queue and dupefilter). Kept here: which articles are exported (with
their records, ``dwnews:records``) or skipped (``dwnews:articles``), failures, each worker's claims,
heartbeat and in-flight work, so that a killed worker's work is handed out again and nothing is
exported twice. Values read back are checked one by one: a foreign value costs only its own article.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

import redis

from dwnews.core.dates import in_range
from dwnews.core.outcome import StorageError
from dwnews.core.record import record_json
from dwnews.core.urls import redact
from dwnews.store.ledger import (
    Answer,
    BadRow,
    Claim,
    Failure,
    log_bad_row,
    now_iso,
    revised_since,
    same_rule,
    stored_record,
    text_or_none,
)

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")


def guarded(method: Callable[Concatenate[RedisLedger, _P], _T]) -> Callable[Concatenate[RedisLedger, _P], _T]:
    """A Redis error in a ledger call becomes one :class:`StorageError` (no URL: it may hold a password)."""

    @wraps(method)
    def call(self: RedisLedger, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as error:
            raise StorageError(f"Redis ledger {self.location}", redact(f"{type(error).__name__}: {error}")) from None

    return call


def ping(redis_url: str) -> str | None:
    """None when Redis answers, else what went wrong (the password redacted)."""
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return redact(f"{type(error).__name__}: {error}")
    return None


ARTICLES_KEY = "dwnews:articles"
RECORDS_KEY = "dwnews:records"  # short id -> the exported record (latest revision)
FAILURES_KEY = "dwnews:failures"  # short id -> {"path", "reason", "attempts", "given_up", "since"}
PAGES_KEY = "dwnews:pages"  # listing page, sitemap or feed path -> {"answered_at", "failed_reason", "failed_since"}

# An article's entry in the ledger hash, decoded; nil for a value that is not one of ours (not JSON,
# not an object, no known status): a foreign value costs its own article only, which is then taken
# as unknown (fetched, and its entry overwritten by the export), never a script error that would stop
# the crawl. The same rule as _entry() below.
_ENTRY = """
local function entry_of(raw)
  if not raw then return nil end
  local ok, entry = pcall(cjson.decode, raw)
  if ok and type(entry) == 'table' and (entry.status == 'exported' or entry.status == 'skipped') then
    return entry
  end
  return nil
end
"""

# Commit a worker's finished feed: an article counts as its export only if no other worker took it
# over in the meantime (this worker was wrongly thought dead, its work handed out again).
# A revision (ARGV[i + 2] == '1') replaces the exported record. The record itself comes from the
# worker's staged hash; an article whose staged record is gone (the worker was taken for dead and
# its work handed out again, staged records and all) is not this feed's.
# The link date that led to the download (KEYS[6]) becomes the article's lastmod_seen only now, so
# a revision whose download failed is fetched again by a later crawl.
# KEYS: articles, claims, staged, records, failures, link dates; ARGV: me, feed, then (short id,
# modified, revision) triples. Returns the accepted ids.
_COMMIT = (
    _ENTRY
    + """
local accepted = {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local owner = redis.call('HGET', KEYS[2], id)
  local known = entry_of(redis.call('HGET', KEYS[1], id))
  local revision = ARGV[i + 2] == '1' and known and known.status == 'exported'
  local staged = redis.call('HGET', KEYS[3], id)
  if staged and (not known or revision) and (not owner or owner == ARGV[1]) then
    local entry = {status='exported', feed=ARGV[2], modified=ARGV[i + 1], worker=ARGV[1]}
    local seen = redis.call('HGET', KEYS[6], id)
    if not seen and known and type(known.lastmod_seen) == 'string' then seen = known.lastmod_seen end
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
)

# Delete a hash field only if it still holds the value read (another worker may have written it since).
# KEYS: the hash; ARGV: field, value
_DELETE_IF = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""

# Queue a request unless its fingerprint was seen; ARGV[1] == '' (dont_filter): always.
# KEYS: the dupefilter set, the queue (scrapy-redis's FifoQueue: LPUSH, RPOP); ARGV: fingerprint, request
_PUSH_NEW = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
return 1
"""

# Recover a dead worker (ARGV[1]): -1 if another worker got to it first (its heartbeat is gone).
# Its in-flight and scraped requests and those it was taking go back in the queue as they were
# encoded; its claims go (not one another worker has made since); its staged records go.
# KEYS: workers, its inflight, pending, taking, staged, claims, the queue
_RECOVER = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -1 end
local moved = 0
for k = 2, 3 do
  local all = redis.call('HGETALL', KEYS[k])
  for i = 1, #all, 2 do
    local field, encoded = all[i], all[i + 1]
    if string.sub(field, 1, 2) == 'a:' then
      local id = string.sub(field, 3)
      if redis.call('HGET', KEYS[6], id) == ARGV[1] then redis.call('HDEL', KEYS[6], id) end
    end
    redis.call('LPUSH', KEYS[7], encoded)
    moved = moved + 1
  end
end
for _, encoded in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
  redis.call('LPUSH', KEYS[7], encoded)
  moved = moved + 1
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return moved
"""

# Take an article for this worker, unless exported/skipped (a revision, ARGV[6] == '1': exported is
# what it is), already this worker's (the same article queued under another slug), or claimed by a
# live worker. Whatever the answer, the request leaves the worker's taking list in the same step.
# KEYS: articles, claims, workers, my in-flight, my taking list;
# ARGV: short id, me, now, timeout, encoded request, revision
_TAKE = (
    _ENTRY
    + """
local function answer(result)
  redis.call('LREM', KEYS[5], 1, ARGV[5])
  return result
end
if ARGV[6] ~= '1' and entry_of(redis.call('HGET', KEYS[1], ARGV[1])) then return answer(0) end
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner == ARGV[2] then return answer(0) end
if owner then
  -- nil: none, or not a time (dead); a time further ahead than the timeout is no heartbeat either
  local beat, now, timeout = tonumber(redis.call('HGET', KEYS[3], owner) or ''), tonumber(ARGV[3]), tonumber(ARGV[4])
  if beat and beat > now - timeout and beat <= now + timeout then return answer(-1) end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], 'a:' .. ARGV[1], ARGV[5])
return answer(1)
"""
)

# Move a hash field to another hash, if it is there. KEYS: from, to; ARGV: field
_MOVE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then
  redis.call('HSET', KEYS[2], ARGV[1], value)
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# Record a "not politics" verdict, unless the article is known already (an export wins); a foreign
# value in its place is overwritten. KEYS: articles; ARGV: short id, entry
_SKIP = (
    _ENTRY
    + """
if entry_of(redis.call('HGET', KEYS[1], ARGV[1])) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)


class RedisLedger:
    """The article ledger (:class:`dwnews.store.ledger.Ledger`) and one worker's bookkeeping, in Redis.

    Claims happen when the scheduler hands out an article request (:meth:`take`); ``claim_many``
    only tells the known articles apart before they are queued. Requests are kept as the scheduler
    encoded them (strings), pages by their fingerprint: nothing here knows Scrapy.
    """

    def __init__(
        self,
        redis_url: str,
        crawl: str,
        revisions: bool = False,
        worker_timeout: float = 15.0,
        max_failures: int = 5,
    ) -> None:
        # decode_responses: every value read back is a str (redis-py's types cannot say so)
        self.redis: Any = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30)
        # the queue's entries as they are (bytes): one that is not UTF-8 is a bad entry, not an error
        self.raw: Any = redis.Redis.from_url(redis_url, socket_timeout=30)
        self.location = crawl
        self.max_failures = max_failures
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
        self._skip = self.redis.register_script(_SKIP)
        self._delete_if = self.redis.register_script(_DELETE_IF)
        self._move = self.redis.register_script(_MOVE)
        self._push_new = self.raw.register_script(_PUSH_NEW)
        self._recover = self.redis.register_script(_RECOVER)
        self._stop_beating = threading.Event()

    def inflight_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:inflight:{worker or self.worker}"

    def pending_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:pending:{worker or self.worker}"

    def staged_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:staged:{worker or self.worker}"

    def taking_key(self, worker: str | None = None) -> str:
        return f"{self.crawl}:taking:{worker or self.worker}"

    # ----- workers ------------------------------------------------------------------------------

    @guarded
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

    @guarded
    def live_workers(self) -> list[str]:
        return [w for w, beat in self.redis.hgetall(self.workers_key).items() if self._alive(beat)]

    @guarded
    def dead_workers(self) -> list[str]:
        beats = self.redis.hgetall(self.workers_key)
        return [w for w, beat in beats.items() if not self._alive(beat) and w != self.worker]

    def _alive(self, beat: Any) -> bool:
        """A heartbeat within the timeout (the take script's rule too)."""
        now = time.time()
        return now - self.worker_timeout < _beat(beat) <= now + self.worker_timeout

    # ----- the queue: a request is always somewhere (queued, being taken, in flight) ---------------

    @guarded
    def push_new(self, dupefilter_key: str, queue_key: str, fingerprint: str, encoded_request: bytes) -> bool:
        """Queue a request unless its fingerprint was seen (``""``: never filtered). One script: a
        worker killed between recording the fingerprint and queueing the request lost it for good
        (every other worker's link to it was then filtered as seen)."""
        return bool(self._push_new(keys=[dupefilter_key, queue_key], args=[fingerprint, encoded_request]))

    @guarded
    def pop(self, queue_key: str, timeout: float = 0) -> bytes | None:
        """The next queued request, moved to this worker's taking list in the same step (a worker
        killed before :meth:`take` or :meth:`page_taken` recorded it has it recovered from there)."""
        if timeout > 0:
            encoded = self.raw.brpoplpush(queue_key, self.taking_key(), timeout)
        else:
            encoded = self.raw.rpoplpush(queue_key, self.taking_key())
        return encoded if isinstance(encoded, bytes) else None

    @guarded
    def popped(self, encoded_request: bytes) -> None:
        """A popped request that is not ours is dropped: off the taking list."""
        self.raw.lrem(self.taking_key(), 1, encoded_request)

    @guarded
    def recover(self, queue_key: str) -> int:
        """Put the requests of dead workers back in the queue (taken, in flight, or scraped and not
        yet in a stored feed); how many. Each dead worker in one script: whoever deletes its heartbeat
        recovers all of it, and a recoverer killed midway leaves nothing half moved."""
        moved = 0
        for dead in self.dead_workers():
            keys = [
                self.workers_key,
                self.inflight_key(dead),
                self.pending_key(dead),
                self.taking_key(dead),
                self.staged_key(dead),
                self.claims_key,
                queue_key,
            ]
            count = int(self._recover(keys=keys, args=[dead]))
            if count >= 0:
                moved += count
                logger.warning("Worker %s is gone: %d of its requests are back in the queue", dead, count)
        return moved

    @guarded
    def busy_elsewhere(self) -> bool:
        """Does a live worker other than this one have pages or articles in progress?"""
        return any(self.redis.hlen(self.inflight_key(w)) for w in self.live_workers() if w != self.worker)

    @guarded
    def finish_run(self, status: str = "finished") -> None:
        self._stop_beating.set()
        own_claims = [f[2:] for f in self.redis.hkeys(self.inflight_key()) if f.startswith("a:")]
        own_claims += [f[2:] for f in self.redis.hkeys(self.pending_key()) if f.startswith("a:")]
        if own_claims:
            self.redis.hdel(self.claims_key, *own_claims)
        self.redis.delete(self.inflight_key(), self.pending_key(), self.staged_key(), self.taking_key())
        self.redis.hdel(self.workers_key, self.worker)

    @guarded
    def clear_crawl(self) -> None:
        """The crawl is over (no live worker, nothing queued): its bookkeeping goes, so the next
        crawl starts afresh; what the ledger knows of articles stays."""
        self.redis.delete(self.claims_key, self.workers_key, self.lastmod_key)

    def close(self) -> None:
        self.redis.close()
        self.raw.close()

    # ----- articles -----------------------------------------------------------------------------

    @guarded
    def claim_many(self, claims: Iterable[Claim]) -> dict[str, Answer]:
        """Known articles are skipped before they are queued; the claim itself is :meth:`take`."""
        items = list(claims)
        if not items:
            return {}
        records = self.redis.hmget(ARTICLES_KEY, [c.short_id for c in items])
        answers: dict[str, Answer] = {}
        link_dates: dict[str, str] = {}  # the link date that queued each one (a revision's: seen once exported)
        for claim, raw in zip(items, records, strict=True):
            short_id, lastmod = claim.short_id, claim.lastmod
            entry = _entry(raw)
            status = entry.get("status") if entry is not None else None
            if status == Answer.SKIPPED and not same_rule(entry.get("reason") if entry else None, claim.rule):
                # judged "not politics" by another rule: judged again (take() must find it unknown),
                # unless another worker has recorded it since it was read
                self._delete_if(keys=[ARTICLES_KEY], args=[short_id, raw])
                status = None
            if status not in (Answer.EXPORTED, Answer.SKIPPED):
                answers[short_id] = Answer.NEW
                if lastmod:
                    link_dates[short_id] = lastmod
                continue
            assert entry is not None
            if status == Answer.EXPORTED and self.revisions and self._revised(entry, lastmod):
                assert lastmod is not None
                link_dates[short_id] = lastmod
                answers[short_id] = Answer.REVISED
            else:
                answers[short_id] = Answer(status)
        if link_dates:
            self.redis.hset(self.lastmod_key, mapping=link_dates)
        return answers

    @staticmethod
    def _revised(entry: dict[str, Any], lastmod: str | None) -> bool:
        modified, seen = text_or_none(entry.get("modified")), text_or_none(entry.get("lastmod_seen"))
        return revised_since(lastmod, modified, seen)

    @guarded
    def take(self, short_id: str, encoded_request: str | bytes, revision: bool = False) -> int:
        """Claim an article popped from the queue: 1 taken, 0 known, -1 a live worker has it; the
        request is off this worker's taking list either way.

        ``revision`` (the entry says so) is believed only when this crawl follows revisions and the
        ledger holds a sitemap date newer than the exported record's: a queue entry that claims to
        be a revision cannot make an exported article be exported again."""
        revised = revision and self._revised_since_export(short_id)
        args = [short_id, self.worker, f"{time.time():.3f}", str(self.worker_timeout), encoded_request, int(revised)]
        keys = [ARTICLES_KEY, self.claims_key, self.workers_key, self.inflight_key(), self.taking_key()]
        taken = int(self._take(keys=keys, args=args))
        if taken == 1 and revised:
            self.revised.add(short_id)
        return taken

    def _revised_since_export(self, short_id: str) -> bool:
        if not self.revisions:
            return False
        entry = _entry(self.redis.hget(ARTICLES_KEY, short_id))
        if entry is None or entry.get("status") != Answer.EXPORTED:
            return False
        return self._revised(entry, text_or_none(self.redis.hget(self.lastmod_key, short_id)))

    @guarded
    def scraped(self, short_id: str) -> None:
        """An article's record is on its way to the feed: no longer in progress, not yet exported."""
        self._move(keys=[self.inflight_key(), self.pending_key()], args=[f"a:{short_id}"])

    @guarded
    def mark_skipped(self, short_id: str, content_id: int | None, reason: str) -> None:
        record = json.dumps({"status": str(Answer.SKIPPED), "reason": reason})
        self._skip(keys=[ARTICLES_KEY], args=[short_id, record])
        self._article_done(short_id)

    @guarded
    def release(self, short_id: str) -> None:
        """Give an article up, unless staged: then it is on its way into this worker's feed."""
        if self.redis.hexists(self.staged_key(), short_id):
            return
        self._article_done(short_id)

    def _article_done(self, short_id: str) -> None:
        self.redis.hdel(self.claims_key, short_id)
        self.redis.hdel(self.inflight_key(), f"a:{short_id}")

    @guarded
    def stage(self, record: dict[str, Any]) -> Answer | None:
        short_id = str(record["short_id"])
        known = _entry(self.redis.hget(ARTICLES_KEY, short_id))
        if known is not None and known.get("status") == Answer.EXPORTED and short_id not in self.revised:
            return Answer.EXPORTED
        owner = self.redis.hget(self.claims_key, short_id)
        if owner and owner != self.worker and self._alive(self.redis.hget(self.workers_key, owner)):
            return Answer.CLAIMED_ELSEWHERE
        self.redis.hset(self.claims_key, short_id, self.worker)
        self.redis.hset(self.staged_key(), short_id, record_json(record))
        return None

    # ----- failures -------------------------------------------------------------------------------

    @guarded
    def record_failure(self, short_id: str, path: str, reason: str) -> Failure:
        before = _failure(self.redis.hget(FAILURES_KEY, short_id)) or {"attempts": 0}
        known = before.get("reason") == reason
        since = str(before.get("since") or now_iso()) if known else now_iso()
        attempts = int(before.get("attempts", 0)) + 1
        given_up = attempts >= self.max_failures
        entry = {"path": path, "reason": reason, "attempts": attempts, "given_up": given_up, "since": since}
        self.redis.hset(FAILURES_KEY, short_id, json.dumps(entry))
        return Failure(retried=not given_up, known_since=since if known else None)

    @guarded
    def pages_answered(self, paths: Iterable[str]) -> None:
        entries = {path: json.dumps({"answered_at": now_iso()}) for path in paths}
        if entries:
            self.redis.hset(PAGES_KEY, mapping=entries)

    @guarded
    def page_failed(self, path: str, reason: str) -> Failure:
        raw = self.redis.hget(PAGES_KEY, path)
        try:
            before = json.loads(raw) if raw else {}
        except ValueError:
            before = {}  # a foreign value: as if nothing were known of the page
        before = before if isinstance(before, dict) else {}
        known = before.get("failed_reason") == reason and isinstance(before.get("failed_since"), str)
        since = str(before["failed_since"]) if known else now_iso()
        answered = before.get("answered_at")
        entry = {"answered_at": answered, "failed_reason": reason, "failed_since": since}
        self.redis.hset(PAGES_KEY, path, json.dumps(entry))
        return Failure(retried=bool(answered), known_since=since if known else None)

    @guarded
    def failures_to_retry(self) -> list[tuple[str, str]]:
        entries = [(k, _failure(v)) for k, v in self.redis.hgetall(FAILURES_KEY).items()]
        return [(k, str(e["path"])) for k, e in sorted(entries, key=lambda x: x[0]) if e and not e.get("given_up")]

    @guarded
    def failures(self) -> list[dict[str, Any]]:
        found = []
        for short_id, raw in sorted(self.redis.hgetall(FAILURES_KEY).items()):
            entry = _failure(raw)
            found.append({"short_id": short_id, **entry} if entry else {"short_id": short_id, "unreadable": True})
        return found

    # ----- the corpus -----------------------------------------------------------------------------

    def records(
        self, since: str | None = None, until: str | None = None, bad: BadRow | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every exported record, ordered by ``published``: the order is found first, then the
        records are read in chunks, so the whole corpus is never held in memory at once. Each value
        is checked: one that is no record (a foreign value in ``dwnews:records``) costs only itself."""
        report = bad or log_bad_row
        order: list[tuple[bool, str, str]] = []
        try:
            for short_id, raw in self.redis.hscan_iter(RECORDS_KEY, count=500):
                record, problem = stored_record(short_id, raw)
                if record is None:
                    report(short_id, problem)
                    continue
                published = record.get("published")
                if in_range(published, since, until):
                    order.append((published is None, published or "", short_id))
            order.sort()
            for start in range(0, len(order), 500):
                chunk = [short_id for _, _, short_id in order[start : start + 500]]
                for short_id, raw in zip(chunk, self.redis.hmget(RECORDS_KEY, chunk), strict=True):
                    record, problem = stored_record(short_id, raw) if raw is not None else (None, "")
                    if record is not None:
                        yield record
                    elif problem:  # changed since the first pass
                        report(short_id, problem)
        except redis.RedisError as error:
            raise StorageError(f"Redis ledger {self.location}", redact(f"{type(error).__name__}: {error}")) from None

    @guarded
    def forget(self, short_ids: Iterable[str]) -> int:
        ids = list(short_ids)
        if not ids:
            return 0
        self.redis.hdel(RECORDS_KEY, *ids)
        return int(self.redis.hdel(ARTICLES_KEY, *ids))

    @guarded
    def forget_all(self) -> int:
        count = int(self.redis.hlen(ARTICLES_KEY))
        self.redis.delete(ARTICLES_KEY, RECORDS_KEY)
        return count

    @guarded
    def page_done(self, fingerprint: str) -> None:
        self.redis.hdel(self.inflight_key(), f"p:{fingerprint}")

    @guarded
    def page_taken(self, fingerprint: str, encoded_request: str | bytes) -> None:
        """A page popped from the queue is in flight (and off the taking list, in one transaction)."""
        transaction = self.redis.pipeline()
        transaction.hset(self.inflight_key(), f"p:{fingerprint}", encoded_request)
        transaction.lrem(self.taking_key(), 1, encoded_request)
        transaction.execute()

    # ----- feeds ----------------------------------------------------------------------------------

    def feed_opened(self, target: Any, part: Any, feed_format: str) -> None:
        pass  # a worker's unfinished feed is its own: its articles stay in its in-flight lists

    def feed_ready(self, target: Any, identity: str, short_ids: list[str]) -> None:
        pass  # recorded at fence(), before the rename: nothing is left for a later run to commit

    def feed_aborted(self, target: Any) -> None:
        pass  # its articles stay in the in-flight lists: released when the worker ends

    @guarded
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

    @guarded
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

    @guarded
    def feed_stored(self, target: Any, short_ids: list[str]) -> int:
        """Nothing left to record: :meth:`fence` did it before the feed was renamed into place."""
        return len(short_ids)

    @guarded
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for raw in self.redis.hvals(ARTICLES_KEY):
            entry = _entry(raw)
            status = str(entry.get("status")) if entry is not None else "unreadable"
            counts[status] = counts.get(status, 0) + 1
        return counts


def _entry(raw: str | None) -> dict[str, Any] | None:
    """An article's entry in the ledger hash, or None when there is none or it is not ours (a
    foreign value costs its own article: it is taken as unknown, never as its page's failure)."""
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return entry if isinstance(entry, dict) and entry.get("status") in (Answer.EXPORTED, Answer.SKIPPED) else None


def _failure(raw: str | None) -> dict[str, Any] | None:
    """A failure entry, or None when there is none or it is not ours (it counts as no failure)."""
    try:
        entry = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("attempts", 0), int):
        return None
    return entry if isinstance(entry.get("path"), str) else None


def _beat(value: Any) -> float:
    """A worker's heartbeat time; a value that is not one (planted, or cut) makes the worker dead."""
    try:
        beat = float(value)
    except (TypeError, ValueError):
        return 0.0
    return beat if math.isfinite(beat) else 0.0
