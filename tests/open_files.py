"""Which files this process holds open (an unlinked or O_TMPFILE spool file shows only here)."""

from __future__ import annotations

import os
from pathlib import Path


def open_files_in(directory: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    """Targets of this process's open descriptors under ``directory``, but those ending in ``ignore``."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)) and not (ignore and target.endswith(ignore)):
            found.append(target)
    return found
