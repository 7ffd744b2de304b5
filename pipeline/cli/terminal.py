"""A rich progress bar for a person at a terminal, with log lines printed above it.

Used by the CLI only when stderr is a terminal; under cron (no TTY) nothing here runs, and the
log stays plain lines on stderr.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from pipeline.progress import ProgressEvent, Stage

_LABELS: dict[Stage, str] = {
    "fetch": "fetching feeds",
    "detect": "detecting copies",
    "emit": "writing outputs",
}


class ProgressBar:
    """A context manager and ProgressCallback: one bar per stage, on stderr, removed when done."""

    def __init__(self, stream: TextIO) -> None:
        self.console = Console(file=stream, stderr=True, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description:<17}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[item]}"),
            console=self.console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._tasks: dict[Stage, TaskID] = {}

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        task = self._tasks.get(event.stage)
        if task is None:
            task = self._progress.add_task(_LABELS[event.stage], total=event.total, item="")
            self._tasks[event.stage] = task
        item = event.item or ""
        if event.item and not event.ok:
            item = f"{event.item} (failed)"
        self._progress.update(task, completed=event.done, total=event.total, item=item)

    def log_handler(self, formatter: logging.Formatter) -> logging.Handler:
        """A handler that prints log lines above the bar instead of through it."""
        return _ConsoleHandler(self.console, formatter)


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console, formatter: logging.Formatter) -> None:
        super().__init__()
        self.console = console
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)
