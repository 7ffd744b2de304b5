"""``syndedup check``: validate a config without running, and report every problem with its line.

``parse_config`` stops at the first bad key. To report them all, ``check`` repairs each reported
problem in a copy of the parsed document (drops the bad key so its default applies, or puts a
placeholder where a required value is bad or missing) and validates again, until it passes.
Problems that only follow from an earlier one (the keys of a missing table) are not repeated.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomlkit

from pipeline.cli.toml_lines import key_lines, line_of
from pipeline.config import Config, load_config, parse_config
from pipeline.errors import ConfigError, StateError
from pipeline.sources.fetch import file_kind, local_path
from pipeline.store.view import StateView

MAX_PROBLEMS = 100
_PLACEHOLDER = "__syndedup_check_placeholder_{}__"


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad key: where it is, its value as written in TOML, and what is wrong."""

    key: str | None
    line: int | None
    value: str | None
    problem: str

    def describe(self, path: Path) -> str:
        where = f"{path}:{self.line}" if self.line else str(path)
        if self.key is None:
            return f"{where}: {self.problem}"
        value = f" = {self.value}" if self.value is not None else ""
        return f"{where}: {self.key}{value}: {self.problem}"


@dataclass(slots=True)
class CheckResult:
    """The config if it is valid, else every problem found (in the order found)."""

    path: Path
    config: Config | None = None
    problems: list[Problem] = field(default_factory=list)


def check_config(path: Path) -> CheckResult:
    """Validate the config at ``path``; collect all problems rather than the first."""
    result = CheckResult(path)
    try:
        result.config = load_config(path)
        return result
    except ConfigError as exc:
        if exc.key is None:  # missing file, not UTF-8, invalid TOML: nothing more can be checked
            message = str(exc).removeprefix(f"{path}: ")
            result.problems.append(Problem(None, None, None, message))
            return result
    text = path.read_text(encoding="utf-8")
    lines = key_lines(text)
    original = tomllib.loads(text)
    data = copy.deepcopy(original)
    repaired: dict[str, str] = {}  # key -> how it was repaired
    created: list[str] = []  # tables made up so that checking can go on
    for _ in range(MAX_PROBLEMS):
        try:
            parse_config(data, path.resolve())
            break
        except ConfigError as exc:
            key = exc.key or ""
            bare = key.strip("[]")
            consequence = any(bare == c or bare.startswith((c + ".", c + "[")) for c in created)
            if not consequence and repaired.get(bare) != "dropped":
                value = _value(original, bare)
                result.problems.append(Problem(key, line_of(lines, key), value, exc.problem or str(exc)))
            if not exc.key or not _repair(data, bare, exc.problem or "", repaired, created):
                break
    return result


def _walk(data: Any, key: str) -> tuple[Any, str | int] | None:
    """The container holding ``key`` and the last segment, matching the document's own keys greedily
    (so that an alias name with a dot, "voanews.com", stays one segment)."""
    node, rest = data, key
    while True:
        if isinstance(node, list):
            if not rest.startswith("["):
                return None
            end = rest.index("]")
            index = int(rest[1:end])
            rest = rest[end + 1 :].removeprefix(".")
            if not rest:
                return (node, index) if index < len(node) else None
            if index >= len(node):
                return None
            node = node[index]
            continue
        if not isinstance(node, dict):
            return None
        found = max(
            (k for k in node if rest == k or rest.startswith((k + ".", k + "["))), key=len, default=None
        )
        if found is None or found == rest:
            return node, rest
        node, rest = node[found], rest[len(found) :].removeprefix(".")


def _value(data: dict[str, Any], key: str) -> str | None:
    """The value at ``key`` written as TOML, if it is a short scalar or array."""
    spot = _walk(data, key)
    if spot is None:
        return None
    container, last = spot
    try:
        value = container[last]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
        return None
    text = tomlkit.item(value).as_string()
    return text if len(text) <= 80 else text[:77] + "..."


def _repair(
    data: dict[str, Any], key: str, problem: str, repaired: dict[str, str], created: list[str]
) -> bool:
    """Change ``data`` so that the problem at ``key`` is gone; False if that is not possible."""
    if problem.startswith("missing table") or problem.startswith("must be a table"):
        data[key] = {}
        created.append(key)
        return True
    if key == "feeds":
        data["feeds"] = [{"name": "placeholder", "url": "placeholder"}]
        created.append(key)
        return True
    spot = _walk(data, key)
    if spot is None:
        return False
    container, last = spot
    exists = last in container if isinstance(container, dict) else isinstance(last, int)
    if exists and repaired.get(key) is None:
        del container[last]
        repaired[key] = "dropped"
        return True
    if repaired.get(key) == "placeholder" or not isinstance(container, dict):
        return False
    container[last] = _PLACEHOLDER.format(len(repaired))
    repaired[key] = "placeholder"
    return True


def local_feed_path(url: str) -> Path | None:
    """The file a feed URL names, or None for http(s)."""
    if urlparse(url).scheme.lower() in ("http", "https"):
        return None
    return local_path(url)


def summary(config: Config) -> list[str]:
    """What a valid config will do: feeds (and whether local files exist), outputs, state."""
    lines = [f"{config.path}: ok", f"{len(config.feeds)} feeds:"]
    width = max((len(feed.name) for feed in config.feeds), default=0)
    for feed in config.feeds:
        local = local_feed_path(feed.url)
        problem = None if local is None else feed_file_problem(local)
        note = "http" if local is None else "file exists" if problem is None else _note(problem)
        lines.append(f"  {feed.name:<{width}}  {note:<12}  {feed.url}")
    lines.append("outputs:")
    for item in fields(config.output):
        value = getattr(config.output, item.name)
        if isinstance(value, Path):
            lines.append(f"  {item.name:<6}  {value}")
    lines.append(f"state: {config.state.path} ({_state_note(config.state.path)})")
    return lines


def _state_note(path: Path) -> str:
    if not path.exists():
        return "created by the first run"
    try:
        with StateView(path) as view:
            entries, stories = view.counts()
    except StateError as exc:
        return f"exists but cannot be read: {exc}"
    entries_text = f"{entries} {'entry' if entries == 1 else 'entries'}"
    return f"exists: {entries_text} in {stories} {'story' if stories == 1 else 'stories'}"


DEFAULT_LINK = "http://localhost/"


def shared_atom_id(config: Config) -> str | None:
    """A warning when ``[output] link`` is the default: it is also the Atom feed's id, so every install
    that keeps it publishes the same id and a reader following two of them may merge them. Not made
    unique by default: changing the id of a feed already published makes readers see a new feed."""
    if config.output.link != DEFAULT_LINK:
        return None
    return (
        f"[output] link is {DEFAULT_LINK!r}, which is also the Atom feed id: every install that keeps "
        "it publishes the same id; set it to the address of your site (e.g. https://example.org/news/)"
    )


def missing_feed_files(config: Config) -> list[tuple[str, str]]:
    """(name, problem) of each feed whose local file does not exist or is not a regular file (a
    FIFO, a device, a folder): a warning, the run fails that feed and goes on."""
    out = []
    for feed in config.feeds:
        local = local_feed_path(feed.url)
        problem = None if local is None else feed_file_problem(local)
        if problem is not None:
            out.append((feed.name, problem))
    return out


_MISSING = "does not exist"


def _note(problem: str) -> str:
    return "FILE MISSING" if problem == _MISSING else "NOT A FILE"


def feed_file_problem(path: Path) -> str | None:
    """Why a local feed file cannot be read as one ("does not exist", "is a FIFO (named pipe), not
    a regular file"), or None. Reads the file's type only (``stat``), never its bytes."""
    try:
        kind = file_kind(path.stat().st_mode)
    except OSError:
        return _MISSING
    if kind is None:
        return None
    return f"is a {kind}, not a regular file"
