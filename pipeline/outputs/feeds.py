"""RSS 2.0, Atom 1.0 and JSON Feed documents and the clusters report, built from stories.

This is the only module that uses feedgen. Every text, HTML fragment, link and date goes through
``pipeline.outputs.sanitize`` first: plain text where the format says text (titles, names, JSON
``summary``), HTML-escaped text or nh3-cleaned HTML where it says HTML (RSS ``description`` and
``content:encoded``, Atom ``content type="html"``, JSON ``content_html``), and a link only when it
is an absolute http(s) URL. feedgen 1.0.0 needs three repairs, made on its XML with
lxml: it drops ``rel`` and ``type`` from Atom entry links (feedgen issues #135, #143), writes
``atom:source`` with only a title and link (RFC 4287 wants its id and updated too), and writes Atom
dates as ``+00:00`` (we publish ``Z``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from lxml import etree

from pipeline import __version__
from pipeline.config import OutputConfig
from pipeline.models import Member, Story
from pipeline.outputs.sanitize import clean_html, clean_text, html_text, usable_link
from pipeline.store.sqlite import iso
from pipeline.text.uri import as_uri

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
    "html": "text/html",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def story_guid(story_id: str) -> str:
    """The GUID (RSS) and id (Atom) of a story's item; fixed for the story's lifetime."""
    return f"urn:syndedup:story:{story_id}"


def _credited(story: Story) -> str:
    return clean_text(story.credited_source or story.canonical.feed)


def _title(story: Story) -> str:
    """A title as one line of plain text (a removed control character leaves no double space)."""
    return " ".join(clean_text(story.title).split()) or "(untitled)"


def attribution_line(story: Story) -> str:
    """The plain-text credit shown at the end of every item."""
    source = story.credited_source or story.canonical.feed
    line = f"Originally published by {source}"
    if source != story.canonical.feed:
        line += f" (this text from {story.canonical.feed})"
    line += "."
    others = [m for m in story.members if m is not story.canonical]
    if others:
        line += " Also published by: " + ", ".join(f"{m.feed} ({m.relation})" for m in others) + "."
    return clean_text(line)


def _anchor(link: str | None, text: str) -> str:
    """``text`` (already HTML) as a link when ``link`` is usable; plain ``text`` otherwise."""
    usable = usable_link(link)
    return f'<a href="{html.escape(usable)}">{text}</a>' if usable else text


def item_html(story: Story) -> str:
    """The item's content: the canonical text, then the attribution with links to every member.

    Built from plain text, HTML-escaped, and then passed through nh3 all the same, so that no
    input can put active markup or an unusable link (``href=""``, ``mailto:``) into it.
    """
    paragraphs = [f"<p>{html_text(p)}</p>" for p in story.text.split("\n\n") if clean_text(p).strip()]
    credit = "Originally published by " + _anchor(story.canonical.link, html_text(_credited(story)))
    if story.credited_source and story.credited_source != story.canonical.feed:
        credit += f" (this text from {html_text(story.canonical.feed)})"
    credit += "."
    others = [m for m in story.members if m is not story.canonical]
    if others:
        links = ", ".join(f"{_anchor(m.link, html_text(m.feed))} ({m.relation})" for m in others)
        credit += f" Also published by: {links}."
    return clean_html("\n".join([*paragraphs, f"<p><em>{credit}</em></p>"]))


def _summary_parts(story: Story, limit: int) -> tuple[str, str]:
    text = " ".join(clean_text(story.text).split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text, attribution_line(story)


def summary_text(story: Story, limit: int = 300) -> str:
    """A short plain-text description (JSON Feed ``summary``) for readers that show no content."""
    text, credit = _summary_parts(story, limit)
    return f"{text}\n\n{credit}"


def summary_html(story: Story, limit: int = 300) -> str:
    """The same short description as HTML, for RSS ``<description>``, which readers render as
    HTML: text that shows ``<script>`` must arrive as ``&lt;script&gt;`` after XML decoding."""
    text, credit = _summary_parts(story, limit)
    return f"<p>{html_text(text)}</p>\n<p>{html_text(credit)}</p>" if text else f"<p>{html_text(credit)}</p>"


def build_generator(
    stories: Sequence[Story],
    output: OutputConfig,
    feed_urls: dict[str, str],
    empty_date: datetime = _EPOCH,
) -> FeedGenerator:
    """A FeedGenerator with one entry per story, in the given order. The feed's date is its newest
    item's; ``empty_date`` when it has none (Atom requires one; the caller's, from the state)."""
    newest = max((s.updated for s in stories), default=empty_date)
    generator = FeedGenerator()
    # RSS 2.0's <author> must be an e-mail address; readers show Dublin Core's dc:creator instead.
    generator.load_extension("dc", atom=False, rss=True)
    home = as_uri(output.link) or output.link
    generator.id(home)
    generator.title(output.title)
    generator.link(href=home, rel="alternate")
    generator.description(output.description)
    generator.generator("syndedup", version=__version__)
    generator.updated(newest)
    generator.lastBuildDate(newest)
    for story in stories:
        entry = generator.add_entry(order="append")
        entry.id(story_guid(story.id))
        entry.guid(story_guid(story.id), permalink=False)
        entry.title(_title(story))
        link = usable_link(story.canonical.link)
        if link:  # no link rather than a mailto:, a relative one or the output's own home page
            entry.link(href=link, rel="alternate")
        entry.published(story.canonical.published)
        entry.updated(story.updated)
        entry.author(name=_credited(story))
        entry.dc.dc_creator(_credited(story))
        entry.description(summary_html(story))
        entry.content(item_html(story), type="html")
        source_url = feed_urls.get(story.canonical.feed)
        if source_url:  # RSS <source> needs its url; a feed never fetched has none
            entry.source(url=source_url, title=clean_text(story.canonical.feed))
    return generator


def complete_atom_sources(
    atom: bytes,
    stories: Sequence[Story],
    feed_urls: dict[str, str],
    feed_updated: dict[str, datetime],
    self_url: str | None = None,
) -> bytes:
    """Repair feedgen's Atom: complete each atom:source (id, updated), put back the entry links'
    rel and type, write every date in UTC with a Z, and add the feed's rel="self" link."""
    root = etree.fromstring(atom)
    by_guid = {story_guid(s.id): s for s in stories}
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        story = by_guid[entry.findtext(f"{{{ATOM_NS}}}id")]
        for link in entry.findall(f"{{{ATOM_NS}}}link"):
            link.set("rel", "alternate")
            link.set("type", "text/html")
        source = entry.find(f"{{{ATOM_NS}}}source")
        if source is None:
            continue
        for link in source.findall(f"{{{ATOM_NS}}}link"):
            link.set("rel", "self")  # it is the source feed's own address, not a web page
        feed = story.canonical.feed
        source_id = etree.Element(f"{{{ATOM_NS}}}id")
        source_id.text = feed_urls.get(feed, "")
        source.insert(0, source_id)
        updated = etree.SubElement(source, f"{{{ATOM_NS}}}updated")
        updated.text = iso(feed_updated.get(feed, story.canonical.published))
    for tag in ("updated", "published"):
        for element in root.iter(f"{{{ATOM_NS}}}{tag}"):
            element.text = iso(datetime.fromisoformat(element.text or ""))
    if self_url:
        link = etree.Element(f"{{{ATOM_NS}}}link", href=self_url, rel="self", type=MEDIA_TYPES["atom"])
        first_entry = root.find(f"{{{ATOM_NS}}}entry")
        if first_entry is None:
            root.append(link)
        else:
            first_entry.addprevious(link)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def add_rss_self_link(rss: bytes, self_url: str | None) -> bytes:
    """Add the channel's <atom:link rel="self"> (RSS Advisory Board profile) when the URL is known."""
    if not self_url:
        return rss
    root = etree.fromstring(rss)
    channel = root.find("channel")
    if channel is None:  # feedgen always writes one; keep the output as it is if not
        return rss
    link = etree.Element(f"{{{ATOM_NS}}}link", href=self_url, rel="self", type=MEDIA_TYPES["rss"])
    first_item = channel.find("item")
    if first_item is None:
        channel.append(link)
    else:
        first_item.addprevious(link)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def self_link(output: OutputConfig, path: Path | None) -> str | None:
    """The public URL of one output file: ``[output] url`` + its file name, or None."""
    if not output.url or path is None:
        return None
    return as_uri(output.url + path.name) or output.url + path.name


def json_feed(stories: Sequence[Story], output: OutputConfig) -> bytes:
    """A JSON Feed 1.1 document with one item per story; ``_syndedup`` carries the attribution."""
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": output.title,
        "home_page_url": as_uri(output.link) or output.link,
    }
    json_url = self_link(output, output.json)
    if json_url:
        feed["feed_url"] = json_url
    feed["description"] = output.description
    items = []
    for story in stories:
        others = [m for m in story.members if m is not story.canonical]
        item: dict[str, object] = {"id": story_guid(story.id)}
        link = usable_link(story.canonical.link)
        if link:  # "url" is optional; never a mailto: or the output's own home page
            item["url"] = link
        item.update(
            {
                "title": _title(story),
                "content_html": item_html(story),
                "summary": summary_text(story),
                "date_published": iso(story.canonical.published),
                "date_modified": iso(story.updated),
                "authors": [{"name": _credited(story)}],
                "_syndedup": {
                    "story": story.id,
                    "credited_source": _credited(story),
                    "original": _member_record(story.canonical),
                    "republishers": [_member_record(m) for m in others],
                },
            }
        )
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _member_record(member: Member) -> dict[str, object]:
    return {
        "feed": clean_text(member.feed),
        "url": usable_link(member.link),
        "guid": clean_text(member.guid),
        "title": clean_text(member.title),
        "date_published": iso(member.published),
        "relation": member.relation,
        "similarity": member.similarity,
    }


def report_lines(stories: Sequence[Story], merged: Mapping[str, str] | None = None) -> bytes:
    """The clusters report: one JSON object per line, per story; then one line per story absorbed
    by another (issue 13), ``{"story": id, "merged_into": id, "members": []}``, so that whoever
    followed the absorbed story's GUID learns where its entries went."""
    return b"".join(report_chunks((report_line(story) for story in stories), merged))


def report_line(story: Story) -> str:
    """One story's line of the clusters report (JSON, no newline)."""
    record = {
        "story": story.id,
        "canonical": usable_link(story.canonical.link),  # null: the entry has no usable link
        "credited_source": story.credited_source and clean_text(story.credited_source),
        "title": clean_text(story.title),
        "members": [
            {
                "link": usable_link(m.link),
                "feed": clean_text(m.feed),
                "guid": clean_text(m.guid),
                "published": iso(m.published),
                "relation": m.relation,
                "similarity": m.similarity,
            }
            for m in story.members
        ],
    }
    return json.dumps(record, ensure_ascii=False)


def report_order(story: Story) -> tuple[int, str]:
    """Where a story's line goes in the report: newest original first, ties by story id."""
    return -int(story.canonical.published.timestamp()), story.id


def report_chunks(lines: Iterable[str], merged: Mapping[str, str] | None = None) -> Iterator[bytes]:
    """The report's bytes, a line at a time: the stories' ``lines`` in order, then the absorbed
    stories' (see ``report_lines``); nothing at all when there is neither."""
    for line in lines:
        yield (line + "\n").encode("utf-8")
    for absorbed, into in sorted((merged or {}).items()):
        yield (json.dumps({"story": absorbed, "merged_into": into, "members": []}) + "\n").encode("utf-8")


def feed_url_for_output(url: str, site_link: str | None) -> str:
    """The address published for a source feed: its http(s) URL; for a feed read from a local file,
    the site link the feed names (a file: path would leak the server's folders and change with
    them), or, when it names none, a urn built from the file's name."""
    if url.lower().startswith(("http://", "https://")):
        return as_uri(url) or url
    if site_link and site_link.lower().startswith(("http://", "https://")):
        return as_uri(site_link) or site_link
    return f"urn:syndedup:feed:{quote(Path(url).name)}"
