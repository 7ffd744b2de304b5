"""The package layering stays true: no import cycle, and no lower layer importing a higher one.

Layers, lowest first (a module may import its own package and any lower layer):
  0 common   config, errors, models, progress, timing, shard, recent
  1 text     pure text functions, no I/O
  2 store    the Store protocol, SQLite, Redis, the read-only view
  3 sources  outputs     (the outside world in; what we publish: neither imports the other)
  4 stages   the six stages
  5 runner   the stage list, lock, transaction; rebuild (re-deciding stored stories)
  6 cli      argv, logging, exit codes, subcommands
``pipeline/__init__.py`` (the public API) and ``__main__`` sit above all. Imports under ``if
TYPE_CHECKING:`` are annotations only and are not counted; ``from pipeline import __version__``
reads a constant and is allowed everywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
COMMON = {"config", "errors", "models", "progress", "timing", "shard", "recent"}
PACKAGE_RANK = {"text": 1, "store": 2, "sources": 3, "outputs": 3, "stages": 4, "cli": 6}
# rebuild: re-deciding stored stories replays entries through the stages (dedup, attribute), as the
# runner does; the CLI holds the lock and emits around it.
TOP_RANK = {"runner": 5, "rebuild": 5, "__init__": 7, "__main__": 7}


def module_name(path: Path) -> str:
    parts = path.relative_to(PIPELINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> tuple[str, int]:
    """(layer name, rank) of a ``pipeline...`` module."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__", TOP_RANK["__init__"]
    head = parts[1]
    if head in PACKAGE_RANK:
        return head, PACKAGE_RANK[head]
    if head in COMMON:
        return "common", 0
    if head in TOP_RANK:
        return head, TOP_RANK[head]
    raise AssertionError(f"{module}: not in any layer; add it to tests/test_layering.py")


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every ``pipeline`` module ``path`` imports (module level or inside functions), with its line."""
    found: list[tuple[str, int]] = []
    known = {module_name(p) for p in PIPELINE.rglob("*.py")}

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("pipeline"):
                names = [alias.name for alias in child.names]
                if child.module == "pipeline" and names == ["__version__"]:
                    continue
                for name in names:  # "from pipeline.stages import ingest" imports the submodule
                    sub = f"{child.module}.{name}"
                    found.append((sub if sub in known else child.module, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((a.name, child.lineno) for a in child.names if a.name.startswith("pipeline"))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_graph() -> dict[str, list[tuple[str, int]]]:
    return {module_name(p): imports_of(p) for p in sorted(PIPELINE.rglob("*.py"))}


def test_no_lower_layer_imports_a_higher_one() -> None:
    upward = []
    for module, imports in import_graph().items():
        own, rank = layer(module)
        for target, line in imports:
            other, other_rank = layer(target)
            if other != own and other_rank >= rank:
                upward.append(f"{module}:{line} imports {target} ({own} {rank} -> {other} {other_rank})")
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    graph = {m: sorted({t for t, _ in imports if t != m}) for m, imports in import_graph().items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in graph.get(module, []):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in graph:
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        layer(module)  # raises for a module outside the layers


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The walk finds imports inside functions too (where cycles hide), but not type-only ones."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pipeline.stages.dedup import Deduplicator\n"
        "def f():\n    from pipeline.cli.app import main\n",
        encoding="utf-8",
    )
    assert imports_of(source) == [("pipeline.cli.app", 5)]
