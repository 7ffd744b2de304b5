"""The credit-line cases of ../shared/cases/feeds-in-the-wild, run through the real CLI on a copy.

Each case folder holds config.toml, feeds/ and a README.txt that states the right result; the
assertions below are that result. Outside CI the tests skip when the shared cases are absent; under
CI (CI set) they fail instead, so they can never be skipped silently there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, read_report


def case_dir(name: str) -> Path:
    """../shared/cases/feeds-in-the-wild/NAME next to the repository (or one of its parent folders)."""
    for folder in REPO.parents:
        candidate = folder / "shared" / "cases" / "feeds-in-the-wild" / name
        if candidate.is_dir():
            return candidate
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the shared case {name!r} is missing (../shared/cases/feeds-in-the-wild)")
    pytest.skip(f"the shared case {name!r} is not next to this checkout")


def run_case(name: str, tmp_path: Path) -> list[dict]:
    """Copy the case to tmp_path, run `python -m pipeline run` on it, and return its clusters report."""
    folder = tmp_path / name
    shutil.copytree(case_dir(name), folder)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(folder / "config.toml")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return read_report(folder / "out" / "clusters.jsonl")


def test_the_article_before_a_feed_name_is_dropped(tmp_path: Path) -> None:
    """credit-the-outlet: "This article first appeared in the Valley Courier." credits the feed."""
    stories = run_case("credit-the-outlet", tmp_path)
    reprinted = [s for s in stories if len(s["members"]) > 1]
    assert len(reprinted) == 1
    story = reprinted[0]
    assert {m["feed"] for m in story["members"]} == {"Valley Courier", "Harbor Daily"}
    assert story["credited_source"] == "Valley Courier"
    assert story["canonical"].startswith("https://valley-courier.example/")
    assert all(s["credited_source"] in {"Valley Courier", "Harbor Daily"} for s in stories)


def test_a_story_number_after_a_dateline_is_no_outlet(tmp_path: Path) -> None:
    """dateline-number: "SYDNEY (2805) - ..." and "PERTH (17) - ..." credit the wire, not a number."""
    stories = run_case("dateline-number", tmp_path)
    wire = [s for s in stories if any(m["feed"] == "Southern Cross Wire" for m in s["members"])]
    assert len(wire) == 2
    assert {s["credited_source"] for s in wire} == {"Southern Cross Wire"}
    sydney = next(s for s in wire if len(s["members"]) == 2)
    assert {m["feed"] for m in sydney["members"]} == {"Southern Cross Wire", "Coastline Digest"}
    assert not any(s["credited_source"].strip().isdigit() for s in stories)
