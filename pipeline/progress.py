"""Progress events: the runner reports how far it got through a callback, never by printing.

The CLI turns these into a rich progress bar on a terminal and ignores them under cron.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Stage = Literal["fetch", "detect", "emit"]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """``done`` of ``total`` units of ``stage`` are finished; ``item`` names the last one (a feed)."""

    stage: Stage
    done: int
    total: int
    item: str | None = None
    ok: bool = True


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """The default callback: library users who pass nothing get no progress reports."""
