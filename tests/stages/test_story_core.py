"""Stories judged by what their members share (issue 25): the bounded representative, merges gated on
cores, blocked merges looked at again as a story grows, bounded work per entry, incremental
attribution, copies within one feed, short texts with typos."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from pipeline.config import DedupConfig
from pipeline.models import Article
from pipeline.stages.attribute import attribute
from pipeline.stages.dedup import Deduplicator, recheck_point
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store import Store
from pipeline.store.sqlite import State
from pipeline.text.boilerplate import strip_boilerplate
from pipeline.text.credits import AliasTable
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import compare
from pipeline.text.story import Representative, one_text, overlap, representative
from pipeline.text.tokens import tokenize
from tests.stages.test_stories import DEDUP, paragraph, run

START = datetime(2017, 3, 6, tzinfo=UTC)


def _unique(text: str) -> np.ndarray:
    return Shingles(tokenize(text), DEDUP.shingle_size).unique


# A wire story in two versions: the abridged one has its own lead; the full one an edited first
# paragraph, the same middle and three paragraphs more. Every reprint carries its own site's
# furniture (two paragraphs no other member has).
W = [paragraph() for _ in range(8)]
W1_EDITED = " ".join([*W[1].split()[:20], paragraph(20)])
ABRIDGED = [paragraph(), W[1], W[2], W[3]]
FULL = [paragraph(), W1_EDITED, W[2], W[3], W[4], W[5], W[6]]


def _reprint(paragraphs: list[str]) -> str:
    return "\n".join([*paragraphs, paragraph(), paragraph()])


def test_a_storys_core_is_what_two_or_more_sampled_members_hold_and_its_founder() -> None:
    founder = _unique("\n".join(ABRIDGED))
    reprints = [_unique(_reprint(ABRIDGED)) for _ in range(5)]
    rep = representative(founder, reprints, DEDUP.core_agreement)
    assert rep.sampled == 6
    assert np.isin(founder, rep.core).all()
    furniture = np.setdiff1d(np.concatenate(reprints), founder)
    assert not np.isin(furniture, rep.core).any()  # each site's furniture is held by one member
    assert np.isin(furniture, rep.union).all()  # ... but is in the sample's union
    assert rep.core.size == founder.size


def test_two_versions_of_a_wire_story_merge_on_their_cores_where_their_unions_do_not(store: Store) -> None:
    texts = {"abridged": "\n".join(ABRIDGED)}
    texts |= {f"abridged-{n}": _reprint(ABRIDGED) for n in range(5)}
    texts["full"] = "\n".join(FULL)
    texts |= {f"full-{n}": _reprint(FULL) for n in range(5)}
    # a reprint of the full version that kept the abridged version's lead: strongly in both
    texts["bridge"] = _reprint([ABRIDGED[0], W[1], *FULL])
    bridge = tokenize(texts["bridge"])
    assert compare(tokenize(texts["full"]), tokenize(texts["abridged"]), DEDUP).relation == "different"
    assert compare(bridge, tokenize(texts["abridged-0"]), DEDUP).strong
    assert compare(bridge, tokenize(texts["full-0"]), DEDUP).strong
    abridged_union = np.unique(np.concatenate([_unique(t) for k, t in texts.items() if k.startswith("abr")]))
    full_union = np.unique(np.concatenate([_unique(t) for k, t in texts.items() if k.startswith("full")]))
    assert overlap(abridged_union, full_union)[0] < DEDUP.story_overlap  # unions: kept apart before

    def rep(prefix: str) -> Representative:
        members = [_unique(t) for k, t in texts.items() if k.startswith(prefix)]
        return representative(members[0], members[1:], DEDUP.core_agreement)

    assert one_text(rep("abr"), rep("full"), DEDUP).same_story  # each core lies in the other story

    done, stage = run(store, texts, every_candidate=True)
    assert done["abridged"].story_id != done["full"].story_id  # two stories before the bridge came
    assert stage.merges == 1
    assert len({stage.resolve(article.story_id or "") for article in done.values()}) == 1
    assert done["bridge"].story_id == done["abridged"].story_id  # the older story keeps its GUID


def test_an_extended_reprint_carrying_another_storys_lead_merges_nothing(store: Store) -> None:
    other = [paragraph() for _ in range(6)]
    texts = {"first": "\n".join(FULL), "second": "\n".join(other)}
    texts |= {f"first-{n}": _reprint(FULL) for n in range(3)}
    # background: four of the other story's six paragraphs, after a whole reprint of the first
    texts["extended"] = _reprint([*FULL, *other[:4]])
    done, stage = run(store, texts, every_candidate=True)
    assert compare(tokenize(texts["extended"]), tokenize(texts["second"]), DEDUP).strong
    assert stage.merges == 0
    assert done["first"].story_id != done["second"].story_id


def test_recheck_points_are_sparse_and_early() -> None:
    points = [size for size in range(1, 200) if recheck_point(size)]
    assert points[:8] == [2, 3, 4, 6, 8, 12, 16, 24]
    assert points[8:] == [32, 48, 64, 96, 128, 192]  # O(log n)


def _dedup_runs(
    state: Store, runs: list[dict[str, str]], dedup: DedupConfig
) -> tuple[dict[str, Article], int]:
    """Deduplicate each dict of texts in a transaction of its own (a run), every stored article a
    candidate; return the articles and the blocked merges re-checked in all."""
    fingerprinter = Fingerprinter(dedup)
    params_id = state.params_id(fingerprinter.params)
    done: dict[str, Article] = {}
    rechecks = 0
    hour = 0
    for texts in runs:
        articles = []
        for name, text in texts.items():
            hour += 1
            articles.append(
                Article(
                    name, name, name, f"http://x/{name}", name, START + timedelta(hours=hour), "", body=text
                )
            )
        with state.transaction():
            stage = Deduplicator(state, dedup, params_id, START)
            seen = list(range(1, state.last_article_id() + 1))  # every stored article
            add = state.add_article

            def add_article(article: Article, now: datetime, add=add, seen=seen) -> int:  # type: ignore[no-untyped-def]
                seen.append(add(article, now))
                return seen[-1]

            state.add_article = add_article  # type: ignore[method-assign]
            state.bucket_hits = lambda buckets, seen=seen: (  # type: ignore[method-assign]
                np.arange(-1, -1 - len(seen), -1, dtype=np.int64),
                np.array(seen, np.int64),
            )
            try:
                done |= {a.feed: a for a in stage(fingerprinter(articles))}
            finally:
                del state.add_article, state.bucket_hits  # type: ignore[attr-defined]
            attribute(state, stage.take_touched(), dedup, AliasTable({}, list(texts)), stage.shingles)
            rechecks += stage.rechecks
    return done, rechecks


def test_a_blocked_merge_is_looked_at_again_in_a_later_run_when_a_story_grows(store: Store) -> None:
    # Two versions sharing two paragraphs: half of the shorter one, below story_overlap 0.6. The
    # bridge is strongly in both; later reprints of the shorter version carry two more of the
    # longer one's paragraphs (a write-thru), and once two members hold those, its core does.
    dedup = replace(DEDUP, story_overlap=0.6)
    s = [paragraph() for _ in range(6)]
    short, long = [paragraph(), paragraph(), s[0], s[1]], [paragraph(), *s]
    first = {"short": "\n".join(short), "long": "\n".join(long), "bridge": _reprint([*short[:2], *s[:5]])}
    assert overlap(_unique(first["short"]), _unique(first["long"]))[0] < dedup.story_overlap
    done, _ = _dedup_runs(store, [first], dedup)
    short_story, long_story = done["short"].story_id, done["long"].story_id
    assert short_story != long_story
    assert done["bridge"].story_id in (short_story, long_story)
    assert set(store.story_links()) == {tuple(sorted((short_story, long_story)))}  # remembered

    write_thru = _reprint([*short, s[2], s[3]])
    assert not compare(tokenize(write_thru), tokenize(first["long"]), dedup).strong  # no bridge itself
    done2, rechecks = _dedup_runs(
        store, [{"thru": write_thru, "thru-2": _reprint([*short, s[2], s[3]])}], dedup
    )
    assert rechecks >= 1
    assert store.story_links() == {}
    merged = store.merged_stories()
    assert short_story in merged or long_story in merged
    ids = [done["short"].id or 0, done["long"].id or 0, done2["thru"].id or 0]
    assert len(set(store.story_of(ids).values())) == 1


def test_near_identical_copies_are_one_story_with_buckets_and_verification_bounded(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = " ".join(paragraph(50) for _ in range(8)).split()
    vocabulary = [paragraph(1) for _ in range(500)]
    dedup = replace(DEDUP, bucket_cap=6, story_candidates=3)
    state = State(tmp_path / "s.sqlite")
    fingerprinter = Fingerprinter(dedup)
    params_id = state.params_id(fingerprinter.params)
    articles = []
    for n in range(60):
        body = " ".join(rng.choice(vocabulary) if rng.random() < 0.03 else w for w in words)
        articles.append(
            Article("f", f"k{n}", f"g{n}", f"http://x/{n}", "t", START + timedelta(minutes=n), "", body=body)
        )
    compared: list[int] = []
    with state.transaction():
        stage = Deduplicator(state, dedup, params_id, START)
        verify = stage.candidates

        def counted(article: Article, buckets: list[int]):  # type: ignore[no-untyped-def]
            found, crowded = verify(article, buckets)
            compared.append(len(found))
            return found, crowded

        stage.candidates = counted  # type: ignore[method-assign]
        done = list(stage(fingerprinter(articles)))
    assert len({a.story_id for a in done}) == 1
    assert max(compared) <= dedup.story_candidates  # one story: never more of its members
    sizes = [r[0] for r in state.db.execute("SELECT COUNT(*) FROM lsh_index GROUP BY bucket")]
    assert max(sizes) <= dedup.bucket_cap  # a crowded bucket takes no more entries
    assert sum(size == dedup.bucket_cap for size in sizes) > 10  # ... and the copies did crowd them
    state.close()


def test_entries_met_only_in_crowded_buckets_are_verified_a_few_at_a_time(tmp_path: Path) -> None:
    """Unrelated articles that share one stock paragraph meet each other only in a crowded bucket:
    at most ``crowded_candidates`` of them are verified per entry, however many there are; an
    ordinary bucket's entries are verified beyond that."""
    stock = paragraph(40)
    texts = [f"{stock}\n{paragraph(60)}\n{paragraph(60)}" for _ in range(40)]

    def verified_per_entry(dedup: DedupConfig, ordinary: bool) -> list[int]:
        state = State(tmp_path / f"s{dedup.crowded_candidates}{ordinary}.sqlite")
        fingerprinter = Fingerprinter(dedup)
        params_id = state.params_id(fingerprinter.params)
        compared: list[int] = []
        with state.transaction():
            stage = Deduplicator(state, dedup, params_id, START)
            for n, text in enumerate(texts):
                article = Article(
                    "f", f"k{n}", f"g{n}", f"http://x/{n}", "t", START + timedelta(minutes=n), "", body=text
                )
                stored = np.arange(1, state.last_article_id() + 1, dtype=np.int64)
                # every stored entry under one stock-text bucket, crowded; or each in a bucket of its own
                keys = -stored if ordinary else np.full(stored.size, -1, np.int64)
                state.bucket_hits = lambda buckets, k=keys, s=stored: (k, s)  # type: ignore[method-assign]
                [signed] = fingerprinter([article])
                found, _ = stage.candidates(signed, [])
                compared.append(len(found))
                del state.bucket_hits  # type: ignore[attr-defined]
                stage.assign(signed)
        assert state.db.execute("SELECT COUNT(DISTINCT story_id) FROM articles").fetchone()[0] == len(texts)
        state.close()
        return compared

    dedup = replace(DEDUP, bucket_cap=4, crowded_candidates=3)
    assert max(verified_per_entry(dedup, ordinary=False)) == 3
    assert max(verified_per_entry(dedup, ordinary=True)) > 3  # ordinary buckets: up to max_candidates
    assert max(verified_per_entry(replace(dedup, crowded_candidates=1000), ordinary=False)) > 3


def test_attributing_only_newcomers_gives_what_attributing_from_scratch_gives(tmp_path: Path) -> None:
    rng = random.Random(11)
    base = [paragraph() for _ in range(5)]
    runs: list[dict[str, str]] = []
    for r in range(4):
        texts = {}
        for n in range(6):
            kind = rng.random()
            if kind < 0.2:
                body = " ".join(base[0].split()[:25]) + " ..."  # a teaser
            elif kind < 0.5:
                body = "\n".join(base[: rng.randint(2, 5)])  # cut
            else:
                body = "\n".join([*base, paragraph(rng.randint(5, 30))])  # extended
            texts[f"r{r}-{n}"] = body
        runs.append(texts)
    state = State(tmp_path / "s.sqlite")
    done, _ = _dedup_runs(state, runs, DEDUP)
    story = done["r0-0"].story_id
    assert story is not None and {a.story_id for a in done.values()} == {story}
    incremental = state.members_for_output()[story]
    with state.transaction():
        attribute(state, {story}, DEDUP, AliasTable({}, []))  # from scratch
    assert state.members_for_output()[story] == incremental
    state.close()


FOOTER = "The Valley Courier is delivered free by volunteers. Support local journalism: join today."


def _stripped_in_one_feed(bodies: list[str]) -> list[Article]:
    """Entries of one feed with ``bodies``, after boilerplate removal (lines counted from 3 entries)."""
    articles = [
        Article("courier", f"k{n}", f"g{n}", "l", "t", START, "", body=b) for n, b in enumerate(bodies)
    ]
    stored: dict[int, int] = {}

    def counts(feed: str, new: dict[int, int]) -> dict[int, int]:
        for key, n in new.items():
            stored[key] = stored.get(key, 0) + n
        return {key: stored[key] for key in new}

    strip_boilerplate(articles, 3, counts)
    return articles


def test_a_story_a_feed_carries_three_times_keeps_its_own_lines() -> None:
    story = [paragraph(30), paragraph(30), paragraph(30)]
    bodies = ["\n".join([*story, FOOTER]) for _ in range(3)]  # in three sections of the site
    bodies += ["\n".join([paragraph(30), paragraph(30), FOOTER]) for _ in range(3)]
    articles = _stripped_in_one_feed(bodies)
    assert all(FOOTER not in a.body for a in articles)  # the site's furniture goes
    assert [a.body for a in articles[:3]] == ["\n".join(story)] * 3  # the story's lines stay


def test_near_identical_copies_in_one_feed_keep_most_of_the_paragraphs_they_share() -> None:
    rng = random.Random(5)
    story = [paragraph(30) for _ in range(8)]
    bodies = []
    for _ in range(8):  # one story carried eight times, each copy with its own few edits
        copy = [" ".join(w if rng.random() > 0.03 else "edited" for w in p.split()) for p in story]
        bodies.append("\n".join([*copy, FOOTER]))
    bodies += ["\n".join([paragraph(30), paragraph(30), FOOTER]) for _ in range(4)]
    articles = _stripped_in_one_feed(bodies)
    assert all(FOOTER not in a.body for a in articles)  # in every entry: the site's furniture
    copies = [_unique(a.body) for a in articles[:8]]
    for n, (article, body) in enumerate(zip(articles[:8], bodies, strict=False)):
        assert 3 * len(article.body.split()) >= 2 * len(body.split()) - 3 * len(FOOTER.split())
        others = np.unique(np.concatenate(copies[:n] + copies[n + 1 :]))
        assert np.isin(copies[n], others).mean() >= DEDUP.story_containment  # in the story as a whole
    # Unguarded, the paragraphs three or more copies left unedited all go: a quarter of the words.
    kept = [a.body for a in articles[:8]]
    from pipeline.text import boilerplate

    boilerplate_minority = boilerplate._minority
    boilerplate._minority = lambda repeated, keys: set()  # type: ignore[assignment]
    try:
        guard_off = _stripped_in_one_feed(bodies)
    finally:
        boilerplate._minority = boilerplate_minority  # type: ignore[assignment]
    assert sum(len(a.body.split()) for a in guard_off[:8]) < 0.8 * sum(len(b.split()) for b in kept)


BRIEF = (
    "Police in Riverton said on Tuesday that 14 people were hurt when a bus carrying 32 students "
    "from Lakeside College overturned on Route 9 near the Miller bridge early in the morning, and "
    "that three of them still remain in hospital."
)
BRIEF_EDITED = (
    "Police in Riverton said on Tuesday that 15 people were hurt when a bus carying 32 students "
    "from Lakeside Colege overturned on Route 9 near the Miler bridge early in the morning, and "
    "that 3 of them still remain in hospitals."
)


def test_a_short_text_republished_with_typos_is_a_copy_and_a_shared_headline_is_not(store: Store) -> None:
    assert len(tokenize(BRIEF)) == 41
    words = compare(tokenize(BRIEF_EDITED), tokenize(BRIEF), replace(DEDUP, short_tokens=0))
    assert words.relation == "different"  # on word 4-grams alone (Jaccard ~0.4)
    verdict = compare(tokenize(BRIEF_EDITED), tokenize(BRIEF), DEDUP)
    assert (verdict.relation, verdict.measure) == ("copy", "char_jaccard")
    other = (
        "Police in Riverton said on Tuesday that a man was arrested after a fire destroyed two empty "
        "warehouses on the east side of the town overnight; nobody was hurt, and firefighters kept "
        "the blaze away from nearby homes."
    )
    headline = "Riverton police report"  # every entry's title: a headline alone never merges
    bodies = {"brief": BRIEF, "edited": BRIEF_EDITED, "other": other}
    articles = [
        Article(name, name, name, f"http://x/{name}", headline, START + timedelta(hours=n), "", body=body)
        for n, (name, body) in enumerate(bodies.items())
    ]
    fingerprinter = Fingerprinter(DEDUP)
    params_id = store.params_id(fingerprinter.params)
    with store.transaction():
        done = {a.feed: a for a in Deduplicator(store, DEDUP, params_id, START)(fingerprinter(articles))}
    assert done["edited"].story_id == done["brief"].story_id  # real LSH found it, characters verified it
    assert done["edited"].match is not None and done["edited"].match.measure == "char_jaccard"
    assert done["other"].story_id != done["brief"].story_id
