"""The feedparser corpus (2,248 files) through a whole run: our RSS, Atom, JSON Feed and report
carry none of the W3C feed validator's SecurityRisk, NotHtml, ContainsRelRef, BadCharacters or
ImplausibleDate warnings (their rules in tests/outputs/feed_warnings.py), nor an unusable link."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import parse_config
from pipeline.runner import run
from tests.outputs.feed_warnings import atom_warnings, json_warnings, report_warnings, rss_warnings
from tests.sources.test_hostile import corpus_dir

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_outputs_of_the_feedparser_corpus_carry_no_validator_warning(tmp_path: Path) -> None:
    root = corpus_dir()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/corpora/feedparser is missing in CI")
        pytest.skip("../shared/corpora/feedparser not found next to the repository")
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    data = {
        "feeds": [{"name": f"feed{n}", "url": str(path)} for n, path in enumerate(paths)],
        # Every story in the window, so that every entry's item is checked.
        "output": {
            "rss": "out/f.rss",
            "atom": "out/f.atom",
            "report": "out/r.jsonl",
            "json": "out/f.json",
            "max_items": 100_000,
        },
        "state": {"path": "state/s.sqlite"},
    }
    config = parse_config(data, tmp_path / "config.toml")
    report = run(config, now=NOW)
    assert report.items_written > 1000
    output = config.output
    assert output.json is not None
    warnings = (
        rss_warnings(output.rss.read_bytes(), NOW)
        + atom_warnings(output.atom.read_bytes(), NOW)
        + json_warnings(output.json.read_bytes(), NOW)
        + report_warnings(output.report.read_bytes())
    )
    assert warnings == []
