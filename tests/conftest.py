"""Shared fixtures: a private copy of the demo (config.toml + feeds/) per test, and a CLI runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_eadd4f7e77c9299d.txt"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the bundled demo (config.toml and feeds/) in a temporary folder."""
    shutil.copytree(REPO / "feeds", tmp_path / "feeds")
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``syndedup ARGS`` in-process and capture its exit code and output."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def read_report(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
