"""Scale features: unchanged feeds are not parsed again; stage timings are reported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import FeedConfig, FetchConfig, load_config
from pipeline.models import FeedHealth
from pipeline.runner import run
from pipeline.stages.ingest import ingest
from pipeline.store.sqlite import State

NOW = datetime(2024, 1, 1, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t/</link>
<item><title>One</title><link>http://t/1</link><guid>g1</guid><description>First entry text.</description>
</item></channel></rss>"""


def _no_validators(_: str) -> FeedHealth:
    return FeedHealth()


def test_feed_with_the_last_parsed_bytes_is_not_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(RSS)
    feed = FeedConfig("F", str(path))
    first = next(iter(ingest([feed], FetchConfig(), _no_validators, NOW, lambda _name: None)))
    assert first.ok and len(first.articles) == 1 and first.body_digest
    same = next(iter(ingest([feed], FetchConfig(), _no_validators, NOW, {"F": first.body_digest}.get)))
    assert same.ok and same.not_modified and same.articles == []
    path.write_bytes(RSS.replace(b"First entry", b"Changed entry"))
    changed = next(iter(ingest([feed], FetchConfig(), _no_validators, NOW, {"F": first.body_digest}.get)))
    assert not changed.not_modified and len(changed.articles) == 1


def test_rerun_skips_unchanged_feeds_and_reports_stage_times(demo: Path) -> None:
    config = load_config(demo / "config.toml")
    first = run(config)
    assert first.entries_new > 0
    assert {"fetch_parse", "normalize", "signature", "dedup", "attribute", "emit"} <= set(first.stage_seconds)
    second = run(config)
    assert second.entries_seen == 0 and second.entries_new == 0 and second.feeds_ok == first.feeds_ok
    feed = config.feeds[0]
    Path(feed.url).write_bytes(Path(feed.url).read_bytes() + b"\n")  # same entries, other bytes
    third = run(config)
    assert third.entries_seen > 0 and third.entries_new == 0
    state = State(config.state.path)
    try:
        assert state.feed_digest(feed.name) is not None
    finally:
        state.close()


def test_body_is_stored_against_its_text_and_old_bodies_still_read() -> None:
    import zlib

    from pipeline.store.sqlite import _pack, _pack_body, _unpack_body

    text = "ASTANA — Talks resumed on Monday.\n\nThe army took the last districts.\n\nSource: VOA"
    body = "Talks resumed on Monday.\nThe army took the last districts."
    packed = _pack_body(body, text)
    assert len(packed) < len(zlib.compress(body.encode(), 6))
    assert _unpack_body(packed, _pack(text)) == body
    assert _unpack_body(_pack(body), _pack(text)) == body  # a body stored alone (older states)
    assert _unpack_body(_pack_body("", ""), _pack("")) == ""


def test_index_keys_are_folded_only_in_new_states(tmp_path: Path) -> None:
    import sqlite3

    from pipeline.store.sqlite import BUCKET_MASK

    state = State(tmp_path / "new.sqlite")
    assert state._bucket_mask == BUCKET_MASK
    state.close()
    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "CREATE TABLE lsh_buckets (bucket INTEGER NOT NULL, article_id INTEGER NOT NULL,"
        " PRIMARY KEY (bucket, article_id)) WITHOUT ROWID;"
        "INSERT INTO lsh_buckets VALUES (9223372036854775000, 1);"
    )
    old.commit()
    old.close()
    state = State(tmp_path / "old.sqlite")
    assert state._bucket_mask == (1 << 63) - 1
    assert state.bucket_neighbours([9223372036854775000]) == {1: 1}
    state.close()


def test_bucket_keys_are_the_salted_band_hashes(tmp_path: Path) -> None:
    import numpy as np
    import xxhash

    from pipeline.config import DedupConfig
    from pipeline.models import Signature
    from pipeline.stages.dedup import Deduplicator
    from pipeline.stages.fingerprint import Fingerprinter

    dedup = DedupConfig()
    state = State(tmp_path / "s.sqlite")
    try:
        deduplicator = Deduplicator(state, dedup, 7, NOW)
        rng = np.random.default_rng(3)
        full, lead = (tuple(rng.integers(0, 2**32, 128, dtype=np.uint64).tolist()) for _ in range(2))
        keys = deduplicator.buckets(Signature(Fingerprinter(dedup).params, full, lead))
        expected = []
        for kind, values in ((0, full), (1, lead)):
            array = np.array(values, dtype=np.uint32)
            for band in range(deduplicator.bands):
                chunk = array[band * deduplicator.rows : (band + 1) * deduplicator.rows].tobytes()
                expected.append(xxhash.xxh64_intdigest(f"7:{kind}:{band}:".encode() + chunk) >> 1)
        assert keys == expected
    finally:
        state.close()


def test_a_signature_read_from_its_stored_bytes_has_the_same_bucket_keys_and_bytes(tmp_path: Path) -> None:
    """A parse worker's signature keeps its stored bytes (``Signature.raw``): the bucket keys hashed
    from them and the bytes stored must be those of the same signature built from its values."""
    import numpy as np

    from pipeline.config import DedupConfig
    from pipeline.models import Signature, split_signature
    from pipeline.stages.dedup import Deduplicator
    from pipeline.stages.fingerprint import Fingerprinter

    dedup = DedupConfig()
    params = Fingerprinter(dedup).params
    state = State(tmp_path / "s.sqlite")
    try:
        deduplicator = Deduplicator(state, dedup, 7, NOW)
        rng = np.random.default_rng(5)
        full, lead, short, second = (
            tuple(rng.integers(0, 2**32, dedup.num_perm, dtype=np.uint64).tolist()) for _ in range(4)
        )
        for values in ((full, lead, (), ()), (full, lead, (), short), (full, lead, second, short)):
            plain = Signature(params, *values)
            packed = plain.stored_bytes()
            assert split_signature(packed, dedup.num_perm) == values
            read = Signature(params, *split_signature(packed, dedup.num_perm), raw=packed)
            assert read == plain and read.stored_bytes() == packed
            assert deduplicator.buckets(read) == deduplicator.buckets(plain)
            assert len(deduplicator.buckets(read)) == deduplicator.bands * (
                2 + bool(values[2]) + bool(values[3])
            )
    finally:
        state.close()
