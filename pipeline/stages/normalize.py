"""Normalize: the stage that turns each entry's HTML into clean text (see ``pipeline.text.article``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipeline.models import Article
from pipeline.text.article import normalize_article


def normalize(articles: Iterable[Article]) -> Iterator[Article]:
    """Fill ``text``, ``body``, ``credit`` and ``truncated`` of each article not yet normalized."""
    for article in articles:
        if not article.normalized:  # a parse worker may have done it already
            normalize_article(article)
        yield article
