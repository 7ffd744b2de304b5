"""Story-level matching, the partial relation and its guard, story merges (both backends), teasers
that never bridge, relations computed against the original (issue 13)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import DedupConfig
from pipeline.models import Article
from pipeline.stages.attribute import attribute
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import Store
from pipeline.store.sqlite import State
from pipeline.text.credits import AliasTable
from pipeline.text.pair import measure_texts
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import compare, shingles_lead_containment
from pipeline.text.tokens import second_lead_start, tokenize

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
            # one bucket a stored article: each ranks alike, and no bucket is crowded
            state.bucket_hits = lambda buckets: (  # type: ignore[method-assign]
                np.arange(-1, -1 - len(seen), -1, dtype=np.int64),
                np.array(seen, np.int64),
            )
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


STANDFIRST = paragraph(40)  # a dek above story 1's body: teasers often skip it


def test_the_second_lead_starts_after_a_standfirst() -> None:
    body = "\n".join([STANDFIRST, *P])
    assert second_lead_start(body) == 40
    assert second_lead_start("\n".join([paragraph(60), *P])) == 0  # a paragraph, not a standfirst
    assert second_lead_start(" ".join(P)) == 0  # one paragraph
    assert second_lead_start(STANDFIRST + "\n \n") == 0  # nothing after it


def test_a_teaser_that_skips_the_standfirst_joins_its_original(store: Store) -> None:
    original = "\n".join([STANDFIRST, *P])
    teaser = " ".join(P[0].split()[:20]) + "..."
    # The teaser's lead and the original's first 40 words (the standfirst) share no shingle: the
    # lead index alone cannot meet them, nor does the first lead verify it.
    first_lead = Shingles(tokenize(original)[: DEDUP.lead_tokens], DEDUP.shingle_size).unique
    shared = np.intersect1d(first_lead, Shingles(tokenize(teaser), DEDUP.shingle_size).unique).size
    assert shared == 0
    without = Shingles(tokenize(original), DEDUP.shingle_size)  # second_lead 0: no second lead
    assert shingles_lead_containment(Shingles(tokenize(teaser), 4), without) < DEDUP.teaser_containment
    verdict = measure_texts(teaser, original, DEDUP).verdict
    assert (verdict.relation, verdict.measure, verdict.score) == ("teaser", "lead_containment", 1.0)

    done, _ = run(store, {"origin": original, "teaser": teaser})  # real LSH, no every_candidate
    assert done["teaser"].story_id == done["origin"].story_id
    assert done["teaser"].match is not None and done["teaser"].match.relation == "teaser"
    assert done["origin"].signature is not None and len(done["origin"].signature.second_lead) == 128


def _dedup_one_by_one(
    state: Store, texts: dict[str, str], missed: dict[str, str]
) -> tuple[dict[str, Article], Deduplicator]:
    """Deduplicate ``texts`` in order; the LSH lookup of entry ``k`` misses entry ``missed[k]``
    (MinHash banding misses a true pair now and then: a teaser of 15 words against a 40-word lead)."""
    fingerprinter = Fingerprinter(DEDUP)
    params_id = state.params_id(fingerprinter.params)
    done: dict[str, Article] = {}
    with state.transaction():
        stage = Deduplicator(state, DEDUP, params_id, START)
        lookup = state.bucket_hits
        for n, (name, text) in enumerate(texts.items()):
            article = Article(name, name, name, f"http://x/{name}", name, START + timedelta(hours=n), "")
            article.body = text
            hidden = done[missed[name]].id if name in missed else None

            def hits(buckets: list[int], hidden: int | None = hidden) -> tuple[np.ndarray, np.ndarray]:
                keys, ids = lookup(buckets)
                return keys[ids != hidden], ids[ids != hidden]

            state.bucket_hits = hits  # type: ignore[method-assign]
            done[name] = next(iter(stage(fingerprinter([article]))))
        state.bucket_hits = lookup  # type: ignore[method-assign]
    return done, stage


def test_a_story_of_teasers_that_missed_their_original_is_absorbed_by_it(store: Store) -> None:
    original, teaser = " ".join(P), " ".join(P[0].split()[:30]) + "..."
    texts = {"origin": original, "teaser1": teaser, "teaser2": teaser + " Read more"}
    done, stage = _dedup_one_by_one(store, texts, missed={"teaser1": "origin"})
    origin = done["origin"].story_id
    assert done["teaser2"].story_id == origin
    # teaser2 is a copy of teaser1 (Jaccard 1.0) and a teaser of the original: the evidence
    # against the full text ranks first, and teaser1's story of teasers joins the original's.
    assert done["teaser2"].match is not None and done["teaser2"].match.relation == "teaser"
    assert stage.merges == 1
    assert {m.feed for m in store.story_members(origin)} == {"origin", "teaser1", "teaser2"}
    assert store.merged_stories()[done["teaser1"].story_id][:2] == (origin, done["teaser2"].id)


def test_a_story_of_short_texts_not_all_in_the_lead_stays_apart(store: Store) -> None:
    original, teaser = " ".join(P), " ".join(P[0].split()[:30]) + "..."
    other = " ".join([*P[0].split()[:30], *Q[1].split()[:24]])  # the same opening, then its own words
    assert compare(tokenize(other), tokenize(teaser), DEDUP).relation == "copy"
    assert compare(tokenize(other), tokenize(original), DEDUP).relation == "different"
    texts = {"origin": original, "teaser1": teaser, "other": other, "teaser2": teaser}
    done, stage = _dedup_one_by_one(store, texts, missed={"teaser1": "origin", "other": "origin"})
    assert done["other"].story_id == done["teaser1"].story_id  # a story of two short texts
    assert done["teaser2"].story_id == done["origin"].story_id
    assert stage.merges == 0  # "other" is in no lead of the original: its story stays apart
    assert done["teaser1"].story_id != done["origin"].story_id


def test_a_one_sentence_teaser_meets_its_original_through_the_short_lead(store: Store) -> None:
    original = " ".join(P)
    teaser = " ".join(P[0].split()[:11]) + "..."  # 8 shingles; the 40-word lead has 37
    lead = Shingles(tokenize(original)[: DEDUP.lead_tokens], DEDUP.shingle_size).unique
    short = Shingles(tokenize(teaser), DEDUP.shingle_size).unique
    assert np.intersect1d(lead, short).size / np.union1d(lead, short).size < 0.25  # below the bands
    done, stage = run(store, {"origin": original, "teaser": teaser})  # real LSH
    assert done["teaser"].story_id == done["origin"].story_id
    signature = done["origin"].signature
    assert signature is not None and len(signature.short_lead) == DEDUP.num_perm
    # the short lead's bands are among the origin's stored keys: the teaser's lead meets them
    assert set(stage.buckets(signature)) & set(stage.buckets(done["teaser"].signature or signature))


def test_stored_signatures_keep_every_lead(store: Store) -> None:
    original = "\n".join([STANDFIRST, *P])
    done, _ = run(store, {"origin": original})
    signature = done["origin"].signature
    assert signature is not None and signature.second_lead and signature.short_lead
    stored = store.signatures_for(signature.params)[done["origin"].id or 0]
    assert stored == (signature.full, signature.lead, signature.second_lead, signature.short_lead)


def test_attribution_reads_stored_bodies_of_members_without_shingles(store: Store) -> None:
    # Members whose shingles the run no longer holds are read back from the stored bodies
    # (``story_members`` no longer decompresses them): the relations are the same either way.
    texts = {"first": " ".join(P), "copy": " ".join(P[:5]), "teaser": " ".join(P[:1]) + " ..."}
    done, _ = run(store, texts)
    story = done["first"].story_id
    assert story is not None and {a.story_id for a in done.values()} == {story}
    with_shingles = store.members_for_output()[story]
    with store.transaction():
        attribute(store, {story}, DEDUP, AliasTable({}, list(texts)))  # no shingles known
    assert store.members_for_output()[story] == with_shingles
    assert {row[6] for row in with_shingles} == {"original", "copy", "teaser"}
    light = store.story_members(story, texts=False)
    full = store.story_members(story)
    assert [replace(m, body="", text="") for m in full] == light
    assert all(m.body for m in full)
