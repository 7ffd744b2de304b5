"""An entry's identity: normalized keys, a content hash, and how one fetch's entries match stored ones.

Feeds re-key their own articles (a site moves to https, a slug is corrected, an entry without an id
whose text carries a view counter), give several articles one GUID or one link, and edit articles in
place under the same GUID. The rules, in order, for each entry of one fetch of one feed:

1. **Key.** The normalized GUID; without one the normalized link; without one ``text:`` + the content
   hash. A URL is normalized by courlan (host case, default port, tracking parameters such as utm_*,
   fbclid, gclid, sorted query), then here: the campaign parameters courlan keeps (ncid, cmpid, CMP,
   ito, ocid, ... ``CAMPAIGN_PARAMS``) and the marks of an AMP page (an ``amp.`` host, an ``amp``
   path segment, ``.amp`` before the extension, ``?amp=1``, ``?outputType=amp``, an AMP cache URL)
   are dropped, and so are the scheme (http and https are one key), a leading ``www.``, a trailing
   slash and the fragment (``url_key``). The same key is what matches one page across feeds
   (``permalink_keys``).
2. **Repeats and shared ids (within one fetch).** An entry that repeats an earlier one of the same
   fetch (same key, same title and text: a feed listing one item twice) is read once
   (``drop_repeats``), with one warning. Several *different* entries of one fetch with one key
   are distinct articles: each gets the key plus a discriminator, its full link when the links
   differ, else its title, else its content hash (``assign_keys``), and the feed gets one warning.
3. **Matching a stored entry of the same feed (across runs):** by key; else, among the stored entries
   whose key is absent from this fetch (re-keyed), by normalized link when exactly one stored and one
   incoming entry have it, else by content hash, else by the hash of the text alone when exactly one
   stored and one incoming entry have it (a slug and its title corrected together, same text; only a
   text of ``MIN_TEXT_CHARS`` visible characters or more has such a hash). A key or link match whose
   title *and* text both changed and whose words overlap less than ``UNRELATED_JACCARD`` is not the
   same article: a new article that reuses the id (rule 2 across runs); it is keyed with its content
   hash.
4. **Update or not.** A matched entry is *unchanged* when its title, normalized link and content hash
   are equal (its current raw link and key are still stored); it is *updated* when its title or
   normalized link changed (metadata only) or its content hash changed (its text: re-signed and
   deduplicated again). The content hash ignores digits, so a view counter ("348 readers") or a
   changing signature count is not an update; a correction that changes only digits in the text (not
   in the title) is not published as an update (the price of rule 3's no-id matching).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import xxhash
from courlan import normalize_url

from pipeline.models import Article, StoredEntry

# Below this word-set Jaccard a same-key entry whose title and text both changed is another article.
# Measured on the cases: a corrected article keeps > 0.8 of its words (updated-in-place: 0.93); two
# different notices sharing a GUID share < 0.2 (shared-guid: 0.05-0.15); 0.5 sits between.
UNRELATED_JACCARD = 0.5
# An entry's text alone identifies it (``text_hash``) only from this many visible characters on: two
# or three sentences, which one feed does not repeat for different articles; a one-line teaser or an
# empty description (a title-only feed) is not enough, as such lines recur ("Watch the video").
MIN_TEXT_CHARS = 160
KEY_SEPARATOR = "\x1f"  # between a shared key and its discriminator (never in a URL or a GUID we keep)

_TAG = re.compile(r"<[^>]*>?")
# Elements whose content feedparser's sanitizer dropped (it is off now, see sources/parse.py):
# removed before hashing, so that the hashes of entries stored before stay the same.
_HIDDEN_CONTENT = re.compile(r"<(script|style|applet)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\w+")


# Bump when ``url_key`` changes what it returns for a URL: the SQLite store then recomputes its
# stored link keys when it opens (``store.sqlite``). 2: campaign parameters and AMP forms (issue 22).
URL_KEY_VERSION = 2

# Campaign and click-tracking parameters that courlan's tracker list lets through (it drops utm_*,
# fbclid, gclid, mc_cid, ...): from the AdGuard and ClearURLs lists, and those news sites add to
# their feed links (ncid: Yahoo/AOL/HuffPost; cmpid, CMP, INTCMP: Guardian, CNN; ito: BBC; ocid: MSN;
# smid: NYT; ftag: FT; ns_*: BBC/comScore; at_*: AT Internet; WT.*: Webtrends). Compared case-folded.
CAMPAIGN_PARAMS = frozenset(
    {
        "ncid", "cmpid", "cmp", "intcmp", "ito", "ocid", "icid", "smid", "smtyp", "ftag", "mbid",
        "cmpgn", "s_cid", "s_kwcid", "trk", "trkcampaign", "sr_share", "spm", "taid", "_hsenc", "_hsmi",
        "hsctatracking", "__s", "soc_src", "soc_trk", "guccounter", "li_fat_id", "ttclid", "rb_clickid",
        "wickedid", "__twitter_impression", "fb_action_ids", "fb_action_types", "fb_ref", "fb_source",
        "action_object_map", "action_type_map", "action_ref_map", "cvid", "dclid", "mc_cid", "mc_eid",
        "fbclid", "gclid", "gclsrc", "msclkid", "yclid", "igshid", "twclid",
    }
)  # fmt: skip
_CAMPAIGN_PREFIXES = ("utm_", "ns_", "at_", "wt.", "wt_", "pk_", "piwik_", "mtm_", "matomo_", "hsa_", "oly_")
# Parameters that only ask for the AMP version of a page (and those an AMP cache adds).
_AMP_PARAMS = frozenset({"amp", "amp_js_v", "amp_gsa", "amp_tf", "amp_ct", "_gsa", "usqp", "aoh", "ampshare"})
_AMP_VALUE_PARAMS = frozenset({"outputtype", "output", "format", "view"})  # ...=amp
# Google's AMP cache and viewer: https://www-site-example.cdn.ampproject.org/c/s/www.site.example/a
# and https://www.google.com/amp/s/www.site.example/a stand for https://www.site.example/a.
_AMP_CACHE = re.compile(r"^/(?:[a-z]/)?(?:(?P<secure>s)/)?(?P<rest>[^/]+\..+)$")


def _drop_campaign(query: str) -> str:
    """A query string without campaign, click-tracking and AMP parameters (order kept)."""
    kept = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        folded = name.strip().casefold()
        if (
            folded in CAMPAIGN_PARAMS
            or folded.startswith(_CAMPAIGN_PREFIXES)
            or folded in _AMP_PARAMS
            or (folded in _AMP_VALUE_PARAMS and value.strip().casefold() == "amp")
        ):
            continue
        kept.append((name, value))
    return urlencode(kept)


def _canonical_page(url: str) -> str:
    """The page an AMP link stands for: AMP cache and viewer URLs unwrapped, an ``amp.`` host, an
    ``amp`` path segment and ``.amp`` before a file's extension dropped, campaign parameters too."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if host.endswith(".cdn.ampproject.org") or (
        host in ("google.com", "www.google.com") and parts.path.startswith("/amp/")
    ):
        path = parts.path[4:] if parts.path.startswith("/amp/") else parts.path
        found = _AMP_CACHE.match(path)
        if found:
            inner = ("https://" if found.group("secure") else "http://") + found.group("rest")
            if parts.query:
                inner += "?" + parts.query
            parts = urlsplit(inner)
            host = parts.netloc.lower()
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    segments = [s for s in parts.path.split("/") if s.casefold() != "amp"]
    if segments and "." in segments[-1]:
        segments[-1] = re.sub(r"\.amp(?=\.[A-Za-z0-9]+$|$)", "", segments[-1], flags=re.IGNORECASE)
    path = "/".join(segments) or ("/" if parts.path else "")
    return urlunsplit((parts.scheme, host, path, _drop_campaign(parts.query), parts.fragment))


@functools.lru_cache(maxsize=65_536)  # a run asks for each entry's link several times (~0.5 ms each)
def url_key(url: str) -> str | None:
    """An http(s) URL as an identity key ``//host/path?query``; None for anything else.

    ``http://WWW.Site.example:80/a/?utm_source=x#top`` -> ``//site.example/a``;
    ``https://amp.site.example/a/amp/?ncid=rss`` -> ``//site.example/a``.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return None
        normalized = urlsplit(normalize_url(_canonical_page(url)))
    except (ValueError, AttributeError):
        return None
    host = normalized.netloc.lower()
    host = host[4:] if host.startswith("www.") else host
    path = normalized.path.rstrip("/")
    return urlunsplit(("", host, path, normalized.query, ""))


def id_key(value: str) -> str:
    """A GUID (or a key stored by an earlier version) in key form: URLs via ``url_key``, else stripped."""
    value = value.strip()
    if value.startswith("//") or value.startswith("text:") or value.startswith("sha1:"):
        return value  # already a key
    return url_key(value) or value


def content_hash(title: str, html: str) -> str:
    """xxh3-64 of an entry's title and text, tags and digits removed, case and spaces folded.

    Digits are dropped so that a view counter or a vote count changing between fetches keeps the hash.
    """
    if "<" in html:
        html = _HIDDEN_CONTENT.sub(" ", html)
    text = unescape(_TAG.sub(" ", f"{title}\n{html}"))
    if text.isascii():  # the same steps as bytes: digits and case in one translate (1.3x faster)
        return xxhash.xxh3_64_hexdigest(b" ".join(text.encode().translate(_ASCII_FOLD).split()))
    return xxhash.xxh3_64_hexdigest(" ".join(_DIGITS.sub(" ", text).lower().split()).encode())


# ASCII digits to spaces (a run of them then splits away like ``_DIGITS``' one space), capitals to
# small letters, and the separators str.split() knows but bytes.split() does not (0x1c-0x1f) to spaces.
_ASCII_FOLD = bytes(
    32 if chr(c) in "0123456789" or 0x1C <= c <= 0x1F else ord(chr(c).lower()) if c < 128 else c
    for c in range(256)
)


def text_hash(title: str, html: str) -> str:
    """A hash of an entry's text alone (folded as ``content_hash`` folds it, without the headline when
    the text starts with it, so that a corrected title does not change it), when the text has at least
    ``MIN_TEXT_CHARS`` visible characters other than digits; "" otherwise (too short to say which
    article it is)."""
    text = _fold(html)
    if len(text) - text.count(" ") < MIN_TEXT_CHARS:
        return ""
    headline = _fold(title)
    if headline and text.startswith(headline + " "):
        text = text[len(headline) + 1 :]
    return xxhash.xxh3_64_hexdigest(text.encode())


def _fold(html: str) -> str:
    """Text without tags, hidden elements and digits, case and spaces folded (as ``content_hash``)."""
    if "<" in html:
        html = _TAG.sub(" ", _HIDDEN_CONTENT.sub(" ", html))
    return " ".join(_folded_words(unescape(html)))


def _folded_words(text: str) -> list[str]:
    """The words of ``text`` with digits dropped and case folded (``_fold`` before its join). ASCII
    text takes one bytes translate (as ``content_hash``): ~3x faster than the digit regex."""
    if text.isascii():
        return text.encode().translate(_ASCII_FOLD).decode().split()
    return _DIGITS.sub(" ", text).lower().split()


def entry_hashes(title: str, html: str) -> tuple[str, str]:
    """``(content_hash(title, html), text_hash(title, html))``, folding the HTML once instead of
    twice (a parse worker computes both for every entry: ~10% of its time before).

    Equal to the two functions (``tests/text/test_identity.py``): with no "<" in the title, the
    tags and entities of ``f"{title}\n{html}"`` are those of the title and the HTML apart, so the
    content hash's words are the title's then the text's."""
    if "<" in title:  # a tag opened in the title could run on into the HTML: as the two functions do
        return content_hash(title, html), text_hash(title, html)
    if "<" in html:
        html = _TAG.sub(" ", _HIDDEN_CONTENT.sub(" ", html))
    words = _folded_words(unescape(html))
    headline = _folded_words(unescape(title))
    content = xxhash.xxh3_64_hexdigest(" ".join(headline + words).encode())
    text = " ".join(words)
    if len(text) - text.count(" ") < MIN_TEXT_CHARS:
        return content, ""
    folded_title = " ".join(headline)
    if folded_title and text.startswith(folded_title + " "):
        text = text[len(folded_title) + 1 :]
    return content, xxhash.xxh3_64_hexdigest(text.encode())


def drop_repeats(articles: list[Article]) -> int:
    """Remove, in place, each entry that repeats an earlier one of the same fetch (the same key, the
    same title and text: one item listed twice, brief#344); return how many. The first one stays.

    Title and text are compared with their digits (unlike ``content_hash``), spaces folded: two
    bulletins that share a GUID and differ in their numbers are two entries. Entries that share a key
    but differ in title or text are not repeats: ``assign_keys`` tells them apart.
    """
    seen: set[tuple[str, str]] = set()
    kept: list[Article] = []
    for article in articles:
        exact = " ".join(f"{article.title}\n{article.raw_html}".split())
        identity = (article.entry_key, xxhash.xxh3_64_hexdigest(exact.encode()))
        if identity not in seen:
            seen.add(identity)
            kept.append(article)
    dropped = len(articles) - len(kept)
    articles[:] = kept
    return dropped


def entry_key(guid: str, link: str, digest: str) -> str:
    """An entry's key before shared ids are told apart (rule 1 of the module docstring)."""
    if guid.strip():
        return id_key(guid)
    return url_key(link) or ("text:" + digest)


def assign_keys(articles: list[Article]) -> int:
    """Give entries of one fetch that share a key distinct keys (rule 2); return how many shared one."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.entry_key, []).append(article)
    shared = 0
    for key, group in groups.items():
        if len(group) < 2:
            continue
        shared += len(group)
        for pick in (
            lambda a: a.link.strip(),
            lambda a: " ".join(a.title.split()),
            lambda a: a.content_hash,
        ):
            values = [pick(a) for a in group]
            if len(set(values)) == len(values):
                break
        counts: Counter[str] = Counter()
        for article, value in zip(group, values, strict=True):
            counts[value] += 1  # identical entries (same everything) still get distinct keys
            suffix = value if counts[value] == 1 else f"{value}#{counts[value]}"
            article.entry_key = f"{key}{KEY_SEPARATOR}{suffix}"
    return shared


def shared_key(key: str) -> bool:
    """Whether a key was given by ``assign_keys`` to one of several entries sharing an id."""
    return KEY_SEPARATOR in key


def permalink_keys(article: Article) -> list[str]:
    """Keys that name the article's page, for matching across feeds (the same URL is one story).

    None for an entry whose id or link its feed shares with other entries, or whose link is a site's
    home page (``//host``): those name no one article.
    """
    if shared_key(article.entry_key):
        return []
    keys = {key for key in (url_key(article.link), article.entry_key) if key and key.startswith("//")}
    return sorted(key for key in keys if "/" in key[2:])


@dataclass(slots=True)
class Resolution:
    """How one fetch's entries relate to the feed's stored entries (rules 3 and 4)."""

    new: list[Article] = field(default_factory=list)
    unchanged: list[tuple[Article, StoredEntry]] = field(default_factory=list)
    # stored entry updated: title or link only (metadata), or text (re-signed and deduplicated)
    metadata: list[tuple[Article, StoredEntry]] = field(default_factory=list)
    text: list[tuple[Article, StoredEntry]] = field(default_factory=list)
    reused_ids: int = 0  # entries whose id matched a stored, unrelated article


def _words(text: str) -> set[str]:
    return set(_WORD.findall(unescape(_TAG.sub(" ", text)).lower()))


def _word_jaccard(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def resolve(
    articles: Iterable[Article],
    stored: Iterable[StoredEntry],
    stored_text: Callable[[int], str],
    clean_title: Callable[[str], str] = lambda title: title,
    entry_text: Callable[[Article], str] = lambda article: article.raw_html or article.text,
) -> Resolution:
    """Match one fetch's entries to the feed's stored entries (see the module docstring).

    ``stored_text(id)`` gives a stored entry's text and ``entry_text(article)`` an incoming one's
    (its HTML, or its text once normalized), both read only when a match changed both title and
    text; ``clean_title`` turns a parsed title into the form stored (normalize's clean_line).
    """
    articles = list(articles)
    by_key: dict[str, StoredEntry] = {}
    for stored_entry in stored:
        by_key.setdefault(id_key(stored_entry.entry_key), stored_entry)
    present = {a.entry_key for a in articles}
    taken: set[int] = set()
    out = Resolution()
    unmatched: list[Article] = []
    entry: StoredEntry | None
    for article in articles:
        entry = by_key.get(article.entry_key)
        if (
            entry is not None
            and entry.id not in taken
            and _related(article, entry, stored_text, clean_title, entry_text)
        ):
            taken.add(entry.id)
            _classify(article, entry, out, clean_title)
        else:
            if entry is not None:  # an id reused for another article: key it by its content
                out.reused_ids += 1
                article.entry_key = f"{article.entry_key}{KEY_SEPARATOR}{article.content_hash}"
                again = by_key.get(article.entry_key)
                if again is not None and again.id not in taken:
                    taken.add(again.id)
                    _classify(article, again, out, clean_title)
                    continue
            unmatched.append(article)
    orphans = [e for key, e in by_key.items() if key not in present and e.id not in taken]
    link_counts = Counter(e.link_key for e in orphans if e.link_key)
    incoming_links = Counter(url_key(a.link) for a in unmatched)
    by_link = {e.link_key: e for e in orphans if e.link_key and link_counts[e.link_key] == 1}
    by_hash: dict[str, StoredEntry] = {}
    for e in orphans:
        if e.content_hash:
            by_hash.setdefault(e.content_hash, e)
    # The text alone (a title and slug corrected together): only a hash one stored and one incoming
    # entry have, so that a feed's recurring texts never match each other.
    text_counts = Counter(e.text_hash for e in orphans if e.text_hash)
    by_text = {e.text_hash: e for e in orphans if e.text_hash and text_counts[e.text_hash] == 1}
    incoming_texts = Counter(a.text_hash for a in unmatched if a.text_hash)
    for article in unmatched:
        link = url_key(article.link)
        entry = by_link.get(link) if link and incoming_links[link] == 1 else None
        if entry is not None and (
            entry.id in taken or not _related(article, entry, stored_text, clean_title, entry_text)
        ):
            entry = None
        if entry is None:
            entry = by_hash.get(article.content_hash)
            entry = None if entry is None or entry.id in taken else entry
        if entry is None and article.text_hash and incoming_texts[article.text_hash] == 1:
            entry = by_text.get(article.text_hash)
            entry = None if entry is None or entry.id in taken else entry
        if entry is None:
            out.new.append(article)
        else:
            taken.add(entry.id)
            _classify(article, entry, out, clean_title)
    return out


def _related(
    article: Article,
    entry: StoredEntry,
    stored_text: Callable[[int], str],
    clean_title: Callable[[str], str],
    entry_text: Callable[[Article], str],
) -> bool:
    """False when both title and text changed and the words barely overlap (another article)."""
    if clean_title(article.title) == entry.title or not entry.content_hash:
        return True
    if article.content_hash == entry.content_hash:
        return True
    return _word_jaccard(entry_text(article), stored_text(entry.id)) >= UNRELATED_JACCARD


def _classify(
    article: Article, entry: StoredEntry, out: Resolution, clean_title: Callable[[str], str]
) -> None:
    if entry.content_hash and article.content_hash != entry.content_hash:
        out.text.append((article, entry))
    elif clean_title(article.title) != entry.title or (url_key(article.link) or "") != (entry.link_key or ""):
        out.metadata.append((article, entry))
    else:
        out.unchanged.append((article, entry))
