"""Read config.toml into frozen dataclasses. Every bad key or value is a ConfigError naming its path.

The defaults below are the documented ones: config.toml and the README repeat them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pipeline.errors import ConfigError

FullTextMode = bool | Literal["auto"]


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One outlet: ``name`` is the display name used for attribution; ``url`` is http(s) or a path.

    ``full_text``: fetch each entry's article page for its text (``True``), never (``False``), or
    ``"auto"``: only for entries that are short or end like a teaser, of a feed read over http(s)
    (a feed read from a file is an offline copy, like the demo's, whose links are not fetched).
    """

    name: str
    url: str
    full_text: FullTextMode = "auto"


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """Where the outputs go and what the output feed says about itself."""

    rss: Path
    atom: Path
    report: Path
    title: str = "syndedup"
    link: str = "http://localhost/"
    description: str = "Deduplicated news: one item per story, credited to its original outlet."
    # 100 items keeps the feed file small for readers polling often; the report lists every story.
    max_items: int = 100
    # The public base URL the outputs are served under; gives each feed its rel="self" link
    # (url + file name). None: no self links (feed validators warn, readers cope).
    url: str | None = None
    # Optional JSON Feed 1.1 output and HTML audit page; None: not written.
    json: Path | None = None
    html: Path | None = None


@dataclass(frozen=True, slots=True)
class StateConfig:
    """The SQLite file that remembers feeds, articles, signatures and stories between runs."""

    path: Path
    # 0: a run that finds another run holding the lock exits 0 at once (cron will try again);
    # more: wait up to this many seconds for the other run to finish first.
    lock_wait: float = 0.0
    # Stories not updated for this many days (no member published, none added) are deleted (with
    # their articles, signatures and LSH buckets) in the run's transaction. None: keep everything.
    retention_days: int | None = None
    # A feed removed from the config leaves the outputs this many days after the first run without
    # it (its entries stay in the state: putting the feed back shows them again). 0: at once, which
    # is what removing a feed usually means; more gives readers time to see the last items go.
    removed_feed_days: int = 0


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """HTTP politeness and limits, so that one slow, huge or hostile feed cannot stall a cron run.

    timeout=20: seconds to wait for each read; long enough for a slow news site, short enough for
        a 15-minute cron.
    connect_timeout=10: seconds to connect; a reachable host answers in well under a second.
    total_timeout=60: seconds for a whole fetch, from the connect to the last byte (redirects and
        headers included), so a server trickling a byte per read cannot hold a feed open for ever.
    max_bytes=10 MiB: a response (after gzip decoding) larger than this is refused while it is
        streamed, never held whole; real feeds are well under 2 MB.
    max_entries=500: entries kept per feed (the first ones, which feeds put newest first).
    concurrency=8: feeds fetched at once; per_host=2: at most two at once from one host, to be
        polite to sites that serve several of our feeds.
    max_redirects=5: as browsers; longer chains are loops or misconfigurations.
    backoff_base=600, backoff_max=86400: after n failures in a row a feed is retried no sooner
        than backoff_base * 2**(n-1) seconds later (10 min, 20, 40, ... up to one day). A
        Retry-After from a 429/503 is honoured up to backoff_max.
    parse_processes=2: worker processes that parse the fetched bytes (feedparser is CPU-bound,
        ~1,000-3,000 entries/s per core; two use both cores of a small server); 0 parses in the
        fetch threads, as do runs of fewer than 4 feeds. Fetching always stays in the main process.
    """

    timeout: float = 20.0
    # Seconds between two requests to one host when fetching article pages (issue 7): one page a
    # second is the usual courtesy for crawlers without a robots.txt Crawl-delay; 0 for local tests.
    per_host_delay: float = 1.0
    # Article links come from feed content: by default a link to a loopback, private or link-local
    # address is not fetched (a feed must not make us probe the LAN or a cloud metadata service).
    allow_private_pages: bool = False
    connect_timeout: float = 10.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_entries: int = 500
    concurrency: int = 8
    per_host: int = 2
    max_redirects: int = 5
    backoff_base: float = 600.0
    backoff_max: float = 86400.0
    parse_processes: int = 2


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Detection tunables.

    num_perm=128: the standard error of a Jaccard estimate is sqrt(J(1-J)/128), at most 0.044; the
        estimate only picks candidates, which are then verified exactly, so more permutations buy little.
    seed=1: datasketch's default; changing it (or any signature parameter) makes old state unusable.
    shingle_size=4: word 4-grams. Long enough that common phrases ("said on Monday") do not make
        unrelated articles look alike, short enough that one edited word ("said" -> "says") removes
        only 4 shingles and a 25-word teaser still has 22.
    lead_tokens=40: the lead signature covers an article's first 40 words, so a 25-60 word teaser
        and its original's lead overlap with Jaccard >= 0.55 and meet in the lead LSH index.
    lsh_threshold=0.3: LSH candidate threshold (bands/rows are derived from it); well below the
        verification thresholds so that copies are not lost before verification. 0.4 would store
        13% fewer keys an entry (134 -> 117, realistic load) but loses 1.8 points of the wire
        corpus's pairwise recall (0.880 -> 0.862; plain and crowded 0.001): measured in issue 24.
    copy_threshold=0.5: exact Jaccard of shingle sets for a copy; light edits keep copies above 0.7,
        different reports of one event stay below 0.2.
    teaser_containment=0.7: share of the shorter text's shingles found in the longer text's lead;
        a truncated last word and an added dateline still leave a 25-word teaser above 0.8.
    teaser_max_ratio=0.6: a teaser has at most 60% of the shingles of its original; longer
        texts must match as copies.
    min_tokens=8: texts with fewer words are never merged (one-line entries like "Photos of the
        day" would otherwise collide across outlets).
    boilerplate_min_entries=3: a line seen in this many entries of one feed is site boilerplate
        (footer, share line) and is left out of the signature.
    partial_containment=0.6: a partial reprint (cut or reordered): this share of the shorter text's
        shingles lies anywhere in the longer one (overlap coefficient). Real reprints have a median
        containment of 0.67 (issue 13); a same-topic article quoting one statement stays far below.
    partial_min_shared=40: ... and they share at least 40 shingles: one quotation or stock sentence
        (<= 35 words, bench/reprints.py) never suffices on its own.
    story_containment=0.6: a full text joins a story when this share of its shingles lies in the
        union of the story's full-text members (a reprint of a later version matches no single
        member); the same 40-shingle guard applies.
    merge_min_tokens=80: shorter texts (teasers, briefs) never count towards a story's union, are
        never partial reprints before teasers, and never merge two stories.
    strong_copy=0.9: verification stops after a copy this close (only 21% of reprints reach 0.8;
        nothing is lost by stopping above it).
    story_overlap=0.42: two stories an entry is strongly in merge when their cores (text/story.py:
        the founder's shingles and those two or more sampled members hold) overlap by this share of
        the smaller core. Real reprints (issue 25): two version-stories of one wire story overlap
        0.47 on such cores (0.24 on their unions, which every reprint's furniture inflates); on
        bench/quality_real.py the wire corpus's version groups of 8 or more overlap 0.55 (median),
        its same-event stories never merge, and the reprints corpus's round-up false merge
        (0.36 on unions) shares no core. Kept at the old union gate's value, 0.42: a missed merge
        costs a fragment and is looked at again as either story grows; a false one costs thousands
        of false pairs.
    core_members=32: full-text members sampled for a story's representative (the founder, the first
        and the latest); the work of comparing with a story. 32 instead of 16: wire-corpus F1
        +0.0015 (with bucket_cap 128). 1,000 (about every member) put every sampled site's shared
        furniture into the cores: 2,886 false pairs on the reprints corpus instead of 0
        (bench/quality_real.py --set core_members=1000).
    core_agreement=0.5: a core holds the shingles at least half the sampled members hold (and two),
        besides the founder's. Held by any two, the context paragraphs that a story's extended
        reprints all take from one neighbouring article entered the core and merged the
        neighbour's story: crowded reprints corpus 241 false pairs at "two", 111 at 0.34, 57 at
        0.5, for wire-corpus F1 0.9230, 0.9210, 0.9195 (bench/quality_real.py --variant all).
    max_candidates=64, story_candidates=32: LSH candidates verified per entry, and of one story;
        verification within a story stops once one member is a copy of a full text (the rest add
        nothing). 32 instead of 4: wire-corpus F1 +0.008 (a reprint of a later version meets the
        story's few members of that version late in the ranking); the per-story stop keeps a
        story of thousands of near-identical copies at one or two verifications per entry.
    crowded_candidates=16: of the candidates met only in crowded buckets (stock text, or a story
        so big that its first members stand for it), the best-ranked 16 are verified. Unrelated
        articles made of a small pool of shared sentences fill every bucket, and each entry then
        verified up to max_candidates of them (bench/crowd.py, 40,000 articles); with 16, every
        score of the three bench/quality_real.py corpora is unchanged.
    bucket_cap=128: an LSH bucket holding this many entries takes no more (its first entries stand
        for the rest) and ranks below ordinary buckets: cost per entry flat however big a story or
        however many unrelated entries share a stock sentence (bench/crowd.py). 128 instead of 32:
        wire-corpus F1 +0.005 (big version-stories filled buckets of 32 before their later
        versions arrived); no score changed on the reprints corpus with the cap lifted (100,000).
    short_tokens=80, short_copy_threshold=0.6: two texts both under 80 words are copies when their
        character 5-shingles have Jaccard >= 0.6: six typos in 41 words leave 0.64-0.85 (word
        4-grams: ~0.47); of 3.1 million pairs of short texts of different articles, 2 reach 0.6
        (bench/short_texts.py). 0 turns it off.
    story_level / merge_stories: switches for the two mechanisms, to measure what each buys.

    A full text never joins a story through a teaser member once the story holds a full text.

    Measured by bench/quality.py and bench/sweep.py (bench/README.md): every default lies inside a
    plateau where all scores are 1.0; its edges are lead_tokens 60, lsh_threshold 0.5,
    copy_threshold 0.7, teaser_containment 0.8, teaser_max_ratio 0.4, boilerplate_min_entries 5.
    Exact scores over 8,298 pairs (bench/margins.py): copies have Jaccard >= 0.541, different
    stories <= 0.250; teasers have lead containment >= 0.702, different stories <= 0.400.
    """

    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 4
    lead_tokens: int = 40
    lsh_threshold: float = 0.3
    copy_threshold: float = 0.5
    teaser_containment: float = 0.7
    teaser_max_ratio: float = 0.6
    min_tokens: int = 8
    boilerplate_min_entries: int = 3
    partial_containment: float = 0.6
    partial_min_shared: int = 40
    story_containment: float = 0.6
    merge_min_tokens: int = 80
    strong_copy: float = 0.9
    story_overlap: float = 0.42
    short_tokens: int = 80
    short_copy_threshold: float = 0.6
    core_members: int = 32
    core_agreement: float = 0.5
    max_candidates: int = 64
    crowded_candidates: int = 16
    story_candidates: int = 32
    bucket_cap: int = 128
    story_level: bool = True
    merge_stories: bool = True


@dataclass(frozen=True, slots=True)
class AttributionConfig:
    """``aliases`` maps an outlet's one name to the other names credit lines use for it."""

    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """Where the dedup state (signatures, LSH buckets, articles, stories) lives.

    "sqlite" (default): in the [state] file, one host. "redis": in the Redis server at ``url``, so
    that several hosts, each running a shard of the feeds (``syndedup run --shard K/N``), share one
    dedup state; feed health, HTTP validators, page cache and boilerplate counts stay in each
    host's [state] file. ``prefix`` starts every key, so that several deployments can share a server.
    """

    backend: str = "sqlite"
    url: str = "redis://127.0.0.1:6379/0"
    prefix: str = "syndedup:"


INDEX_BACKENDS = ("sqlite", "redis")


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration of one run. Paths are absolute (resolved against the config's folder)."""

    path: Path
    feeds: tuple[FeedConfig, ...]
    output: OutputConfig
    state: StateConfig
    fetch: FetchConfig = FetchConfig()
    dedup: DedupConfig = DedupConfig()
    attribution: AttributionConfig = AttributionConfig()
    index: IndexConfig = IndexConfig()


TOP_LEVEL_KEYS = ("feeds", "output", "state", "fetch", "dedup", "attribution", "index")


def load_config(path: Path) -> Config:
    """Read and validate ``path``; raise ConfigError naming the file and the key on any problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (pass --config PATH or create ./config.toml)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path.resolve())


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate an already-parsed TOML document; ``path`` locates relative paths and error messages."""
    base = path.parent
    _reject_unknown(data, TOP_LEVEL_KEYS, "", path)
    feeds = _parse_feeds(data.get("feeds"), base, path)
    output = _parse_output(_table(data, "output", path, required=True), base, path)
    state_table = _table(data, "state", path, required=True)
    _reject_unknown(state_table, ("path", "lock_wait", "retention_days", "removed_feed_days"), "state.", path)
    retention_days = None
    if "retention_days" in state_table:
        retention_days = _number(state_table["retention_days"], int, "state.retention_days", path, minimum=1)
    state = StateConfig(
        path=_path(state_table, "path", "state.", base, path),
        lock_wait=_number(state_table.get("lock_wait", 0.0), float, "state.lock_wait", path, 0, 86400),
        retention_days=retention_days,
        removed_feed_days=_number(
            state_table.get("removed_feed_days", 0), int, "state.removed_feed_days", path, 0, 36500
        ),
    )
    fetch = _parse_flat(FetchConfig, _table(data, "fetch", path), "fetch.", path)
    _check_fetch(fetch, path)
    dedup = _parse_flat(DedupConfig, _table(data, "dedup", path), "dedup.", path)
    _check_dedup(dedup, path)
    attribution = _parse_attribution(_table(data, "attribution", path), path)
    index = _parse_index(_table(data, "index", path), state, path)
    _check_distinct_files(path, feeds, output, state)
    return Config(path, feeds, output, state, fetch, dedup, attribution, index)


def _fail(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {problem}", key=key, problem=problem)


def _reject_unknown(table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str, path: Path) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(path, prefix + key, f"unknown key (allowed here: {', '.join(allowed)})")


def _table(data: Mapping[str, Any], key: str, path: Path, required: bool = False) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise _fail(path, f"[{key}]", "missing table")
        return {}
    if not isinstance(value, dict):
        raise _fail(path, key, f"must be a table [{key}], got {type(value).__name__}")
    return value


def _string(table: Mapping[str, Any], key: str, prefix: str, path: Path) -> str:
    if key not in table:
        raise _fail(path, prefix + key, "missing (required)")
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, prefix + key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _path(table: Mapping[str, Any], key: str, prefix: str, base: Path, path: Path) -> Path:
    value = Path(_string(table, key, prefix, path)).expanduser()
    return value if value.is_absolute() else (base / value)


def _parse_feeds(value: Any, base: Path, path: Path) -> tuple[FeedConfig, ...]:
    if value is None or value == []:
        raise _fail(path, "[[feeds]]", "no feeds configured (add at least one [[feeds]] table)")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(path, "feeds", "must be an array of tables written [[feeds]]")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(value):
        prefix = f"feeds[{index}]."
        _reject_unknown(table, ("name", "url", "full_text"), prefix, path)
        name = _string(table, "name", prefix, path)
        if name in seen:
            raise _fail(path, prefix + "name", f"duplicate feed name {name!r} (names must be unique)")
        seen.add(name)
        url = _feed_url(_string(table, "url", prefix, path), base, prefix + "url", path)
        full_text = table.get("full_text", "auto")
        if full_text != "auto" and not isinstance(full_text, bool):
            raise _fail(path, prefix + "full_text", f'must be true, false or "auto", got {full_text!r}')
        feeds.append(FeedConfig(name=name, url=url, full_text=full_text))
    return tuple(feeds)


def _feed_url(url: str, base: Path, key: str, path: Path) -> str:
    """Keep http(s) and file URLs; turn a plain path into an absolute file path. Any other scheme
    (``ftp:``, ``javascript:``, ``mailto:``, ...) is a ConfigError naming ``key``: read as a path,
    it would only fail later as "file not found"."""
    scheme = urlparse(url).scheme.lower()
    if scheme in ("http", "https", "file"):
        if scheme != "file" and not urlparse(url).netloc:
            raise _fail(path, key, f"{url!r} has no host (write it as {scheme}://host/path)")
        return url
    if scheme and len(scheme) > 1:  # one letter: a Windows drive ("C:\\feeds\\a.xml"), a path
        raise _fail(
            path,
            key,
            f"{url!r}: the {scheme}: scheme is not supported "
            "(use an http:// or https:// URL, a file:// URL or a file path)",
        )
    candidate = Path(url).expanduser()
    return str(candidate if candidate.is_absolute() else (base / candidate))


def _parse_output(table: Mapping[str, Any], base: Path, path: Path) -> OutputConfig:
    allowed = tuple(f.name for f in fields(OutputConfig))
    _reject_unknown(table, allowed, "output.", path)
    values: dict[str, Any] = {
        name: _path(table, name, "output.", base, path) for name in ("rss", "atom", "report")
    }
    for name in ("title", "link", "description"):
        if name in table:
            values[name] = _string(table, name, "output.", path)
    if "max_items" in table:
        values["max_items"] = _number(table["max_items"], int, "output.max_items", path, minimum=1)
    for name in ("json", "html"):
        if name in table:
            values[name] = _path(table, name, "output.", base, path)
    if "url" in table:
        values["url"] = _base_url(_string(table, "url", "output.", path), path)
    return OutputConfig(**values)


# Files SQLite and the run lock keep beside the state file (WAL mode; a rollback journal if a tool
# switched the mode; ``runner.run_lock``): an output written over one of them damages the state.
_STATE_COMPANIONS = (
    ("-wal", "the write-ahead log of state.path"),
    ("-shm", "the shared-memory file of state.path"),
    ("-journal", "the journal of state.path"),
    (".lock", "the lock file of state.path"),
)


def _check_distinct_files(
    path: Path, feeds: tuple[FeedConfig, ...], output: OutputConfig, state: StateConfig
) -> None:
    """Refuse a state or output path that names the config file, the state file (or a file SQLite
    keeps beside it), a local feed file or an earlier output, however it is spelt (``..``, a
    symlink, a hard link): the run would write over it (issue 23: an output on the state file
    passed ``check`` and destroyed the state at the 4th run). The ConfigError names both keys."""
    taken: list[tuple[Path, str]] = [(path, "the config file itself")]
    for index, feed in enumerate(feeds):
        feed_file = _feed_file(feed.url)
        if feed_file is not None:
            taken.append((feed_file, f"feeds[{index}].url (feed {feed.name!r})"))
    _claim(taken, state.path, "state.path", path)
    taken.append((state.path, "state.path (the state file)"))
    taken += [(state.path.with_name(state.path.name + end), what) for end, what in _STATE_COMPANIONS]
    for item in fields(OutputConfig):
        value = getattr(output, item.name)
        if isinstance(value, Path):
            _claim(taken, value, f"output.{item.name}", path)
            taken.append((value, f"output.{item.name}"))


def _claim(taken: list[tuple[Path, str]], wanted: Path, key: str, path: Path) -> None:
    for other, what in taken:
        if _same_file(wanted, other):
            raise _fail(
                path,
                key,
                f"{wanted} is also {what}; each output, the state and the config need files of their own",
            )


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same path once ``..`` and symlinks are resolved, or two
    links to one existing file."""
    try:
        if first.resolve() == second.resolve():
            return True
        return first.exists() and second.exists() and first.samefile(second)
    except (OSError, RuntimeError):  # a symlink loop, an unreadable folder: compare as written
        return first == second


def _feed_file(url: str) -> Path | None:
    """The local file a feed URL names (``_feed_url`` made plain paths absolute); None for http(s)."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        return None
    return Path(unquote(parsed.path)) if scheme == "file" else Path(url)


def _base_url(url: str, path: Path) -> str:
    """The outputs' public base URL, ending in "/" so that a file name can be appended."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise _fail(
            path, "output.url", f"must be an http(s) URL such as https://example.org/feeds/, got {url!r}"
        )
    return url if url.endswith("/") else url + "/"


def _number(
    value: Any,
    kind: type,
    key: str,
    path: Path,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, key, f"must be a number, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise _fail(path, key, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(path, key, f"must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise _fail(path, key, f"must be <= {maximum}, got {value!r}")
    return kind(value)


def _parse_flat(cls: type, table: Mapping[str, Any], prefix: str, path: Path) -> Any:
    """Build a dataclass of numbers (and true/false switches) from a table, keeping defaults."""
    known = {f.name: f for f in fields(cls)}
    _reject_unknown(table, tuple(known), prefix, path)
    values = {}
    for key, raw in table.items():
        default = getattr(cls(), key)
        if isinstance(default, bool):
            if not isinstance(raw, bool):
                raise _fail(path, prefix + key, f"must be true or false, got {raw!r}")
            values[key] = raw
            continue
        kind = int if isinstance(default, int) else float
        values[key] = _number(raw, kind, prefix + key, path, minimum=0)
    return cls(**values)


def _check_dedup(dedup: DedupConfig, path: Path) -> None:
    ranges = {
        "num_perm": (16, 1024),
        "shingle_size": (1, 16),
        "lead_tokens": (8, 1000),
        "min_tokens": (1, 1000),
        "boilerplate_min_entries": (2, 1_000_000),
        "partial_min_shared": (1, 100_000),
        "merge_min_tokens": (1, 100_000),
        "core_members": (2, 1000),
        "short_tokens": (0, 200),
        "max_candidates": (1, 10_000),
        "crowded_candidates": (0, 10_000),
        "story_candidates": (1, 10_000),
        "bucket_cap": (2, 1_000_000),
    }
    for key, (low, high) in ranges.items():
        _number(getattr(dedup, key), int, f"dedup.{key}", path, low, high)
    for key in (
        "lsh_threshold",
        "copy_threshold",
        "teaser_containment",
        "teaser_max_ratio",
        "partial_containment",
        "story_containment",
        "strong_copy",
        "story_overlap",
        "short_copy_threshold",
        "core_agreement",
    ):
        _number(getattr(dedup, key), float, f"dedup.{key}", path, 0.05, 1.0)


def _check_fetch(fetch: FetchConfig, path: Path) -> None:
    for key in ("timeout", "connect_timeout", "total_timeout"):
        _number(getattr(fetch, key), float, f"fetch.{key}", path, 0.1, 3600)
    ranges = {
        "max_bytes": (1024, 1024**3),
        "max_entries": (1, 100_000),
        "concurrency": (1, 64),
        "per_host": (1, 64),
        "max_redirects": (0, 20),
        "parse_processes": (0, 64),
    }
    for key, (low, high) in ranges.items():
        _number(getattr(fetch, key), int, f"fetch.{key}", path, low, high)
    _number(fetch.backoff_base, float, "fetch.backoff_base", path, 0, 86400 * 7)
    _number(fetch.backoff_max, float, "fetch.backoff_max", path, fetch.backoff_base, 86400 * 30)
    # 60 s: the most a robots.txt Crawl-delay may ask for (page_client.MAX_CRAWL_DELAY) too.
    _number(fetch.per_host_delay, float, "fetch.per_host_delay", path, 0, 60)


def _parse_attribution(table: Mapping[str, Any], path: Path) -> AttributionConfig:
    _reject_unknown(table, ("aliases",), "attribution.", path)
    aliases_table = table.get("aliases", {})
    if not isinstance(aliases_table, dict):
        raise _fail(path, "attribution.aliases", "must be a table of name = [aliases]")
    aliases: dict[str, tuple[str, ...]] = {}
    for name, names in aliases_table.items():
        key = f"attribution.aliases.{name}"
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise _fail(path, key, f"must be a list of non-empty strings, got {names!r}")
        aliases[name] = tuple(n.strip() for n in names)
    return AttributionConfig(aliases=aliases)


def _parse_index(table: Mapping[str, Any], state: StateConfig, path: Path) -> IndexConfig:
    _reject_unknown(table, ("backend", "url", "prefix"), "index.", path)
    defaults = IndexConfig()
    index = IndexConfig(
        backend=_string(table, "backend", "index.", path) if "backend" in table else defaults.backend,
        url=_string(table, "url", "index.", path) if "url" in table else defaults.url,
        prefix=_string(table, "prefix", "index.", path) if "prefix" in table else defaults.prefix,
    )
    if index.backend not in INDEX_BACKENDS:
        raise _fail(path, "index.backend", f"{index.backend!r} is not one of {', '.join(INDEX_BACKENDS)}")
    if not index.url.startswith(("redis://", "rediss://", "unix://")):
        raise _fail(path, "index.url", f"{index.url!r} is not a redis://, rediss:// or unix:// URL")
    if index.backend == "redis" and state.retention_days is not None:
        raise _fail(path, "state.retention_days", 'pruning is not supported with index.backend = "redis" yet')
    return index
