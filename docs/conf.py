"""Sphinx configuration of the dwnews docs (MyST Markdown, furo).

Build: python3 -m sphinx -W -b html docs docs/_build/html   (after pip install -r docs/requirements.txt)
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# docs/_ext holds the reference generator; the repository root makes `dwnews` importable (its
# dwnews.core modules are pure Python: the docs need no Scrapy)
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent)]

from dwnews import __version__  # noqa: E402

project = "dwnews"
author = "the dwnews developers"
copyright = "the dwnews developers"  # noqa: A001 -- the name Sphinx reads
version = release = __version__

extensions = ["myst_parser", "dwnews_reference"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
root_doc = "index"

# `page.md#a-heading` links resolve (and are checked) down to level-3 headings
myst_heading_anchors = 3
# every cross-reference must resolve: with -W a broken one fails the build
nitpicky = True
# the pages are about exact characters (quotes, apostrophes): print them as written
smartquotes = False

html_theme = "furo"
html_title = f"dwnews {release}"
html_static_path: list[str] = []
