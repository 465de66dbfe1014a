"""Where what the crawls learned is kept: plain values in and out, no Scrapy.

- :mod:`~dwnews.store.ledger`: the article ledger's interface (claims, skips, staged records, feeds,
  failures, the corpus);
- :mod:`~dwnews.store.sqlite` and :mod:`~dwnews.store.redis`: its two backends;
- :mod:`~dwnews.store.pages`: the page store of conditional requests;
- :mod:`~dwnews.store.feedfiles`: feed files read back;
- :mod:`~dwnews.store.outputs`: the one writer of every output (feeds, exports, the stats file).
"""
