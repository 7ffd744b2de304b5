"""The command line: the only place that parses argv, configures logging, prints and picks exit codes.

Exit codes: 0 outputs written (some feeds may have failed; each failure is logged), 1 the run
failed and nothing was written, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline import __version__
from pipeline.config import load_config
from pipeline.errors import ConfigError, RunLockedError, SyndedupError
from pipeline.runner import run
from pipeline.serve import DEFAULT_HOST, DEFAULT_PORT, make_server, serve_until_stopped

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syndedup",
        description="Merge republished news from many feeds into one attributed RSS and Atom feed.",
    )
    parser.add_argument("--version", action="version", version=f"syndedup {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_parser = commands.add_parser(
        "run",
        help="fetch every feed, detect copies and teasers, write the outputs",
        description="Fetch every configured feed, merge republished copies and teasers into "
        "stories, and write the RSS, Atom and report outputs.",
    )
    run_parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.toml"),
        help="path of the config file (default: ./config.toml)",
    )
    loudness = run_parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="also log each feed's counts")
    loudness.add_argument("-q", "--quiet", action="store_true", help="log errors only, no summary")
    _add_serve_parser(commands)
    return parser


def _add_serve_parser(commands: argparse._SubParsersAction) -> None:
    """``syndedup serve``: the outputs' folder over HTTP with ETag, Last-Modified, 304s and gzip."""
    serve = commands.add_parser(
        "serve",
        help="serve the output files over HTTP (loopback by default)",
        description="Serve the folder holding the outputs: files by name, with ETag and "
        "Last-Modified, 304 on conditional GETs, gzip when asked, and each output's media type.",
    )
    serve.add_argument("--config", type=Path, default=Path("config.toml"), help="path of the config file")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    serve.set_defaults(verbose=False, quiet=False)


def _serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; exit 2 on a config error, 1 when the server cannot start."""
    try:
        server = make_server(load_config(args.config).output, args.host, args.port)
    except ConfigError as exc:
        print(f"syndedup: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SyndedupError as exc:
        print(f"syndedup: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"syndedup: serving {server.site.root} at {server.url}", flush=True)
    serve_until_stopped(server)
    return EXIT_OK


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("syndedup: %(levelname)s: %(message)s"))
    root = logging.getLogger("pipeline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``syndedup`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    if args.command == "serve":
        return _serve(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        report = run(config)
    except ConfigError as exc:
        print(f"syndedup: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunLockedError as exc:
        print(f"syndedup: {exc}", file=sys.stderr)
        return EXIT_OK
    except SyndedupError as exc:
        print(f"syndedup: run failed, nothing written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not args.quiet:
        failed = f", {report.feeds_failed} failed" if report.feeds_failed else ""
        print(
            f"syndedup: {report.feeds_ok} feeds read{failed}; {report.entries_new} new entries "
            f"({report.joined_story} joined a story, {report.new_stories} new stories); "
            f"{report.items_written} items written to {config.output.rss.name} and "
            f"{config.output.atom.name}; {report.stories_total} stories in {config.output.report.name}"
        )
    return EXIT_OK
