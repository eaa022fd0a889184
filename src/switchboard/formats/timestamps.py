"""Connect's timestamp texts: ISO 8601 UTC with milliseconds (AES) or whole seconds (CTR)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from switchboard.domain.model import Millis


@lru_cache(maxsize=8192)
def _second(second: int) -> str:
    return datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_ms(at: Millis) -> str:
    """`2019-08-13T20:58:44.031Z`, as in agent event stream records."""
    second, ms = divmod(at, 1000)
    return f"{_second(second)}.{ms:03d}Z"


def iso_s(at: Millis) -> str:
    """`2022-04-08T15:01:22Z`, as in contact records (floored to the second)."""
    return f"{_second(at // 1000)}Z"


@lru_cache(maxsize=65536)
def _epoch_second(prefix: str) -> int:
    return int(datetime.fromisoformat(prefix).replace(tzinfo=UTC).timestamp())


def parse_timestamp(text: str) -> Millis:
    """Either form back to engine milliseconds; also accepts `+00:00` offsets.

    Connect's two exact forms take a fast path: records repeat the same seconds many times, so
    each second is parsed once (reading exports spends much of its time here).
    """
    if len(text) == 24 and text[19] == "." and text[23] == "Z" and text[20:23].isdigit():
        return _epoch_second(text[:19]) * 1000 + int(text[20:23])
    if len(text) == 20 and text[19] == "Z":
        return _epoch_second(text[:19]) * 1000
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def whole_seconds(at: Millis) -> int:
    return at // 1000
