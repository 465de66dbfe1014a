"""Start Splash 3.5 (``splash.server``) on a modern Python, after three small compatibility shims.

Run it with the Splash venv's python (see install.sh / start.sh), passing splash.server's own options::

    /opt/dwnews-splash/bin/python scripts/splash/launcher.py --ip 127.0.0.1 --port 8050

Shim 1 -- ``json.loads(..., encoding=...)``.
    Splash 3.5 (2020) parses JSON request bodies with ``json.loads(content, encoding='utf8')``
    (splash/render_options.py).  The ``encoding`` argument had been ignored since Python 3.1 and was
    removed in Python 3.9, so on 3.11 every POST with ``Content-Type: application/json`` -- which is
    exactly how scrapy-splash talks to Splash -- fails with
    ``TypeError: JSONDecoder.__init__() got an unexpected keyword argument 'encoding'`` (HTTP 500).
    We wrap ``json.loads`` so it drops that one argument; behaviour is otherwise unchanged, because
    ``json.loads`` already accepts both ``str`` and UTF-8 ``bytes``.

Shim 2 -- which Lua ``import lupa`` gives.
    lupa >= 2.0 ships several Lua builds as submodules (lupa.lua51 ... lupa.lua55, luajit) and a bare
    ``import lupa`` picks the newest one (Lua 5.4/5.5).  Splash 3.5 was written for, and shipped with,
    Lua 5.2 (its Docker image builds lupa against liblua5.2); its Lua sandbox and helpers break on 5.4+
    and ``/execute`` answers with an internal error.  Before Splash imports lupa we therefore put the
    Lua 5.2 build in ``sys.modules['lupa']``.  ``DWNEWS_SPLASH_LUA`` overrides the choice
    (e.g. ``lua53``; ``default`` leaves lupa's own default in place).

Shim 3 -- ``QTimer.start(float)``.
    Since Python 3.10 (no implicit ``__int__`` conversion) PyQt5 rejects a float where C++ wants an
    ``int``.  Splash passes float milliseconds to ``QTimer.start`` in a few places: ``splash:wait()``
    in Lua (``time * 1000``) and the per-request ``resource_timeout`` / ``request:set_timeout`` timers
    (``timeout * 1000``), which then fail with "start(self, msec: int): argument 1 has unexpected type
    'float'".  We wrap ``QTimer.start`` so float milliseconds are truncated to ``int``, as Python < 3.10
    did implicitly.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from typing import Any

LUA_MODULE_DEFAULT = "lua52"


def patch_json_loads() -> None:
    """Make ``json.loads`` accept and ignore the ``encoding`` keyword removed in Python 3.9."""
    original = json.loads
    if getattr(original, "_dwnews_ignores_encoding", False):
        return

    @functools.wraps(original)
    def loads(s: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("encoding", None)
        return original(s, *args, **kwargs)

    loads._dwnews_ignores_encoding = True  # type: ignore[attr-defined]
    json.loads = loads


def patch_qtimer_start() -> None:
    """Let ``QTimer.start`` take float milliseconds again (truncated to int, as before Python 3.10)."""
    from PyQt5.QtCore import QTimer

    original = QTimer.start
    if getattr(original, "_dwnews_int_msec", False):
        return

    def start(self: QTimer, *args: Any) -> None:
        original(self, *(int(a) if isinstance(a, float) else a for a in args))

    start._dwnews_int_msec = True  # type: ignore[attr-defined]
    QTimer.start = start


def select_lua() -> str:
    """Alias ``lupa`` to the Lua build Splash 3.5 works with; return a short description for the log."""
    choice = os.environ.get("DWNEWS_SPLASH_LUA", LUA_MODULE_DEFAULT).strip() or LUA_MODULE_DEFAULT
    try:
        import lupa
    except ImportError:
        return "lupa not installed (Lua scripting unavailable; pass --disable-lua)"
    if choice == "default":
        return f"lupa {getattr(lupa, '__version__', '?')} default build"
    try:
        module = importlib.import_module(f"lupa.{choice}")
    except ImportError as exc:
        return f"lupa.{choice} not available ({exc}); using lupa's default build"
    sys.modules["lupa"] = module
    return f"lupa {getattr(lupa, '__version__', '?')} build lupa.{choice}"


def main(argv: list[str]) -> None:
    patch_json_loads()
    patch_qtimer_start()
    lua_note = select_lua()
    sys.stderr.write(f"dwnews splash launcher: json.loads and QTimer.start shims on; Lua: {lua_note}\n")
    sys.stderr.flush()

    from splash.server import main as splash_main  # imported only after the shims are in place

    # Splash listens on every interface unless told otherwise: here on loopback unless --ip says
    # where (start.sh passes 127.0.0.1 too).
    if not any(arg == "--ip" or arg.startswith("--ip=") for arg in argv):
        argv = ["--ip", "127.0.0.1", *argv]
    # splash.server.parse_opts hands argv to optparse as-is, so argv[0] must be the program name.
    splash_main(argv=["splash.server", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
