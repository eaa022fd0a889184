"""Reading untrusted records: the error that names what is wrong, and checked field readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.domain.model import Millis
from switchboard.formats.timestamps import parse_timestamp


class MalformedRecord(ValueError):
    """A record that is not an agent event or contact record as Connect writes them."""


def required_timestamp(raw: Mapping[str, Any], key: str) -> Millis:
    """The ISO timestamp at `key` in engine ms; refused when absent or null."""
    at = timestamp_field(raw, key)
    if at is None:
        raise MalformedRecord(f"{key} is missing or null")
    return at


def timestamp_field(raw: Mapping[str, Any], key: str) -> Millis | None:
    """The ISO timestamp at `key` in engine ms; None when absent or null."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{key} must be an ISO 8601 text, got {value!r}")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise MalformedRecord(f"{key} is not an ISO 8601 timestamp: {value!r}") from None
