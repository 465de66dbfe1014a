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
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE = PROJECT_ROOT / "tests" / "site"

_PAGE_RE = re.compile(r"^/(?P<lang>[a-z]{2,3})/(?:.+/)?(?P<kind>[a-z]+)-(?P<id>\d+)/?$")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    user_agent: str


class MirrorServer:
    """Serves a saved copy of the site on 127.0.0.1 from a background thread."""

    def __init__(self, root: Path = DEFAULT_SITE, port: int = 0) -> None:
        self.root = Path(root)
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
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
                target = server.resolve(self.path)
                if target is None:
                    status, body, ctype = 404, b"<html><body><h1>404</h1></body></html>", "text/html; charset=utf-8"
                else:
                    status, body = 200, target.read_bytes()
                    ctype = _CONTENT_TYPES.get(target.suffix, "application/octet-stream")
                server._log(LoggedRequest(self.command, self.path, status, self.headers.get("User-Agent", "")))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

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
    serve = sub.add_parser("serve", help="serve the mirror until Ctrl-C")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--root", type=Path, default=DEFAULT_SITE)
    demo = sub.add_parser("demo", help="serve the mirror and crawl it; extra arguments go to scrapy crawl")
    demo.add_argument("--root", type=Path, default=DEFAULT_SITE)
    demo.add_argument("--spider", default="politics")
    args, extra = parser.parse_known_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: no such directory")
    if args.command == "serve":
        with MirrorServer(args.root, args.port) as server:
            print(f"Serving {args.root} at {server.base_url} (Ctrl-C stops)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    with MirrorServer(args.root) as server:
        print(f"Mirror of {args.root} at {server.base_url}", flush=True)
        command = crawl_command(server.base_url, args.spider, extra or ["-O", "demo.jsonl"])
        print("Running:", " ".join(command[1:]), flush=True)
        status = subprocess.run(command, cwd=PROJECT_ROOT, env=os.environ.copy(), check=False).returncode
        print(f"{len(server.requests)} requests served", flush=True)
        return status


if __name__ == "__main__":
    raise SystemExit(main())
