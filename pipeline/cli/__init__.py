"""The command line: argv parsing, logging, exit codes (``app``), and one module per subcommand."""

from pipeline.cli.app import main

__all__ = ["main"]
