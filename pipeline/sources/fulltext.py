"""Full text: when a feed carries only a teaser, fetch the article page and detect on its main text.

Two steps, so that the slow network part stays outside the run's state transaction:

* ``want_pages`` (as each feed's result arrives) picks the new entries that need their page (per
  feed ``full_text``; ``"auto"``: short or teaser-like entries of feeds read over http(s)); then
  ``get_pages`` (before the transaction) takes pages from the state's cache or fetches them with
  ``PageClient``, extracts the main text with trafilatura and the ``<link rel="canonical">`` with
  lxml, caches both, and hangs the ``Page`` on the article.
* ``use_full_text`` (after normalize, before fingerprint) swaps the article's ``body`` for the
  page's text cleaned the same way as feed text, and adds a credit: the feed's own credit line
  first, then one on the page, then a canonical link on another outlet's site.

A page that cannot be fetched or has no text leaves the entry detected on its feed text: the run
logs one warning counting them per feed, and each one's link and reason under -v.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlparse

from pipeline.config import Config, FeedConfig
from pipeline.models import Article, FetchResult, Page
from pipeline.sources.page_client import PageClient, PageRequest, PageResponse
from pipeline.store import Store
from pipeline.text.article import normalize_article
from pipeline.text.clean import clean_line
from pipeline.text.credits import AliasTable, split_body

log = logging.getLogger(__name__)

# "auto" fetches entries with fewer words than this: feed summaries run 20-80 words, wire articles
# 300 and more, so 120 catches summaries without fetching pages for entries already in full.
SHORT_WORDS = 120
# A failed fetch worth retrying (timeout, 5xx, no text found) is tried again for a later entry
# linking the same page, at most once an hour; a page with text is never fetched again.
RETRY_AFTER = timedelta(hours=1)


def may_fetch(feed: FeedConfig) -> bool:
    """Whether any entry of this feed may have its page fetched."""
    if feed.full_text == "auto":
        # A feed file is an offline copy (the demo, tests): its links are fetched only with true.
        return urlparse(feed.url).scheme in ("http", "https")
    return feed.full_text


def wants_page(article: Article, feed: FeedConfig) -> bool:
    """Whether a normalized entry should be detected on its page's text."""
    if not may_fetch(feed) or urlparse(article.link).scheme not in ("http", "https"):
        return False
    return feed.full_text is True or article.truncated or len(article.body.split()) < SHORT_WORDS


# page URL -> the new entries that link it and want its text
WantedPages = dict[str, list[Article]]


def want_pages(result: FetchResult, feed: FeedConfig | None, state: Store, wanted: WantedPages) -> None:
    """Add the new entries of one feed's result (``feed``: its config, None if gone) that need
    their page to ``wanted``. Reads their bodies: the run calls it before it spools them."""
    if not result.ok or feed is None or not may_fetch(feed):
        return
    known = state.known_entry_keys(result.feed)
    for article in result.articles:
        if article.entry_key in known:
            continue
        probe = article if article.normalized else replace(article)
        if not probe.normalized:
            normalize_article(probe)
        if wants_page(probe, feed):
            wanted.setdefault(article.link, []).append(article)


def get_pages(
    wanted: WantedPages, config: Config, state: Store, now: datetime, client: PageClient | None = None
) -> int:
    """Attach each page of ``wanted`` (``want_pages``) to its entries, from the state's cache or
    fetched (and cached); return how many pages were requested."""
    requests: list[PageRequest] = []
    pages: dict[str, Page] = {}
    for url, articles in wanted.items():
        cached = state.cached_page(url)
        if cached is not None and _reusable(cached, now):
            pages[url] = cached
            for article in articles:
                article.page = cached
            continue
        etag = cached.etag if cached else None
        last_modified = cached.last_modified if cached else None
        requests.append(PageRequest(url, etag, last_modified))
    if wanted:
        log.info(
            "full text: %d pages wanted, %d from the cache, %d to fetch",
            len(wanted),
            len(wanted) - len(requests),
            len(requests),
        )
    if not requests:
        _warn_unusable(wanted, pages)
        return 0
    own_client = client is None
    http = client or PageClient(
        config.fetch.timeout, config.fetch.per_host_delay, allow_private=config.fetch.allow_private_pages
    )
    try:
        for response in http.get_many(requests):
            page = page_from_response(response, state.cached_page(response.url), now)
            state.save_page(page)  # autocommit: a fetched page stays cached even if detection fails
            pages[response.url] = page
            for article in wanted[response.url]:
                article.page = page
    finally:
        if own_client:
            http.close()
    _warn_unusable(wanted, pages)
    return len(requests)


def _warn_unusable(wanted: WantedPages, pages: Mapping[str, Page]) -> None:
    """One warning for the run's article pages that gave no text (a cron mail gets one line, not
    one per page), naming how many per feed; each page's reason is logged under -v (``_apply``)."""
    failed = [url for url, page in pages.items() if page.text is None]
    if not failed:
        return
    per_feed = Counter(article.feed for url in failed for article in wanted.get(url, ()))
    feeds = ", ".join(f"{name} {count}" for name, count in sorted(per_feed.items()))
    log.warning(
        "full text: %d of %d article pages could not be used (entries per feed: %s); those entries "
        "are compared on their feed's text (each page and its reason with -v)",
        len(failed),
        len(pages),
        feeds,
    )


def _reusable(page: Page, now: datetime) -> bool:
    return page.text is not None or not page.retry or now - page.fetched_at < RETRY_AFTER


def page_from_response(response: PageResponse, cached: Page | None, now: datetime) -> Page:
    """The Page to cache for a response: its extracted text and canonical link, or the error."""
    if response.not_modified:
        if cached is not None:
            return replace(cached, fetched_at=now)
        response = replace(response, error=f"HTTP 304 for {response.url} without a cached copy", retry=True)
    page = Page(
        url=response.url,
        fetched_at=now,
        final_url=response.final_url,
        status=response.status,
        etag=response.etag,
        last_modified=response.last_modified,
        error=response.error,
        retry=response.retry,
    )
    if response.error is not None:
        return page
    canonical, text = extract(response.body, response.encoding, response.final_url)
    if text is None:
        return replace(
            page, canonical=canonical, error=f"no article text found in {response.final_url}", retry=True
        )
    return replace(page, canonical=canonical, text=text)


def extract(body: bytes, encoding: str | None, url: str) -> tuple[str | None, str | None]:
    """(canonical link, main text) of an HTML page; the text has one paragraph per line."""
    # Imported here: trafilatura and what it loads cost ~0.2 s of CPU, and a run fetches pages
    # only for the teasers of feeds that allow it (most runs start without them).
    import lxml.html
    import trafilatura
    from lxml import etree

    try:
        html: str | bytes = body.decode(encoding, errors="replace") if encoding else body
    except LookupError:  # an unknown charset name: let lxml and trafilatura guess
        html = body
    try:
        tree = lxml.html.document_fromstring(html)
    except ValueError:  # an XHTML page with an <?xml encoding?> declaration parses only from bytes
        try:
            tree = lxml.html.document_fromstring(body)
        except (etree.ParserError, ValueError):
            return None, None
    except etree.ParserError:
        return None, None
    canonical = None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            canonical = urljoin(url, href)
            break
    text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=False, deduplicate=False)
    return canonical, (text.strip() or None) if text else None


def use_full_text(
    articles: Iterable[Article], aliases: AliasTable, hosts: Mapping[str, str]
) -> Iterator[Article]:
    """Detect each article on its page's text where it has one; add credits from the page.

    ``aliases`` is the run's table (it knows the feeds' site hosts); ``hosts`` is ``feed_hosts``."""
    for article in articles:
        if article.page is not None:
            _apply(article, article.page, aliases, hosts.get(article.feed))
        yield article


def _apply(article: Article, page: Page, aliases: AliasTable, feed_host: str | None) -> None:
    if page.text is None:  # counted in get_pages' one warning for the run
        log.info(
            "feed %r: full text of %s not used (%s); detected on the feed's text",
            article.feed,
            article.link,
            page.error,
        )
        return
    title = article.title.casefold()
    paragraphs = [clean_line(line) for line in page.text.split("\n")]
    paragraphs = [p for p in paragraphs if p and p.casefold() != title]
    body, credit, _ = split_body(paragraphs)
    if len(" ".join(body).split()) > len(article.body.split()):
        article.body = "\n".join(body)
        article.truncated = False
    else:
        log.info(
            "feed %r: page %s has no more text than the entry; detected on the feed's text",
            article.feed,
            article.link,
        )
    article.credit = article.credit or credit or _canonical_credit(article, page, aliases, feed_host)


def _canonical_credit(article: Article, page: Page, aliases: AliasTable, feed_host: str | None) -> str | None:
    """A canonical link on another outlet's site credits that outlet (named via aliases and feed links)."""
    host = host_of(page.canonical or "")
    if not host or host in {host_of(article.link), host_of(page.final_url or ""), feed_host}:
        return None
    outlet = aliases.resolve(host)
    return None if outlet == article.feed else outlet


def host_of(url: str) -> str:
    """The host (with port) of a URL, lowercased and without "www."."""
    netloc = urlparse(url).netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def feed_hosts(state: Store) -> dict[str, str]:
    """feed name -> host of the site it links to (its <link>), as learned by ingest."""
    hosts = {}
    for name, (_, _, link, _) in state.feed_info().items():
        host = host_of(link or "")
        if host:
            hosts[name] = host
    return hosts
