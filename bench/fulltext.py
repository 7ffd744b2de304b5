"""Benchmark full text: feeds that carry only titles (or short teasers) and links to article pages.

Real news text (the Lee corpus of Australian news that gensim ships, loaded at run time from the
installed package) is wrapped into article pages of several "sites" served from 127.0.0.1, each with
its own chrome (navigation, cookie banner, most-read list, newsletter box, footer). Some articles
are republished by other sites, lightly edited, some with a "Source:" line, some with a canonical
link to the original. Feeds list only titles and links (``--feed-text title``, the default) or
titles, links and the first 25 words with "..." (``--feed-text teaser``).

The same corpus is run with full text off (every feed ``full_text = false``) and on (``"auto"``),
in the same process, each from a fresh state; pairwise precision/recall/F1 come from the clusters
report, run time is the median of ``--repeat`` runs. Nothing is asserted; numbers are printed.

    pip install 'gensim>=4.3' && python bench/fulltext.py [--articles 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import itertools
import json
import random
import re
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import combinations
from pathlib import Path

from pipeline.config import load_config
from pipeline.runner import run
from pipeline.sources.fulltext import extract
from pipeline.text.html import html_to_paragraphs
from pipeline.text.tokens import shingle_hashes, tokenize

SITES = ["Harbour Herald", "Valley Times", "Coastal Courier", "Metro Wire", "Plains Post", "Northern Ledger"]
EDITS = [("said", "says"), ("Australia", "Australia's"), ("would", "will"), ("about", "around")]
# Republishers often put their own words before the wire text; it pushes a teaser's words off the lead.
INTROS = [
    "UPDATED with new details.",
    "This report first appeared overnight and has been edited for length.",
    "Our correspondents are following the story as it develops.",
]
TAILS = [" ...", " …", " […]", " Read more"]


def lee_corpus() -> list[str]:
    """The 300 Lee background news texts, one per line, from the installed gensim package."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gensim is not installed: pip install 'gensim>=4.3' (only its test data is read)")
    path = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / "lee_background.cor"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def distinct(texts: list[str], limit: float = 0.3) -> list[str]:
    """Drop texts that are themselves copies of an earlier one (the Lee corpus has a few versions of
    one report), so that the ground truth does not call two copies different stories."""
    kept: list[str] = []
    kept_sets: list[set[int]] = []
    for text in texts:
        shingles = set(shingle_hashes(tokenize(text), 4).tolist())
        if all(len(shingles & other) / len(shingles | other) < limit for other in kept_sets):
            kept.append(text)
            kept_sets.append(shingles)
    return kept


def paragraphs(text: str, per: int = 3) -> list[str]:
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", text)
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]


def title_of(text: str) -> str:
    return " ".join(text.split()[:9]).rstrip(",.;:") + "…"


@dataclass
class Entry:
    """One feed item and its page; ``group`` is the original it is (a copy of)."""

    guid: str
    title: str
    path: str
    published: datetime
    text: list[str]
    group: int
    canonical: str | None = None
    credit: str | None = None


@dataclass
class SiteServer:
    """One outlet's site on its own 127.0.0.1 port: feed, pages, robots.txt."""

    name: str
    index: int
    pages: dict[str, bytes] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    requests: int = 0

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body as two writes stall 40 ms (delayed ACK)

            def do_GET(self) -> None:
                server.requests += 1
                body = server.pages.get(self.path)
                kind = "text/html; charset=utf-8"
                if self.path == "/robots.txt":
                    body, kind = b"User-agent: *\nDisallow: /private/\n", "text/plain"
                elif self.path == "/feed.xml":
                    kind = "application/rss+xml"
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def page(self, entry: Entry, most_read: list[str]) -> bytes:
        """The article in this site's chrome; layouts differ by site so extraction is tested on each."""
        link = f'<link rel="canonical" href="{entry.canonical}">' if entry.canonical else ""
        body = "".join(f"<p>{html.escape(p)}</p>" for p in entry.text)
        if entry.credit:
            body += f"<p><em>Source: {html.escape(entry.credit)}</em></p>"
        sections = ("news", "sport", "business", "weather")
        nav = "".join(f'<li><a href="/{s}">{s.title()}</a></li>' for s in sections)
        aside = "".join(f'<li><a href="/r/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(most_read))
        chrome = [
            f'<div class="cookie">We use cookies to improve {self.name}. <button>Accept all</button></div>',
            f'<header><a class="logo" href="/">{self.name}</a><nav><ul>{nav}</ul></nav></header>',
        ]
        article = (
            f'<article><h1>{html.escape(entry.title)}</h1><p class="byline">By {self.name} staff | '
            f"{entry.published:%d %B %Y}</p>{body}"
            f'<div class="share">Share on Facebook | Share on X | Email this story</div></article>'
        )
        side = f"<aside><h2>Most read on {self.name}</h2><ol>{aside}</ol></aside>"
        box = f'<div class="newsletter">Get the {self.name} morning briefing in your inbox. <input></div>'
        layout = [article, side, box] if self.index % 2 == 0 else [side, article, box]
        if self.index % 3 == 1:
            layout = [f'<div id="content"><div class="main">{"".join(layout)}</div></div>']
        footer = (
            f"<footer><p>© 2001 {self.name}. All rights reserved.</p>"
            '<p><a href="/about">About us</a> | <a href="/privacy">Privacy</a></p></footer>'
        )
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(entry.title)} - "
            f"{self.name}</title>{link}</head><body>{''.join(chrome)}<main>{''.join(layout)}</main>"
            f"{footer}</body></html>"
        ).encode()

    def feed(self, feed_text: str, rng: random.Random) -> bytes:
        """Title and link only, or also the first 15-45 words cut mid-sentence with a teaser tail."""
        items = []
        for entry in self.entries:
            words = " ".join(entry.text).split()
            cut = " ".join(words[: rng.randint(15, 45)]) + rng.choice(TAILS)
            summary = cut if feed_text == "teaser" else ""
            items.append(
                f"<item><guid isPermaLink='false'>{entry.guid}</guid>"
                f"<title>{html.escape(entry.title)}</title>"
                f"<link>{self.base}{entry.path}</link><description>{html.escape(summary)}</description>"
                f"<pubDate>{format_datetime(entry.published)}</pubDate></item>"
            )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{self.name}</title>'
            f"<link>{self.base}/</link><description>{self.name}</description>{''.join(items)}</channel></rss>"
        ).encode()


def build(texts: list[str], articles: int, seed: int) -> list[SiteServer]:
    """Spread ``articles`` originals over the sites; republish 40% of them on 1-3 other sites."""
    rng = random.Random(seed)
    sites = [SiteServer(name, i) for i, name in enumerate(SITES)]
    for site in sites:
        site.start()
    start = datetime(2001, 12, 1, tzinfo=UTC)
    chosen = rng.sample(range(len(texts)), articles)
    for group, text_index in enumerate(chosen):
        text = paragraphs(texts[text_index])
        home = rng.randrange(len(sites))
        when = start + timedelta(hours=group)
        original = Entry(f"{home}-{group}", title_of(texts[text_index]), f"/news/{group}", when, text, group)
        sites[home].entries.append(original)
        if rng.random() >= 0.4:
            continue
        others = [s for s in sites if s.index != home]
        for copy_no, site in enumerate(rng.sample(others, rng.randint(1, 3))):
            edited = list(text)
            old, new = rng.choice(EDITS)
            edited = [p.replace(f" {old} ", f" {new} ", 1) for p in edited]
            if len(edited) > 3 and rng.random() < 0.3:
                edited = edited[:-1]  # the republisher cut the last paragraph
            if rng.random() < 0.25:
                edited[0] = rng.choice(INTROS) + " " + edited[0]
            copy = Entry(
                f"{site.index}-{group}-{copy_no}",
                original.title if rng.random() < 0.5 else original.title.replace("…", "") + " | " + site.name,
                f"/{when:%Y/%m/%d}/story-{group}",
                when + timedelta(minutes=rng.randint(20, 600)),
                edited,
                group,
                canonical=f"{sites[home].base}{original.path}" if rng.random() < 0.5 else None,
                credit=sites[home].name if rng.random() < 0.3 else None,
            )
            site.entries.append(copy)
    headlines = [e.title for s in sites for e in s.entries]
    for site in sites:
        for entry in site.entries:
            site.pages[entry.path] = site.page(entry, rng.sample(headlines, 5))
    return sites


def write_config(folder: Path, sites: list[SiteServer], full_text: bool, delay: float) -> Path:
    folder.mkdir(parents=True)
    mode = '"auto"' if full_text else "false"
    feeds = "".join(
        f'[[feeds]]\nname = "{s.name}"\nurl = "{s.base}/feed.xml"\nfull_text = {mode}\n\n' for s in sites
    )
    path = folder / "config.toml"
    path.write_text(
        feeds + '[output]\nrss = "out/feed.rss"\natom = "out/feed.atom"\nreport = "out/clusters.jsonl"\n'
        f'[state]\npath = "state.sqlite"\n[fetch]\ntimeout = 10\nper_host_delay = {delay}\n'
        "allow_private_pages = true\n",
        encoding="utf-8",
    )
    return path


def pairs(groups: Iterator[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for members in groups for p in combinations(members, 2)}  # type: ignore[misc]


def score(report: Path, truth: dict[str, int], home: dict[int, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of stories vs true groups; share of true groups credited right."""
    stories = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    predicted = pairs(iter([m["link"] for m in s["members"]] for s in stories))
    by_group: dict[int, list[str]] = {}
    for link, group in truth.items():
        by_group.setdefault(group, []).append(link)
    true = pairs(iter(by_group.values()))
    hit = len(predicted & true)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    credited = 0
    republished = {g for g, links in by_group.items() if len(links) > 1}
    for story in stories:
        groups = {truth[m["link"]] for m in story["members"]}
        if len(groups) == 1 and (g := groups.pop()) in republished and len(story["members"]) > 1:
            credited += story["credited_source"] == home[g]
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "credited": credited / len(republished) if republished else 1.0,
        "stories": len(stories),
    }


def extraction(sites: list[SiteServer]) -> None:
    """Word recall/precision of the extracted text against the article's own words, per extractor."""
    extractors = {"trafilatura": lambda body: extract(body, "utf-8", "http://127.0.0.1/")[1]}
    try:
        from readability import Document  # readability-lxml, measured as a possible fallback only

        def readable(body: bytes) -> str:
            return "\n".join(html_to_paragraphs(Document(body.decode()).summary(html_partial=True)))

        extractors["readability-lxml"] = readable
    except ImportError:
        print("extraction: readability-lxml not installed, not measured (pip install readability-lxml)")
    for name, extractor in extractors.items():
        recalls, precisions, times = [], [], []
        for site in sites:
            for entry in site.entries:
                truth = Counter(tokenize(" ".join([entry.title, *entry.text, entry.credit or ""])))
                began = time.perf_counter()
                got = Counter(tokenize(extractor(site.pages[entry.path]) or ""))
                times.append(time.perf_counter() - began)
                common = sum((truth & got).values())
                recalls.append(common / max(1, sum(truth.values())))
                precisions.append(common / max(1, sum(got.values())))
        print(
            f"extraction {name:16}: word recall mean={statistics.mean(recalls):.3f} min={min(recalls):.3f}  "
            f"precision mean={statistics.mean(precisions):.3f} min={min(precisions):.3f}  "
            f"time median={1000 * statistics.median(times):.1f} ms/page"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=120, help="originals drawn from the corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the median time is shown")
    parser.add_argument("--feed-text", choices=["title", "teaser", "both"], default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-host-delay", type=float, default=0.0, help="[fetch] per_host_delay")
    args = parser.parse_args()
    corpus = lee_corpus()
    texts = distinct(corpus)
    sites = build(texts, args.articles, args.seed)
    entries = [e for s in sites for e in s.entries]
    truth = {f"{s.base}{e.path}": e.group for s in sites for e in s.entries}
    home = {e.group: s.name for s in sites for e in s.entries if e.guid.count("-") == 1}
    print(
        f"corpus: {len(entries)} entries ({args.articles} originals, {len(entries) - args.articles} "
        f"republished copies) on {len(sites)} sites; Lee corpus from gensim ({len(corpus)} texts, "
        f"{len(corpus) - len(texts)} left out as versions of another); {args.repeat} runs per mode"
    )
    extraction(sites)
    kinds = ["title", "teaser"] if args.feed_text == "both" else [args.feed_text]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, full_text in itertools.product(kinds, (False, True)):
            for site in sites:
                site.pages["/feed.xml"] = site.feed(kind, random.Random(args.seed))
            times = []
            for attempt in range(args.repeat):
                config = write_config(
                    Path(tmp) / f"{kind}-{full_text}-{attempt}", sites, full_text, args.per_host_delay
                )
                before = sum(s.requests for s in sites)
                began = time.perf_counter()
                run(load_config(config))
                times.append(time.perf_counter() - began)
                requests = sum(s.requests for s in sites) - before
            result = score(config.parent / "out/clusters.jsonl", truth, home)
            print(
                f"feeds={kind:6} full_text={'on ' if full_text else 'off'}  "
                f"P={result['precision']:.3f} R={result['recall']:.3f} F1={result['f1']:.3f}  "
                f"credited right={result['credited']:.3f}  stories={result['stories']:3d}  "
                f"HTTP requests/run={requests:3d}  time median={statistics.median(times):.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
            )


if __name__ == "__main__":
    main()
