"""Build the labelled quality corpus: real articles republished the way the web does it.

Every entry knows its truth: which story it belongs to, whether it is the story's original, a copy
or a teaser, and which outlet a correct attribution names. Generation is deterministic (one seeded
``random.Random``), so the same sources and seed give byte-identical feed files.

What is generated (see bench/README.md for the full list):
* originals, spread over four origin outlets and four days, many on the same topic and day;
* copies on republisher sites: typography damage (curly/straight quotes, mojibake "â€™", U+FFFD
  for a lost dash, NFKC-foldable ligatures and no-break spaces), glued paragraphs, datelines,
  credit lines in many forms and spellings, ad/share/photo lines, light edits (last paragraph
  dropped, two paragraphs swapped, "said" -> "says"), changed headlines and site suffixes;
* teasers of 25-60 words (60-120 characters for Chinese/Japanese) ending in "...", "…", "[…]" or
  "Read more", with or without a credit line, with or without a long site-wide footer;
* hard negatives: same-topic articles of one day, short briefs sharing only a site footer, entries
  of a few words, two articles quoting the same long statement;
* both arrival orders (some teasers and credited copies appear before their original) and two
  runs that share one state (``Entry.run``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.sources import SourceText

BASE = datetime(2001, 12, 24, 0, 0, tzinfo=UTC)
RUN_CUTOFF = BASE + timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Outlet:
    """An origin outlet: its feed name, domain and the other names credit lines use for it."""

    name: str
    domain: str
    aliases: tuple[str, ...]
    has_feed: bool = True  # wire services publish no feed: their stories arrive only as copies


ORIGINS = (
    Outlet("ABC News", "abc.net.au", ("ABC", "abc.net.au", "Australian Broadcasting Corporation")),
    Outlet("Australian Associated Press", "aap.com.au", ("AAP", "aap.com.au"), has_feed=False),
    Outlet("Reuters", "reuters.com", ("Reuters", "reuters.com", "Thomson Reuters"), has_feed=False),
    Outlet("Voice of America", "voanews.com", ("VOA", "VOA News", "voanews.com")),
)
NON_LATIN_ORIGINS = {
    "CNN Arabic": Outlet("CNN Arabic", "arabic.cnn.com", ("CNN", "CNN بالعربية", "arabic.cnn.com")),
    "China Daily": Outlet("China Daily", "chinadaily.com.cn", ("中国日报", "chinadaily.com.cn")),
    "Xinhua": Outlet("Xinhua", "xinhuanet.com", ("新华社", "新华网", "xinhuanet.com")),
    "AFPBB News": Outlet("AFPBB News", "afpbb.com", ("AFPBB", "AFP", "afpbb.com")),
}


@dataclass(frozen=True, slots=True)
class Site:
    """A republishing site and its habits."""

    name: str
    domain: str
    teaser_share: float  # share of its republications that are teasers
    credit_forms: tuple[str, ...]  # "{a}" is replaced by a name of the origin outlet
    damage: tuple[str, ...]  # typography damage it applies to copies
    title_suffix: str = ""
    footer: str = ""  # long site-wide footer after every entry
    footer_glued: bool = False  # footer after a single line break (plain text): same paragraph
    extras: tuple[str, ...] = ()  # ad / share lines it inserts
    signoff: str = ""  # short line of its own after every entry ("© 2001 Site Media")
    plain_text: bool = False  # descriptions as plain text (no HTML), paragraphs by blank lines
    atom: bool = False
    languages: tuple[str, ...] = ("en",)


_FOOTER_METRO = (
    "Metro Digest brings you the stories that matter from around the country and the world, every "
    "morning and every evening. Our newsroom is independent and reader funded. Copyright 2001 Metro "
    "Digest Pty Ltd. All rights reserved. This material may not be published, broadcast, rewritten or "
    "redistributed without permission. Send tips and corrections to the newsroom at any time."
)
_FOOTER_PLANET = (
    "Daily Planet is the world's favourite news digest. Get the day's top headlines delivered to your "
    "inbox: sign up for our free newsletter today. Follow Daily Planet on Facebook, Twitter and "
    "Instagram for breaking news, photos and videos from our correspondents around the globe. "
    "© 2001 Daily Planet Media."
)
_FOOTER_BUSH = (
    "Bush Telegraph is delivered free to regional readers by our volunteers. Support independent "
    "country journalism: become a member today. All stories are copyright their original publishers "
    "and are used with permission. Unsubscribe at any time by replying STOP."
)
_FOOTER_LEVANT = (
    "Levant Digest is an independent news service. Subscribe to our daily newsletter for the top stories "
    "from the region, and follow us on social media for breaking news alerts around the clock."
)

SITES = (
    Site(
        "Daily Planet",
        "dailyplanet.example",
        0.15,
        ("Source: {a}", "SOURCE: {a}", "Source: {a}", "Credit: {a}"),
        ("curly", "entities", "nbsp"),
        title_suffix=" | Daily Planet",
        footer=_FOOTER_PLANET,
        extras=("Advertisement", "Share this article: Facebook Twitter Email"),
        languages=("en", "ar", "zh", "ja"),
    ),
    Site(
        "Harbour Times",
        "harbourtimes.example",
        0.0,
        ("inline", "inline", "Originally published by {a}.", "Source: {a}"),
        ("curly", "mojibake"),
        title_suffix=" - Harbour Times",
        extras=("ADVERTISEMENT",),
    ),
    Site(
        "Outback Wire",
        "outbackwire.example",
        0.1,
        ("Originally published by {a}.", "This article first appeared on {a}.", "trailing"),
        ("glued", "fffd", "ligature"),
        plain_text=True,
    ),
    Site(
        "Metro Digest",
        "metrodigest.example",
        0.85,
        ("Source: {a}", "", "", "Via {a}", "({a})"),
        ("curly",),
        footer=_FOOTER_METRO,
    ),
    Site(
        "Coastal Courier",
        "coastalcourier.example",
        0.1,
        ("Credit: {a}", "Courtesy of {a}", "Republished with permission from {a}.", "© {a}"),
        ("edits", "dateline"),
        title_suffix=" — Coastal Courier",
        extras=("Related coverage", "Photo: {p}"),
    ),
    Site(
        "Global Reader",
        "globalreader.example",
        0.6,
        ("Via {a}", "Source: {a}", "", "Originally published by {a}."),
        ("straight", "edits"),
        signoff="© 2001 Global Reader Media",
        atom=True,
        languages=("en", "ar", "zh", "ja"),
    ),
    Site(
        "Pacific Post",
        "pacificpost.example",
        0.2,
        ("Courtesy of {a}", "Source: {a}", "This story was originally published by {a}."),
        ("dateline", "mojibake", "edits"),
        title_suffix=" | Pacific Post",
        extras=("Click here to subscribe to our free newsletter.", "Share on Facebook Share on Twitter"),
    ),
    Site(
        "Bush Telegraph",
        "bushtelegraph.example",
        0.7,
        ("Source: {a}", "", "Originally published by {a}."),
        ("straight",),
        footer=_FOOTER_BUSH,
        footer_glued=True,
        plain_text=True,
    ),
    Site(
        "Levant Digest",
        "levantdigest.example",
        0.5,
        ("Source: {a}", "Credit: {a}"),
        ("nbsp",),
        footer=_FOOTER_LEVANT,
        languages=("ar", "zh", "ja"),
    ),
)

_NATIVE_CREDIT = {"ar": "المصدر: {a}", "zh": "来源：{a}", "ja": "(c){a}"}
_CITIES = ("SYDNEY", "CANBERRA", "MELBOURNE", "BRISBANE", "Perth, Australia", "ADELAIDE")
_TEASER_TAILS = ("...", "…", " […]", " Read more", "... Read more »", " [...]")
_CJK_TAILS = ("……", "…", "...", "[…]")


@dataclass(slots=True)
class Entry:
    """One feed entry with its truth label."""

    feed: str
    guid: str
    link: str
    title: str
    published: datetime
    paragraphs: list[str]
    story: str  # truth: entries with the same story are one article
    role: str  # truth: "original" | "copy" | "teaser"
    origin: str  # truth: the outlet a correct attribution credits
    footer: bool = False  # carries its site's long footer
    tiny: bool = False  # fewer than five words of its own
    run: int = 1
    kinds: list[str] = field(default_factory=list)  # what was done to it, for the failure listing


@dataclass(slots=True)
class Corpus:
    """The entries, and per story the truth: its canonical entry and the outlet to credit."""

    entries: list[Entry]
    aliases: dict[str, tuple[str, ...]]
    feeds: list[str]
    seed: int
    canonical: dict[str, tuple[str, str]] = field(default_factory=dict)
    credited: dict[str, str] = field(default_factory=dict)


def _truth(corpus: Corpus) -> None:
    """Canonical: the original if it is in a feed, else the earliest full copy (earliest entry if
    only teasers). Credited: the origin when it has a feed or some entry credits it, else the
    canonical entry's feed (what the README promises without any credit line)."""
    stories: dict[str, list[Entry]] = {}
    for entry in corpus.entries:
        stories.setdefault(entry.story, []).append(entry)
    for story, entries in stories.items():
        ordered = sorted(entries, key=lambda e: (e.role != "original", e.role == "teaser", e.published))
        first = ordered[0]
        corpus.canonical[story] = (first.feed, first.guid)
        credited = any(k.startswith(("credit:", "inline", "trailing")) for e in entries for k in e.kinds)
        corpus.credited[story] = first.origin if first.role == "original" or credited else first.feed


def _words(paragraphs: list[str] | tuple[str, ...]) -> list[str]:
    return " ".join(paragraphs).split()


def _title(text: str, rng: random.Random) -> str:
    words = text.split()[: rng.randint(6, 10)]
    return " ".join(words).rstrip(",.;:").strip('"')


def _curl(text: str) -> str:
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text)
    text = text.replace('"', "”")
    text = re.sub(r"(\w)'(\w)", "\\1’\\2", text)
    text = re.sub(r"(^|\s)'", "\\1‘", text)
    text = text.replace("'", "’")
    return text.replace(" -- ", " — ").replace("--", "—").replace(" - ", " — ")


def _straight(text: str) -> str:
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")


def _mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252: the classic "â€™"."""
    return _curl(text).encode("utf-8").decode("cp1252", errors="replace")


def _fffd(text: str) -> str:
    return re.sub(r" -- | - | — |--", " \ufffd ", text)


def _ligature(text: str) -> str:
    return text.replace("fi", "ﬁ").replace("fl", "ﬂ")


def _nbsp(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    return "".join(w + ("\u00a0" if rng.random() < 0.08 else " ") for w in words).strip()


def _light_edits(paragraphs: list[str], rng: random.Random, kinds: list[str]) -> list[str]:
    out = list(paragraphs)
    if len(out) >= 3 and rng.random() < 0.5:
        out.pop()
        kinds.append("dropped-last-paragraph")
    if len(out) >= 4 and rng.random() < 0.4:
        i = rng.randint(1, len(out) - 2)
        out[i], out[i + 1] = out[i + 1], out[i]
        kinds.append("swapped-paragraphs")
    if rng.random() < 0.6:
        out = [re.sub(r"\bsaid\b", "says", p) for p in out]
        kinds.append("said-says")
    return out


def _credit_line(form: str, outlet: Outlet, rng: random.Random) -> str:
    name = rng.choice((outlet.name, outlet.name, *outlet.aliases))
    if rng.random() < 0.1 and form.startswith("Source"):
        name = f"https://www.{outlet.domain}/"
    return form.replace("{a}", name)


class Builder:
    """Turns source articles into entries of origin and republisher feeds."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.entries: list[Entry] = []
        self.counter = 0

    def _link(self, domain: str, when: datetime, title: str) -> str:
        self.counter += 1
        slug = "-".join(re.findall(r"\w+", title.casefold())[:6]) or "story"
        return f"https://www.{domain}/{when:%Y/%m/%d}/{slug}-{self.counter}"

    def add(self, feed: str, domain: str, title: str, when: datetime, paragraphs: list[str], **kw) -> Entry:
        link = self._link(domain, when, title)
        guid = link if self.counter % 3 else f"tag:{domain},2001:{self.counter}"
        entry = Entry(feed, guid, link, title, when, paragraphs, **kw)
        entry.run = 1 if when < RUN_CUTOFF else 2
        self.entries.append(entry)
        return entry

    # -- originals ----------------------------------------------------------------------------

    def original(self, text: SourceText, outlet: Outlet, when: datetime, story: str) -> Entry:
        paragraphs = list(text.paragraphs)
        if outlet.name in ("Australian Associated Press", "Reuters") and text.language == "en":
            tag = "AAP" if outlet.name.startswith("Australian") else "Reuters"
            paragraphs[0] = f"{self.rng.choice(_CITIES).split(',')[0].upper()} ({tag}) - {paragraphs[0]}"
        title = _title(text.paragraphs[0], self.rng) if text.language == "en" else text.paragraphs[0][:28]
        return self.add(
            outlet.name,
            outlet.domain,
            title,
            when,
            paragraphs,
            story=story,
            role="original",
            origin=outlet.name,
        )

    # -- republications -----------------------------------------------------------------------

    def republish(
        self,
        site: Site,
        source: Entry,
        outlet: Outlet,
        when: datetime,
        teaser: bool,
        language: str,
        credit_needed: bool = False,
    ) -> Entry:
        rng = self.rng
        kinds: list[str] = []
        # Republishers take the article without the origin's own "CITY (AAP) -" opener half the time.
        paragraphs = list(source.paragraphs)
        if rng.random() < 0.5:
            paragraphs[0] = re.sub(r"^[A-Z]+ \((AAP|Reuters)\) - ", "", paragraphs[0])
        if re.match(r"^[A-Z]+ \((AAP|Reuters)\) - ", paragraphs[0]):
            kinds.append("inline-opener")  # the origin's "SYDNEY (AAP) -" kept: a credit too
        form = rng.choice(site.credit_forms)
        if language != "en" and (form.startswith(("inline", "trailing")) or rng.random() < 0.6):
            form = _NATIVE_CREDIT[language]
        if credit_needed and form in ("", "({a})"):
            form = "Source: {a}"
        if teaser:
            paragraphs = self._teaser(paragraphs, language, kinds)
            if language == "en" and rng.random() < 0.2:  # listings that repeat the headline first
                paragraphs[0] = f"{source.title}: {paragraphs[0]}"
                kinds.append("headline-first")
        else:
            if "edits" in site.damage:
                paragraphs = _light_edits(paragraphs, rng, kinds)
            if "dateline" in site.damage and language == "en" and not re.match(r"^[A-Z]+ \(", paragraphs[0]):
                city = rng.choice(_CITIES)
                dash = rng.choice(("—", "–", "-"))
                paragraphs[0] = f"{city} {dash} {paragraphs[0]}"
                kinds.append("dateline")
            for extra in site.extras:
                if rng.random() < 0.6 and len(paragraphs) >= 2:
                    line = extra.replace("{p}", rng.choice(("AP", "Getty Images", "Reuters", "AFP")))
                    paragraphs.insert(rng.randint(1, len(paragraphs) - 1), line)
                    kinds.append("extra-line")
        credit = ""
        if form == "inline":
            if language == "en" and not re.match(r"^[A-Z]+ \(", paragraphs[0]):
                name = rng.choice((outlet.name, *outlet.aliases))
                dash = rng.choice(("—", "–", "-"))
                paragraphs[0] = f"{rng.choice(_CITIES).split(',')[0]} ({name}) {dash} {paragraphs[0]}"
                kinds.append("inline-credit")
            else:
                credit = _credit_line("Originally published by {a}.", outlet, rng)
        elif form == "trailing":
            paragraphs[-1] = paragraphs[-1] + " " + _credit_line("Source: {a}", outlet, rng)
            kinds.append("trailing-credit")
        elif form:
            credit = _credit_line(form, outlet, rng)
        if credit:
            if rng.random() < 0.3 and not teaser:
                paragraphs.insert(0, credit)
            else:
                paragraphs.append(credit)
            kinds.append("credit:" + form)
        if language == "en":
            paragraphs = [self._damage(p, site, kinds) for p in paragraphs]
        elif "nbsp" in site.damage and language == "ar":
            paragraphs = [_nbsp(p, rng) for p in paragraphs]
        if site.signoff:
            paragraphs.append(site.signoff)
        footer = bool(site.footer)
        if footer and site.footer_glued:
            paragraphs[-1] += "\n" + site.footer
        elif footer:
            paragraphs.append(site.footer)
        if "glued" in site.damage and len(paragraphs) >= 2 and not teaser:
            i = rng.randint(0, len(paragraphs) - 2)
            paragraphs[i : i + 2] = [paragraphs[i] + paragraphs[i + 1]]
            kinds.append("glued")
        title = source.title
        if not teaser and "edits" in site.damage and rng.random() < 0.3 and language == "en":
            title = _title(" ".join(source.paragraphs[1:2]) or source.title, rng)
            kinds.append("new-headline")
        title += site.title_suffix
        return self.add(
            site.name,
            site.domain,
            title,
            when,
            paragraphs,
            story=source.story,
            role="teaser" if teaser else "copy",
            origin=source.origin,
            footer=footer,
            kinds=["teaser" if teaser else "copy", *kinds],
        )

    def _teaser(self, paragraphs: list[str], language: str, kinds: list[str]) -> list[str]:
        rng = self.rng
        if language in ("zh", "ja"):
            chars = "".join(paragraphs)[: rng.randint(60, 120)]
            kinds.append(f"teaser-{len(chars)}chars")
            return [chars + rng.choice(_CJK_TAILS)]
        words = _words(paragraphs)
        n = rng.randint(25, 60)
        cut = words[:n]
        if rng.random() < 0.2:
            cut[-1] = cut[-1][: max(1, len(cut[-1]) // 2)]  # cut inside a word
        tail = rng.choice(_TEASER_TAILS)
        kinds.append(f"teaser-{n}words{tail.strip()}")
        text = " ".join(cut).rstrip(".,;")
        if tail.strip() == "Read more" and rng.random() < 0.5:
            return [text + "...", "Read more"]
        return [text + tail]

    def _damage(self, paragraph: str, site: Site, kinds: list[str]) -> str:
        for kind in site.damage:
            if kind == "curly":
                paragraph = _curl(paragraph)
            elif kind == "straight":
                paragraph = _straight(paragraph)
            elif kind == "mojibake":
                paragraph = _mojibake(paragraph)
            elif kind == "fffd":
                paragraph = _fffd(paragraph)
            elif kind == "ligature":
                paragraph = _ligature(paragraph)
            elif kind == "nbsp":
                paragraph = _nbsp(paragraph, self.rng)
        if site.damage and site.damage[0] not in kinds:
            kinds.extend(k for k in site.damage if k not in ("edits", "dateline"))
        return paragraph


def build_corpus(
    background: list[SourceText],
    short: list[SourceText],
    non_latin: list[SourceText] | None = None,
    seed: int = 2001,
) -> Corpus:
    """The labelled corpus from lee_background (stories), lee.cor (negatives) and non-Latin texts."""
    builder = Builder(seed)
    rng = builder.rng
    en_sites = [s for s in SITES if "en" in s.languages]
    # Quoted statements: a long sentence of a lee.cor article put in the middle of two originals.
    quotes = [
        s for t in short[-6:] for s in re.split(r"(?<=\.) ", " ".join(t.paragraphs)) if len(s.split()) >= 25
    ]
    quoted: dict[int, str] = {}
    lead_quoted: set[int] = set()
    for k, quote in enumerate(quotes[:6]):
        for index in (7 * k + 3, 7 * k + 40):
            if index < len(background):
                quoted[index] = f'The statement read: "{quote}"'
                if k >= 4:  # the statement follows a short lead, and both articles have teasers
                    lead_quoted.add(index)
    for index, text in enumerate(background):
        outlet = ORIGINS[rng.randrange(len(ORIGINS))]
        paragraphs = list(text.paragraphs)
        if index in quoted:
            at = 1 if index in lead_quoted else min(len(paragraphs), 1 + index % 2)
            paragraphs.insert(at, quoted[index])
        source = SourceText(text.origin, "en", None, tuple(paragraphs))
        when = BASE + timedelta(minutes=rng.randrange(4 * 24 * 60))
        original = builder.original(source, outlet, when, story=f"bg{index}")
        if index in quoted:
            original.kinds.append("quotes-shared-statement")
        copies = rng.choices((0, 1, 2, 3, 4, 5), weights=(25, 25, 20, 15, 10, 5))[0]
        if not outlet.has_feed:
            copies = max(copies, 1)
        sites = rng.sample(en_sites, copies)
        if index in lead_quoted:
            sites = [s for s in en_sites if s.teaser_share >= 0.6]  # teasers of the shared statement
        early = rng.random()
        for n, site in enumerate(sites):
            teaser = index in lead_quoted or rng.random() < site.teaser_share
            delay = timedelta(minutes=rng.randint(10, 30 * 60))
            moment = when + delay
            credit_needed = False
            if teaser and rng.random() < 0.3:
                # The teaser arrives first (a listing updated before the article page), sometimes
                # in the run before its original's.
                moment = when - timedelta(minutes=rng.randint(5, 600))
            elif n == 0 and early > 0.92 and not teaser:
                moment = when - timedelta(minutes=rng.randint(5, 60))  # a credited copy arrives first
                credit_needed = True
            entry = builder.republish(site, original, outlet, moment, teaser, "en", credit_needed)
            if moment < when:
                entry.kinds.append("before-original")
        if not outlet.has_feed:
            builder.entries.remove(original)
    _negatives(builder, short)
    if non_latin:
        _non_latin(builder, non_latin)
    aliases = {o.name: o.aliases for o in (*ORIGINS, *NON_LATIN_ORIGINS.values())}
    feeds = [o.name for o in ORIGINS if o.has_feed]
    feeds += [o.name for o in NON_LATIN_ORIGINS.values() if non_latin] + [s.name for s in SITES]
    builder.entries.sort(key=lambda e: (e.published, e.feed, e.guid))
    corpus = Corpus(builder.entries, aliases, feeds, seed)
    _truth(corpus)
    return corpus


def _negatives(builder: Builder, short: list[SourceText]) -> None:
    """Same-topic originals of one day, footer-only briefs, and entries of a few words."""
    rng = builder.rng
    abc = ORIGINS[0]
    metro = next(s for s in SITES if s.name == "Metro Digest")
    pacific = next(s for s in SITES if s.name == "Pacific Post")
    bush = next(s for s in SITES if s.name == "Bush Telegraph")
    half = len(short) // 2
    for index, text in enumerate(short[:half]):
        when = BASE + timedelta(hours=rng.randrange(4 * 24))
        builder.original(text, abc, when, story=f"lee{index}").kinds.append("same-topic-negative")
    for index, text in enumerate(short[half:-6] if len(short) > half + 6 else short[half:]):
        words = _words(text.paragraphs)
        when = BASE + timedelta(hours=rng.randrange(4 * 24))
        brief = " ".join(words[: rng.randint(10, 22)])
        site = metro if index % 2 else bush
        # Bush Telegraph glues its footer to the text: after a line break, or on the same line.
        body = (
            [brief, metro.footer] if site is metro else [brief + ("\n" if index % 4 else " ") + bush.footer]
        )
        entry = builder.add(
            site.name,
            site.domain,
            _title(brief, rng),
            when,
            body,
            story=f"brief{index}",
            role="original",
            origin=site.name,
            footer=True,
        )
        entry.kinds.append("brief-sharing-footer")
        tiny = " ".join(words[:3])
        entry = builder.add(
            pacific.name,
            pacific.domain,
            tiny,
            when + timedelta(minutes=7),
            [tiny],
            story=f"tiny{index}",
            role="original",
            origin=pacific.name,
            tiny=True,
        )
        entry.kinds.append("tiny-entry")


def _non_latin(builder: Builder, texts: list[SourceText]) -> None:
    """Each non-Latin article: its original, a full copy and a teaser on sites that carry the script."""
    rng = builder.rng
    for index, text in enumerate(texts):
        outlet = NON_LATIN_ORIGINS[text.publisher or "CNN Arabic"]
        when = BASE + timedelta(hours=rng.randrange(4 * 24))
        original = builder.original(text, outlet, when, story=f"nl{index}")
        sites = [s for s in SITES if text.language in s.languages]
        copy_site, teaser_site = rng.sample(sites, 2)
        first = when - timedelta(minutes=20) if index % 2 else when + timedelta(hours=2)
        builder.republish(teaser_site, original, outlet, first, True, text.language)
        builder.republish(copy_site, original, outlet, when + timedelta(hours=5), False, text.language)
