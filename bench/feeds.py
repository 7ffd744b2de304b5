"""Write a corpus as real RSS 2.0 / Atom 1.0 files and a syndedup config for each of its two runs."""

from __future__ import annotations

import hashlib
import html
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bench.corpus import SITES, Corpus, Entry

_SITES = {s.name: s for s in SITES}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.casefold()).strip("-")


def _description(entry: Entry) -> str:
    site = _SITES.get(entry.feed)
    if site and site.plain_text:
        return "\n\n".join(entry.paragraphs)
    entities = site is not None and "entities" in site.damage
    parts = []
    for paragraph in entry.paragraphs:
        text = html.escape(paragraph, quote=False)
        if entities:  # some CMSs write typography as numeric character references
            text = "".join(f"&#{ord(c)};" if ord(c) > 0x2000 else c for c in text)
        parts.append(f"<p>{text}</p>")
    return "".join(parts)


def _rss(feed: str, entries: list[Entry]) -> str:
    items = []
    for e in entries:
        guid_attr = ' isPermaLink="false"' if e.guid != e.link else ""
        items.append(
            "<item>"
            f"<title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
            f"<guid{guid_attr}>{escape(e.guid)}</guid>"
            f"<pubDate>{format_datetime(e.published)}</pubDate>"
            f"<description>{escape(_description(e))}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(feed)}</title><link>https://{slug(feed)}.example/</link>"
        f"<description>{escape(feed)} news</description>" + "\n".join(items) + "</channel></rss>\n"
    )


def _atom(feed: str, entries: list[Entry]) -> str:
    items = []
    for e in entries:
        stamp = e.published.strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append(
            f"<entry><title>{escape(e.title)}</title><link href={quoteattr(e.link)}/>"
            f"<id>{escape(e.guid)}</id><published>{stamp}</published><updated>{stamp}</updated>"
            f'<content type="html">{escape(_description(e))}</content></entry>'
        )
    newest = max(e.published for e in entries).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(feed)}</title><id>https://{slug(feed)}.example/</id><updated>{newest}</updated>"
        + "\n".join(items)
        + "</feed>\n"
    )


def quoteattr(value: str) -> str:
    return '"' + escape(value, {'"': "&quot;"}) + '"'


def run_entries(corpus: Corpus, run: int) -> list[Entry]:
    """What the feeds show in a run: run 2 repeats the last 12 hours of run 1 (already known)."""
    if run == 1:
        return [e for e in corpus.entries if e.run == 1]
    last = max((e.published for e in corpus.entries if e.run == 1), default=None)
    return [
        e for e in corpus.entries if e.run == 2 or (last and (last - e.published).total_seconds() < 43200)
    ]


def write_feeds(corpus: Corpus, folder: Path, run: int) -> dict[str, Path]:
    """One feed file per outlet for ``run``; returns feed name -> file."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = run_entries(corpus, run)
    files: dict[str, Path] = {}
    for feed in corpus.feeds:
        mine = [e for e in entries if e.feed == feed]
        site = _SITES.get(feed)
        atom = site is not None and site.atom and bool(mine)
        path = folder / f"{slug(feed)}.{'atom' if atom else 'xml'}"
        path.write_text(_atom(feed, mine) if atom else _rss(feed, mine), encoding="utf-8")
        files[feed] = path
    return files


def config_data(corpus: Corpus, files: dict[str, Path], work: Path, dedup: dict | None = None) -> dict:
    """A syndedup config (as parsed TOML) for one run; both runs share one state file."""
    data: dict = {
        "feeds": [{"name": name, "url": str(path)} for name, path in files.items()],
        "output": {
            "rss": str(work / "out" / "feed.rss"),
            "atom": str(work / "out" / "feed.atom"),
            "report": str(work / "out" / "clusters.jsonl"),
        },
        "state": {"path": str(work / "state" / "syndedup.sqlite")},
        "attribution": {"aliases": {name: list(names) for name, names in corpus.aliases.items()}},
    }
    if dedup:
        data["dedup"] = dedup
    return data


def digest(folders: list[Path]) -> str:
    """sha256 over every generated feed file (run folder, name and bytes), in order."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.iterdir()):
            h.update(f"{folder.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
