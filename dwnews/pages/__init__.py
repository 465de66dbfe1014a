"""Page objects: a DW page's bytes or text in, what it says out; no Scrapy, no network.

- :mod:`~dwnews.pages.article`: an article page (every record field, with where it came from);
- :mod:`~dwnews.pages.listing`: a home or section page's links, classified;
- :mod:`~dwnews.pages.feeds`: sitemaps and RSS/RDF/Atom feeds, streamed;
- :mod:`~dwnews.pages.robots`: robots.txt's sitemaps.
"""
