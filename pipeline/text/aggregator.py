"""Aggregator items: an outlet's headline relayed by a news-search feed, and how it meets the original.

News-search feeds (Google News and its like) list other outlets' articles: the item's link is a
redirect through the aggregator, the outlet is named in ``<source url="...">Outlet</source>``, and
the title ends with " - Outlet". Such an item is the outlet's article: its title without that
suffix is the outlet's headline (``strip_source_suffix``), and when the outlet's own feed is
configured, its entry with the same headline (``headline_key``, ``same_headline``) is the page the
item stands for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from pipeline.models import Article
from pipeline.text.credits import AliasTable

# What separates a headline from the outlet's name at its end: " - ", " – ", " — ", " | ", " · ",
# " :: ", " / " (the forms news-search feeds and outlets' own <title>s use).
_SEPARATOR = re.compile(r"\s+(?:-{1,2}|–|—|\||·|::|/)\s+")
_WORD = re.compile(r"\w+")
# A headline an aggregator cut short: "..." or "…" at its end.
_CUT = re.compile(r"\s*(?:\.\.\.|…)\s*$")
# An aggregator's cut headline matches the outlet's when it is the start of it and this long at least.
MIN_CUT_WORDS = 5


def strip_source_suffix(title: str, source: str | None, source_url: str = "") -> str:
    """``title`` without a trailing " - Outlet" that names the item's ``<source>`` (its name, or the
    host of its URL; compared as ``AliasTable.key``: case, punctuation, "www." and a leading "The"
    aside); any other title is returned as it is ("Q&A - what it means" stays)."""
    names = {AliasTable.key(value) for value in (source or "", source_url) if value} - {""}
    if not names:
        return title
    for found in reversed(list(_SEPARATOR.finditer(title))):
        if AliasTable.key(title[found.end() :]) in names:
            return title[: found.start()].rstrip() or title
    return title


def headline_key(title: str) -> str:
    """A headline as compared across feeds: NFKC, case-folded, words only (punctuation, quotes and
    spacing differ between an outlet's feed and an aggregator's copy of its headline)."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", title).casefold()))


def same_headline(relayed: str, original: str) -> bool:
    """Whether an aggregator's headline (suffix already stripped) is the outlet's ``original``: equal
    as ``headline_key``s, or cut short with "..." after at least ``MIN_CUT_WORDS`` words of it."""
    if not relayed.strip():
        return False
    relayed_key, original_key = headline_key(relayed), headline_key(original)
    if relayed_key and relayed_key == original_key:
        return True
    if _CUT.search(relayed):
        cut = headline_key(_CUT.sub("", relayed))
        return len(cut.split()) >= MIN_CUT_WORDS and (original_key + " ").startswith(cut + " ")
    return False


def host_of(url: str) -> str:
    """The host of a URL, lowercased and without "www." ("" for anything but an absolute URL)."""
    netloc = urlsplit(url.strip()).netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def outlet_page(relayed: Article, candidates: Iterable[tuple[str, str, datetime | None]]) -> str | None:
    """The link of the outlet's own entry that an aggregator item relays: among ``candidates``
    (title, link, published or None) of the outlet's feed, one with ``same_headline``; of several,
    the one published nearest the item (None when none, or several and no dates to choose by)."""
    found = [
        (link, published)
        for title, link, published in candidates
        if link and same_headline(relayed.title, title)
    ]
    if len({link for link, _ in found}) <= 1:
        return found[0][0] if found else None
    dated = [
        (abs((published - relayed.published).total_seconds()), link) for link, published in found if published
    ]
    return min(dated)[1] if dated else None
