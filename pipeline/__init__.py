"""syndedup: merge republished news from many feeds into one attributed RSS and Atom feed.

Public API: ``load_config`` reads a config.toml, ``run`` runs every stage once.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from pipeline.config import Config, load_config  # noqa: E402
from pipeline.runner import run  # noqa: E402

__all__ = ["Config", "__version__", "load_config", "run"]
