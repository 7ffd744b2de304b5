"""Quality gate: pinned floors on a small fixed slice of the labelled benchmark corpus.

The slice is real ABC news text from gensim's Lee corpus (installed with ``pip install '.[bench]'``),
republished by ``bench/corpus.py`` and run through the real pipeline in two runs on one state.
The sha256 of the generated feed files is pinned: if the slice changes (new generator code,
another gensim text), update ``SLICE_DIGEST`` in the same reviewed change. Lowering a floor is
an explicit, reviewed change too. Outside CI the gate skips when gensim is missing; in CI
(CI set) it fails instead, so it can never be skipped silently there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import gensim  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("gensim not installed: pip install '.[bench]'", allow_module_level=True)

from bench.corpus import build_corpus
from bench.quality import run_syndedup
from bench.sources import lee_background, lee_short

SLICE_ARTICLES = 100
SLICE_SEED = 2001
SLICE_DIGEST = "1c13583ab4834e84fa4f8f91692d1243fca2d6584e5a8d4911880b1695f22d6e"

FLOORS = {
    "precision": 0.98,
    "recall": 0.98,
    "f1": 0.98,
    "teaser_recall": 0.97,
    "credited_accuracy": 0.95,
    "canonical_accuracy": 0.98,
    "credit_lines_read": 0.95,
}


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory):
    corpus = build_corpus(lee_background()[:SLICE_ARTICLES], lee_short(), None, SLICE_SEED)
    return corpus, run_syndedup(corpus, Path(tmp_path_factory.mktemp("gate")))


def test_slice_is_the_pinned_one(gate) -> None:
    corpus, result = gate
    assert len(corpus.entries) > 150
    assert result.digest == SLICE_DIGEST, "the gate slice changed: review the scores, then pin the new digest"


def test_floors_hold_on_the_slice(gate) -> None:
    _, result = gate
    scores = result.scores
    assert scores.teasers >= 20 and scores.stories_scored >= 40, "slice too small to mean anything"
    below = {k: getattr(scores, k) for k, floor in FLOORS.items() if getattr(scores, k) < floor}
    assert not below, f"below the floors {FLOORS}: {below}\n" + "\n".join(scores.failures[:30])


def test_no_false_merges_from_boilerplate_or_tiny_texts(gate) -> None:
    _, result = gate
    assert result.scores.false_boilerplate == 0
    assert result.scores.false_tiny == 0
