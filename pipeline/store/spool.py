"""The heavy fields of a run's new entries, kept in an anonymous temporary file until needed.

A first run over many feeds holds every new entry from the moment its feed is parsed until its
publication-ordered chunk is signed and deduplicated; in memory, each one's texts, shingles and
prepared signature cost ~18 KB (1.8 GB at 100k entries). ``Spool.offload`` writes those fields
(``PAYLOAD``) to a file and leaves the light ones (keys, title, link, dates) on the entry;
``Spool.restore`` reads them back just before a stage needs them.

The file is a ``tempfile.TemporaryFile``: it has no name (unlinked at once, or O_TMPFILE), so the
kernel frees it when the run ends in any way, a crash or a kill -9 included, and nothing of it is
ever part of the state. It lives beside the state file by default: /tmp may be a tmpfs, whose
pages are memory again.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import IO

from pipeline.errors import StateError
from pipeline.models import Article

# The fields written out, in this order. ``text`` and ``prepared.text`` (the same string) and
# ``body`` and ``prepared.body`` are pickled together, so that they are one object again when
# read back (``store.sqlite.packed_texts`` and boilerplate removal test that identity).
PAYLOAD = ("raw_html", "text", "body", "tokens", "shingles", "prepared")
# ``Article.spooled`` is offset << _LENGTH_BITS | length: one int (~32 bytes) instead of a tuple of
# two (~112 bytes), held by every spooled entry. A payload is far below 4 GiB (a feed's size limit).
_LENGTH_BITS = 32
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1


def pack_payload(article: Article) -> None:
    """Pickle the article's ``PAYLOAD`` fields into ``Article.payload`` and clear them: a parse
    worker does it, so that the run's process writes the bytes to its spool without unpickling
    them from the worker and pickling them again (~0.2 ms an entry of the run's one core)."""
    article.payload = _pickled(article)
    _empty(article)


def unpack_payload(article: Article) -> None:
    """Put back the fields ``pack_payload`` pickled (nothing when there are none)."""
    if article.payload is not None:
        _set(article, pickle.loads(article.payload))
        article.payload = None


def _pickled(article: Article) -> bytes:
    return pickle.dumps(tuple(getattr(article, name) for name in PAYLOAD), pickle.HIGHEST_PROTOCOL)


def _empty(article: Article) -> None:
    article.raw_html, article.text, article.body = "", "", ""
    article.tokens, article.shingles, article.prepared = [], None, None


def _set(article: Article, values: tuple[object, ...]) -> None:
    for name, value in zip(PAYLOAD, values, strict=True):
        setattr(article, name, value)


class Spool:
    """Entries' heavy fields (``PAYLOAD``) in one anonymous temporary file, by (offset, length).

    ``Article.spooled`` is where an entry's fields lie while they are out of memory (None: they are
    on the entry). Not thread-safe: the run's one thread uses it. Close it (or use ``with``).
    """

    def __init__(self, directory: Path | None = None) -> None:
        """``directory``: where the file is made (None: the system's temporary directory)."""
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._end = 0  # bytes written so far: the next payload's offset
        # id(article) -> (its place, the fields read back) for entries restored and not yet offloaded
        # again: one offloaded with the very same field objects (most of a feed after boilerplate
        # removal) takes its old place back instead of being pickled and written again.
        self._restored: dict[int, tuple[int, tuple[object, ...]]] = {}
        self.entries_offloaded = 0  # payloads written, counting an entry written again after a restore

    def offload(self, articles: list[Article]) -> None:
        """Write the heavy fields of each article that holds them and clear them on the article.

        Raises StateError when the file cannot be made or written (a full disk, say)."""
        blobs: list[bytes] = []
        places: list[tuple[Article, int, int]] = []  # (entry, offset, length)
        offset = self._end
        unchanged: list[tuple[Article, int]] = []
        for article in articles:
            if article.spooled is not None:
                continue  # already out of memory
            earlier = self._restored.pop(id(article), None)
            if earlier is not None and all(
                getattr(article, name) is value for name, value in zip(PAYLOAD, earlier[1], strict=True)
            ):
                unchanged.append((article, earlier[0]))
                continue
            if article.payload is not None:  # pickled by its parse worker: written as it is
                blob, article.payload = article.payload, None
            else:
                blob = _pickled(article)
            if len(blob) > _LENGTH_MASK:  # unreachable under [fetch] max_bytes; said rather than corrupt
                raise StateError(
                    f"feed {article.feed!r}: an entry of {len(blob)} bytes is too large to spool"
                )
            blobs.append(blob)
            places.append((article, offset, len(blob)))
            offset += len(blob)
        for article, place in unchanged:
            self._clear(article, place)
        if not blobs:
            return
        file = self._open()
        try:
            file.seek(self._end)
            file.write(b"".join(blobs))
            file.flush()  # restore reads with os.pread, past Python's buffer
        except OSError as exc:
            raise StateError(f"cannot write the run's spool file: {exc.strerror}") from None
        self._end = offset
        self.entries_offloaded += len(places)
        for article, start, length in places:
            self._clear(article, start << _LENGTH_BITS | length)

    @staticmethod
    def _clear(article: Article, place: int) -> None:
        article.spooled = place
        _empty(article)

    def restore(self, articles: list[Article], again: bool = False) -> list[Article]:
        """Read back the heavy fields of each spooled article; return those restored (in order).

        ``again``: the caller offloads them again soon; those whose fields are then the very objects
        read back keep their place in the file (nothing pickled or written twice)."""
        restored: list[Article] = []
        for article in articles:
            if article.spooled is None:
                continue
            values = self._read(article.spooled)
            _set(article, values)
            if again:
                self._restored[id(article)] = (article.spooled, values)
            article.spooled = None
            restored.append(article)
        return restored

    def peek(self, article: Article) -> Article:
        """The article with its heavy fields, without changing it: itself when they are on it, else
        a copy (for a rare read, such as identity matching's text of a re-keyed entry)."""
        if article.spooled is None and article.payload is None:
            return article
        copy = Article(
            article.feed, article.entry_key, article.guid, article.link, article.title, article.published, ""
        )
        if article.spooled is not None:
            _set(copy, self._read(article.spooled))
        else:
            copy.payload = article.payload
            unpack_payload(copy)
        return copy

    def _read(self, place: int) -> tuple[object, ...]:
        if self._file is None:
            raise StateError("the run's spool file is gone: an entry refers to a closed spool")
        offset, length = place >> _LENGTH_BITS, place & _LENGTH_MASK
        try:
            data = os.pread(self._file.fileno(), length, offset)
        except OSError as exc:
            raise StateError(f"cannot read the run's spool file: {exc.strerror}") from None
        if len(data) != length:
            raise StateError(f"the run's spool file is short: {len(data)} of {length} bytes at {offset}")
        payload: tuple[object, ...] = pickle.loads(data)
        return payload

    def _open(self) -> IO[bytes]:
        if self._file is None:
            try:
                # closed by ``close``
                self._file = tempfile.TemporaryFile(prefix="syndedup-spool-", dir=self._directory)  # noqa: SIM115
            except OSError as exc:
                where = self._directory or tempfile.gettempdir()
                raise StateError(f"{where}: cannot make the run's spool file: {exc.strerror}") from None
        return self._file

    @property
    def size(self) -> int:
        """Bytes written to the file so far."""
        return self._end

    def close(self) -> None:
        """Close (and so delete) the file; entries still spooled can no longer be restored."""
        self._restored.clear()
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
