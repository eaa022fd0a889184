"""The event codec: every event type round-trips exactly; old rows upcast; a checked-in log replays.

Regenerate the fixture (only when events change on purpose, with an upcaster for the old shape):
`.venv/bin/python -m tests.unit.test_storage_codec`.
"""

from __future__ import annotations

import dataclasses
import io
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.domain import events as ev
from switchboard.domain.model import Channel, ContactId, InitiationMethod, QueueId
from switchboard.domain.state import evolve
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.log import InMemoryLog
from switchboard.engine.views import contact_record
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.ctr import ContactRecordEncoder
from switchboard.sim.script import load_script, new_engine, run_script
from switchboard.storage.codec import (
    CODEC,
    EVENT_TYPES,
    SCHEMA_VERSIONS,
    Codec,
    CodecError,
    Payload,
    decode,
    encode,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inbound-call.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "inbound-call.events.jsonl"


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """Values of any annotation found in an event (mirrors what the codec supports)."""
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None:
        return strategy_for(supertype)
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-(2**63), 2**63 - 1)
    if hint is str:
        return st.text(max_size=12)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return dataclass_strategy(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in {types.UnionType, typing.Union}:
        return st.none() | strategy_for(next(a for a in args if a is not type(None)))
    assert origin is tuple, hint
    if len(args) == 2 and args[1] is Ellipsis:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    return st.tuples(*(strategy_for(a) for a in args))


def dataclass_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(cls) if f.init}
    return st.fixed_dictionaries(fields).map(lambda kwargs: cls(**kwargs))


ANY_EVENT = st.sampled_from(sorted(EVENT_TYPES)).flatmap(
    lambda name: dataclass_strategy(EVENT_TYPES[name])
)


def test_every_domain_event_type_has_a_row_type_at_version_1() -> None:
    concrete = {
        name
        for name, obj in vars(ev).items()
        if isinstance(obj, type)
        and issubclass(obj, ev.Event)
        and obj.__module__ == ev.__name__
        and name not in {"Event", "AgentEvent"}
    }
    assert set(EVENT_TYPES) == concrete
    assert len(concrete) == 26  # ContactTransferred joined the 25 of the first release
    assert set(SCHEMA_VERSIONS.values()) == {1}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_each_event_type_round_trips_exactly(name: str, data: st.DataObject) -> None:
    event = data.draw(dataclass_strategy(EVENT_TYPES[name]))
    row = encode(event)
    assert row.type == name
    assert row.version == 1
    back = decode(row.type, row.version, row.payload)
    assert back == event
    assert type(back) is type(event)


@settings(max_examples=200, deadline=None)
@given(event=ANY_EVENT)
def test_any_event_round_trips_and_its_payload_is_plain_json(event: ev.Event) -> None:
    row = encode(event)
    assert isinstance(orjson.loads(row.payload), dict)
    assert decode(*row) == event


def test_unknown_event_type_is_refused_by_name() -> None:
    with pytest.raises(CodecError, match="unknown event type 'ContactTeleported'"):
        decode("ContactTeleported", 1, b"{}")


def test_newer_schema_version_is_refused() -> None:
    row = encode(ev.AgentLoggedIn(at=1, agent_id=typing.cast("Any", "a")))
    with pytest.raises(CodecError, match=r"AgentLoggedIn schema version 2 is newer than .* 1"):
        decode(row.type, 2, row.payload)


def test_missing_field_and_non_events_are_refused() -> None:
    with pytest.raises(CodecError, match="AgentLoggedIn: missing field 'agent_id'"):
        decode("AgentLoggedIn", 1, b'{"at": 5}')
    with pytest.raises(CodecError, match="not a domain event"):
        CODEC.encode(typing.cast("ev.Event", object()))
    with pytest.raises(CodecError, match="cannot encode"):
        encode(ev.AgentLoggedIn(at=2**70, agent_id=typing.cast("Any", "a")))


def test_an_old_version_payload_is_upcast_on_read() -> None:
    # Pretend ContactQueued v1 named its queue "queue" and had no customer endpoint; v2 is today's.
    def v1_to_v2(payload: Payload) -> Payload:
        out = dict(payload)
        out["queue_id"] = out.pop("queue")
        out.setdefault("customer_endpoint", None)
        return out

    codec = Codec(versions={**SCHEMA_VERSIONS, "ContactQueued": 2}, upcasters={})
    v1 = orjson.dumps(
        {
            "at": 7,
            "contact_id": "c1",
            "channel": "VOICE",
            "method": "INBOUND",
            "queue": "q-sales",
            "attributes": [["tier", "gold"]],
        }
    )
    with pytest.raises(CodecError, match="ContactQueued: no upcaster from schema version 1"):
        codec.decode("ContactQueued", 1, v1)
    codec.upcasters[("ContactQueued", 1)] = v1_to_v2
    assert codec.decode("ContactQueued", 1, v1) == ev.ContactQueued(
        at=7,
        contact_id=ContactId("c1"),
        channel=Channel.VOICE,
        method=InitiationMethod.INBOUND,
        queue_id=QueueId("q-sales"),
        attributes=(("tier", "gold"),),
    )
    assert codec.encode(codec.decode("ContactQueued", 1, v1)).version == 2


# --- the log checked in from the previous release -----------------------------------------------


def fresh_run() -> tuple[list[tuple[int, ev.Event]], list[bytes], list[bytes]]:
    """Run the example; its log, and its AES (heartbeats aside) and CTR lines."""
    script = load_script(EXAMPLE)
    log = InMemoryLog()
    aes, ctr = io.BytesIO(), io.BytesIO()
    engine = new_engine(script.setup, script.start, log=log)
    run_script(script, engine=engine, agent_events=aes, contact_records=ctr)
    return list(log.read()), _no_heartbeats(aes.getvalue()), ctr.getvalue().split()


def _no_heartbeats(lines: bytes) -> list[bytes]:
    return [line for line in lines.split(b"\n") if line and b'"HEART_BEAT"' not in line]


def write_fixture() -> None:
    events, _, _ = fresh_run()
    with FIXTURE.open("wb") as out:
        for seq, event in events:
            row = encode(event)
            line = {"seq": seq, "type": row.type, "version": row.version}
            out.write(orjson.dumps({**line, "payload": orjson.loads(row.payload)}) + b"\n")


def read_fixture() -> list[tuple[int, ev.Event]]:
    rows = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
    return [(r["seq"], decode(r["type"], r["version"], orjson.dumps(r["payload"]))) for r in rows]


def test_the_checked_in_log_replays_to_the_same_agent_events_and_records() -> None:
    script = load_script(EXAMPLE)
    log, fresh_aes, fresh_ctr = fresh_run()
    logged = read_fixture()
    assert [seq for seq, _ in logged] == list(range(1, len(logged) + 1))
    assert logged == log

    # Replay the fixture into a fresh engine, projecting each event as the engine does live.
    engine = Engine(clock=ManualClock(script.start), ids=IdSource(script.setup.settings.arn))
    aes = AgentEventEncoder(script.setup.settings)
    ctr = ContactRecordEncoder(script.setup.settings)
    replay_aes: list[bytes] = []
    replay_ctr: list[bytes] = []
    for seq, event in logged:
        evolve(engine.state, event)
        record = engine.stream.project(seq, event)
        if record is not None:
            replay_aes.append(aes.encode(record))
        for contact in engine.state.finished:
            replay_ctr.append(ctr.encode(contact_record(engine.state, contact, event.at)))
        engine.state.finished.clear()
    assert replay_aes == fresh_aes
    assert replay_ctr == fresh_ctr
    assert len(fresh_aes) > 10
    assert len(fresh_ctr) == 3


if __name__ == "__main__":
    write_fixture()
