"""The sink contract: every sink delivers the outbox at least once, in order per partition key.

One suite (STYLE habit 5) run against JSONL (both layouts), NATS JetStream, Redis Streams, the
webhook and Kinesis. NATS and Redis use the real servers on their standard ports
(tests/services.py); Kinesis is a kinesalite server the test session starts from `.tools/`
(skipped without it, failed under CI).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from switchboard.engine.outbox import InMemoryOutbox, OutboxEntry, RecordKind
from switchboard.sinks import Backoff, SinkRunner
from switchboard.sinks.jsonl import Layout
from switchboard.storage.sqlite import SqliteStore
from switchboard.storage.store import StoreOutbox
from tests.contract.sink_harness import (
    Harness,
    Kinesalite,
    Received,
    jsonl_harness,
    kinesis_harness,
    nats_harness,
    redis_harness,
    webhook_harness,
)

SINKS = ["jsonl", "jsonl-firehose", "nats", "redis", "webhook", "kinesis"]
QUICK = Backoff(initial_s=0.01, cap_s=0.05)


@pytest.fixture(scope="session")
def kinesalite() -> Iterator[Kinesalite]:
    server = Kinesalite()
    yield server
    server.close()


@pytest.fixture(params=SINKS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    kind = request.param
    if kind == "jsonl":
        made = jsonl_harness(tmp_path, Layout.FILES)
    elif kind == "jsonl-firehose":
        made = jsonl_harness(tmp_path, Layout.FIREHOSE)
    elif kind == "nats":
        made = nats_harness()
    elif kind == "redis":
        made = redis_harness()
    elif kind == "kinesis":
        made = kinesis_harness(request.getfixturevalue("kinesalite"))
    else:
        made = webhook_harness(tmp_path)
    yield made
    for cleanup in made.cleanup:
        cleanup()


def _compact(record: dict[str, object]) -> bytes:
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode()


def entries(count: int, start: int = 0) -> list[OutboxEntry]:
    """Agent events of three agents interleaved with contact records, as the engine appends them."""
    out = []
    for n in range(start, start + count):
        if n % 4 == 3:
            contact = f"contact-{n % 3}-{n}"
            payload = _compact({"ContactId": contact, "Channel": "VOICE", "n": n})
            out.append(OutboxEntry(RecordKind.CONTACT_RECORD, contact, contact, payload))
        else:
            agent = f"arn:aws:connect:us-east-1:1:instance/i/agent/a{n % 3}"
            event = f"00000000-0000-0000-0000-{n:012d}"
            payload = _compact({"AgentARN": agent, "EventId": event, "EventType": "STATE_CHANGE"})
            out.append(OutboxEntry(RecordKind.AGENT_EVENT, agent, event, payload))
    return out


def as_received(batch: Sequence[OutboxEntry]) -> list[Received]:
    return [Received(e.kind, e.key, e.record_id, e.payload) for e in batch]


def by_key(records: Sequence[Received]) -> dict[str, list[Received]]:
    out: dict[str, list[Received]] = {}
    for record in records:
        out.setdefault(record.key, []).append(record)
    return out


def deduped(records: Sequence[Received]) -> list[Received]:
    """What a consumer keeps: the first copy of each record_id."""
    seen: set[str] = set()
    out = []
    for record in records:
        if record.record_id not in seen:
            seen.add(record.record_id)
            out.append(record)
    return out


def pump_all(runner: SinkRunner) -> None:
    while runner.pump_once():
        pass


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class CrashOnCommit(InMemoryOutbox):
    """An outbox whose next commit dies, as the process would between delivery and commit."""

    crash_next = False

    def commit(self, sink: str, position: int) -> None:
        if self.crash_next:
            self.crash_next = False
            raise RuntimeError("killed between delivery and commit")
        super().commit(sink, position)


def test_delivers_every_record_in_order_per_partition_key(harness: Harness) -> None:
    outbox = InMemoryOutbox()
    sent = entries(60)
    outbox.append(sent)
    runner = SinkRunner(outbox, harness.make("s"), batch_size=7)
    pump_all(runner)
    runner.sink.close()

    got = harness.received()
    assert by_key(got) == by_key(as_received(sent))
    assert outbox.offset("s") == 60
    assert runner.delivered == 60


def test_redelivery_after_a_crash_before_commit_repeats_records_consumers_can_dedupe(
    harness: Harness,
) -> None:
    outbox = CrashOnCommit()
    sent = entries(20)
    outbox.append(sent)
    first = SinkRunner(outbox, harness.make("s"), batch_size=8)
    first.pump_once()
    outbox.crash_next = True
    with pytest.raises(RuntimeError, match="killed"):
        first.pump_once()
    first.sink.close()
    assert outbox.offset("s") == 8

    second = SinkRunner(outbox, harness.make("s"), batch_size=8)
    pump_all(second)
    second.sink.close()

    got = harness.received()
    # At least once: records 9-16 went out twice (JetStream drops the copy itself, by Msg-Id).
    assert len(got) >= 20
    assert by_key(deduped(got)) == by_key(as_received(sent))


def test_a_restarted_runner_resumes_from_the_committed_offset(harness: Harness) -> None:
    outbox = InMemoryOutbox()
    sent = entries(30)
    outbox.append(sent[:12])
    first = SinkRunner(outbox, harness.make("s"), batch_size=5)
    first.start()
    wait_until(lambda: outbox.offset("s") == 12)
    assert first.stop()

    outbox.append(sent[12:])
    second = SinkRunner(outbox, harness.make("s"), batch_size=5)
    pump_all(second)
    second.sink.close()

    assert second.delivered == 18
    got = harness.received()
    assert len(got) == 30, "nothing committed is delivered again"
    assert by_key(got) == by_key(as_received(sent))


def test_offsets_survive_a_restart_of_the_process_with_a_durable_outbox(
    harness: Harness, tmp_path: Path
) -> None:
    sent = entries(30)
    store = SqliteStore(tmp_path / "instance.db")
    outbox = StoreOutbox(store)
    outbox.append(sent)
    first = SinkRunner(outbox, harness.make("s"), batch_size=8)
    first.pump_once()
    first.pump_once()
    first.sink.close()
    store.close()  # the process ends: only the database remains

    store = SqliteStore(tmp_path / "instance.db")
    outbox = StoreOutbox(store)
    assert outbox.offset("s") == 16
    second = SinkRunner(outbox, harness.make("s"), batch_size=8)
    pump_all(second)
    second.sink.close()
    store.close()

    assert second.delivered == 14
    got = harness.received()
    assert len(got) == 30
    assert by_key(got) == by_key(as_received(sent))


def test_nothing_is_committed_when_delivery_fails(harness: Harness) -> None:
    outbox = InMemoryOutbox()
    outbox.append(entries(10))
    runner = SinkRunner(outbox, harness.make_broken("broken"), batch_size=4)
    with pytest.raises(Exception):  # noqa: B017, PT011 - each sink fails in its own way
        runner.pump_once()
    with pytest.raises(Exception):  # noqa: B017, PT011
        runner.pump_once()
    runner.sink.close()
    assert outbox.offset("broken") == 0
    assert runner.delivered == 0


def test_a_failing_sink_does_not_stop_the_other_sinks(harness: Harness) -> None:
    outbox = InMemoryOutbox()
    sent = entries(40)
    broken = SinkRunner(outbox, harness.make_broken("broken"), batch_size=10, backoff=QUICK)
    healthy = SinkRunner(outbox, harness.make("healthy"), batch_size=10, backoff=QUICK)
    broken.start()
    healthy.start()
    outbox.append(sent[:20])
    healthy.wake()
    outbox.append(sent[20:])
    healthy.wake()
    wait_until(lambda: outbox.offset("healthy") == 40 and broken.failures >= 2)
    assert healthy.stop()
    assert broken.stop()

    assert outbox.offset("broken") == 0
    assert broken.last_error is not None
    assert by_key(harness.received()) == by_key(as_received(sent))


def test_stop_drains_what_the_outbox_holds(harness: Harness) -> None:
    outbox = InMemoryOutbox()
    sent = entries(25)
    runner = SinkRunner(outbox, harness.make("s"), batch_size=4, poll_s=5.0)
    runner.start()
    outbox.append(sent)
    assert runner.stop(drain=True)
    assert not runner.running
    assert outbox.offset("s") == 25
    assert by_key(harness.received()) == by_key(as_received(sent))


def test_records_already_in_a_batch_are_never_reordered(harness: Harness) -> None:
    """Outbox positions are the order: one key's records arrive as they went in, across batches."""
    outbox = InMemoryOutbox()
    sent = [e for e in entries(40) if e.kind is RecordKind.AGENT_EVENT and e.key.endswith("a0")]
    outbox.append(sent)
    runner = SinkRunner(outbox, harness.make("s"), batch_size=3)
    pump_all(runner)
    runner.sink.close()
    assert harness.received() == as_received(sent)
