"""``syndedup import-opml FILE``: add an OPML subscription list's feeds to config.toml.

The OPML is parsed with lxml without resolving entities, without loading a DTD and without
network access; a file that declares entities is refused (no OPML needs them, and they are the
means of "billion laughs" and XXE attacks). The config is edited with tomlkit, which keeps its
comments and layout: new ``[[feeds]]`` tables go after the existing ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import tomlkit
from lxml import etree
from tomlkit.items import AoT, Table

from pipeline.errors import ConfigError, SyndedupError

MAX_OPML_BYTES = 10 * 1024 * 1024


class OpmlError(SyndedupError):
    """The OPML file cannot be read, is not XML, is not OPML, or declares entities."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One ``<outline xmlUrl=...>``: its name (from ``title``, else ``text``) and URL."""

    name: str
    url: str


@dataclass(slots=True)
class ImportPlan:
    """What importing would do: feeds to add, and feeds skipped with the reason."""

    added: list[OpmlFeed] = field(default_factory=list)
    skipped: list[tuple[OpmlFeed, str]] = field(default_factory=list)


def read_opml(path: Path) -> list[OpmlFeed]:
    """Every feed outline of the OPML file at ``path``, in document order (nested folders included)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_OPML_BYTES + 1)
    except FileNotFoundError:
        raise OpmlError(f"{path}: OPML file not found") from None
    except OSError as exc:
        raise OpmlError(f"{path}: cannot read OPML file: {exc.strerror}") from None
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"{path}: OPML file larger than {MAX_OPML_BYTES} bytes")
    return parse_opml(data, str(path))


def parse_opml(data: bytes, where: str = "OPML") -> list[OpmlFeed]:
    """Parse OPML bytes safely; raise OpmlError naming ``where`` and the line on any problem."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    refused = OpmlError(f"{where}: declares XML entities, which OPML never needs; refused for safety")
    if b"<!ENTITY" in data:
        raise refused
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"{where}: not well-formed XML: {exc}") from None
    doctype = root.getroottree().docinfo.internalDTD
    if doctype is not None and list(doctype.iterentities()):
        raise refused  # declared in another encoding (UTF-16) that the byte check above missed
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise OpmlError(f"{where}: not an OPML file (root element is <{root.tag}>, expected <opml>)")
    feeds = []
    for outline in root.iter("{*}outline"):
        url = _attribute(outline, "xmlUrl").strip()
        if not url:
            continue  # a folder, or a plain link
        name = (_attribute(outline, "title") or _attribute(outline, "text")).strip()
        feeds.append(OpmlFeed(name=" ".join(name.split()) or _name_from_url(url), url=url))
    return feeds


def _attribute(element: etree._Element, name: str) -> str:
    """OPML attribute names are camelCase by the spec, but some exporters lower-case them."""
    for key, value in element.attrib.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return str(value)
    return ""


def _name_from_url(url: str) -> str:
    host = urlparse(url).netloc or url
    return host.removeprefix("www.")


def url_key(url: str) -> str:
    """Compare URLs ignoring scheme case, host case, "www." and a trailing slash."""
    parsed = urlparse(url.strip())
    host = parsed.netloc.lower().removeprefix("www.")
    path = parsed.path.rstrip("/")
    query = f"?{parsed.query}" if parsed.query else ""
    return f"{host}{path}{query}" if host else url.strip()


def plan_import(document: tomlkit.TOMLDocument, feeds: list[OpmlFeed]) -> ImportPlan:
    """Decide which OPML feeds are new: skip those whose URL or name the config (or the OPML) has."""
    existing = document.get("feeds") or []
    urls = {url_key(str(table.get("url", ""))) for table in existing}
    names = {str(table.get("name", "")).casefold() for table in existing}
    plan = ImportPlan()
    for feed in feeds:
        refused = _refused_url(feed.url)
        if refused:
            plan.skipped.append((feed, f"outline {feed.name!r}: {refused}; refused"))
        elif url_key(feed.url) in urls:
            plan.skipped.append((feed, "its URL is already in the config"))
        elif feed.name.casefold() in names:
            plan.skipped.append(
                (feed, "another feed already has this name; add it by hand with another name")
            )
        else:
            plan.added.append(feed)
            urls.add(url_key(feed.url))
            names.add(feed.name.casefold())
    return plan


def _refused_url(url: str) -> str | None:
    """Why an OPML feed URL is not imported, or None: only absolute http(s) URLs are (an OPML file
    comes from elsewhere; a relative URL has no base here, and a file: or ftp: URL is not a feed
    someone subscribed to over the web)."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https"):
        return f"{url!r} is not an http(s) URL" if parsed.scheme else f"{url!r} is a relative URL"
    if not parsed.netloc:
        return f"{url!r} has no host"
    return None


NEW_CONFIG = """\
# syndedup configuration, created by `syndedup import-opml`.
# Every key and its default: README.md, "Configuration reference". Check it with `syndedup check`.

[output]
rss = "out/feed.rss"            # the deduplicated feed, RSS 2.0
atom = "out/feed.atom"          # the same, Atom 1.0
report = "out/clusters.jsonl"   # which entries were merged into which story
# link = "https://example.org/news/"  # your site: also the Atom feed's id (default http://localhost/)

[state]
path = "state/syndedup.sqlite"  # what earlier runs saw; keep it between runs
"""


def apply_import(document: tomlkit.TOMLDocument, plan: ImportPlan) -> None:
    """Append a ``[[feeds]]`` table per added feed, after the existing ones."""
    if not plan.added:
        return
    feeds = document.get("feeds")
    if feeds is None:
        feeds = tomlkit.aot()
        document.append("feeds", feeds)
    if not isinstance(feeds, AoT):
        raise ConfigError("feeds: must be an array of tables written [[feeds]]", key="feeds")
    for feed in plan.added:
        table: Table = tomlkit.table()
        table.add("name", feed.name)
        table.add("url", feed.url)
        table.add(tomlkit.nl())  # a blank line after each table, as people write them
        feeds.append(table)
