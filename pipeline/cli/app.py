"""The command line: the only place that parses argv, configures logging, prints and picks exit codes.

Exit codes: 0 outputs written (some feeds may have failed; each failure is logged), 1 the run
failed and nothing was written, 2 usage or configuration error, 3 feeds are configured and none
could be read (the outputs were still written, from the stored state): an outage for monitoring,
4 the state is damaged or lost (a person must choose: restore, recover or start afresh).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from pipeline import __version__
from pipeline.cli.check import check_config, missing_feed_files, shared_atom_id, summary
from pipeline.cli.corrections import corrections, format_corrections, parse_correction_id
from pipeline.cli.explain import (
    explain,
    explain_pair,
    format_explanation,
    format_merge_trail,
    format_pair,
    merge_trail,
    story_id_of,
)
from pipeline.cli.export_opml import export_opml
from pipeline.cli.import_opml import NEW_CONFIG, OpmlError, apply_import, plan_import, read_opml
from pipeline.cli.logs import configure, formatter_for, level_for
from pipeline.cli.status import FeedStatus, feed_statuses, format_status, status_json
from pipeline.cli.summary import is_outage, outage_message, outputs_text, plural, run_summary
from pipeline.config import Config, load_config, parse_config
from pipeline.errors import (
    ConfigError,
    OutputError,
    RunLockedError,
    StateDamagedError,
    StateError,
    SyndedupError,
)
from pipeline.outputs.atomic import write_atomic
from pipeline.outputs.serve import DEFAULT_HOST, DEFAULT_PORT, make_server, serve_until_stopped
from pipeline.progress import ProgressCallback, no_progress
from pipeline.runner import emit_outputs, run
from pipeline.shard import Shard
from pipeline.store.damage import damaged_state, state_errors
from pipeline.store.readers import open_view
from pipeline.store.sqlite import now_utc
from pipeline.store.view import READ_ONLY, StateReader

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_FEED_READ, EXIT_STATE_DAMAGED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C

Handler = Callable[[argparse.Namespace], int]


def _common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes: the config file, loudness and log format."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=None,  # resolved in main(): it may also come before the command's name
        help="path of the config file (default: ./config.toml)",
    )
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="also log each feed's counts")
    loudness.add_argument("-q", "--quiet", action="store_true", help="log errors only, no summary")
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text (default) or one JSON object per line, for log collectors",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syndedup",
        description="Merge republished news from many feeds into one attributed RSS and Atom feed.",
    )
    parser.add_argument("--version", action="version", version=f"syndedup {__version__}")
    parser.add_argument(
        "--config",
        dest="config_first",
        type=Path,
        metavar="CONFIG",
        help="path of the config file (default: ./config.toml); also accepted after COMMAND",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options()
    run_parser = commands.add_parser(
        "run",
        parents=[common],
        help="fetch every feed, detect copies and teasers, write the outputs",
        description="Fetch every configured feed, merge republished copies and teasers into "
        "stories, and write the RSS, Atom and report outputs. Shows a progress bar on a "
        "terminal; under cron only warnings and a one-line summary.",
    )
    run_parser.add_argument(
        "--shard",
        metavar="K/N",
        help="run only shard K of N of the feeds (by a stable hash of each feed's name), for several "
        'hosts sharing one [index] backend = "redis"',
    )
    run_parser.add_argument(
        "--force",
        action="store_true",
        help="fetch every feed now, also those backing off after failures or marked dead after a 410 "
        "(for this run; a success clears the mark)",
    )
    run_parser.set_defaults(handler=_run)
    check_parser = commands.add_parser(
        "check",
        parents=[common],
        help="validate the config without running",
        description="Validate the config file without fetching anything. On problems, print each "
        "bad key with its value and line and exit 2; otherwise print the feeds (and whether each "
        "local feed file exists), the outputs and the state file, and exit 0.",
    )
    check_parser.set_defaults(handler=_check)
    explain_parser = commands.add_parser(
        "explain",
        parents=[common],
        help="show why an entry is in its story",
        description="Show the story an entry belongs to, its relation (original, copy, teaser), "
        "the match, score and threshold that put it there (and whether today's config would "
        "decide the same), the story's original and its credited source, editors' corrections, "
        "its near misses: the closest entries not merged, with their scores, and the stories "
        "merged into its story (when, and by which bridging entry); an absorbed story's id or GUID "
        "says which story absorbed it and explains that one. With two links, "
        "every measure between the two entries and today's verdict. Reads the state only.",
    )
    explain_parser.add_argument(
        "link",
        metavar="LINK",
        help="the entry's link or GUID, or a story's id or output GUID (an absorbed story's too)",
    )
    explain_parser.add_argument(
        "other",
        metavar="LINK_B",
        nargs="?",
        help="a second entry: print every measure between the two against today's thresholds and "
        "the verdict today's config gives",
    )
    explain_parser.set_defaults(handler=_explain)
    status_parser = commands.add_parser(
        "status",
        parents=[common],
        help="list every feed's last fetch, result and failures",
        description="List every feed with its last fetch, result, entry count, consecutive "
        "failures and next allowed fetch, and the last error of each failing feed. Reads the "
        "state file only.",
    )
    status_parser.add_argument(
        "--json",
        action="store_true",
        help="print every feed's health as one JSON document (for monitoring): URL and where it is "
        "fetched from, health, last success, failures, last error, backoff; then totals",
    )
    status_parser.set_defaults(handler=_status)
    opml_parser = commands.add_parser(
        "import-opml",
        parents=[common],
        help="add the feeds of an OPML subscription list to the config",
        description="Add each feed of an OPML file (as exported by feed readers) to the config as "
        "a [[feeds]] table, named from its title (or text), skipping feeds whose URL or name the "
        "config already has. Comments and layout of the config are kept; the result is validated "
        "before it is written.",
    )
    opml_parser.add_argument("file", metavar="FILE", type=Path, help="the OPML file")
    opml_parser.add_argument(
        "-n", "--dry-run", action="store_true", help="show what would be added; change nothing"
    )
    opml_parser.set_defaults(handler=_import_opml)
    export = commands.add_parser(
        "export-opml",
        parents=[common],
        help="write the configured feeds as an OPML subscription list",
        description="Print the configured feeds as OPML 2.0 (what feed readers import, and what "
        "import-opml reads back): each feed's name, the address it is fetched from (where a "
        "permanent redirect led, when the state knows one) and its site. Feeds read from local "
        "files are left out and named on stderr. Reads the config and the state only.",
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE (atomically) instead of stdout"
    )
    export.set_defaults(handler=_export_opml)
    _add_emit_parser(commands, common)
    _add_serve_parser(commands, common)
    _add_control_parsers(commands, common)
    return parser


def _configure_logging(verbose: bool, quiet: bool, log_format: str = "text") -> None:
    configure(level_for(verbose, quiet), "json" if log_format == "json" else "text")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``syndedup`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    first, after = getattr(args, "config_first", None), getattr(args, "config", None)
    if first is not None and after is not None and first != after:
        print(
            f"syndedup: error: --config given twice ({first} before {args.command}, {after} after it); "
            "give it once",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args.config = after or first or Path("config.toml")
    # getattr: a subcommand added without the common options still gets the default logging.
    _configure_logging(
        getattr(args, "verbose", False), getattr(args, "quiet", False), getattr(args, "log_format", "text")
    )
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a subcommand registered without set_defaults(handler=...): a bug
        print(f"syndedup: command {args.command!r} is not implemented", file=sys.stderr)
        return EXIT_FAILED
    try:
        code = handler(args)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except BrokenPipeError:  # `syndedup explain ... | head`: the reader has all it wanted
        _quiet_stdout()
        return EXIT_OK


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's flush at exit does not raise
    BrokenPipeError again (Python docs, "signal": Note on SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _say(args: argparse.Namespace, message: str, level: int = logging.ERROR) -> None:
    """A message of the CLI itself on stderr: a plain line, or a JSON log record with --log-format json
    (so that a log collector's stream stays one JSON object per line)."""
    if getattr(args, "log_format", "text") == "json":
        logging.getLogger("pipeline.cli.app.app").log(level, message)
    else:
        print(f"syndedup: {message}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        shard = Shard.parse(args.shard) if args.shard else None
        with _progress(args) as progress:
            report = run(config, progress=progress, shard=shard, force=args.force)
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateDamagedError as exc:  # the message says what happened, what was kept, what to do
        _say(args, str(exc))
        return EXIT_STATE_DAMAGED
    except RunLockedError as exc:
        _say(args, str(exc), logging.WARNING)
        return EXIT_OK
    except OutputError as exc:  # raised by emit, after the state was committed
        _say(args, f"outputs not written: {exc}; the state is saved and the next run rewrites them")
        return EXIT_FAILED
    except SyndedupError as exc:
        _say(args, f"run failed, nothing written: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:  # the open transaction was rolled back; outputs are whole files
        _say(args, "interrupted; the state is as the last complete run left it")
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(run_summary(report, config))
    if is_outage(report):
        _say(args, outage_message(report))
        return EXIT_NO_FEED_READ
    return EXIT_OK


@contextlib.contextmanager
def _progress(args: argparse.Namespace) -> Iterator[ProgressCallback]:
    """A progress bar while the run lasts, only for a person at a terminal (not cron, not --quiet)."""
    if args.quiet or args.log_format != "text" or not sys.stderr.isatty():
        yield no_progress
        return
    from pipeline.cli.terminal import ProgressBar  # rich loads only when a bar is shown

    logger = logging.getLogger("pipeline")
    saved = logger.handlers[:]
    bar = ProgressBar(sys.stderr)
    logger.handlers[:] = [bar.log_handler(formatter_for("text"))]
    try:
        with bar:
            callback: ProgressCallback = bar
            yield callback
    finally:
        logger.handlers[:] = saved


def _check(args: argparse.Namespace) -> int:
    result = check_config(args.config)
    if result.config is None:
        problems = sorted(result.problems, key=lambda p: p.line or 0)
        for problem in problems:
            _say(args, f"config error: {problem.describe(args.config)}")
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        _say(args, f"check: {count} in {args.config}; nothing was run")
        return EXIT_USAGE
    config = result.config
    for name, why in missing_feed_files(config):
        _say(args, f"warning: feed {name!r}: its file {why} (the run will skip it)", logging.WARNING)
    shared_id = shared_atom_id(config)
    if shared_id:
        _say(args, f"warning: {shared_id}", logging.WARNING)
    if not args.quiet:
        print("\n".join(summary(config)))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        view = open_view(config)
        try:
            with state_errors(config.state.path, READ_ONLY):
                if args.other is not None:
                    return _explain_pair(args, config, view)
                found = explain(view, args.link, config)
                texts = [format_explanation(item, config) for item in found]
                trail = () if found else merge_trail(view, story_id_of(args.link))
        finally:
            view.close()
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateDamagedError as exc:
        _say(args, str(exc))
        return EXIT_STATE_DAMAGED
    except StateError as exc:
        _say(args, str(exc))
        return EXIT_FAILED
    if not texts and trail:
        # The story was absorbed, and the story that absorbed it is gone since (pruned or purged).
        print("\n".join(format_merge_trail(trail)).rstrip())
        _say(args, f"story {trail[-1].merge.into} is no longer in the state (pruned or purged)")
        return EXIT_FAILED
    if not texts:
        _say(
            args,
            f"no stored entry has the link or GUID {args.link!r} "
            f"(links are in {config.output.report.name}; entries are stored when a run reads them)",
        )
        return EXIT_FAILED
    print("\n\n".join(texts))
    return EXIT_OK


def _explain_pair(args: argparse.Namespace, config: Config, view: StateReader) -> int:
    found = []
    for link in (args.link, args.other):
        entries = view.entries_for(link)
        if len(entries) != 1:
            why = "no stored entry has" if not entries else f"{len(entries)} stored entries have"
            _say(args, f"{why} the link or GUID {link!r} (give one entry's link or GUID)")
            return EXIT_FAILED
        found.append(entries[0])
    print(format_pair(explain_pair(view, found[0], found[1], config), config))
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    """The feed table; with a damaged state file (SQLite's check of the whole file), what can still
    be read, marked DAMAGED, then the damage on stderr and exit 4."""
    damage: str | None = None
    rows: list[FeedStatus] | None = None
    document = ""
    try:
        config = load_config(args.config)
        about: dict[str, object] = {"state": str(config.state.path), "backend": config.index.backend}
        if config.state.path.exists() or config.index.backend == "redis":
            view = open_view(config)
            try:
                damage = view.damage()
                try:
                    with state_errors(config.state.path, READ_ONLY):
                        rows = feed_statuses(config, view)
                        document = status_json(config, view, now_utc(), about) if args.json else ""
                except StateError:
                    if damage is None:
                        raise
            finally:
                view.close()
            note = f"state: {config.state.path}"
            if config.index.backend == "redis":
                note += f" (feed health); entries and stories: {config.index.url} ([index] backend = redis)"
            if damage is not None:
                note = f"state: {config.state.path} (DAMAGED: see below)"
        else:
            rows = feed_statuses(config, None)
            about["state_created"] = False
            document = status_json(config, None, now_utc(), about) if args.json else ""
            note = f"state: {config.state.path} (not created yet: no run so far)"
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateDamagedError as exc:
        _say(args, str(exc))
        return EXIT_STATE_DAMAGED
    except StateError as exc:
        _say(args, str(exc))
        return EXIT_FAILED
    if args.json:
        print(document or json.dumps({**about, "damaged": damage}, indent=2))
        return EXIT_OK if damage is None else EXIT_STATE_DAMAGED
    print(note)
    if rows is not None:
        print(format_status(rows))
    if damage is not None:
        _say(args, str(damaged_state(config.state.path, f"quick_check: {damage}", READ_ONLY)))
        return EXIT_STATE_DAMAGED
    return EXIT_OK


def _import_opml(args: argparse.Namespace) -> int:
    path: Path = args.config
    created = not path.exists()  # no config yet: start one with the required tables
    try:
        text = NEW_CONFIG if created else _read_config_text(path)
        document = tomlkit.parse(text)
        feeds = read_opml(args.file)
        plan = plan_import(document, feeds)
        apply_import(document, plan)
        new_text = tomlkit.dumps(document)
        _validate(new_text, path)
        if plan.added and not args.dry_run:
            write_atomic(path, new_text.encode("utf-8"))
    except TOMLKitError as exc:
        _say(args, f"config error: {path}: invalid TOML: {exc}")
        return EXIT_USAGE
    except (ConfigError, OpmlError) as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except SyndedupError as exc:
        _say(args, f"import failed, config unchanged: {exc}")
        return EXIT_FAILED
    verb = "would add" if args.dry_run else "added"
    for _feed, reason in plan.skipped:
        if reason.endswith("; refused"):
            _say(args, f"warning: {args.file.name}: {reason}", logging.WARNING)
    if not args.quiet:
        if created and plan.added:
            print(f"syndedup: {'would create' if args.dry_run else 'created'} {path}")
        feeds_text = plural(len(feeds), "feed")
        print(f"syndedup: {verb} {len(plan.added)} of {feeds_text} from {args.file.name} to {path}")
        for feed in plan.added:
            print(f"  + {feed.name}  {feed.url}")
        for feed, reason in plan.skipped:
            print(f"  skipped {feed.name}  {feed.url}: {reason}")
    return EXIT_OK


def _export_opml(args: argparse.Namespace) -> int:
    """``syndedup export-opml``: exit 2 on a config error, 1 when the state or FILE cannot be used."""
    try:
        config = load_config(args.config)
        health = {}
        if config.state.path.exists():
            view = open_view(config)
            try:
                health = {row.name: row for row in view.feeds()}
            finally:
                view.close()
        result = export_opml(config, health)
        if args.output is not None:
            write_atomic(args.output, result.document)
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except SyndedupError as exc:
        _say(args, f"export-opml failed: {exc}")
        return EXIT_FAILED
    for name, why in result.skipped:
        _say(args, f"warning: feed {name!r} left out: {why}", logging.WARNING)
    if args.output is None:
        sys.stdout.write(result.document.decode("utf-8"))
    elif not args.quiet:
        print(f"syndedup: wrote {plural(result.exported, 'feed')} to {args.output}")
    return EXIT_OK


def _read_config_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (pass --config PATH or create ./config.toml)"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None


def _validate(text: str, path: Path) -> Config:
    """The edited config must load as the run will load it; otherwise nothing is written."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: the edited config is not valid TOML ({exc}); nothing written") from None
    try:
        return parse_config(data, path.resolve())
    except ConfigError as exc:
        raise ConfigError(f"{exc} (run `syndedup check`; config unchanged)", key=exc.key) from None


def _add_emit_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``syndedup emit``: write the outputs from the stored state alone (no fetching)."""
    parser = commands.add_parser(
        "emit",
        parents=[common],
        help="write the outputs from the stored state, without fetching",
        description="Write the RSS, Atom and report outputs from the stored stories, without "
        'fetching: with [index] backend = "redis", from the state every shard\'s host shares.',
    )
    parser.set_defaults(handler=_emit)


def _emit(args: argparse.Namespace) -> int:
    """Write the outputs; exit 2 on a config error, 1 when the state cannot be read or written."""
    try:
        config = load_config(args.config)
        summary = emit_outputs(config)
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateDamagedError as exc:
        _say(args, str(exc))
        return EXIT_STATE_DAMAGED
    except SyndedupError as exc:
        _say(args, f"emit failed, nothing written: {exc}")
        return EXIT_FAILED
    if not args.quiet:
        written = [path.name for path in summary.written]
        print(f"syndedup: {outputs_text(summary.items, summary.stories, written, config)}")
    return EXIT_OK


def _add_serve_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``syndedup serve``: the outputs' folder over HTTP with ETag, Last-Modified, 304s and gzip."""
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve the output files over HTTP (loopback by default)",
        description="Serve the folder holding the outputs: files by name, with ETag and "
        "Last-Modified, 304 on conditional GETs, gzip when asked, and each output's media type.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; exit 2 on a config error, 1 when the server cannot start."""
    if not 0 <= args.port <= 65535:
        _say(args, f"--port {args.port}: not a TCP port (0 to 65535; 0 picks a free one)")
        return EXIT_USAGE
    try:
        server = make_server(load_config(args.config).output, args.host, args.port)
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except SyndedupError as exc:
        _say(args, str(exc))
        return EXIT_FAILED
    print(f"syndedup: serving {server.site.root} at {server.url}", flush=True)
    serve_until_stopped(server)
    return EXIT_OK


def _add_control_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``rebuild``, ``story split|merge|pin`` and ``purge``: re-decide stored stories (issue 14)."""
    rebuild = commands.add_parser(
        "rebuild",
        parents=[common],
        help="re-decide every stored story with today's [dedup] and [attribution]",
        description="Replay every stored entry, in the order runs first saw them, through the "
        "run's dedup and attribution with today's config and the editors' corrections; stories "
        "that survive keep their GUIDs (README: Changing your mind). One transaction: an "
        "interrupted rebuild leaves the state as it was. The outputs are written again.",
    )
    rebuild.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="print the stories that would be split, merged, re-credited or re-canonicalised and the "
        "relations that would change; change nothing",
    )
    rebuild.set_defaults(handler=_rebuild)
    story = commands.add_parser(
        "story",
        parents=[common],
        help="correct a story by hand: split an entry out, merge two stories, pin the original; "
        "list and undo corrections",
        description="Editorial corrections, kept in the state, by later runs and by rebuild. Each "
        "prints what it changed and writes the outputs again; `story list` lists them with their "
        "ids, `story undo ID` takes one back.",
    )
    actions = story.add_subparsers(dest="action", metavar="ACTION", required=True)
    split = actions.add_parser(
        "split", parents=[common], help="take an entry out of its story into a story of its own"
    )
    split.add_argument("link", metavar="LINK", help="the entry's link or GUID")
    merge = actions.add_parser(
        "merge", parents=[common], help="make the two entries' stories one (the older keeps its GUID)"
    )
    merge.add_argument("link", metavar="LINK_A", help="an entry's link or GUID")
    merge.add_argument("other", metavar="LINK_B", help="the other entry's link or GUID")
    pin = actions.add_parser(
        "pin", parents=[common], help="make an entry its story's original and its outlet the credit"
    )
    pin.add_argument("link", metavar="LINK", help="the entry's link or GUID")
    actions.add_parser(
        "list",
        parents=[common],
        help="list every correction with its id, oldest first",
        description="List the stored corrections (split, merge, pin): each one's id (for `story "
        "undo`), when it was made, the entries it names and their story now. Reads the state only.",
    )
    undo = actions.add_parser(
        "undo",
        parents=[common],
        help="take back one correction and re-decide the stories it touched",
        description="Remove one correction (its id from `syndedup story list`, such as split-17, "
        "pin-23 or merge-12-40) and re-decide the stories it touched with today's config; prints "
        "what changed and writes the outputs again.",
    )
    undo.add_argument("id", metavar="ID", help="the correction's id, as `syndedup story list` prints it")
    story.set_defaults(handler=_story)
    purge = commands.add_parser(
        "purge",
        parents=[common],
        help="delete a feed's stored entries and health; re-decide its stories",
        description="Delete every stored entry of FEED (and its health, validators and boilerplate "
        "counts), re-decide the stories they were in, and write the outputs again. A feed still "
        "in the config is read again as new at the next run: remove it from the config first.",
    )
    purge.add_argument("feed", metavar="FEED", help="the feed's name as stored (see `syndedup status`)")
    purge.set_defaults(handler=_purge)


def _control(
    args: argparse.Namespace, build: Callable[[Config], tuple[object, str]], dry_run: bool = False
) -> int:
    """Load the config, run a re-deciding command under the lock, print what changed."""
    from pipeline.cli.rebuild import format_changes, redecide

    try:
        config = load_config(args.config)
        operation, what = build(config)
        plan, summary = redecide(config, operation, dry_run)  # type: ignore[arg-type]
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateDamagedError as exc:
        _say(args, str(exc))
        return EXIT_STATE_DAMAGED
    except RunLockedError as exc:
        _say(args, f"{exc}; nothing changed, try again when it ends")
        return EXIT_FAILED
    except OutputError as exc:
        _say(args, f"outputs not written: {exc}; the state is saved and the next run rewrites them")
        return EXIT_FAILED
    except SyndedupError as exc:
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        _say(args, f"{command} failed, nothing changed: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say(args, "interrupted; the state is as it was")
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(format_changes(plan, dry_run, what))
        if dry_run:
            print("nothing changed (dry run); `syndedup rebuild` applies it")
        elif summary is not None:
            print(f"outputs: {', '.join(p.name for p in summary.written) or 'unchanged'}")
    return EXIT_OK


def _rebuild(args: argparse.Namespace) -> int:
    from pipeline.cli.rebuild import rebuild_all

    def build(config: Config) -> tuple[object, str]:
        d = config.dedup
        thresholds = (
            f"copy_threshold {d.copy_threshold:.2f}, teaser_containment {d.teaser_containment:.2f}, "
            f"teaser_max_ratio {d.teaser_max_ratio:.2f}, min_tokens {d.min_tokens}"
        )
        return rebuild_all(
            config
        ), f"syndedup rebuild{' --dry-run' if args.dry_run else ''}: [dedup] {thresholds}"

    return _control(args, build, args.dry_run)


def _story(args: argparse.Namespace) -> int:
    from pipeline.cli.rebuild import find_entry, merge, pin, split, undo

    if args.action == "list":
        return _story_list(args)

    def build(config: Config) -> tuple[object, str]:
        if args.action == "undo":
            parsed = parse_correction_id(args.id)
            if parsed is None:
                raise StateError(
                    f"{args.id!r} is not a correction id (split-N, pin-N or merge-N-M; "
                    "`syndedup story list` lists them)"
                )
            return undo(config, *parsed), f"story undo {args.id}"
        entry = find_entry(config, args.link)
        if args.action == "merge":
            other = find_entry(config, args.other)
            if other.id == entry.id:
                raise StateError("LINK_A and LINK_B are the same entry; nothing to merge")
            what = f"story merge: {entry.feed} {entry.link} + {other.feed} {other.link}"
            return merge(config, entry.id, other.id), what
        what = f"story {args.action}: {entry.feed} {entry.link}"
        return (split if args.action == "split" else pin)(config, entry.id), what

    return _control(args, build)


def _story_list(args: argparse.Namespace) -> int:
    """``syndedup story list``: exit 2 on a config error, 1 when the state cannot be read."""
    try:
        config = load_config(args.config)
        view = open_view(config)
        try:
            found = corrections(view)
        finally:
            view.close()
    except ConfigError as exc:
        _say(args, f"config error: {exc}")
        return EXIT_USAGE
    except StateError as exc:
        _say(args, str(exc))
        return EXIT_FAILED
    print(format_corrections(found))
    return EXIT_OK


def _purge(args: argparse.Namespace) -> int:
    from pipeline.cli.rebuild import purge

    def build(config: Config) -> tuple[object, str]:
        if any(feed.name == args.feed for feed in config.feeds):
            _say(
                args,
                f"warning: feed {args.feed!r} is still in the config: the next run reads its entries "
                "again as new (remove it from the config to keep them out)",
                logging.WARNING,
            )
        return purge(config, args.feed), f"syndedup purge {args.feed}"

    return _control(args, build)
