"""Work done in parse workers (``Article.prepared``) gives what the run's own stages would give."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import DedupConfig
from pipeline.models import Article, Signature
from pipeline.stages.fingerprint import Fingerprinter, Preparer
from pipeline.store import run_index
from pipeline.store.sqlite import State, _unpack, _unpack_body, pack_texts, packed_texts
from pipeline.text.boilerplate import line_key, strip_boilerplate

FOOTER = "Bush Telegraph is delivered free by volunteers. Support country journalism: join today."
STORIES = [
    "Fire crews battled a blaze near the town of Bega for a third day on Sunday, as winds rose.\n"
    "Residents of two valleys were told to leave before the change arrives in the evening.",
    "Talks between the two delegations opened in Astana today with a ceasefire on the agenda.\n"
    "Officials said a first round would last three days and a second was planned for March.",
    "Markets fell again on Monday as investors weighed new figures on inflation and jobs.\n"
    "The index closed down two per cent, its lowest close since the autumn of last year.",
    "A short one.",
]


def _articles(footer: bool, glued: bool = False) -> list[Article]:
    """The stories, with the footer as a paragraph of its own or ``glued`` to the last one."""
    return [
        Article(
            "feed", f"k{n}", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "",
            body=f"{text}{' ' if glued else chr(10)}{FOOTER}" if footer else text, normalized=True,
        )
        for n, text in enumerate(STORIES)
    ]  # fmt: skip


def _counts():  # type: ignore[no-untyped-def]
    stored: dict[int, int] = {}

    def counts(feed: str, new: dict[int, int]) -> dict[int, int]:
        for key, n in new.items():
            stored[key] = stored.get(key, 0) + n
        return {key: stored[key] for key in new}

    return counts


def _signed(articles: list[Article]) -> list[tuple[str, Signature | None, int]]:
    return [(a.body, a.signature, a.token_count) for a in articles]


def test_prepared_entries_get_the_bodies_and_signatures_of_unprepared_ones() -> None:
    dedup = DedupConfig(min_tokens=5)
    # with the footer, boilerplate changes every body (the worker foresees it)
    for footer, glued in ((False, False), (True, False), (True, True)):
        plain, prepared = _articles(footer, glued), _articles(footer, glued)
        preparer = pickle.loads(pickle.dumps(Preparer(dedup)))  # as a worker gets it
        preparer(prepared)
        prepared = pickle.loads(pickle.dumps(prepared))  # as the worker sends them back
        assert all(a.prepared is not None and not a.tokens for a in prepared)
        for articles in (plain, prepared):
            strip_boilerplate(articles, 3, _counts())
            Fingerprinter(dedup).sign_many(articles)
        assert _signed(prepared) == _signed(plain)
        # what the stores write: the worker's blobs where they fit, the same bytes either way
        assert [packed_texts(a) for a in prepared] == [pack_texts(a.text, a.body) for a in plain]
        assert prepared[3].signature is None  # too short to sign, either way
        assert all(FOOTER not in a.body for a in prepared)


def unpack_texts(text_blob: bytes, body_blob: bytes) -> tuple[str, str]:
    return _unpack(text_blob), _unpack_body(body_blob, text_blob)


def _refuse_to_sign(fingerprinter: Fingerprinter) -> Fingerprinter:
    def sign(hash_sets: object) -> None:
        raise AssertionError("signed again in the run's process")

    fingerprinter._signer.sign = sign  # type: ignore[method-assign,assignment]
    return fingerprinter


def test_a_footer_repeated_in_the_feeds_new_entries_is_removed_before_the_worker_signs() -> None:
    dedup = DedupConfig(min_tokens=5)
    plain, prepared = _articles(True), _articles(True)
    Preparer(dedup)(prepared)
    assert all(a.prepared is not None and a.prepared.signed_body is not None for a in prepared[:3])
    assert all(FOOTER in a.body for a in prepared)  # the body itself waits for the boilerplate stage
    for articles in (plain, prepared):
        strip_boilerplate(articles, 3, _counts())
    _refuse_to_sign(Fingerprinter(dedup)).sign_many(prepared[:3])
    Fingerprinter(dedup).sign_many(plain)
    assert _signed(prepared[:3]) == _signed(plain[:3])


def test_a_wrong_guess_of_the_boilerplate_is_signed_again() -> None:
    dedup = DedupConfig(min_tokens=5)
    # The worker saw the footer in 3 new entries, but the run keeps only 2 of them (older than the
    # retention window, say): the footer stays, the worker's signature does not fit.
    plain, prepared = _articles(True)[:2], _articles(True)
    Preparer(dedup)(prepared)
    prepared = prepared[:2]
    for articles in (plain, prepared):
        strip_boilerplate(articles, 3, _counts())
        Fingerprinter(dedup).sign_many(articles)
    assert all(FOOTER in a.body for a in prepared)
    assert _signed(prepared) == _signed(plain)
    # Counts stored by earlier runs remove a footer only one of the new entries has.
    plain, prepared = _articles(False), _articles(False)
    for articles in (plain, prepared):
        articles[0].body += "\n" + FOOTER
    Preparer(dedup)(prepared)
    assert prepared[0].prepared is not None and prepared[0].prepared.signed_body is None
    for articles in (plain, prepared):
        counts = _counts()
        counts("feed", {line_key(FOOTER): 2})
        strip_boilerplate(articles, 3, counts)
        Fingerprinter(dedup).sign_many(articles)
    assert FOOTER not in prepared[0].body
    assert _signed(prepared) == _signed(plain)


def test_the_workers_compressed_texts_are_stored_only_while_they_fit() -> None:
    articles = _articles(True)
    for article in articles:
        article.text = article.body.replace("\n", "\n\n")
    Preparer(DedupConfig(min_tokens=5))(articles)
    articles = pickle.loads(pickle.dumps(articles))  # as the worker sends them back
    strip_boilerplate(articles, 3, _counts())  # the footer goes, as the worker foresaw
    first, second, third = articles[:3]
    assert first.prepared is not None and first.prepared.text is first.text  # kept by pickling
    second.text = second.text + " Corrected."  # full text, say
    third.body = third.body.split("\n")[0]  # boilerplate removal the worker did not foresee
    for article in (first, second, third):
        assert packed_texts(article) == pack_texts(article.text, article.body)
    reused = [a.prepared.packed for a in (first, third)]  # type: ignore[union-attr]
    assert all(a is b for a, b in zip(packed_texts(first), reused[0], strict=True))  # not compressed again
    assert packed_texts(third)[0] is reused[1][0]  # type: ignore[index]
    assert unpack_texts(*packed_texts(third)) == (third.text, third.body)


def _bucket_state(tmp_path: Path) -> tuple[State, Signature, int]:
    """A state that takes signatures of articles it does not store, a signature and its params id."""
    state = State(tmp_path / "state.sqlite")
    state.db.execute("PRAGMA foreign_keys=OFF")  # signatures of articles this test does not store
    signature = Signature(Fingerprinter(DedupConfig()).params, (1,) * 4, (2,) * 4)
    return state, signature, state.params_id(signature.params)


def _stored_keys(state: State) -> int:
    """Rows of the LSH index, every generation's (``store.lsh_index``)."""
    query = "SELECT (SELECT COUNT(*) FROM lsh_index) + (SELECT COUNT(*) FROM lsh_buckets)"
    return int(state.db.execute(query).fetchone()[0])


def test_lsh_keys_of_the_open_transaction_are_found_and_written_at_commit(tmp_path: Path) -> None:
    state, signature, params = _bucket_state(tmp_path)

    def stored() -> int:
        return _stored_keys(state)

    try:
        with state.transaction():
            state.add_signature(7, params, signature, [10, 11])
            state.add_signature(8, params, signature, [11, 12])
            assert state.bucket_neighbours([11, 12]) == {7: 1, 8: 2}
            state.add_signature(8, params, signature, [11, 13])  # signed again (updated in place)
            state.add_signature(9, params, signature, [11])
            assert state.bucket_neighbours([11, 12, 13]) == {7: 1, 8: 3, 9: 1}
            assert stored() == 0  # still in memory
        assert stored() == 6
        assert state.bucket_neighbours([11, 12, 13]) == {7: 1, 8: 3, 9: 1}
        assert state.bucket_neighbours([10, 12]) == {7: 1, 8: 1}
        try:
            with state.transaction():
                state.add_signature(10, params, signature, [10])
                raise RuntimeError("crash")
        except RuntimeError:
            pass
        assert state.bucket_neighbours([10]) == {7: 1}  # the rolled-back key is gone
    finally:
        state.close()


def test_a_run_past_its_memory_budget_writes_the_keys_and_still_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_index, "BUFFER_KEYS", 4)
    monkeypatch.setattr(run_index, "MEMORY_KEYS", 30)
    state, signature, params = _bucket_state(tmp_path)

    def stored() -> int:
        return _stored_keys(state)

    try:
        with state.transaction():
            state.add_signature(1, params, signature, range(100, 120))  # 20 keys: sealed, in memory
            assert stored() == 0
            state.add_signature(2, params, signature, range(110, 125))  # 35 held: written out
            assert stored() == 35
            state.add_signature(3, params, signature, [100, 124, 200])
            assert state.bucket_neighbours([100, 115, 124, 200]) == {1: 2, 2: 2, 3: 3}
        assert stored() == 38
        assert state.bucket_neighbours([100, 115, 124, 200]) == {1: 2, 2: 2, 3: 3}
        with pytest.raises(RuntimeError), state.transaction():
            state.add_signature(4, params, signature, range(300, 340))  # past the budget, then undone
            raise RuntimeError("crash")
        assert stored() == 38 and state.bucket_neighbours([300]) == {}
    finally:
        state.close()


def test_only_keys_a_generations_filter_may_hold_are_queried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each generation's filter spares SQLite the keys it never held: in the run that wrote them
    (a spill) and in every later one."""
    monkeypatch.setattr(run_index, "BUFFER_KEYS", 4)
    monkeypatch.setattr(run_index, "MEMORY_KEYS", 30)
    state, signature, params = _bucket_state(tmp_path)
    asked: list[str] = []
    state.db.set_trace_callback(asked.append)
    unseen = list(range(10_000, 11_000))

    def keys_asked(buckets: list[int]) -> int:
        asked.clear()
        state.bucket_neighbours(buckets)
        return sum(sql.split(" IN (")[1].count(",") + 1 for sql in asked if "bucket IN (" in sql)

    try:
        with state.transaction():
            state.add_signature(1, params, signature, range(100, 140))  # 40 keys: written out
            assert _stored_keys(state) == 40
            assert keys_asked(unseen) < 20  # ~1% of absent keys pass a filter
            assert keys_asked(list(range(100, 140))) >= 40
            assert state.bucket_neighbours([*unseen, 105]) == {1: 1}
        with state.transaction():
            assert keys_asked(unseen) < 20
            assert state.bucket_neighbours([*unseen, 105]) == {1: 1}
    finally:
        state.close()
