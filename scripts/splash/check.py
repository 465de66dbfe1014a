"""Check that a running Splash renders JavaScript, both the way a browser URL does and the way scrapy-splash does.

    python3 scripts/splash/check.py [SPLASH_URL] [--runs 10] [--wait 0.5] [--no-lua]

Standard library only.  It serves a tiny HTML page on 127.0.0.1 (a free port) whose links exist only after
JavaScript builds them from a JSON blob (two at once, one from a 50 ms timer), then asks Splash for it:

1. ``GET /render.html?url=...&wait=...``
2. ``POST /render.html`` with a JSON body ``{"url": ..., "wait": ...}`` -- what scrapy-splash sends; this is the
   request that fails on stock Splash 3.5 under Python >= 3.9 without launcher.py's json.loads shim
3. ``POST /execute`` with a small Lua script (skipped with ``--no-lua``)

and asserts that the JavaScript-made links are in every result (and not in the static page).  Each request
is made ``--runs`` times; the median render time is printed.  Exit status 0 when every check passed.
Only loopback addresses are accepted as SPLASH_URL.
"""

from __future__ import annotations

import argparse
import http.server
import ipaddress
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

LINKS = [
    {"href": "/sw/siasa/a-70000001", "text": "Habari ya kwanza"},
    {"href": "/sw/siasa/a-70000002", "text": "Habari ya pili"},
]
LATE_LINK = {"href": "/sw/siasa/a-70000003", "text": "Habari ya tatu (timer)"}
EXPECTED_HREFS = [link["href"] for link in [*LINKS, LATE_LINK]]

PAGE = f"""<!DOCTYPE html>
<html lang="sw"><head><meta charset="utf-8"><title>dwnews splash check</title></head>
<body>
<ul id="list"></ul>
<script type="application/json" id="data">{json.dumps({"links": LINKS})}</script>
<script>
  function add(link) {{
    var a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    var li = document.createElement("li");
    li.appendChild(a);
    document.getElementById("list").appendChild(li);
  }}
  JSON.parse(document.getElementById("data").textContent).links.forEach(add);
  setTimeout(function () {{ add({json.dumps(LATE_LINK)}); }}, 50);
</script>
</body></html>
""".encode()

LUA = """
function main(splash, args)
  assert(splash:go(args.url))
  assert(splash:wait(args.wait))
  local hrefs = splash:evaljs("Array.prototype.map.call(document.querySelectorAll('#list a'), "
    .. "function (a) { return a.getAttribute('href'); })")
  return {hrefs = hrefs, html = splash:html()}
end
"""


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/page.html":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 -- signature of the base class
        pass


def require_loopback(url: str) -> None:
    """Accept only 'localhost' or a literal loopback address (no DNS look-up of other names)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"check.py: refusing {url}: only a Splash on a loopback address (127.0.0.1) is checked")


def fetch(url: str, body: dict[str, object] | None = None, timeout: float = 60.0) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:1500]
        raise AssertionError(f"HTTP {exc.code} from {url}: {detail}") from None


def missing_hrefs(text: str) -> list[str]:
    return [href for href in EXPECTED_HREFS if f'href="{href}"' not in text]


def run_check(name: str, runs: int, once: Callable[[], str]) -> tuple[bool, float]:
    """Run ``once`` ``runs`` times; every result must contain all JS-made links. Return (ok, median seconds)."""
    times: list[float] = []
    for i in range(runs):
        start = time.perf_counter()
        try:
            text = once()
        except (AssertionError, OSError) as exc:
            print(f"FAIL {name}: run {i + 1}: {exc}")
            return False, float("nan")
        times.append(time.perf_counter() - start)
        missing = missing_hrefs(text)
        if missing:
            print(f"FAIL {name}: run {i + 1}: JavaScript-made links missing: {missing}\n--- result ---\n{text[:2000]}")
            return False, float("nan")
    median = statistics.median(times)
    print(
        f"ok   {name:44s} median {median * 1000:7.1f} ms over {runs} renders "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
    )
    return True, median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("splash", nargs="?", default="http://127.0.0.1:8050", help="Splash base URL")
    parser.add_argument("--runs", type=int, default=10, help="renders per check (median is printed)")
    parser.add_argument("--wait", type=float, default=0.5, help="Splash 'wait' argument, seconds")
    parser.add_argument("--no-lua", action="store_true", help="skip the /execute (Lua) check")
    args = parser.parse_args(argv)
    splash = args.splash.rstrip("/")
    require_loopback(splash)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page_url = f"http://127.0.0.1:{server.server_address[1]}/page.html"
    try:
        ping = json.loads(fetch(f"{splash}/_ping", timeout=10))
        print(f"Splash {splash}: /_ping {ping}; test page {page_url}; wait={args.wait}")
        static = fetch(page_url).decode()
        if missing_hrefs(static) != EXPECTED_HREFS:
            print("FAIL the static test page already contains the links; the check would prove nothing")
            return 1

        render_args = {"url": page_url, "wait": args.wait}
        checks: list[tuple[str, Callable[[], str]]] = [
            (
                "GET  /render.html?url=..&wait=..",
                lambda: fetch(f"{splash}/render.html?{urllib.parse.urlencode(render_args)}").decode(),
            ),
            (
                "POST /render.html JSON body (scrapy-splash)",
                lambda: fetch(f"{splash}/render.html", render_args).decode(),
            ),
        ]
        if not args.no_lua:

            def lua_once() -> str:
                result = json.loads(fetch(f"{splash}/execute", {**render_args, "lua_source": LUA}))
                hrefs = result.get("hrefs") or []
                hrefs = list(hrefs.values()) if isinstance(hrefs, dict) else list(hrefs)
                if hrefs != EXPECTED_HREFS:
                    raise AssertionError(f"/execute evaljs saw hrefs {hrefs}, expected {EXPECTED_HREFS}")
                return str(result.get("html", ""))

            checks.append(("POST /execute Lua script", lua_once))

        results = [run_check(name, args.runs, once) for name, once in checks]
    except (AssertionError, OSError, ValueError) as exc:
        print(f"FAIL {exc}")
        return 1
    finally:
        server.shutdown()
        server.server_close()

    passed = sum(ok for ok, _ in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
