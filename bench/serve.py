"""A large loopback mirror for the crawl benchmarks, served from its own process.

    python3 bench/serve.py --articles 20000 --sections 10 [--port 0]

Serves ``dwnews.mirror.SyntheticSite`` (article ``i`` made from the real-markup Kiswahili
fixtures, with its own content id, short id and title) with more varied content: every
article also gets its own wording (a seeded substitution of common words across the page,
so no two bodies are equal) while keeping the fixture's markup, layout and category. Prints
``READY <port>`` once listening. ``GET /__bench__/counts`` answers the requests served so far
by kind (``article``, ``article_known`` for articles below ``--known-below``,
``article_outside`` for article paths that are not the synthetic site's, ``article_again`` for an
article served before by this server process, ``listing``, ``robots``,
``other``: feeds and sitemaps) and status; it is not counted itself. ``GET /__bench__/forget``
forgets which articles were served (call it before each crawl).
Binds to 127.0.0.1 only. Stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import threading
from collections import Counter
from typing import Any

from common import SITE

from dwnews.core.ids import content_id_to_short_id
from dwnews.mirror import MirrorServer, SyntheticSite

# Word swaps (both directions are applied as one swap): Kiswahili words frequent in the fixtures.
_SWAPS = [
    ("Rais", "Kiongozi"),
    ("serikali", "utawala"),
    ("Jumatano", "Alhamisi"),
    ("wananchi", "raia"),
    ("mkutano", "kikao"),
    ("uchaguzi", "kura"),
    ("amesema", "alisema"),
    ("nchi", "taifa"),
    ("jeshi", "vikosi"),
    ("bunge", "baraza"),
]


class VariedSite(SyntheticSite):
    """SyntheticSite whose articles also differ in wording.

    Article ``i`` is the page SyntheticSite makes (template ``i % templates``, its own ids and
    title) in one of ``WORDINGS`` wordings of its template: four word swaps, seeded. The
    wordings are prepared once per template and split where the ids go, so that serving a page
    costs a join, not a dozen passes over 150 kB: the server's CPU competes with the crawler's
    on this 2-core machine.
    """

    WORDINGS = 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pieces: dict[tuple[int, int], list[str]] = {}

    def _template_pieces(self, slot: int, wording: int) -> list[str]:
        key = (slot, wording)
        if key not in self._pieces:
            template_id, html = self.templates[slot]
            rng = random.Random(template_id * 1000 + wording)
            for old, new in rng.sample(_SWAPS, 4):
                html = html.replace(old, "\x00").replace(new, old).replace("\x00", new)
            html = html.replace(f"/p/{content_id_to_short_id(template_id)}", "\x01").replace("</h1>", "\x02</h1>", 1)
            self._pieces[key] = re.split(f"({template_id}|\x01|\x02)", html)
        return self._pieces[key]

    def article(self, content_id: int) -> bytes | None:
        index = content_id - self.first_id
        if not 0 <= index < self.count:
            return None
        slot = index % len(self.templates)
        pieces = self._template_pieces(slot, (index // len(self.templates)) % self.WORDINGS)
        fill = {"\x01": f"/p/{content_id_to_short_id(content_id)}", "\x02": f" ({index})"}
        cid = str(content_id)
        out = [piece if n % 2 == 0 else fill.get(piece, cid) for n, piece in enumerate(pieces)]
        return "".join(out).encode("utf-8")


_ARTICLE_ID_RE = re.compile(r"/a-(\d+)")


class BenchServer(MirrorServer):
    """MirrorServer with request counts by kind, answered at ``/__bench__/counts``."""

    def __init__(self, *args: Any, known_below: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: Counter[str] = Counter()
        self.known_below = known_below
        self.first_id = self.synthetic.first_id if self.synthetic is not None else 0
        self.site_count = self.synthetic.count if self.synthetic is not None else 0
        self.seen: set[int] = set()

    def generate(self, raw_path: str) -> bytes | None:
        if raw_path.startswith("/__bench__/counts"):
            with self._lock:
                return json.dumps(dict(self.counts)).encode()
        if raw_path.startswith("/__bench__/forget"):
            with self._lock:
                self.seen.clear()  # the next crawl's repeats are its own
                return b"{}"
        return super().generate(raw_path)

    def _log(self, entry: object) -> None:
        # Counts only: the request list of MirrorServer would grow with every request.
        path = str(getattr(entry, "path", ""))
        status = getattr(entry, "status", 0)
        if path.startswith("/__bench__/"):
            return
        if "/a-" in path:
            match = _ARTICLE_ID_RE.search(path)
            index = int(match.group(1)) - self.first_id if match else -1
            if not 0 <= index < self.site_count:
                kind = "article_outside"  # not an article of the synthetic site (a fixture page)
            elif index in self.seen:
                kind = "article_again"  # the same article downloaded twice since the server started
            elif index < self.known_below:
                kind = "article_known"
            else:
                kind = "article"
            if 0 <= index < self.site_count and status == 200:
                with self._lock:
                    self.seen.add(index)
        elif "/s-" in path:
            kind = "listing"
        elif path.startswith("/robots.txt"):
            kind = "robots"
        else:
            kind = "other"
        with self._lock:
            self.counts[f"{kind}/{status}"] += 1
            self.counts["total"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles of the mirror (default 20000)")
    parser.add_argument("--sections", type=int, default=10, help="section pages linking them (default 10)")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default 0: a free one, printed)")
    parser.add_argument("--plain", action="store_true", help="SyntheticSite as it is, without varied wording")
    parser.add_argument(
        "--known-below",
        type=int,
        default=0,
        help="count requests of articles 0..N-1 as article_known (already crawled)",
    )
    args = parser.parse_args()
    site_class = SyntheticSite if args.plain else VariedSite
    site = site_class(SITE, articles=args.articles, sections=args.sections)
    server = BenchServer(SITE, args.port, synthetic=site, known_below=args.known_below).start()
    print(f"READY {server.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
