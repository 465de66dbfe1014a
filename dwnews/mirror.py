"""A loopback mirror of dw.com made from saved pages, and the offline demo that crawls it.

The mirror answers like DW does where it matters to the crawler: a page is found by its kind
and numeric id whatever the slug (``/sw/any-slug/a-66808855?maca=x`` serves
``<root>/sw/a-66808855.html``), anything unknown is a 404, and ``/robots.txt`` and other
root files are served as they are. Every request is logged, so tests can count downloads.

    python -m dwnews.mirror serve --port 8000         # serve tests/site on 127.0.0.1:8000
    python -m dwnews.mirror demo -O demo.jsonl        # serve it and crawl it with `politics`

It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from dwnews.core.ids import content_id_to_short_id, short_id_to_content_id

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE = PROJECT_ROOT / "tests" / "site"

_PAGE_RE = re.compile(r"^/(?P<lang>[a-z]{2,3})/(?:.+/)?(?P<kind>[a-z]+)-(?P<id>\d+)/?$")
_SHORT_LINK_RE = re.compile(r"^/p/([0-9A-Za-z]{1,9})$")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".json": "application/json",
    "": "application/rdf+xml; charset=utf-8",  # DW's feed URLs have no suffix (/rdf/rss-kis-all)
}


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the mirror's neighbours: Splash, Redis, scrapyd)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Fault:
    """A misbehaviour the mirror shows for one page, to test a crawl against (loopback only).

    ``kind``: ``status`` (answer ``status``, with ``Retry-After: retry_after`` if set), ``hang``
    (wait ``seconds`` before answering), ``reset`` (reset the connection mid-body), ``truncate``
    (a body shorter than its Content-Length), ``bad_gzip`` (gzip that is not), ``charset`` (the page
    encoded as ``body_charset`` but labelled ``label_charset``), ``huge`` (``size_mb`` of page),
    ``redirect_loop``, ``redirect_offsite`` (to another host), ``redirect`` (to ``location``, where
    ``{port}`` is the mirror's port and ``{path}`` the asked path), ``content_type`` (a PDF or image
    instead of the page), ``transform`` (the page's text passed through ``transform``, same content
    type), ``bytes`` (the page's bytes passed through ``transform_bytes``), ``block`` (answer
    once ``release`` is set, or after ``seconds``: a test holds a crawl mid-way while it checks).
    ``times``: misbehave that many times, then answer normally (None: always).
    """

    kind: str
    status: int = 500
    retry_after: str | None = None
    times: int | None = None
    seconds: float = 5.0
    body_charset: str = "cp1252"
    label_charset: str = "utf-8"
    size_mb: int = 30
    content_type: str = "application/pdf"
    transform: Callable[[str], str] | None = None
    transform_bytes: Callable[[bytes], bytes] | None = None
    location: str = ""
    headers: dict[str, str] | None = None  # sent with ``bytes``' answer (e.g. Content-Encoding)
    release: threading.Event | None = None


class SyntheticSite:
    """A large Kiswahili site generated from the mirror's real-markup article pages.

    Article ``i`` (content id ``first_id + i``) is the saved page ``templates[i % len]`` with
    its content id, short id and title made its own. The home page links ``sections``
    section pages; each article is linked from two of them, so dedup is exercised.
    Pages are made on request: a 20,000-article site costs no disk.
    """

    HOME_ID = 11588
    FIRST_SECTION_ID = 900000

    def __init__(self, root: Path, articles: int, sections: int = 10, first_id: int = 70_000_000) -> None:
        self.count = articles
        self.sections = max(1, sections)
        self.first_id = first_id
        self.templates: list[tuple[int, str]] = []
        for path in sorted((Path(root) / "sw").glob("a-*.html")):
            content_id = int(path.stem.split("-")[1])
            if path.with_name(path.stem + ".expected.json").exists():
                self.templates.append((content_id, path.read_text("utf-8")))
        if not self.templates:
            raise ValueError(f"no Kiswahili article pages with expected records in {root}/sw")

    def template_id(self, content_id: int) -> int:
        return self.templates[(content_id - self.first_id) % len(self.templates)][0]

    def ids(self) -> range:
        return range(self.first_id, self.first_id + self.count)

    def article(self, content_id: int) -> bytes | None:
        index = content_id - self.first_id
        if not 0 <= index < self.count:
            return None
        template_id, html = self.templates[index % len(self.templates)]
        old_short, new_short = content_id_to_short_id(template_id), content_id_to_short_id(content_id)
        html = html.replace(str(template_id), str(content_id)).replace(f"/p/{old_short}", f"/p/{new_short}")
        return html.replace("</h1>", f" ({index})</h1>", 1).encode("utf-8")

    def _published(self, content_id: int) -> str:
        """A made-up publication time: one article a minute from 2026-01-01, in id order."""
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=content_id - self.first_id)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def document(self, path: str) -> bytes | None:
        """The site's sitemaps and feed: an index, a news sitemap of the 20 newest articles, an
        article sitemap of all, a feed of the 10 newest."""
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        sm = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        newest = list(self.ids())[-20:]
        if path == "/sitemap.xml":
            body = "".join(
                f"<sitemap><loc>https://www.dw.com/sw/{name}</loc></sitemap>"
                for name in ("news-sitemap.xml", "article-sitemap.xml")
            )
            return (head + f"<sitemapindex {sm}>{body}</sitemapindex>").encode()
        if path == "/sw/news-sitemap.xml":
            body = "".join(
                f"<url><loc>https://www.dw.com/sw/habari/a-{cid}</loc><news:news><news:publication_date>"
                f"{self._published(cid)}</news:publication_date></news:news></url>"
                for cid in newest
            )
            news = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
            return (head + f"<urlset {sm} {news}>{body}</urlset>").encode()
        if path == "/sw/article-sitemap.xml":
            body = "".join(
                f"<url><loc>https://www.dw.com/sw/habari/a-{cid}</loc><lastmod>{self._published(cid)}</lastmod></url>"
                for cid in self.ids()
            )
            return (head + f"<urlset {sm}>{body}</urlset>").encode()
        if path == "/rdf/rss-kis-all":
            items = "".join(
                f"<item><link>https://www.dw.com/sw/habari/a-{cid}?maca=sw-rss</link>"
                f"<dc:date>{self._published(cid)}</dc:date><dwsyn:contentID>{cid}</dwsyn:contentID></item>"
                for cid in newest[-10:]
            )
            ns = (
                'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dwsyn="http://rss.dw.com/syndication/dwsyn/"'
            )
            return (head + f"<rdf:RDF {ns}><channel/>{items}</rdf:RDF>").encode()
        return None

    def _sections_of(self, content_id: int) -> tuple[int, int]:
        index = content_id - self.first_id
        return index % self.sections, (index // self.sections + index) % self.sections

    def listing(self, page_id: int) -> bytes | None:
        if page_id == self.HOME_ID:
            links = [
                f'<a href="/sw/sehemu-{k}/s-{self.FIRST_SECTION_ID + k}">Sehemu {k}</a>' for k in range(self.sections)
            ]
            links += [f'<a href="/sw/habari/a-{cid}?maca=sw-home">Habari {cid}</a>' for cid in self.ids()[:20]]
        elif 0 <= page_id - self.FIRST_SECTION_ID < self.sections:
            section = page_id - self.FIRST_SECTION_ID
            links = [
                f'<a href="/sw/habari-{section}/a-{cid}">Habari {cid}</a>'
                for cid in self.ids()
                if section in self._sections_of(cid)
            ]
        else:
            return None
        return ('<!doctype html><html lang="sw"><body><main>' + "".join(links) + "</main></body></html>").encode()


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    user_agent: str
    at: float = 0.0  # time.monotonic() when it was answered
    sent: int = 0  # body bytes sent (0 for a 304)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a crawl killed on purpose) is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class MirrorServer:
    """Serves a saved copy of the site on 127.0.0.1 from a background thread."""

    def __init__(self, root: Path = DEFAULT_SITE, port: int = 0, synthetic: SyntheticSite | None = None) -> None:
        self.root = Path(root)
        self.synthetic = synthetic
        #: faults by page key ("sw/a-66808855": any slug and query) or by exact path
        self.faults: dict[str, Fault] = {}
        self._fault_hits: dict[str, int] = {}
        self.requests: list[LoggedRequest] = []
        #: answer If-None-Match / If-Modified-Since with 304 when the page is unchanged (as DW's CDN)
        self.conditional = True
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def resolve(self, raw_path: str) -> Path | None:
        """The file that answers a request path, or None (404)."""
        path = unquote(urlsplit(raw_path).path)
        match = _PAGE_RE.match(path)
        if match:
            candidate = self.root / match.group("lang") / f"{match.group('kind')}-{match.group('id')}.html"
        else:
            candidate = (self.root / path.lstrip("/")).resolve()
            if self.root.resolve() not in candidate.parents or candidate.suffix == ".json":
                return None
        return candidate if candidate.is_file() else None

    def generate(self, raw_path: str) -> bytes | None:
        """A page of the synthetic site, if there is one and it has this path."""
        if self.synthetic is None:
            return None
        path = unquote(urlsplit(raw_path).path)
        document = self.synthetic.document(path)
        if document is not None:
            return document
        match = _PAGE_RE.match(path)
        if match is None or match.group("lang") != "sw":
            return None
        page_id = int(match.group("id"))
        if match.group("kind") == "a":
            return self.synthetic.article(page_id)
        if match.group("kind") == "s":
            return self.synthetic.listing(page_id)
        return None

    def fault_for(self, raw_path: str) -> Fault | None:
        """The fault to show for this request now (counting it), if any."""
        path = unquote(urlsplit(raw_path).path)
        match = _PAGE_RE.match(path)
        key = f"{match.group('lang')}/{match.group('kind')}-{match.group('id')}" if match else path
        with self._lock:
            fault = self.faults.get(key) or self.faults.get(path)
            if fault is None:
                return None
            hits = self._fault_hits.get(key, 0)
            if fault.times is not None and hits >= fault.times:
                return None
            self._fault_hits[key] = hits + 1
            return fault

    def short_link_target(self, short_id: str) -> str | None:
        """The page a short link ``/p/<short id>`` redirects to (any edition), or None."""
        try:
            content_id = short_id_to_content_id(short_id)
        except ValueError:
            return None
        if self.synthetic is not None and self.synthetic.article(content_id) is not None:
            return f"/sw/habari/a-{content_id}"
        for page in sorted(self.root.glob(f"*/a-{content_id}.html")):
            return f"/{page.parent.name}/kiungo/a-{content_id}"
        return None

    def validators(self, body: bytes, target: Path | None) -> dict[str, str]:
        """ETag (a hash of the body) and, for a file, Last-Modified (its mtime), as DW's CDN sends."""
        found = {"ETag": f'"{hashlib.sha256(body).hexdigest()[:20]}"'}
        if target is not None:
            found["Last_Modified"] = formatdate(target.stat().st_mtime, usegmt=True)
        return found

    def paths(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if status is None or r.status == status]

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                short = _SHORT_LINK_RE.match(urlsplit(self.path).path)
                target_page = server.short_link_target(short.group(1)) if short else None
                if target_page is not None:  # as p.dw.com does: a short link redirects to the page
                    agent = self.headers.get("User-Agent", "")
                    server._log(LoggedRequest(self.command, self.path, 301, agent, time.monotonic()))
                    self._send(301, "text/html; charset=utf-8", b"", send_body, Location=target_page)
                    return
                generated = server.generate(self.path)
                target = None if generated is not None else server.resolve(self.path)
                ctype = "text/html; charset=utf-8"
                if generated is not None:
                    status, body = 200, generated
                    if generated.startswith(b"<?xml"):
                        ctype = "application/xml; charset=utf-8"
                elif target is None:
                    status, body = 404, b"<html><body><h1>404</h1></body></html>"
                else:
                    status, body = 200, target.read_bytes()
                    ctype = _CONTENT_TYPES.get(target.suffix, "application/octet-stream")
                fault = server.fault_for(self.path) if status == 200 else None
                agent = self.headers.get("User-Agent", "")
                logged_status = fault.status if fault is not None and fault.kind == "status" else status
                validators: dict[str, str] = {}
                if status == 200 and fault is None and server.conditional:
                    validators = server.validators(body, target)
                    if self._not_modified(validators):
                        server._log(LoggedRequest(self.command, self.path, 304, agent, time.monotonic()))
                        self._send(304, ctype, b"", False, **validators)
                        return
                sent = len(body) if fault is None and send_body else 0
                server._log(LoggedRequest(self.command, self.path, logged_status, agent, time.monotonic(), sent))
                if fault is not None and self._misbehave(fault, body, send_body, ctype):
                    return
                self._send(status, ctype, body, send_body, **validators)

            def _not_modified(self, validators: dict[str, str]) -> bool:
                """As a CDN answers (RFC 9110): If-None-Match wins over If-Modified-Since."""
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match is not None:
                    return validators["ETag"] in [tag.strip() for tag in if_none_match.split(",")]
                since = self.headers.get("If-Modified-Since")
                if since is None or "Last_Modified" not in validators:
                    return False
                return since.strip() == validators["Last_Modified"]

            def _send(self, status: int, ctype: str, body: bytes, send_body: bool, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def _misbehave(self, fault: Fault, body: bytes, send_body: bool, ctype: str) -> bool:
                """Answer as the fault says; False: answer normally after all (hang)."""
                html = "text/html; charset=utf-8"
                if fault.kind == "status":
                    extra = {"Retry_After": fault.retry_after} if fault.retry_after else {}
                    self._send(fault.status, html, b"<html><body>error</body></html>", send_body, **extra)
                elif fault.kind == "hang":
                    time.sleep(fault.seconds)
                    return False
                elif fault.kind == "block":
                    (fault.release or threading.Event()).wait(fault.seconds)
                    return False
                elif fault.kind in ("reset", "truncate"):
                    self.send_response(200)
                    self.send_header("Content-Type", html)
                    self.send_header("Content-Length", str(len(body) + (0 if fault.kind == "reset" else 5000)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2] if fault.kind == "reset" else body)
                    self.wfile.flush()
                    if fault.kind == "reset":  # RST instead of FIN
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                elif fault.kind == "bad_gzip":
                    self._send(200, html, b"\x1f\x8b\x08\x00" + body[:2000], send_body, Content_Encoding="gzip")
                elif fault.kind == "charset":
                    text = body.decode("utf-8").encode(fault.body_charset, errors="replace")
                    self._send(200, f"text/html; charset={fault.label_charset}", text, send_body)
                elif fault.kind == "huge":
                    size = fault.size_mb * 1024 * 1024
                    self.send_response(200)
                    self.send_header("Content-Type", html)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    chunk = (body * (1 + 1024 * 1024 // max(1, len(body))))[: 1024 * 1024]
                    with contextlib.suppress(ConnectionError):
                        for _ in range(fault.size_mb):
                            self.wfile.write(chunk)
                elif fault.kind == "redirect_loop":
                    hop = int(dict(parse_qsl(urlsplit(self.path).query)).get("hop", "0")) + 1
                    self._send(302, html, b"", send_body, Location=f"{urlsplit(self.path).path}?hop={hop}")
                elif fault.kind == "redirect_offsite":
                    location = f"http://127.0.0.2:{server.port}{urlsplit(self.path).path}"
                    self._send(302, html, b"", send_body, Location=location)
                elif fault.kind == "content_type":
                    blob = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" * 50
                    self._send(200, fault.content_type, blob, send_body)
                elif fault.kind == "redirect":
                    location = fault.location.format(port=server.port, path=urlsplit(self.path).path)
                    self._send(302, html, b"", send_body, Location=location)
                elif fault.kind == "transform" and fault.transform is not None:
                    self._send(200, ctype, fault.transform(body.decode("utf-8")).encode("utf-8"), send_body)
                elif fault.kind == "bytes" and fault.transform_bytes is not None:
                    self._send(200, ctype, fault.transform_bytes(body), send_body, **(fault.headers or {}))
                else:
                    return False
                return True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the request log above is the record

        return Handler

    def start(self) -> MirrorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="dw-mirror", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def crawl_command(base_url: str, spider: str, extra: list[str]) -> list[str]:
    """The ``scrapy crawl`` command line that crawls a mirror at full speed (politeness off: loopback)."""
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-s",
        f"DWNEWS_BASE_URL={base_url}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dwnews.mirror", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="serve the mirror until Ctrl-C",
        description="Serve the mirror on 127.0.0.1 until Ctrl-C; crawl it with -s DWNEWS_BASE_URL=http://127.0.0.1:PORT.",
    )
    serve.add_argument("--port", type=int, default=8000, help="the loopback port to listen on (default: 8000)")
    serve.add_argument("--root", type=Path, default=DEFAULT_SITE, help=f"the saved site (default: {DEFAULT_SITE})")
    demo = sub.add_parser(
        "demo",
        help="serve the mirror and crawl it; extra arguments go to scrapy crawl",
        description="Serve the mirror on a free loopback port and run `scrapy crawl` against it with a throwaway "
        "state directory (unless -s DWNEWS_STATE_DIR=... is given). Arguments this command does not know go to "
        "scrapy crawl; without any, the records go to demo.jsonl.",
        epilog="example: python3 -m dwnews.mirror demo -O /tmp/demo.jsonl -a section=s-12756",
    )
    demo.add_argument("--root", type=Path, default=DEFAULT_SITE, help=f"the saved site (default: {DEFAULT_SITE})")
    demo.add_argument("--spider", default="politics", help="the spider to run: politics (default) or article")
    args, extra = parser.parse_known_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: no such directory")
    if args.command == "serve":
        with MirrorServer(args.root, args.port) as server:
            print(f"Serving {args.root} at {server.base_url} (Ctrl-C stops)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    extra = extra or ["-O", "demo.jsonl"]
    with contextlib.ExitStack() as stack:
        if not any(arg.startswith("DWNEWS_STATE_DIR=") for arg in extra):
            # A throwaway state: the demo exports every politics article of the mirror each time.
            extra += ["-s", f"DWNEWS_STATE_DIR={stack.enter_context(tempfile.TemporaryDirectory())}"]
        server = stack.enter_context(MirrorServer(args.root))
        print(f"Mirror of {args.root} at {server.base_url}", flush=True)
        command = crawl_command(server.base_url, args.spider, extra)
        print("Running: scrapy", " ".join(command[3:]), flush=True)
        status = subprocess.run(command, cwd=PROJECT_ROOT, env=os.environ.copy(), check=False).returncode
        print(f"{len(server.requests)} requests served; scrapy exited with {status}", flush=True)
        return status


if __name__ == "__main__":
    raise SystemExit(main())
