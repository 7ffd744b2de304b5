"""One deadline over a whole HTTP exchange: from the connect to the last byte, headers included.

httpx's timeouts are per operation: its read timeout starts again with every byte, so a server
that sends its status line and then one header byte every few seconds held a fetch (and the run's
lock) for minutes (issue 23: a run took 301 s). ``Deadline`` arms a timer; when it fires, the
sockets the request opened are shut down, which wakes the blocked read at once, and the caller
sees ``expired``.

The sockets are learnt from httpcore's documented ``trace`` extension, which reports each
connection made (``connection.connect_tcp`` and, for https, ``connection.start_tls``). A request
that reused a pooled connection would connect nothing the trace could see, so every request under
a deadline asks for its own connection (``Connection: close``): a feed or page fetch is one
request per host and run, so keep-alive bought little here.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

# Headers a request under a deadline sends: a connection of its own (see the module docstring).
CLOSE = {"Connection": "close"}
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Deadline:
    """``with Deadline(seconds) as deadline: client.stream(..., headers=CLOSE,
    extensions=deadline.extensions)``; after an error, ``deadline.expired`` says whether the
    deadline cut the exchange off. Name resolution and the connect itself are bounded by the
    client's connect timeout (a socket not connected yet is shut down as soon as it is)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    @property
    def extensions(self) -> dict[str, Any]:
        """The request extensions that let the deadline see the request's connections."""
        return {"trace": self._trace}

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in _CONNECTED:
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut both directions: a read blocked in another thread returns at once (``close`` would not
    wake it). ``socket.socket.shutdown`` on the file descriptor, also under a TLS socket (whose own
    ``shutdown`` would drop its SSL object under the reading thread)."""
    with contextlib.suppress(OSError):  # already closed, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
