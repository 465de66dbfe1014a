"""The Redis request queue's serializer: JSON data, never pickle.

scrapy-redis pickles queued requests by default, so anyone who can write to the Redis that the
workers share could run code on every worker (a pickled ``__reduce__``). This module is the
``SCHEDULER_SERIALIZER`` instead (scrapy-redis calls ``dumps`` and ``loads``): a request is stored
as the JSON of Scrapy's ``Request.to_dict`` with bytes as base 64, and read back only if it is one
of ours: a known request class, a callback our spiders define, an http(s) URL. Anything else
raises :class:`ValueError`; the scheduler counts the entry, logs it and goes on.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

#: request classes a queued entry may name (``request_from_dict`` loads its ``_class``); a rendered
#: request is a plain Request too (the rendering middleware sets its ``splash`` meta)
REQUEST_CLASSES = frozenset({"scrapy.http.request.Request"})
#: spider methods a queued entry may name as its callback or errback
CALLBACKS = frozenset({"parse_listing", "parse_robots", "parse_sitemap", "parse_feed", "parse_article", "on_failure"})
_BYTES = "__bytes__"
MAX_ENTRY = 1 << 20  # a request of ours is a few kB; a larger entry is not one


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, bytes) else k.decode("latin-1"): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES}:
            try:
                return base64.b64decode(str(value[_BYTES]), validate=True)
            except binascii.Error:
                raise ValueError("bytes in the entry that are not base64") from None
        return {k: _restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict as JSON bytes (what scrapy-redis pushes to Redis)."""
    return json.dumps(_plain(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """A request dict read back from Redis, if it is one of ours; else :class:`ValueError`."""
    if len(data) > MAX_ENTRY:
        raise ValueError(f"a queue entry of {len(data)} bytes is not a request of ours")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        obj = json.loads(text)
    except UnicodeDecodeError:
        raise ValueError("not JSON: not even UTF-8 (a pickle, from an older version or not ours)") from None
    except json.JSONDecodeError:
        raise ValueError(f"not JSON: {text[:60]!r}") from None
    if not isinstance(obj, dict):
        raise ValueError("a queue entry must be a JSON object")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"no http(s) url: {str(url)[:80]!r}")
    kind = obj.get("_class")
    if kind is not None and kind not in REQUEST_CLASSES:
        raise ValueError(f"request class {str(kind)[:80]!r} is not one of ours")
    for name in ("callback", "errback"):
        if obj.get(name) is not None and obj.get(name) not in CALLBACKS:
            raise ValueError(f"{name} {str(obj.get(name))[:80]!r} is not one of our spiders' methods")
    restored: dict[str, Any] = _restored(obj)
    return restored
