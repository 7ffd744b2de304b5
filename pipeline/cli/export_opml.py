"""``syndedup export-opml``: the configured feeds as an OPML 2.0 subscription list, the format feed
readers (Miniflux, FreshRSS, Planet, NetNewsWire, ...) import, and ``import-opml`` reads back.

Each feed is one ``<outline type="rss">`` with its name, the address syndedup fetches it from (the
target of a permanent redirect when the state knows one) as a URI, and its site (``htmlUrl``, the
link its feed gave) when a run has read it. A feed read from a local file has no address another
machine can subscribe to: it is left out, and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

from lxml import etree

from pipeline.config import Config
from pipeline.store.view import FeedRow
from pipeline.text.uri import as_uri


@dataclass(slots=True)
class OpmlExport:
    """The OPML document, and the feeds left out with the reason."""

    document: bytes
    exported: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (feed name, why)


def export_opml(config: Config, health: dict[str, FeedRow]) -> OpmlExport:
    """The configured feeds in config order as OPML 2.0; ``health``: the state's feed rows by name
    (empty before the first run), for the address a feed moved to and its site link."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{config.output.title}: feeds read by syndedup"
    body = etree.SubElement(root, "body")
    skipped: list[tuple[str, str]] = []
    exported = 0
    for feed in config.feeds:
        row = health.get(feed.name)
        address = (row.permanent_url if row is not None and row.permanent_url else None) or feed.url
        if urlparse(address).scheme.lower() not in ("http", "https"):
            skipped.append((feed.name, f"read from a local file ({feed.url}), no address to subscribe to"))
            continue
        uri = as_uri(address)
        if uri is None:
            skipped.append((feed.name, f"its address {address!r} has no valid host"))
            continue
        outline = etree.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=uri)
        site = as_uri(row.link) if row is not None and row.link else None
        if site and urlparse(site).scheme.lower() in ("http", "https"):
            outline.set("htmlUrl", site)
        exported += 1
    etree.indent(root, space="  ")
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return OpmlExport(document, exported, skipped)
