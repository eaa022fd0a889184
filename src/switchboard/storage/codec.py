"""Event rows: each domain event as (type, schema_version, orjson payload) and back, with upcasters.

The encoders are derived once per event type from its dataclass fields and their annotations
(enums, NewTypes, tuples, optionals and nested frozen dataclasses), so a new event type needs no
codec code. Changing an event's shape bumps its version in `SCHEMA_VERSIONS` and registers an
upcaster from the previous version (DESIGN §8); a row of an unknown type, or of a version newer
than this build knows, is refused with `CodecError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, NamedTuple

import orjson

from switchboard.domain import events as ev

Json = Any
Payload = dict[str, Json]
Upcaster = Callable[[Payload], Payload]
_Encode = Callable[[Any], Json]
_Decode = Callable[[Json], Any]


class CodecError(Exception):
    """A row this build cannot turn into an event, or an object it cannot store."""


class EventRow(NamedTuple):
    type: str
    version: int
    payload: bytes


def _event_types() -> dict[str, type[ev.Event]]:
    found: dict[str, type[ev.Event]] = {}
    for name in ev.__all__:
        obj = getattr(ev, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, ev.Event)
            and obj not in {ev.Event, ev.AgentEvent}
        ):
            found[name] = obj
    return found


EVENT_TYPES: Mapping[str, type[ev.Event]] = _event_types()
"""Every concrete domain event, by its class name (the `type` column)."""

SCHEMA_VERSIONS: Mapping[str, int] = dict.fromkeys(EVENT_TYPES, 1)
"""The version each event type is written at today; bump one with an upcaster beside it."""

UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}
"""(type, from_version) → a function from that version's payload to the next version's."""


def _identity(value: Json) -> Json:
    return value


def _codec_for(hint: Any) -> tuple[_Encode, _Decode]:
    """An (encode, decode) pair for one annotation."""
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None:  # a NewType: stored as its base
        return _codec_for(supertype)
    if hint in {int, str, bool}:
        return _identity, _identity
    if isinstance(hint, type) and issubclass(hint, Enum):
        enum_type = hint
        return (lambda v: v.value), enum_type
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_codec(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in {types.UnionType, typing.Union}:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise CodecError(f"unsupported union in an event: {hint!r}")
        inner_encode, inner_decode = _codec_for(rest[0])
        return (
            lambda v: None if v is None else inner_encode(v),
            lambda v: None if v is None else inner_decode(v),
        )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item_encode, item_decode = _codec_for(args[0])
            return (
                lambda v: [item_encode(x) for x in v],
                lambda v: tuple(item_decode(x) for x in v),
            )
        pairs = [_codec_for(a) for a in args]
        return (
            lambda v: [e(x) for (e, _), x in zip(pairs, v, strict=True)],
            lambda v: tuple(d(x) for (_, d), x in zip(pairs, v, strict=True)),
        )
    raise CodecError(f"unsupported type in an event: {hint!r}")


def _dataclass_codec(cls: type[Any]) -> tuple[_Encode, _Decode]:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, *_codec_for(hints[f.name])) for f in dataclasses.fields(cls) if f.init]

    def encode(value: Any) -> Payload:
        return {name: enc(getattr(value, name)) for name, enc, _ in fields}

    def decode(payload: Json) -> Any:
        if not isinstance(payload, dict):
            raise CodecError(f"{cls.__name__}: expected an object, got {payload!r}")
        try:
            return cls(**{name: dec(payload[name]) for name, _, dec in fields})
        except KeyError as missing:
            raise CodecError(f"{cls.__name__}: missing field {missing}") from None

    return encode, decode


class Codec:
    """Events to rows and back, at the given versions and with the given upcasters."""

    def __init__(
        self,
        versions: Mapping[str, int] = SCHEMA_VERSIONS,
        upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
    ) -> None:
        self.versions = dict(versions)
        self.upcasters = dict(upcasters)
        self._codecs = {name: _dataclass_codec(cls) for name, cls in EVENT_TYPES.items()}

    def encode(self, event: ev.Event) -> EventRow:
        name = type(event).__name__
        codec = self._codecs.get(name)
        if codec is None or EVENT_TYPES[name] is not type(event):
            raise CodecError(f"not a domain event: {event!r}")
        try:
            payload = orjson.dumps(codec[0](event))
        except (orjson.JSONEncodeError, AttributeError, TypeError) as bad:
            raise CodecError(f"{name}: cannot encode {event!r}: {bad}") from None
        return EventRow(name, self.versions[name], payload)

    def decode(self, type_name: str, version: int, payload: bytes | str) -> ev.Event:
        codec = self._codecs.get(type_name)
        if codec is None:
            raise CodecError(f"unknown event type {type_name!r} (written by a newer build?)")
        current = self.versions[type_name]
        if version > current:
            raise CodecError(
                f"{type_name} schema version {version} is newer than this build's {current}"
            )
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as bad:
            raise CodecError(f"{type_name} v{version}: payload is not JSON: {bad}") from None
        while version < current:
            upcast = self.upcasters.get((type_name, version))
            if upcast is None:
                raise CodecError(f"{type_name}: no upcaster from schema version {version}")
            data = upcast(data)
            version += 1
        event: ev.Event = codec[1](data)
        return event


CODEC = Codec()
"""Today's codec: every event type at its `SCHEMA_VERSIONS` version, with `UPCASTERS`."""


def encode(event: ev.Event) -> EventRow:
    return CODEC.encode(event)


def decode(type_name: str, version: int, payload: bytes | str) -> ev.Event:
    return CODEC.decode(type_name, version, payload)


__all__ = [
    "CODEC",
    "EVENT_TYPES",
    "SCHEMA_VERSIONS",
    "UPCASTERS",
    "Codec",
    "CodecError",
    "EventRow",
    "Upcaster",
    "decode",
    "encode",
]
