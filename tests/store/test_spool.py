"""The run's spool: an entry's heavy fields written to an anonymous temporary file and read back
equal, every field, None and empty ones included; the file has no name and is gone once closed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import DedupConfig
from pipeline.errors import StateError
from pipeline.models import Article
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store.spool import PAYLOAD, Spool, pack_payload, unpack_payload
from pipeline.text.article import normalize_article
from tests.open_files import open_files_in

WHEN = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _article(key: str, html: str) -> Article:
    return Article("Wire", key, key, f"http://example.org/{key}", key.title(), WHEN, html)


def _prepared(key: str) -> Article:
    """An entry as a parse worker sends it back: normalized, prepared (signature, keys, packed texts)."""
    paragraphs = [" ".join(f"{key}{n}w{i}" for i in range(40)) + "." for n in range(4)]
    article = _article(
        key, "".join(f"<p>{p}</p>" for p in [*paragraphs, "Share this story on social media now."])
    )
    normalize_article(article)
    article.raw_html = ""
    Fingerprinter(DedupConfig()).prepare([article])
    return article


def _payload(article: Article) -> dict[str, object]:
    return {name: getattr(article, name) for name in PAYLOAD}


def _assert_same_payload(got: Article, want: dict[str, object]) -> None:
    assert got.raw_html == want["raw_html"] and got.text == want["text"] and got.body == want["body"]
    assert got.tokens == want["tokens"]
    shingles, expected = got.shingles, want["shingles"]
    if expected is None:
        assert shingles is None
    else:
        assert shingles is not None
        for slot in ("count", "size", "second_lead", "head"):
            assert getattr(shingles, slot) == getattr(expected, slot)
        assert shingles.positions.dtype == expected.positions.dtype  # type: ignore[attr-defined]
        assert np.array_equal(shingles.positions, expected.positions)  # type: ignore[attr-defined]
        assert np.array_equal(shingles.unique, expected.unique)  # type: ignore[attr-defined]
    assert got.prepared == want["prepared"]


def test_every_heavy_field_comes_back_equal_and_the_light_ones_stay(tmp_path: Path) -> None:
    prepared = _prepared("full")
    assert prepared.prepared is not None and prepared.shingles is not None
    assert (
        prepared.prepared.signature and prepared.prepared.packed and prepared.prepared.edge_keys is not None
    )
    raw = _article("raw", "<p>Only <b>HTML</b> so far.</p>")  # not normalized: HTML, no text
    empty = _article("empty", "")  # every heavy field empty or None
    empty.tokens = ["left", "over"]
    articles = [prepared, raw, empty]
    before = [_payload(a) for a in articles]
    light = [(a.feed, a.entry_key, a.guid, a.link, a.title, a.published, a.normalized) for a in articles]

    with Spool(tmp_path) as spool:
        spool.offload(articles)
        assert spool.entries_offloaded == 3 and spool.size > 0
        for article in articles:
            assert article.spooled is not None
            assert (article.raw_html, article.text, article.body, article.tokens) == ("", "", "", [])
            assert article.shingles is None and article.prepared is None
        assert [
            (a.feed, a.entry_key, a.guid, a.link, a.title, a.published, a.normalized) for a in articles
        ] == light

        peeked = spool.peek(prepared)  # a copy with the fields; the entry stays spooled
        _assert_same_payload(peeked, before[0])
        assert prepared.spooled is not None and prepared.text == ""

        assert spool.restore(articles[1:]) == articles[1:]  # in any order, any subset
        assert spool.restore(articles) == [prepared]  # the others are in memory already
    for article, want in zip(articles, before, strict=True):
        assert article.spooled is None
        _assert_same_payload(article, want)
    # The worker's packed texts are reused only while ``prepared.text`` is ``text`` itself, and
    # boilerplate removal tests ``body`` against ``prepared.body``: both survive the round trip.
    assert prepared.prepared is not None
    assert prepared.prepared.text is prepared.text


def test_a_worker_s_packed_payload_is_spooled_as_it_is_and_comes_back_equal(tmp_path: Path) -> None:
    """A parse worker pickles the heavy fields (``pack_payload``); the run writes those very bytes to
    its spool (no second pickling), or unpacks them, and either way gets every field back."""
    spooled, kept = _prepared("spooled"), _prepared("kept")
    before = [_payload(spooled), _payload(kept)]
    for article in (spooled, kept):
        pack_payload(article)
        assert article.payload and article.text == "" and article.prepared is None
    payload = spooled.payload

    with Spool(tmp_path) as spool:
        _assert_same_payload(spool.peek(kept), before[1])  # a copy: the entry stays packed
        assert kept.payload is not None and kept.text == ""
        spool.offload([spooled])
        assert spooled.payload is None and spooled.spooled is not None
        assert spool.size == len(payload)  # the worker's bytes, written as they are
        assert spool.restore([spooled]) == [spooled]
    _assert_same_payload(spooled, before[0])
    unpack_payload(kept)
    assert kept.payload is None
    _assert_same_payload(kept, before[1])
    assert kept.prepared is not None and kept.prepared.text is kept.text  # one object, as before


def test_an_entry_restored_and_changed_is_written_again_as_changed(tmp_path: Path) -> None:
    article = _prepared("edited")
    with Spool(tmp_path) as spool:
        spool.offload([article])
        first = article.spooled
        spool.restore([article])
        article.body = "A shorter body."
        spool.offload([article])
        spool.offload([article])  # already out: nothing written twice
        assert article.spooled != first and spool.entries_offloaded == 2
        spool.restore([article])
    assert article.body == "A shorter body."


@pytest.mark.parametrize("again", [False, True])
def test_an_entry_restored_to_be_offloaded_again_keeps_its_place_only_while_unchanged(
    tmp_path: Path, again: bool
) -> None:
    same, edited = _prepared("kept"), _prepared("edited")
    with Spool(tmp_path) as spool:
        spool.offload([same, edited])
        places, size = (same.spooled, edited.spooled), spool.size
        spool.restore([same, edited], again=again)
        edited.body = "A shorter body."
        spool.offload([same, edited])
        assert (same.spooled == places[0]) is again  # not pickled nor written a second time
        assert edited.spooled != places[1]
        assert spool.size > size and spool.entries_offloaded == (3 if again else 4)
        spool.restore([same, edited])  # read back for a chunk: nothing remembered
        assert same.body and edited.body == "A shorter body." and not spool._restored
        spool.offload([same])  # then kept again: written anew
        assert same.spooled not in places
        assert spool.restore([same]) == [same] and same.prepared is not None


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_the_file_has_no_name_and_is_gone_once_closed(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.offload([_prepared("a"), _prepared("b")])
    assert list(tmp_path.iterdir()) == []  # nothing a crash could leave behind
    assert len(open_files_in(tmp_path)) == 1
    spool.close()
    assert open_files_in(tmp_path) == []
    spool.close()  # twice is fine


def test_an_unusable_directory_is_a_clear_state_error(tmp_path: Path) -> None:
    with (
        Spool(tmp_path / "missing") as spool,
        pytest.raises(StateError, match="cannot make the run's spool file"),
    ):
        spool.offload([_prepared("a")])


def test_a_spooled_entry_of_a_closed_spool_is_an_error_not_empty_text(tmp_path: Path) -> None:
    article = _prepared("a")
    spool = Spool(tmp_path)
    spool.offload([article])
    spool.close()
    with pytest.raises(StateError, match="closed spool"):
        spool.restore([article])
