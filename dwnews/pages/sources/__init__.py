"""The sources of an article page's fields, one module each: what one source can say of an article.

A source is one place a DW page states its fields: the JSON-LD ``NewsArticle``
(:mod:`~dwnews.pages.sources.jsonld`), the state the React app embeds
(:mod:`~dwnews.pages.sources.state`), the DOM of one of DW's layouts (:mod:`~dwnews.pages.sources.current`,
:mod:`~dwnews.pages.sources.legacy`), the ``<meta>`` tags (:mod:`~dwnews.pages.sources.meta`). Each
is a :class:`~dwnews.pages.sources.base.Source` with one method per field it can give, so a layout's
hooks are all in its module, and a layout DW no longer serves is deleted whole: its module and its
row in ``COMPOSITION`` (:mod:`dwnews.pages.article`), which says in which order the page asks its
sources for each field.
"""
