"""The Scrapy components of a crawl, wired by the add-on (:mod:`dwnews.crawl.addon`).

They meet through the signals of :mod:`dwnews.core.keys` and reach the ledger through one accessor
(:func:`dwnews.crawl.ledger.ledger_keeper`); none imports another to call it, but for the add-on,
which wires them all, and the ledger accessor.
"""
