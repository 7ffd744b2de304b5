"""The records that flow between stages. Stages pass these, never feedparser's dicts."""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pipeline.text.shingles import Shingles

Relation = Literal["original", "copy", "teaser", "partial"]


@dataclass(slots=True)
class Article:
    """One entry of one feed, enriched stage by stage.

    ingest fills the raw fields; normalize fills ``text``, ``body`` and ``credit``; fingerprint fills
    ``shingles`` and ``signature``; dedup fills ``story_id`` and ``match``. For a teaser-only entry,
    fulltext hangs its fetched ``page`` on it and puts the page's text in ``body``.
    """

    feed: str
    entry_key: str
    guid: str
    link: str
    title: str
    published: datetime
    raw_html: str
    # False when the feed gave no usable date (none, unreadable, outside years 1000-9999):
    # ``published`` is then the time the entry was first seen, and it never wins "original".
    dated: bool = True
    text: str = ""
    body: str = ""
    credit: str | None = None
    truncated: bool = False
    tokens: list[str] = field(default_factory=list)
    shingles: Shingles | None = None  # the tokens' shingle hashes (fingerprint), reused by dedup
    signature: Signature | None = None
    story_id: str | None = None
    match: Match | None = None
    id: int | None = None
    page: Page | None = None  # the article page fetched for its full text (stages/fulltext.py)
    normalized: bool = False  # text/body/credit filled (by normalize, maybe in a parse worker)
    content_hash: str = ""  # title and text without tags and digits, hashed (text/identity.py)
    # The text alone hashed the same way, for a text of at least ``identity.MIN_TEXT_CHARS`` visible
    # characters ("" for a shorter one): a re-keyed entry whose title was corrected is found by it.
    text_hash: str = ""
    # The outlet an item's ``<source>`` names (aggregators, republishers): its credit when the text
    # has no credit line of its own; ``source_url`` is that element's URL (the outlet's site or feed).
    source: str | None = None
    source_url: str = ""
    # Set when this entry updates a stored one whose text changed: that article's id and story.
    replaces: int | None = None
    old_story: str | None = None
    token_count: int = 0  # words of ``body`` when signed (``tokens`` is freed sooner)
    prepared: Prepared | None = None  # computed by a parse worker; valid while ``body`` is unchanged
    # Where the fields ``store.spool.PAYLOAD`` (texts, shingles, prepared) lie in the run's spool
    # file while they are out of memory (they are then empty on the entry), offset and length packed
    # in one int (``Spool.offload``); None: on the entry.
    spooled: int | None = None
    # A spooled entry's boilerplate keys from ``prepared`` (paragraph keys, counted keys, edge keys;
    # ``boilerplate.keep_keys``), held until boilerplate removal, so that it reads back only the
    # texts it changes; None: read from the texts.
    boilerplate_keys: tuple[bytes, bytes, tuple[int, ...]] | None = None
    # The fields ``store.spool.PAYLOAD`` pickled by a parse worker (``spool.pack_payload``), empty
    # on the entry, until the run writes the bytes to its spool as they are or unpacks them.
    payload: bytes | None = None


@dataclass(slots=True)
class Prepared:
    """What a parse worker computed from an entry's ``body`` (so that the run's one process need
    not): its boilerplate keys and its signature. Used only while the article's body is still
    ``body`` (boilerplate removal or full text may change it); compact, as every new entry of a
    run holds one until it is signed.
    """

    body: str
    paragraph_keys: bytes  # int64 ``boilerplate.line_key`` of each non-empty line of ``body``
    counted_keys: bytes  # int64 distinct keys counted for the entry (lines and countable sentences)
    signature: bytes | None  # uint32 full then lead MinHash; None when too short to sign
    # The body ``signature`` was made from when the worker expects boilerplate removal to change
    # ``body`` (lines repeated in the feed's new entries, ``boilerplate.predicted_bodies``); None:
    # made from ``body`` itself.
    signed_body: str | None = None
    # ``Article.text`` (the same object, which pickling keeps) and the stored (text, body) blobs made
    # from it and from the signed body (``store.sqlite.packed_texts``); None: not compressed yet.
    text: str | None = None
    packed: tuple[bytes, bytes] | None = None
    edge_keys: tuple[int, ...] | None = None  # ``boilerplate.edge_keys`` of ``body``; None: not computed


@dataclass(frozen=True, slots=True)
class Page:
    """An entry's article page as fetched (and cached in the state): its main text, or why not.

    ``text`` is the extracted main text, paragraphs separated by blank lines; ``canonical`` is the
    page's ``<link rel="canonical">``; ``retry`` marks a failure worth another try later (timeouts,
    5xx, no text found) as opposed to a final one (robots.txt, not HTML, too large, 404).
    """

    url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    canonical: str | None = None
    text: str | None = None
    error: str | None = None
    retry: bool = False


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """Everything that gives a signature its meaning; signatures compare only under equal params."""

    num_perm: int
    seed: int
    scheme: str
    shingle_size: int
    lead_tokens: int
    hash_function: str
    normalizer_version: int
    datasketch_version: str


@dataclass(frozen=True, slots=True)
class Signature:
    """MinHash signatures of an article's whole text, of its lead (its first words), of its short
    lead (its first few words: a one-sentence teaser shares too little with a 40-word lead to meet
    it in the index) and, when its first paragraph is a standfirst
    (``text.tokens.second_lead_start``), of the lead that starts after it (teasers often skip the
    standfirst). The last two are empty in signatures stored before they existed."""

    params: SignatureParams
    full: tuple[int, ...]
    lead: tuple[int, ...]
    second_lead: tuple[int, ...] = ()
    short_lead: tuple[int, ...] = ()
    # The values as stored (``stored_bytes``), when the signature was read from them (a parse
    # worker's): converting tuples back to bytes cost ~0.1 ms an entry.
    raw: bytes = field(default=b"", compare=False, repr=False)

    def packed_leads(self) -> tuple[int, ...]:
        """The leads as stored (lead, short lead, second lead): the short lead is always there in
        a new signature, so a reader tells them apart by length (``split_signature``)."""
        return self.lead + self.short_lead + self.second_lead

    def stored_bytes(self) -> bytes:
        """full + ``packed_leads`` as little-endian uint32 words: what ``split_signature`` reads."""
        if self.raw:
            return self.raw
        values = array("I", self.full + self.packed_leads())
        if sys.byteorder != "little":
            values.byteswap()
        return values.tobytes()


# (full, lead, second lead or (), short lead or ()) MinHash values of a stored signature
SignatureValues = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def split_signature(packed: bytes, num_perm: int) -> SignatureValues:
    """(full, lead, second lead, short lead) of a stored signature (``num_perm`` little-endian
    uint32 values each, in the order full + ``Signature.packed_leads``): a signature stored before
    the short and second leads existed has neither."""
    values = array("I", packed)  # 4-byte unsigned on every platform CPython supports
    if sys.byteorder != "little":
        values.byteswap()
    n = num_perm
    full, lead, short, second = (tuple(values[k * n : (k + 1) * n]) for k in range(4))
    return full, lead, second, short


@dataclass(frozen=True, slots=True)
class Match:
    """Why an article joined a story: the verified measure against one earlier member, or, for
    ``story_containment``, against the union of the story's full-text members (``article_id`` is
    then the member it shares most with)."""

    article_id: int
    relation: Literal["copy", "teaser", "partial"]
    measure: Literal[
        "jaccard", "lead_containment", "overlap", "story_containment", "permalink", "char_jaccard"
    ]
    score: float
    threshold: float


@dataclass(frozen=True, slots=True)
class StorySample:
    """A story's size and the ids of its first and last few full-text members, each ascending."""

    size: int
    first: list[int]
    last: list[int]


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the state holds it, for attribution (which re-reads whole stories)."""

    id: int
    feed: str
    guid: str
    link: str
    title: str
    published: datetime
    credit: str | None
    truncated: bool
    body: str
    text: str
    dated: bool = True  # False: the feed gave no usable date; ``published`` is when it was first seen
    tokens: int = 0  # words of ``body`` when signed
    relation: str = ""  # as the last attribution left it ("original" until attributed)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """What identity matching needs of a stored entry of one feed (text/identity.py).

    ``link_key``, ``content_hash`` and ``text_hash`` are empty for rows written before they were stored.
    """

    id: int
    entry_key: str
    link: str
    link_key: str
    title: str
    content_hash: str
    story_id: str
    text_hash: str = ""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A stored entry as ``rebuild`` replays it: what dedup and attribution read, and the stored
    decision (story, relation, match) that the replay's is compared with. ``body`` is the text
    detection compared (the article page's, for a teaser whose page was fetched)."""

    id: int
    feed: str
    entry_key: str
    guid: str
    link: str
    title: str
    published: datetime
    dated: bool
    first_seen: datetime
    credit: str | None
    truncated: bool
    body: str
    content_hash: str
    story_id: str
    relation: str
    similarity: float
    match: Match | None


OverrideKind = Literal["split", "merge", "pin"]


@dataclass(frozen=True, slots=True)
class Override:
    """An editor's correction, kept in the state and by ``rebuild`` (``syndedup story ...``).

    split: ``article_id`` is a story of its own (joins none, none joins it); merge: ``article_id``
    and ``other_id`` are one story; pin: ``article_id`` is its story's original and its feed the
    credit. ``other_id`` is 0 except for merge.
    """

    kind: OverrideKind
    article_id: int
    other_id: int
    created: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A story member as the outputs show it."""

    article_id: int
    feed: str
    link: str
    guid: str
    title: str
    published: datetime
    relation: Relation
    similarity: float


@dataclass(frozen=True, slots=True)
class Story:
    """One item of the output feed: a canonical article with its republished copies and teasers."""

    id: str
    canonical: Member
    credited_source: str | None
    title: str
    text: str
    updated: datetime
    members: tuple[Member, ...]


@dataclass(slots=True)
class FetchResult:
    """What fetching and parsing one feed gave: its articles, or a clear error. Never raises."""

    feed: str
    url: str
    articles: list[Article] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    feed_title: str | None = None
    feed_link: str | None = None
    # Feed health (issue 4): why the feed was not fetched this run (dead, backing off), the last
    # HTTP status, where a 301/308 chain led (fetched from there next time), a 410 Gone, and the
    # earliest time the next fetch is allowed after a failure (backoff or Retry-After).
    skipped: str | None = None
    status: int | None = None
    permanent_url: str | None = None
    dead: bool = False
    next_fetch_after: datetime | None = None
    # xxh3-128 of the fetched bytes; equal to the last stored one -> the feed was not parsed again.
    body_digest: str | None = None
    # No connection could be made (name resolution, refused, unreachable, connect timeout).
    connect_failed: bool = False
    # The failure is the host's, not the feed's (every remote feed failed to connect in this run,
    # ``health.network_down``): recorded, but neither counted nor backed off.
    host_failure: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class RunReport:
    """Counts of one run, for the log summary and the exit code."""

    feeds_ok: int = 0
    feeds_failed: int = 0
    entries_seen: int = 0
    entries_new: int = 0
    entries_known: int = 0
    entries_updated: int = 0  # stored entries whose title, link or text changed (updated in place)
    entries_unsigned: int = 0
    joined_story: int = 0
    new_stories: int = 0
    stories_total: int = 0
    items_written: int = 0
    failures: list[str] = field(default_factory=list)
    feeds_skipped: int = 0
    feeds_not_modified: int = 0
    entries_too_old: int = 0  # new entries older than [state] retention_days, not stored
    stories_pruned: int = 0  # stories deleted by [state] retention_days
    feeds_total: int = 0  # feeds this run was to read (its shard's, or all configured)
    # Feeds not fetched this run (backing off, or dead after a 410): name -> allowed again (None: dead).
    skipped_feeds: dict[str, datetime | None] = field(default_factory=dict)
    renamed_feeds: list[tuple[str, str]] = field(default_factory=list)  # (old, new), matched by URL
    # Every remote feed fetched in this run failed to connect: the host's network looked down.
    network_down: bool = False
    removed_feeds: list[str] = field(default_factory=list)  # left out of the outputs
    outputs_written: list[str] = field(default_factory=list)  # file names rewritten by emit
    outputs_unchanged: list[str] = field(default_factory=list)  # already held the same bytes
    # Wall-clock seconds per stage (fetch_parse, record, normalize, boilerplate, signature, dedup,
    # attribute, commit, emit), for bench/throughput.py and --verbose; never asserted on.
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's row of the ``feeds`` table, as ingest needs it (all None/0 for a feed never fetched).

    ``url`` is the config URL the row belongs to: when the config changes a feed's URL, everything
    learned about the old URL (validators, redirect, dead, backoff) is ignored.
    """

    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None
    dead: bool = False
    consecutive_failures: int = 0
    next_fetch_after: datetime | None = None
    last_error: str | None = None

    def for_url(self, url: str) -> FeedHealth:
        """This record if it belongs to ``url``, else a fresh one (the config URL changed)."""
        return self if self.url == url else FeedHealth(url=url)
