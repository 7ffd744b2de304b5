"""Named exceptions. Library code raises these; only the CLI turns them into messages and exit codes."""


class SyndedupError(Exception):
    """Base class for every error syndedup raises on purpose."""


class ConfigError(SyndedupError):
    """The configuration file is missing, unreadable or has a bad key or value (exit code 2).

    ``key`` is the dotted key path (``output.max_items``, ``feeds[1].name``) when one key is at
    fault and ``problem`` what is wrong with it, so that ``syndedup check`` can point at the line.
    """

    def __init__(self, message: str, key: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.problem = problem


class StateError(SyndedupError):
    """The state database cannot be used as it is (locked, corrupt, or made with other parameters)."""


class StateDamagedError(StateError):
    """The state cannot be used as it is and a person must decide what to do (exit code 4): the file
    is damaged, it holds no state while the outputs were written from one, or the Redis index lost
    its data. Nothing was written; the message says what to do."""


class OutputError(SyndedupError):
    """An output file could not be written."""


class RunLockedError(SyndedupError):
    """Another run holds the state's lock; this run did nothing."""


class ServeError(SyndedupError):
    """``syndedup serve`` cannot start (no output folder yet, or the address is in use)."""
