"""Story-level matching, the partial relation and its guard, story merges (both backends), teasers
that never bridge, relations computed against the original (issue 13)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import DedupConfig, IndexConfig
from pipeline.models import Article
from pipeline.stages.attribute import attribute
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import Store
from pipeline.store.sqlite import State
from pipeline.text.credits import AliasTable
from pipeline.text.similarity import compare
from pipeline.text.tokens import tokenize

DEDUP = DedupConfig()
START = datetime(2017, 3, 6, tzinfo=UTC)
_RNG = random.Random(13)
_VOCAB = [f"w{n}" for n in range(20_000)]


def paragraph(words: int = 40) -> str:
    """Made-up words: no shingle is shared by chance, so every overlap in a test is deliberate."""
    return " ".join(_RNG.choice(_VOCAB) for _ in range(words))


P = [paragraph() for _ in range(6)]  # story 1's original
Q = [paragraph() for _ in range(6)]  # story 2's original
X = [paragraph() for _ in range(3)]  # context another outlet added


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend."""
    state = State(tmp_path / "s.sqlite")
    if request.param == "sqlite":
        yield state
        state.close()
        return
    from pipeline.store.redis_store import RedisStore

    index = request.getfixturevalue("redis_index")
    redis_store = RedisStore(state, IndexConfig(backend="redis", url=index.url, prefix=index.prefix))
    yield redis_store
    redis_store.close()


def run(
    state: Store, texts: dict[str, str], dedup: DedupConfig = DEDUP, every_candidate: bool = False
) -> tuple[dict[str, Article], Deduplicator]:
    """Deduplicate ``texts`` (feed name -> body, one hour apart, in order) in one transaction and
    attribute the touched stories. ``every_candidate``: LSH returns every stored article, so that
    the test exercises verification and story scoring, not MinHash's banding luck."""
    fingerprinter = Fingerprinter(dedup)
    params_id = state.params_id(fingerprinter.params)
    articles = [
        Article(name, name, name, f"http://x/{name}", name, START + timedelta(hours=n), "", body=text)
        for n, (name, text) in enumerate(texts.items())
    ]
    with state.transaction():
        dedup_stage = Deduplicator(state, dedup, params_id, START)
        if every_candidate:
            seen: list[int] = []
            original = state.add_article

            def add_article(article: Article, now: datetime) -> int:
                seen.append(original(article, now))
                return seen[-1]

            state.add_article = add_article  # type: ignore[method-assign]
            state.bucket_neighbours = lambda buckets: {i: 1 for i in seen}  # type: ignore[method-assign]
        done = {a.feed: a for a in dedup_stage(fingerprinter(articles))}
        touched = {dedup_stage.resolve(s) for s in dedup_stage.touched}
        attribute(state, touched, dedup, AliasTable({}, list(texts)), dedup_stage.shingles)
    return done, dedup_stage


def test_a_part_of_the_article_anywhere_is_a_partial_reprint() -> None:
    original = " ".join(P)
    middle = " ".join([P[5], P[3], P[4]])  # cut to three paragraphs and re-ordered
    verdict = compare(tokenize(middle), tokenize(original), DEDUP)
    assert verdict.relation == "partial"
    assert verdict.measure == "overlap"
    assert verdict.score >= 0.95


def test_one_shared_quotation_is_not_a_partial_reprint() -> None:
    quotation = " ".join(P[2].split()[:30])  # a 30-word quotation inside an otherwise different text
    quoting = " ".join([Q[0], quotation])
    assert len(tokenize(quoting)) < 80
    verdict = compare(tokenize(quoting), tokenize(" ".join(P)), DEDUP)
    assert verdict.relation == "different"
    assert verdict.shared < DEDUP.partial_min_shared
    # Without the guard, the overlap alone (27 of 67 shingles) would not pass either; a shorter
    # frame around the same quotation would: the guard on shared shingles is what keeps it apart.
    short_frame = " ".join([" ".join(Q[0].split()[:8]), quotation])
    assert compare(tokenize(short_frame), tokenize(" ".join(P)), DEDUP).relation == "different"
    unguarded = replace(DEDUP, partial_min_shared=1)
    assert compare(tokenize(short_frame), tokenize(" ".join(P)), unguarded).relation == "partial"


def test_a_loose_reprint_joins_the_story_as_a_whole(tmp_path: Path) -> None:
    texts = {
        "origin": " ".join(P),
        "extended": " ".join([*P[:3], X[0]]),  # a partial reprint that added a context paragraph
        # Shares 40% with each member, 80% with the story: only the story as a whole matches it.
        "loose": " ".join([P[5], X[0], paragraph(20)]),
    }
    state = State(tmp_path / "s.sqlite")
    done, _ = run(state, texts, every_candidate=True)
    for name in ("origin", "extended"):
        assert compare(tokenize(texts["loose"]), tokenize(texts[name]), DEDUP).relation == "different"
    assert done["loose"].story_id == done["origin"].story_id == done["extended"].story_id
    match = done["loose"].match
    assert match is not None and match.measure == "story_containment" and match.relation == "partial"
    assert match.score >= DEDUP.story_containment
    state.close()

    off = State(tmp_path / "off.sqlite")
    done, _ = run(off, texts, replace(DEDUP, story_level=False), every_candidate=True)
    assert done["loose"].story_id != done["origin"].story_id
    off.close()


Y = [paragraph(60), paragraph()]  # a rewritten lead (a later version of story 1)
# A later version of story 1: new lead, its last three paragraphs kept; too loose to join P (~0.54
# of its shingles in P, below partial/story containment 0.6), but one text with it (above 0.42).
VERSION = [*Y, P[3], P[4], P[5]]
# A reprint of that version that kept more of the original: partial in both, on shared text.
FRAGMENT_BRIDGE = [Y[0], Y[1], P[2], P[3], P[4], P[5]]


def test_an_entry_strongly_in_two_stories_merges_them_into_the_older(store: Store) -> None:
    texts = {"first": " ".join(P), "second": " ".join(VERSION), "bridge": " ".join(FRAGMENT_BRIDGE)}
    done, dedup_stage = run(store, texts)
    first, second = done["first"].story_id, done["second"].story_id
    assert first != second  # before the bridge came, two stories
    assert dedup_stage.merges == 1
    assert done["bridge"].story_id == first
    assert {m.feed for m in store.story_members(first)} == {"first", "second", "bridge"}
    assert store.story_members(second) == []
    assert store.merged_stories()[second][:2] == (first, done["bridge"].id)
    stories = {s[0] for s in store.stories()}
    assert first in stories and second not in stories


def test_a_round_up_of_two_stories_joins_one_and_merges_nothing(store: Store) -> None:
    # Strongly (partial) in both, but through two disjoint parts of its text: extended reprints
    # carrying another story's paragraphs merged unrelated stories on the reprints corpus.
    texts = {"first": " ".join(P), "second": " ".join(Q), "bridge": " ".join([*P[:5], *Q[:5]])}
    done, dedup_stage = run(store, texts)
    for name in ("first", "second"):
        assert compare(tokenize(texts["bridge"]), tokenize(texts[name]), DEDUP).relation == "partial"
    assert dedup_stage.merges == 0
    assert done["first"].story_id != done["second"].story_id
    assert done["bridge"].story_id in (done["first"].story_id, done["second"].story_id)


def test_merging_is_a_switch(tmp_path: Path) -> None:
    texts = {"first": " ".join(P), "second": " ".join(VERSION), "bridge": " ".join(FRAGMENT_BRIDGE)}
    state = State(tmp_path / "s.sqlite")
    done, dedup_stage = run(state, texts, replace(DEDUP, merge_stories=False))
    assert dedup_stage.merges == 0
    assert done["first"].story_id != done["second"].story_id
    assert done["bridge"].story_id in (done["first"].story_id, done["second"].story_id)
    state.close()


def test_a_teaser_or_a_short_text_never_bridges_two_stories(store: Store) -> None:
    texts = {
        "first": " ".join(P),
        "second": " ".join(Q),
        # 70 words, half of each: a partial match of both, but too short to merge stories
        "short": " ".join([*P[0].split()[:35], *Q[0].split()[:35]]),
        "teaser": " ".join(P[0].split()[:30]) + "...",
    }
    done, dedup_stage = run(store, texts, every_candidate=isinstance(store, State))
    assert dedup_stage.merges == 0
    assert done["first"].story_id != done["second"].story_id
    assert store.merged_stories() == {}
    assert done["teaser"].story_id == done["first"].story_id


def test_relations_are_computed_against_the_original_not_a_go_between(tmp_path: Path) -> None:
    texts = {
        "origin": " ".join(P),
        "extended": " ".join([*P, *X]),  # a copy of the original with context added
        "later": " ".join([*P[:2], *X]),  # a copy of the extended one, mostly its context
    }
    state = State(tmp_path / "s.sqlite")
    done, _ = run(state, texts, every_candidate=True)
    assert done["later"].story_id == done["origin"].story_id
    assert done["later"].match is not None
    assert done["later"].match.article_id == done["extended"].id  # it joined through the go-between
    relations = {m.feed: (m.relation, m.similarity) for m in _members(state, done["origin"].story_id)}
    assert relations["origin"] == ("original", 1.0)
    assert relations["extended"][0] == "copy"
    relation, similarity = relations["later"]
    assert relation == "partial"  # against the original: 80 of its 200 words, not the copy's 0.55
    assert similarity == pytest.approx(0.4, abs=0.03)
    state.close()


def _members(state: State, story_id: str) -> list:
    from pipeline.store.view import StateView

    view = StateView(state.path)
    try:
        return view.members(story_id)
    finally:
        view.close()
