"""Read-only view of the shared Redis index for ``syndedup status`` and ``syndedup explain``.

The entries and stories of ``[index] backend = "redis"`` live in Redis (``redis_store.py`` says
where); feed health stays in each host's SQLite file, read through ``StateView`` when the host has
one. Redis keeps no index from an entry's link to its record, so finding an entry by link reads
every committed story's members (pipelined, ~1 s per 100k entries): fine for a command a person
types, and it keeps the run's writes unchanged.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
from redis.exceptions import RedisError

from pipeline.config import IndexConfig
from pipeline.errors import StateError
from pipeline.store.redis_store import connect
from pipeline.store.sqlite import BUCKET_MASK
from pipeline.store.view import EntryRow, FeedRow, MergeRow, StateView, StoryRow
from pipeline.text.uri import link_forms

_CHUNK = 1000  # keys per pipelined round trip
_FIELDS = (
    "feed",
    "guid",
    "link",
    "title",
    "published",
    "first_seen",
    "credit",
    "truncated",
    "tokens",
    "story",
    "relation",
    "similarity",
    "params",
    "match_article",
    "match_relation",
    "match_measure",
    "match_score",
    "match_threshold",
)


def _text(value: bytes | str | None) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _number(value: bytes | None, kind: type) -> int | float | None:
    return kind(value.decode()) if value else None


class RedisView:
    """``StateReader`` over the committed Redis index (what every host's runs committed)."""

    def __init__(self, local: StateView | None, index: IndexConfig) -> None:
        self.local = local
        self.url = index.url
        self.prefix = index.prefix
        self.redis = connect(index)

    def _key(self, *parts: str | int) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def close(self) -> None:
        self.redis.close()
        if self.local is not None:
            self.local.close()

    def __enter__(self) -> RedisView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def damage(self) -> str | None:
        """What is wrong with this host's state file (feed health), or None."""
        return self.local.damage() if self.local is not None else None

    def counts(self) -> tuple[int, int]:
        """(entries, stories) committed to Redis."""
        try:
            entries = sum(len(ids) for ids in self._member_ids().values())
            return entries, int(self.redis.scard(self._key("stories")))
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None

    def feeds(self) -> list[FeedRow]:
        """This host's feeds (health from its file), each with the entries Redis keeps for it."""
        rows = self.local.feeds() if self.local is not None else []
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.scard(self._key("k", row.name))
                stored = pipe.execute()
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None
        return [replace(row, stored=int(n)) for row, n in zip(rows, stored, strict=True)]

    def _member_ids(self) -> dict[str, list[int]]:
        """story id -> its committed member ids."""
        story_ids = sorted(_text(s) or "" for s in self.redis.smembers(self._key("stories")))
        out: dict[str, list[int]] = {}
        for start in range(0, len(story_ids), _CHUNK):
            chunk = story_ids[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for story_id in chunk:
                    pipe.smembers(self._key("sm", story_id))
                rows = pipe.execute()
            for story_id, ids in zip(chunk, rows, strict=True):
                out[story_id] = sorted(int(i) for i in ids)
        return out

    def _entries(self, ids: list[int]) -> list[EntryRow]:
        """The records of ``ids`` (missing ones left out), oldest first."""
        out: list[EntryRow] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            with self.redis.pipeline(transaction=False) as pipe:
                for article_id in chunk:
                    pipe.hmget(self._key("a", article_id), _FIELDS)
                rows = pipe.execute()
            out.extend(_entry(i, row) for i, row in zip(chunk, rows, strict=True) if row[0] is not None)
        out.sort(key=lambda e: (e.published, e.id))
        return out

    def entries_for(self, link: str) -> list[EntryRow]:
        """Entries whose link or GUID is ``link``, read by scanning every committed entry."""
        wanted = {form.encode("utf-8") for form in link_forms(link)}  # its URI or IRI form too
        try:
            ids = sorted(i for members in self._member_ids().values() for i in members)
            found: list[int] = []
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                with self.redis.pipeline(transaction=False) as pipe:
                    for article_id in chunk:
                        pipe.hmget(self._key("a", article_id), ("link", "guid"))
                    rows = pipe.execute()
                found += [i for i, row in zip(chunk, rows, strict=True) if wanted.intersection(row)]
            return self._entries(found)
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None

    def entry(self, article_id: int) -> EntryRow | None:
        found = self._entries([article_id])
        return found[0] if found else None

    def members(self, story_id: str) -> list[EntryRow]:
        """A story's committed members, oldest first."""
        ids = sorted(int(i) for i in self.redis.smembers(self._key("sm", story_id)))
        return self._entries(ids)

    def story(self, story_id: str) -> StoryRow | None:
        if not self.redis.sismember(self._key("stories"), story_id):
            return None
        canonical, credited, updated = self.redis.hmget(
            self._key("s", story_id), ("canonical", "credited", "updated")
        )
        return StoryRow(
            story_id, int(canonical) if canonical else None, _text(credited) or None, _text(updated)
        )

    def bodies(self, ids: list[int]) -> dict[int, str]:
        """id -> the text detection compared (missing ids left out)."""
        from pipeline.store.sqlite import _unpack_body

        out: dict[int, str] = {}
        with self.redis.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.hmget(self._key("a", article_id), ("body", "text"))
            rows = pipe.execute()
        for article_id, (body, text) in zip(ids, rows, strict=True):
            if body is not None and text is not None:
                out[article_id] = _unpack_body(body, text)
        return out

    def neighbours(self, entry: EntryRow, limit: int) -> list[int]:
        """Ids of up to ``limit`` entries of other stories, nearest in publication date first."""
        from pipeline.store.sqlite import read_iso

        mine = read_iso(entry.published, "entry")
        if mine is None:
            return []
        dated = []
        for story_id, ids in self._member_ids().items():
            if story_id == entry.story_id:
                continue
            with self.redis.pipeline(transaction=False) as pipe:
                for article_id in ids:
                    pipe.hget(self._key("a", article_id), "published")
                rows = pipe.execute()
            for article_id, published in zip(ids, rows, strict=True):
                moment = read_iso(_text(published), "entry") if published else None
                if moment is not None:
                    dated.append((abs((moment - mine).total_seconds()), article_id))
        return [article_id for _, article_id in sorted(dated)[:limit]]

    def overrides(self) -> list[tuple[str, int, int, str]]:
        """(kind, entry id, other entry id or 0, created) of every editorial override."""
        out = []
        for field, created in self.redis.hgetall(self._key("ov")).items():
            kind, article_id, other_id = (_text(field) or "").split(":")
            out.append((kind, int(article_id), int(other_id), _text(created) or ""))
        return sorted(out, key=lambda o: o[3])

    def merge_of(self, story_id: str) -> MergeRow | None:
        """The tombstone of story ``story_id`` (hash ``merged``: JSON [into, bridge, when]), or None."""
        try:
            value = self.redis.hget(self._key("merged"), story_id)
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None
        return _merge(story_id, value) if value is not None else None

    def merged_stories(self, into: str | None = None) -> list[MergeRow]:
        """Every tombstone, or those of the stories absorbed into ``into``; oldest merge first."""
        try:
            stored = self.redis.hgetall(self._key("merged"))
        except RedisError as exc:
            raise StateError(f"{self.url}: cannot read the index: {exc}") from None
        rows = [_merge(_text(k) or "", v) for k, v in stored.items()]
        rows = [row for row in rows if into is None or row.into == into]
        return sorted(rows, key=lambda row: (row.merged_at, row.absorbed))

    def signature(self, article_id: int) -> tuple[int, str, bytes] | None:
        """As ``StateView.signature`` (fields ``params`` and ``sig`` of the entry's record)."""
        params_id, sig = self.redis.hmget(self._key("a", article_id), ("params", "sig"))
        if params_id is None or sig is None:
            return None
        texts = {int(v): _text(k) or "" for k, v in self.redis.hgetall(self._key("params")).items()}
        return int(params_id), texts.get(int(params_id), ""), sig if isinstance(sig, bytes) else sig.encode()

    def bucket_members(self, keys: list[int]) -> set[int]:
        """As ``StateView.bucket_members`` (hashes ``b:<key >> 32>`` of packed uint32 ids)."""
        wanted = sorted({key & BUCKET_MASK for key in keys})
        with self.redis.pipeline(transaction=False) as pipe:
            for key in wanted:
                pipe.hget(self._key("b", key >> 32), key & 0xFFFFFFFF)
            packed = pipe.execute()
        return {int(i) for blob in packed if blob for i in np.frombuffer(blob, dtype="<u4")}


def _merge(story_id: str, value: bytes | str) -> MergeRow:
    """A tombstone as ``RedisStore.merge_story`` writes it."""
    into, bridge, when, *via = json.loads(value)
    return MergeRow(story_id, into, None if bridge is None else int(bridge), when, via[0] if via else None)


def _entry(article_id: int, row: list[bytes | None]) -> EntryRow:
    text = [_text(value) for value in row]
    return EntryRow(
        id=article_id,
        feed=text[0] or "",
        guid=text[1] or "",
        link=text[2] or "",
        title=text[3] or "",
        published=text[4] or "",
        first_seen=text[5] or "",
        credit=text[6],
        truncated=row[7] == b"1",
        tokens=int(_number(row[8], int) or 0),
        story_id=text[9] or "",
        relation=text[10] or "original",
        similarity=float(_number(row[11], float) or 0.0),
        signed=row[12] is not None,
        match_article=_number(row[13], int),  # type: ignore[arg-type]
        match_relation=text[14],
        match_measure=text[15],
        match_score=_number(row[16], float),
        match_threshold=_number(row[17], float),
    )
