"""NATS JetStream and Redis Streams as consumers see them: subjects, headers, fields, dedupe."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
import redis

from switchboard.engine.outbox import InMemoryOutbox, OutboxEntry, RecordKind
from switchboard.sinks import SinkRunner
from switchboard.sinks.jetstream import JetStreamSink
from switchboard.sinks.redis_streams import RedisStreamsSink
from tests.services import require


def agent_event(n: int) -> OutboxEntry:
    payload = json.dumps({"AgentARN": "a0", "EventId": f"e{n}"}, separators=(",", ":")).encode()
    return OutboxEntry(RecordKind.AGENT_EVENT, "a0", f"e{n}", payload)


def contact_record(n: int) -> OutboxEntry:
    payload = json.dumps({"ContactId": f"c{n}"}, separators=(",", ":")).encode()
    return OutboxEntry(RecordKind.CONTACT_RECORD, f"c{n}", f"c{n}", payload)


def test_jetstream_sink_creates_its_stream_and_the_server_drops_redelivered_ids() -> None:
    host, port = require("nats")
    servers = f"nats://{host}:{port}"
    token = uuid.uuid4().hex
    stream, prefix = f"SBTEST_{token}", f"sbtest.{token}"
    outbox = InMemoryOutbox()
    outbox.append([agent_event(1), contact_record(2), agent_event(3)])

    sink = JetStreamSink(servers=servers, stream=stream, subject_prefix=prefix)
    records = outbox.read(0)
    sink.deliver(records)
    sink.deliver(records)  # a crash before commit: the same ids again
    sink.close()

    async def inspect() -> tuple[list[str], int, list[tuple[str, str, bytes]]]:
        nc = await nats.connect(servers)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            seen = []
            for seq in range(1, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                assert msg.headers is not None
                assert msg.data is not None
                seen.append((msg.subject, msg.headers["Nats-Msg-Id"], msg.data))
            await js.delete_stream(stream)
            assert info.config.duplicate_window == 120.0, "the sink's default dedupe window"
            return info.config.subjects or [], info.state.messages, seen
        finally:
            await nc.close()

    subjects, count, seen = asyncio.run(inspect())
    assert subjects == [f"{prefix}.>"]
    assert count == 3
    assert seen == [
        (f"{prefix}.agent-events", "e1", records[0].entry.payload),
        (f"{prefix}.contact-records", "c2", records[1].entry.payload),
        (f"{prefix}.agent-events", "e3", records[2].entry.payload),
    ]


def test_jetstream_sink_reuses_a_stream_that_exists() -> None:
    host, port = require("nats")
    servers = f"nats://{host}:{port}"
    token = uuid.uuid4().hex
    stream, prefix = f"SBTEST_{token}", f"sbtest.{token}"

    async def create() -> None:
        nc = await nats.connect(servers)
        await nc.jetstream().add_stream(name=stream, subjects=[f"{prefix}.>"], max_msgs=1000)
        await nc.close()

    asyncio.run(create())
    outbox = InMemoryOutbox()
    outbox.append([agent_event(1)])
    sink = JetStreamSink(servers=servers, stream=stream, subject_prefix=prefix)
    assert SinkRunner(outbox, sink).pump_once() == 1
    sink.close()

    async def check() -> tuple[int, int]:
        nc = await nats.connect(servers)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            await js.delete_stream(stream)
            return info.state.messages, info.config.max_msgs or 0
        finally:
            await nc.close()

    assert asyncio.run(check()) == (1, 1000)


def test_redis_sink_adds_one_entry_per_record_with_key_record_id_and_payload() -> None:
    host, port = require("redis")
    url = f"redis://{host}:{port}/0"
    prefix = f"sbtest-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    try:
        outbox = InMemoryOutbox()
        outbox.append([agent_event(1), contact_record(2), agent_event(3)])
        sink = RedisStreamsSink(url=url, prefix=prefix)
        assert sink.stream_key(RecordKind.AGENT_EVENT) == f"{prefix}:agent-events"
        assert SinkRunner(outbox, sink).pump_once() == 3
        sink.close()
        events = [fields for _id, fields in client.xrange(f"{prefix}:agent-events")]
        contacts = [fields for _id, fields in client.xrange(f"{prefix}:contact-records")]
        assert events == [
            {b"key": b"a0", b"record_id": b"e1", b"payload": agent_event(1).payload},
            {b"key": b"a0", b"record_id": b"e3", b"payload": agent_event(3).payload},
        ]
        assert contacts == [
            {b"key": b"c2", b"record_id": b"c2", b"payload": contact_record(2).payload}
        ]
    finally:
        client.delete(f"{prefix}:agent-events", f"{prefix}:contact-records")
        client.close()


def test_redis_sink_trims_to_about_maxlen() -> None:
    host, port = require("redis")
    url = f"redis://{host}:{port}/0"
    prefix = f"sbtest-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    try:
        outbox = InMemoryOutbox()
        outbox.append([agent_event(n) for n in range(2000)])
        sink = RedisStreamsSink(url=url, prefix=prefix, maxlen=100)
        runner = SinkRunner(outbox, sink)
        while runner.pump_once():
            pass
        sink.close()
        length = client.xlen(f"{prefix}:agent-events")
        assert 100 <= length < 2000
    finally:
        client.delete(f"{prefix}:agent-events", f"{prefix}:contact-records")
        client.close()
