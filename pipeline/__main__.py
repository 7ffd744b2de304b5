"""``python -m pipeline`` is ``syndedup``."""

import sys

from pipeline.cli.app import main

sys.exit(main())
