"""Shards: which feeds a host runs when several hosts share one Redis index (``run --shard K/N``)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.config import FeedConfig
from pipeline.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``number`` (1-based) of ``count``."""

    number: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'2/4' -> Shard(2, 4); raises ConfigError with the accepted form otherwise."""
        number, _, count = text.partition("/")
        try:
            shard = cls(int(number), int(count))
        except ValueError:
            raise ConfigError(f"--shard {text!r}: expected K/N such as 2/4") from None
        if not 1 <= shard.number <= shard.count:
            raise ConfigError(f"--shard {text!r}: K must be between 1 and N")
        return shard

    def holds(self, feed_name: str) -> bool:
        """Whether this shard runs the feed: a stable hash of its name (CRC-32, the same on every
        host and Python version, unlike ``hash()``), so a feed always lands on the same host."""
        return zlib.crc32(feed_name.encode("utf-8")) % self.count == self.number - 1

    def select(self, feeds: Iterable[FeedConfig]) -> tuple[FeedConfig, ...]:
        return tuple(feed for feed in feeds if self.holds(feed.name))
