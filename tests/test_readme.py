"""The README is what a newcomer follows: its config example must pass `check`, and every config
key must be in its reference."""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import http.server
import re
import shlex
import threading
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Config, FeedConfig
from pipeline.models import Relation
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def documented_keys() -> list[str]:
    """Every key the config accepts, written as the README's reference writes it."""
    keys = [f"[[feeds]] {f.name}" for f in dataclasses.fields(FeedConfig)]
    hints = typing.get_type_hints(Config)
    for section in dataclasses.fields(Config):
        kind = hints[section.name]
        if section.name in ("path", "feeds") or not dataclasses.is_dataclass(kind):
            continue
        sub_hints = typing.get_type_hints(kind)
        for key in dataclasses.fields(kind):
            if typing.get_origin(sub_hints[key.name]) in (dict, collections.abc.Mapping):
                keys.append(f"[{section.name}.{key.name}]")
            else:
                keys.append(f"[{section.name}] {key.name}")
    return keys


def test_every_config_key_is_in_the_readme_reference() -> None:
    missing = [key for key in documented_keys() if f"`{key}`" not in README]
    assert missing == [], f"README.md's configuration reference lacks {missing}"


def test_getting_started_config_passes_check(tmp_path: Path, cli) -> None:
    section = README[README.index("## Getting started") : README.index("## How it works")]
    [example] = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    config = tmp_path / "config.toml"
    config.write_text(example, encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 0, result.err
    assert "3 feeds:" in result.out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def outlets() -> Iterator[str]:
    """The sample feeds served over HTTP on 127.0.0.1, standing in for the README's three outlets."""
    handler = functools.partial(_Quiet, directory=str(REPO / "feeds"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_newcomer_following_the_readme_finds_why_two_entries_were_merged(
    tmp_path: Path, outlets: str, cli
) -> None:
    """Getting started, step by step: the README's config (its example URLs pointed at a local
    server with the sample feeds), check, run, status, then explain with the README's link."""
    section = README[README.index("## Getting started") : README.index("## How it works")]
    [example] = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    urls = re.findall(r'url = "([^"]+)"', example)
    assert len(urls) == 3
    for url, sample in zip(urls, ("voa.xml", "gazette.xml", "aggregator.xml"), strict=True):
        example = example.replace(url, f"{outlets}/{sample}")
    config = tmp_path / "config.toml"
    config.write_text(example, encoding="utf-8")
    commands = re.findall(r"venv/bin/(syndedup [^\n#]+?)\s*(?:#|\n)", section)
    assert [c.split()[1] for c in commands] == ["check", "run", "status", "explain"]
    outputs = {}
    for command in commands:
        result = cli(*command.split()[1:], "--config", str(config))
        assert result.code == 0, (command, result.err)
        outputs[command.split()[1]] = result.out
    assert "3 feeds read; 3 new entries (2 joined a story, 1 new story)" in outputs["run"]
    assert re.search(r"News Aggregator\s+\S+Z\s+ok\s+1\s+1\s+0", outputs["status"])
    explained = outputs["explain"]
    assert "this entry is    a teaser of the original" in explained
    assert "credited source  Voice of America" in explained
    assert "1.00 >= 0.70 ([dedup] teaser_containment)" in explained


def test_changing_your_mind_walks_through_a_rename_and_a_removal(demo: Path, cli) -> None:
    """The README's "Changing your mind" section, done on the demo: a rename keeps every entry
    (nothing new), a removal shows the feed as the section says, putting it back restores it."""
    section = README[README.index("## Changing your mind") : README.index("## Exit codes")]
    for promise in ("(removed from config)", "`[state] removed_feed_days`", "syndedup run --force"):
        assert promise in section
    config = demo / "config.toml"
    original = config.read_text(encoding="utf-8")
    assert cli("run", "--config", str(config)).code == 0
    config.write_text(original.replace('name = "World Desk"', 'name = "World Desk Online"'))
    renamed = cli("run", "--config", str(config))
    assert "0 new entries" in renamed.out and "renamed 'World Desk Online'" in renamed.err
    world_desk = '[[feeds]]\nname = "World Desk"\nurl = "feeds/world-desk.xml"\n\n'
    config.write_text(original.replace(world_desk, ""))
    removed = cli("run", "--config", str(config))
    assert "1 story in clusters.jsonl" in removed.out  # World Desk's three stories of one left
    status = cli("status", "--config", str(config)).out
    assert re.search(r"World Desk Online \(removed from config\).*never \(removed\)", status)
    config.write_text(original.replace('name = "World Desk"', 'name = "World Desk Online"'))
    back = cli("run", "--config", str(config))
    assert "0 new entries" in back.out and "4 stories in clusters.jsonl" in back.out


def test_changing_your_mind_thresholds_corrections_and_purge_in_order(demo: Path, cli) -> None:
    """The README's thresholds, corrections and purge steps, run in the order and with the links
    the section gives, on the demo: each does what the section says."""
    section = README[README.index("## Changing your mind") : README.index("## Exit codes")]
    lines = [line.strip() for line in section.splitlines()]
    commands = [shlex.split(line[2:])[1:] for line in lines if line.startswith("$ syndedup ")]
    assert [c[0] for c in commands] == [
        "rebuild",
        "rebuild",
        "story",
        "story",
        "story",
        "story",
        "story",
        "purge",
    ]
    config = demo / "config.toml"
    assert cli("run", "--config", str(config)).code == 0
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("min_tokens = 8 ", "min_tokens = 80"), encoding="utf-8")
    outputs = {}
    for args in commands:
        if args[0] == "purge":  # the section says: remove the feed from the config first
            gazette = '[[feeds]]\nname = "Syria News Gazette"\nurl = "feeds/gazette.xml"\n\n'
            config.write_text(config.read_text(encoding="utf-8").replace(gazette, ""), encoding="utf-8")
        result = cli(*args, "--config", str(config))
        assert result.code == 0, (args, result.err)
        outputs[" ".join(args[:2])] = result.out
    assert "would split" in outputs["rebuild --dry-run"]
    assert "split" in outputs["rebuild"] and "would" not in outputs["rebuild"]
    assert "no story changes" in outputs["story split"]  # the rebuild already split it out
    assert "re-credit" in outputs["story pin"] and "Syria News Gazette" in outputs["story pin"]
    assert "merge" in outputs["story merge"]
    listed = outputs["story list"].splitlines()
    assert listed[0].startswith("2 corrections") and {line.split()[0] for line in listed[1:]} == {
        "pin-5",
        "merge-3-6",
    }  # the ids the section shows
    assert "Syria News Gazette -> Voice of America" in outputs["story undo"]
    assert "deleted 1 entry of 'Syria News Gazette'" in outputs["purge Syria News Gazette"]


def test_every_relation_the_outputs_give_is_defined() -> None:
    """Issue 23 item 9: each relation a member can have in the feeds and the report (``Relation``)
    is a Terminology entry and is listed where the report's ``relation`` is described."""
    terminology = README[README.index("## Terminology") : README.index("## Getting started")]
    report = README[README.index("## The clusters report") : README.index("## The audit page")]
    relations = typing.get_args(Relation)
    assert set(relations) == {"original", "copy", "teaser", "partial"}
    for relation in relations:
        assert re.search(rf"^- \*\*{relation}\*\*", terminology, flags=re.M), relation
        assert f"`{relation}`" in report.split("`similarity`")[0], relation


def test_the_license_file_is_the_one_pyproject_names() -> None:
    import tomllib

    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]
    assert declared == {"text": "MIT"}
    assert license_text.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in license_text


def test_the_readme_backup_command_makes_a_copy_a_restore_can_run_on(demo: Path, cli) -> None:
    """The backup command in "Backups and upgrades", run as written on the demo's state while it
    holds data: the restored copy is a whole state (nothing is read again as new)."""
    import subprocess
    import sys

    section = README[README.index("## Backups and upgrades") : README.index("## Running from cron")]
    [command] = re.findall(r"```sh\n(python3 -c .*?)\n```", section, flags=re.S)
    config = demo / "config.toml"
    assert cli("run", "--config", str(config)).code == 0
    (demo / "backup").mkdir()
    argv = shlex.split(command)
    done = subprocess.run([sys.executable, *argv[1:]], cwd=demo, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    report = (demo / "out" / "clusters.jsonl").read_bytes()
    for name in ("syndedup.sqlite", "syndedup.sqlite-wal", "syndedup.sqlite-shm"):
        (demo / "state" / name).unlink(missing_ok=True)
    (demo / "backup" / "syndedup.sqlite").rename(demo / "state" / "syndedup.sqlite")
    assert cli("status", "--config", str(config)).code == 0
    assert cli("emit", "--config", str(config)).code == 0
    assert (demo / "out" / "clusters.jsonl").read_bytes() == report
    rerun = cli("run", "--config", str(config))
    assert "0 new entries" in rerun.out
