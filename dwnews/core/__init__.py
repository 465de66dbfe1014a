"""Pure facts about DW and about dwnews records, shared by every layer; no Scrapy here.

- :mod:`~dwnews.core.ids`: content id <-> short id (base 62);
- :mod:`~dwnews.core.urls`: page paths, link classification, origins, the configured site;
- :mod:`~dwnews.core.dates`, :mod:`~dwnews.core.text`, :mod:`~dwnews.core.encoding`: reading what a
  page says;
- :mod:`~dwnews.core.record`: the article record (its fields, once) and what a valid one is;
- :mod:`~dwnews.core.site`: the DW site profile (paths, politics category, credit labels);
- :mod:`~dwnews.core.config`: every ``DWNEWS_*`` setting, typed and checked;
- :mod:`~dwnews.core.keys`: request meta keys, page types, verdicts and skips, signals;
- :mod:`~dwnews.core.stats`: every ``dwnews/...`` stat;
- :mod:`~dwnews.core.outcome`: how a run ends (exit statuses) and the errors that end it.
"""
